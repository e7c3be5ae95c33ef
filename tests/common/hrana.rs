//! A small libSQL server for tests: Hrana over HTTP (`POST /v2/pipeline`, JSON) as
//! `docs/HRANA_3_SPEC.md` of the libSQL repository documents it, over a SQLite file through
//! rusqlite. It serves the stream requests the driver sends (`execute`, `batch` with conditions,
//! `sequence`, `close`) and counts pipelines, so tests can count round trips.
//!
//! It stands in for sqld, which no package registry ships (see the README's libSQL section).
//! `examples/hrana_server.rs` runs it as a process (scripts/client-suite.sh `LIBSQL=1`).
//! Streams last one HTTP request: a pipeline must start with baton `null`, and the stream (its
//! connection, and any transaction left open) ends with the request.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::Engine;
use rusqlite::types::Value as SqlValue;
use serde_json::{json, Value};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A running test server.
pub struct Hrana {
    pub url: String,
    pub pipelines: Arc<AtomicUsize>,
    pub database: PathBuf,
}

impl Hrana {
    /// Starts on a free port over a fresh SQLite file; requires `Authorization: Bearer <token>`
    /// when `token` is given.
    pub fn start(token: Option<&str>) -> Hrana {
        let database = std::env::temp_dir().join(format!(
            "portcullis-hrana-{}-{}.db",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        Hrana::start_on(TcpListener::bind("127.0.0.1:0").unwrap(), database, token)
    }

    /// Serves on `listener` over the SQLite file `database`.
    pub fn start_on(listener: TcpListener, database: PathBuf, token: Option<&str>) -> Hrana {
        let addr: SocketAddr = listener.local_addr().unwrap();
        let pipelines = Arc::new(AtomicUsize::new(0));
        let (db, count) = (database.clone(), pipelines.clone());
        let token = token.map(str::to_owned);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (db, count, token) = (db.clone(), count.clone(), token.clone());
                std::thread::spawn(move || serve(stream, &db, &count, token.as_deref()));
            }
        });
        Hrana {
            url: format!("http://{addr}"),
            pipelines,
            database,
        }
    }

    /// Pipelines served since the last call.
    pub fn take_pipelines(&self) -> usize {
        self.pipelines.swap(0, Ordering::SeqCst)
    }
}

fn serve(stream: TcpStream, db: &PathBuf, count: &AtomicUsize, token: Option<&str>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or("").to_owned(),
            parts.next().unwrap_or("").to_owned(),
        );
        let (mut length, mut authorization, mut close) = (0usize, None, false);
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').unwrap_or((header, ""));
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "authorization" => authorization = Some(value.trim().to_owned()),
                "connection" => close = value.trim().eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let expected = token.map(|t| format!("Bearer {t}"));
        let (status, answer) = if method == "GET" && path == "/v2" {
            // The version check answers without a token.
            (200, json!({}))
        } else if expected.is_some() && authorization != expected {
            (401, json!({"error": "Unauthorized"}))
        } else if method == "POST" && path == "/v2/pipeline" {
            count.fetch_add(1, Ordering::SeqCst);
            match serde_json::from_slice::<Value>(&body) {
                Ok(request) => pipeline(db, &request),
                Err(e) => (400, json!({"error": e.to_string()})),
            }
        } else {
            (404, json!({"error": "not found"}))
        };
        let text = answer.to_string();
        let reason = if status == 200 { "OK" } else { "Error" };
        let mut out = stream.try_clone().unwrap();
        let _ = write!(
            out,
            "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{text}",
            text.len()
        );
        if close {
            return;
        }
    }
}

fn pipeline(db: &PathBuf, request: &Value) -> (u16, Value) {
    if !request["baton"].is_null() {
        return (
            400,
            json!({"error": "this test server keeps no streams between requests"}),
        );
    }
    let connection = rusqlite::Connection::open(db).unwrap();
    connection
        .execute_batch("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")
        .unwrap();
    let results: Vec<Value> = request["requests"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|r| match stream_request(&connection, r) {
            Ok(response) => json!({"type": "ok", "response": response}),
            Err(message) => json!({"type": "error", "error": {"message": message}}),
        })
        .collect();
    (
        200,
        json!({"baton": null, "base_url": null, "results": results}),
    )
}

