//! # Portcullis
//!
//! Better Auth's server as one stateless request handler: [`Auth::handle`] takes an
//! `http::Request` and gives an `http::Response`, wire-compatible with better-auth 1.7.25 so the
//! official JavaScript clients work unchanged, and byte-compatible in its cookies and database so
//! a deployment can move between Better Auth and Portcullis both ways.
//!
//! The core does no I/O of its own. A host hands in a [`Host`]: a SQL driver ([`store::Sql`]),
//! optional KV ([`store::Kv`]), a clock ([`time::Clock`]) and a password hasher. Three hosts ship
//! in `host/`: Cloudflare Workers (D1 + KV, `wasm32-unknown-unknown`), Fermyon Spin (SQLite + KV,
//! `wasm32-wasip2`) and a native server (rusqlite, hyper) for local work and self-hosting.
//!
//! With `gate.enabled`, the same handler also fronts a static site ([`gate`]): requests under
//! `gate.pagesPath` get the built-in sign-in pages, and every other path outside the API is
//! served from the site only to signed-in users.
//!
//! Social sign-on ([`social`]): OAuth 2.0 / OpenID Connect providers as data, id-token sign-in.
//!
//! Plugins ([`plugins`]) extend it with endpoints, hooks around any endpoint, columns on `user`,
//! migrations and rate-limit rules; the built-in ones (two-factor, username, magic link, email
//! OTP, bearer, JWT) are written against that same API and turned on in the configuration, and
//! [`Auth::with_plugin`] adds your own.
//!
//! What it does not do (yet): see the README for the list.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use ::http::{Request, Response};
use bytes::Bytes;

pub mod config;
pub mod context;
pub mod cookies;
pub mod crypto;
pub mod error;
pub mod gate;
pub mod http;
pub mod ip;
pub mod mail;
pub mod net;
pub mod plugins;
pub mod routes;
pub mod session;
pub mod social;
pub mod store;
pub mod time;
pub mod urls;

pub mod host;

pub use config::Config;
pub use crypto::password::{Algorithm, InlineHasher, PasswordHasher};
pub use error::ApiError;
pub use plugins::Plugin;
pub use store::{Kv, Sql, SqlError, Statement, Value};
pub use time::Clock;

use crate::context::{AuthCookies, Ctx};
use crate::http::origin::TrustedOrigins;
use crate::http::{Route, Site, Target};

/// What a host provides.
pub struct Host {
    /// The database.
    pub sql: Box<dyn Sql>,
    /// Secondary storage, where the host has one.
    pub kv: Option<Box<dyn Kv>>,
    /// Wall clock.
    pub clock: Box<dyn Clock>,
    /// Password hashing (inline, or on a thread pool natively).
    pub hasher: Box<dyn PasswordHasher>,
    /// Outbound HTTP (mail APIs, webhooks, OAuth providers).
    pub http: Box<dyn net::HttpClient>,
    /// JWS signature checks (id tokens): WebCrypto on Workers, Rust crates elsewhere.
    pub jws: Box<dyn crypto::jws::JwsVerifier>,
    /// Where the static-site gate fetches the site (`gate.origin` through outbound HTTP, or the
    /// Worker's `ASSETS` binding). `None` without a gate; with one, gated requests answer 500.
    pub upstream: Option<Box<dyn net::Upstream>>,
    /// Mail delivery, usually built from the configuration by [`mail::from_config`].
    pub mailer: Box<dyn mail::Mailer>,
    /// In-memory rate-limit counters (shared across the host's `Auth`s where it can).
    pub rate_limit_memory: http::rate_limit::MemoryStore,
    /// Where failures are logged (never with secrets).
    pub log: fn(&str),
}

/// The authentication server: configuration, secret and host parts. Cheap to call, built once
/// per process (native), isolate (Workers) or request (Spin).
pub struct Auth {
    config: Config,
    secret: String,
    cookies: AuthCookies,
    trusted: TrustedOrigins,
    base_origin: String,
    host: Host,
    rate_limiter: http::rate_limit::Limiter,
    #[cfg_attr(not(feature = "gate"), allow(dead_code))]
    gate: Option<gate::Gate>,
    plugins: plugins::Plugins,
    social: social::Social,
}

/// The start-up error for `gate.enabled` in a build without the static-site gate (its cargo feature
/// off, as a slimmer Worker is built).
#[cfg(not(feature = "gate"))]
fn gate_left_out() -> String {
    "gate.enabled is set, but this build was compiled without the gate \
     (cargo feature `gate`; the Worker: PORTCULLIS_WORKER_FEATURES in scripts/build-worker.sh)"
        .to_owned()
}

