//! The static-site gate: every request outside the API and the built-in pages is judged here,
//! then forwarded to the site (an origin URL, or the Worker's `ASSETS` binding) or refused.
//!
//! - **Paths.** `gate.public` globs win over `gate.protect` globs; a path that neither matches
//!   is served like a public one. `*` matches within one path segment, `**` (a whole segment)
//!   any number of segments, `/public/**` also `/public` itself. Paths are judged
//!   percent-decoded with runs of `/` collapsed, and paths an upstream could resolve to another
//!   path (dot segments, also `..;x`; an encoded `/` or `\`; a `\`; control characters) are
//!   refused with 400, so `/public/../members/` cannot borrow the public rule.
//! - **Sessions.** A protected path needs a session, read as `get-session` reads it: the cookie
//!   cache first (no database round trip), the database only when the cache is missing or stale.
//!   `gate.rules` (email domain, verified email) are checked against the session's user; a
//!   refusal read from the cookie cache is confirmed from the database once, so a user who has
//!   just verified their address is not turned away by a five-minute-old cache.
//! - **Forwarding.** Method, path (slashes collapsed) and query are kept, and so are the headers,
//!   except hop-by-hop ones, `Host`, `Content-Length`, `Accept-Encoding` (the upstream answers
//!   uncompressed, as the body is passed on as it is) and every incoming copy of the user-id and
//!   email headers; then the gate sets those for a protected path. Protected responses are
//!   marked `Cache-Control: private, no-cache` (unless `no-store`), so no shared cache keeps
//!   them and the browser asks the gate again each time.
//! - **Refusals.** An HTML request (`Accept` has `text/html`, or a GET navigation) is sent to
//!   `<pagesPath>/sign-in?callbackURL=<path and query>` (or `<pagesPath>/error?error=ACCESS_DENIED`
//!   when the rules refuse); any other request gets 401 `UNAUTHORIZED` in JSON.
//!
//! Everything here but [`Gate::guard`] is a pure function of its inputs.

use async_trait::async_trait;
use base64::Engine;
use bytes::Bytes;
use http::request::Parts;
use http::{header, HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use sha2::{Digest, Sha256};

use crate::config::{GateOptions, GateRules, GateTheme};
use crate::context::Ctx;
use crate::cookies::encode_uri_component;
use crate::net::Upstream;
use crate::session::{self, Read, Source};
use crate::store::users::User;

pub mod pages;

/// The API, called in process by the pages (sign-in, sign-up, ...). `Auth` implements it one
/// floor up, so the pages run exactly the endpoint logic, origin checks and rate limits.
#[async_trait(?Send)]
pub trait Api {
    /// Answers one request under the base path.
    async fn call(&self, request: Request<Bytes>) -> Response<Bytes>;
}

/// One segment of a glob.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// `**`: any number of segments, none included.
    Any,
    /// A segment where `*` matches any run of characters.
    Pattern(String),
}

/// A path glob: `*` within a segment, `**` across segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob(Vec<Segment>);

impl Glob {
    /// Parses a pattern; it must start with `/`, and `**` must be a whole segment.
    pub fn parse(pattern: &str) -> Result<Glob, String> {
        let Some(rest) = pattern.strip_prefix('/') else {
            return Err(format!("gate: pattern {pattern:?} must start with /"));
        };
        rest.split('/')
            .map(|segment| match segment {
                "**" => Ok(Segment::Any),
                s if s.contains("**") => Err(format!(
                    "gate: pattern {pattern:?}: ** must be a whole segment (/a/**/b)"
                )),
                s => Ok(Segment::Pattern(s.to_owned())),
            })
            .collect::<Result<_, _>>()
            .map(Glob)
    }

    /// Whether a canonical path (see [`canonical_path`]) matches. Linear in pattern × path
    /// segments, whatever the path (no backtracking blow-up on hostile paths).
    pub fn matches(&self, path: &str) -> bool {
        let Some(rest) = path.strip_prefix('/') else {
            return false;
        };
        let segments: Vec<&str> = rest.split('/').collect();
        let (p, s) = (self.0.len(), segments.len());
        // matched[j]: pattern[i..] matches segments[j..], computed from the last i down.
        let mut matched = vec![false; s + 1];
        matched[s] = true;
        for i in (0..p).rev() {
            let mut next = vec![false; s + 1];
            for j in (0..=s).rev() {
                next[j] = match &self.0[i] {
                    Segment::Any => matched[j] || (j < s && next[j + 1]),
                    Segment::Pattern(pattern) => {
                        j < s && matched[j + 1] && segment_matches(pattern, segments[j])
                    }
                };
            }
            matched = next;
        }
        matched[0]
    }
}

