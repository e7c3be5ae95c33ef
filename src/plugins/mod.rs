//! Plugins: how Portcullis is extended, and the built-in plugins written against the same API.
//!
//! A [`Plugin`] contributes, each optional:
//! - **endpoints** under the base path ([`Plugin::endpoints`], answered by [`Plugin::call`]),
//!   which pass the same body parsing, origin and callback-URL checks as the core's;
//! - **schema**: its own migrations, SQLite and optionally PostgreSQL ([`Plugin::migrations`],
//!   applied by the native host like the core's, and by `wrangler d1 migrations apply` when the
//!   SQLite files sit in `migrations/`) and
//!   **columns on `user`** ([`Plugin::user_fields`]), read with every user and sent in the user
//!   JSON between `updatedAt` and `id`, as Better Auth sends them;
//! - **hooks**: [`Plugin::on_request`] (before routing: rewrite the request's cookies),
//!   [`Plugin::before`] (before an endpoint: change the body or answer instead),
//!   [`Plugin::after`] (after an endpoint: replace its answer and its cookies — two-factor turns a
//!   password sign-in into a challenge this way) and [`Plugin::on_response`] (last, on every
//!   answer: add headers);
//! - **rate-limit rules** ([`Plugin::rate_limit_rules`]).
//!
//! Hooks are matched by the path relative to the base path (`/sign-in/email`), as Better Auth's
//! matchers see `ctx.path`. They run in registration order: the built-ins enabled in the
//! configuration first (twoFactor, username, magicLink, emailOTP, jwt, bearer), then plugins
//! added with [`crate::Auth::with_plugin`].
//!
//! Built-ins live in this module, one file each, and use nothing a plugin outside the crate could
//! not: `Ctx`, `session`, `store`, `routes::{json, send_mail}` and `ApiError` are public.

/// The attribute [`Plugin`] implementations carry: `#[portcullis::plugins::async_trait(?Send)]`
/// (re-exported so a plugin crate needs no `async-trait` dependency of its own).
pub use async_trait::async_trait;
use http::Method;
use serde_json::Value;

use crate::config::Config;
use crate::context::Ctx;
use crate::error::ApiError;
use crate::http::rate_limit::Rule;
use crate::routes::Reply;
use crate::store::migrations::Dialect;
use crate::store::users::UserField;

#[cfg(feature = "bearer")]
pub mod bearer;
#[cfg(feature = "email-otp")]
pub mod email_otp;
#[cfg(feature = "jwt")]
pub mod jwt;
#[cfg(feature = "magic-link")]
pub mod magic_link;
#[cfg(feature = "two-factor")]
pub mod two_factor;
#[cfg(feature = "username")]
pub mod username;

/// One migration of a plugin: its file name (recorded in `d1_migrations`, as wrangler records
/// D1's) and its SQL in each dialect it has. Names must be unique across the core and every
/// plugin; number them after the core's. A migration without PostgreSQL text keeps its plugin
/// off PostgreSQL: [`Plugins::migrations`] refuses it with an error that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// The file name, e.g. `0100_sign_in_count.sql`.
    pub name: &'static str,
    /// Its SQL for SQLite (native rusqlite, D1, Spin, libSQL).
    pub sqlite: &'static str,
    /// Its SQL for PostgreSQL, if the plugin runs there.
    pub postgres: Option<&'static str>,
}

impl Migration {
    /// A migration with SQLite text only.
    pub const fn sqlite(name: &'static str, sql: &'static str) -> Migration {
        Migration {
            name,
            sqlite: sql,
            postgres: None,
        }
    }

    /// The same migration with its PostgreSQL text.
    pub const fn postgres(self, sql: &'static str) -> Migration {
        Migration {
            postgres: Some(sql),
            ..self
        }
    }

    /// Its SQL in `dialect`, if it has one.
    pub fn sql(&self, dialect: Dialect) -> Option<&'static str> {
        match dialect {
            Dialect::Sqlite => Some(self.sqlite),
            Dialect::Postgres => self.postgres,
        }
    }
}

/// An endpoint a plugin answers: a method and an exact path under the base path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `GET` or `POST`.
    pub method: Method,
    /// E.g. `/sign-in/username`.
    pub path: &'static str,
    /// Guarded by Better Auth's `formCsrfMiddleware` (the Fetch-Metadata rules of sign-in).
    pub form: bool,
}

impl Endpoint {
    /// `POST <path>`.
    pub const fn post(path: &'static str) -> Endpoint {
        Endpoint {
            method: Method::POST,
            path,
            form: false,
        }
    }
    /// The same endpoint, guarded like a sign-in form.
    pub fn form(self) -> Endpoint {
        Endpoint { form: true, ..self }
    }
    /// `GET <path>`.
    pub const fn get(path: &'static str) -> Endpoint {
        Endpoint {
            method: Method::GET,
            path,
            form: false,
        }
    }
}

