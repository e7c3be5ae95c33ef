//! The Cloudflare Workers host: D1 for SQL, Workers KV for secondary storage, the JavaScript
//! clock, and the fetch event. Bindings and variables are named in `wrangler.toml`:
//! `DB` (D1), `KV` (KV namespace, optional), `BETTER_AUTH_SECRET` (a secret), `BETTER_AUTH_URL`,
//! `BETTER_AUTH_TRUSTED_ORIGINS` and `PORTCULLIS_CONFIG` (JSON options) as variables, and, for
//! the static-site gate without `gate.origin`, `ASSETS` (Workers Static Assets, with
//! `run_worker_first = true` so every request reaches the Worker).

use async_trait::async_trait;
use bytes::Bytes;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::net::worker::js_text;

use crate::crypto::password::{self, Algorithm, PasswordHasher, SCRYPT_KEY_LEN};
use crate::store::{Kv, Row, Sql, SqlError, Statement, Value};
use crate::time::{Clock, Millis};
use crate::{Auth, Config, Host};

#[wasm_bindgen]
extern "C" {
    /// A D1 binding (`env.DB`).
    #[derive(Clone)]
    pub type D1Database;
    #[wasm_bindgen(method, catch)]
    fn prepare(this: &D1Database, sql: &str) -> Result<D1PreparedStatement, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn batch(this: &D1Database, statements: &js_sys::Array) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn exec(this: &D1Database, script: &str) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = withSession)]
    fn with_session(this: &D1Database, start: &str) -> Result<D1DatabaseSession, JsValue>;

    /// A D1 session (read replication): `db.withSession(bookmark or constraint)`.
    #[derive(Clone)]
    type D1DatabaseSession;
    #[wasm_bindgen(method, catch, js_name = prepare)]
    fn session_prepare(this: &D1DatabaseSession, sql: &str)
        -> Result<D1PreparedStatement, JsValue>;
    #[wasm_bindgen(method, catch, js_name = batch)]
    fn session_batch(
        this: &D1DatabaseSession,
        statements: &js_sys::Array,
    ) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = getBookmark)]
    fn get_bookmark(this: &D1DatabaseSession) -> Result<Option<String>, JsValue>;

    type D1PreparedStatement;
    #[wasm_bindgen(method, catch, variadic)]
    fn bind(
        this: &D1PreparedStatement,
        values: &js_sys::Array,
    ) -> Result<D1PreparedStatement, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn raw(this: &D1PreparedStatement) -> Result<js_sys::Promise, JsValue>;
}

/// D1 as a [`Sql`] driver. `batch` is D1's `batch()`: one round trip, one transaction. With a
/// session (read replication, `d1.readReplication`), queries go through the Sessions API.
pub struct D1Sql {
    db: D1Database,
    session: Option<D1DatabaseSession>,
}

impl D1Sql {
    /// Plain D1: every query to the primary.
    pub fn new(db: D1Database) -> Self {
        D1Sql { db, session: None }
    }

    fn bind(&self, statement: &Statement) -> Result<D1PreparedStatement, SqlError> {
        let params: js_sys::Array = statement
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
        match &self.session {
            Some(session) => session.session_prepare(&statement.sql),
            None => self.db.prepare(&statement.sql),
        }
        .and_then(|prepared| prepared.bind(&params))
        .map_err(d1_error)
    }
}

/// A D1 failure: D1's own errors (their message starts with "D1") by their cause (where SQLite's
/// wording, e.g. "UNIQUE constraint failed", is), anything else as it is.
fn d1_error(e: JsValue) -> SqlError {
    if let Some(error) = e.dyn_ref::<js_sys::Error>() {
        if String::from(error.message()).starts_with("D1") {
            return SqlError::new(match error.cause().dyn_into::<js_sys::Error>() {
                Ok(cause) => String::from(cause.message()),
                // Bind errors (D1_TYPE_ERROR …) carry no cause: their own message says it.
                Err(_) => String::from(error.message()),
            });
        }
    }
    SqlError::new(js_text(&e))
}

