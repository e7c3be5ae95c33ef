//! Reading options by hand from a JSON value.
//!
//! The configuration is read field by field with [`Opts`] rather than with a serde derive per
//! struct: each derived `Deserialize` adds its own copy of serde_json's struct reader to the
//! Worker (about 2 KB of wasm each). Unknown names are an error, types are checked, absent (or
//! `null`) options take their defaults, and every error names the option's path.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// One options object, read field by field; the first problem is kept and reported by
/// [`Opts::finish`], with the field's path.
pub(crate) struct Opts<'a> {
    map: &'a Map<String, Value>,
    path: String,
    known: Vec<&'static str>,
    error: Option<String>,
}

impl<'a> Opts<'a> {
    /// Starts on `value`, which must be an object; `path` names it in errors (`""` at the top).
    pub(crate) fn new(value: &'a Value, path: &str) -> Result<Opts<'a>, String> {
        match value {
            Value::Object(map) => Ok(Opts {
                map,
                path: path.to_owned(),
                known: Vec::new(),
                error: None,
            }),
            _ => Err(format!("{path}: expected an object")),
        }
    }

    /// The path of the member `name`.
    fn path_of(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// Records `message` as the problem with `name`, unless an earlier problem was found.
    pub(crate) fn invalid(&mut self, name: &str, message: &str) {
        if self.error.is_none() {
            self.error = Some(format!("{}: {message}", self.path_of(name)));
        }
    }

    /// Records that `name` is not of the `expected` kind.
    pub(crate) fn fail(&mut self, name: &str, expected: &str) {
        self.invalid(name, &format!("expected {expected}"));
    }

    /// The member `name` (known from now on), `None` when absent or `null`.
    pub(crate) fn get(&mut self, name: &'static str) -> Option<&'a Value> {
        self.known.push(name);
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// A whole number.
    pub(crate) fn u64(&mut self, name: &'static str, default: u64) -> u64 {
        match self.get(name) {
            None => default,
            Some(v) => v.as_u64().unwrap_or_else(|| {
                self.fail(name, "a whole number");
                default
            }),
        }
    }

    /// A whole number that fits in `usize`.
    pub(crate) fn usize(&mut self, name: &'static str, default: usize) -> usize {
        let n = self.u64(name, default as u64);
        usize::try_from(n).unwrap_or_else(|_| {
            self.fail(name, "a smaller number");
            default
        })
    }

    /// `true` or `false`, `None` when absent.
    pub(crate) fn opt_bool(&mut self, name: &'static str) -> Option<bool> {
        let v = self.get(name)?;
        let b = v.as_bool();
        if b.is_none() {
            self.fail(name, "true or false");
        }
        b
    }

    /// `true` or `false`.
    pub(crate) fn bool(&mut self, name: &'static str, default: bool) -> bool {
        self.opt_bool(name).unwrap_or(default)
    }

    /// A string, `None` when absent.
    pub(crate) fn string(&mut self, name: &'static str) -> Option<String> {
        let v = self.get(name)?;
        match v.as_str() {
            Some(s) => Some(s.to_owned()),
            None => {
                self.fail(name, "a string");
                None
            }
        }
    }

    /// A string with a default.
    pub(crate) fn string_or(&mut self, name: &'static str, default: &str) -> String {
        self.string(name).unwrap_or_else(|| default.to_owned())
    }

    /// A list of strings.
    pub(crate) fn strings(&mut self, name: &'static str, default: &[&str]) -> Vec<String> {
        let Some(v) = self.get(name) else {
            return default.iter().map(|s| (*s).to_owned()).collect();
        };
        let list = v.as_array().and_then(|list| {
            list.iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
        });
        list.unwrap_or_else(|| {
            self.fail(name, "a list of strings");
            Vec::new()
        })
    }

    /// A string, or a list of strings (empty when absent).
    pub(crate) fn texts(&mut self, name: &'static str) -> Vec<String> {
        match self.get(name) {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(_)) => self.strings(name, &[]),
            None => Vec::new(),
            Some(_) => {
                self.fail(name, "a string or a list of strings");
                Vec::new()
            }
        }
    }

    /// One of the named `choices`.
    pub(crate) fn choice<T: Copy>(
        &mut self,
        name: &'static str,
        choices: &[(&str, T)],
        default: T,
    ) -> T {
        let Some(v) = self.get(name) else {
            return default;
        };
        let found = v
            .as_str()
            .and_then(|s| choices.iter().find(|(n, _)| *n == s));
        match found {
            Some((_, t)) => *t,
            None => {
                let names: Vec<String> = choices.iter().map(|(n, _)| format!("{n:?}")).collect();
                self.fail(name, &format!("one of {}", names.join(", ")));
                default
            }
        }
    }

    /// A nested options object read by `read` (`None` when absent).
    pub(crate) fn with<T>(&mut self, name: &'static str, read: fn(&mut Opts) -> T) -> Option<T> {
        let value = self.get(name)?;
        let path = self.path_of(name);
        match Opts::new(value, &path) {
            Ok(mut inner) => {
                let out = read(&mut inner);
                if let Err(e) = inner.finish() {
                    self.error.get_or_insert(e);
                }
                Some(out)
            }
            Err(e) => {
                self.error.get_or_insert(e);
                None
            }
        }
    }

    /// An object of named entries, each read by `read` from its value and its path.
    pub(crate) fn entries<T>(
        &mut self,
        name: &'static str,
        read: impl Fn(&Value, &str) -> Result<T, String>,
    ) -> BTreeMap<String, T> {
        let mut out = BTreeMap::new();
        let Some(value) = self.get(name) else {
            return out;
        };
        let Some(map) = value.as_object() else {
            self.fail(name, "an object");
            return out;
        };
        let path = self.path_of(name);
        for (key, value) in map {
            match read(value, &format!("{path}.{key}")) {
                Ok(t) => {
                    out.insert(key.clone(), t);
                }
                Err(e) => {
                    self.error.get_or_insert(e);
                }
            }
        }
        out
    }

    /// The first problem, or the first member nobody asked for (an unknown option).
    pub(crate) fn finish(self) -> Result<(), String> {
        if let Some(error) = self.error {
            return Err(error);
        }
        match self.map.keys().find(|k| !self.known.contains(&k.as_str())) {
            Some(k) => Err(format!("unknown option {}", self.path_of(k))),
            None => Ok(()),
        }
    }
}

/// Reads the options object `value` (at `path`) with `read`, checking for unknown names.
pub(crate) fn read_object<T>(
    value: &Value,
    path: &str,
    read: fn(&mut Opts) -> T,
) -> Result<T, String> {
    let mut o = Opts::new(value, path)?;
    let out = read(&mut o);
    o.finish()?;
    Ok(out)
}
