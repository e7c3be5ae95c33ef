//! Core endpoints, one module per family. Each endpoint is an async function from the request
//! context (and its parsed body) to a [`Reply`]; routing, body parsing and origin checks happen
//! before, in `http`.

use serde::Serialize;

use crate::error::ApiError;

pub mod email_password;
pub mod misc;
pub mod sessions;

/// What an endpoint answers (besides the cookies and headers it left in the context).
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// 200 with a JSON body.
    Json(String),
    /// 200 with an HTML page.
    Html(String),
    /// 302 to a location, empty body.
    Redirect(String),
}

/// 200 with `value` as JSON.
pub fn json<T: Serialize>(value: &T) -> Result<Reply, ApiError> {
    serde_json::to_string(value)
        .map(Reply::Json)
        .map_err(|e| ApiError::Internal(e.to_string()))
}
