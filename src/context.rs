//! The per-request context every endpoint works in: the request as parsed once (cookies, query,
//! headers), the host's parts (SQL, password hasher), the clock reading for this request, and
//! what the response will carry besides its body (Set-Cookie and other headers).

use std::borrow::Cow;

use http::HeaderMap;

use crate::config::Config;
use crate::cookies::{self, CookieAttributes, SameSite};
use crate::crypto::password::PasswordHasher;
use crate::store::secondary::Op;
use crate::store::sessions::Session;
use crate::store::users::{User, UserField};
use crate::store::{Kv, Sql};
use crate::time::Millis;

/// Cookie names and attributes, derived once from the configuration as Better Auth's
/// `getCookies` does.
#[derive(Debug, Clone)]
pub struct AuthCookies {
    /// `better-auth.` (with `__Secure-` when secure): what [`AuthCookies::named`] prefixes.
    pub prefix: String,
    /// `better-auth.session_token` (with `__Secure-` when secure).
    pub session_token: String,
    /// `better-auth.session_data`.
    pub session_data: String,
    /// `better-auth.dont_remember`.
    pub dont_remember: String,
    /// Shared attributes (path, HttpOnly, Secure, SameSite, Domain); Max-Age is set per cookie.
    pub attributes: CookieAttributes,
}

impl AuthCookies {
    /// The full name of another cookie (`two_factor` → `better-auth.two_factor`), as Better
    /// Auth's `createAuthCookie` names plugin cookies.
    pub fn named(&self, cookie: &str) -> String {
        format!("{}{cookie}", self.prefix)
    }

    /// Names and attributes for these options.
    pub fn new(config: &Config) -> Self {
        let secure = config
            .advanced
            .use_secure_cookies
            .unwrap_or_else(|| config.base_url.starts_with("https://"));
        let prefix = config
            .advanced
            .cookie_prefix
            .as_deref()
            .unwrap_or("better-auth");
        let name =
            |cookie: &str| format!("{}{prefix}.{cookie}", if secure { "__Secure-" } else { "" });
        let cross = &config.advanced.cross_sub_domain_cookies;
        let domain = cross
            .enabled
            .then(|| {
                cross
                    .domain
                    .clone()
                    .or_else(|| crate::urls::host(&config.base_url).map(str::to_owned))
            })
            .flatten();
        AuthCookies {
            prefix: name(""),
            session_token: name("session_token"),
            session_data: name("session_data"),
            dont_remember: name("dont_remember"),
            attributes: CookieAttributes {
                max_age: None,
                domain,
                path: "/",
                http_only: true,
                secure,
                same_site: SameSite::Lax,
            },
        }
    }
}

/// Everything an endpoint reads and writes besides its body.
pub struct Ctx<'a> {
    /// Options.
    pub config: &'a Config,
    /// Cookie names and attributes.
    pub auth_cookies: &'a AuthCookies,
    /// `BETTER_AUTH_SECRET`.
    pub secret: &'a str,
    /// The database.
    pub sql: &'a dyn Sql,
    /// Sessions' secondary storage, when `secondaryStorage.enabled` (see
    /// [`crate::store::secondary`]).
    pub kv: Option<&'a dyn Kv>,
    /// KV writes to make once the endpoint has run.
    pub kv_ops: Vec<Op>,
    /// Password hashing, run where the host wants it.
    pub hasher: &'a dyn PasswordHasher,
    /// Mail delivery.
    pub mailer: &'a dyn crate::mail::Mailer,
    /// Outbound HTTP.
    pub http: &'a dyn crate::net::HttpClient,
    /// The configured social providers and their caches.
    pub social: &'a crate::social::Social,
    /// JWS signature checks (id tokens).
    pub jws: &'a dyn crate::crypto::jws::JwsVerifier,
    /// Where failures are logged.
    pub log: fn(&str),
    /// The clock, read once for the request.
    pub now: Millis,
    /// Request headers.
    pub headers: &'a HeaderMap,
    /// Query parameters, decoded.
    pub query: Vec<(String, String)>,
    /// Request cookies, parsed as better-call parses them (borrowed from the headers where
    /// nothing was decoded).
    pub request_cookies: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// `Set-Cookie` values to send, in order, each with its cookie name.
    pub set_cookies: Vec<(String, String)>,
    /// Other headers to send.
    pub response_headers: Vec<(http::HeaderName, String)>,
    /// The columns plugins add to `user`, in order: every user read selects them.
    pub user_fields: &'a [UserField],
    /// The session this request issued session cookies for (Better Auth's `newSession`), for
    /// plugins' after-hooks.
    pub new_session: Option<(Session, User)>,
}

