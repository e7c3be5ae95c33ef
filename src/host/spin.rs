//! The Fermyon Spin host: Spin SQLite for SQL, Spin key-value for secondary storage, the WASI
//! wall clock, and Spin's HTTP trigger.
//!
//! Built with spin-sdk 6 for `wasm32-wasip2`. spin-sdk 6 sits on the `wasip3` crate, so the
//! component exports `wasi:http/handler@0.3.0-rc-2026-03-15` (the WASI 0.3 release candidate
//! that Spin 4.0.x implements; spin-sdk 7's final `wasi:http@0.3.0` does not run on Spin 4.0.2)
//! and imports `spin:sqlite/sqlite@3.1.0`, `spin:key-value/key-value@3.0.0` and
//! `spin:variables/variables@3.0.0`. `spin.toml` at the repository root declares all of them:
//! the `default` SQLite database, the `default` key-value store, and the variables
//! `better_auth_secret` (required, secret), `better_auth_url`, `better_auth_trusted_origins`
//! and `portcullis_config` (JSON options).
//!
//! An [`Auth`] is built per request: a Spin instance may serve several requests, and each
//! request gets its own SQLite connection so one request's transaction never takes in another
//! request's statements. The connection and the key-value store are opened on first use, so a
//! request the cookie cache answers makes no storage call at all.

use std::cell::OnceCell;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::LengthLimitError;
use http_body_util::{BodyExt, Full, Limited};
use spin_sdk::http_service;
use spin_sdk::key_value;
use spin_sdk::sqlite;

use crate::crypto::password::InlineHasher;
use crate::store::{Kv, Row, Sql, SqlError, Statement, Value};
use crate::time::{Clock, Millis};
use crate::{Auth, Config, Host};

/// Sent on each new connection: how long a statement waits for another connection's lock.
const BUSY_TIMEOUT: &str = "PRAGMA busy_timeout = 30000";

/// Spin SQLite (the `default` database) as a [`Sql`] driver, over one connection opened on
/// first use.
///
/// Spin SQLite has no batch call: [`Sql::batch`] sends `BEGIN IMMEDIATE`, each statement and
/// `COMMIT` (`ROLLBACK` on failure), so a batch of N statements costs N + 2 host calls, but it
/// is one transaction, all or nothing, as the trait requires. The statements of one request run
/// one after another on its own connection, so nothing else lands inside the transaction. With
/// Spin's local SQLite a competing writer waits (rusqlite's 5 s busy timeout) rather than
/// failing at once.
///
/// Foreign keys: SQLite leaves `PRAGMA foreign_keys` off per connection and Spin does not turn
/// it on, so `ON DELETE CASCADE` does not fire here; the core deletes sessions explicitly.
pub struct SpinSql {
    database: &'static str,
    connection: OnceCell<sqlite::Connection>,
}

impl SpinSql {
    /// The `default` database (declared as `sqlite_databases = ["default"]` in `spin.toml`).
    pub fn new() -> Self {
        Self::named("default")
    }

    /// A database by its `spin.toml` label.
    pub fn named(database: &'static str) -> Self {
        SpinSql {
            database,
            connection: OnceCell::new(),
        }
    }

    async fn connection(&self) -> Result<&sqlite::Connection, SqlError> {
        if let Some(connection) = self.connection.get() {
            return Ok(connection);
        }
        let opened = sqlite::Connection::open(self.database)
            .await
            .map_err(|e| sqlite_error(&format!("open {:?}", self.database), e))?;
        // Spin's local SQLite waits 5 s for a lock (rusqlite's default) and polls for it with
        // growing sleeps, not in turn. Spin runs many requests at once (up to 16 per instance,
        // each with its own connection, every statement a host call), so under concurrent
        // writes a waiter could miss the lock for 5 s and fail with "database is locked"
        // (measured: about 1 in 60 of 16 concurrent sign-ups). Wait longer instead.
        opened
            .execute(BUSY_TIMEOUT, Vec::new())
            .await
            .map_err(|e| sqlite_error("", e))?
            .collect()
            .await
            .map_err(|e| sqlite_error("", e))?;
        // If another call opened it meanwhile, keep that one and drop ours.
        Ok(self.connection.get_or_init(|| opened))
    }

