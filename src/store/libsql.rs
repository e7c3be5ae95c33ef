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

use super::{Row, Sql, SqlError, Statement, Value};
use crate::net::HttpClient;

/// A libSQL database over HTTP.
pub struct LibsqlSql {
    pipeline_url: String,
    token: Option<String>,
    http: Box<dyn HttpClient>,
}

// Responses, read with typed structs (and requests written as text) to keep the Worker small.
#[derive(Deserialize)]
struct PipelineBody {
    results: Vec<PipelineResult>,
}

#[derive(Deserialize)]
struct PipelineResult {
    #[serde(default)]
    response: Option<StreamResponse>,
    #[serde(default)]
    error: Option<HranaError>,
}

#[derive(Deserialize)]
struct StreamResponse {
    #[serde(default)]
    result: Option<ResultBody>,
}

#[derive(Deserialize)]
struct ResultBody {
    #[serde(default)]
    rows: Vec<Vec<HranaValue>>,
    #[serde(default)]
    step_results: Vec<Option<StepResult>>,
    #[serde(default)]
    step_errors: Vec<Option<HranaError>>,
}

#[derive(Deserialize)]
struct StepResult {
    rows: Vec<Vec<HranaValue>>,
}

#[derive(Deserialize)]
struct HranaValue {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    value: Option<serde_json::Value>,
    #[serde(default)]
    base64: Option<String>,
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
            return Err("a libSQL URL starts with libsql://, https:// or http://".to_owned());
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

    /// Sends one pipeline (`requests`, JSON objects joined by commas, then `close`) and returns
    /// each request's result.
    async fn pipeline(&self, requests: &str) -> Result<Vec<Option<ResultBody>>, SqlError> {
        let body = format!(r#"{{"baton":null,"requests":[{requests},{{"type":"close"}}]}}"#);
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
        let body: PipelineBody = serde_json::from_slice(response.body())
            .map_err(|e| SqlError::new(format!("libSQL answered something else: {e}")))?;
        body.results
            .into_iter()
            .map(|r| match (r.error, r.response) {
                (Some(error), _) => Err(error.into()),
                (None, response) => Ok(response.and_then(|r| r.result)),
            })
            .collect()
    }
}

/// `s` as a JSON string literal.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str(r#"{"type":"null"}"#),
        Value::Integer(n) => out.push_str(&format!(r#"{{"type":"integer","value":"{n}"}}"#)),
        // Rust's shortest round-trip form; JSON has no NaN or infinities, so those are null.
        Value::Real(n) if n.is_finite() => {
            out.push_str(&format!(r#"{{"type":"float","value":{n:?}}}"#))
        }
        Value::Real(_) => out.push_str(r#"{"type":"null"}"#),
        Value::Text(s) => {
            out.push_str(r#"{"type":"text","value":"#);
            push_json_str(out, s);
            out.push('}');
        }
        Value::Blob(b) => {
            let encoded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(b);
            out.push_str(&format!(r#"{{"type":"blob","base64":"{encoded}"}}"#));
        }
    }
}

/// A Hrana `Stmt`: SQL, positional arguments, rows wanted.
fn push_stmt(out: &mut String, sql: &str, params: &[Value]) {
    out.push_str(r#"{"sql":"#);
    push_json_str(out, sql);
    out.push_str(r#","args":["#);
    for (i, value) in params.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_value(out, value);
    }
    out.push_str(r#"],"want_rows":true}"#);
}

fn from_hrana(value: HranaValue) -> Result<Value, SqlError> {
    let bad = || SqlError::new(format!("libSQL sent an unknown {} value", value.kind));
    let scalar = value.value.as_ref();
    Ok(match value.kind.as_str() {
        "null" => Value::Null,
        "integer" => Value::Integer(
            scalar
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse().ok())
                .ok_or_else(bad)?,
        ),
        "float" => Value::Real(scalar.and_then(|v| v.as_f64()).ok_or_else(bad)?),
        "text" => Value::Text(scalar.and_then(|v| v.as_str()).ok_or_else(bad)?.to_owned()),
        "blob" => {
            let text = value.base64.as_deref().ok_or_else(bad)?;
            let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(text.trim_end_matches('='))
                .map_err(|_| bad())?;
            Value::Blob(bytes)
        }
        _ => return Err(bad()),
    })
}

fn rows(rows: Vec<Vec<HranaValue>>) -> Result<Vec<Row>, SqlError> {
    rows.into_iter()
        .map(|row| row.into_iter().map(from_hrana).collect())
        .collect()
}

#[async_trait(?Send)]
impl Sql for LibsqlSql {
    async fn query(&self, statement: Statement) -> Result<Vec<Row>, SqlError> {
        let mut request = String::from(r#"{"type":"execute","stmt":"#);
        push_stmt(&mut request, &statement.sql, &statement.params);
        request.push('}');
        let result = self.pipeline(&request).await?.into_iter().next().flatten();
        let result = result.ok_or_else(|| SqlError::new("libSQL sent no result"))?;
        rows(result.rows)
    }

    async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<Vec<Row>>, SqlError> {
        let n = statements.len();
        let mut request =
            String::from(r#"{"type":"batch","batch":{"steps":[{"stmt":{"sql":"BEGIN IMMEDIATE"}}"#);
        for (i, statement) in statements.iter().enumerate() {
            request.push_str(r#",{"stmt":"#);
            push_stmt(&mut request, &statement.sql, &statement.params);
            request.push_str(&format!(r#","condition":{{"type":"ok","step":{i}}}}}"#));
        }
        request.push_str(&format!(
            r#",{{"stmt":{{"sql":"COMMIT"}},"condition":{{"type":"ok","step":{n}}}}},{{"stmt":{{"sql":"ROLLBACK"}},"condition":{{"type":"not","cond":{{"type":"ok","step":{}}}}}}}]}}}}"#,
            n + 1
        ));
        let result = self.pipeline(&request).await?.into_iter().next().flatten();
        let result = result.ok_or_else(|| SqlError::new("libSQL sent no batch result"))?;
        if let Some(error) = result.step_errors.into_iter().take(n + 2).flatten().next() {
            return Err(error.into());
        }
        if result.step_results.len() != n + 3 {
            return Err(SqlError::new(
                "libSQL sent a batch result of the wrong length",
            ));
        }
        result
            .step_results
            .into_iter()
            .skip(1)
            .take(n)
            .map(|step| rows(step.map(|s| s.rows).unwrap_or_default()))
            .collect()
    }

    async fn execute_script(&self, script: &str) -> Result<(), SqlError> {
        // One stream: a failure leaves the transaction open, and `close` discards it.
        let mut request = String::from(r#"{"type":"sequence","sql":"#);
        push_json_str(&mut request, &format!("BEGIN;\n{script}\nCOMMIT;"));
        request.push('}');
        self.pipeline(&request).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_written_as_hrana_json() {
        let mut out = String::new();
        push_stmt(
            &mut out,
            "SELECT ?",
            &[
                Value::Null,
                Value::Integer(-3),
                Value::Real(0.5),
                Value::Text("a\"b\\c\n\u{1}é".into()),
                Value::Blob(vec![255]),
            ],
        );
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({"sql": "SELECT ?", "want_rows": true, "args": [
                {"type": "null"},
                {"type": "integer", "value": "-3"},
                {"type": "float", "value": 0.5},
                {"type": "text", "value": "a\"b\\c\n\u{1}é"},
                {"type": "blob", "base64": "/w"},
            ]})
        );
    }
}
