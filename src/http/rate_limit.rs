//! Rate limiting, as Better Auth 1.7.25 does it (WIRE.md §6; `dist/api/rate-limiter/index.mjs`).
//!
//! Every request under the base path is counted before routing — unknown routes and GETs too —
//! under the key `<ip>|<path>`, the path relative to the base path without trailing slashes and
//! the IP from [`crate::ip::client_ip`] (IPv6 cut to its /64). No IP → one bucket shared by
//! everybody, `no-trusted-ip|<path>` (logged once); no IP because `disableIpTracking` is set → not
//! limited at all, as in Better Auth.
//!
//! Per key, with the rule's `window` (seconds) and `max`: if `now - lastRequest >= window` the
//! count restarts at 1; else if `count >= max` the answer is 429; else the count goes up. Only
//! allowed requests move `lastRequest`, so rejected ones never extend the wait. The 429 carries
//! `x-retry-after: ceil((lastRequest + window - now) / 1000)` and
//! `{"message":"Too many requests. Please try again later."}`.
//!
//! The rule for a path: the default (`rateLimit.window`/`max`, 10 s / 100), replaced by Better
//! Auth's special rules ([`special_rules`]), replaced by the first matching plugin rule
//! ([`Limiter::add_rules`]), replaced by a matching `customRules` entry — `false` exempts the path.
//!
//! Storages ([`RateLimitStorage`]):
//! * `memory`: a map in the process (native: shared by all threads; Workers: per isolate, so
//!   approximate; Spin: per request, so useless — use `database` there). Expired entries are
//!   swept once a minute and the map never holds more than [`MEMORY_MAX_ENTRIES`].
//! * `database`: Better Auth's `rateLimit` table (`id`, `key` unique, `count`, `lastRequest`
//!   bigint ms), exact on every host and shared with a Better Auth server on the same database.
//!   An allowed request costs one statement (an atomic upsert that applies the algorithm in
//!   SQL); a rejected one costs that statement plus one read for `x-retry-after`. Rows older than
//!   the longest window are deleted when a window restarts, at most once per longest window per
//!   process or isolate.
//! * `secondary-storage`: the host's [`Kv`] (`get`, then `put` with TTL = window when allowed),
//!   value `{"key","count","lastRequest"}` JSON. Approximate: KV reads may be stale (Workers KV:
//!   up to ~60 s across locations, one write per key per second) and get-then-put is not atomic.
//!
//! A storage failure is logged and the request let through: the limiter never takes the API down.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};

use crate::config::{Config, CustomRule, RateLimitStorage};
use crate::store::{Kv, Sql, Statement, Value};
use crate::time::Millis;

/// A rate-limit rule for the paths `matches` accepts (a path relative to the base path, e.g.
/// `/sign-in/email`).
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Which paths the rule covers.
    pub matches: fn(&str) -> bool,
    /// Window in seconds.
    pub window: u64,
    /// Requests allowed per window.
    pub max: u64,
}

fn credentials_path(path: &str) -> bool {
    ["/sign-in", "/sign-up", "/change-password", "/change-email"]
        .iter()
        .any(|p| path.starts_with(p))
}

fn mail_path(path: &str) -> bool {
    matches!(
        path,
        "/request-password-reset"
            | "/send-verification-email"
            | "/email-otp/send-verification-otp"
            | "/email-otp/request-password-reset"
    ) || path.starts_with("/forget-password")
}

/// Better Auth's core special rules (`getDefaultSpecialRules`), first match wins:
/// paths starting with `/sign-in`, `/sign-up`, `/change-password` or `/change-email` → 3 per 10 s;
/// exactly `/request-password-reset`, `/send-verification-email`,
/// `/email-otp/send-verification-otp`, `/email-otp/request-password-reset`, or starting with
/// `/forget-password` → 3 per 60 s.
pub fn special_rules() -> [Rule; 2] {
    [
        Rule {
            matches: credentials_path,
            window: 10,
            max: 3,
        },
        Rule {
            matches: mail_path,
            window: 60,
            max: 3,
        },
    ]
}

/// The 429 body.
pub const TOO_MANY_REQUESTS_BODY: &[u8] =
    br#"{"message":"Too many requests. Please try again later."}"#;

/// Entries the memory storage keeps at most (Better Auth's `MEMORY_STORE_MAX_ENTRIES`).
pub const MEMORY_MAX_ENTRIES: usize = 100_000;

/// How often the memory storage sweeps out expired entries.
const SWEEP_EVERY_MS: Millis = 60_000;

/// The bucket shared by every client whose IP is unknown.
pub const NO_TRUSTED_IP: &str = "no-trusted-ip";

