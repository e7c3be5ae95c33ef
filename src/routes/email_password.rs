//! `POST /sign-up/email` and `POST /sign-in/email`.
//!
//! Passwords are hashed before any write and never inside a transaction (Better Auth hashes
//! inside its sign-up transaction and so blocks every other query meanwhile). Round trips:
//! sign-up one read and one write batch; sign-in one read and one write (the session insert,
//! batched with a rehash when the stored hash has other parameters).

use serde::Serialize;
use serde_json::Value;

use super::{json, Reply};
use crate::context::Ctx;
use crate::crypto::generate_id;
use crate::crypto::password::{self, dummy_hash};
use crate::error::ApiError;
use crate::http::body::{is_email, js_length, Validator};
use crate::routes::email_verification::send_verification_mail;
use crate::routes::password::check_new_password;
use crate::session::{new_session, set_session_cookie};
use crate::store::accounts;
use crate::store::users::{self, User};

#[derive(Serialize)]
struct SignUp<'a> {
    token: Option<&'a str>,
    user: &'a User,
}

/// `POST /sign-up/email` `{name, email, password, image?, callbackURL?, rememberMe?}`.
pub async fn sign_up(ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
    let options = &ctx.config.email_and_password;
    if !options.enabled || options.disable_sign_up {
        return Err(ApiError::SIGN_UP_DISABLED);
    }
    let mut v = Validator::new(body);
    let name = v.string("name");
    let email = v.email("email");
    let password = v.nonempty_string("password");
    let image = v.opt_string("image");
    let callback_url = v.opt_string("callbackURL");
    let remember_me = v.opt_bool("rememberMe");
    v.finish()?;
    let (Some(name), Some(email), Some(password)) = (name, email, password) else {
        return Err(ApiError::Validation("[body] Invalid input".into()));
    };
    check_new_password(ctx, password)?;
    let email = email.to_lowercase();

    let user = User {
        name: name.to_owned(),
        email,
        email_verified: false,
        image: image.map(str::to_owned),
        created_at: ctx.now,
        updated_at: ctx.now,
        fields: crate::plugins::new_user_fields(ctx.user_fields, body)?,
        id: generate_id(),
    };
    // Without auto sign-in (or with verification required) Better Auth does not reveal that an
    // address is taken: it does the same hashing work and answers with a synthetic user.
    let sign_in = options.auto_sign_in && !options.require_email_verification;
    if users::email_exists(ctx.sql, &user.email).await? {
        if sign_in {
            return Err(ApiError::USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL);
        }
        ctx.hasher.hash(password).await;
        return json(&SignUp {
            token: None,
            user: &user,
        });
    }
    let hash = ctx.hasher.hash(password).await;
    let dont_remember = remember_me == Some(false);
    let session = sign_in.then(|| new_session(ctx, &user.id, dont_remember));
    let mut statements = vec![
        user.insert(),
        accounts::insert_credential(&generate_id(), &user.id, &hash, ctx.now),
    ];
    statements.extend(session.as_ref().map(|s| s.insert()));
    if let Err(error) = ctx.sql.batch(statements).await {
        return Err(if error.unique_violation {
            ApiError::USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL
        } else {
            error.into()
        });
    }

    let send_on_sign_up = ctx
        .config
        .email_verification
        .send_on_sign_up
        .unwrap_or(options.require_email_verification);
    if send_on_sign_up && ctx.mailer.enabled() {
        send_verification_mail(ctx, &user, callback_url).await;
    }
    if let Some(session) = &session {
        set_session_cookie(ctx, session, &user, Some(dont_remember));
    }
    json(&SignUp {
        token: session.as_ref().map(|s| s.token.as_str()),
        user: &user,
    })
}

/// `POST /sign-in/email` `{email, password, callbackURL?, rememberMe?}`.
pub async fn sign_in(ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
    if !ctx.config.email_and_password.enabled {
        return Err(ApiError::EMAIL_PASSWORD_DISABLED);
    }
    let mut v = Validator::new(body);
    let email = v.string("email");
    let password = v.string("password");
    let callback_url = v.opt_string("callbackURL");
    let remember_me = v.opt_bool("rememberMe");
    v.finish()?;
    let (Some(email), Some(password)) = (email, password) else {
        return Err(ApiError::Validation("[body] Invalid input".into()));
    };
    if !is_email(email) {
        return Err(ApiError::INVALID_EMAIL);
    }
    if js_length(password) > ctx.config.email_and_password.max_password_length {
        return Err(ApiError::PASSWORD_TOO_LONG);
    }

    let found =
        users::find_by_email_with_password(ctx.sql, ctx.user_fields, &email.to_lowercase()).await?;
    let attempt = PasswordSignIn {
        password,
        callback_url,
        remember_me,
        unknown: ApiError::INVALID_EMAIL_OR_PASSWORD,
    };
    password_sign_in(ctx, found, attempt).await
}

/// A password sign-in, once the user is looked up (by email, or by username in the plugin).
pub struct PasswordSignIn<'a> {
    /// The password given.
    pub password: &'a str,
    /// `callbackURL`.
    pub callback_url: Option<&'a str>,
    /// `rememberMe`.
    pub remember_me: Option<bool>,
    /// The answer for an unknown user or a wrong password.
    pub unknown: ApiError,
}

/// Checks the password of a looked-up user and signs them in: Better Auth's sign-in answer
/// (`{redirect, token, url?, user}`) with session cookies, or `attempt.unknown`. One write (the
/// session, batched with a rehash when one is due). An unknown user costs the same hashing work.
pub async fn password_sign_in(
    ctx: &mut Ctx<'_>,
    found: Option<users::UserWithPassword>,
    attempt: PasswordSignIn<'_>,
) -> Result<Reply, ApiError> {
    let PasswordSignIn {
        password,
        callback_url,
        remember_me,
        unknown,
    } = attempt;
    let algorithm = ctx.hasher.algorithm();
    let Some((record, account_id, stored)) = found.and_then(|f| {
        Some((
            f.user,
            f.account_id?,
            f.password_hash.filter(|h| !h.is_empty())?,
        ))
    }) else {
        // The same hashing work as a real check, so unknown users cannot be told apart by time.
        ctx.hasher.verify(dummy_hash(algorithm), password).await;
        return Err(unknown);
    };
    if !ctx.hasher.verify(&stored, password).await {
        return Err(unknown);
    }
    if ctx.config.email_and_password.require_email_verification && !record.email_verified {
        if ctx.mailer.enabled() && ctx.config.email_verification.send_on_sign_in {
            send_verification_mail(ctx, &record, callback_url).await;
        }
        return Err(ApiError::EMAIL_NOT_VERIFIED);
    }

    let dont_remember = remember_me == Some(false);
    let session = new_session(ctx, &record.id, dont_remember);
    if password::needs_rehash(&stored, algorithm) {
        let rehashed = ctx.hasher.hash(password).await;
        ctx.sql
            .batch(vec![
                session.insert(),
                accounts::update_password(&account_id, &rehashed, ctx.now),
            ])
            .await?;
    } else {
        ctx.sql.query(session.insert()).await?;
    }
    set_session_cookie(ctx, &session, &record, Some(dont_remember));
    if let Some(url) = callback_url.filter(|u| !u.is_empty()) {
        ctx.set_header(http::header::LOCATION, url);
    }

    #[derive(Serialize)]
    struct SignIn<'a> {
        redirect: bool,
        token: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<&'a str>,
        user: &'a User,
    }
    let url = callback_url.filter(|u| !u.is_empty());
    json(&SignIn {
        redirect: url.is_some(),
        token: &session.token,
        url,
        user: &record,
    })
}