    async fn run(&self, sql: &str, params: Vec<sqlite::Value>) -> Result<Vec<Row>, SqlError> {
        let connection = self.connection().await?;
        let rows = connection
            .execute(sql, params)
            .await
            .map_err(|e| sqlite_error("", e))?
            .collect()
            .await
            .map_err(|e| sqlite_error("", e))?;
        Ok(rows
            .into_iter()
            .map(|row| row.values.into_iter().map(from_sqlite).collect())
            .collect())
    }

    /// Runs `statements` between `BEGIN IMMEDIATE` and `COMMIT`, rolling back on any failure.
    async fn transaction<I>(&self, statements: I) -> Result<Vec<Vec<Row>>, SqlError>
    where
        I: IntoIterator<Item = (String, Vec<sqlite::Value>)>,
    {
        self.run("BEGIN IMMEDIATE", Vec::new()).await?;
        let mut results = Vec::new();
        for (sql, params) in statements {
            match self.run(&sql, params).await {
                Ok(rows) => results.push(rows),
                Err(error) => return Err(self.rollback(error).await),
            }
        }
        match self.run("COMMIT", Vec::new()).await {
            Ok(_) => Ok(results),
            Err(error) => Err(self.rollback(error).await),
        }
    }

    /// Rolls back after `error` and returns it. A failed ROLLBACK (SQLite may already have
    /// rolled back, leaving no transaction) is not the error worth reporting.
    async fn rollback(&self, error: SqlError) -> SqlError {
        let _ = self.run("ROLLBACK", Vec::new()).await;
        error
    }
}

impl Default for SpinSql {
    fn default() -> Self {
        Self::new()
    }
}

fn sqlite_error(context: &str, e: sqlite::Error) -> SqlError {
    let message = match e {
        sqlite::Error::NoSuchDatabase => "no such database (is it in sqlite_databases?)".into(),
        sqlite::Error::AccessDenied => "access to the database denied".into(),
        sqlite::Error::InvalidConnection => "invalid connection".into(),
        sqlite::Error::DatabaseFull => "database full".into(),
        sqlite::Error::Io(message) => message,
    };
    SqlError::new(if context.is_empty() {
        message
    } else {
        format!("{context}: {message}")
    })
}

fn to_sqlite(value: Value) -> sqlite::Value {
    match value {
        Value::Null => sqlite::Value::Null,
        Value::Integer(n) => sqlite::Value::Integer(n),
        Value::Real(n) => sqlite::Value::Real(n),
        Value::Text(s) => sqlite::Value::Text(s),
        Value::Blob(b) => sqlite::Value::Blob(b),
    }
}

fn from_sqlite(value: sqlite::Value) -> Value {
    match value {
        sqlite::Value::Null => Value::Null,
        sqlite::Value::Integer(n) => Value::Integer(n),
        sqlite::Value::Real(n) => Value::Real(n),
        sqlite::Value::Text(s) => Value::Text(s),
        sqlite::Value::Blob(b) => Value::Blob(b),
    }
}

#[async_trait(?Send)]
impl Sql for SpinSql {
    async fn query(&self, statement: Statement) -> Result<Vec<Row>, SqlError> {
        let params = statement.params.into_iter().map(to_sqlite).collect();
        self.run(&statement.sql, params).await
    }

    async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<Vec<Row>>, SqlError> {
        self.transaction(statements.into_iter().map(|s| {
            (
                s.sql.to_string(),
                s.params.into_iter().map(to_sqlite).collect(),
            )
        }))
        .await
    }

    /// Spin's `execute` runs exactly one statement (its SQLite refuses a string holding
    /// several), so the script is split into statements (see [`split_statements`]) and run as
    /// one transaction. The script must not contain its own `BEGIN`/`COMMIT`.
    async fn execute_script(&self, script: &str) -> Result<(), SqlError> {
        let statements = split_statements(script);
        self.transaction(statements.into_iter().map(|s| (s.to_owned(), Vec::new())))
            .await
            .map(|_| ())
    }
}

