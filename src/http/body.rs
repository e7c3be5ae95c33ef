//! Request bodies as better-call reads them (JSON or `application/x-www-form-urlencoded`, 415 for
//! anything else) and a small validator that words its failures as zod does, so
//! `VALIDATION_ERROR` messages match Better Auth's (`[body.email] Invalid email address`).

use serde_json::{Map, Value};

use crate::error::ApiError;

/// Parses a request body. `Ok(None)` is JavaScript's `undefined` (no body at all).
pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Option<Value>, ApiError> {
    if body.is_empty() {
        return Ok(None);
    }
    let content_type = content_type.unwrap_or("");
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media_type.as_str() {
        "application/json" => serde_json::from_slice(body)
            .map(Some)
            .map_err(|_| ApiError::InvalidJson),
        "application/x-www-form-urlencoded" => {
            let mut map = Map::new();
            for (key, value) in form_urlencoded::parse(body) {
                map.insert(key.into_owned(), Value::String(value.into_owned()));
            }
            Ok(Some(Value::Object(map)))
        }
        "" => Err(ApiError::UnsupportedMediaType(String::new())),
        _ => Err(ApiError::UnsupportedMediaType(content_type.to_owned())),
    }
}

/// zod's name for a JSON value's type in "expected X, received Y".
pub fn received(value: Option<&Value>) -> &'static str {
    match value {
        None => "undefined",
        Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "boolean",
        Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Array(_)) => "array",
        Some(Value::Object(_)) => "object",
    }
}

/// Reads fields of a body object, collecting zod-worded issues in schema order.
pub struct Validator<'a> {
    map: Option<&'a Map<String, Value>>,
    issues: Vec<String>,
}

impl<'a> Validator<'a> {
    /// Starts on a body that must be an object.
    pub fn new(body: &'a Option<Value>) -> Self {
        match body {
            Some(Value::Object(map)) => Validator {
                map: Some(map),
                issues: Vec::new(),
            },
            other => Validator {
                map: None,
                issues: vec![format!(
                    "[body] Invalid input: expected object, received {}",
                    received(other.as_ref())
                )],
            },
        }
    }

    /// Starts on a body that may be absent (`z.object({}).optional()`).
    pub fn optional(body: &'a Option<Value>) -> Self {
        match body {
            None => Validator {
                map: None,
                issues: Vec::new(),
            },
            some => Validator::new(some),
        }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.and_then(|m| m.get(key))
    }

    /// Records a validation issue for `key` (`[body.<key>] <text>`).
    pub fn issue(&mut self, key: &str, text: impl std::fmt::Display) {
        if self.map.is_some() {
            self.issues.push(format!("[body.{key}] {text}"));
        }
    }

    /// A required string.
    pub fn string(&mut self, key: &str) -> Option<&'a str> {
        match self.get(key) {
            Some(Value::String(s)) => Some(s),
            other => {
                self.issue(
                    key,
                    format_args!(
                        "Invalid input: expected string, received {}",
                        received(other)
                    ),
                );
                None
            }
        }
    }

    /// A required, non-empty string (`z.string().nonempty()`).
    pub fn nonempty_string(&mut self, key: &str) -> Option<&'a str> {
        let value = self.string(key)?;
        if value.is_empty() {
            self.issue(key, "Too small: expected string to have >=1 characters");
            return None;
        }
        Some(value)
    }

    /// An optional string (`undefined` allowed, `null` is not).
    pub fn opt_string(&mut self, key: &str) -> Option<&'a str> {
        match self.get(key) {
            None => None,
            Some(Value::String(s)) => Some(s),
            other => {
                self.issue(
                    key,
                    format_args!(
                        "Invalid input: expected string, received {}",
                        received(other)
                    ),
                );
                None
            }
        }
    }

    /// An optional boolean.
    pub fn opt_bool(&mut self, key: &str) -> Option<bool> {
        match self.get(key) {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            other => {
                self.issue(
                    key,
                    format_args!(
                        "Invalid input: expected boolean, received {}",
                        received(other)
                    ),
                );
                None
            }
        }
    }

    /// A required email address (`z.email()`).
    pub fn email(&mut self, key: &str) -> Option<&'a str> {
        let value = self.string(key)?;
        if !is_email(value) {
            self.issue(key, "Invalid email address");
            return None;
        }
        Some(value)
    }

    /// `Err(VALIDATION_ERROR)` with every issue joined by `"; "`, or `Ok`.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.issues.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.issues.join("; ")))
        }
    }
}

