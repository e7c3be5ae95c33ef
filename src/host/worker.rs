//! The Cloudflare Workers host: D1 for SQL, Workers KV for secondary storage, the JavaScript
//! clock, and the fetch event. Bindings and variables are named in `wrangler.toml`:
//! `DB` (D1), `KV` (KV namespace, optional), `BETTER_AUTH_SECRET` (a secret), `BETTER_AUTH_URL`,
//! `BETTER_AUTH_TRUSTED_ORIGINS` and `PORTCULLIS_CONFIG` (JSON options) as variables, and, for
//! the static-site gate without `gate.origin`, `ASSETS` (Workers Static Assets, with
//! `run_worker_first = true` so every request reaches the Worker).

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasm_bindgen::JsValue;
use worker::{console_error, event, Context, D1Database, Env, HttpRequest};

use crate::crypto::password::{self, Algorithm, PasswordHasher, SCRYPT_KEY_LEN};
use crate::store::{Kv, Row, Sql, SqlError, Statement, Value};
use crate::time::{Clock, Millis};
use crate::{Auth, Config, Host};

/// D1 as a [`Sql`] driver. `batch` is D1's `batch()`: one round trip, one transaction. With a
/// session (read replication, `d1.readReplication`), queries go through the Sessions API.
pub struct D1Sql {
    db: D1Database,
    session: Option<std::rc::Rc<worker::D1DatabaseSession>>,
}

impl D1Sql {
    /// Plain D1: every query to the primary.
    pub fn new(db: D1Database) -> Self {
        D1Sql { db, session: None }
    }

    fn prepare(&self, sql: &str) -> worker::D1PreparedStatement {
        match &self.session {
            Some(session) => session.prepare(sql),
            None => self.db.prepare(sql),
        }
    }
}

fn bind(db: &D1Sql, statement: &Statement) -> Result<worker::D1PreparedStatement, SqlError> {
    let params: Vec<JsValue> = statement
        .params
        .iter()
        .map(|v| match v {
            Value::Null => JsValue::NULL,
            Value::Integer(n) => JsValue::from_f64(*n as f64),
            Value::Real(n) => JsValue::from_f64(*n),
            Value::Text(s) => JsValue::from_str(s),
            Value::Blob(b) => js_sys::Uint8Array::from(b.as_slice()).into(),
        })
        .collect();
    db.prepare(&statement.sql).bind(&params).map_err(d1_error)
}

fn d1_error(e: worker::Error) -> SqlError {
    SqlError::new(match e {
        worker::Error::D1(d1) => d1.cause(),
        other => other.to_string(),
    })
}

fn from_json(value: serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Integer(b as i64),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map_or_else(|| Value::Real(n.as_f64().unwrap_or(0.0)), Value::Integer),
        serde_json::Value::String(s) => Value::Text(s),
        // D1 hands BLOBs to JavaScript as arrays of byte values.
        serde_json::Value::Array(items) => {
            let bytes: Option<Vec<u8>> = items
                .iter()
                .map(|v| v.as_u64().and_then(|n| u8::try_from(n).ok()))
                .collect();
            match bytes {
                Some(bytes) => Value::Blob(bytes),
                None => Value::Text(serde_json::Value::Array(items).to_string()),
            }
        }
        other => Value::Text(other.to_string()),
    }
}

/// One row of a D1 `batch()` result, its values in column order. `batch()` gives rows as
/// objects (there is no raw form), and a JavaScript object keeps its keys in insertion order, i.e.
/// the order of the SELECT or RETURNING list: read the values in that order. (A
/// `serde_json::Map` would sort them by name.) Two result columns with the same name are one key
/// in such an object, so statements whose rows are read from a batch must name columns uniquely.
struct OrderedRow(Vec<serde_json::Value>);

impl<'de> serde::Deserialize<'de> for OrderedRow {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = OrderedRow;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a D1 result row (an object)")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<OrderedRow, A::Error> {
                let mut values = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((_, value)) =
                    map.next_entry::<serde::de::IgnoredAny, serde_json::Value>()?
                {
                    values.push(value);
                }
                Ok(OrderedRow(values))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

#[async_trait(?Send)]
impl Sql for D1Sql {
    async fn query(&self, statement: Statement) -> Result<Vec<Row>, SqlError> {
        let rows: Vec<Vec<serde_json::Value>> =
            bind(self, &statement)?.raw().await.map_err(d1_error)?;
        Ok(rows
            .into_iter()
            .map(|row| row.into_iter().map(from_json).collect())
            .collect())
    }

    async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<Vec<Row>>, SqlError> {
        let prepared = statements
            .iter()
            .map(|s| bind(self, s))
            .collect::<Result<Vec<_>, _>>()?;
        let results = match &self.session {
            Some(session) => session.batch(prepared).await,
            None => self.db.batch(prepared).await,
        }
        .map_err(d1_error)?;
        results
            .into_iter()
            .map(|result| {
                let rows: Vec<OrderedRow> = result.results().map_err(d1_error)?;
                Ok(rows
                    .into_iter()
                    .map(|row| row.0.into_iter().map(from_json).collect())
                    .collect())
            })
            .collect()
    }

