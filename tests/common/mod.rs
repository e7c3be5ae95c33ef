//! Shared helpers for the behavioural suite: a native server on a free port over a fresh SQLite
//! file, a tiny HTTP/1.1 client, and an in-process server whose clock and SQL calls the test
//! controls.
#![allow(dead_code)]

use std::cell::Cell;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::rc::Rc;

use bytes::Bytes;
use portcullis::host::native::{self, Settings, SqliteSql};
pub mod hrana;
pub mod two_factor;

use portcullis::store::migrations::Dialect;
use portcullis::store::{CountingKv, CountingSql};
use portcullis::{Auth, Clock, Config, Host, InlineHasher};

/// The secret of the recorded Better Auth deployment in `shared/better-auth/`, so its cookies
/// are test vectors.
pub const SECRET: &str = "Qm9vN3pXc2lGd2tKcFh2R2tLc0xyT2VhWnNWYmRqTnU4";

/// A fresh temporary directory.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "portcullis-test-{tag}-{}-{}",
        std::process::id(),
        portcullis::crypto::generate_id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A native server running on a background thread.
pub struct Server {
    pub addr: SocketAddr,
    pub base_url: String,
    pub database: PathBuf,
}

impl Server {
    /// Starts with default options (plus `config_json`, if given) on a fresh database.
    pub fn start(config_json: Option<&str>) -> Server {
        Server::start_on(temp_dir("db").join("portcullis.db"), config_json)
    }

    /// Starts on a given database file.
    pub fn start_on(database: PathBuf, config_json: Option<&str>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config = match config_json {
            Some(json) => Config::from_json(json).unwrap(),
            None => Config::default(),
        };
        if config_json.is_none_or(|j| !j.contains("baseURL")) {
            config.base_url = format!("http://{addr}");
        }
        let base_url = config.base_url.clone();
        let settings = Settings {
            config,
            secret: SECRET.to_owned(),
            database: database.clone(),
            address: addr,
            threads: 2,
        };
        native::migrate(&settings).unwrap();
        std::thread::spawn(move || native::serve(settings, listener));
        Server {
            addr,
            base_url,
            database,
        }
    }

    /// Sends a request.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Response {
        http_request(self.addr, method, path, headers, body)
    }

    /// POSTs JSON (with the server's Origin, as a browser would).
    pub fn post_json(&self, path: &str, cookie: Option<&str>, body: &str) -> Response {
        let mut headers = vec![
            ("content-type", "application/json"),
            ("origin", self.base_url.as_str()),
        ];
        if let Some(cookie) = cookie {
            headers.push(("cookie", cookie));
        }
        self.request("POST", &format!("/api/auth{path}"), &headers, Some(body))
    }

    /// GETs with an optional Cookie header.
    pub fn get(&self, path: &str, cookie: Option<&str>) -> Response {
        let headers: Vec<(&str, &str)> = cookie.map(|c| vec![("cookie", c)]).unwrap_or_default();
        self.request("GET", &format!("/api/auth{path}"), &headers, None)
    }

    /// Signs up a new user and returns the response.
    pub fn sign_up(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/sign-up/email",
            None,
            &format!(r#"{{"name":"Test","email":"{email}","password":"{password}"}}"#),
        )
    }
}

