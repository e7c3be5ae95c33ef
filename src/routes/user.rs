//! The signed-in user's own record: `update-user`, `change-email`, `delete-user` (with password,
//! a fresh session, or an emailed link) and its `GET /delete-user/callback`, and `update-session`.

use serde_json::Value;

use super::{api_base, send_mail, Reply};
use crate::context::Ctx;
use crate::cookies::encode_uri_component;
use crate::crypto::{random_string, ALPHANUMERIC};
use crate::error::ApiError;
use crate::http::body::Validator;
use crate::mail::MailKind;
use crate::routes::email_verification;
use crate::routes::password::check_password;
use crate::session::{self, delete_session_cookie, set_session_cookie, Read};
use crate::store::users::{self, User};
use crate::store::{accounts, sessions, verifications};

const NO_FIELDS: &str = "No fields to update";

fn body_object(body: &Option<Value>) -> Result<&serde_json::Map<String, Value>, ApiError> {
    match body {
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err(ApiError::BODY_MUST_BE_AN_OBJECT),
        None => Err(ApiError::Validation(
            "[body] Invalid input: expected record, received undefined".into(),
        )),
    }
}

/// `POST /update-user {name?, image?, <plugin input fields>?}` → `{status: true}`; re-sets the session cookies.
pub async fn update_user(ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
    let map = body_object(body)?;
    let current = session::require(ctx, Read::default()).await?;
    if map
        .get("email")
        .is_some_and(|e| !e.is_null() && e != "" && e != &Value::Bool(false))
    {
        return Err(ApiError::Coded(
            http::StatusCode::BAD_REQUEST,
            "EMAIL_CAN_NOT_BE_UPDATED",
            "Email can not be updated",
        ));
    }
    let name = match map.get("name") {
        None => None,
        Some(Value::String(name)) => Some(name.clone()),
        Some(_) => {
            return Err(ApiError::Validation(
                "[body.name] Invalid input: expected string".into(),
            ))
        }
    };
    let image = match map.get("image") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(image)) => Some(Some(image.clone())),
        Some(_) => {
            return Err(ApiError::Validation(
                "[body.image] Invalid input: expected string".into(),
            ))
        }
    };
    let fields = crate::plugins::updated_user_fields(ctx.user_fields, body)?;
    if name.is_none() && image.is_none() && fields.is_empty() {
        return Err(ApiError::Uncoded(
            http::StatusCode::BAD_REQUEST,
            NO_FIELDS.into(),
        ));
    }
    let mut user = users::find_by_id(ctx.sql, ctx.user_fields, &current.user.id)
        .await?
        .ok_or(ApiError::UNAUTHORIZED)?;
    if let Some(name) = name {
        user.name = name;
    }
    if let Some(image) = image {
        user.image = image;
    }
    for (field, value) in fields {
        user.set_field(&field, value);
    }
    user.updated_at = ctx.now;
    ctx.sql.query(users::update(&user)).await?;
    session::user_changed(ctx, &user.id);
    set_session_cookie(ctx, &current.session, &user, None);
    Ok(Reply::Json(r#"{"status":true}"#.to_owned()))
}

/// `POST /update-session {...}`: Portcullis has no additional session fields, so every body is
/// Better Auth's 400 "No fields to update".
pub async fn update_session(ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
    body_object(body)?;
    session::require(ctx, Read::default()).await?;
    Err(ApiError::Uncoded(
        http::StatusCode::BAD_REQUEST,
        NO_FIELDS.into(),
    ))
}

/// `POST /change-email {newEmail, callbackURL?}` (with `user.changeEmail.enabled`): mails a link
/// to the new address; nothing changes until it is followed. A taken address gets the same answer
/// and no mail.
pub async fn change_email(ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
    let mut v = Validator::new(body);
    let new_email = v.email("newEmail");
    let callback_url = v.opt_string("callbackURL");
    v.finish()?;
    let current = session::require(ctx, Read::AUTHORITATIVE).await?;
    if !ctx.config.user.change_email.enabled {
        return Err(ApiError::Coded(
            http::StatusCode::BAD_REQUEST,
            "CHANGE_EMAIL_DISABLED",
            "Change email is disabled",
        ));
    }
    let new_email = new_email.unwrap_or_default().to_lowercase();
    if new_email == current.user.email {
        return Err(ApiError::Uncoded(
            http::StatusCode::BAD_REQUEST,
            "Email is the same".into(),
        ));
    }
    if !ctx.mailer.enabled() {
        return Err(ApiError::Uncoded(
            http::StatusCode::BAD_REQUEST,
            "Verification email isn't enabled".into(),
        ));
    }
    if users::find_by_email(ctx.sql, ctx.user_fields, &new_email)
        .await?
        .is_none()
    {
        let token = email_verification::token(
            ctx,
            &current.user.email,
            Some(&new_email),
            &[
                ("requestType", "change-email-verification"),
                ("userId", &current.user.id),
            ],
        );
        let url = email_verification::link(ctx, &token, callback_url);
        send_mail(ctx, MailKind::ChangeEmail, &new_email, &url, &token).await;
    }
    Ok(Reply::Json(r#"{"status":true}"#.to_owned()))
}

const USER_DELETED: &str = r#"{"success":true,"message":"User deleted"}"#;

async fn delete_account(ctx: &mut Ctx<'_>, user: &User) -> Result<(), ApiError> {
    let mut results = ctx
        .sql
        .batch(vec![
            sessions::delete_for_user(&user.id),
            accounts::delete_for_user(&user.id),
            users::delete(&user.id),
        ])
        .await?;
    session::forget(ctx, results.swap_remove(0));
    session::forget_user(ctx, &user.id);
    delete_session_cookie(ctx, false);
    Ok(())
}

async fn delete_with_token(ctx: &mut Ctx<'_>, user: &User, token: &str) -> Result<(), ApiError> {
    let invalid = ApiError::Coded(
        http::StatusCode::NOT_FOUND,
        "INVALID_TOKEN",
        "Invalid token",
    );
    let identifier = format!("delete-account-{token}");
    let Some(found) = verifications::find(ctx.sql, &identifier).await? else {
        return Err(invalid);
    };
    if found.expires_at < ctx.now
        || !verifications::consume(ctx.sql, &found.id).await?
        || found.value != user.id
    {
        return Err(invalid);
    }
    delete_account(ctx, user).await
}

/// `POST /delete-user {password?, token?, callbackURL?}` (with `user.deleteUser.enabled`).
pub async fn delete_user(ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
    let mut v = Validator::optional(body);
    let callback_url = v.opt_string("callbackURL");
    let password = v.opt_string("password");
    let token = v.opt_string("token");
    v.finish()?;
    let current = session::require(ctx, Read::AUTHORITATIVE).await?;
    if !ctx.config.user.delete_user.enabled {
        return Err(ApiError::NotFoundJson);
    }
    if let Some(password) = password.filter(|p| !p.is_empty()) {
        check_password(ctx, &current.user.id, password).await?;
    }
    if let Some(token) = token.filter(|t| !t.is_empty()) {
        delete_with_token(ctx, &current.user, token).await?;
        return Ok(Reply::Json(USER_DELETED.to_owned()));
    }
    let options = &ctx.config.user.delete_user;
    if options.send_delete_account_verification {
        let token = random_string(32, &ALPHANUMERIC[26..]).to_lowercase();
        let expires_at = ctx.now + options.delete_token_expires_in as i64 * 1000;
        ctx.sql
            .query(verifications::insert(
                &format!("delete-account-{token}"),
                &current.user.id,
                expires_at,
                ctx.now,
            ))
            .await?;
        let url = format!(
            "{}/delete-user/callback?token={token}&callbackURL={}",
            api_base(ctx),
            encode_uri_component(callback_url.unwrap_or("/"))
        );
        send_mail(
            ctx,
            MailKind::DeleteAccount,
            &current.user.email,
            &url,
            &token,
        )
        .await;
        return Ok(Reply::Json(
            r#"{"success":true,"message":"Verification email sent"}"#.to_owned(),
        ));
    }
    let fresh_age = ctx.config.session.fresh_age as i64 * 1000;
    if password.is_none_or(str::is_empty)
        && fresh_age != 0
        && ctx.now - current.session.created_at >= fresh_age
    {
        return Err(ApiError::Coded(
            http::StatusCode::BAD_REQUEST,
            "SESSION_EXPIRED",
            "Session expired. Re-authenticate to perform this action.",
        ));
    }
    delete_account(ctx, &current.user).await?;
    Ok(Reply::Json(USER_DELETED.to_owned()))
}

/// `GET /delete-user/callback?token=…&callbackURL=…`: the emailed confirmation link.
pub async fn delete_user_callback(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    if !ctx.config.user.delete_user.enabled {
        return Err(ApiError::Coded(
            http::StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "Not found",
        ));
    }
    let Some(token) = ctx.query_param("token").map(str::to_owned) else {
        return Err(ApiError::Validation(
            "[query.token] Invalid input: expected string, received undefined".into(),
        ));
    };
    let callback_url = ctx.query_param("callbackURL").map(str::to_owned);
    let Some(current) = session::current(ctx, Read::AUTHORITATIVE).await? else {
        return Err(ApiError::Coded(
            http::StatusCode::NOT_FOUND,
            "FAILED_TO_GET_USER_INFO",
            "Failed to get user info",
        ));
    };
    delete_with_token(ctx, &current.user, &token).await?;
    match callback_url {
        Some(url) => Ok(Reply::Redirect(url)),
        None => Ok(Reply::Json(USER_DELETED.to_owned())),
    }
}
