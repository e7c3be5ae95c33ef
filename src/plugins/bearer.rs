//! `bearer()`: a session token in `Authorization: Bearer <token>` stands for the session cookie,
//! and every answer that sets a session cookie also carries it in `set-auth-token` (WIRE.md
//! §3.21), as Better Auth 1.7.25's bearer plugin does.
//!
//! The token is the signed cookie value (`token.signature`, raw or percent-encoded) or, unless
//! `requireSignature`, the bare session token. A bad signature is ignored (the request is then
//! signed out). It takes precedence over a session cookie in the same request. A request with a
//! bearer token and no `Cookie` header is not subject to the origin check, which guards cookies.

use std::borrow::Cow;

use super::Plugin;
use crate::config::BearerOptions;
use crate::context::Ctx;
use crate::cookies;
use async_trait::async_trait;

/// The bearer plugin.
pub struct Bearer {
    options: BearerOptions,
}

impl Bearer {
    /// With these options.
    pub fn new(options: BearerOptions) -> Self {
        Bearer { options }
    }

    /// The signed session token `Authorization` carries, if it carries a valid one.
    fn token_from(&self, ctx: &Ctx) -> Option<String> {
        let header = ctx.header("authorization")?;
        let scheme = header.get(..7)?;
        if !scheme.eq_ignore_ascii_case("bearer ") {
            return None;
        }
        let token = header[7..].trim();
        if token.is_empty() {
            return None;
        }
        let signed = if token.contains('.') {
            if token.contains('%') {
                cookies::decode_uri_component(token)
                    .map_or_else(|| token.to_owned(), Cow::into_owned)
            } else {
                token.to_owned()
            }
        } else {
            if self.options.require_signature {
                return None;
            }
            cookies::signed_raw(token, ctx.secret)
        };
        cookies::unsign(&signed, ctx.secret)?;
        Some(signed)
    }
}

#[async_trait(?Send)]
impl Plugin for Bearer {
    fn id(&self) -> &'static str {
        "bearer"
    }

    async fn on_request(&self, ctx: &mut Ctx<'_>) {
        let Some(signed) = self.token_from(ctx) else {
            return;
        };
        let name = ctx.auth_cookies.session_token.clone();
        ctx.request_cookies.retain(|(n, _)| *n != name);
        ctx.request_cookies.insert(0, (name.into(), signed.into()));
    }

    fn on_response(&self, ctx: &mut Ctx<'_>) {
        let name = &ctx.auth_cookies.session_token;
        let prefix = format!("{name}=");
        let Some(value) = ctx
            .set_cookies
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, set_cookie)| set_cookie.strip_prefix(&prefix))
            .map(|rest| rest.split(';').next().unwrap_or_default())
            .filter(|v| !v.is_empty())
            .map(|v| {
                cookies::decode_uri_component(v).map_or_else(|| v.to_owned(), Cow::into_owned)
            })
        else {
            return;
        };
        super::set_exposed_header(ctx, "set-auth-token", value);
    }
}