/// An extension of the server. Every method has a default that does nothing, so a plugin
/// implements only what it contributes. Futures are not `Send`, like the rest of the core.
#[async_trait(?Send)]
pub trait Plugin {
    /// The plugin's id (Better Auth's, for the built-ins: `username`, `bearer`, …).
    fn id(&self) -> &'static str;

    /// The endpoints it answers. A path the core already has is never routed here.
    fn endpoints(&self) -> Vec<Endpoint> {
        Vec::new()
    }

    /// Answers one of its [`endpoints`](Plugin::endpoints); `path` says which. The body is parsed
    /// (JSON or form) and the origin checks have passed.
    async fn call(
        &self,
        ctx: &mut Ctx<'_>,
        path: &str,
        body: &Option<Value>,
    ) -> Result<Reply, ApiError> {
        let _ = (ctx, path, body);
        Err(ApiError::NotFound)
    }

    /// Its migrations, in order.
    fn migrations(&self) -> Vec<Migration> {
        Vec::new()
    }

    /// Columns it adds to `user` (its migration creates them).
    fn user_fields(&self) -> Vec<UserField> {
        Vec::new()
    }

    /// Rate-limit rules, checked before Better Auth's special rules.
    fn rate_limit_rules(&self) -> Vec<Rule> {
        Vec::new()
    }

    /// Before routing, on every API request: may rewrite the request's cookies
    /// (`ctx.request_cookies`), as the bearer plugin turns `Authorization` into a session cookie.
    async fn on_request(&self, ctx: &mut Ctx<'_>) {
        let _ = ctx;
    }

    /// Before an endpoint (core or plugin) runs, after the body was parsed and checked. May
    /// change the body, fail the request, or answer instead of the endpoint (`Ok(Some(reply))`).
    async fn before(
        &self,
        ctx: &mut Ctx<'_>,
        path: &str,
        body: &mut Option<Value>,
    ) -> Result<Option<Reply>, ApiError> {
        let _ = (ctx, path, body);
        Ok(None)
    }

    /// After an endpoint answered: gets its outcome and returns the one to send, and may change
    /// the response cookies (`ctx.set_cookies`) and headers. `ctx.new_session` holds the session
    /// the endpoint issued cookies for, if any.
    async fn after(
        &self,
        ctx: &mut Ctx<'_>,
        path: &str,
        body: &Option<Value>,
        outcome: Result<Reply, ApiError>,
    ) -> Result<Reply, ApiError> {
        let _ = (ctx, path, body);
        outcome
    }

    /// Last, on every API answer (errors and unknown routes included): may add headers.
    fn on_response(&self, ctx: &mut Ctx<'_>) {
        let _ = ctx;
    }
}

/// A built-in plugin's migration: `migrations/<name>` (SQLite) and `migrations/postgres/<name>`.
#[allow(unused_macros)] // a build with none of the plugins that have tables
macro_rules! builtin_migration {
    ($name:literal) => {
        $crate::plugins::Migration::sqlite(
            $name,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/", $name)),
        )
        .postgres(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/migrations/postgres/",
            $name
        )))
    };
}
#[allow(unused_imports)]
use builtin_migration;

/// The plugins of one server, in registration order, and the user columns they add.
#[derive(Default)]
pub struct Plugins {
    list: Vec<Box<dyn Plugin>>,
    user_fields: Vec<UserField>,
    /// Every plugin endpoint with the index of its plugin, collected once at registration.
    routes: Vec<(Endpoint, usize)>,
}

impl Plugins {
    /// The built-in plugins the configuration enables, in Better Auth's schema order (so user
    /// columns come as Better Auth sends them). Fails when the configuration enables a plugin
    /// this build was compiled without (its cargo feature is off).
    pub fn from_config(config: &Config) -> Result<Plugins, String> {
        let options = &config.plugins;
        #[allow(unused_mut)] // no plugin compiled in
        let mut plugins = Plugins::default();
        macro_rules! builtin {
            ($field:ident, $feature:literal, $name:literal, $make:expr) => {
                if let Some(o) = &options.$field {
                    #[cfg(feature = $feature)]
                    plugins.add(Box::new($make(o.clone())));
                    #[cfg(not(feature = $feature))]
                    {
                        let _ = o;
                        return Err(not_compiled($name, $feature));
                    }
                }
            };
        }
        builtin!(
            two_factor,
            "two-factor",
            "twoFactor",
            two_factor::TwoFactor::new
        );
        builtin!(username, "username", "username", username::Username::new);
        builtin!(
            magic_link,
            "magic-link",
            "magicLink",
            magic_link::MagicLink::new
        );
        builtin!(email_otp, "email-otp", "emailOTP", email_otp::EmailOtp::new);
        builtin!(jwt, "jwt", "jwt", jwt::Jwt::new);
        builtin!(bearer, "bearer", "bearer", bearer::Bearer::new);
        Ok(plugins)
    }

