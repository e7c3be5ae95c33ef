//! `username()`: sign-in with a username, `is-username-available`, and `username` /
//! `displayUsername` on sign-up and update-user (WIRE.md §3.17), as Better Auth 1.7.25's username
//! plugin does them.
//!
//! Usernames are 3–30 characters (UTF-16 units, as JavaScript counts) of `[a-zA-Z0-9_.]`,
//! checked before normalisation; they are stored lower-cased (`usernameNormalization`) and matched
//! that way. `displayUsername` keeps what the client sent and defaults to the username on sign-up.
//! Custom validator and normaliser functions (JavaScript callbacks in Better Auth) are not
//! offered: a Rust plugin can wrap this one instead.

use async_trait::async_trait;
use http::StatusCode;
use serde_json::Value;

use super::{Endpoint, Migration, Plugin};
use crate::config::UsernameOptions;
use crate::context::Ctx;
use crate::error::ApiError;
use crate::http::body::{js_length, Validator};
use crate::routes::email_password::{password_sign_in, PasswordSignIn};
use crate::routes::{json, Reply};
use crate::session::{self, Read};
use crate::store::users::{self, FieldKind, UserField};

const COLUMN: &str = r#"u."username""#;

fn error(status: StatusCode, (code, message): (&'static str, &'static str)) -> ApiError {
    ApiError::Coded(status, code, message)
}

const INVALID_USERNAME_OR_PASSWORD: (&str, &str) = (
    "INVALID_USERNAME_OR_PASSWORD",
    "Invalid username or password",
);
const USERNAME_IS_ALREADY_TAKEN: (&str, &str) = (
    "USERNAME_IS_ALREADY_TAKEN",
    "Username is already taken. Please try another.",
);
const USERNAME_TOO_SHORT: (&str, &str) = ("USERNAME_TOO_SHORT", "Username is too short");
const USERNAME_TOO_LONG: (&str, &str) = ("USERNAME_TOO_LONG", "Username is too long");
const INVALID_USERNAME: (&str, &str) = ("INVALID_USERNAME", "Username is invalid");
const USERNAME_IS_IMMUTABLE: (&str, &str) = ("USERNAME_IS_IMMUTABLE", "Username cannot be updated");

/// The username plugin.
pub struct Username {
    options: UsernameOptions,
}

impl Username {
    /// With these options.
    pub fn new(options: UsernameOptions) -> Self {
        Username { options }
    }

    /// Better Auth's `validateUsernameValue`: length, then the default character rule.
    fn check(&self, username: &str) -> Option<(&'static str, &'static str)> {
        let length = js_length(username);
        if length < self.options.min_username_length {
            return Some(USERNAME_TOO_SHORT);
        }
        if length > self.options.max_username_length {
            return Some(USERNAME_TOO_LONG);
        }
        let valid = username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        (!valid).then_some(INVALID_USERNAME)
    }

    fn normalize(&self, username: &str) -> String {
        if self.options.username_normalization {
            username.to_lowercase()
        } else {
            username.to_owned()
        }
    }