/// Splits a SQLite script into its statements, each without its final `;`. A `;` inside a
/// string, a quoted identifier (`"…"`, `` `…` ``, `[…]`), a comment, or the `BEGIN … END` body
/// of a `CREATE TRIGGER` does not end a statement. Pieces that hold only whitespace and
/// comments are dropped.
pub fn split_statements(script: &str) -> Vec<&str> {
    #[derive(PartialEq)]
    enum State {
        Code,
        Quoted(u8),
        LineComment,
        BlockComment,
    }
    let bytes = script.as_bytes();
    let mut statements = Vec::new();
    let mut state = State::Code;
    let mut start = 0;
    let mut has_code = false;
    // Keywords seen so far in this statement (the first three are enough to spot a trigger).
    let mut words: Vec<String> = Vec::new();
    let mut trigger_depth = 0usize; // open BEGIN/CASE blocks inside a trigger
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match state {
            State::Quoted(close) => {
                if b == close {
                    // A doubled quote is an escaped quote, not the end.
                    if close != b']' && bytes.get(i + 1) == Some(&close) {
                        i += 1;
                    } else {
                        state = State::Code;
                    }
                }
            }
            State::LineComment => {
                if b == b'\n' {
                    state = State::Code;
                }
            }
            State::BlockComment => {
                if b == b'*' && bytes.get(i + 1) == Some(&b'/') {
                    i += 1;
                    state = State::Code;
                }
            }
            State::Code => match b {
                b'\'' | b'"' | b'`' => {
                    has_code = true;
                    state = State::Quoted(b);
                }
                b'[' => {
                    has_code = true;
                    state = State::Quoted(b']');
                }
                b'-' if bytes.get(i + 1) == Some(&b'-') => state = State::LineComment,
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    i += 1;
                    state = State::BlockComment;
                }
                b';' if trigger_depth == 0 => {
                    if has_code {
                        statements.push(script[start..i].trim());
                    }
                    start = i + 1;
                    has_code = false;
                    words.clear();
                }
                b if b.is_ascii_alphabetic() || b == b'_' => {
                    has_code = true;
                    let end = bytes[i..]
                        .iter()
                        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_' || *c == b'$'))
                        .map_or(bytes.len(), |n| i + n);
                    let word = script[i..end].to_ascii_uppercase();
                    let in_trigger = words.first().is_some_and(|w| w == "CREATE")
                        && words.iter().skip(1).any(|w| w == "TRIGGER");
                    if in_trigger {
                        match word.as_str() {
                            "BEGIN" | "CASE" => trigger_depth += 1,
                            "END" => trigger_depth = trigger_depth.saturating_sub(1),
                            _ => {}
                        }
                    }
                    if words.len() < 3 {
                        words.push(word);
                    }
                    i = end;
                    continue;
                }
                b if b.is_ascii_whitespace() => {}
                _ => has_code = true,
            },
        }
        i += 1;
    }
    if has_code {
        statements.push(script[start..].trim());
    }
    statements
}

/// Spin key-value (the `default` store) as secondary storage, opened on first use.
///
/// Spin key-value has no expiry: `put` ignores `ttl_seconds` and keeps the value until it is
/// deleted, which the [`Kv`] contract allows ("kept at least"); readers must check expiry
/// themselves. Spin's local store is a SQLite file and is consistent; other backends may not be.
pub struct SpinKv {
    label: &'static str,
    store: OnceCell<key_value::Store>,
}

impl SpinKv {
    /// The `default` store (declared as `key_value_stores = ["default"]` in `spin.toml`).
    pub fn new() -> Self {
        Self::named("default")
    }

    /// A store by its `spin.toml` label.
    pub fn named(label: &'static str) -> Self {
        SpinKv {
            label,
            store: OnceCell::new(),
        }
    }

    async fn store(&self) -> Result<&key_value::Store, SqlError> {
        if let Some(store) = self.store.get() {
            return Ok(store);
        }
        let opened = key_value::Store::open(self.label)
            .await
            .map_err(|e| kv_error(&format!("open {:?}", self.label), e))?;
        Ok(self.store.get_or_init(|| opened))
    }
}

impl Default for SpinKv {
    fn default() -> Self {
        Self::new()
    }
}

fn kv_error(context: &str, e: key_value::Error) -> SqlError {
    let message = match e {
        key_value::Error::StoreTableFull => "too many stores open".into(),
        key_value::Error::NoSuchStore => "no such store (is it in key_value_stores?)".into(),
        key_value::Error::AccessDenied => "access to the store denied".into(),
        key_value::Error::Other(message) => message,
    };
    SqlError::new(format!("key-value {context}: {message}"))
}

#[async_trait(?Send)]
impl Kv for SpinKv {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, SqlError> {
        self.store()
            .await?
            .get(key)
            .await
            .map_err(|e| kv_error("get", e))
    }

