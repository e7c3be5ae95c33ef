//! The native host: hyper over tokio, SQLite through rusqlite (bundled), for local work and
//! self-hosting.
//!
//! Core futures are not `Send`, so the server runs one current-thread runtime per core, each with
//! its own SQLite connection (WAL mode) and its own [`Auth`], all accepting on one listening
//! socket. Password hashing runs on tokio's blocking pool so a hash never stalls the other
//! requests of its thread.

use std::cell::RefCell;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::rc::Rc;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

use crate::crypto::password::{self, Algorithm, PasswordHasher};
use crate::store::{Row, Sql, SqlError, Statement, Value};
use crate::time::{Clock, Millis};
use crate::{Auth, Config, Host};

/// SQLite through rusqlite: one connection, used from one thread.
pub struct SqliteSql {
    connection: RefCell<rusqlite::Connection>,
}

impl SqliteSql {
    /// Opens (creating if needed) a database file, in WAL mode with a busy timeout so the
    /// per-thread connections can write concurrently.
    pub fn open(path: &Path) -> Result<Self, SqlError> {
        let connection = rusqlite::Connection::open(path).map_err(error)?;
        connection
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
            .map_err(error)?;
        Ok(SqliteSql {
            connection: RefCell::new(connection),
        })
    }

    /// A private in-memory database (tests).
    pub fn memory() -> Result<Self, SqlError> {
        let connection = rusqlite::Connection::open_in_memory().map_err(error)?;
        connection
            .execute_batch("PRAGMA foreign_keys = ON;")
            .map_err(error)?;
        Ok(SqliteSql {
            connection: RefCell::new(connection),
        })
    }
}

fn error(e: rusqlite::Error) -> SqlError {
    SqlError::new(e.to_string())
}

fn to_sql(value: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match value {
        Value::Null => V::Null,
        Value::Integer(n) => V::Integer(*n),
        Value::Real(n) => V::Real(*n),
        Value::Text(s) => V::Text(s.clone()),
        Value::Blob(b) => V::Blob(b.clone()),
    }
}

fn run(connection: &rusqlite::Connection, statement: &Statement) -> Result<Vec<Row>, SqlError> {
    let mut prepared = connection.prepare_cached(&statement.sql).map_err(error)?;
    let columns = prepared.column_count();
    let params = rusqlite::params_from_iter(statement.params.iter().map(to_sql));
    let mut rows = prepared.query(params).map_err(error)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(error)? {
        let mut values = Vec::with_capacity(columns);
        for i in 0..columns {
            use rusqlite::types::ValueRef;
            values.push(match row.get_ref(i).map_err(error)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(n) => Value::Integer(n),
                ValueRef::Real(n) => Value::Real(n),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Value::Blob(b.to_vec()),
            });
        }
        out.push(values);
    }
    Ok(out)
}

#[async_trait(?Send)]
impl Sql for SqliteSql {
    async fn query(&self, statement: Statement) -> Result<Vec<Row>, SqlError> {
        run(&self.connection.borrow(), &statement)
    }

    async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<Vec<Row>>, SqlError> {
        let mut connection = self.connection.borrow_mut();
        let transaction = connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(error)?;
        let results = statements
            .iter()
            .map(|s| run(&transaction, s))
            .collect::<Result<Vec<_>, _>>()?;
        transaction.commit().map_err(error)?;
        Ok(results)
    }

    async fn execute_script(&self, script: &str) -> Result<(), SqlError> {
        let mut connection = self.connection.borrow_mut();
        let transaction = connection.transaction().map_err(error)?;
        transaction.execute_batch(script).map_err(error)?;
        transaction.commit().map_err(error)
    }
}

/// Entries of the in-memory KV: value and expiry (Unix ms).
type KvEntries = std::collections::HashMap<String, (Vec<u8>, Millis)>;

/// The native KV: in memory, shared by every thread of the process (cloning shares), entries
/// kept until their TTL by the clock of the handle that reads them. Consistent: a delete is seen
/// by the next read on any thread. Contents end with the process, which is fine for a cache of
/// the database (`secondaryStorage`) and for approximate rate-limit counters.
#[derive(Clone, Default)]
pub struct MemoryKv(std::sync::Arc<std::sync::Mutex<KvEntries>>);

impl MemoryKv {
    /// A [`crate::Kv`] over this store that reads time from `clock`.
    pub fn handle(&self, clock: Box<dyn Clock>) -> MemoryKvHandle {
        MemoryKvHandle {
            store: self.clone(),
            clock,
        }
    }

    fn map(&self) -> Result<std::sync::MutexGuard<'_, KvEntries>, SqlError> {
        self.0
            .lock()
            .map_err(|_| SqlError::new("the in-memory KV lock is poisoned"))
    }
}

