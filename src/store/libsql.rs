//! libSQL (sqld, Turso) over HTTP: Hrana's pipeline protocol (`POST /v2/pipeline`, JSON), through
//! the host's outbound HTTP, so the same driver runs in the Worker, in Spin and natively.
//!
//! Every call is one HTTP request, i.e. one round trip: a pipeline that opens a stream (baton
//! `null`), runs the statement or batch, and closes the stream. [`Sql::batch`] is one Hrana batch
//! wrapped in `BEGIN` … `COMMIT` with step conditions (each statement runs only if the one before
//! succeeded; `ROLLBACK` runs unless `COMMIT` did), so it is all or nothing, as on D1.
//!
//! URLs: `libsql://host` (taken as `https://host`), `https://…` or `http://…` (a local sqld). A
//! token (`authToken=` in the URL's query, or given separately) goes in `Authorization: Bearer`.

use async_trait::async_trait;
use base64::Engine;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value as Json};

use super::{Row, Sql, SqlError, Statement, Value};
use crate::net::HttpClient;

/// A libSQL database over HTTP.
pub struct LibsqlSql {
    pipeline_url: String,
    token: Option<String>,
    http: Box<dyn HttpClient>,
}

impl LibsqlSql {
    /// A driver for the database at `url` (`libsql://`, `https://` or `http://`); `token` is
    /// used when the URL carries no `authToken`.
    pub fn new(
        url: &str,
        token: Option<String>,
        http: Box<dyn HttpClient>,
    ) -> Result<LibsqlSql, String> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let base = if let Some(rest) = base.strip_prefix("libsql://") {
            format!("https://{rest}")
        } else if base.starts_with("https://") || base.starts_with("http://") {
            base.to_owned()
        } else {
            return Err(format!(
                "a libSQL URL starts with libsql://, https:// or http:// (got {:?})",
                crate::urls::origin(base).unwrap_or_else(|| "something else".to_owned())
            ));
        };
        let from_query = form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "authToken")
            .map(|(_, v)| v.into_owned());
        Ok(LibsqlSql {
            pipeline_url: format!("{}/v2/pipeline", base.trim_end_matches('/')),
            token: from_query.or(token).filter(|t| !t.is_empty()),
            http,
        })
    }

    /// Sends one pipeline (requests, then `close`) and returns each request's response.
    async fn pipeline(&self, mut requests: Vec<Json>) -> Result<Vec<Json>, SqlError> {
        requests.push(json!({"type": "close"}));
        let body = json!({"baton": null, "requests": requests}).to_string();
        let mut request = http::Request::post(&self.pipeline_url)
            .header(http::header::CONTENT_TYPE, "application/json");
        if let Some(token) = &self.token {
            request = request.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request
            .body(Bytes::from(body))
            .map_err(|e| SqlError::new(format!("libSQL request: {e}")))?;
        let response = self
            .http
            .send(request)
            .await
            .map_err(|e| SqlError::new(format!("libSQL: {e}")))?;
        if !response.status().is_success() {
            let text = String::from_utf8_lossy(response.body());
            return Err(SqlError::new(format!(
                "libSQL answered {}: {}",
                response.status(),
                text.chars().take(300).collect::<String>()
            )));
        }
        #[derive(Deserialize)]
        struct Body {
            results: Vec<StreamResult>,
        }
        #[derive(Deserialize)]
        #[serde(tag = "type", rename_all = "lowercase")]
        enum StreamResult {
            Ok { response: Json },
            Error { error: HranaError },
        }
        let body: Body = serde_json::from_slice(response.body())
            .map_err(|e| SqlError::new(format!("libSQL answered something else: {e}")))?;
        let mut out = Vec::with_capacity(body.results.len());
        for result in body.results {
            match result {
                StreamResult::Ok { response } => out.push(response),
                StreamResult::Error { error } => return Err(error.into()),
            }
        }
        Ok(out)
    }
}

#[derive(Debug, Deserialize)]
struct HranaError {
    message: String,
}

impl From<HranaError> for SqlError {
    fn from(e: HranaError) -> SqlError {
        SqlError::new(e.message)
    }
}