/// Secrets shorter than this are refused: Better Auth asks for at least 32 characters.
pub const MIN_SECRET_LENGTH: usize = 32;

impl Auth {
    /// Builds the server. Fails on an unusable base URL or a secret shorter than 32 characters.
    pub fn new(config: Config, secret: String, host: Host) -> Result<Auth, String> {
        if secret.chars().count() < MIN_SECRET_LENGTH {
            return Err(format!(
                "BETTER_AUTH_SECRET must be at least {MIN_SECRET_LENGTH} characters"
            ));
        }
        let base_origin = urls::origin(&config.base_url).ok_or_else(|| {
            format!(
                "baseURL {:?} is not an absolute http(s) URL",
                config.base_url
            )
        })?;
        let mut trusted = vec![base_origin.clone()];
        trusted.extend(config.trusted_origins.iter().cloned());
        if config.secondary_storage.enabled && host.kv.is_none() {
            return Err(
                "secondaryStorage.enabled is set but this host has no KV binding".to_owned(),
            );
        }
        let mut rate_limiter = http::rate_limit::Limiter::new(&config, host.kv.is_some())?;
        let plugins = plugins::Plugins::from_config(&config)?;
        for plugin in plugins.iter() {
            rate_limiter.add_rules(plugin.rate_limit_rules());
        }
        let gate = if config.gate.enabled {
            // At compile time, so a build without the gate carries none of its code.
            #[cfg(not(feature = "gate"))]
            return Err(gate_left_out());
            #[cfg(feature = "gate")]
            Some(gate::Gate::new(&config.gate, &config.base_path)?)
        } else {
            None
        };
        let social = social::Social::new(&config.social_providers, &config.account)?;
        Ok(Auth {
            gate,
            social,
            cookies: AuthCookies::new(&config),
            trusted: TrustedOrigins(trusted),
            base_origin,
            config,
            secret,
            host,
            rate_limiter,
            plugins,
        })
    }

    /// Registers a plugin after the built-ins the configuration enabled (and after any added
    /// before it): its endpoints, hooks, user columns and rate-limit rules take effect at once;
    /// its migrations are in [`Auth::migrations`].
    pub fn with_plugin(mut self, plugin: impl Plugin + 'static) -> Auth {
        self.rate_limiter.add_rules(plugin.rate_limit_rules());
        self.plugins.add(Box::new(plugin));
        self
    }

    /// Every migration this server needs on a `dialect` database, as `(name, SQL)` in order: the
    /// core's, then each plugin's. An error names a plugin migration with no SQL for `dialect`.
    /// Hosts that migrate at start apply these with [`store::migrations::apply_list_with`].
    pub fn migrations(
        &self,
        dialect: store::migrations::Dialect,
    ) -> Result<Vec<(&'static str, &'static str)>, String> {
        self.plugins.migrations(dialect)
    }

    /// The plugins, in order.
    pub fn plugins(&self) -> &plugins::Plugins {
        &self.plugins
    }

    /// Adds rate-limit rules (plugins): checked in order, before Better Auth's special rules.
    pub fn add_rate_limit_rules(
        &mut self,
        rules: impl IntoIterator<Item = http::rate_limit::Rule>,
    ) {
        self.rate_limiter.add_rules(rules);
    }

    /// The options in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The database this server uses.
    pub fn sql(&self) -> &dyn Sql {
        self.host.sql.as_ref()
    }

