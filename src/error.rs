//! `ApiError`: every failure an endpoint can answer, mapped to Better Auth's HTTP status and
//! `{code, message}` body in exactly one place ([`ApiError::status`], [`ApiError::body`]).
//!
//! Codes and messages are Better Auth 1.7.25's (`BASE_ERROR_CODES`), so the official clients'
//! error handling keeps working. Internal failures (a database that does not answer) are the only
//! 500s, and their detail never reaches the response body.

use std::borrow::Cow;
use std::fmt;

use http::StatusCode;

/// An error answer of the API.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiError {
    /// A Better Auth error code with its message: status, `CODE`, "message".
    Coded(StatusCode, &'static str, &'static str),
    /// 400 `VALIDATION_ERROR` with zod's text, e.g. `[body.email] Invalid email address`.
    Validation(String),
    /// 400 `BAD_REQUEST` "Invalid JSON in request body".
    InvalidJson,
    /// 415 `UNSUPPORTED_MEDIA_TYPE` for a content type other than JSON or a form.
    UnsupportedMediaType(String),
    /// A Better Auth error code with a message that names something (`Provider x is not
    /// supported.`).
    CodedText(StatusCode, &'static str, String),
    /// A message without a code, as Better Auth sends a few (`No fields to update`).
    Uncoded(StatusCode, Cow<'static, str>),
    /// 404 with an empty body and no content type: unknown route or wrong method.
    NotFound,
    /// 404 with an empty body but a JSON content type: a route whose feature is off.
    NotFoundJson,
    /// A storage or host failure; the detail is kept for the host's log, never sent.
    Internal(String),
}

macro_rules! codes {
    ($($name:ident = $status:ident, $code:literal, $message:literal;)*) => {
        impl ApiError {
            $(
                #[doc = $message]
                pub const $name: ApiError = ApiError::Coded(StatusCode::$status, $code, $message);
            )*
        }
    };
}

codes! {
    USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL = UNPROCESSABLE_ENTITY, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "User already exists. Use another email.";
    PASSWORD_TOO_SHORT = BAD_REQUEST, "PASSWORD_TOO_SHORT", "Password too short";
    PASSWORD_TOO_LONG = BAD_REQUEST, "PASSWORD_TOO_LONG", "Password too long";
    INVALID_EMAIL = BAD_REQUEST, "INVALID_EMAIL", "Invalid email";
    INVALID_EMAIL_OR_PASSWORD = UNAUTHORIZED, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password";
    INVALID_CALLBACK_URL = FORBIDDEN, "INVALID_CALLBACK_URL", "Invalid callbackURL";
    INVALID_REDIRECT_URL = FORBIDDEN, "INVALID_REDIRECT_URL", "Invalid redirectURL";
    INVALID_ERROR_CALLBACK_URL = FORBIDDEN, "INVALID_ERROR_CALLBACK_URL", "Invalid errorCallbackURL";
    INVALID_NEW_USER_CALLBACK_URL = FORBIDDEN, "INVALID_NEW_USER_CALLBACK_URL", "Invalid newUserCallbackURL";
    INVALID_ORIGIN = FORBIDDEN, "INVALID_ORIGIN", "Invalid origin";
    MISSING_OR_NULL_ORIGIN = FORBIDDEN, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin";
    CROSS_SITE_NAVIGATION_LOGIN_BLOCKED = FORBIDDEN, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED", "Cross-site navigation login blocked. This request appears to be a CSRF attack.";
    UNAUTHORIZED = UNAUTHORIZED, "UNAUTHORIZED", "Unauthorized";
    SESSION_NOT_FRESH = FORBIDDEN, "SESSION_NOT_FRESH", "Session is not fresh";
    FAILED_TO_CREATE_USER = UNPROCESSABLE_ENTITY, "FAILED_TO_CREATE_USER", "Failed to create user";
    FAILED_TO_CREATE_SESSION = BAD_REQUEST, "FAILED_TO_CREATE_SESSION", "Failed to create session";
    EMAIL_NOT_VERIFIED = FORBIDDEN, "EMAIL_NOT_VERIFIED", "Email not verified";
    METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED = METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED", "POST method requires deferSessionRefresh to be enabled in session config";
    BODY_MUST_BE_AN_OBJECT = BAD_REQUEST, "BODY_MUST_BE_AN_OBJECT", "Body must be an object";
    SIGN_UP_DISABLED = BAD_REQUEST, "EMAIL_PASSWORD_SIGN_UP_DISABLED", "Email and password sign up is not enabled";
    EMAIL_PASSWORD_DISABLED = BAD_REQUEST, "EMAIL_PASSWORD_DISABLED", "Email and password is not enabled";
    PROVIDER_NOT_FOUND = NOT_FOUND, "PROVIDER_NOT_FOUND", "Provider not found";
    ID_TOKEN_NOT_SUPPORTED = NOT_FOUND, "ID_TOKEN_NOT_SUPPORTED", "id_token not supported";
    INVALID_TOKEN = UNAUTHORIZED, "INVALID_TOKEN", "Invalid token";
    FAILED_TO_GET_USER_INFO = UNAUTHORIZED, "FAILED_TO_GET_USER_INFO", "Failed to get user info";
    USER_EMAIL_NOT_FOUND = UNAUTHORIZED, "USER_EMAIL_NOT_FOUND", "User email not found";
    FAILED_TO_UNLINK_LAST_ACCOUNT = BAD_REQUEST, "FAILED_TO_UNLINK_LAST_ACCOUNT", "You can't unlink your last account";
    ACCOUNT_NOT_FOUND = BAD_REQUEST, "ACCOUNT_NOT_FOUND", "Account not found";
    SOCIAL_ACCOUNT_ALREADY_LINKED = CONFLICT, "SOCIAL_ACCOUNT_ALREADY_LINKED", "Social account already linked";
}

impl ApiError {
    /// The HTTP status of this answer.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Coded(status, ..)
            | ApiError::CodedText(status, ..)
            | ApiError::Uncoded(status, _) => *status,
            ApiError::Validation(_) | ApiError::InvalidJson => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NotFound | ApiError::NotFoundJson => StatusCode::NOT_FOUND,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `code` field, when Better Auth sends one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Coded(_, code, _) | ApiError::CodedText(_, code, _) => Some(code),
            ApiError::Validation(_) => Some("VALIDATION_ERROR"),
            ApiError::InvalidJson => Some("BAD_REQUEST"),
            ApiError::UnsupportedMediaType(_) => Some("UNSUPPORTED_MEDIA_TYPE"),
            ApiError::Internal(_) => Some("INTERNAL_SERVER_ERROR"),
            ApiError::Uncoded(..) | ApiError::NotFound | ApiError::NotFoundJson => None,
        }
    }

    /// The JSON body (`{"message", "code"}`), or `None` for the empty-bodied 404.
    pub fn body(&self) -> Option<String> {
        let message = match self {
            ApiError::Coded(_, _, message) => (*message).to_owned(),
            ApiError::CodedText(_, _, message) => message.clone(),
            ApiError::Uncoded(_, message) => message.to_string(),
            ApiError::Validation(text) => text.clone(),
            ApiError::InvalidJson => "Invalid JSON in request body".to_owned(),
            ApiError::UnsupportedMediaType(kind) if kind.is_empty() => {
                "Content-Type is required. Allowed types: application/x-www-form-urlencoded, application/json".to_owned()
            }
            ApiError::UnsupportedMediaType(kind) => format!(
                "Content-Type \"{kind}\" is not allowed. Allowed types: application/x-www-form-urlencoded, application/json"
            ),
            ApiError::Internal(_) => "Internal Server Error".to_owned(),
            ApiError::NotFound | ApiError::NotFoundJson => return None,
        };
        #[derive(serde::Serialize)]
        struct Body<'a> {
            message: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            code: Option<&'a str>,
        }
        Some(
            serde_json::to_string(&Body {
                message: &message,
                code: self.code(),
            })
            .unwrap_or_default(),
        )
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Internal(detail) => write!(f, "internal error: {detail}"),
            other => write!(
                f,
                "{} {}",
                other.status().as_u16(),
                other.body().unwrap_or_default()
            ),
        }
    }
}

impl std::error::Error for ApiError {}

impl From<crate::store::SqlError> for ApiError {
    fn from(error: crate::store::SqlError) -> Self {
        ApiError::Internal(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coded_error_body_has_message_then_code() {
        assert_eq!(
            ApiError::INVALID_EMAIL_OR_PASSWORD.body().unwrap(),
            r#"{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}"#
        );
        assert_eq!(ApiError::INVALID_EMAIL_OR_PASSWORD.status(), 401);
    }

    #[test]
    fn uncoded_error_body_has_no_code_and_not_found_has_no_body() {
        let e = ApiError::Uncoded(StatusCode::BAD_REQUEST, "No fields to update".into());
        assert_eq!(e.body().unwrap(), r#"{"message":"No fields to update"}"#);
        assert_eq!(ApiError::NotFound.body(), None);
    }

    #[test]
    fn internal_error_detail_is_not_in_the_body() {
        let e = ApiError::Internal("secret table exploded".into());
        assert!(!e.body().unwrap().contains("secret"));
    }
}
