//! Configuration, with Better Auth's option names (camelCase in JSON, snake_case in Rust), so a
//! Better Auth user can carry their options over. One format (JSON) for every host: a file or an
//! environment variable natively, a variable in wrangler.toml or spin.toml at the edge.
//!
//! The secret is not part of this: it comes only from the environment or the host's secret store
//! (`BETTER_AUTH_SECRET`) and is handed to [`crate::Auth::new`] separately.

use serde_json::Value;

use crate::crypto::password::Algorithm;

mod plugins;
pub(crate) mod read;
pub use plugins::*;
use read::{read_object, Opts};

/// The options. Every field has Better Auth's default.
#[derive(Debug, Clone)]
pub struct Config {
    /// The server's public URL (`BETTER_AUTH_URL`); its origin is trusted and `https` turns on
    /// `Secure` cookies with the `__Secure-` prefix.
    pub base_url: String,
    /// Where the API is mounted.
    pub base_path: String,
    /// Application name (used by later features: TOTP issuer, mails).
    pub app_name: String,
    /// Origins trusted besides the base URL's (`BETTER_AUTH_TRUSTED_ORIGINS` adds more). Entries
    /// may use `*` wildcards in the host, as Better Auth allows (`https://*.example.com`).
    pub trusted_origins: Vec<String>,
    /// `emailAndPassword` options.
    pub email_and_password: EmailAndPassword,
    /// `session` options.
    pub session: SessionOptions,
    /// `advanced` options.
    pub advanced: Advanced,
    /// Password hashing (Portcullis' own option; Better Auth hard-codes scrypt).
    pub password: PasswordOptions,
    /// `emailVerification` options.
    pub email_verification: EmailVerification,
    /// `user` options (`changeEmail`, `deleteUser`).
    pub user: UserOptions,
    /// `rateLimit` options.
    pub rate_limit: RateLimitOptions,
    /// Mail delivery (Portcullis' own option: Better Auth takes callbacks instead).
    pub email: EmailDelivery,
    /// The static-site gate (Portcullis' own option): serve a site only to signed-in users.
    pub gate: GateOptions,
    /// Sessions in the host's KV (Portcullis' own option; Better Auth takes a `secondaryStorage`
    /// object instead).
    pub secondary_storage: SecondaryStorageOptions,
    /// Cloudflare D1 options (Portcullis' own; other hosts ignore them).
    pub d1: D1Options,
    /// Built-in plugins to enable, by Better Auth's names, each with its options
    /// (`{"username": {"minUsernameLength": 3}, "bearer": {}}`). Absent means off.
    pub plugins: PluginOptions,
    /// `socialProviders`: provider id → options (see [`crate::social::ProviderOptions`]).
    pub social_providers: std::collections::BTreeMap<String, crate::social::ProviderOptions>,
    /// `account` (linking rules, token storage).
    pub account: crate::social::AccountOptions,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: "http://127.0.0.1:3000".to_owned(),
            base_path: "/api/auth".to_owned(),
            app_name: "Better Auth".to_owned(),
            trusted_origins: Vec::new(),
            email_and_password: EmailAndPassword::default(),
            session: SessionOptions::default(),
            advanced: Advanced::default(),
            password: PasswordOptions::default(),
            email_verification: EmailVerification::default(),
            user: UserOptions::default(),
            rate_limit: RateLimitOptions::default(),
            email: EmailDelivery::default(),
            gate: GateOptions::default(),
            secondary_storage: SecondaryStorageOptions::default(),
            d1: D1Options::default(),
            plugins: PluginOptions::default(),
            social_providers: Default::default(),
            account: Default::default(),
        }
    }
}

/// `d1`: options of the Workers host's D1 database.
#[derive(Debug, Clone, Default)]
pub struct D1Options {
    /// D1 read replication through the Sessions API (`withSession`): reads may go to the nearest
    /// replica, and a bookmark carried in the `<cookiePrefix>.d1_bookmark` cookie makes every
    /// request of a client see at least what its previous requests wrote. Off by default.
    pub read_replication: bool,
}