/// `*` matches any run of characters (the segment has no `/`).
fn segment_matches(pattern: &str, text: &str) -> bool {
    crate::urls::wildcard_match(pattern, text, false)
}

/// The path as the gate judges it: each segment percent-decoded, runs of `/` collapsed, a
/// trailing `/` kept. `None` for a path an upstream could resolve to another path: a `.` or
/// `..` segment (also with `;params`, as Java servers read `..;/`), an encoded `/` or `\`, a
/// `\`, or a control character.
pub fn canonical_path(raw: &str) -> Option<String> {
    let rest = raw.strip_prefix('/')?;
    if raw.contains('\\') {
        return None;
    }
    let mut out = String::with_capacity(raw.len());
    for segment in rest.split('/').filter(|s| !s.is_empty()) {
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        if decoded.contains(['/', '\\']) || decoded.chars().any(char::is_control) {
            return None;
        }
        let name = decoded.split(';').next().unwrap_or("");
        if name == "." || name == ".." {
            return None;
        }
        out.push('/');
        out.push_str(&decoded);
    }
    if out.is_empty() || raw.ends_with('/') {
        out.push('/');
    }
    Some(out)
}

/// The raw path with runs of `/` collapsed (what is forwarded, so the upstream serves the path
/// that was judged).
pub fn collapse_slashes(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

/// What a path needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Served to anyone, without user headers.
    Public,
    /// Needs a session that passes the rules.
    Protected,
}

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// No valid session: sign in first.
    SignIn,
    /// A session whose user the rules refuse.
    AccessDenied,
}

/// Whether the client wants a page (and so a redirect to sign in) rather than an API answer:
/// `Accept` names `text/html`, or it is a GET navigation (`Sec-Fetch-Mode: navigate`).
pub fn wants_html(method: &Method, headers: &HeaderMap) -> bool {
    let accepts_html = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("text/html"));
    let navigates = matches!(*method, Method::GET | Method::HEAD)
        && headers
            .get("sec-fetch-mode")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"navigate"));
    accepts_html || navigates
}

/// Whether a user passes the rules: the email at exactly `emailDomain` (case-insensitive, no
/// subdomains), and verified when `emailVerified` is set.
pub fn passes_rules(rules: &GateRules, user: &User) -> bool {
    if rules.email_verified && !user.email_verified {
        return false;
    }
    match rules.email_domain.as_deref() {
        None => true,
        Some(domain) => user
            .email
            .rsplit_once('@')
            .is_some_and(|(_, d)| d.eq_ignore_ascii_case(domain.trim_start_matches('@'))),
    }
}

/// A callback the pages may redirect to: a safe relative path (Better Auth's
/// `isSafeRelativeURL`), or an absolute `http(s)` URL on a trusted origin. Anything else is
/// `/`: `//evil.com`, `/\evil.com`, `https://evil.com`, `javascript:…`.
pub fn safe_callback(callback: Option<&str>, trusted: &[String]) -> String {
    let Some(callback) = callback.map(str::trim).filter(|c| !c.is_empty()) else {
        return "/".to_owned();
    };
    if crate::urls::is_safe_relative(callback) {
        return callback.to_owned();
    }
    let trusted_absolute = crate::urls::origin(callback).is_some()
        && trusted
            .iter()
            .any(|pattern| crate::urls::matches_origin_pattern(callback, pattern, false));
    if trusted_absolute {
        callback.to_owned()
    } else {
        "/".to_owned()
    }
}

/// Headers that describe one connection, never forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The hop-by-hop headers of a message: the fixed ones and those its `Connection` names.
fn hop_by_hop(headers: &HeaderMap) -> Vec<String> {
    let mut names: Vec<String> = HOP_BY_HOP.iter().map(|s| (*s).to_owned()).collect();
    for value in headers.get_all(header::CONNECTION) {
        if let Ok(value) = value.to_str() {
            names.extend(
                value
                    .split(',')
                    .map(|t| t.trim().to_ascii_lowercase())
                    .filter(|t| !t.is_empty()),
            );
        }
    }
    names
}

const UNAUTHORIZED_JSON: &str = r#"{"message":"Unauthorized","code":"UNAUTHORIZED"}"#;
const MISCONFIGURED_JSON: &str =
    r#"{"message":"Server misconfigured","code":"INTERNAL_SERVER_ERROR"}"#;
const BAD_GATEWAY_JSON: &str = r#"{"message":"Bad gateway","code":"BAD_GATEWAY"}"#;
const BAD_PATH_JSON: &str = r#"{"message":"Invalid path","code":"BAD_REQUEST"}"#;

