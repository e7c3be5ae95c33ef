//! Exact-match routing under the base path: no trailing slashes, case-sensitive, as Better Auth
//! routes. Unknown paths and wrong methods are 404 with an empty body.

use http::Method;

use crate::error::ApiError;

/// A core endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
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
    /// `POST /update-user`
    UpdateUser,
    /// `POST /update-session`
    UpdateSession,
    /// `POST /change-email`
    ChangeEmail,
    /// `POST /delete-user`
    DeleteUser,
    /// `GET /delete-user/callback`
    DeleteUserCallback,
    /// `POST /change-password`
    ChangePassword,
    /// `POST /verify-password`
    VerifyPassword,
    /// `POST /request-password-reset`
    RequestPasswordReset,
    /// `GET /reset-password/:token`
    ResetPasswordCallback(&'a str),
    /// `POST /reset-password`
    ResetPassword,
    /// `POST /send-verification-email`
    SendVerificationEmail,
    /// `GET /verify-email`
    VerifyEmail,
    /// `POST /sign-in/social`
    SignInSocial,
    /// `GET /callback/:provider`
    Callback(&'a str),
    /// `POST /callback/:provider` (form_post)
    CallbackPost(&'a str),
    /// `GET /list-accounts`
    ListAccounts,
    /// `POST /unlink-account`
    UnlinkAccount,
    /// `POST /link-social`
    LinkSocial,
    /// `POST /get-access-token`
    GetAccessToken,
    /// `POST /refresh-token`
    RefreshToken,
    /// `GET /account-info`
    AccountInfo,
}

impl<'a> Route<'a> {
    /// The endpoint for a method and a path relative to the base path (`/sign-in/email`).
    pub fn find(method: &Method, path: &'a str) -> Result<Route<'a>, ApiError> {
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
            "/update-user" => (Route::UpdateUser, Method::POST),
            "/update-session" => (Route::UpdateSession, Method::POST),
            "/change-email" => (Route::ChangeEmail, Method::POST),
            "/delete-user" => (Route::DeleteUser, Method::POST),
            "/delete-user/callback" => (Route::DeleteUserCallback, Method::GET),
            "/change-password" => (Route::ChangePassword, Method::POST),
            "/verify-password" => (Route::VerifyPassword, Method::POST),
            "/request-password-reset" => (Route::RequestPasswordReset, Method::POST),
            "/reset-password" => (Route::ResetPassword, Method::POST),
            "/send-verification-email" => (Route::SendVerificationEmail, Method::POST),
            "/verify-email" => (Route::VerifyEmail, Method::GET),
            "/sign-in/social" => (Route::SignInSocial, Method::POST),
            "/list-accounts" => (Route::ListAccounts, Method::GET),
            "/unlink-account" => (Route::UnlinkAccount, Method::POST),
            "/link-social" => (Route::LinkSocial, Method::POST),
            "/get-access-token" => (Route::GetAccessToken, Method::POST),
            "/refresh-token" => (Route::RefreshToken, Method::POST),
            "/account-info" => (Route::AccountInfo, Method::GET),
            other => {
                let param = |prefix: &str| {
                    other
                        .strip_prefix(prefix)
                        .filter(|t| !t.is_empty() && !t.contains('/'))
                };
                if let Some(token) = param("/reset-password/") {
                    (Route::ResetPasswordCallback(token), Method::GET)
                } else if let Some(provider) = param("/callback/") {
                    if *method == Method::POST {
                        (Route::CallbackPost(provider), Method::POST)
                    } else {
                        (Route::Callback(provider), Method::GET)
                    }
                } else {
                    return Err(ApiError::NotFound);
                }
            }
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

    /// GET endpoints whose `?callbackURL=` Better Auth validates (`originCheck`).
    pub fn checks_query_callback(self) -> bool {
        matches!(
            self,
            Route::VerifyEmail | Route::ResetPasswordCallback(_) | Route::DeleteUserCallback
        )
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