/// `secondaryStorage`: sessions cached in the host's KV (Workers KV, Spin KV, the native
/// in-memory KV), so `get-session` with a stale cookie cache is answered without SQL. The
/// database stays the record; see [`crate::store::secondary`] for the consistency contract.
#[derive(Debug, Clone)]
pub struct SecondaryStorageOptions {
    /// Off by default. On a host without KV, turning it on is a configuration error.
    pub enabled: bool,
    /// Seconds a KV entry answers after it was last read from or written to the database
    /// (3600). The hard bound on how long a revoked session can still be answered from KV when
    /// its KV delete is lost or slow to reach a location.
    pub revalidate_after: u64,
}

impl Default for SecondaryStorageOptions {
    fn default() -> Self {
        SecondaryStorageOptions {
            enabled: false,
            revalidate_after: 3600,
        }
    }
}

/// `emailAndPassword`.
#[derive(Debug, Clone)]
pub struct EmailAndPassword {
    /// Whether the email & password endpoints answer at all.
    pub enabled: bool,
    /// `disableSignUp`.
    pub disable_sign_up: bool,
    /// Shortest accepted password, in UTF-16 code units as JavaScript counts.
    pub min_password_length: usize,
    /// Longest accepted password.
    pub max_password_length: usize,
    /// Sign the user in after sign-up.
    pub auto_sign_in: bool,
    /// Refuse sign-in until the email is verified.
    pub require_email_verification: bool,
    /// Delete every session of the user when a password reset succeeds.
    pub revoke_sessions_on_password_reset: bool,
    /// Seconds a password-reset link stays valid (1 hour).
    pub reset_password_token_expires_in: u64,
}

impl Default for EmailAndPassword {
    fn default() -> Self {
        EmailAndPassword {
            enabled: true,
            disable_sign_up: false,
            min_password_length: 8,
            max_password_length: 128,
            auto_sign_in: true,
            require_email_verification: false,
            revoke_sessions_on_password_reset: false,
            reset_password_token_expires_in: 3600,
        }
    }
}

/// `session`.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Session lifetime in seconds (7 days).
    pub expires_in: u64,
    /// Sessions older than this (seconds) are extended on read (1 day).
    pub update_age: u64,
    /// A session younger than this (seconds) is "fresh" (1 day); 0 turns the check off.
    pub fresh_age: u64,
    /// `disableSessionRefresh`.
    pub disable_session_refresh: bool,
    /// `cookieCache`.
    pub cookie_cache: CookieCacheOptions,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            expires_in: 604_800,
            update_age: 86_400,
            fresh_age: 86_400,
            disable_session_refresh: false,
            cookie_cache: CookieCacheOptions::default(),
        }
    }
}

/// `session.cookieCache` (compact strategy only).
#[derive(Debug, Clone)]
pub struct CookieCacheOptions {
    /// On by default in Portcullis (off in Better Auth): it is the point of running at the edge.
    pub enabled: bool,
    /// Seconds a cache cookie answers without the database (300).
    pub max_age: u64,
    /// Bump to invalidate every cache cookie at once.
    pub version: String,
}

impl Default for CookieCacheOptions {
    fn default() -> Self {
        CookieCacheOptions {
            enabled: true,
            max_age: 300,
            version: "1".to_owned(),
        }
    }
}

/// `advanced`.
#[derive(Debug, Clone, Default)]
pub struct Advanced {
    /// Forces `Secure` cookies with the `__Secure-` prefix on (or off), whatever the base URL.
    pub use_secure_cookies: Option<bool>,
    /// Cookie name prefix (`better-auth`).
    pub cookie_prefix: Option<String>,
    /// `crossSubDomainCookies`: a `Domain` attribute so subdomains share the session.
    pub cross_sub_domain_cookies: CrossSubDomainCookies,
    /// `ipAddress`.
    pub ip_address: IpAddressOptions,
}

/// `advanced.crossSubDomainCookies`.
#[derive(Debug, Clone, Default)]
pub struct CrossSubDomainCookies {
    /// On or off.
    pub enabled: bool,
    /// The domain; the base URL's host when absent.
    pub domain: Option<String>,
}

/// `advanced.ipAddress`.
#[derive(Debug, Clone)]
pub struct IpAddressOptions {
    /// Headers to read the client IP from, in order (`x-forwarded-for`; on Workers set
    /// `cf-connecting-ip`).
    pub ip_address_headers: Vec<String>,
    /// Store no IP at all.
    pub disable_ip_tracking: bool,
}