/// One value of a D1 result as a [`Value`], read from the JavaScript value directly (no serde):
/// null and undefined are NULL, booleans 0 or 1, safe integers INTEGER, other finite numbers
/// REAL (non-finite ones NULL), strings TEXT. D1 hands BLOBs to JavaScript as arrays of byte
/// values (an ArrayBuffer or Uint8Array is read as a BLOB too); an array that is not bytes,
/// or any other value, becomes its JSON text.
fn from_js(value: JsValue) -> Value {
    if value.is_null_or_undefined() {
        Value::Null
    } else if let Some(b) = value.as_bool() {
        Value::Integer(b as i64)
    } else if let Some(n) = value.as_f64() {
        if js_sys::Number::is_safe_integer(&value) {
            Value::Integer(n as i64)
        } else if n.is_finite() {
            Value::Real(n)
        } else {
            Value::Null
        }
    } else if let Some(s) = value.as_string() {
        Value::Text(s)
    } else if value.is_bigint() {
        match i64::try_from(value.clone()) {
            Ok(n) => Value::Integer(n),
            Err(_) => u64::try_from(value).map_or(Value::Null, |n| Value::Real(n as f64)),
        }
    } else if js_sys::Array::is_array(&value) {
        let items = js_sys::Array::from(&value);
        let bytes: Option<Vec<u8>> = items
            .iter()
            .map(|v| {
                v.as_f64()
                    .filter(|n| n.fract() == 0.0 && (0.0..=255.0).contains(n))
                    .map(|n| n as u8)
            })
            .collect();
        bytes.map_or_else(|| json_text(&value), Value::Blob)
    } else if value.is_instance_of::<js_sys::ArrayBuffer>()
        || value.is_instance_of::<js_sys::Uint8Array>()
    {
        Value::Blob(js_sys::Uint8Array::new(&value).to_vec())
    } else {
        json_text(&value)
    }
}

fn json_text(value: &JsValue) -> Value {
    Value::Text(
        js_sys::JSON::stringify(value)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default(),
    )
}

/// The rows of a D1 result: arrays of values (`raw()`), or, from `batch()`, which has no raw
/// form, objects read in key order. A JavaScript object keeps its keys in insertion order, i.e.
/// the order of the SELECT or RETURNING list. Two result columns with the same name are one key
/// in such an object, so statements whose rows are read from a batch must name columns uniquely.
fn rows(rows: &JsValue) -> Result<Vec<Row>, SqlError> {
    let rows = rows
        .dyn_ref::<js_sys::Array>()
        .ok_or_else(|| SqlError::new("D1: the rows are not an array".to_owned()))?;
    rows.iter()
        .map(|row| {
            let values = if js_sys::Array::is_array(&row) {
                js_sys::Array::from(&row)
            } else if row.is_object() {
                js_sys::Object::values(row.unchecked_ref())
            } else {
                return Err(SqlError::new(
                    "D1: a row is not an array or object".to_owned(),
                ));
            };
            Ok(values.iter().map(from_js).collect())
        })
        .collect()
}

#[async_trait(?Send)]
impl Sql for D1Sql {
    async fn query(&self, statement: Statement) -> Result<Vec<Row>, SqlError> {
        let promise = self.bind(&statement)?.raw().map_err(d1_error)?;
        rows(&JsFuture::from(promise).await.map_err(d1_error)?)
    }

    async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<Vec<Row>>, SqlError> {
        let prepared = statements
            .iter()
            .map(|s| self.bind(s))
            .collect::<Result<js_sys::Array, _>>()?;
        let promise = match &self.session {
            Some(session) => session.session_batch(&prepared),
            None => self.db.batch(&prepared),
        }
        .map_err(d1_error)?;
        let results = JsFuture::from(promise).await.map_err(d1_error)?;
        let results = results
            .dyn_ref::<js_sys::Array>()
            .ok_or_else(|| SqlError::new("D1 batch: not an array".to_owned()))?;
        results
            .iter()
            .map(|result| {
                let found = js_sys::Reflect::get(&result, &"results".into()).map_err(d1_error)?;
                if found.is_null_or_undefined() {
                    Ok(Vec::new())
                } else {
                    rows(&found)
                }
            })
            .collect()
    }

    async fn execute_script(&self, script: &str) -> Result<(), SqlError> {
        let promise = self.db.exec(script).map_err(d1_error)?;
        JsFuture::from(promise).await.map(|_| ()).map_err(d1_error)
    }
}

#[wasm_bindgen]
extern "C" {
    /// A Workers KV namespace binding (`env.KV`).
    pub type KvNamespace;
    #[wasm_bindgen(method, catch, js_name = get)]
    fn get_with(
        this: &KvNamespace,
        key: &str,
        options: &JsValue,
    ) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = put)]
    fn put_with(
        this: &KvNamespace,
        key: &str,
        value: &js_sys::Uint8Array,
        options: &JsValue,
    ) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = delete)]
    fn delete_key(this: &KvNamespace, key: &str) -> Result<js_sys::Promise, JsValue>;
}

/// Workers KV as secondary storage (eventually consistent: see [`Kv`]).
pub struct WorkersKv(pub KvNamespace);