/// A response, headers lower-cased.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every `set-cookie` value.
    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The last `Set-Cookie` for `name`, whole.
    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies()
            .into_iter()
            .rev()
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    /// The value of the last `Set-Cookie` for `name`.
    pub fn cookie_value(&self, name: &str) -> Option<String> {
        let cookie = self.set_cookie(name)?;
        Some(
            cookie[name.len() + 1..]
                .split(';')
                .next()
                .unwrap_or("")
                .to_owned(),
        )
    }

    /// A `Cookie` header carrying every non-empty cookie this response set.
    pub fn cookie_header(&self) -> String {
        self.cookie_header_over("")
    }

    /// `earlier` (a Cookie header) updated with what this response set or expired.
    pub fn cookie_header_over(&self, earlier: &str) -> String {
        let mut pairs: Vec<(String, String)> = earlier
            .split("; ")
            .filter_map(|p| p.split_once('='))
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        for cookie in self.set_cookies() {
            let pair = cookie.split(';').next().unwrap_or("");
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            pairs.retain(|(n, _)| n != name);
            if !value.is_empty() {
                pairs.push((name.to_owned(), value.to_owned()));
            }
        }
        pairs
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

/// One HTTP/1.1 request with `Connection: close`.
pub fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Response {
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        request.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body.unwrap_or(""));
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Response {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// A clock the test moves.
#[derive(Clone)]
pub struct TestClock(pub Rc<Cell<i64>>);

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        self.0.get()
    }
}

impl TestClock {
    pub fn advance_seconds(&self, seconds: i64) {
        self.0.set(self.0.get() + seconds * 1000);
    }
}

/// Keeps every mail instead of sending it (in-process tests; the client suites capture real
/// webhook deliveries instead).
#[derive(Clone, Default)]
pub struct CapturedMail(pub Rc<std::cell::RefCell<Vec<portcullis::mail::Mail>>>);

#[async_trait::async_trait(?Send)]
impl portcullis::mail::Mailer for CapturedMail {
    async fn send(
        &self,
        mail: &portcullis::mail::Mail,
        _http: &dyn portcullis::net::HttpClient,
    ) -> Result<(), String> {
        self.0.borrow_mut().push(mail.clone());
        Ok(())
    }
}

impl CapturedMail {
    /// The mails sent to `to`, oldest first.
    pub fn to(&self, to: &str) -> Vec<portcullis::mail::Mail> {
        self.0
            .borrow()
            .iter()
            .filter(|m| m.to == to)
            .cloned()
            .collect()
    }

    /// The last mail sent to `to`.
    pub fn last(&self, to: &str) -> portcullis::mail::Mail {
        self.to(to)
            .pop()
            .unwrap_or_else(|| panic!("no mail to {to}"))
    }
}

/// The native in-memory KV on the test's clock; with `lose_deletes` set it models a Workers KV
/// location that has not seen deletes yet (or a delete that failed): they are dropped.
pub struct TestKv {
    pub inner: native::MemoryKvHandle,
    pub lose_deletes: Cell<bool>,
}

#[async_trait::async_trait(?Send)]
impl portcullis::Kv for TestKv {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, portcullis::SqlError> {
        self.inner.get(key).await
    }
    async fn put(&self, key: &str, value: &[u8], ttl: u64) -> Result<(), portcullis::SqlError> {
        self.inner.put(key, value, ttl).await
    }
    async fn delete(&self, key: &str) -> Result<(), portcullis::SqlError> {
        if self.lose_deletes.get() {
            return Ok(());
        }
        self.inner.delete(key).await
    }
}

/// An in-process server: the test owns the clock and counts SQL round trips.
pub struct InProcess {
    pub auth: Auth,
    pub sql: Rc<CountingSql<Box<dyn portcullis::Sql>>>,
    /// With [`InProcess::with_kv`]: the host's KV, its calls counted.
    pub kv: Option<Rc<CountingKv<TestKv>>>,
    pub clock: TestClock,
    pub mail: CapturedMail,
    runtime: tokio::runtime::Runtime,
}

/// 2026-11-27T08:53:39.262Z, when the recorded curl session was created.
pub const RECORDED_NOW: i64 = 1_795_769_619_262;

impl InProcess {
    pub fn new(config_json: Option<&str>) -> InProcess {
        InProcess::with_sql(SqliteSql::memory().unwrap(), config_json)
    }

    pub fn with_sql(sql: SqliteSql, config_json: Option<&str>) -> InProcess {
        InProcess::with_parts(
            Box::new(sql),
            Dialect::Sqlite,
            config_json,
            None,
            None,
            false,
        )
    }