fn json_response(status: StatusCode, body: &'static str) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from_static(body.as_bytes()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The gate, compiled from `gate` options.
#[derive(Debug, Clone)]
pub struct Gate {
    protect: Vec<Glob>,
    public: Vec<Glob>,
    origin: Option<String>,
    user_id_header: HeaderName,
    email_header: Option<HeaderName>,
    rules: GateRules,
    pages_path: String,
    style: String,
    style_hash: String,
}

/// Header names the gate may not use for the user: the request would lose its meaning.
const RESERVED_HEADERS: [&str; 6] = [
    "host",
    "cookie",
    "authorization",
    "content-length",
    "content-type",
    "transfer-encoding",
];

fn user_header(option: &str, name: &str) -> Result<HeaderName, String> {
    let parsed = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("gate.{option} {name:?} is not a header name"))?;
    if RESERVED_HEADERS.contains(&parsed.as_str()) || HOP_BY_HOP.contains(&parsed.as_str()) {
        return Err(format!("gate.{option} may not be {name:?}"));
    }
    Ok(parsed)
}

/// A theme value is one CSS token list: colours, lengths, `rgb(…)`. Nothing that could end the
/// declaration or the style element.
fn theme_value(option: &str, value: &str) -> Result<(), String> {
    let ok = !value.trim().is_empty()
        && value.len() <= 100
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " #%.,()-+/".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "gate.theme.{option} {value:?} is not a plain CSS value (letters, digits, space and # % . , ( ) - + / only)"
        ))
    }
}

/// Whether `path` is `prefix` or below it.
pub fn is_under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

const CSS: &str = "*{box-sizing:border-box}\
body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--pc-background);color:var(--pc-foreground);font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif}\
main{width:100%;max-width:26rem;padding:2rem 1.5rem}\
h1{font-size:1.5rem;line-height:1.25;margin:0 0 1.25rem}\
p{margin:0 0 1rem}\
form{display:grid;gap:1rem;margin:0 0 1rem}\
.field{display:grid;gap:.35rem}\
label{font-weight:600}\
input{font:inherit;color:inherit;background:transparent}\
input[type=email],input[type=password],input[type=text]{width:100%;padding:.55rem .75rem;border:1px solid currentColor;border-radius:var(--pc-radius)}\
input[aria-invalid=true]{border-color:#b91c1c}\
.check{display:flex;gap:.5rem;align-items:center}\
.check label{font-weight:400}\
button{font:inherit;font-weight:600;padding:.6rem 1rem;border:1px solid var(--pc-accent);border-radius:var(--pc-radius);background:var(--pc-accent);color:#fff;cursor:pointer}\
button:hover{filter:brightness(1.1)}\
a{color:var(--pc-accent)}\
:focus-visible{outline:3px solid var(--pc-accent);outline-offset:2px}\
.alert{padding:.75rem 1rem;border:1px solid #b91c1c;border-radius:var(--pc-radius);background:#fef2f2;color:#7f1d1d}\
.notice{padding:.75rem 1rem;border:1px solid #15803d;border-radius:var(--pc-radius);background:#f0fdf4;color:#14532d}\
.links{display:grid;gap:.35rem;font-size:.95rem}\
.social{display:grid;gap:.5rem;margin:0 0 1rem}\
.social a{display:block;text-align:center;font-weight:600;padding:.6rem 1rem;border:1px solid currentColor;border-radius:var(--pc-radius);color:inherit;text-decoration:none}\
code{font-size:.95em}";

fn stylesheet(theme: &GateTheme) -> String {
    format!(
        ":root{{--pc-accent:{};--pc-background:{};--pc-foreground:{};--pc-radius:{}}}{CSS}",
        theme.accent, theme.background, theme.foreground, theme.radius
    )
}