impl Default for IpAddressOptions {
    fn default() -> Self {
        IpAddressOptions {
            ip_address_headers: vec!["x-forwarded-for".to_owned()],
            disable_ip_tracking: false,
        }
    }
}

/// `password` (Portcullis).
#[derive(Debug, Clone, Default)]
pub struct PasswordOptions {
    /// Algorithm for new hashes: `argon2id` (default), `pbkdf2-sha256`, or `scrypt` — Better
    /// Auth's own format, for a database that a Better Auth server shares.
    pub algorithm: Algorithm,
}

/// `emailVerification`.
#[derive(Debug, Clone)]
pub struct EmailVerification {
    /// Send the verification mail after sign-up (defaults to `requireEmailVerification`).
    pub send_on_sign_up: Option<bool>,
    /// Send a fresh verification mail when an unverified user signs in while verification is
    /// required.
    pub send_on_sign_in: bool,
    /// Sign the user in when they follow the link.
    pub auto_sign_in_after_verification: bool,
    /// Seconds a verification link stays valid (1 hour).
    pub expires_in: u64,
}

impl Default for EmailVerification {
    fn default() -> Self {
        EmailVerification {
            send_on_sign_up: None,
            send_on_sign_in: false,
            auto_sign_in_after_verification: false,
            expires_in: 3600,
        }
    }
}

/// `user`.
#[derive(Debug, Clone, Default)]
pub struct UserOptions {
    /// `user.changeEmail`.
    pub change_email: ChangeEmail,
    /// `user.deleteUser`.
    pub delete_user: DeleteUser,
}

/// `user.changeEmail`.
#[derive(Debug, Clone, Default)]
pub struct ChangeEmail {
    /// Off by default, as in Better Auth 1.7.
    pub enabled: bool,
}

/// `user.deleteUser`.
#[derive(Debug, Clone)]
pub struct DeleteUser {
    /// Off by default: `/delete-user` answers 404.
    pub enabled: bool,
    /// Confirm deletion through an emailed link (Better Auth's `sendDeleteAccountVerification`).
    pub send_delete_account_verification: bool,
    /// Seconds the emailed link stays valid (1 day).
    pub delete_token_expires_in: u64,
}

impl Default for DeleteUser {
    fn default() -> Self {
        DeleteUser {
            enabled: false,
            send_delete_account_verification: false,
            delete_token_expires_in: 86_400,
        }
    }
}

/// `rateLimit`.
#[derive(Debug, Clone)]
pub struct RateLimitOptions {
    /// On or off; when absent, on for an `https` base URL (a deployment) and off for `http`
    /// (local development), as Better Auth ties it to production mode.
    pub enabled: Option<bool>,
    /// Default window in seconds (10).
    pub window: u64,
    /// Default requests per window (100).
    pub max: u64,
    /// `memory` (per process or isolate), `database` (exact, everywhere) or
    /// `secondary-storage` (KV; approximate).
    pub storage: RateLimitStorage,
    /// Per-path rules that replace the built-in ones: `{"/sign-in/email": {"window": 10, "max": 3}}`
    /// or `false` to exempt a path.
    pub custom_rules: std::collections::BTreeMap<String, CustomRule>,
}

impl Default for RateLimitOptions {
    fn default() -> Self {
        RateLimitOptions {
            enabled: None,
            window: 10,
            max: 100,
            storage: RateLimitStorage::Memory,
            custom_rules: Default::default(),
        }
    }
}

/// Where rate-limit counters live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitStorage {
    /// In memory: per process natively, per isolate on Workers (approximate there).
    Memory,
    /// The `rateLimit` table: exact on every host, one read and one write per request.
    Database,
    /// KV: approximate (eventually consistent, one write per key per second on Workers KV).
    SecondaryStorage,
}

/// A custom rate-limit rule, or `false` for none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomRule {
    /// `{window, max}`.
    Limit {
        /// Seconds.
        window: u64,
        /// Requests per window.
        max: u64,
    },
    /// `false`: the path is not limited.
    Off(bool),
}