    /// With outbound HTTP (a fake identity provider, say).
    pub fn with_http(
        config_json: Option<&str>,
        http: Box<dyn portcullis::net::HttpClient>,
    ) -> InProcess {
        InProcess::with_parts(
            Box::new(SqliteSql::memory().unwrap()),
            Dialect::Sqlite,
            config_json,
            None,
            Some(http),
            false,
        )
    }

    /// With the native in-memory KV as the host's KV (on the test clock, calls counted).
    pub fn with_kv(config_json: Option<&str>) -> InProcess {
        InProcess::with_database(
            Box::new(SqliteSql::memory().unwrap()),
            Dialect::Sqlite,
            config_json,
            true,
        )
    }

    /// On any database (migrated in its dialect), with or without the in-memory KV.
    pub fn with_database(
        sql: Box<dyn portcullis::Sql>,
        dialect: Dialect,
        config_json: Option<&str>,
        with_kv: bool,
    ) -> InProcess {
        InProcess::with_parts(sql, dialect, config_json, None, None, with_kv)
    }

    /// With an upstream for the static-site gate.
    pub fn with_upstream(
        config_json: Option<&str>,
        upstream: Box<dyn portcullis::net::Upstream>,
    ) -> InProcess {
        InProcess::with_parts(
            Box::new(SqliteSql::memory().unwrap()),
            Dialect::Sqlite,
            config_json,
            Some(upstream),
            None,
            false,
        )
    }

    /// With plugins registered through the public API (`Auth::with_plugin`).
    pub fn with_plugins(config_json: Option<&str>, add: impl FnOnce(Auth) -> Auth) -> InProcess {
        InProcess::build(
            Box::new(SqliteSql::memory().unwrap()),
            Dialect::Sqlite,
            config_json,
            None,
            None,
            false,
            add,
        )
    }