impl Gate {
    /// Compiles and checks the options; a bad option is a configuration error naming it.
    pub fn new(options: &GateOptions, base_path: &str) -> Result<Gate, String> {
        let globs = |list: &[String]| -> Result<Vec<Glob>, String> {
            list.iter().map(|p| Glob::parse(p)).collect()
        };
        let protect = globs(&options.protect)?;
        let public = globs(&options.public)?;
        let origin = match &options.origin {
            None => None,
            Some(url) => {
                let url = url.trim().trim_end_matches('/');
                if crate::urls::origin(url).is_none() || url.contains(['?', '#']) {
                    return Err(format!(
                        "gate.origin {url:?} is not an absolute http(s) URL without query"
                    ));
                }
                Some(url.to_owned())
            }
        };
        let user_id_header = user_header("userIdHeader", &options.user_id_header)?;
        let email_header = options
            .email_header
            .as_deref()
            .map(|name| user_header("emailHeader", name))
            .transpose()?;
        if email_header.as_ref() == Some(&user_id_header) {
            return Err("gate.emailHeader must differ from gate.userIdHeader".to_owned());
        }
        if let Some(domain) = &options.rules.email_domain {
            let domain = domain.trim_start_matches('@');
            if domain.is_empty() || !domain.is_ascii() || domain.contains(['@', ' ', '/']) {
                return Err(format!("gate.rules.emailDomain {domain:?} is not a domain"));
            }
        }
        let pages_path = options.pages_path.trim_end_matches('/');
        if !pages_path.starts_with('/')
            || pages_path.contains(['*', '?', '#', '%', '\\', ' '])
            || pages_path.contains("//")
        {
            return Err(format!(
                "gate.pagesPath {:?} must be a path such as /_auth",
                options.pages_path
            ));
        }
        let base = base_path.trim_end_matches('/');
        if base.is_empty() || is_under(pages_path, base) || is_under(base, pages_path) {
            return Err(format!(
                "gate.pagesPath {pages_path:?} and basePath {base_path:?} must not contain each other (and the gate needs a basePath other than /)"
            ));
        }
        let theme = &options.theme;
        theme_value("accent", &theme.accent)?;
        theme_value("background", &theme.background)?;
        theme_value("foreground", &theme.foreground)?;
        theme_value("radius", &theme.radius)?;
        let style = stylesheet(theme);
        let style_hash = format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(style.as_bytes()))
        );
        Ok(Gate {
            protect,
            public,
            origin,
            user_id_header,
            email_header,
            rules: options.rules.clone(),
            pages_path: pages_path.to_owned(),
            style,
            style_hash,
        })
    }

    /// Where the pages live (`/_auth`), without a trailing slash.
    pub fn pages_path(&self) -> &str {
        &self.pages_path
    }

    /// Whether a request path is one of the pages'.
    pub fn is_pages_path(&self, path: &str) -> bool {
        is_under(path, &self.pages_path)
    }

    /// The pages' stylesheet and its CSP source (`'sha256-…'`).
    pub fn style(&self) -> (&str, &str) {
        (&self.style, &self.style_hash)
    }

    /// What a canonical path needs: public globs win over protect globs; a path neither
    /// names is public.
    pub fn access(&self, canonical: &str) -> Access {
        if self.public.iter().any(|g| g.matches(canonical)) {
            Access::Public
        } else if self.protect.iter().any(|g| g.matches(canonical)) {
            Access::Protected
        } else {
            Access::Public
        }
    }

    /// The refusal: a 302 to sign in (or to the error page) for a page request, else 401.
    pub fn deny(
        &self,
        method: &Method,
        headers: &HeaderMap,
        denial: Denial,
        path_and_query: &str,
    ) -> Response<Bytes> {
        if !wants_html(method, headers) {
            return json_response(StatusCode::UNAUTHORIZED, UNAUTHORIZED_JSON);
        }
        let location = match denial {
            Denial::SignIn => format!(
                "{}/sign-in?callbackURL={}",
                self.pages_path,
                encode_uri_component(path_and_query)
            ),
            Denial::AccessDenied => format!("{}/error?error=ACCESS_DENIED", self.pages_path),
        };
        let mut response = Response::new(Bytes::new());
        *response.status_mut() = StatusCode::FOUND;
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&location) {
            headers.insert(header::LOCATION, value);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }

    /// The headers sent upstream: the incoming ones without hop-by-hop headers, `Host`,
    /// `Content-Length`, `Accept-Encoding` or any copy of the user headers; then the user
    /// headers for `user`.
    pub fn upstream_headers(&self, incoming: &HeaderMap, user: Option<&User>) -> HeaderMap {
        let drop = hop_by_hop(incoming);
        let mut out = HeaderMap::with_capacity(incoming.len() + 2);
        for (name, value) in incoming {
            let skip = drop.iter().any(|d| d == name.as_str())
                || *name == header::HOST
                || *name == header::CONTENT_LENGTH
                || *name == header::ACCEPT_ENCODING
                || *name == self.user_id_header
                || self.email_header.as_ref() == Some(name);
            if !skip {
                out.append(name.clone(), value.clone());
            }
        }
        if let Some(user) = user {
            if let Ok(id) = HeaderValue::from_str(&user.id) {
                out.insert(self.user_id_header.clone(), id);
            }
            if let Some(name) = &self.email_header {
                if let Ok(email) = HeaderValue::from_str(&user.email) {
                    out.insert(name.clone(), email);
                }
            }
        }
        out
    }

    /// The upstream URL for a path and query: on `gate.origin`, or on the site's own origin
    /// (the `ASSETS` binding reads only the path).
    pub fn upstream_url(&self, site_origin: &str, path_and_query: &str) -> String {
        format!(
            "{}{path_and_query}",
            self.origin.as_deref().unwrap_or(site_origin)
        )
    }

    /// The upstream's answer as sent on: hop-by-hop headers and `Content-Length` (except for
    /// HEAD) removed, a `Location` on the origin made relative, and protected content kept out
    /// of shared caches.
    pub fn downstream(
        &self,
        method: &Method,
        response: Response<Bytes>,
        access: Access,
    ) -> Response<Bytes> {
        let (mut parts, body) = response.into_parts();
        for name in hop_by_hop(&parts.headers) {
            parts.headers.remove(name.as_str());
        }
        if *method != Method::HEAD {
            parts.headers.remove(header::CONTENT_LENGTH);
        }
        if let (Some(origin), Some(location)) = (
            self.origin.as_deref(),
            parts
                .headers
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok()),
        ) {
            let on_origin = location.len() >= origin.len()
                && location.as_bytes()[..origin.len()].eq_ignore_ascii_case(origin.as_bytes())
                && matches!(
                    location.as_bytes().get(origin.len()),
                    None | Some(b'/' | b'?' | b'#')
                );
            if on_origin {
                let rest = &location[origin.len()..];
                let relative = if rest.starts_with('/') {
                    rest.to_owned()
                } else {
                    format!("/{rest}")
                };
                if let Ok(value) = HeaderValue::from_str(&relative) {
                    parts.headers.insert(header::LOCATION, value);
                }
            }
        }
        if access == Access::Protected {
            let no_store = parts
                .headers
                .get_all(header::CACHE_CONTROL)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|v| v.to_ascii_lowercase().contains("no-store"));
            if !no_store {
                parts.headers.insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("private, no-cache"),
                );
            }
        }
        Response::from_parts(parts, body)
    }

    /// The session's user if it may pass, or why not. Round trips: 0 with a fresh cookie cache,
    /// 1 otherwise (2 when the session is refreshed), plus 1 to confirm a refusal read from
    /// the cache.
    pub async fn authorize(&self, ctx: &mut Ctx<'_>) -> Result<Result<User, Denial>, String> {
        let current = session::current(ctx, Read::LOOKUP)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let Some(current) = current else {
            return Ok(Err(Denial::SignIn));
        };
        if passes_rules(&self.rules, &current.user) {
            return Ok(Ok(current.user));
        }
        if current.source == Source::CookieCache {
            let fresh = session::current(ctx, Read::AUTHORITATIVE)
                .await
                .map_err(|e| format!("{e:?}"))?;
            return Ok(match fresh {
                None => Err(Denial::SignIn),
                Some(c) if passes_rules(&self.rules, &c.user) => Ok(c.user),
                Some(_) => Err(Denial::AccessDenied),
            });
        }
        Ok(Err(Denial::AccessDenied))
    }

    /// Judges one request and answers it: forwarded upstream, or refused. Cookies the session
    /// read set (a refreshed cookie cache, expired cookies) go on the answer either way.
    pub async fn guard(
        &self,
        ctx: &mut Ctx<'_>,
        upstream: Option<&dyn Upstream>,
        site_origin: &str,
        parts: &Parts,
        body: Bytes,
    ) -> Response<Bytes> {
        let mut response = self
            .judge_and_forward(ctx, upstream, site_origin, parts, body)
            .await;
        for (_, cookie) in ctx.set_cookies.drain(..) {
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
        response
    }

    async fn judge_and_forward(
        &self,
        ctx: &mut Ctx<'_>,
        upstream: Option<&dyn Upstream>,
        site_origin: &str,
        parts: &Parts,
        body: Bytes,
    ) -> Response<Bytes> {
        let raw_path = parts.uri.path();
        let Some(canonical) = canonical_path(raw_path) else {
            return json_response(StatusCode::BAD_REQUEST, BAD_PATH_JSON);
        };
        let mut path_and_query = collapse_slashes(raw_path);
        if let Some(query) = parts.uri.query() {
            path_and_query.push('?');
            path_and_query.push_str(query);
        }
        let access = self.access(&canonical);
        let user = match access {
            Access::Public => None,
            Access::Protected => match self.authorize(ctx).await {
                Ok(Ok(user)) => Some(user),
                Ok(Err(denial)) => {
                    return self.deny(&parts.method, &parts.headers, denial, &path_and_query)
                }
                Err(error) => {
                    (ctx.log)(&format!("gate: reading the session failed: {error}"));
                    return json_response(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        r#"{"message":"Internal Server Error","code":"INTERNAL_SERVER_ERROR"}"#,
                    );
                }
            },
        };
        let Some(upstream) = upstream else {
            (ctx.log)("gate: no upstream: set gate.origin (or, on Workers, the ASSETS binding)");
            return json_response(StatusCode::INTERNAL_SERVER_ERROR, MISCONFIGURED_JSON);
        };
        let mut request = Request::new(body);
        *request.method_mut() = parts.method.clone();
        *request.headers_mut() = self.upstream_headers(&parts.headers, user.as_ref());
        match self
            .upstream_url(site_origin, &path_and_query)
            .parse::<http::Uri>()
        {
            Ok(uri) => *request.uri_mut() = uri,
            Err(_) => return json_response(StatusCode::BAD_REQUEST, BAD_PATH_JSON),
        }
        match upstream.fetch(request).await {
            Ok(response) => self.downstream(&parts.method, response, access),
            Err(error) => {
                (ctx.log)(&format!("gate: upstream {path_and_query}: {error}"));
                json_response(StatusCode::BAD_GATEWAY, BAD_GATEWAY_JSON)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(p: &str) -> Glob {
        Glob::parse(p).unwrap()
    }

    fn gate(json: &str) -> Gate {
        let options = crate::Config::from_json(&format!(r#"{{"gate":{json}}}"#))
            .unwrap()
            .gate;
        Gate::new(&options, "/api/auth").unwrap()
    }

    fn user(email: &str, verified: bool) -> User {
        User {
            id: "user123".into(),
            name: "Ada".into(),
            email: email.into(),
            email_verified: verified,
            image: None,
            created_at: 0,
            updated_at: 0,
            fields: Vec::new(),
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn double_star_crosses_segments_and_single_star_does_not() {
        let all = glob("/**");
        for path in ["/", "/index.html", "/a/b/c.html", "/a/"] {
            assert!(all.matches(path), "{path}");
        }
        let public = glob("/public/**");
        for path in ["/public", "/public/", "/public/a", "/public/a/b/c.css"] {
            assert!(public.matches(path), "{path}");
        }
        for path in ["/publicity", "/x/public/a", "/"] {
            assert!(!public.matches(path), "{path}");
        }
        let one = glob("/members/*");
        assert!(one.matches("/members/page.html"));
        assert!(one.matches("/members/"));
        assert!(!one.matches("/members/deep/page.html"));
        assert!(!one.matches("/members"));
        let ext = glob("/*.css");
        assert!(ext.matches("/style.css"));
        assert!(!ext.matches("/css/style.css"));
        let middle = glob("/a/**/b");
        assert!(middle.matches("/a/b"));
        assert!(middle.matches("/a/x/y/b"));
        assert!(!middle.matches("/a/x/y/c"));
        let root = glob("/");
        assert!(root.matches("/"));
        assert!(!root.matches("/a"));
        let star = glob("/docs/*-draft.html");
        assert!(star.matches("/docs/intro-draft.html"));
        assert!(!star.matches("/docs/intro.html"));
        assert!(Glob::parse("members/**").is_err());
        assert!(Glob::parse("/a**").is_err());
    }

    #[test]
    fn hostile_paths_do_not_blow_up_the_matcher() {
        let pattern = glob("/**/a/**/b/**/c/**/d");
        let path = format!("/{}", vec!["a"; 2000].join("/"));
        assert!(!pattern.matches(&path));
    }

    #[test]
    fn public_wins_over_protect_and_unlisted_paths_are_public() {
        let g = gate(r#"{"protect":["/**"],"public":["/public/**","/favicon.ico"]}"#);
        assert_eq!(g.access("/"), Access::Protected);
        assert_eq!(g.access("/members/page.html"), Access::Protected);
        assert_eq!(g.access("/public/index.html"), Access::Public);
        assert_eq!(g.access("/public"), Access::Public);
        assert_eq!(g.access("/favicon.ico"), Access::Public);
        let g = gate(r#"{"protect":["/members/**"],"public":["/members/open/*"]}"#);
        assert_eq!(g.access("/members/a.html"), Access::Protected);
        assert_eq!(g.access("/members/open/a.html"), Access::Public);
        assert_eq!(g.access("/members/open/deeper/a.html"), Access::Protected);
        assert_eq!(g.access("/index.html"), Access::Public);
    }

    #[test]
    fn paths_are_judged_decoded_and_tricks_are_refused() {
        assert_eq!(canonical_path("/").as_deref(), Some("/"));
        assert_eq!(
            canonical_path("/members/page.html").as_deref(),
            Some("/members/page.html")
        );
        assert_eq!(
            canonical_path("//members//page.html").as_deref(),
            Some("/members/page.html")
        );
        assert_eq!(canonical_path("/members/").as_deref(), Some("/members/"));
        assert_eq!(
            canonical_path("/%6dembers/a%20b.html").as_deref(),
            Some("/members/a b.html")
        );
        for bad in [
            "/public/../members/page.html",
            "/public/%2e%2e/members/page.html",
            "/public/%2E%2E/members",
            "/public/..;/members",
            "/public/./x",
            "/public%2f..%2fmembers",
            "/public/..%5cmembers",
            "/public\\..\\members",
            "/a%00b",
            "/a%0ab",
            "relative",
        ] {
            assert_eq!(canonical_path(bad), None, "{bad}");
        }
        let g = gate(r#"{"protect":["/members/**"],"public":[]}"#);
        assert_eq!(
            g.access(&canonical_path("/%6dembers/page.html").unwrap()),
            Access::Protected
        );
        assert_eq!(
            g.access(&canonical_path("//members/page.html").unwrap()),
            Access::Protected
        );
        assert_eq!(collapse_slashes("//a///b/"), "/a/b/");
    }

    #[test]
    fn open_redirects_on_the_callback_fall_back_to_the_root() {
        let trusted = vec![
            "http://127.0.0.1:3000".to_owned(),
            "https://*.example.com".to_owned(),
        ];
        assert_eq!(
            safe_callback(Some("/members/page.html?x=1"), &trusted),
            "/members/page.html?x=1"
        );
        assert_eq!(
            safe_callback(Some("http://127.0.0.1:3000/members"), &trusted),
            "http://127.0.0.1:3000/members"
        );
        assert_eq!(
            safe_callback(Some("https://app.example.com/x"), &trusted),
            "https://app.example.com/x"
        );
        for evil in [
            "//evil.com",
            "//evil.com/path",
            "https://evil.com",
            "https://evil.com/http://127.0.0.1:3000",
            "http://127.0.0.1:3000.evil.com/",
            "/\\evil.com",
            "\\\\evil.com",
            "/%2F%2Fevil.com",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "evil.com",
            "/a\nb",
            "",
        ] {
            assert_eq!(safe_callback(Some(evil), &trusted), "/", "{evil:?}");
        }
        assert_eq!(safe_callback(None, &trusted), "/");
    }

    #[test]
    fn incoming_user_headers_are_stripped_before_the_real_ones_are_set() {
        let g = gate(r#"{"emailHeader":"x-portcullis-user-email"}"#);
        let incoming = headers(&[
            ("x-portcullis-user-id", "forged"),
            ("X-Portcullis-User-Id", "forged-again"),
            ("x-portcullis-user-email", "forged@evil.com"),
            ("cookie", "a=b"),
            ("accept", "text/html"),
            ("host", "site.example"),
            ("connection", "keep-alive, x-hop"),
            ("x-hop", "1"),
            ("keep-alive", "timeout=5"),
            ("transfer-encoding", "chunked"),
            ("content-length", "0"),
            ("accept-encoding", "gzip"),
            ("user-agent", "test"),
        ]);
        let out = g.upstream_headers(&incoming, None);
        assert!(out.get("x-portcullis-user-id").is_none());
        assert!(out.get("x-portcullis-user-email").is_none());
        for gone in [
            "host",
            "connection",
            "x-hop",
            "keep-alive",
            "transfer-encoding",
            "content-length",
            "accept-encoding",
        ] {
            assert!(out.get(gone).is_none(), "{gone}");
        }
        assert_eq!(out["cookie"], "a=b");
        assert_eq!(out["accept"], "text/html");
        assert_eq!(out["user-agent"], "test");
        let out = g.upstream_headers(&incoming, Some(&user("ada@example.com", true)));
        let ids: Vec<_> = out.get_all("x-portcullis-user-id").iter().collect();
        assert_eq!(ids, ["user123"]);
        assert_eq!(out["x-portcullis-user-email"], "ada@example.com");
        let no_email = gate("{}");
        let out = no_email.upstream_headers(&incoming, Some(&user("ada@example.com", true)));
        assert!(
            out.get("x-portcullis-user-email")
                .is_some_and(|v| v == "forged@evil.com"),
            "a header the gate does not own passes as sent"
        );
    }

    #[test]
    fn page_requests_are_redirected_and_others_get_401() {
        let g = gate("{}");
        let html = headers(&[("accept", "text/html,application/xhtml+xml,*/*;q=0.8")]);
        let r = g.deny(
            &Method::GET,
            &html,
            Denial::SignIn,
            "/members/page.html?a=1&b=2",
        );
        assert_eq!(r.status(), 302);
        assert_eq!(
            r.headers()["location"],
            "/_auth/sign-in?callbackURL=%2Fmembers%2Fpage.html%3Fa%3D1%26b%3D2"
        );
        let navigate = headers(&[("sec-fetch-mode", "navigate"), ("accept", "*/*")]);
        let r = g.deny(&Method::GET, &navigate, Denial::AccessDenied, "/");
        assert_eq!(r.status(), 302);
        assert_eq!(r.headers()["location"], "/_auth/error?error=ACCESS_DENIED");
        for (method, h) in [
            (Method::GET, headers(&[("accept", "application/json")])),
            (Method::GET, headers(&[])),
            (Method::POST, headers(&[("sec-fetch-mode", "navigate")])),
            (
                Method::GET,
                headers(&[("sec-fetch-mode", "cors"), ("accept", "*/*")]),
            ),
        ] {
            let r = g.deny(&method, &h, Denial::SignIn, "/api/data");
            assert_eq!(r.status(), 401);
            assert_eq!(r.headers()["content-type"], "application/json");
            assert_eq!(r.body().as_ref(), UNAUTHORIZED_JSON.as_bytes());
        }
        let custom = gate(r#"{"pagesPath":"/login/"}"#);
        let r = custom.deny(&Method::GET, &html, Denial::SignIn, "/");
        assert_eq!(r.headers()["location"], "/login/sign-in?callbackURL=%2F");
    }

    #[test]
    fn rules_check_domain_and_verification() {
        let rules = GateRules {
            email_domain: Some("example.com".into()),
            email_verified: false,
        };
        assert!(passes_rules(&rules, &user("ada@example.com", false)));
        assert!(passes_rules(&rules, &user("ada@EXAMPLE.com", false)));
        assert!(!passes_rules(&rules, &user("ada@evil.com", true)));
        assert!(!passes_rules(&rules, &user("ada@sub.example.com", true)));
        assert!(!passes_rules(
            &rules,
            &user("ada@example.com.evil.com", true)
        ));
        let verified = GateRules {
            email_domain: None,
            email_verified: true,
        };
        assert!(!passes_rules(&verified, &user("ada@example.com", false)));
        assert!(passes_rules(&verified, &user("ada@example.com", true)));
        assert!(passes_rules(&GateRules::default(), &user("a@b.c", false)));
    }

    #[test]
    fn upstream_answers_are_cleaned_and_protected_ones_kept_private() {
        let g = gate(r#"{"origin":"http://127.0.0.1:9000/"}"#);
        assert_eq!(
            g.upstream_url("https://site.example", "/a?b=1"),
            "http://127.0.0.1:9000/a?b=1"
        );
        assert_eq!(
            gate("{}").upstream_url("https://site.example", "/a"),
            "https://site.example/a"
        );
        let upstream = Response::builder()
            .header("cache-control", "public, max-age=3600")
            .header("location", "http://127.0.0.1:9000/members/")
            .header("connection", "close")
            .header("transfer-encoding", "chunked")
            .header("content-length", "5")
            .header("etag", "\"x\"")
            .body(Bytes::from_static(b"hello"))
            .unwrap();
        let r = g.downstream(&Method::GET, upstream.clone(), Access::Protected);
        assert_eq!(r.headers()["cache-control"], "private, no-cache");
        assert_eq!(r.headers()["location"], "/members/");
        assert_eq!(r.headers()["etag"], "\"x\"");
        for gone in ["connection", "transfer-encoding", "content-length"] {
            assert!(r.headers().get(gone).is_none(), "{gone}");
        }
        let r = g.downstream(&Method::HEAD, upstream.clone(), Access::Public);
        assert_eq!(r.headers()["cache-control"], "public, max-age=3600");
        assert_eq!(r.headers()["content-length"], "5");
        let elsewhere = Response::builder()
            .header("location", "http://127.0.0.1:90001/x")
            .body(Bytes::new())
            .unwrap();
        let r = g.downstream(&Method::GET, elsewhere, Access::Public);
        assert_eq!(r.headers()["location"], "http://127.0.0.1:90001/x");
    }

    #[test]
    fn bad_options_are_configuration_errors() {
        let bad = |json: &str| {
            let options = crate::Config::from_json(&format!(r#"{{"gate":{json}}}"#))
                .unwrap()
                .gate;
            Gate::new(&options, "/api/auth").unwrap_err()
        };
        assert!(bad(r#"{"theme":{"accent":"red;}</style><script>"}}"#).contains("accent"));
        assert!(bad(r#"{"pagesPath":"/api/auth/pages"}"#).contains("pagesPath"));
        assert!(bad(r#"{"pagesPath":"/api"}"#).contains("pagesPath"));
        assert!(bad(r#"{"pagesPath":"_auth"}"#).contains("pagesPath"));
        assert!(bad(r#"{"userIdHeader":"cookie"}"#).contains("userIdHeader"));
        assert!(bad(r#"{"userIdHeader":"bad header"}"#).contains("userIdHeader"));
        assert!(bad(r#"{"origin":"ftp://x"}"#).contains("origin"));
        assert!(bad(r#"{"protect":["members"]}"#).contains("members"));
        assert!(bad(r#"{"rules":{"emailDomain":"a@b"}}"#).contains("emailDomain"));
        let g = gate(r#"{"theme":{"accent":"rgb(10, 20, 30)"}}"#);
        let (style, hash) = g.style();
        assert!(style.starts_with(":root{--pc-accent:rgb(10, 20, 30);"));
        assert!(hash.starts_with("'sha256-") && hash.ends_with('\''));
    }
}