/// `email` (Portcullis): how mail leaves.
#[derive(Debug, Clone)]
pub struct EmailDelivery {
    /// `log` (print the link; the default), `webhook` (POST JSON to `webhookUrl`) or `resend`
    /// (Resend's API; the key comes from the `RESEND_API_KEY` secret). `none` sends nothing and
    /// turns the mail-sending endpoints off, as Better Auth without its callbacks.
    pub provider: MailProvider,
    /// Where the webhook mailer posts.
    pub webhook_url: Option<String>,
    /// Sender address for API mailers (`Portcullis <auth@example.com>`).
    pub from: Option<String>,
    /// Subject and body overrides per kind (`verify-email`, `reset-password`, `change-email`,
    /// `delete-account`): `{"subject": "...", "text": "... {url} ..."}`.
    pub templates: std::collections::BTreeMap<String, TemplateOverride>,
}

impl Default for EmailDelivery {
    fn default() -> Self {
        EmailDelivery {
            provider: MailProvider::Log,
            webhook_url: None,
            from: None,
            templates: Default::default(),
        }
    }
}

/// Mail providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailProvider {
    /// No mail; mail-sending endpoints answer as Better Auth does without callbacks.
    None,
    /// Print to the log.
    Log,
    /// POST JSON to `webhookUrl`.
    Webhook,
    /// Resend's HTTP API.
    Resend,
}

/// A template override; `{url}`, `{token}`, `{email}`, `{appName}` are replaced.
#[derive(Debug, Clone, Default)]
pub struct TemplateOverride {
    /// Subject line.
    pub subject: Option<String>,
    /// Plain-text body.
    pub text: Option<String>,
}

/// `gate` (Portcullis): fronting a static site. Off by default; see `src/gate.rs`.
#[derive(Debug, Clone)]
pub struct GateOptions {
    /// On or off. Off: paths outside `basePath` answer 404, as without a gate.
    pub enabled: bool,
    /// Paths that need a session: globs where `*` matches within one path segment and `**`
    /// across segments (`/**` is the whole site).
    pub protect: Vec<String>,
    /// Paths served without a session, even when `protect` matches them (public wins).
    pub public: Vec<String>,
    /// Where the site comes from: an origin URL the host fetches (`https://upstream.example`).
    /// `null`: the Worker's `ASSETS` binding on Workers; natively and on Spin it is required.
    pub origin: Option<String>,
    /// Request header that carries the user id upstream (any incoming copy is removed first).
    pub user_id_header: String,
    /// Request header that carries the user's email upstream, if any.
    pub email_header: Option<String>,
    /// Who may pass besides having a session.
    pub rules: GateRules,
    /// Where the built-in pages (sign-in, sign-up, ...) are served.
    pub pages_path: String,
    /// CSS variables of the built-in pages.
    pub theme: GateTheme,
}

impl Default for GateOptions {
    fn default() -> Self {
        GateOptions {
            enabled: false,
            protect: vec!["/**".to_owned()],
            public: vec!["/public/**".to_owned()],
            origin: None,
            user_id_header: "x-portcullis-user-id".to_owned(),
            email_header: None,
            rules: GateRules::default(),
            pages_path: "/_auth".to_owned(),
            theme: GateTheme::default(),
        }
    }
}

/// `gate.rules`.
#[derive(Debug, Clone, Default)]
pub struct GateRules {
    /// The user's email must be at exactly this domain (`example.com`; no subdomains).
    pub email_domain: Option<String>,
    /// The user's email must be verified.
    pub email_verified: bool,
}

/// `gate.theme`: CSS values (colours, lengths) for the pages' variables.
#[derive(Debug, Clone)]
pub struct GateTheme {
    /// Buttons and links (`--pc-accent`).
    pub accent: String,
    /// Page background (`--pc-background`).
    pub background: String,
    /// Text (`--pc-foreground`).
    pub foreground: String,
    /// Corner radius of fields and buttons (`--pc-radius`).
    pub radius: String,
}

impl Default for GateTheme {
    fn default() -> Self {
        GateTheme {
            accent: "#2563eb".to_owned(),
            background: "#ffffff".to_owned(),
            foreground: "#111111".to_owned(),
            radius: "6px".to_owned(),
        }
    }
}