static NO_IP_WARNED: AtomicBool = AtomicBool::new(false);

/// What the limiter counts with: the host's parts, lent for one request.
pub struct Storage<'a> {
    /// The database (`database` storage).
    pub sql: &'a dyn Sql,
    /// The KV, if the host has one (`secondary-storage`).
    pub kv: Option<&'a dyn Kv>,
    /// The process's or isolate's counters (`memory`; also remembers when rows were pruned).
    pub memory: &'a MemoryStore,
    /// Where failures are logged.
    pub log: fn(&str),
}

/// The rate limiter of one [`crate::Auth`]: the options, resolved once.
#[derive(Debug, Clone)]
pub struct Limiter {
    enabled: bool,
    window: u64,
    max: u64,
    storage: RateLimitStorage,
    plugin_rules: Vec<Rule>,
    /// Exact paths first, then `*`/`?` patterns (in key order); `None` exempts.
    custom_rules: Vec<(String, Option<(u64, u64)>)>,
    longest_window: u64,
}

impl Limiter {
    /// Resolves the options. Fails when `secondary-storage` is asked for on a host without KV
    /// (Better Auth fails likewise without `secondaryStorage.increment`).
    pub fn new(config: &Config, has_kv: bool) -> Result<Limiter, String> {
        let options = &config.rate_limit;
        let enabled = config.rate_limit_enabled();
        if enabled && options.storage == RateLimitStorage::SecondaryStorage && !has_kv {
            return Err(
                "rateLimit.storage is \"secondary-storage\" but this host has no KV binding"
                    .to_owned(),
            );
        }
        let mut custom_rules: Vec<(String, Option<(u64, u64)>)> = Vec::new();
        let (exact, patterns): (Vec<_>, Vec<_>) = options
            .custom_rules
            .iter()
            .partition(|(path, _)| !path.contains('*'));
        for (path, rule) in exact.into_iter().chain(patterns) {
            let rule = match rule {
                CustomRule::Limit { window, max } => Some((*window, *max)),
                CustomRule::Off(false) => None,
                // `true` is no rule at all: the path keeps the rule it had.
                CustomRule::Off(true) => continue,
            };
            custom_rules.push((path.clone(), rule));
        }
        let mut limiter = Limiter {
            enabled,
            window: options.window,
            max: options.max,
            storage: options.storage,
            plugin_rules: Vec::new(),
            custom_rules,
            longest_window: 0,
        };
        limiter.longest_window = limiter.windows().max().unwrap_or(options.window);
        Ok(limiter)
    }

    /// Adds plugin rules (checked in the order added, before the core's special rules).
    pub fn add_rules(&mut self, rules: impl IntoIterator<Item = Rule>) {
        self.plugin_rules.extend(rules);
        self.longest_window = self.windows().max().unwrap_or(self.window);
    }

    /// Whether requests are counted at all.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Every configured window (Better Auth's `getConfiguredRateLimitWindows`).
    fn windows(&self) -> impl Iterator<Item = u64> + '_ {
        std::iter::once(self.window)
            .chain(special_rules().into_iter().map(|r| r.window))
            .chain(self.plugin_rules.iter().map(|r| r.window))
            .chain(self.custom_rules.iter().filter_map(|(_, r)| r.map(|r| r.0)))
            .filter(|w| *w > 0)
    }

    /// `(window, max)` for a path relative to the base path; `None` when a custom rule exempts
    /// it.
    pub fn rule_for(&self, path: &str) -> Option<(u64, u64)> {
        let mut rule = (self.window, self.max);
        if let Some(special) = special_rules().iter().find(|r| (r.matches)(path)) {
            rule = (special.window, special.max);
        }
        if let Some(plugin) = self.plugin_rules.iter().find(|r| (r.matches)(path)) {
            rule = (plugin.window, plugin.max);
        }
        let custom = self.custom_rules.iter().find(|(pattern, _)| {
            if pattern.contains('*') {
                wildcard_match(pattern, path)
            } else {
                pattern == path
            }
        });
        match custom {
            Some((_, custom)) => *custom,
            None => Some(rule),
        }
    }

    /// Counts the request; `Some(429)` when it is over its limit. `path` is the request's whole
    /// path; requests outside the base path are not counted (they get a 404 and touch nothing).
    pub async fn check(
        &self,
        config: &Config,
        storage: &Storage<'_>,
        now: Millis,
        path: &str,
        headers: &HeaderMap,
    ) -> Option<Response<Bytes>> {
        if !self.enabled {
            return None;
        }
        let path = relative_path(path, &config.base_path)?;
        let ip_options = &config.advanced.ip_address;
        let ip = crate::ip::client_ip(headers, ip_options);
        if ip.is_none() && ip_options.disable_ip_tracking {
            return None;
        }
        let (window, max) = self.rule_for(path)?;
        let ip = ip.unwrap_or_else(|| {
            if !NO_IP_WARNED.swap(true, Ordering::Relaxed) {
                (storage.log)("Rate limiting could not determine a client IP and is falling back to a single shared per-path bucket. Ensure your runtime forwards a trusted client IP header, then set `advanced.ipAddress.ipAddressHeaders` so the address can be resolved.");
            }
            NO_TRUSTED_IP.to_owned()
        });
        let key = format!("{ip}|{path}");
        let outcome = match self.storage {
            RateLimitStorage::Memory => Ok(storage.memory.consume(&key, window, max, now)),
            RateLimitStorage::Database => {
                database_consume(
                    storage.sql,
                    storage.memory,
                    &key,
                    window,
                    max,
                    now,
                    self.longest_window,
                )
                .await
            }
            RateLimitStorage::SecondaryStorage => match storage.kv {
                Some(kv) => kv_consume(kv, &key, window, max, now).await,
                None => Ok(Ok(())),
            },
        };
        match outcome {
            Ok(Ok(())) => None,
            Ok(Err(retry_after)) => Some(too_many_requests(retry_after)),
            Err(error) => {
                (storage.log)(&format!(
                    "rate limit storage failed, request let through: {error}"
                ));
                None
            }
        }
    }
}