    async fn put(&self, key: &str, value: &[u8], _ttl_seconds: u64) -> Result<(), SqlError> {
        self.store()
            .await?
            .set(key, value)
            .await
            .map_err(|e| kv_error("set", e))
    }

    async fn delete(&self, key: &str) -> Result<(), SqlError> {
        self.store()
            .await?
            .delete(key)
            .await
            .map_err(|e| kv_error("delete", e))
    }
}

/// The WASI wall clock (`wasi:clocks/wall-clock`, through `std`).
pub struct WasiClock;

impl Clock for WasiClock {
    fn now_ms(&self) -> Millis {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as Millis)
    }
}

/// Spin sends a component's stderr to `.spin/logs/<component>_stderr.txt` (and the terminal).
fn log(line: &str) {
    eprintln!("portcullis: {line}");
}

/// A Spin variable, or `None` when it is undefined or empty. Other failures are errors.
async fn var(name: &str) -> Result<Option<String>, String> {
    match spin_sdk::variables::get(name).await {
        Ok(value) if value.is_empty() => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(spin_sdk::variables::Error::Undefined(_)) => Ok(None),
        Err(e) => Err(format!("variable {name}: {e:?}")),
    }
}

async fn build() -> Result<Auth, String> {
    let mut config = match var("portcullis_config").await? {
        Some(json) => Config::from_json(&json)?,
        None => Config::default(),
    };
    config.apply_env(
        var("better_auth_url").await?,
        var("better_auth_trusted_origins").await?,
    );
    let secret = var("better_auth_secret").await?.ok_or(
        "better_auth_secret is not set (spin up --variable better_auth_secret=… or SPIN_VARIABLE_BETTER_AUTH_SECRET)",
    )?;
    let gate = &config.gate;
    if gate.enabled && gate.origin.is_none() {
        return Err("gate.origin is required on Spin (the URL the gate fetches the site from; list it in allowed_outbound_hosts)".to_owned());
    }
    let host = Host {
        sql: Box::new(SpinSql::new()),
        kv: Some(Box::new(SpinKv::new())),
        clock: Box::new(WasiClock),
        hasher: Box::new(InlineHasher(config.password.algorithm)),
        http: Box::new(crate::net::spin::SpinClient),
        jws: Box::new(crate::crypto::jws::rust::RustJws),
        upstream: gate
            .enabled
            .then(|| Box::new(crate::net::spin::SpinClient) as Box<dyn crate::net::Upstream>),
        // The variable is read only when Resend is chosen: one host call fewer per request.
        mailer: crate::mail::from_config(
            &config.email,
            match config.email.provider {
                crate::config::MailProvider::Resend => var("resend_api_key").await?,
                _ => None,
            },
            log,
        )?,
        rate_limit_memory: RATE_LIMIT_MEMORY.with(Clone::clone),
        log,
    };
    Auth::new(config, secret, host)
}

thread_local! {
    /// The instance's in-memory rate-limit counters. An `Auth` is built per request, but Spin
    /// 4 reuses a WASI 0.3 component instance (by default for up to 128 requests, 16 at a
    /// time), so the store lives as long as the instance: memory rate limiting is per
    /// instance, approximate.
    static RATE_LIMIT_MEMORY: crate::http::rate_limit::MemoryStore = Default::default();
}

fn json_error(status: http::StatusCode, body: &'static [u8]) -> http::Response<Full<Bytes>> {
    let mut response = http::Response::new(Full::new(Bytes::from_static(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

/// The HTTP trigger: every request goes through [`Auth::handle`].
#[http_service]
async fn handle(request: spin_sdk::http::Request) -> http::Response<Full<Bytes>> {
    let auth = match build().await {
        Ok(auth) => auth,
        Err(message) => {
            log(&message);
            return json_error(
                http::StatusCode::INTERNAL_SERVER_ERROR,
                br#"{"message":"Server misconfigured","code":"INTERNAL_SERVER_ERROR"}"#,
            );
        }
    };
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, super::MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => {
            return json_error(http::StatusCode::PAYLOAD_TOO_LARGE, super::TOO_LARGE_BODY)
        }
        Err(e) => {
            log(&format!("reading the request body: {e}"));
            return json_error(
                http::StatusCode::BAD_REQUEST,
                br#"{"message":"Could not read the request body","code":"BAD_REQUEST"}"#,
            );
        }
    };
    let response = auth.handle(http::Request::from_parts(parts, body)).await;
    response.map(Full::new)
}