fn stream_request(connection: &rusqlite::Connection, request: &Value) -> Result<Value, String> {
    match request["type"].as_str() {
        Some("execute") => {
            Ok(json!({"type": "execute", "result": execute(connection, &request["stmt"])?}))
        }
        Some("batch") => {
            let steps = request["batch"]["steps"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut outcomes: Vec<Option<bool>> = Vec::new();
            let (mut results, mut errors) = (Vec::new(), Vec::new());
            for step in &steps {
                let run = step["condition"].is_null()
                    || condition(&step["condition"], &outcomes, connection);
                if !run {
                    outcomes.push(None);
                    results.push(Value::Null);
                    errors.push(Value::Null);
                    continue;
                }
                match execute(connection, &step["stmt"]) {
                    Ok(result) => {
                        outcomes.push(Some(true));
                        results.push(result);
                        errors.push(Value::Null);
                    }
                    Err(message) => {
                        outcomes.push(Some(false));
                        results.push(Value::Null);
                        errors.push(json!({"message": message}));
                    }
                }
            }
            Ok(json!({"type": "batch", "result": {"step_results": results, "step_errors": errors}}))
        }
        Some("sequence") => {
            let sql = request["sql"].as_str().ok_or("sequence without sql")?;
            connection
                .execute_batch(sql)
                .map_err(|e| format!("SQLite error: {e}"))?;
            Ok(json!({"type": "sequence"}))
        }
        Some("close") => Ok(json!({"type": "close"})),
        other => Err(format!("unsupported request {other:?}")),
    }
}

fn condition(cond: &Value, outcomes: &[Option<bool>], connection: &rusqlite::Connection) -> bool {
    let step = |c: &Value| {
        outcomes
            .get(c["step"].as_u64().unwrap_or(u64::MAX) as usize)
            .copied()
            .flatten()
    };
    match cond["type"].as_str() {
        Some("ok") => step(cond) == Some(true),
        Some("error") => step(cond) == Some(false),
        Some("not") => !condition(&cond["cond"], outcomes, connection),
        Some("and") => cond["conds"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|c| condition(c, outcomes, connection)),
        Some("or") => cond["conds"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| condition(c, outcomes, connection)),
        Some("is_autocommit") => connection.is_autocommit(),
        _ => false,
    }
}

fn to_sql(value: &Value) -> Result<SqlValue, String> {
    Ok(match value["type"].as_str() {
        Some("null") => SqlValue::Null,
        Some("integer") => SqlValue::Integer(
            value["value"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or("bad integer")?,
        ),
        Some("float") => SqlValue::Real(value["value"].as_f64().ok_or("bad float")?),
        Some("text") => SqlValue::Text(value["value"].as_str().ok_or("bad text")?.to_owned()),
        Some("blob") => SqlValue::Blob(
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(
                    value["base64"]
                        .as_str()
                        .ok_or("bad blob")?
                        .trim_end_matches('='),
                )
                .map_err(|e| e.to_string())?,
        ),
        other => return Err(format!("unknown value type {other:?}")),
    })
}

fn from_sql(value: rusqlite::types::ValueRef) -> Value {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => json!({"type": "null"}),
        ValueRef::Integer(n) => json!({"type": "integer", "value": n.to_string()}),
        ValueRef::Real(n) => json!({"type": "float", "value": n}),
        ValueRef::Text(t) => json!({"type": "text", "value": String::from_utf8_lossy(t)}),
        ValueRef::Blob(b) => {
            json!({"type": "blob", "base64": base64::engine::general_purpose::STANDARD_NO_PAD.encode(b)})
        }
    }
}

fn execute(connection: &rusqlite::Connection, stmt: &Value) -> Result<Value, String> {
    let sql = stmt["sql"].as_str().ok_or("statement without sql")?;
    let args = stmt["args"]
        .as_array()
        .map(|a| a.iter().map(to_sql).collect::<Result<Vec<_>, _>>())
        .transpose()?
        .unwrap_or_default();
    let mut prepared = connection
        .prepare(sql)
        .map_err(|e| format!("SQLite error: {e}"))?;
    let cols: Vec<Value> = prepared
        .column_names()
        .iter()
        .map(|n| json!({"name": n, "decltype": null}))
        .collect();
    let width = cols.len();
    let mut rows = prepared
        .query(rusqlite::params_from_iter(args))
        .map_err(|e| format!("SQLite error: {e}"))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| format!("SQLite error: {e}"))? {
        out.push(Value::Array(
            (0..width)
                .map(|i| from_sql(row.get_ref(i).unwrap()))
                .collect(),
        ));
    }
    drop(rows);
    let want_rows = stmt["want_rows"].as_bool().unwrap_or(true);
    Ok(json!({
        "cols": cols,
        "rows": if want_rows { out } else { Vec::new() },
        "affected_row_count": connection.changes(),
        "last_insert_rowid": connection.last_insert_rowid().to_string(),
        "rows_read": 0,
        "rows_written": 0,
        "query_duration_ms": 0.0,
    }))
}