    /// Answers one request. Never panics on input and never fails: every problem is a status.
    ///
    /// Under `basePath`: the API. With the gate on, under `gate.pagesPath`: the built-in pages;
    /// anywhere else: the gate. With the gate off, paths outside the API are 404.
    pub async fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        #[cfg(feature = "gate")]
        if let Some(gate) = &self.gate {
            let path = request.uri().path();
            if !gate::is_under(path, self.config.base_path.trim_end_matches('/')) {
                let (parts, body) = request.into_parts();
                if gate.is_pages_path(parts.uri.path()) {
                    let site = gate::pages::Site {
                        gate,
                        config: &self.config,
                        trusted: &self.trusted.0,
                    };
                    return gate::pages::serve(&site, &InProcessApi(self), &parts, &body).await;
                }
                let mut ctx = self.context(&parts.headers, parts.uri.query());
                let response = gate
                    .guard(
                        &mut ctx,
                        self.host.upstream.as_deref(),
                        &self.base_origin,
                        &parts,
                        body,
                    )
                    .await;
                ctx.flush_kv().await;
                return response;
            }
        }
        self.api(request).await
    }

    /// The API: rate limit, routing, origin checks, endpoint.
    async fn api(&self, request: Request<Bytes>) -> Response<Bytes> {
        let (parts, body) = request.into_parts();
        let path = parts.uri.path();
        // Counted before routing, as Better Auth counts every path (unknown ones too).
        if self.rate_limiter.enabled() {
            if let Some(response) = self.rate_limit(path, &parts.headers).await {
                return response;
            }
        }
        let Some(relative) = path
            .strip_prefix(self.config.base_path.as_str())
            .filter(|p| p.starts_with('/'))
        else {
            return http::not_found();
        };
        let mut ctx = self.context(&parts.headers, parts.uri.query());
        for plugin in self.plugins.iter() {
            plugin.on_request(&mut ctx).await;
        }
        let target = match Route::find(&parts.method, relative) {
            Ok(route) => Some(Ok(Target::Core(route))),
            Err(crate::ApiError::NotFound) => self
                .plugins
                .find(&parts.method, relative)
                .map(|(plugin, endpoint)| Ok(Target::Plugin(plugin, endpoint))),
            Err(error) => Some(Err(error)),
        };
        let outcome = match target {
            None => Err(crate::ApiError::NotFound),
            Some(Err(error)) => Err(error),
            Some(Ok(target)) => {
                let site = Site {
                    trusted: &self.trusted,
                    base_origin: &self.base_origin,
                    plugins: &self.plugins,
                };
                http::dispatch(&mut ctx, &site, &parts.method, relative, target, &body).await
            }
        };
        ctx.flush_kv().await;
        if let Err(crate::ApiError::Internal(detail)) = &outcome {
            (self.host.log)(&format!("{} {}: {detail}", parts.method, relative));
        }
        for plugin in self.plugins.iter() {
            plugin.on_response(&mut ctx);
        }
        http::respond(ctx, outcome)
    }

    async fn rate_limit(&self, path: &str, headers: &::http::HeaderMap) -> Option<Response<Bytes>> {
        let host = &self.host;
        let storage = http::rate_limit::Storage {
            sql: host.sql.as_ref(),
            kv: host.kv.as_deref(),
            memory: &host.rate_limit_memory,
            log: host.log,
        };
        let now = host.clock.now_ms();
        self.rate_limiter
            .check(&self.config, &storage, now, path, headers)
            .await
    }

    fn context<'a>(&'a self, headers: &'a ::http::HeaderMap, query: Option<&str>) -> Ctx<'a> {
        let request_cookies = headers
            .get_all(::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(cookies::parse_cookie_header)
            .collect();
        Ctx {
            config: &self.config,
            auth_cookies: &self.cookies,
            secret: &self.secret,
            sql: self.host.sql.as_ref(),
            kv: self
                .host
                .kv
                .as_deref()
                .filter(|_| self.config.secondary_storage.enabled),
            kv_ops: Vec::new(),
            hasher: self.host.hasher.as_ref(),
            mailer: self.host.mailer.as_ref(),
            http: self.host.http.as_ref(),
            social: &self.social,
            jws: self.host.jws.as_ref(),
            log: self.host.log,
            now: self.host.clock.now_ms(),
            headers,
            query: query
                .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
                .unwrap_or_default(),
            request_cookies,
            set_cookies: Vec::new(),
            response_headers: Vec::new(),
            user_fields: self.plugins.user_fields(),
            new_session: None,
        }
    }
}

/// The API as the gate's pages call it: in process, through the same checks as over HTTP.
#[cfg(feature = "gate")]
struct InProcessApi<'a>(&'a Auth);

#[cfg(feature = "gate")]
#[async_trait::async_trait(?Send)]
impl gate::Api for InProcessApi<'_> {
    async fn call(&self, request: Request<Bytes>) -> Response<Bytes> {
        self.0.api(request).await
    }
}

#[cfg(test)]
mod tests {
    /// A build without the gate refuses `gate.enabled` at start-up, naming the feature. Runs in CI
    /// with the gate left out (scripts/test.sh builds the lib tests without it).
    #[cfg(not(feature = "gate"))]
    #[test]
    fn a_gate_left_out_of_the_build_is_refused_at_start_up_with_its_feature_name() {
        let error = super::gate_left_out();
        assert!(error.contains("gate.enabled is set"), "{error}");
        assert!(error.contains("cargo feature `gate`"), "{error}");
    }
}