impl Ctx<'_> {
    /// A request cookie's (percent-decoded) value.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.request_cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_ref())
    }

    /// A signed request cookie's value, if its signature verifies.
    pub fn signed_cookie(&self, name: &str) -> Option<&str> {
        self.cookie(name)
            .and_then(|raw| cookies::unsign(raw, self.secret))
    }

    /// A query parameter.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A query flag that zod's `z.coerce.boolean()`-style schema reads as true (`true`).
    pub fn query_flag(&self, name: &str) -> bool {
        self.query_param(name) == Some("true")
    }

    /// A request header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Queues a `Set-Cookie`.
    pub fn set_cookie(&mut self, name: &str, value: &str, max_age: Option<u64>) {
        let attributes = CookieAttributes {
            max_age,
            ..self.auth_cookies.attributes.clone()
        };
        self.set_cookies.push((
            name.to_owned(),
            cookies::serialize_set_cookie(name, value, &attributes),
        ));
    }

    /// Queues a signed `Set-Cookie` (better-call's `setSignedCookie`).
    pub fn set_signed_cookie(&mut self, name: &str, value: &str, max_age: Option<u64>) {
        let signed = cookies::sign(value, self.secret);
        self.set_cookie(name, &signed, max_age);
    }

    /// Better Auth's `expireCookie`: drops any pending Set-Cookie of that name (or its chunks),
    /// then sends an empty value with `Max-Age=0`.
    pub fn expire_cookie(&mut self, name: &str) {
        let chunk_prefix = format!("{name}.");
        self.set_cookies
            .retain(|(n, _)| n != name && !n.starts_with(&chunk_prefix));
        self.set_cookie(name, "", Some(0));
    }

    /// Expires every chunk of a chunked cookie (and the cookie itself) that the request carried,
    /// as Better Auth's session store `clean()` does.
    pub fn expire_request_chunks(&mut self, name: &str) {
        let chunk_prefix = format!("{name}.");
        let present: Vec<String> = self
            .request_cookies
            .iter()
            .filter(|(n, _)| {
                n == name
                    || n.strip_prefix(&chunk_prefix)
                        .is_some_and(|i| i.parse::<u32>().is_ok())
            })
            .map(|(n, _)| n.to_string())
            .collect();
        for n in present {
            self.set_cookie(&n, "", Some(0));
        }
    }

    /// Queues a KV write, when sessions are kept in secondary storage.
    pub fn queue_kv(&mut self, op: Op) {
        if self.kv.is_some() {
            self.kv_ops.push(op);
        }
    }

    /// Makes the queued KV writes (the end of every request that has a context).
    pub async fn flush_kv(&mut self) {
        let ops = std::mem::take(&mut self.kv_ops);
        if let (Some(kv), false) = (self.kv, ops.is_empty()) {
            let revalidate = self.config.secondary_storage.revalidate_after;
            crate::store::secondary::apply(kv, ops, self.now, revalidate, self.log).await;
        }
    }

    /// Sets a response header.
    pub fn set_header(&mut self, name: http::HeaderName, value: impl Into<String>) {
        self.response_headers.retain(|(n, _)| n != name);
        self.response_headers.push((name, value.into()));
    }
}
