//! Session endpoints: get-session, list-sessions, the three revokes, and sign-out.

use serde_json::Value;

use super::{json, Reply};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::http::body::Validator;
use crate::session::{self, delete_session_cookie, Read};
use crate::store::sessions as store;

/// `GET /get-session?disableCookieCache&disableRefresh` → `{session, user}` or `null`.
pub async fn get_session(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    ctx.set_header(http::header::CACHE_CONTROL, "no-store");
    ctx.set_header(http::header::PRAGMA, "no-cache");
    let read = Read {
        disable_cookie_cache: ctx.query_flag("disableCookieCache"),
        disable_refresh: ctx.query_flag("disableRefresh"),
        ..Read::LOOKUP
    };
    match session::current(ctx, read).await? {
        Some(current) => json(&current),
        None => Ok(Reply::Json("null".to_owned())),
    }
}

/// `GET /list-sessions`: the user's unexpired sessions; needs a fresh session.
pub async fn list_sessions(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let current = session::require(ctx, Read::default()).await?;
    let fresh_age = ctx.config.session.fresh_age as i64 * 1000;
    if fresh_age != 0 && ctx.now - current.session.created_at >= fresh_age {
        return Err(ApiError::SESSION_NOT_FRESH);
    }
    let mut sessions = store::list_for_user(ctx.sql, &current.user.id).await?;
    sessions.retain(|s| s.expires_at > ctx.now);
    json(&sessions)
}

const STATUS_TRUE: &str = r#"{"status":true}"#;

/// `POST /revoke-session {token}`: deletes one of the user's own sessions (unknown tokens, and
/// other users' tokens, are answered the same and left alone).
pub async fn revoke_session(ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
    let mut v = Validator::new(body);
    let token = v.string("token");
    v.finish()?;
    let token = token.unwrap_or_default();
    let current = session::require(ctx, Read::AUTHORITATIVE).await?;
    let deleted = ctx
        .sql
        .query(store::delete_by_token_for_user(token, &current.user.id))
        .await?;
    session::forget(ctx, deleted);
    if token == current.session.token {
        delete_session_cookie(ctx, false);
    }
    Ok(Reply::Json(STATUS_TRUE.to_owned()))
}

/// `POST /revoke-sessions`: deletes every session of the user, this one included.
pub async fn revoke_sessions(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let current = session::require(ctx, Read::AUTHORITATIVE).await?;
    let deleted = ctx
        .sql
        .query(store::delete_for_user(&current.user.id))
        .await?;
    session::forget(ctx, deleted);
    session::forget_user(ctx, &current.user.id);
    delete_session_cookie(ctx, false);
    Ok(Reply::Json(STATUS_TRUE.to_owned()))
}

/// `POST /revoke-other-sessions`: deletes every session of the user but this one.
pub async fn revoke_other_sessions(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let current = session::require(ctx, Read::AUTHORITATIVE).await?;
    let deleted = ctx
        .sql
        .query(store::delete_others_for_user(
            &current.user.id,
            &current.session.token,
        ))
        .await?;
    session::forget(ctx, deleted);
    Ok(Reply::Json(STATUS_TRUE.to_owned()))
}

/// `POST /sign-out`: deletes the session (if any) and expires the session cookies.
pub async fn sign_out(ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
    Validator::optional(body).finish()?;
    let token = ctx
        .signed_cookie(&ctx.auth_cookies.session_token)
        .map(str::to_owned);
    if let Some(token) = token {
        ctx.sql.query(store::delete_by_token(&token)).await?;
        ctx.queue_kv(crate::store::secondary::Op::Forget(vec![token]));
    }
    delete_session_cookie(ctx, false);
    Ok(Reply::Json(r#"{"success":true}"#.to_owned()))
}