    /// Registers a plugin after the others.
    pub fn add(&mut self, plugin: Box<dyn Plugin>) {
        self.user_fields.extend(plugin.user_fields());
        let index = self.list.len();
        self.routes
            .extend(plugin.endpoints().into_iter().map(|e| (e, index)));
        self.list.push(plugin);
    }

    /// Every plugin, in order.
    pub fn iter(&self) -> impl Iterator<Item = &dyn Plugin> {
        self.list.iter().map(|p| p.as_ref())
    }

    /// The user columns plugins add, in order.
    pub fn user_fields(&self) -> &[UserField] {
        &self.user_fields
    }

    /// Every migration a server with these plugins needs on a `dialect` database, as
    /// `(name, SQL)`: the core's, then each plugin's in registration order. A plugin migration
    /// with no SQL for `dialect` is an error naming the plugin and the migration.
    pub fn migrations(
        &self,
        dialect: Dialect,
    ) -> Result<Vec<(&'static str, &'static str)>, String> {
        let mut list = dialect.migrations().to_vec();
        for plugin in self.iter() {
            for migration in plugin.migrations() {
                let sql = migration.sql(dialect).ok_or_else(|| {
                    format!(
                        "the {:?} plugin's migration {} has no {dialect} version, so the plugin cannot run on {dialect}: turn it off or use SQLite/libSQL",
                        plugin.id(),
                        migration.name
                    )
                })?;
                list.push((migration.name, sql));
            }
        }
        Ok(list)
    }

    /// The plugin answering `method path`, with that endpoint, if one does.
    pub fn find(&self, method: &Method, path: &str) -> Option<(&dyn Plugin, Endpoint)> {
        self.routes
            .iter()
            .find(|(e, _)| e.path == path && e.method == *method)
            .map(|(e, i)| (self.list[*i].as_ref(), e.clone()))
    }
}

/// The start-up error for a plugin the configuration enables but this build left out.
#[allow(dead_code)] // unused when every plugin is compiled in
fn not_compiled(name: &str, feature: &str) -> String {
    format!(
        "plugins.{name} is enabled in the configuration, but this build was compiled without it \
         (cargo feature `{feature}`; the Worker: PORTCULLIS_WORKER_FEATURES in scripts/build-worker.sh)"
    )
}

/// Sets a response header and lists it in `access-control-expose-headers` (keeping what is
/// there), as the bearer and jwt plugins expose `set-auth-token` and `set-auth-jwt`.
pub fn set_exposed_header(ctx: &mut Ctx<'_>, name: &'static str, value: String) {
    ctx.set_header(http::HeaderName::from_static(name), value);
    let expose = http::HeaderName::from_static("access-control-expose-headers");
    let mut exposed: Vec<String> = ctx
        .response_headers
        .iter()
        .find(|(n, _)| *n == expose)
        .map(|(_, v)| v.split(',').map(|h| h.trim().to_owned()).collect())
        .unwrap_or_default();
    exposed.retain(|h| !h.is_empty() && h != name);
    exposed.push(name.to_owned());
    ctx.set_header(expose, exposed.join(", "));
}

/// Reads a request body's plugin fields for a new user (`input` fields from the body, the rest
/// at their defaults), checking their JSON types as Better Auth's schema parser does.
pub fn new_user_fields(
    schema: &[UserField],
    body: &Option<Value>,
) -> Result<Vec<(String, Value)>, ApiError> {
    let mut fields = Vec::with_capacity(schema.len());
    for field in schema {
        let given = if field.input {
            input_value(field, body)?
        } else {
            None
        };
        let value = given
            .or_else(|| field.default.clone())
            .unwrap_or(Value::Null);
        fields.push((field.name.to_owned(), value));
    }
    Ok(fields)
}

/// The `input` plugin fields a body sets (for `update-user`), type-checked.
pub fn updated_user_fields(
    schema: &[UserField],
    body: &Option<Value>,
) -> Result<Vec<(String, Value)>, ApiError> {
    let mut fields = Vec::new();
    for field in schema.iter().filter(|f| f.input) {
        if let Some(value) = input_value(field, body)? {
            fields.push((field.name.to_owned(), value));
        }
    }
    Ok(fields)
}