impl D1Options {
    fn read(o: &mut Opts) -> Self {
        D1Options {
            read_replication: o.bool("readReplication", false),
        }
    }
}

impl SecondaryStorageOptions {
    fn read(o: &mut Opts) -> Self {
        let d = SecondaryStorageOptions::default();
        SecondaryStorageOptions {
            enabled: o.bool("enabled", d.enabled),
            revalidate_after: o.u64("revalidateAfter", d.revalidate_after),
        }
    }
}

impl EmailAndPassword {
    fn read(o: &mut Opts) -> Self {
        let d = EmailAndPassword::default();
        EmailAndPassword {
            enabled: o.bool("enabled", d.enabled),
            disable_sign_up: o.bool("disableSignUp", d.disable_sign_up),
            min_password_length: o.usize("minPasswordLength", d.min_password_length),
            max_password_length: o.usize("maxPasswordLength", d.max_password_length),
            auto_sign_in: o.bool("autoSignIn", d.auto_sign_in),
            require_email_verification: o
                .bool("requireEmailVerification", d.require_email_verification),
            revoke_sessions_on_password_reset: o.bool(
                "revokeSessionsOnPasswordReset",
                d.revoke_sessions_on_password_reset,
            ),
            reset_password_token_expires_in: o.u64(
                "resetPasswordTokenExpiresIn",
                d.reset_password_token_expires_in,
            ),
        }
    }
}

impl SessionOptions {
    fn read(o: &mut Opts) -> Self {
        let d = SessionOptions::default();
        SessionOptions {
            expires_in: o.u64("expiresIn", d.expires_in),
            update_age: o.u64("updateAge", d.update_age),
            fresh_age: o.u64("freshAge", d.fresh_age),
            disable_session_refresh: o.bool("disableSessionRefresh", d.disable_session_refresh),
            cookie_cache: o
                .with("cookieCache", CookieCacheOptions::read)
                .unwrap_or_default(),
        }
    }
}

impl CookieCacheOptions {
    fn read(o: &mut Opts) -> Self {
        let d = CookieCacheOptions::default();
        CookieCacheOptions {
            enabled: o.bool("enabled", d.enabled),
            max_age: o.u64("maxAge", d.max_age),
            version: o.string_or("version", &d.version),
        }
    }
}

impl Advanced {
    fn read(o: &mut Opts) -> Self {
        Advanced {
            use_secure_cookies: o.opt_bool("useSecureCookies"),
            cookie_prefix: o.string("cookiePrefix"),
            cross_sub_domain_cookies: o
                .with("crossSubDomainCookies", CrossSubDomainCookies::read)
                .unwrap_or_default(),
            ip_address: o
                .with("ipAddress", IpAddressOptions::read)
                .unwrap_or_default(),
        }
    }
}

impl CrossSubDomainCookies {
    fn read(o: &mut Opts) -> Self {
        CrossSubDomainCookies {
            enabled: o.bool("enabled", false),
            domain: o.string("domain"),
        }
    }
}

impl IpAddressOptions {
    fn read(o: &mut Opts) -> Self {
        IpAddressOptions {
            ip_address_headers: o.strings("ipAddressHeaders", &["x-forwarded-for"]),
            disable_ip_tracking: o.bool("disableIpTracking", false),
        }
    }
}

impl PasswordOptions {
    fn read(o: &mut Opts) -> Self {
        let algorithm = match o.string("algorithm").map(|s| s.parse::<Algorithm>()) {
            None => Algorithm::default(),
            Some(Ok(algorithm)) => algorithm,
            Some(Err(e)) => {
                o.invalid("algorithm", &e);
                Algorithm::default()
            }
        };
        PasswordOptions { algorithm }
    }
}

impl EmailVerification {
    fn read(o: &mut Opts) -> Self {
        let d = EmailVerification::default();
        EmailVerification {
            send_on_sign_up: o.opt_bool("sendOnSignUp"),
            send_on_sign_in: o.bool("sendOnSignIn", d.send_on_sign_in),
            auto_sign_in_after_verification: o.bool(
                "autoSignInAfterVerification",
                d.auto_sign_in_after_verification,
            ),
            expires_in: o.u64("expiresIn", d.expires_in),
        }
    }
}

