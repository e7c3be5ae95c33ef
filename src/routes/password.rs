//! Passwords of signed-in users (`change-password`, `verify-password`) and the emailed reset
//! (`request-password-reset`, `GET /reset-password/:token`, `POST /reset-password`).
//!
//! The reset token is single-use even under races: the password write and the token's deletion
//! are one batch whose writes only apply while the token row still exists.

use serde::Serialize;
use serde_json::Value;

use super::{api_base, json, redirect_url, send_mail, Reply};
use crate::context::Ctx;
use crate::cookies::encode_uri_component;
use crate::crypto::{generate_id, random_string, ALPHANUMERIC};
use crate::error::ApiError;
use crate::http::body::{js_length, Validator};
use crate::mail::MailKind;
use crate::session::{self, new_session, set_session_cookie, Read};
use crate::store::users::{self, User};
use crate::store::{accounts, sessions, verifications, Statement};
use crate::time::to_iso;

const INVALID_PASSWORD: ApiError = ApiError::Coded(
    http::StatusCode::BAD_REQUEST,
    "INVALID_PASSWORD",
    "Invalid password",
);
const INVALID_TOKEN: ApiError = ApiError::Coded(
    http::StatusCode::BAD_REQUEST,
    "INVALID_TOKEN",
    "Invalid token",
);
const CREDENTIAL_ACCOUNT_NOT_FOUND: ApiError = ApiError::Coded(
    http::StatusCode::BAD_REQUEST,
    "CREDENTIAL_ACCOUNT_NOT_FOUND",
    "Credential account not found",
);

/// The length rule every new password passes (8 to 128 UTF-16 units by default).
pub fn check_new_password(ctx: &Ctx, password: &str) -> Result<(), ApiError> {
    let length = js_length(password);
    if length < ctx.config.email_and_password.min_password_length {
        return Err(ApiError::PASSWORD_TOO_SHORT);
    }
    if length > ctx.config.email_and_password.max_password_length {
        return Err(ApiError::PASSWORD_TOO_LONG);
    }
    Ok(())
}

/// Checks `password` against the user's credential password; `Ok(account id)` when it matches.
pub async fn check_password(
    ctx: &Ctx<'_>,
    user_id: &str,
    password: &str,
) -> Result<String, ApiError> {
    if js_length(password) > ctx.config.email_and_password.max_password_length {
        return Err(ApiError::PASSWORD_TOO_LONG);
    }
    let Some((account_id, Some(hash))) = accounts::find_credential(ctx.sql, user_id).await? else {
        return Err(CREDENTIAL_ACCOUNT_NOT_FOUND);
    };
    if ctx.hasher.verify(&hash, password).await {
        Ok(account_id)
    } else {
        Err(INVALID_PASSWORD)
    }
}

/// `POST /change-password {currentPassword, newPassword, revokeOtherSessions?}`.
pub async fn change_password(ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
    let mut v = Validator::new(body);
    let new_password = v.string("newPassword");
    let current_password = v.string("currentPassword");
    let revoke = v.opt_bool("revokeOtherSessions").unwrap_or(false);
    v.finish()?;
    let (Some(new_password), Some(current_password)) = (new_password, current_password) else {
        return Err(ApiError::Validation("[body] Invalid input".into()));
    };
    let current = session::require(ctx, Read::AUTHORITATIVE).await?;
    check_new_password(ctx, new_password)?;
    let account_id = check_password(ctx, &current.user.id, current_password).await?;
    let hash = ctx.hasher.hash(new_password).await;
    let mut statements = Vec::new();
    let new = revoke.then(|| new_session(ctx, &current.user.id, false));
    if revoke {
        statements.push(sessions::delete_for_user(&current.user.id));
    }
    statements.push(accounts::update_password(&account_id, &hash, ctx.now));
    statements.extend(new.as_ref().map(|s| s.insert()));
    let mut results = ctx.sql.batch(statements).await?;
    if let Some(new) = &new {
        session::forget(ctx, results.swap_remove(0));
        session::forget_user(ctx, &current.user.id);
        set_session_cookie(ctx, new, &current.user, None);
    }
    #[derive(Serialize)]
    struct Changed<'a> {
        token: Option<&'a str>,
        user: &'a User,
    }
    json(&Changed {
        token: new.as_ref().map(|s| s.token.as_str()),
        user: &current.user,
    })
}

