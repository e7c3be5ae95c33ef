//! Exact-match routing under the base path: no trailing slashes, case-sensitive, as Better Auth
//! routes. Unknown paths and wrong methods are 404 with an empty body.

use http::Method;

use crate::error::ApiError;

/// A core endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /sign-up/email`
    SignUpEmail,
    /// `POST /sign-in/email`
    SignInEmail,
    /// `POST /sign-out`
    SignOut,
    /// `GET /get-session`
    GetSession,
    /// `GET /list-sessions`
    ListSessions,
    /// `POST /revoke-session`
    RevokeSession,
    /// `POST /revoke-sessions`
    RevokeSessions,
    /// `POST /revoke-other-sessions`
    RevokeOtherSessions,
    /// `GET /ok`
    Ok,
    /// `GET /error`
    Error,
}

impl Route {
    /// The endpoint for a method and a path relative to the base path (`/sign-in/email`).
    pub fn find(method: &Method, path: &str) -> Result<Route, ApiError> {
        let (route, allowed) = match path {
            "/sign-up/email" => (Route::SignUpEmail, Method::POST),
            "/sign-in/email" => (Route::SignInEmail, Method::POST),
            "/sign-out" => (Route::SignOut, Method::POST),
            "/get-session" => {
                if *method == Method::POST {
                    return Err(ApiError::METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED);
                }
                (Route::GetSession, Method::GET)
            }
            "/list-sessions" => (Route::ListSessions, Method::GET),
            "/revoke-session" => (Route::RevokeSession, Method::POST),
            "/revoke-sessions" => (Route::RevokeSessions, Method::POST),
            "/revoke-other-sessions" => (Route::RevokeOtherSessions, Method::POST),
            "/ok" => (Route::Ok, Method::GET),
            "/error" => (Route::Error, Method::GET),
            _ => return Err(ApiError::NotFound),
        };
        if *method == allowed {
            Ok(route)
        } else {
            Err(ApiError::NotFound)
        }
    }

    /// Endpoints guarded by Better Auth's `formCsrfMiddleware`.
    pub fn is_form(self) -> bool {
        matches!(self, Route::SignUpEmail | Route::SignInEmail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_exactly_and_wrong_methods_are_not_found() {
        assert_eq!(Route::find(&Method::GET, "/ok"), Ok(Route::Ok));
        assert_eq!(Route::find(&Method::GET, "/ok/"), Err(ApiError::NotFound));
        assert_eq!(Route::find(&Method::GET, "/OK"), Err(ApiError::NotFound));
        assert_eq!(Route::find(&Method::POST, "/ok"), Err(ApiError::NotFound));
        assert_eq!(Route::find(&Method::HEAD, "/ok"), Err(ApiError::NotFound));
        assert_eq!(
            Route::find(&Method::GET, "/sign-in/email"),
            Err(ApiError::NotFound)
        );
        assert_eq!(
            Route::find(&Method::DELETE, "/get-session"),
            Err(ApiError::NotFound)
        );
        assert_eq!(
            Route::find(&Method::POST, "/get-session"),
            Err(ApiError::METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED)
        );
        assert_eq!(
            Route::find(&Method::GET, "/forget-password"),
            Err(ApiError::NotFound)
        );
    }
}