impl UserOptions {
    fn read(o: &mut Opts) -> Self {
        UserOptions {
            change_email: o.with("changeEmail", ChangeEmail::read).unwrap_or_default(),
            delete_user: o.with("deleteUser", DeleteUser::read).unwrap_or_default(),
        }
    }
}

impl ChangeEmail {
    fn read(o: &mut Opts) -> Self {
        ChangeEmail {
            enabled: o.bool("enabled", false),
        }
    }
}

impl DeleteUser {
    fn read(o: &mut Opts) -> Self {
        let d = DeleteUser::default();
        DeleteUser {
            enabled: o.bool("enabled", d.enabled),
            send_delete_account_verification: o.bool(
                "sendDeleteAccountVerification",
                d.send_delete_account_verification,
            ),
            delete_token_expires_in: o.u64("deleteTokenExpiresIn", d.delete_token_expires_in),
        }
    }
}

impl RateLimitOptions {
    fn read(o: &mut Opts) -> Self {
        let d = RateLimitOptions::default();
        RateLimitOptions {
            enabled: o.opt_bool("enabled"),
            window: o.u64("window", d.window),
            max: o.u64("max", d.max),
            storage: o.choice(
                "storage",
                &[
                    ("memory", RateLimitStorage::Memory),
                    ("database", RateLimitStorage::Database),
                    ("secondary-storage", RateLimitStorage::SecondaryStorage),
                ],
                d.storage,
            ),
            custom_rules: o.entries("customRules", CustomRule::read),
        }
    }
}

impl CustomRule {
    /// `{window, max}` (both required) or a boolean, as the untagged serde enum took it.
    fn read(value: &Value, path: &str) -> Result<CustomRule, String> {
        let number = |name: &str| value.get(name).and_then(Value::as_u64);
        match value {
            Value::Bool(b) => Ok(CustomRule::Off(*b)),
            Value::Object(_) => match (number("window"), number("max")) {
                (Some(window), Some(max)) => Ok(CustomRule::Limit { window, max }),
                _ => Err(format!(
                    "{path}: expected {{\"window\": seconds, \"max\": requests}} or false"
                )),
            },
            _ => Err(format!(
                "{path}: expected {{\"window\": seconds, \"max\": requests}} or false"
            )),
        }
    }
}

impl EmailDelivery {
    fn read(o: &mut Opts) -> Self {
        let d = EmailDelivery::default();
        EmailDelivery {
            provider: o.choice(
                "provider",
                &[
                    ("none", MailProvider::None),
                    ("log", MailProvider::Log),
                    ("webhook", MailProvider::Webhook),
                    ("resend", MailProvider::Resend),
                ],
                d.provider,
            ),
            webhook_url: o.string("webhookUrl"),
            from: o.string("from"),
            templates: o.entries("templates", |value, path| {
                read_object(value, path, TemplateOverride::read)
            }),
        }
    }
}

impl TemplateOverride {
    fn read(o: &mut Opts) -> Self {
        TemplateOverride {
            subject: o.string("subject"),
            text: o.string("text"),
        }
    }
}

impl GateOptions {
    fn read(o: &mut Opts) -> Self {
        let d = GateOptions::default();
        GateOptions {
            enabled: o.bool("enabled", d.enabled),
            protect: o.strings("protect", &["/**"]),
            public: o.strings("public", &["/public/**"]),
            origin: o.string("origin"),
            user_id_header: o.string_or("userIdHeader", &d.user_id_header),
            email_header: o.string("emailHeader"),
            rules: o.with("rules", GateRules::read).unwrap_or_default(),
            pages_path: o.string_or("pagesPath", &d.pages_path),
            theme: o.with("theme", GateTheme::read).unwrap_or_default(),
        }
    }
}

impl GateRules {
    fn read(o: &mut Opts) -> Self {
        GateRules {
            email_domain: o.string("emailDomain"),
            email_verified: o.bool("emailVerified", false),
        }
    }
}

impl GateTheme {
    fn read(o: &mut Opts) -> Self {
        let d = GateTheme::default();
        GateTheme {
            accent: o.string_or("accent", &d.accent),
            background: o.string_or("background", &d.background),
            foreground: o.string_or("foreground", &d.foreground),
            radius: o.string_or("radius", &d.radius),
        }
    }
}