fn kv_error(e: JsValue) -> SqlError {
    SqlError::new(js_text(&e))
}

/// `{ key: value }`.
fn options(key: &str, value: JsValue) -> JsValue {
    let options = js_sys::Object::new();
    // Setting a property on a fresh plain object does not throw.
    let _ = js_sys::Reflect::set(&options, &key.into(), &value);
    options.into()
}

async fn settle(promise: Result<js_sys::Promise, JsValue>) -> Result<JsValue, SqlError> {
    JsFuture::from(promise.map_err(kv_error)?)
        .await
        .map_err(kv_error)
}

#[async_trait(?Send)]
impl Kv for WorkersKv {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, SqlError> {
        let options = options("type", "arrayBuffer".into());
        let value = settle(self.0.get_with(key, &options)).await?;
        Ok(value
            .dyn_ref::<js_sys::ArrayBuffer>()
            .map(|buffer| js_sys::Uint8Array::new(buffer).to_vec()))
    }

    async fn put(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<(), SqlError> {
        // Workers KV refuses TTLs under 60 seconds.
        let options = options("expirationTtl", (ttl_seconds.max(60) as f64).into());
        let value = js_sys::Uint8Array::from(value);
        settle(self.0.put_with(key, &value, &options))
            .await
            .map(|_| ())
    }

    async fn delete(&self, key: &str) -> Result<(), SqlError> {
        settle(self.0.delete_key(key)).await.map(|_| ())
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
    web_sys::console::error_1(&format!("portcullis: {line}").into());
}

/// A variable or secret of the environment (both are strings), when set and not empty.
fn var(env: &JsValue, name: &str) -> Option<String> {
    js_sys::Reflect::get(env, &name.into())
        .ok()
        .and_then(|v| v.as_string())
        .filter(|v| !v.is_empty())
}

/// A binding of the environment (D1, KV, a service), when there is one.
fn binding<T: JsCast>(env: &JsValue, name: &str) -> Option<T> {
    js_sys::Reflect::get(env, &name.into())
        .ok()
        .filter(|v| v.is_object())
        .map(JsCast::unchecked_into)
}

/// A D1 session of one request (read replication) and the cookie carrying its bookmark.
struct Replication {
    session: D1DatabaseSession,
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
            .with_session(start)
            .map_err(|e| format!("D1 withSession: {}", js_text(&e)))?;
        Ok(Replication {
            session,
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

fn build(
    env: &JsValue,
    parts: &http::request::Parts,
) -> Result<(Auth, Option<Replication>), String> {
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
            binding(env, "ASSETS")
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
            let db: D1Database = binding(env, "DB")
                .ok_or("D1 binding DB: not in the environment (wrangler.toml [[d1_databases]])")?;
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
        kv: binding(env, "KV").map(|kv| Box::new(WorkersKv(kv)) as Box<dyn Kv>),
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

/// The fetch event: every request goes through [`Auth::handle`]. Exported by hand under the name
/// worker-build's shim calls (`fetch(request, env, ctx)`) rather than with `#[event(fetch)]`,
/// whose conversions stream both bodies through `http-body` and `wasm-streams`: here the
/// request body is read whole (`arrayBuffer()`) and the response body handed over as bytes.
#[wasm_bindgen]
pub async fn fetch(
    request: web_sys::Request,
    env: JsValue,
    _ctx: JsValue,
) -> Result<JsValue, JsValue> {
    std::panic::AssertUnwindSafe(respond(request, env))
        .await
        .map(JsValue::from)
}

async fn respond(request: web_sys::Request, env: JsValue) -> Result<web_sys::Response, JsValue> {
    let request = match read_request(&request).await {
        Ok(request) => request,
        Err(Unreadable::TooLarge) => {
            return to_web_sys(json_response(
                http::StatusCode::PAYLOAD_TOO_LARGE,
                super::TOO_LARGE_BODY,
            ));
        }
        Err(Unreadable::Other(message)) => {
            log(&message);
            return to_web_sys(json_response(
                http::StatusCode::BAD_REQUEST,
                br#"{"message":"Invalid request","code":"BAD_REQUEST"}"#,
            ));
        }
    };
    let (parts, body) = request.into_parts();
    let (auth, replication) = match build(&env, &parts) {
        Ok(built) => built,
        Err(message) => {
            log(&message);
            return to_web_sys(json_response(
                http::StatusCode::INTERNAL_SERVER_ERROR,
                br#"{"message":"Server misconfigured","code":"INTERNAL_SERVER_ERROR"}"#,
            ));
        }
    };
    let mut response = auth.handle(http::Request::from_parts(parts, body)).await;
    if let Some(replication) = &replication {
        replication.finish(&mut response);
    }
    to_web_sys(Ok(response))
}

/// Why a request could not be read.
enum Unreadable {
    TooLarge,
    Other(String),
}

/// A JSON error answer the host gives itself, before the core.
fn json_response(
    status: http::StatusCode,
    body: &'static [u8],
) -> Result<http::Response<Bytes>, http::Error> {
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Bytes::from_static(body))
}

/// The runtime's request as an `http::Request` with its whole body.
async fn read_request(request: &web_sys::Request) -> Result<http::Request<Bytes>, Unreadable> {
    let method = http::Method::from_bytes(request.method().as_bytes())
        .map_err(|_| Unreadable::Other("request method".to_owned()))?;
    let uri: http::Uri = request
        .url()
        .parse()
        .map_err(|_| Unreadable::Other("request URL".to_owned()))?;
    let headers = crate::net::worker::header_map(&request.headers());
    let body = if request.body().is_some() {
        crate::net::worker::body_bytes(request.array_buffer(), super::MAX_BODY_BYTES)
            .await
            .map_err(|_| Unreadable::Other("reading the request body".to_owned()))?
            .ok_or(Unreadable::TooLarge)?
    } else {
        Vec::new()
    };
    let mut out = http::Request::new(Bytes::from(body));
    *out.method_mut() = method;
    *out.uri_mut() = uri;
    *out.headers_mut() = headers;
    Ok(out)
}

/// An `http::Response` as the runtime's `Response`, its body as bytes (none when empty: a 204
/// or 304 must not have one).
fn to_web_sys(
    response: Result<http::Response<Bytes>, http::Error>,
) -> Result<web_sys::Response, JsValue> {
    let response = response.map_err(|e| JsValue::from_str(&e.to_string()))?;
    let headers = web_sys::Headers::new()?;
    // Header values are UTF-8 text as far as `http` is concerned (a `Location` may carry a
    // decoded non-ASCII path); the runtime takes what fits a ByteString and refuses the rest,
    // which is then left out rather than failing the whole answer.
    for (name, value) in response.headers() {
        let appended = std::str::from_utf8(value.as_bytes())
            .map_err(|_| JsValue::NULL)
            .and_then(|value| headers.append(name.as_str(), value));
        if appended.is_err() {
            log(&format!(
                "left out a {name} header the runtime does not take"
            ));
        }
    }
    let init = web_sys::ResponseInit::new();
    init.set_status(response.status().as_u16());
    init.set_headers(&headers);
    let body = response.into_body();
    let body = (!body.is_empty()).then(|| js_sys::Uint8Array::from(&body[..]));
    web_sys::Response::new_with_opt_buffer_source_and_init(body.as_deref(), &init)
}

// What worker-build's shim expects of the module besides `fetch` (worker's `init.rs`, which is
// not linked: Portcullis reaches the runtime through its own bindings): `__worker_init_state()`,
// the state object through which a panic asks the shim to re-instantiate the module, and a start
// function installing the panic hook that says so.
#[wasm_bindgen(inline_js = "
export const state = globalThis.__worker_init_state = { criticalError: false, instanceId: 0 };
")]
extern "C" {
    type InitState;

    #[wasm_bindgen(thread_local_v2, js_name = state)]
    static INIT_STATE: InitState;

    #[cfg(not(panic = "unwind"))]
    #[wasm_bindgen(method, setter, js_name = criticalError)]
    fn set_critical_error(this: &InitState, val: bool);

    #[wasm_bindgen(method, getter, js_name = instanceId)]
    fn instance_id(this: &InitState) -> u32;

    #[wasm_bindgen(method, setter, js_name = instanceId)]
    fn set_instance_id(this: &InitState, val: u32);
}

#[wasm_bindgen(start, private)]
fn start() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default_hook(info);
        let error = js_sys::Error::new(&format!("Rust panic: {info}"));
        web_sys::console::error_2(&"Critical".into(), &error.into());
        #[cfg(not(panic = "unwind"))]
        INIT_STATE.with(|s| s.set_critical_error(true));
    }));
    INIT_STATE.with(|s| s.set_instance_id(s.instance_id() + 1));
    wasm_bindgen::handler::set_on_abort(wasm_bindgen::handler::schedule_reinit);
}

/// The shim's `__worker_init_state()`: the state object above.
#[wasm_bindgen(js_name = "__worker_init_state")]
pub fn worker_init_state() -> JsValue {
    INIT_STATE.with(|s| s.into())
}