/// Better Auth's `normalizePathname`: trailing slashes dropped, the base path cut off (`/` for
/// the base path itself). `None` outside the base path.
pub fn relative_path<'a>(path: &'a str, base_path: &str) -> Option<&'a str> {
    let path = match path.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    };
    let base = base_path.trim_end_matches('/');
    if base.is_empty() {
        return Some(path);
    }
    if path == base {
        return Some("/");
    }
    match path.strip_prefix(base)?.strip_prefix('/') {
        Some(_) => Some(&path[base.len()..]),
        None => None,
    }
}

/// Better Auth's `wildcardMatch(pattern)` without a separator: `*` is any run of characters
/// (slashes included), `?` one character, `\` escapes; the whole path must match.
pub fn wildcard_match(pattern: &str, path: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Token {
        Char(char),
        One,
        Any,
    }
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '\\' => match chars.next() {
                Some(escaped) => Token::Char(escaped),
                None => continue,
            },
            '?' => Token::One,
            '*' => Token::Any,
            c => Token::Char(c),
        });
    }
    let text: Vec<char> = path.chars().collect();
    // Iterative glob matching with backtracking to the last `*`.
    let (mut t, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match tokens.get(p) {
            Some(Token::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Token::One) => {
                t += 1;
                p += 1;
            }
            Some(Token::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    tokens[p..].iter().all(|token| *token == Token::Any)
}

/// The 429 answer, byte for byte Better Auth's.
pub fn too_many_requests(retry_after: i64) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from_static(TOO_MANY_REQUESTS_BODY));
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert("x-retry-after", HeaderValue::from(retry_after));
    response
}

/// `Math.ceil((lastRequest + window - now) / 1000)`.
fn retry_after(last_request: Millis, window: u64, now: Millis) -> i64 {
    let remaining = last_request + window as i64 * 1000 - now;
    remaining.div_euclid(1000) + i64::from(remaining.rem_euclid(1000) != 0)
}

/// The algorithm on a snapshot: `Ok(new count)` when allowed (the caller stores it with
/// `lastRequest = now`), `Err(retry-after seconds)` when not.
fn decide(previous: Option<(u64, Millis)>, window: u64, max: u64, now: Millis) -> Result<u64, i64> {
    match previous {
        None => Ok(1),
        Some((_, last)) if now - last >= window as i64 * 1000 => Ok(1),
        Some((count, last)) if count >= max => Err(retry_after(last, window, now)),
        Some((count, _)) => Ok(count + 1),
    }
}

/// In-memory counters, shared by every [`crate::Auth`] the host builds from one handle (all
/// threads natively; one isolate on Workers). Cloning shares.
#[derive(Clone, Default)]
pub struct MemoryStore(Arc<Mutex<Memory>>);

#[derive(Default)]
struct Memory {
    buckets: HashMap<String, Bucket>,
    next_sweep: Millis,
    /// When this process last deleted stale `rateLimit` rows (database storage).
    database_pruned: Option<Millis>,
}

