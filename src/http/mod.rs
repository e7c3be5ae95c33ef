//! From an `http::Request` to an `http::Response`: routing, body parsing, the origin checks,
//! then the endpoint; and the one place where an endpoint's [`Reply`] or [`ApiError`] becomes a
//! status, headers and body.
//!
//! Order of checks, as Better Auth's: unknown route (404) → media type (415) → JSON syntax
//! (400) → origin / CSRF (403) → callback URLs (403) → the endpoint's own validation.

use bytes::Bytes;
use http::{header, HeaderValue, Method, Response, StatusCode};

use crate::context::Ctx;
use crate::error::ApiError;
use crate::plugins::{Endpoint, Plugin, Plugins};
use crate::routes::{
    account, email_password, email_verification, misc, password, sessions, social, user, Reply,
};

pub mod body;
pub mod origin;
pub mod rate_limit;
mod router;

pub use router::Route;

/// What the dispatcher needs besides the context.
pub struct Site<'a> {
    /// The trusted origins.
    pub trusted: &'a origin::TrustedOrigins,
    /// The base URL's origin.
    pub base_origin: &'a str,
    /// The plugins, whose hooks run around every endpoint.
    pub plugins: &'a Plugins,
}

/// What a request was routed to.
pub enum Target<'a> {
    /// A core endpoint.
    Core(Route<'a>),
    /// A plugin's endpoint.
    Plugin(&'a dyn Plugin, Endpoint),
}

/// Runs one routed request through the checks, the plugins' before-hooks, its endpoint and the
/// plugins' after-hooks. `path` is relative to the base path.
pub async fn dispatch(
    ctx: &mut Ctx<'_>,
    site: &Site<'_>,
    method: &Method,
    path: &str,
    target: Target<'_>,
    raw_body: &[u8],
) -> Result<Reply, ApiError> {
    let mut body = if *method == Method::POST {
        body::parse(ctx.header("content-type"), raw_body)?
    } else {
        None
    };
    origin::check_request(method, ctx.headers, site.trusted, site.base_origin)?;
    let (is_form, checks_query_callback) = match &target {
        Target::Core(route) => (route.is_form(), route.checks_query_callback()),
        Target::Plugin(_, endpoint) => (endpoint.form, *method == Method::GET),
    };
    if is_form {
        origin::check_form(ctx.headers, site.trusted, site.base_origin)?;
    }
    if *method != Method::GET || checks_query_callback {
        origin::check_callback_urls(body.as_ref(), ctx.query_param("callbackURL"), site.trusted)?;
    }
    if let (Target::Plugin(..), true) = (&target, *method == Method::GET) {
        // Plugin GET endpoints (magic-link/verify) take every redirect target in the query.
        let query: serde_json::Map<String, serde_json::Value> = ctx
            .query
            .iter()
            .filter(|(k, _)| k == "errorCallbackURL" || k == "newUserCallbackURL")
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        origin::check_callback_urls(Some(&query.into()), None, site.trusted)?;
    }
    let mut answered = None;
    for plugin in site.plugins.iter() {
        if let Some(reply) = plugin.before(ctx, path, &mut body).await? {
            answered = Some(reply);
            break;
        }
    }
    let mut outcome = match answered {
        Some(reply) => Ok(reply),
        None => match target {
            Target::Core(route) => core(ctx, route, &body).await,
            Target::Plugin(plugin, _) => plugin.call(ctx, path, &body).await,
        },
    };
    for plugin in site.plugins.iter() {
        outcome = plugin.after(ctx, path, &body, outcome).await;
    }
    outcome
}

async fn core(
    ctx: &mut Ctx<'_>,
    route: Route<'_>,
    body: &Option<serde_json::Value>,
) -> Result<Reply, ApiError> {
    match route {
        Route::Ok => Ok(misc::ok()),
        Route::Error => Ok(misc::error_page(ctx)),
        Route::SignUpEmail => email_password::sign_up(ctx, body).await,
        Route::SignInEmail => email_password::sign_in(ctx, body).await,
        Route::SignOut => sessions::sign_out(ctx, body).await,
        Route::GetSession => sessions::get_session(ctx).await,
        Route::ListSessions => sessions::list_sessions(ctx).await,
        Route::RevokeSession => sessions::revoke_session(ctx, body).await,
        Route::RevokeSessions => sessions::revoke_sessions(ctx).await,
        Route::RevokeOtherSessions => sessions::revoke_other_sessions(ctx).await,
        Route::UpdateUser => user::update_user(ctx, body).await,
        Route::UpdateSession => user::update_session(ctx, body).await,
        Route::ChangeEmail => user::change_email(ctx, body).await,
        Route::DeleteUser => user::delete_user(ctx, body).await,
        Route::DeleteUserCallback => user::delete_user_callback(ctx).await,
        Route::ChangePassword => password::change_password(ctx, body).await,
        Route::VerifyPassword => password::verify_password(ctx, body).await,
        Route::RequestPasswordReset => password::request_password_reset(ctx, body).await,
        Route::ResetPasswordCallback(token) => password::reset_password_callback(ctx, token).await,
        Route::ResetPassword => password::reset_password(ctx, body).await,
        Route::SendVerificationEmail => {
            email_verification::send_verification_email(ctx, body).await
        }
        Route::VerifyEmail => email_verification::verify_email(ctx).await,
        Route::SignInSocial => social::sign_in_social(ctx, body).await,
        Route::Callback(provider) => social::callback(ctx, provider).await,
        Route::CallbackPost(provider) => Ok(social::callback_post(ctx, provider, body)),
        Route::ListAccounts => account::list_accounts(ctx).await,
        Route::UnlinkAccount => account::unlink_account(ctx, body).await,
        Route::LinkSocial => account::link_social(ctx, body).await,
        Route::GetAccessToken => account::get_access_token(ctx, body).await,
        Route::RefreshToken => account::refresh_token(ctx, body).await,
        Route::AccountInfo => account::account_info(ctx).await,
    }
}

const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// Turns an outcome and the context's cookies and headers into the response.
pub fn respond(ctx: Ctx<'_>, outcome: Result<Reply, ApiError>) -> Response<Bytes> {
    let (status, content_type, body) = match outcome {
        Ok(Reply::Json(json)) => (StatusCode::OK, Some(JSON), Bytes::from(json)),
        Ok(Reply::Html(html)) => (
            StatusCode::OK,
            Some(HeaderValue::from_static("text/html")),
            Bytes::from(html),
        ),
        Ok(Reply::Redirect(location)) => {
            let mut response = Response::new(Bytes::new());
            *response.status_mut() = StatusCode::FOUND;
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            return finish(ctx, response);
        }
        Err(ApiError::NotFoundJson) => (StatusCode::NOT_FOUND, Some(JSON), Bytes::new()),
        Err(error) => match error.body() {
            Some(json) => (error.status(), Some(JSON), Bytes::from(json)),
            None => (error.status(), None, Bytes::new()),
        },
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    if let Some(content_type) = content_type {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type);
    }
    finish(ctx, response)
}

fn finish(ctx: Ctx<'_>, mut response: Response<Bytes>) -> Response<Bytes> {
    let headers = response.headers_mut();
    for (name, value) in ctx.response_headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    for (_, cookie) in ctx.set_cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

/// The empty-bodied 404 for a path outside the API or an unknown route.
pub fn not_found() -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}