/// zod 4's email pattern:
/// `^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-\.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$`.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    if text.starts_with('.') || text.contains("..") || local.is_empty() {
        return false;
    }
    let local_ok = local
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_'+-.".contains(&b))
        && local
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b"_+-".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let Some((tld, hosts)) = labels.split_last() else {
        return false;
    };
    local_ok
        && !hosts.is_empty()
        && hosts.iter().all(|l| {
            l.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && tld.len() >= 2
        && tld.bytes().all(|b| b.is_ascii_alphabetic())
}

/// JavaScript's `string.length`: UTF-16 code units, which is what Better Auth's password length
/// limits count.
pub fn js_length(text: &str) -> usize {
    text.encode_utf16().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_form_and_other_media_types_are_told_apart() {
        assert_eq!(
            parse(Some("application/json; charset=utf-8"), br#"{"a":1}"#).unwrap(),
            Some(serde_json::json!({"a":1}))
        );
        assert_eq!(
            parse(
                Some("application/x-www-form-urlencoded"),
                b"email=a%40b.co&x=1"
            )
            .unwrap(),
            Some(serde_json::json!({"email":"a@b.co","x":"1"}))
        );
        assert_eq!(parse(Some("application/json"), b"").unwrap(), None);
        assert_eq!(
            parse(Some("application/json"), b"{\"email\":").unwrap_err(),
            ApiError::InvalidJson
        );
        assert_eq!(
            parse(Some("text/plain"), b"{}")
                .unwrap_err()
                .body()
                .unwrap(),
            r#"{"message":"Content-Type \"text/plain\" is not allowed. Allowed types: application/x-www-form-urlencoded, application/json","code":"UNSUPPORTED_MEDIA_TYPE"}"#
        );
    }

    #[test]
    fn validation_messages_are_worded_and_joined_as_zod_does() {
        let body = Some(serde_json::json!({"email": 123, "password": true}));
        let mut v = Validator::new(&body);
        v.string("email");
        v.string("password");
        assert_eq!(
            v.finish().unwrap_err(),
            ApiError::Validation("[body.email] Invalid input: expected string, received number; [body.password] Invalid input: expected string, received boolean".into())
        );
        let body = Some(serde_json::json!([1, 2]));
        let mut v = Validator::new(&body);
        v.string("email");
        assert_eq!(
            v.finish().unwrap_err(),
            ApiError::Validation("[body] Invalid input: expected object, received array".into())
        );
        let mut v = Validator::new(&None);
        v.string("email");
        assert_eq!(
            v.finish().unwrap_err(),
            ApiError::Validation(
                "[body] Invalid input: expected object, received undefined".into()
            )
        );
    }

    #[test]
    fn email_rule_is_zods() {
        for ok in [
            "a@b.co",
            "first.last+tag@sub.example.com",
            "o'neil@example.org",
            "MiXeD@Example.COM",
        ] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "not-an-email",
            "a@b",
            "a@b.c",
            ".a@b.co",
            "a..b@b.co",
            "a.@b.co",
            "a@-b.co",
            "a@b.c0m",
            "a b@c.co",
            "",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn password_length_counts_utf16_units_like_javascript() {
        assert_eq!(js_length("password"), 8);
        assert_eq!(js_length("😀"), 2);
    }
}