/// `POST /verify-password {password}` → `{status: true}` or 400 `INVALID_PASSWORD`.
pub async fn verify_password(ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
    let mut v = Validator::new(body);
    let password = v.string("password");
    v.finish()?;
    let current = session::require(ctx, Read::AUTHORITATIVE).await?;
    check_password(ctx, &current.user.id, password.unwrap_or_default()).await?;
    Ok(Reply::Json(r#"{"status":true}"#.to_owned()))
}

const RESET_MESSAGE: &str = r#"{"status":true,"message":"If this email exists in our system, check your email for the reset link"}"#;

/// `POST /request-password-reset {email, redirectTo?}`: the same answer for every address.
pub async fn request_password_reset(
    ctx: &mut Ctx<'_>,
    body: &Option<Value>,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(body);
    let email = v.email("email");
    let redirect_to = v.opt_string("redirectTo");
    v.finish()?;
    if !ctx.mailer.enabled() {
        return Err(ApiError::Coded(
            http::StatusCode::BAD_REQUEST,
            "RESET_PASSWORD_DISABLED",
            "Reset password isn't enabled",
        ));
    }
    let email = email.unwrap_or_default().to_lowercase();
    let Some(user) = users::find_by_email(ctx.sql, ctx.user_fields, &email).await? else {
        return Ok(Reply::Json(RESET_MESSAGE.to_owned()));
    };
    let token = random_string(24, ALPHANUMERIC);
    let expires_at = ctx.now
        + ctx
            .config
            .email_and_password
            .reset_password_token_expires_in as i64
            * 1000;
    ctx.sql
        .query(verifications::insert(
            &format!("reset-password:{token}"),
            &user.id,
            expires_at,
            ctx.now,
        ))
        .await?;
    let url = format!(
        "{}/reset-password/{token}?callbackURL={}",
        api_base(ctx),
        redirect_to.map(encode_uri_component).unwrap_or_default()
    );
    send_mail(ctx, MailKind::ResetPassword, &user.email, &url, &token).await;
    Ok(Reply::Json(RESET_MESSAGE.to_owned()))
}

/// `GET /reset-password/:token?callbackURL=…` → 302 to the callback with `?token=` (or
/// `?error=INVALID_TOKEN`).
pub async fn reset_password_callback(ctx: &mut Ctx<'_>, token: &str) -> Result<Reply, ApiError> {
    let Some(callback_url) = ctx.query_param("callbackURL").map(str::to_owned) else {
        return Err(ApiError::Validation(
            "[query.callbackURL] Invalid input: expected string, received undefined".into(),
        ));
    };
    // An empty callback (a reset requested without `redirectTo`) goes to the error page, as in
    // Better Auth, even for a valid token.
    if callback_url.is_empty() {
        let error_page = format!("{}/error", api_base(ctx));
        return Ok(Reply::Redirect(super::append_query(
            &error_page,
            &[("error", "INVALID_TOKEN")],
        )));
    }
    let valid = !token.is_empty()
        && verifications::find(ctx.sql, &format!("reset-password:{token}"))
            .await?
            .is_some_and(|v| v.expires_at >= ctx.now);
    let params = if valid {
        [("token", token)]
    } else {
        [("error", "INVALID_TOKEN")]
    };
    Ok(Reply::Redirect(redirect_url(ctx, &callback_url, &params)))
}

/// `POST /reset-password {newPassword, token}` (the token may also come as `?token=`).
pub async fn reset_password(ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
    let mut v = Validator::new(body);
    let new_password = v.string("newPassword");
    let body_token = v.opt_string("token");
    v.finish()?;
    let token = body_token
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .or_else(|| ctx.query_param("token").map(str::to_owned));
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(INVALID_TOKEN);
    };
    let new_password = new_password.unwrap_or_default();
    check_new_password(ctx, new_password)?;
    let identifier = format!("reset-password:{token}");
    let Some(verification) = verifications::find(ctx.sql, &identifier)
        .await?
        .filter(|v| v.expires_at >= ctx.now)
    else {
        return Err(INVALID_TOKEN);
    };
    let user_id = verification.value.clone();
    if users::find_by_id(ctx.sql, ctx.user_fields, &user_id)
        .await?
        .is_none()
    {
        return Err(ApiError::Coded(
            http::StatusCode::BAD_REQUEST,
            "USER_NOT_FOUND",
            "User not found",
        ));
    }
    let hash = ctx.hasher.hash(new_password).await;
    let now = to_iso(ctx.now);
    // Every write applies only while the token row exists; deleting it is the last statement, and
    // its RETURNING tells whether this request was the one that spent it.
    let mut statements = Vec::new();
    if ctx
        .config
        .email_and_password
        .revoke_sessions_on_password_reset
    {
        statements.push(Statement::new(
            r#"DELETE FROM "session" WHERE "userId" = ? AND EXISTS (SELECT 1 FROM "verification" WHERE "id" = ?) RETURNING "token""#,
            vec![user_id.clone().into(), verification.id.clone().into()],
        ));
    }
    statements.push(Statement::new(
        r#"UPDATE "account" SET "password" = ?, "updatedAt" = ? WHERE "userId" = ? AND "providerId" = 'credential' AND EXISTS (SELECT 1 FROM "verification" WHERE "id" = ?)"#,
        vec![hash.clone().into(), now.clone().into(), user_id.clone().into(), verification.id.clone().into()],
    ));
    statements.push(Statement::new(
        r#"INSERT INTO "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt") SELECT ?, ?, 'credential', ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM "account" WHERE "userId" = ? AND "providerId" = 'credential') AND EXISTS (SELECT 1 FROM "verification" WHERE "id" = ?)"#,
        vec![
            generate_id().into(),
            user_id.clone().into(),
            user_id.clone().into(),
            hash.into(),
            now.clone().into(),
            now.into(),
            user_id.clone().into(),
            verification.id.clone().into(),
        ],
    ));
    statements.push(Statement::new(
        r#"DELETE FROM "verification" WHERE "id" = ? RETURNING "id""#,
        vec![verification.id.into()],
    ));
    let revoke = statements.len() == 4;
    let mut results = ctx.sql.batch(statements).await?;
    if results.last().is_none_or(|rows| rows.is_empty()) {
        return Err(INVALID_TOKEN);
    }
    if revoke {
        session::forget(ctx, results.swap_remove(0));
        session::forget_user(ctx, &user_id);
    }
    Ok(Reply::Json(r#"{"status":true}"#.to_owned()))
}