impl Config {
    /// Whether rate limiting is on (see [`RateLimitOptions::enabled`]).
    pub fn rate_limit_enabled(&self) -> bool {
        self.rate_limit
            .enabled
            .unwrap_or_else(|| self.base_url.starts_with("https://"))
    }

    /// Parses JSON options; unknown option names are an error, so typos do not pass silently.
    pub fn from_json(text: &str) -> Result<Config, String> {
        let value: Value = serde_json::from_slice(text.as_bytes())
            .map_err(|e| format!("invalid configuration: {e}"))?;
        if !value.is_object() {
            return Err("invalid configuration: expected an object".to_owned());
        }
        read_object(&value, "", Config::read).map_err(|e| format!("invalid configuration: {e}"))
    }

    fn read(o: &mut Opts) -> Self {
        let d = Config::default();
        Config {
            base_url: o.string_or("baseURL", &d.base_url),
            base_path: o.string_or("basePath", &d.base_path),
            app_name: o.string_or("appName", &d.app_name),
            trusted_origins: o.strings("trustedOrigins", &[]),
            email_and_password: o
                .with("emailAndPassword", EmailAndPassword::read)
                .unwrap_or_default(),
            session: o.with("session", SessionOptions::read).unwrap_or_default(),
            advanced: o.with("advanced", Advanced::read).unwrap_or_default(),
            password: o
                .with("password", PasswordOptions::read)
                .unwrap_or_default(),
            email_verification: o
                .with("emailVerification", EmailVerification::read)
                .unwrap_or_default(),
            user: o.with("user", UserOptions::read).unwrap_or_default(),
            rate_limit: o
                .with("rateLimit", RateLimitOptions::read)
                .unwrap_or_default(),
            email: o.with("email", EmailDelivery::read).unwrap_or_default(),
            gate: o.with("gate", GateOptions::read).unwrap_or_default(),
            secondary_storage: o
                .with("secondaryStorage", SecondaryStorageOptions::read)
                .unwrap_or_default(),
            d1: o.with("d1", D1Options::read).unwrap_or_default(),
            plugins: o.with("plugins", PluginOptions::read).unwrap_or_default(),
            social_providers: o.entries("socialProviders", |value, path| {
                read_object(value, path, crate::social::ProviderOptions::read)
            }),
            account: o
                .with("account", crate::social::AccountOptions::read)
                .unwrap_or_default(),
        }
    }