    async fn execute_script(&self, script: &str) -> Result<(), SqlError> {
        self.db.exec(script).await.map(|_| ()).map_err(d1_error)
    }
}

/// Workers KV as secondary storage (eventually consistent: see [`Kv`]).
pub struct WorkersKv(pub worker::kv::KvStore);

#[async_trait(?Send)]
impl Kv for WorkersKv {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, SqlError> {
        self.0
            .get(key)
            .bytes()
            .await
            .map_err(|e| SqlError::new(e.to_string()))
    }

    async fn put(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<(), SqlError> {
        // Workers KV refuses TTLs under 60 seconds.
        let builder = self
            .0
            .put_bytes(key, value)
            .map_err(|e| SqlError::new(e.to_string()))?;
        builder
            .expiration_ttl(ttl_seconds.max(60))
            .execute()
            .await
            .map_err(|e| SqlError::new(e.to_string()))
    }

    async fn delete(&self, key: &str) -> Result<(), SqlError> {
        self.0
            .delete(key)
            .await
            .map_err(|e| SqlError::new(e.to_string()))
    }
}

/// `Date.now()`.
pub struct JsClock;

impl Clock for JsClock {
    fn now_ms(&self) -> Millis {
        js_sys::Date::now() as Millis
    }
}

fn log(line: &str) {
    console_error!("portcullis: {line}");
}

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .ok()
        .map(|v| v.to_string())
        .or_else(|| env.secret(name).ok().map(|v| v.to_string()))
        .filter(|v| !v.is_empty())
}

/// A D1 session of one request (read replication) and the cookie carrying its bookmark.
struct Replication {
    session: std::rc::Rc<worker::D1DatabaseSession>,
    cookie: String,
    attributes: crate::cookies::CookieAttributes,
    incoming: Option<String>,
}

impl Replication {
    /// Starts the request's session where its bookmark cookie says (so it reads at least what
    /// the client's earlier requests wrote); without one, a GET may start on any replica and
    /// anything else starts on the primary.
    fn start(
        db: &D1Database,
        config: &Config,
        headers: &http::HeaderMap,
        method: &http::Method,
    ) -> Result<Replication, String> {
        let names = crate::context::AuthCookies::new(config);
        let cookie = names.session_token.replace("session_token", "d1_bookmark");
        let incoming = headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(crate::cookies::parse_cookie_header)
            .find(|(name, _)| *name == cookie)
            .map(|(_, value)| value.into_owned())
            .filter(|b| {
                (1..=256).contains(&b.len())
                    && b.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
            });
        let start = match (&incoming, method == http::Method::GET) {
            (Some(bookmark), _) => bookmark.as_str(),
            (None, true) => "first-unconstrained",
            (None, false) => "first-primary",
        };
        let session = db
            .with_session(Some(start))
            .map_err(|e| format!("D1 withSession: {e}"))?;
        Ok(Replication {
            session: std::rc::Rc::new(session),
            cookie,
            attributes: names.attributes,
            incoming,
        })
    }

