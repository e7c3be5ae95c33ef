//! CSRF and open-redirect defences, as Better Auth's `originCheckMiddleware` and
//! `formCsrfMiddleware` apply them (WIRE.md §5):
//! - a non-GET request that carries any cookie must come from a trusted Origin (or Referer);
//! - the "form" endpoints (sign-in, sign-up) also refuse cross-site navigations and check the
//!   Origin whenever a browser sent Fetch Metadata or an Origin;
//! - `callbackURL`, `redirectTo`, `errorCallbackURL` and `newUserCallbackURL` must be relative
//!   paths on this site or on a trusted origin.

use http::{HeaderMap, Method};
use serde_json::Value;

use crate::error::ApiError;
use crate::urls::{matches_origin_pattern, origin};

/// The trusted origins: the base URL's origin, then the configured patterns.
#[derive(Debug, Clone)]
pub struct TrustedOrigins(pub Vec<String>);

impl TrustedOrigins {
    /// Whether `url` (absolute, or relative when allowed) is on a trusted origin.
    pub fn trusts(&self, url: &str, allow_relative: bool) -> bool {
        self.0
            .iter()
            .any(|pattern| matches_origin_pattern(url, pattern, allow_relative))
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `validateOrigin`: with a cookie (or when `force`d), the Origin — or, without one, the
/// Referer — must be present and trusted. `Origin: null` with `Sec-Fetch-Site: same-origin` is
/// taken as the request's own origin (`request_origin`).
pub fn validate_origin(
    headers: &HeaderMap,
    trusted: &TrustedOrigins,
    request_origin: &str,
    force: bool,
) -> Result<(), ApiError> {
    if !force && !headers.contains_key(http::header::COOKIE) {
        return Ok(());
    }
    let origin_header = header(headers, "origin");
    let inferred = (origin_header == Some("null")
        && header(headers, "sec-fetch-site") == Some("same-origin"))
    .then_some(request_origin);
    let to_validate = inferred
        .or(origin_header.filter(|o| !o.is_empty()))
        .or_else(|| header(headers, "referer"))
        .unwrap_or("");
    if to_validate.is_empty() || to_validate == "null" {
        return Err(ApiError::MISSING_OR_NULL_ORIGIN);
    }
    if !trusted.trusts(to_validate, false) {
        return Err(ApiError::INVALID_ORIGIN);
    }
    Ok(())
}

/// The origin check every state-changing request passes, before its endpoint runs.
pub fn check_request(
    method: &Method,
    headers: &HeaderMap,
    trusted: &TrustedOrigins,
    request_origin: &str,
) -> Result<(), ApiError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    validate_origin(headers, trusted, request_origin, false)
}

/// `formCsrfMiddleware` for sign-in and sign-up.
pub fn check_form(
    headers: &HeaderMap,
    trusted: &TrustedOrigins,
    request_origin: &str,
) -> Result<(), ApiError> {
    if headers.contains_key(http::header::COOKIE) {
        return validate_origin(headers, trusted, request_origin, false);
    }
    let non_blank = |name| header(headers, name).filter(|v| !v.trim().is_empty());
    let (site, mode, dest) = (
        non_blank("sec-fetch-site"),
        non_blank("sec-fetch-mode"),
        non_blank("sec-fetch-dest"),
    );
    if site.is_some() || mode.is_some() || dest.is_some() {
        if site == Some("cross-site") && mode == Some("navigate") {
            return Err(ApiError::CROSS_SITE_NAVIGATION_LOGIN_BLOCKED);
        }
        return validate_origin(headers, trusted, request_origin, true);
    }
    if non_blank("origin").is_some() || non_blank("referer").is_some() {
        return validate_origin(headers, trusted, request_origin, true);
    }
    Ok(())
}

/// Validates the redirect targets a body (or query) names. Non-string values are a 400.
pub fn check_callback_urls(
    body: Option<&Value>,
    query_callback: Option<&str>,
    trusted: &TrustedOrigins,
) -> Result<(), ApiError> {
    let field = |name: &str| body.and_then(|b| b.get(name));
    let checks: [(&str, Option<&Value>, ApiError); 4] = [
        (
            "callbackURL",
            field("callbackURL"),
            ApiError::INVALID_CALLBACK_URL,
        ),
        (
            "redirectURL",
            field("redirectTo"),
            ApiError::INVALID_REDIRECT_URL,
        ),
        (
            "errorCallbackURL",
            field("errorCallbackURL"),
            ApiError::INVALID_ERROR_CALLBACK_URL,
        ),
        (
            "newUserCallbackURL",
            field("newUserCallbackURL"),
            ApiError::INVALID_NEW_USER_CALLBACK_URL,
        ),
    ];
    for (i, (label, value, error)) in checks.into_iter().enumerate() {
        let value = match (i, value) {
            (0, None | Some(Value::Null)) => query_callback.map(|q| Value::String(q.to_owned())),
            (_, v) => v.cloned(),
        };
        match value {
            None | Some(Value::Null) | Some(Value::Bool(false)) => {}
            Some(Value::String(s)) if s.is_empty() => {}
            Some(Value::String(url)) => {
                if !trusted.trusts(&url, true) {
                    return Err(error);
                }
            }
            Some(_) => {
                return Err(ApiError::Uncoded(
                    http::StatusCode::BAD_REQUEST,
                    format!("Invalid {label}: expected a string").into(),
                ));
            }
        }
    }
    Ok(())
}

/// The origin the request was sent to, from the base URL.
pub fn base_origin(base_url: &str) -> String {
    origin(base_url).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted() -> TrustedOrigins {
        TrustedOrigins(vec!["http://127.0.0.1:3100".into()])
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    const SELF: &str = "http://127.0.0.1:3100";

    #[test]
    fn cookie_bearing_post_needs_a_trusted_origin() {
        let t = trusted();
        let post = Method::POST;
        assert_eq!(
            check_request(&post, &headers(&[("cookie", "foo=bar")]), &t, SELF),
            Err(ApiError::MISSING_OR_NULL_ORIGIN)
        );
        assert_eq!(
            check_request(
                &post,
                &headers(&[("cookie", "a=b"), ("origin", "null")]),
                &t,
                SELF
            ),
            Err(ApiError::MISSING_OR_NULL_ORIGIN)
        );
        assert_eq!(
            check_request(
                &post,
                &headers(&[("cookie", "a=b"), ("origin", "https://evil.example.com")]),
                &t,
                SELF
            ),
            Err(ApiError::INVALID_ORIGIN)
        );
        assert_eq!(
            check_request(
                &post,
                &headers(&[("cookie", "a=b"), ("origin", "http://127.0.0.1:3100/")]),
                &t,
                SELF
            ),
            Ok(())
        );
        assert_eq!(
            check_request(
                &post,
                &headers(&[("cookie", "a=b"), ("referer", "http://127.0.0.1:3100/page")]),
                &t,
                SELF
            ),
            Ok(())
        );
        assert_eq!(
            check_request(
                &post,
                &headers(&[
                    ("cookie", "a=b"),
                    ("origin", "null"),
                    ("sec-fetch-site", "same-origin")
                ]),
                &t,
                SELF
            ),
            Ok(())
        );
        assert_eq!(
            check_request(
                &Method::GET,
                &headers(&[("cookie", "a=b"), ("origin", "https://evil.example.com")]),
                &t,
                SELF
            ),
            Ok(())
        );
        assert_eq!(
            check_request(
                &post,
                &headers(&[("origin", "https://evil.example.com")]),
                &t,
                SELF
            ),
            Ok(())
        );
    }

    #[test]
    fn form_endpoints_block_cross_site_navigation_and_check_browser_origins() {
        let t = trusted();
        assert_eq!(
            check_form(
                &headers(&[
                    ("sec-fetch-site", "cross-site"),
                    ("sec-fetch-mode", "navigate")
                ]),
                &t,
                SELF
            ),
            Err(ApiError::CROSS_SITE_NAVIGATION_LOGIN_BLOCKED)
        );
        assert_eq!(
            check_form(
                &headers(&[("sec-fetch-site", "cross-site"), ("sec-fetch-mode", "cors")]),
                &t,
                SELF
            ),
            Err(ApiError::MISSING_OR_NULL_ORIGIN)
        );
        assert_eq!(
            check_form(
                &headers(&[("origin", "https://evil.example.com")]),
                &t,
                SELF
            ),
            Err(ApiError::INVALID_ORIGIN)
        );
        assert_eq!(
            check_form(
                &headers(&[("referer", "https://evil.example.com/x")]),
                &t,
                SELF
            ),
            Err(ApiError::INVALID_ORIGIN)
        );
        assert_eq!(check_form(&headers(&[]), &t, SELF), Ok(()));
        assert_eq!(
            check_form(
                &headers(&[
                    ("sec-fetch-site", "same-origin"),
                    ("origin", "http://127.0.0.1:3100")
                ]),
                &t,
                SELF
            ),
            Ok(())
        );
    }

    #[test]
    fn callback_urls_must_be_relative_or_trusted() {
        let t = trusted();
        let body = |v: Value| Some(v);
        assert_eq!(
            check_callback_urls(
                body(serde_json::json!({"callbackURL": "/welcome"})).as_ref(),
                None,
                &t
            ),
            Ok(())
        );
        assert_eq!(
            check_callback_urls(
                body(serde_json::json!({"callbackURL": "http://127.0.0.1:3100/x"})).as_ref(),
                None,
                &t
            ),
            Ok(())
        );
        for bad in [
            "//evil.example.com",
            "javascript:alert(1)",
            "https://evil.example.com/",
        ] {
            assert_eq!(
                check_callback_urls(
                    body(serde_json::json!({"callbackURL": bad})).as_ref(),
                    None,
                    &t
                ),
                Err(ApiError::INVALID_CALLBACK_URL)
            );
        }
        assert_eq!(
            check_callback_urls(
                body(serde_json::json!({"redirectTo": "//evil.com"})).as_ref(),
                None,
                &t
            ),
            Err(ApiError::INVALID_REDIRECT_URL)
        );
        assert_eq!(
            check_callback_urls(None, Some("https://evil.example.com"), &t),
            Err(ApiError::INVALID_CALLBACK_URL)
        );
    }
}