/// One key's counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    /// Requests allowed in the current window.
    pub count: u64,
    /// When the last allowed request came (Unix ms).
    pub last_request: Millis,
    /// When the entry stops counting (`last_request` + the rule's window).
    pub expires_at: Millis,
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Applies the algorithm to `key`: `Err(retry-after seconds)` when over the limit.
    pub fn consume(&self, key: &str, window: u64, max: u64, now: Millis) -> Result<(), i64> {
        let mut memory = self.lock();
        if now >= memory.next_sweep || memory.buckets.len() >= MEMORY_MAX_ENTRIES {
            memory.sweep(now);
        }
        let previous = memory
            .buckets
            .get(key)
            .filter(|b| now < b.expires_at)
            .map(|b| (b.count, b.last_request));
        let count = decide(previous, window, max, now)?;
        let bucket = Bucket {
            count,
            last_request: now,
            expires_at: now + window as i64 * 1000,
        };
        match memory.buckets.get_mut(key) {
            Some(existing) => *existing = bucket,
            None => {
                memory.buckets.insert(key.to_owned(), bucket);
            }
        }
        Ok(())
    }

    /// The counter under `key`, if any (expired or not).
    pub fn get(&self, key: &str) -> Option<Bucket> {
        self.lock().buckets.get(key).copied()
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.lock().buckets.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether stale `rateLimit` rows are due for deletion (at most once per `every_ms`); marks
    /// them done if so.
    fn database_prune_due(&self, now: Millis, every_ms: Millis) -> bool {
        let mut memory = self.lock();
        match memory.database_pruned {
            Some(last) if now - last < every_ms => false,
            _ => {
                memory.database_pruned = Some(now);
                true
            }
        }
    }
}

impl Memory {
    /// Drops expired entries; if still too many, the ones expiring soonest, down to 90 %.
    fn sweep(&mut self, now: Millis) {
        self.next_sweep = now + SWEEP_EVERY_MS;
        self.buckets.retain(|_, b| now < b.expires_at);
        if self.buckets.len() >= MEMORY_MAX_ENTRIES {
            let keep = MEMORY_MAX_ENTRIES * 9 / 10;
            let expiries: Vec<Millis> = self.buckets.values().map(|b| b.expires_at).collect();
            let cut = expiries.len() - keep;
            // The cut-th soonest expiry, through the crate's one sort (`select_nth_unstable`
            // would be a second sort in the Worker; this runs only when memory is full).
            let order = crate::store::stable_order(expiries.clone());
            let threshold = expiries[order[cut]];
            self.buckets.retain(|_, b| b.expires_at >= threshold);
        }
    }
}

const UPSERT: &str = r#"INSERT INTO "rateLimit" ("id", "key", "count", "lastRequest") VALUES (?, ?, 1, ?) ON CONFLICT ("key") DO UPDATE SET "count" = CASE WHEN ? - "lastRequest" >= ? THEN 1 ELSE "count" + 1 END, "lastRequest" = ? WHERE ? - "lastRequest" >= ? OR "count" < ? RETURNING "count""#;

fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(n) => Some(*n),
        Value::Real(n) => Some(*n as i64),
        Value::Text(s) => s.parse().ok(),
        _ => None,
    }
}

