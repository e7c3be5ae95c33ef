//! `POST /send-verification-email` and `GET /verify-email`, with Better Auth's tokens: an HS256
//! JWT `{email, userId, iat, exp}` keyed with the secret, so a link minted by either server
//! verifies on the other. Change-email links carry `updateTo` and a `requestType`.

use serde_json::{Map, Value};

use super::{api_base, append_query, json, send_mail, Reply};
use crate::context::Ctx;
use crate::cookies::encode_uri_component;
use crate::crypto::jwt::{self, JwtError};
use crate::error::ApiError;
use crate::http::body::{is_email, Validator};
use crate::mail::MailKind;
use crate::session::{self, new_session, set_session_cookie, Read};
use crate::store::users::{self, User};

/// The verification JWT Better Auth's `createEmailVerificationToken` makes.
pub fn token(ctx: &Ctx, email: &str, update_to: Option<&str>, extra: &[(&str, &str)]) -> String {
    let mut claims = Map::new();
    claims.insert("email".into(), email.to_lowercase().into());
    if let Some(update_to) = update_to {
        claims.insert("updateTo".into(), update_to.to_lowercase().into());
    }
    for (key, value) in extra {
        claims.insert((*key).into(), (*value).into());
    }
    jwt::sign(
        claims,
        ctx.secret,
        ctx.now,
        ctx.config.email_verification.expires_in,
    )
}

/// `<base>/verify-email?token=…&callbackURL=…` for a token.
pub fn link(ctx: &Ctx, token: &str, callback_url: Option<&str>) -> String {
    format!(
        "{}/verify-email?token={token}&callbackURL={}",
        api_base(ctx),
        encode_uri_component(callback_url.unwrap_or("/"))
    )
}

/// Sends the verification mail for `user` (sign-up, sign-in, and the endpoint).
pub async fn send_verification_mail(ctx: &Ctx<'_>, user: &User, callback_url: Option<&str>) {
    let token = token(ctx, &user.email, None, &[("userId", &user.id)]);
    send_mail(
        ctx,
        MailKind::VerifyEmail,
        &user.email,
        &link(ctx, &token, callback_url),
        &token,
    )
    .await;
}

const VERIFICATION_EMAIL_NOT_ENABLED: ApiError = ApiError::Coded(
    http::StatusCode::BAD_REQUEST,
    "VERIFICATION_EMAIL_NOT_ENABLED",
    "Verification email isn't enabled",
);