    async fn sign_in(&self, ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
        let mut v = Validator::new(body);
        let username = v.string("username");
        let password = v.string("password");
        let remember_me = v.opt_bool("rememberMe");
        let callback_url = v.opt_string("callbackURL");
        v.finish()?;
        let (Some(username), Some(password)) = (username, password) else {
            return Err(ApiError::Validation("[body] Invalid input".into()));
        };
        if username.is_empty() || password.is_empty() {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                INVALID_USERNAME_OR_PASSWORD,
            ));
        }
        if let Some(problem) = self.check(username) {
            return Err(error(StatusCode::UNPROCESSABLE_ENTITY, problem));
        }
        if js_length(password) > ctx.config.email_and_password.max_password_length {
            return Err(ApiError::PASSWORD_TOO_LONG);
        }
        let normalized = self.normalize(username);
        let found =
            users::find_with_password(ctx.sql, ctx.user_fields, COLUMN, &normalized).await?;
        let attempt = PasswordSignIn {
            password,
            callback_url,
            remember_me,
            unknown: error(StatusCode::UNAUTHORIZED, INVALID_USERNAME_OR_PASSWORD),
        };
        password_sign_in(ctx, found, attempt).await
    }

    async fn is_available(
        &self,
        ctx: &mut Ctx<'_>,
        body: &Option<Value>,
    ) -> Result<Reply, ApiError> {
        let mut v = Validator::new(body);
        let username = v.string("username");
        v.finish()?;
        let username = username.unwrap_or_default();
        if username.is_empty() {
            return Err(error(StatusCode::UNPROCESSABLE_ENTITY, INVALID_USERNAME));
        }
        if let Some(problem) = self.check(username) {
            return Err(error(StatusCode::UNPROCESSABLE_ENTITY, problem));
        }
        let taken = users::find_by(ctx.sql, ctx.user_fields, COLUMN, &self.normalize(username))
            .await?
            .is_some();
        json(&serde_json::json!({ "available": !taken }))
    }

    /// The checks Better Auth's before-hooks make on `/sign-up/email` and `/update-user`, and the
    /// normalisation its schema transform applies, done on the body the core then reads.
    async fn prepare_body(
        &self,
        ctx: &mut Ctx<'_>,
        path: &str,
        body: &mut Option<Value>,
    ) -> Result<(), ApiError> {
        let Some(Value::Object(map)) = body else {
            return Ok(());
        };
        let sign_up = path == "/sign-up/email";
        if sign_up && !map.contains_key("username") {
            if let Some(Value::String(display)) = map.get("displayUsername") {
                if self.check(display).is_none() {
                    let display = display.clone();
                    map.insert("username".into(), Value::String(display));
                }
            }
        }
        let Some(Value::String(username)) = map.get("username").cloned() else {
            return Ok(());
        };
        if let Some(problem) = self.check(&username) {
            return Err(error(StatusCode::BAD_REQUEST, problem));
        }
        let normalized = self.normalize(&username);
        let current = if sign_up {
            None
        } else {
            session::current(ctx, Read::default()).await?
        };
        if let Some(current) = &current {
            let existing = current.user.field("username").and_then(Value::as_str);
            if self.options.immutable_username
                && existing.is_some_and(|e| !e.is_empty() && e != normalized)
            {
                return Err(error(StatusCode::BAD_REQUEST, USERNAME_IS_IMMUTABLE));
            }
        }
        let holder = users::find_by(ctx.sql, ctx.user_fields, COLUMN, &normalized).await?;
        if let Some(holder) = holder {
            if current.as_ref().is_none_or(|c| c.user.id != holder.id) {
                return Err(error(StatusCode::BAD_REQUEST, USERNAME_IS_ALREADY_TAKEN));
            }
        }
        if self.options.display_username && sign_up && !map.contains_key("displayUsername") {
            map.insert("displayUsername".into(), Value::String(username));
        }
        map.insert("username".into(), Value::String(normalized));
        Ok(())
    }
}

#[async_trait(?Send)]
impl Plugin for Username {
    fn id(&self) -> &'static str {
        "username"
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        vec![
            Endpoint::post("/sign-in/username"),
            Endpoint::post("/is-username-available"),
        ]
    }

    async fn call(
        &self,
        ctx: &mut Ctx<'_>,
        path: &str,
        body: &Option<Value>,
    ) -> Result<Reply, ApiError> {
        match path {
            "/sign-in/username" => self.sign_in(ctx, body).await,
            "/is-username-available" => self.is_available(ctx, body).await,
            _ => Err(ApiError::NotFound),
        }
    }

    fn migrations(&self) -> Vec<Migration> {
        vec![super::builtin_migration!("0003_plugin_username.sql")]
    }

    fn user_fields(&self) -> Vec<UserField> {
        let mut fields = vec![UserField {
            name: "username",
            kind: FieldKind::String,
            default: None,
            input: true,
        }];
        if self.options.display_username {
            fields.push(UserField {
                name: "displayUsername",
                kind: FieldKind::String,
                default: None,
                input: true,
            });
        }
        fields
    }

    async fn before(
        &self,
        ctx: &mut Ctx<'_>,
        path: &str,
        body: &mut Option<Value>,
    ) -> Result<Option<Reply>, ApiError> {
        if path == "/sign-up/email" || path == "/update-user" {
            self.prepare_body(ctx, path, body).await?;
        }
        Ok(None)
    }
}