/// [`MemoryKv`] with a clock: the host's KV.
pub struct MemoryKvHandle {
    store: MemoryKv,
    clock: Box<dyn Clock>,
}

#[async_trait(?Send)]
impl crate::Kv for MemoryKvHandle {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, SqlError> {
        let now = self.clock.now_ms();
        let mut map = self.store.map()?;
        match map.get(key) {
            Some((_, expires)) if *expires <= now => {
                map.remove(key);
                Ok(None)
            }
            found => Ok(found.map(|(value, _)| value.clone())),
        }
    }

    async fn put(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<(), SqlError> {
        let expires = self.clock.now_ms() + ttl_seconds.min(i64::MAX as u64 / 2000) as i64 * 1000;
        let mut map = self.store.map()?;
        // Expired entries go on writes, so the map stays as large as what is live.
        if map.len() >= 1024 && map.len().is_power_of_two() {
            let now = self.clock.now_ms();
            map.retain(|_, (_, e)| *e > now);
        }
        map.insert(key.to_owned(), (value.to_vec(), expires));
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), SqlError> {
        self.store.map()?.remove(key);
        Ok(())
    }
}

/// What the threads of one native process share.
#[derive(Clone, Default)]
pub struct Shared {
    /// In-memory rate-limit counters.
    pub rate_limit_memory: crate::http::rate_limit::MemoryStore,
    /// The KV, given to the core when `secondaryStorage.enabled` or `rateLimit.storage` is
    /// `"secondary-storage"`.
    pub kv: MemoryKv,
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> Millis {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as Millis)
    }
}

/// Hashes on a small pool of dedicated threads (one per core), off the request threads.
///
/// A fixed pool, not tokio's blocking pool: it bounds how many hashes run at once, and so the
/// memory they take (Argon2id uses 19 MiB each; with an unbounded pool a burst of sign-ups held
/// gigabytes), and keeps the allocator's arenas few. If the pool is unavailable the hash runs on
/// the calling thread: slower for the others, never wrong.
pub struct BlockingHasher(pub Algorithm);

type Job = Box<dyn FnOnce() + Send>;

fn hash_pool() -> &'static std::sync::Mutex<std::sync::mpsc::Sender<Job>> {
    static POOL: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<Job>>> =
        std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel::<Job>();
        let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        for i in 0..threads {
            let receiver = receiver.clone();
            let _ = std::thread::Builder::new()
                .name(format!("portcullis-hash-{i}"))
                .spawn(move || loop {
                    let job = match receiver.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
        }
        std::sync::Mutex::new(sender)
    })
}

/// Runs `work` on the hashing pool; `None` if the pool could not take it.
async fn on_hash_pool<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = reply.send(work());
    });
    hash_pool().lock().ok()?.send(job).ok()?;
    answer.await.ok()
}

#[async_trait(?Send)]
impl PasswordHasher for BlockingHasher {
    fn algorithm(&self) -> Algorithm {
        self.0
    }

    async fn hash(&self, password: &str) -> String {
        let (algorithm, owned) = (self.0, password.to_owned());
        match on_hash_pool(move || password::hash(algorithm, &owned)).await {
            Some(hash) => hash,
            None => password::hash(self.0, password),
        }
    }

    async fn verify(&self, stored: &str, password: &str) -> bool {
        let (owned_stored, owned_password) = (stored.to_owned(), password.to_owned());
        match on_hash_pool(move || password::verify(&owned_stored, &owned_password)).await {
            Some(ok) => ok,
            None => password::verify(stored, password),
        }
    }
}

fn log(line: &str) {
    eprintln!("portcullis: {line}");
}

/// Everything the native server reads from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Options.
    pub config: Config,
    /// `BETTER_AUTH_SECRET`.
    pub secret: String,
    /// The database (`DATABASE_URL`, default `./portcullis.db`): a SQLite file, or a libSQL URL
    /// (`libsql://`, `https://`, `http://`) kept as given.
    pub database: std::path::PathBuf,
    /// Where to listen.
    pub address: SocketAddr,
    /// Worker threads (one runtime and connection each).
    pub threads: usize,
}