    /// Sets the bookmark cookie when the session moved past the one the request brought.
    fn finish(&self, response: &mut http::Response<Bytes>) {
        let Ok(Some(bookmark)) = self.session.get_bookmark() else {
            return;
        };
        if self.incoming.as_deref() == Some(bookmark.as_str()) {
            return;
        }
        let line = crate::cookies::serialize_set_cookie(&self.cookie, &bookmark, &self.attributes);
        if let Ok(value) = http::HeaderValue::from_str(&line) {
            response
                .headers_mut()
                .append(http::header::SET_COOKIE, value);
        }
    }
}

fn build(env: &Env, parts: &http::request::Parts) -> Result<(Auth, Option<Replication>), String> {
    let mut config = match var(env, "PORTCULLIS_CONFIG") {
        Some(json) => Config::from_json(&json)?,
        None => Config::default(),
    };
    config.apply_env(
        var(env, "BETTER_AUTH_URL"),
        var(env, "BETTER_AUTH_TRUSTED_ORIGINS"),
    );
    let secret = var(env, "BETTER_AUTH_SECRET")
        .ok_or("BETTER_AUTH_SECRET is not set (wrangler secret put BETTER_AUTH_SECRET)")?;
    let upstream: Option<Box<dyn crate::net::Upstream>> =
        if !config.gate.enabled || cfg!(not(feature = "gate")) {
            None
        } else if config.gate.origin.is_some() {
            Some(Box::new(crate::net::worker::FetchUpstream))
        } else {
            // Without the binding the gate answers 500 and logs why.
            env.assets("ASSETS")
                .ok()
                .map(|assets| Box::new(crate::net::worker::AssetsUpstream(assets)) as _)
        };
    // libSQL (Turso) over HTTP when LIBSQL_URL is set (built with `worker-libsql`); D1 otherwise.
    let (sql, replication): (Box<dyn Sql>, Option<Replication>) = match var(env, "LIBSQL_URL") {
        #[cfg(feature = "worker-libsql")]
        Some(url) => {
            let token = var(env, "LIBSQL_AUTH_TOKEN");
            let http = Box::new(crate::net::worker::FetchClient);
            let sql = crate::store::libsql::LibsqlSql::new(&url, token, http)?;
            (Box::new(sql), None)
        }
        #[cfg(not(feature = "worker-libsql"))]
        Some(_) => {
            return Err(
                "LIBSQL_URL is set but this Worker was built without the worker-libsql feature"
                    .to_owned(),
            )
        }
        None => {
            let db = env.d1("DB").map_err(|e| format!("D1 binding DB: {e}"))?;
            let replication = if config.d1.read_replication {
                Some(Replication::start(
                    &db,
                    &config,
                    &parts.headers,
                    &parts.method,
                )?)
            } else {
                None
            };
            let session = replication.as_ref().map(|r| r.session.clone());
            (Box::new(D1Sql { db, session }), replication)
        }
    };
    let host = Host {
        sql,
        kv: env
            .kv("KV")
            .ok()
            .map(|kv| Box::new(WorkersKv(kv)) as Box<dyn Kv>),
        clock: Box::new(JsClock),
        hasher: Box::new(WorkerHasher(config.password.algorithm)),
        http: Box::new(crate::net::worker::FetchClient),
        jws: Box::new(crate::crypto::jws::worker::WebCryptoJws),
        upstream,
        // A secret (`wrangler secret put RESEND_API_KEY`) or, locally, .dev.vars.
        mailer: crate::mail::from_config(&config.email, var(env, "RESEND_API_KEY"), log)?,
        rate_limit_memory: RATE_LIMIT_MEMORY.with(Clone::clone),
        log,
    };
    Ok((Auth::new(config, secret, host)?, replication))
}

/// Password hashing in the isolate. Better Auth's scrypt goes to workerd's own (BoringSSL, through
/// `node:crypto`, about twice as fast as the `scrypt` crate in wasm) when the Worker has the
/// `nodejs_compat` flag, and to the crate otherwise. Argon2id and PBKDF2 stay in wasm: workerd has
/// no Argon2, and production Workers refuse PBKDF2 above 100,000 iterations (workerd#1346).
struct WorkerHasher(Algorithm);

#[async_trait(?Send)]
impl PasswordHasher for WorkerHasher {
    fn algorithm(&self) -> Algorithm {
        self.0
    }

    async fn hash(&self, password: &str) -> String {
        password::hash_with(self.0, password, workerd_scrypt)
    }

    async fn verify(&self, stored: &str, password: &str) -> bool {
        password::verify_with(stored, password, workerd_scrypt)
    }
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = "
export function workerd_scrypt(password, salt, len) {
  const crypto = globalThis.process?.getBuiltinModule?.('node:crypto');
  if (!crypto?.scryptSync) return undefined;
  const N = 16384, r = 16;
  const key = crypto.scryptSync(password, salt, len, { N, r, p: 1, maxmem: 2 * 128 * N * r });
  return new Uint8Array(key.buffer, key.byteOffset, key.byteLength);
}")]
extern "C" {
    #[wasm_bindgen(catch, js_name = workerd_scrypt)]
    fn js_scrypt(password: &[u8], salt: &[u8], len: u32) -> Result<JsValue, JsValue>;
}

/// Better Auth's scrypt by workerd, or by the crate where workerd has none (no `nodejs_compat`)
/// or it failed.
fn workerd_scrypt(password: &[u8], salt: &[u8]) -> Option<[u8; SCRYPT_KEY_LEN]> {
    let key = match js_scrypt(password, salt, SCRYPT_KEY_LEN as u32) {
        Ok(key) if !key.is_undefined() => js_sys::Uint8Array::new(&key),
        _ => return password::scrypt_key(password, salt),
    };
    if key.length() as usize != SCRYPT_KEY_LEN {
        return password::scrypt_key(password, salt);
    }
    let mut out = [0u8; SCRYPT_KEY_LEN];
    key.copy_to(&mut out);
    Some(out)
}

thread_local! {
    /// The isolate's in-memory rate-limit counters: an `Auth` is built per request, the store
    /// lives as long as the isolate (so memory rate limiting is per isolate, approximate).
    static RATE_LIMIT_MEMORY: crate::http::rate_limit::MemoryStore = Default::default();
}

/// The fetch event: every request goes through [`Auth::handle`].
#[event(fetch)]
pub async fn fetch(
    request: HttpRequest,
    env: Env,
    _ctx: Context,
) -> worker::Result<http::Response<Full<Bytes>>> {
    let (parts, body) = request.into_parts();
    let (auth, replication) = match build(&env, &parts) {
        Ok(built) => built,
        Err(message) => {
            log(&message);
            let mut response = http::Response::new(Full::new(Bytes::from_static(
                br#"{"message":"Server misconfigured","code":"INTERNAL_SERVER_ERROR"}"#,
            )));
            *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            return Ok(response);
        }
    };
    let body = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let mut response = auth.handle(http::Request::from_parts(parts, body)).await;
    if let Some(replication) = &replication {
        replication.finish(&mut response);
    }
    Ok(response.map(Full::new))
}