fn to_hrana(value: &Value) -> Json {
    match value {
        Value::Null => json!({"type": "null"}),
        Value::Integer(n) => json!({"type": "integer", "value": n.to_string()}),
        Value::Real(n) => json!({"type": "float", "value": n}),
        Value::Text(s) => json!({"type": "text", "value": s}),
        Value::Blob(b) => json!({
            "type": "blob",
            "base64": base64::engine::general_purpose::STANDARD_NO_PAD.encode(b)
        }),
    }
}

fn from_hrana(value: &Json) -> Result<Value, SqlError> {
    let bad = || SqlError::new(format!("libSQL sent an unknown value: {value}"));
    Ok(match value["type"].as_str().ok_or_else(bad)? {
        "null" => Value::Null,
        "integer" => Value::Integer(
            value["value"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or_else(bad)?,
        ),
        "float" => Value::Real(value["value"].as_f64().ok_or_else(bad)?),
        "text" => Value::Text(value["value"].as_str().ok_or_else(bad)?.to_owned()),
        "blob" => {
            let text = value["base64"].as_str().ok_or_else(bad)?;
            let engine = base64::engine::GeneralPurpose::new(
                &base64::alphabet::STANDARD,
                base64::engine::GeneralPurposeConfig::new()
                    .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
            );
            Value::Blob(engine.decode(text).map_err(|_| bad())?)
        }
        _ => return Err(bad()),
    })
}

fn stmt(statement: &Statement) -> Json {
    json!({
        "sql": statement.sql,
        "args": statement.params.iter().map(to_hrana).collect::<Vec<_>>(),
        "want_rows": true,
    })
}

fn rows(result: &Json) -> Result<Vec<Row>, SqlError> {
    let Some(rows) = result["rows"].as_array() else {
        return Err(SqlError::new("libSQL sent a result without rows"));
    };
    rows.iter()
        .map(|row| {
            row.as_array()
                .ok_or_else(|| SqlError::new("libSQL sent a row that is not an array"))?
                .iter()
                .map(from_hrana)
                .collect()
        })
        .collect()
}

#[async_trait(?Send)]
impl Sql for LibsqlSql {
    async fn query(&self, statement: Statement) -> Result<Vec<Row>, SqlError> {
        let responses = self
            .pipeline(vec![json!({"type": "execute", "stmt": stmt(&statement)})])
            .await?;
        rows(&responses[0]["result"])
    }

    async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<Vec<Row>>, SqlError> {
        let n = statements.len();
        let mut steps = vec![json!({"stmt": {"sql": "BEGIN IMMEDIATE"}})];
        for (i, statement) in statements.iter().enumerate() {
            steps.push(json!({
                "stmt": stmt(statement),
                "condition": {"type": "ok", "step": i},
            }));
        }
        steps.push(json!({"stmt": {"sql": "COMMIT"}, "condition": {"type": "ok", "step": n}}));
        steps.push(json!({
            "stmt": {"sql": "ROLLBACK"},
            "condition": {"type": "not", "cond": {"type": "ok", "step": n + 1}},
        }));
        let responses = self
            .pipeline(vec![json!({"type": "batch", "batch": {"steps": steps}})])
            .await?;
        let result = &responses[0]["result"];
        let errors = result["step_errors"].as_array();
        if let Some(error) = errors
            .into_iter()
            .flatten()
            .take(n + 2)
            .find(|e| !e.is_null())
        {
            let message = error["message"].as_str().unwrap_or("batch step failed");
            return Err(SqlError::new(message));
        }
        let results = result["step_results"]
            .as_array()
            .filter(|r| r.len() == n + 3)
            .ok_or_else(|| SqlError::new("libSQL sent a batch result of the wrong length"))?;
        results[1..=n].iter().map(rows).collect()
    }

    async fn execute_script(&self, script: &str) -> Result<(), SqlError> {
        // One stream: a failure leaves the transaction open, and `close` discards it.
        let sql = format!("BEGIN;\n{script}\nCOMMIT;");
        self.pipeline(vec![json!({"type": "sequence", "sql": sql})])
            .await
            .map(|_| ())
    }
}