fn input_value(field: &UserField, body: &Option<Value>) -> Result<Option<Value>, ApiError> {
    use crate::store::users::FieldKind;
    let Some(value) = body.as_ref().and_then(|b| b.get(field.name)) else {
        return Ok(None);
    };
    let (ok, expected) = match field.kind {
        FieldKind::Boolean => (value.is_boolean(), "boolean"),
        FieldKind::String => (value.is_string(), "string"),
        FieldKind::Number => (value.is_number(), "number"),
    };
    if value.is_null() {
        return Ok(Some(Value::Null));
    }
    if !ok {
        return Err(ApiError::Validation(format!(
            "[body.{}] Invalid input: expected {expected}, received {}",
            field.name,
            crate::http::body::received(Some(value))
        )));
    }
    Ok(Some(value.clone()))
}

/// The outcome of [`sign_in_proven_email`].
pub enum ProvenSignIn {
    /// Signed in: the new session (cookies set) and its user; `new_user` when just created.
    SignedIn {
        /// The session.
        session: crate::store::sessions::Session,
        /// Its user.
        user: Box<crate::store::users::User>,
        /// Whether the user was created by this sign-in.
        new_user: bool,
    },
    /// No such user, and sign-up is off.
    SignUpDisabled,
}

/// Signs in the owner of an address they just proved they control (a magic link, an emailed
/// code), as Better Auth does: an unknown address gets a new, verified user (unless
/// `allow_sign_up` is false); a known but unverified one first loses every account link and
/// session it had before the proof (Better Auth's `revokeUnprovenAccountAccess`), then is marked
/// verified. Sets the session cookies. One read and one write batch.
pub async fn sign_in_proven_email(
    ctx: &mut Ctx<'_>,
    email: &str,
    name: Option<&str>,
    allow_sign_up: bool,
) -> Result<ProvenSignIn, ApiError> {
    use crate::store::{accounts, sessions, users};
    let email = email.to_lowercase();
    let found = users::find_by_email(ctx.sql, ctx.user_fields, &email).await?;
    let mut statements = Vec::new();
    let (user, new_user) = match found {
        Some(user) if user.email_verified => (user, false),
        Some(user) => {
            let user = users::User {
                email_verified: true,
                updated_at: ctx.now,
                ..user
            };
            statements.push(accounts::delete_for_user(&user.id));
            statements.push(sessions::delete_for_user(&user.id));
            statements.push(users::update(&user));
            (user, false)
        }
        None if !allow_sign_up => return Ok(ProvenSignIn::SignUpDisabled),
        None => {
            let user = users::User {
                name: name.unwrap_or_default().to_owned(),
                email,
                email_verified: true,
                image: None,
                created_at: ctx.now,
                updated_at: ctx.now,
                fields: new_user_fields(ctx.user_fields, &None)?,
                id: crate::crypto::generate_id(),
            };
            statements.push(user.insert());
            (user, true)
        }
    };
    let session = crate::session::new_session(ctx, &user.id, false);
    statements.push(session.insert());
    ctx.sql.batch(statements).await?;
    if !new_user {
        // Its earlier sessions were deleted: they leave secondary storage too.
        crate::session::forget_user(ctx, &user.id);
    }
    crate::session::set_session_cookie(ctx, &session, &user, Some(false));
    Ok(ProvenSignIn::SignedIn {
        session,
        user: Box::new(user),
        new_user,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every built-in the build has is registered from the configuration, in Better Auth's order.
    #[test]
    fn the_configured_built_ins_that_are_compiled_in_are_registered() {
        let config = Config::from_json(r#"{"plugins":{"bearer":{}}}"#).unwrap();
        let plugins = Plugins::from_config(&config);
        if cfg!(feature = "bearer") {
            let ids: Vec<&str> = plugins.unwrap().iter().map(|p| p.id()).collect();
            assert_eq!(ids, ["bearer"]);
        } else {
            assert!(plugins.is_err());
        }
    }

    /// A build without a plugin (its cargo feature off, as a slimmer Worker is built) refuses a
    /// configuration that enables it, naming the option and the feature. Runs in CI with the
    /// jwt feature off (scripts/test.sh).
    #[cfg(not(feature = "jwt"))]
    #[test]
    fn a_plugin_left_out_of_the_build_is_refused_at_start_up_with_its_feature_name() {
        let config = Config::from_json(r#"{"plugins":{"jwt":{}}}"#).unwrap();
        let error = Plugins::from_config(&config).err().expect("refused");
        assert!(error.contains("plugins.jwt is enabled"), "{error}");
        assert!(error.contains("cargo feature `jwt`"), "{error}");
    }
}