    /// Applies the environment variables every host reads: `BETTER_AUTH_URL` and
    /// `BETTER_AUTH_TRUSTED_ORIGINS` (comma-separated).
    pub fn apply_env(&mut self, base_url: Option<String>, trusted_origins: Option<String>) {
        if let Some(url) = base_url.filter(|u| !u.trim().is_empty()) {
            self.base_url = url.trim().trim_end_matches('/').to_owned();
        }
        if let Some(list) = trusted_origins {
            self.trusted_origins.extend(
                list.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_use_better_auth_names_and_defaults() {
        let config = Config::from_json(
            r#"{"baseURL":"https://auth.example.com","session":{"cookieCache":{"maxAge":60}},"emailAndPassword":{"autoSignIn":false}}"#,
        )
        .unwrap();
        assert_eq!(config.base_url, "https://auth.example.com");
        assert_eq!(config.session.cookie_cache.max_age, 60);
        assert!(config.session.cookie_cache.enabled);
        assert!(!config.email_and_password.auto_sign_in);
        assert_eq!(config.session.expires_in, 604_800);
    }

    #[test]
    fn env_adds_base_url_and_trusted_origins() {
        let mut config = Config::default();
        config.apply_env(
            Some("https://auth.example.com/".into()),
            Some("https://a.example.com, https://b.example.com".into()),
        );
        assert_eq!(config.base_url, "https://auth.example.com");
        assert_eq!(
            config.trusted_origins,
            ["https://a.example.com", "https://b.example.com"]
        );
    }

    #[test]
    fn gate_options_default_to_off_and_parse_in_camel_case() {
        let config = Config::default();
        assert!(!config.gate.enabled);
        assert_eq!(config.gate.protect, ["/**"]);
        assert_eq!(config.gate.public, ["/public/**"]);
        assert_eq!(config.gate.pages_path, "/_auth");
        let config = Config::from_json(
            r##"{"gate":{"enabled":true,"origin":"http://127.0.0.1:9000","userIdHeader":"x-user","emailHeader":"x-email","rules":{"emailDomain":"example.com","emailVerified":true},"theme":{"accent":"#ff0000"}}}"##,
        )
        .unwrap();
        assert!(config.gate.enabled);
        assert_eq!(config.gate.origin.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(config.gate.email_header.as_deref(), Some("x-email"));
        assert_eq!(
            config.gate.rules.email_domain.as_deref(),
            Some("example.com")
        );
        assert!(config.gate.rules.email_verified);
        assert_eq!(config.gate.theme.accent, "#ff0000");
        assert_eq!(config.gate.theme.radius, "6px");
        assert!(Config::from_json(r#"{"gate":{"protected":["/**"]}}"#).is_err());
    }

    #[test]
    fn mistyped_or_unknown_options_are_errors_that_name_their_path() {
        let error = |json: &str| Config::from_json(json).unwrap_err();
        assert!(error(r#"{"session":{"cookieCache":{"maxAge":"60"}}}"#)
            .contains("session.cookieCache.maxAge"));
        assert!(
            error(r#"{"advanced":{"ipAddress":{"ipAddressHeaders":"x"}}}"#)
                .contains("advanced.ipAddress.ipAddressHeaders")
        );
        assert!(
            error(r#"{"user":{"deleteUser":{"enable":true}}}"#).contains("user.deleteUser.enable")
        );
        assert!(error(r#"{"rateLimit":{"storage":"redis"}}"#).contains("rateLimit.storage"));
        assert!(error(r#"{"email":{"provider":"smtp"}}"#).contains("email.provider"));
        assert!(
            error(r#"{"email":{"templates":{"verify-email":{"body":"x"}}}}"#)
                .contains("email.templates.verify-email.body")
        );
        assert!(error(r#"{"password":{"algorithm":"md5"}}"#).contains("password.algorithm"));
        assert!(
            error(r#"{"rateLimit":{"customRules":{"/x":{"window":1}}}}"#)
                .contains("rateLimit.customRules./x")
        );
        assert!(error(r#"{"gate":true}"#).contains("gate"));
        assert!(error("[]").contains("expected an object"));
    }

    #[test]
    fn enums_maps_and_optional_flags_read_as_before() {
        let config = Config::from_json(
            r#"{"rateLimit":{"enabled":false,"storage":"secondary-storage","customRules":{"/a":{"window":5,"max":2},"/b":false}},"email":{"provider":"webhook","webhookUrl":"http://127.0.0.1:1/m","templates":{"verify-email":{"subject":"Hi"}}},"password":{"algorithm":"scrypt"},"advanced":{"useSecureCookies":true},"emailVerification":{"sendOnSignUp":null}}"#,
        )
        .unwrap();
        assert_eq!(config.rate_limit.enabled, Some(false));
        assert_eq!(
            config.rate_limit.storage,
            RateLimitStorage::SecondaryStorage
        );
        assert_eq!(
            config.rate_limit.custom_rules["/a"],
            CustomRule::Limit { window: 5, max: 2 }
        );
        assert_eq!(config.rate_limit.custom_rules["/b"], CustomRule::Off(false));
        assert_eq!(config.email.provider, MailProvider::Webhook);
        assert_eq!(
            config.email.templates["verify-email"].subject.as_deref(),
            Some("Hi")
        );
        assert_eq!(config.password.algorithm, Algorithm::Scrypt);
        assert_eq!(config.advanced.use_secure_cookies, Some(true));
        assert_eq!(config.email_verification.send_on_sign_up, None);
        assert_eq!(
            config.advanced.ip_address.ip_address_headers,
            ["x-forwarded-for"]
        );
    }

    #[test]
    fn unknown_option_and_a_secret_in_the_file_are_errors() {
        assert!(Config::from_json(r#"{"sesion":{}}"#).is_err());
        assert!(Config::from_json(r#"{"secret":"abc"}"#).is_err());
    }
}
