//! Core endpoints, one module per family. Each endpoint is an async function from the request
//! context (and its parsed body) to a [`Reply`]; routing, body parsing and origin checks happen
//! before, in `http`.

use serde::Serialize;

use crate::error::ApiError;

pub mod account;
pub mod email_password;
pub mod email_verification;
pub mod id_token;
pub mod misc;
pub mod password;
pub mod sessions;
pub mod social;
pub mod user;

/// What an endpoint answers (besides the cookies and headers it left in the context).
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// 200 with a JSON body.
    Json(String),
    /// 200 with an HTML page.
    Html(String),
    /// 302 to a location, empty body.
    Redirect(String),
}

/// 200 with `value` as JSON.
pub fn json<T: Serialize>(value: &T) -> Result<Reply, ApiError> {
    // Room for a get-session answer (~500 bytes) up front: growing from serde_json's 128 bytes
    // reallocated twice on every request.
    let mut out = Vec::with_capacity(1024);
    serde_json::to_writer(&mut out, value).map_err(|e| ApiError::Internal(e.to_string()))?;
    String::from_utf8(out)
        .map(Reply::Json)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// `<baseURL><basePath>`: where links in mail point (Better Auth's `ctx.context.baseURL`).
pub fn api_base(ctx: &crate::context::Ctx) -> String {
    format!("{}{}", ctx.config.base_url, ctx.config.base_path)
}

/// Renders and sends one mail. A delivery failure is logged, not answered: the endpoints that
/// send mail answer the same whether or not an address exists, and a failing provider must not
/// turn into an oracle for that.
pub async fn send_mail(
    ctx: &crate::context::Ctx<'_>,
    kind: crate::mail::MailKind,
    to: &str,
    url: &str,
    token: &str,
) {
    let mail = crate::mail::Template::render(
        kind,
        to,
        url,
        token,
        &ctx.config.app_name,
        &ctx.config.email.templates,
    );
    if let Err(error) = ctx.mailer.send(&mail, ctx.http).await {
        (ctx.log)(&format!("mail ({}) not sent: {error}", kind.as_str()));
    }
}

/// `callbackURL` resolved against the base URL's origin (`new URL(callbackURL, baseURL)`), with
/// `params` (if any) set in its query, as Better Auth builds its redirects.
pub fn redirect_url(
    ctx: &crate::context::Ctx,
    callback_url: &str,
    params: &[(&str, &str)],
) -> String {
    let absolute = if crate::urls::origin(callback_url).is_some() {
        callback_url.to_owned()
    } else {
        let origin = crate::urls::origin(&ctx.config.base_url).unwrap_or_default();
        if callback_url.starts_with('/') {
            format!("{origin}{callback_url}")
        } else {
            format!("{origin}/{callback_url}")
        }
    };
    if params.is_empty() {
        return absolute;
    }
    append_query(&absolute, params)
}

/// Sets `params` in a URL's query (see [`crate::urls::append_query`]).
pub use crate::urls::append_query;