/// `POST /send-verification-email {email, callbackURL?}`.
pub async fn send_verification_email(
    ctx: &mut Ctx<'_>,
    body: &Option<Value>,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(body);
    let email = v.email("email");
    let callback_url = v.opt_string("callbackURL");
    v.finish()?;
    if !ctx.mailer.enabled() {
        return Err(VERIFICATION_EMAIL_NOT_ENABLED);
    }
    let email = email.unwrap_or_default().to_lowercase();
    match session::current(ctx, Read::default()).await? {
        None => {
            if let Some(user) = users::find_by_email(ctx.sql, ctx.user_fields, &email).await? {
                if !user.email_verified {
                    send_verification_mail(ctx, &user, callback_url).await;
                }
            }
        }
        Some(current) => {
            if current.user.email.to_lowercase() != email {
                return Err(ApiError::Coded(
                    http::StatusCode::BAD_REQUEST,
                    "EMAIL_MISMATCH",
                    "Email mismatch",
                ));
            }
            if current.user.email_verified {
                return Err(ApiError::Coded(
                    http::StatusCode::BAD_REQUEST,
                    "EMAIL_ALREADY_VERIFIED",
                    "Email is already verified",
                ));
            }
            send_verification_mail(ctx, &current.user, callback_url).await;
        }
    }
    Ok(Reply::Json(r#"{"status":true}"#.to_owned()))
}

const INVALID_TOKEN: (&str, &str) = ("INVALID_TOKEN", "Invalid token");
const TOKEN_EXPIRED: (&str, &str) = ("TOKEN_EXPIRED", "Token expired");
const USER_NOT_FOUND: (&str, &str) = ("USER_NOT_FOUND", "User not found");
const INVALID_USER: (&str, &str) = ("INVALID_USER", "Invalid user");

/// `GET /verify-email?token=…&callbackURL=…`.
pub async fn verify_email(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let token = ctx.query_param("token").map(str::to_owned);
    let callback_url = ctx.query_param("callbackURL").map(str::to_owned);
    let Some(token) = token else {
        return Err(ApiError::Validation(
            "[query.token] Invalid input: expected string, received undefined".into(),
        ));
    };
    // An error is a redirect to the callback with `?error=CODE` when there is one, else 401.
    let fail = |(code, message): (&'static str, &'static str)| match &callback_url {
        Some(url) => Ok(Reply::Redirect(append_query(url, &[("error", code)]))),
        None => Err(ApiError::Coded(
            http::StatusCode::UNAUTHORIZED,
            code,
            message,
        )),
    };
    let claims = match jwt::verify(&token, ctx.secret, ctx.now) {
        Ok(claims) => claims,
        Err(JwtError::Expired) => return fail(TOKEN_EXPIRED),
        Err(JwtError::Invalid) => return fail(INVALID_TOKEN),
    };
    let text = |key: &str| claims.get(key).and_then(Value::as_str).map(str::to_owned);
    let Some(email) = text("email").filter(|e| is_email(e)) else {
        return fail(INVALID_TOKEN);
    };
    let user_id = text("userId");

    if let Some(update_to) = text("updateTo") {
        let Some(user_id) = user_id else {
            return fail(INVALID_TOKEN);
        };
        let Some(bound) = users::find_by_id(ctx.sql, ctx.user_fields, &user_id).await? else {
            return fail(USER_NOT_FOUND);
        };
        if bound.email.to_lowercase() != email {
            return fail(INVALID_TOKEN);
        }
        let current = session::current(ctx, Read::default()).await?;
        if current.as_ref().is_some_and(|c| c.user.id != bound.id) {
            return fail(INVALID_USER);
        }
        // Portcullis sends change-email links straight to the new address (Better Auth's
        // `change-email-verification`); the confirmation step to the old address is not offered.
        let verified = text("requestType").as_deref() == Some("change-email-verification")
            && bound.email_verified;
        let updated = User {
            email: update_to.clone(),
            email_verified: verified,
            updated_at: ctx.now,
            ..bound
        };
        if let Err(error) = ctx.sql.query(users::update(&updated)).await {
            return if error.unique_violation {
                fail(INVALID_TOKEN)
            } else {
                Err(error.into())
            };
        }
        session::user_changed(ctx, &updated.id);
        if text("requestType").as_deref() != Some("change-email-verification") {
            // A plain change: the new address still needs its own verification.
            send_verification_mail(ctx, &updated, callback_url.as_deref()).await;
        }
        if let Some(current) = current {
            let user = User {
                email: update_to,
                email_verified: verified,
                ..current.user
            };
            set_session_cookie(ctx, &current.session, &user, None);
        }
        if let Some(url) = callback_url {
            return Ok(Reply::Redirect(url));
        }
        #[derive(serde::Serialize)]
        struct Changed<'a> {
            status: bool,
            user: &'a User,
        }
        return json(&Changed {
            status: true,
            user: &updated,
        });
    }

    let Some(user) = users::find_by_email(ctx.sql, ctx.user_fields, &email).await? else {
        return fail(USER_NOT_FOUND);
    };
    if user_id.is_some_and(|id| id != user.id) {
        return fail(INVALID_TOKEN);
    }
    if !user.email_verified {
        let verified = User {
            email_verified: true,
            updated_at: ctx.now,
            ..user
        };
        ctx.sql.query(users::update(&verified)).await?;
        session::user_changed(ctx, &verified.id);
        if ctx
            .config
            .email_verification
            .auto_sign_in_after_verification
        {
            let current = session::current(ctx, Read::default()).await?;
            match current.filter(|c| c.user.email == email) {
                Some(current) => set_session_cookie(ctx, &current.session, &verified, None),
                None => {
                    let new = new_session(ctx, &verified.id, false);
                    ctx.sql.query(new.insert()).await?;
                    set_session_cookie(ctx, &new, &verified, None);
                }
            }
        }
    }
    match callback_url {
        Some(url) => Ok(Reply::Redirect(url)),
        None => Ok(Reply::Json(r#"{"status":true,"user":null}"#.to_owned())),
    }
}
