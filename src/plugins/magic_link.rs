//! `magicLink()`: `POST /sign-in/magic-link` mails a link, `GET /magic-link/verify` signs its
//! owner in (WIRE.md §3.18), as Better Auth 1.7.25's magic-link plugin does.
//!
//! The token is 32 letters, stored plain as verification `magic-link:<token>` with
//! `{"type":"magic-link","email":…,"name":…}`, for `expiresIn` (300 s), consumed atomically on the
//! first use. Unknown addresses are signed up (verified), unless `disableSignUp`. Errors redirect
//! to `errorCallbackURL` (or `callbackURL`, or `/`) with `?error=INVALID_TOKEN`, even without a
//! callback. Better Auth's `generateToken`, hashed token storage and `metadata` callbacks are not
//! offered. Mail goes out through `email` as kind `magic-link`.

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;

use super::{sign_in_proven_email, Endpoint, Plugin, ProvenSignIn};
use crate::config::MagicLinkOptions;
use crate::context::Ctx;
use crate::crypto::random_string;
use crate::error::ApiError;
use crate::http::body::{is_email, Validator};
use crate::http::rate_limit::Rule;
use crate::mail::MailKind;
use crate::routes::{api_base, append_query, json, redirect_url, send_mail, Reply};
use crate::store::verifications;

const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The verification value, as Better Auth writes and reads it (`strict`: no other keys).
#[derive(Serialize)]
struct Record {
    #[serde(rename = "type")]
    kind: String,
    email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

impl Record {
    /// Reads a stored value: `type` and `email`, `name` absent or `null` or text, nothing else.
    fn parse(json: &[u8]) -> Option<Record> {
        use crate::store::json;
        let mut o = json::object(json)?;
        if !json::only(&o, &["type", "email", "name"]) {
            return None;
        }
        Some(Record {
            kind: json::string(&mut o, "type")?,
            email: json::string(&mut o, "email")?,
            name: json::opt_string(&mut o, "name")?,
        })
    }
}

/// The magic-link plugin.
pub struct MagicLink {
    options: MagicLinkOptions,
}

impl MagicLink {
    /// With these options.
    pub fn new(options: MagicLinkOptions) -> Self {
        MagicLink { options }
    }

    async fn send(&self, ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
        let mut v = Validator::new(body);
        let email = v.email("email");
        let name = v.opt_string("name");
        let callback_url = v.opt_string("callbackURL");
        let new_user_callback_url = v.opt_string("newUserCallbackURL");
        let error_callback_url = v.opt_string("errorCallbackURL");
        v.finish()?;
        let Some(email) = email else {
            return Err(ApiError::Validation(
                "[body.email] Invalid email address".into(),
            ));
        };
        let token = random_string(32, LETTERS);
        let record = Record {
            kind: "magic-link".into(),
            email: email.to_owned(),
            name: name.map(str::to_owned),
        };
        let value =
            serde_json::to_string(&record).map_err(|e| ApiError::Internal(e.to_string()))?;
        let expires_at = ctx.now + self.options.expires_in as i64 * 1000;
        ctx.sql
            .query(verifications::insert(
                &format!("magic-link:{token}"),
                &value,
                expires_at,
                ctx.now,
            ))
            .await?;
        let mut params = vec![
            ("token", token.as_str()),
            ("callbackURL", callback_url.unwrap_or("/")),
        ];
        if let Some(url) = new_user_callback_url.filter(|u| !u.is_empty()) {
            params.push(("newUserCallbackURL", url));
        }
        if let Some(url) = error_callback_url.filter(|u| !u.is_empty()) {
            params.push(("errorCallbackURL", url));
        }
        let url = append_query(&format!("{}/magic-link/verify", api_base(ctx)), &params);
        send_mail(ctx, MailKind::MagicLink, email, &url, &token).await;
        Ok(Reply::Json(r#"{"status":true}"#.to_owned()))
    }

    async fn verify(&self, ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
        let Some(token) = ctx.query_param("token").map(str::to_owned) else {
            return Err(ApiError::Validation(
                "[query.token] Invalid input: expected string, received undefined".into(),
            ));
        };
        let param = |name| {
            ctx.query_param(name)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let callback = param("callbackURL");
        let error_callback = param("errorCallbackURL");
        let new_user_callback = param("newUserCallbackURL");
        let callback_url = redirect_url(ctx, callback.as_deref().unwrap_or("/"), &[]);
        let fail = |ctx: &Ctx, error: &str| {
            let target = error_callback.as_deref().unwrap_or(&callback_url);
            Ok(Reply::Redirect(redirect_url(
                ctx,
                target,
                &[("error", error)],
            )))
        };
        let consumed =
            verifications::consume_by_identifier(ctx.sql, &format!("magic-link:{token}")).await?;
        let record = consumed
            .filter(|v| v.expires_at > ctx.now)
            .and_then(|v| Record::parse(v.value.as_bytes()))
            .filter(|r| r.kind == "magic-link" && is_email(&r.email));
        let Some(record) = record else {
            return fail(ctx, "INVALID_TOKEN");
        };
        let outcome = sign_in_proven_email(
            ctx,
            &record.email,
            record.name.as_deref(),
            !self.options.disable_sign_up,
        )
        .await?;
        let ProvenSignIn::SignedIn {
            session,
            user,
            new_user,
        } = outcome
        else {
            return fail(ctx, "new_user_signup_disabled");
        };
        if callback.is_none() {
            #[derive(Serialize)]
            struct Verified<'a> {
                token: &'a str,
                user: &'a crate::store::users::User,
                session: &'a crate::store::sessions::Session,
            }
            return json(&Verified {
                token: &session.token,
                user: &user,
                session: &session,
            });
        }
        let target = match (new_user, new_user_callback) {
            (true, Some(url)) => redirect_url(ctx, &url, &[]),
            _ => callback_url,
        };
        Ok(Reply::Redirect(target))
    }
}

#[async_trait(?Send)]
impl Plugin for MagicLink {
    fn id(&self) -> &'static str {
        "magic-link"
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        vec![
            Endpoint::post("/sign-in/magic-link").form(),
            Endpoint::get("/magic-link/verify"),
        ]
    }

    async fn call(
        &self,
        ctx: &mut Ctx<'_>,
        path: &str,
        body: &Option<Value>,
    ) -> Result<Reply, ApiError> {
        match path {
            "/sign-in/magic-link" => self.send(ctx, body).await,
            "/magic-link/verify" => self.verify(ctx).await,
            _ => Err(ApiError::NotFound),
        }
    }

    fn rate_limit_rules(&self) -> Vec<Rule> {
        vec![Rule {
            matches: |path| {
                path.starts_with("/sign-in/magic-link") || path.starts_with("/magic-link/verify")
            },
            window: 60,
            max: 5,
        }]
    }
}
