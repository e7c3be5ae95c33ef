//! Small stored JSON records (KV entries, verification values, keys, API error bodies) read by
//! hand from a [`serde_json::Value`] rather than with a serde derive each: every derived
//! `Deserialize` compiles its own copy of serde_json's struct reader into the Worker (1-2 KB of
//! wasm each), while these share the one `Value` reader. Missing members and members of the
//! wrong type are `None`, as the derive's error was; unknown members are ignored unless a caller
//! checks [`only`].

use serde_json::{Map, Value};

/// The JSON object in `bytes`; `None` for invalid JSON or any other value.
pub(crate) fn object(bytes: &[u8]) -> Option<Map<String, Value>> {
    into_object(serde_json::from_slice(bytes).ok()?)
}

/// `value` when it is an object.
pub(crate) fn into_object(value: Value) -> Option<Map<String, Value>> {
    match value {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// The string member `name`, taken out of the object.
pub(crate) fn string(object: &mut Map<String, Value>, name: &str) -> Option<String> {
    match object.remove(name)? {
        Value::String(text) => Some(text),
        _ => None,
    }
}

/// The optional string member `name`: `Some(None)` when absent or `null`, `None` when it is of
/// another type.
pub(crate) fn opt_string(object: &mut Map<String, Value>, name: &str) -> Option<Option<String>> {
    match object.remove(name) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(text)) => Some(Some(text)),
        Some(_) => None,
    }
}

/// The JSON array of strings in `bytes`; `None` for anything else.
#[cfg(any(test, feature = "two-factor"))]
pub(crate) fn string_list(bytes: &[u8]) -> Option<Vec<String>> {
    let Value::Array(items) = serde_json::from_slice(bytes).ok()? else {
        return None;
    };
    let mut list = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::String(text) => list.push(text),
            _ => return None,
        }
    }
    Some(list)
}

/// Whether every member of the object is one of `names` (a strict schema).
#[cfg(any(test, feature = "magic-link"))]
pub(crate) fn only(object: &Map<String, Value>, names: &[&str]) -> bool {
    object.keys().all(|key| names.contains(&key.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_read_by_type_and_wrong_types_are_none() {
        let mut o = object(br#"{"a":"x","b":null,"c":1}"#).unwrap();
        assert!(only(&o, &["a", "b", "c"]) && !only(&o, &["a", "b"]));
        assert_eq!(opt_string(&mut o, "b"), Some(None));
        assert_eq!(opt_string(&mut o, "missing"), Some(None));
        assert_eq!(opt_string(&mut o, "c"), None);
        assert_eq!(string(&mut o, "a").as_deref(), Some("x"));
        assert_eq!(string(&mut o, "a"), None);
        assert_eq!(object(b"[1]"), None);
        assert_eq!(object(b"{"), None);
        assert_eq!(
            string_list(br#"["a","b"]"#),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(string_list(br#"["a",1]"#), None);
        assert_eq!(string_list(br#"{}"#), None);
    }
}