    fn with_parts(
        sql: Box<dyn portcullis::Sql>,
        dialect: Dialect,
        config_json: Option<&str>,
        upstream: Option<Box<dyn portcullis::net::Upstream>>,
        http: Option<Box<dyn portcullis::net::HttpClient>>,
        with_kv: bool,
    ) -> InProcess {
        InProcess::build(sql, dialect, config_json, upstream, http, with_kv, |auth| {
            auth
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        sql: Box<dyn portcullis::Sql>,
        dialect: Dialect,
        config_json: Option<&str>,
        upstream: Option<Box<dyn portcullis::net::Upstream>>,
        http: Option<Box<dyn portcullis::net::HttpClient>>,
        with_kv: bool,
        add: impl FnOnce(Auth) -> Auth,
    ) -> InProcess {
        let mut config = config_json
            .map(|j| Config::from_json(j).unwrap())
            .unwrap_or_default();
        if config_json.is_none_or(|j| !j.contains("baseURL")) {
            config.base_url = "http://127.0.0.1:3100".into();
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let sql = Rc::new(CountingSql::new(sql));
        let clock = TestClock(Rc::new(Cell::new(RECORDED_NOW)));
        let mail = CapturedMail::default();
        let kv = with_kv.then(|| {
            Rc::new(CountingKv::new(TestKv {
                inner: native::MemoryKv::default().handle(Box::new(clock.clone())),
                lose_deletes: Cell::new(false),
            }))
        });
        let host = Host {
            sql: Box::new(sql.clone()),
            kv: kv.clone().map(|kv| Box::new(kv) as Box<dyn portcullis::Kv>),
            clock: Box::new(clock.clone()),
            hasher: Box::new(InlineHasher(config.password.algorithm)),
            http: http.unwrap_or_else(|| Box::new(portcullis::net::NoHttp)),
            jws: Box::new(portcullis::crypto::jws::rust::RustJws),
            upstream,
            mailer: Box::new(mail.clone()),
            rate_limit_memory: Default::default(),
            log: |line| eprintln!("{line}"),
        };
        let auth = add(Auth::new(config, SECRET.to_owned(), host).unwrap());
        let migrations = auth.migrations(dialect).unwrap();
        runtime
            .block_on(portcullis::store::migrations::apply_list_with(
                &*sql,
                dialect,
                &migrations,
                &mut |_| {},
            ))
            .unwrap();
        sql.reset();
        InProcess {
            auth,
            sql,
            kv,
            clock,
            mail,
            runtime,
        }
    }

    /// Runs a future on the server's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Sends a request through `Auth::handle`.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Response {
        let mut builder = http::Request::builder()
            .method(method)
            .uri(format!("http://127.0.0.1:3100{path}"));
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder
            .body(Bytes::from(body.unwrap_or("").to_owned()))
            .unwrap();
        let response = self.runtime.block_on(self.auth.handle(request));
        Response {
            status: response.status().as_u16(),
            headers: response
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
                .collect(),
            body: String::from_utf8(response.body().to_vec()).unwrap(),
        }
    }

    pub fn post_json(&self, path: &str, cookie: Option<&str>, body: &str) -> Response {
        let mut headers = vec![
            ("content-type", "application/json"),
            ("origin", "http://127.0.0.1:3100"),
        ];
        if let Some(cookie) = cookie {
            headers.push(("cookie", cookie));
        }
        self.request("POST", &format!("/api/auth{path}"), &headers, Some(body))
    }

    pub fn get(&self, path: &str, cookie: Option<&str>) -> Response {
        let headers: Vec<(&str, &str)> = cookie.map(|c| vec![("cookie", c)]).unwrap_or_default();
        self.request("GET", &format!("/api/auth{path}"), &headers, None)
    }

    pub fn sign_up(&self, email: &str) -> Response {
        self.post_json(
            "/sign-up/email",
            None,
            &format!(r#"{{"name":"Test","email":"{email}","password":"password123"}}"#),
        )
    }

    /// Runs SQL directly (setup and inspection), not counted as the server's.
    pub fn sql_rows(
        &self,
        sql: &'static str,
        params: Vec<portcullis::Value>,
    ) -> Vec<Vec<portcullis::Value>> {
        use portcullis::Sql;
        let rows = self
            .runtime
            .block_on(self.sql.query(portcullis::Statement::new(sql, params)))
            .unwrap();
        self.sql.reset();
        rows
    }

    /// The KV (with [`InProcess::with_kv`]).
    pub fn kv(&self) -> &CountingKv<TestKv> {
        self.kv.as_deref().expect("InProcess::with_kv")
    }

    /// A KV value as text, read directly (not counted).
    pub fn kv_raw(&self, key: &str) -> Option<String> {
        use portcullis::Kv;
        let raw = self.runtime.block_on(self.kv().inner().get(key)).unwrap();
        raw.map(|v| String::from_utf8(v).unwrap())
    }

    /// Writes a KV value directly (not counted).
    pub fn kv_put_raw(&self, key: &str, value: &str) {
        use portcullis::Kv;
        let kv = self.kv().inner();
        self.runtime
            .block_on(kv.put(key, value.as_bytes(), 86_400))
            .unwrap();
    }

    /// Deletes a KV key directly (not counted).
    pub fn kv_delete_raw(&self, key: &str) {
        use portcullis::Kv;
        self.runtime
            .block_on(self.kv().inner().inner.delete(key))
            .unwrap();
    }

    /// KV calls since the last reset; then resets.
    pub fn take_kv_counts(&self) -> portcullis::store::KvCounts {
        let counts = self.kv().counts();
        self.kv().reset();
        counts
    }

    /// `(query calls, batch calls)` since the last reset; then resets.
    pub fn take_counts(&self) -> (u32, u32) {
        let counts = self.sql.counts();
        self.sql.reset();
        counts
    }
}