impl Settings {
    /// Reads `BETTER_AUTH_SECRET`, `BETTER_AUTH_URL`, `BETTER_AUTH_TRUSTED_ORIGINS`,
    /// `DATABASE_URL`, `PORT`, and the options from `PORTCULLIS_CONFIG` (JSON text) or the file
    /// named by `PORTCULLIS_CONFIG_FILE` (default `./portcullis.json`, if present).
    pub fn from_env() -> Result<Settings, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let mut config = config_from_env()?;
        let port: u16 = match var("PORT") {
            Some(p) => p
                .parse()
                .map_err(|_| format!("PORT {p:?} is not a port number"))?,
            None => 3000,
        };
        if var("BETTER_AUTH_URL").is_none() && config.base_url == Config::default().base_url {
            config.base_url = format!("http://127.0.0.1:{port}");
        }
        config.apply_env(var("BETTER_AUTH_URL"), var("BETTER_AUTH_TRUSTED_ORIGINS"));
        let secret = match var("BETTER_AUTH_SECRET") {
            Some(secret) => secret,
            None => {
                log("WARNING: BETTER_AUTH_SECRET is not set; using a random secret for this process only. Sessions end when it stops. Set BETTER_AUTH_SECRET (32+ characters) for anything but local development.");
                crate::crypto::random_string(48, crate::crypto::ALPHANUMERIC)
            }
        };
        let database = var("DATABASE_URL").unwrap_or_else(|| "./portcullis.db".to_owned());
        let database = if is_libsql_url(&database) || is_postgres_url(&database) {
            database.into()
        } else {
            sqlite_path(&database)
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Settings {
            config,
            secret,
            database,
            address: SocketAddr::from(([127, 0, 0, 1], port)),
            threads,
        })
    }
}

/// The options from `PORTCULLIS_CONFIG` (JSON text) or the file named by
/// `PORTCULLIS_CONFIG_FILE` (default `./portcullis.json`, if present).
pub fn config_from_env() -> Result<Config, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    Ok(
        match (var("PORTCULLIS_CONFIG"), var("PORTCULLIS_CONFIG_FILE")) {
            (Some(text), _) => Config::from_json(&text)?,
            (None, Some(file)) => Config::from_json(
                &std::fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?,
            )?,
            (None, None) => match std::fs::read_to_string("portcullis.json") {
                Ok(text) => Config::from_json(&text)?,
                Err(_) => Config::default(),
            },
        },
    )
}

/// Builds an [`Auth`] over a SQLite file for this thread; `shared` is what every thread's `Auth`
/// of the process shares (rate-limit counters, the KV).
pub fn auth_for(settings: &Settings, shared: Shared) -> Result<Auth, String> {
    let sql = open_database(&settings.database.to_string_lossy())?;
    let gate = &settings.config.gate;
    let upstream: Option<Box<dyn crate::net::Upstream>> = match (gate.enabled, &gate.origin) {
        (false, _) => None,
        (true, Some(_)) => Some(Box::new(crate::net::native::HyperClient::upstream()?)),
        (true, None) => {
            return Err(
                "gate.origin is required natively: the URL the gate fetches the site from (e.g. http://127.0.0.1:8080)"
                    .to_owned(),
            )
        }
    };
    let config = &settings.config;
    let wants_kv = config.secondary_storage.enabled
        || config.rate_limit.storage == crate::config::RateLimitStorage::SecondaryStorage;
    let host = Host {
        sql,
        kv: wants_kv.then(|| Box::new(shared.kv.handle(Box::new(SystemClock))) as _),
        clock: Box::new(SystemClock),
        hasher: Box::new(BlockingHasher(settings.config.password.algorithm)),
        http: Box::new(crate::net::native::HyperClient::new()?),
        jws: Box::new(crate::crypto::jws::rust::RustJws),
        upstream,
        // RESEND_API_KEY is read here, not kept in Settings, so it never appears in its Debug.
        mailer: crate::mail::from_config(
            &settings.config.email,
            std::env::var("RESEND_API_KEY").ok(),
            log,
        )?,
        rate_limit_memory: shared.rate_limit_memory,
        log,
    };
    Auth::new(settings.config.clone(), settings.secret.clone(), host)
}

/// The SQLite file a `DATABASE_URL` names: a path, `sqlite://path` or `file:path`.
pub fn sqlite_path(url: &str) -> std::path::PathBuf {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("file:"))
        .unwrap_or(url)
        .into()
}

/// Applies pending migrations to the database a URL names (`portcullis migrate`), calling
/// `progress` with each migration's name before it runs. Returns how to name the database in
/// messages (never with a password) and the migrations applied.
pub fn migrate_url(
    url: &str,
    config: &Config,
    progress: &mut dyn FnMut(&str),
) -> Result<(String, Vec<&'static str>), String> {
    let (sql, target) = if is_libsql_url(url) || is_postgres_url(url) {
        (open_database(url)?, database_label(url))
    } else {
        let path = sqlite_path(url);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.is_dir() {
                return Err(format!(
                    "cannot create the SQLite database {}: the directory {} does not exist",
                    path.display(),
                    parent.display()
                ));
            }
        }
        (open_database(url)?, path.display().to_string())
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let list = migrations_for(url, config)?;
    let applied = runtime
        .block_on(crate::store::migrations::apply_list_with(
            sql.as_ref(),
            dialect_of(url),
            &list,
            progress,
        ))
        .map_err(|e| format!("migration failed on {target}: {e}"))?;
    Ok((target, applied))
}