/// The algorithm in one atomic statement: the upsert inserts `count = 1`, restarts an expired
/// window, or counts one more while under `max`, and returns the new count; when it changes
/// nothing (over the limit) it returns no row and `lastRequest` is read for `x-retry-after`.
async fn database_consume(
    sql: &dyn Sql,
    memory: &MemoryStore,
    key: &str,
    window: u64,
    max: u64,
    now: Millis,
    longest_window: u64,
) -> Result<Result<(), i64>, String> {
    let window_ms = window as i64 * 1000;
    // A second pass only when the row vanished (pruned) between the two statements.
    for _ in 0..2 {
        let rows = sql
            .query(Statement::new(
                UPSERT,
                vec![
                    crate::crypto::generate_id().into(),
                    key.into(),
                    now.into(),
                    now.into(),
                    window_ms.into(),
                    now.into(),
                    now.into(),
                    window_ms.into(),
                    (max.min(i64::MAX as u64) as i64).into(),
                ],
            ))
            .await
            .map_err(|e| e.to_string())?;
        if let Some(count) = rows.first().and_then(|row| row.first()).and_then(integer) {
            let every_ms = longest_window as i64 * 1000;
            if count == 1 && memory.database_prune_due(now, every_ms) {
                let pruned = sql
                    .query(Statement::new(
                        r#"DELETE FROM "rateLimit" WHERE "lastRequest" < ?"#,
                        vec![(now - every_ms).into()],
                    ))
                    .await;
                if let Err(error) = pruned {
                    return Err(format!("pruning rateLimit rows: {error}"));
                }
            }
            return Ok(Ok(()));
        }
        let rows = sql
            .query(Statement::new(
                r#"SELECT "lastRequest" FROM "rateLimit" WHERE "key" = ?"#,
                vec![key.into()],
            ))
            .await
            .map_err(|e| e.to_string())?;
        if let Some(last) = rows.first().and_then(|row| row.first()).and_then(integer) {
            return Ok(Err(retry_after(last, window, now)));
        }
    }
    Ok(Ok(()))
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct KvEntry {
    key: String,
    count: u64,
    last_request: Millis,
}

/// `get`, decide, `put` (when allowed) with TTL = window.
async fn kv_consume(
    kv: &dyn Kv,
    key: &str,
    window: u64,
    max: u64,
    now: Millis,
) -> Result<Result<(), i64>, String> {
    let stored = kv.get(key).await.map_err(|e| e.to_string())?;
    let previous = stored.and_then(|bytes| {
        // `{"key", "count", "lastRequest"}`, read by hand (crate::store::json).
        let mut entry = crate::store::json::object(&bytes)?;
        crate::store::json::string(&mut entry, "key")?;
        Some((
            entry.get("count")?.as_u64()?,
            entry.get("lastRequest")?.as_i64()?,
        ))
    });
    let count = match decide(previous, window, max, now) {
        Ok(count) => count,
        Err(retry_after) => return Ok(Err(retry_after)),
    };
    let entry = KvEntry {
        key: key.to_owned(),
        count,
        last_request: now,
    };
    let value = serde_json::to_vec(&entry).map_err(|e| e.to_string())?;
    kv.put(key, &value, window.max(1))
        .await
        .map_err(|e| e.to_string())?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_made_relative_like_normalize_pathname() {
        assert_eq!(
            relative_path("/api/auth/sign-in/email", "/api/auth"),
            Some("/sign-in/email")
        );
        assert_eq!(relative_path("/api/auth/ok/", "/api/auth"), Some("/ok"));
        assert_eq!(relative_path("/api/auth", "/api/auth"), Some("/"));
        assert_eq!(relative_path("/api/auth/", "/api/auth/"), Some("/"));
        assert_eq!(relative_path("/api/authx", "/api/auth"), None);
        assert_eq!(relative_path("/other", "/api/auth"), None);
        assert_eq!(relative_path("/x/y/", ""), Some("/x/y"));
    }

    #[test]
    fn wildcards_match_as_better_auth_without_a_separator() {
        assert!(wildcard_match("/sign-in/*", "/sign-in/email"));
        assert!(wildcard_match("/sign-in/*", "/sign-in/a/b"));
        assert!(wildcard_match("/sign-in/*", "/sign-in/"));
        assert!(!wildcard_match("/sign-in/*", "/sign-in"));
        assert!(wildcard_match("*", "/anything"));
        assert!(wildcard_match("/a?c*", "/abc/d"));
        assert!(!wildcard_match("/a\\*", "/ab"));
        assert!(wildcard_match("/a\\*", "/a*"));
        assert!(wildcard_match("/*/x/*", "/p/q/x/r"));
        assert!(!wildcard_match("/*/x", "/p/y"));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after(0, 10, 0), 10);
        assert_eq!(retry_after(0, 10, 1), 10);
        assert_eq!(retry_after(0, 10, 1000), 9);
        assert_eq!(retry_after(0, 10, 9999), 1);
    }

    #[test]
    fn memory_sweeps_expired_entries_and_stays_bounded() {
        let store = MemoryStore::default();
        for i in 0..10 {
            store.consume(&format!("k{i}"), 10, 3, 0).unwrap();
        }
        assert_eq!(store.len(), 10);
        // A minute later the sweep runs and the ten are gone.
        store.consume("fresh", 10, 3, 61_000).unwrap();
        assert_eq!(store.len(), 1);
        let mut memory = store.lock();
        for i in 0..MEMORY_MAX_ENTRIES + 5 {
            memory.buckets.insert(
                format!("x{i}"),
                Bucket {
                    count: 1,
                    last_request: 61_000,
                    expires_at: 71_000 + i as i64,
                },
            );
        }
        memory.sweep(61_001);
        assert!(memory.buckets.len() <= MEMORY_MAX_ENTRIES * 9 / 10 + 1);
        assert!(memory.buckets.len() >= MEMORY_MAX_ENTRIES * 9 / 10);
    }
}