/// The migrations for a database and configuration: the core's in its dialect, and the enabled
/// plugins'.
fn migrations_for(url: &str, config: &Config) -> Result<Vec<(&'static str, &'static str)>, String> {
    crate::plugins::Plugins::from_config(config)?.migrations(dialect_of(url))
}

/// Whether a `DATABASE_URL` names a libSQL server (`libsql://`, `https://`, `http://`).
pub fn is_libsql_url(url: &str) -> bool {
    ["libsql://", "https://", "http://"].iter().any(|p| {
        url.get(..p.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(p))
    })
}

/// Whether a `DATABASE_URL` names a PostgreSQL database (`postgres://`, `postgresql://`).
pub fn is_postgres_url(url: &str) -> bool {
    ["postgres://", "postgresql://"].iter().any(|p| {
        url.get(..p.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(p))
    })
}

/// The SQL dialect of the database a `DATABASE_URL` names.
pub fn dialect_of(url: &str) -> crate::store::migrations::Dialect {
    if is_postgres_url(url) {
        crate::store::migrations::Dialect::Postgres
    } else {
        crate::store::migrations::Dialect::Sqlite
    }
}

/// A `DATABASE_URL` for messages: never a libSQL URL's query (its `authToken`) nor a
/// PostgreSQL URL's password.
pub fn database_label(url: &str) -> String {
    if is_libsql_url(url) {
        url.split('?').next().unwrap_or(url).to_owned()
    } else if is_postgres_url(url) {
        let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
        let rest = rest.split('?').next().unwrap_or(rest);
        match rest.rsplit_once('@') {
            Some((user, host)) => {
                let user = user.split(':').next().unwrap_or(user);
                format!("{scheme}://{user}@{host}")
            }
            None => format!("{scheme}://{rest}"),
        }
    } else {
        url.to_owned()
    }
}

/// The database a `DATABASE_URL` names: PostgreSQL, a libSQL server over HTTP (token from
/// `authToken=` in the URL or `LIBSQL_AUTH_TOKEN`), or a SQLite file.
pub fn open_database(url: &str) -> Result<Box<dyn Sql>, String> {
    if is_postgres_url(url) {
        return Ok(Box::new(super::postgres::PgSql::new(url)?));
    }
    if is_libsql_url(url) {
        let token = std::env::var("LIBSQL_AUTH_TOKEN").ok();
        let http = Box::new(crate::net::native::HyperClient::new()?);
        let sql = crate::store::libsql::LibsqlSql::new(url, token, http)?;
        return Ok(Box::new(sql));
    }
    let path = sqlite_path(url);
    let sql = SqliteSql::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Box::new(sql))
}

/// Applies pending migrations to the database file.
pub fn migrate(settings: &Settings) -> Result<Vec<&'static str>, String> {
    let sql = open_database(&settings.database.to_string_lossy())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let url = settings.database.to_string_lossy();
    let list = migrations_for(&url, &settings.config)?;
    runtime
        .block_on(crate::store::migrations::apply_list_with(
            sql.as_ref(),
            dialect_of(&url),
            &list,
            &mut |_| {},
        ))
        .map_err(|e| format!("migration failed: {e}"))
}

/// Serves until the process ends: migrations first, then one thread per core on `listener`.
pub fn serve(settings: Settings, listener: TcpListener) -> Result<(), String> {
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let mut threads = Vec::new();
    // One in-memory rate-limit store and KV for the process, so they hold across threads.
    let shared = Shared::default();
    // Fail before spawning if the database cannot be opened; each thread opens its own.
    drop(auth_for(&settings, shared.clone())?);
    for _ in 0..settings.threads.max(1) {
        let listener = listener.try_clone().map_err(|e| e.to_string())?;
        let settings = settings.clone();
        let shared = shared.clone();
        threads.push(std::thread::spawn(move || {
            serve_thread(auth_for(&settings, shared)?, listener)
        }));
    }
    for thread in threads {
        thread
            .join()
            .map_err(|_| "a server thread panicked".to_owned())??;
    }
    Ok(())
}

fn serve_thread(auth: Auth, listener: TcpListener) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| e.to_string())?;
        let auth = Rc::new(auth);
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(_) => continue,
            };
            let _ = stream.set_nodelay(true);
            let auth = auth.clone();
            tokio::task::spawn_local(async move {
                let service = service_fn(move |request| handle(auth.clone(), request));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

async fn handle(
    auth: Rc<Auth>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, std::convert::Infallible> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, super::MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let mut response =
                hyper::Response::new(Full::new(Bytes::from_static(super::TOO_LARGE_BODY)));
            *response.status_mut() = hyper::StatusCode::PAYLOAD_TOO_LARGE;
            response.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("application/json"),
            );
            return Ok(response);
        }
    };
    let response = auth.handle(hyper::Request::from_parts(parts, body)).await;
    Ok(response.map(Full::new))
}
