//! Outbound HTTP, which the host provides: mail APIs and webhooks now, OAuth token exchange and
//! JWKS later. The core builds requests and reads responses; the host sends them (hyper natively,
//! `fetch` on Workers, Spin's outbound HTTP on Spin).

use async_trait::async_trait;
use bytes::Bytes;

/// Sends one HTTP request and returns the whole response.
#[async_trait(?Send)]
pub trait HttpClient {
    /// Sends `request`; `Err` for a transport failure (no connection, TLS, timeout), never for
    /// an HTTP error status.
    async fn send(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, String>;
}

/// A client for hosts that have no outbound HTTP: every request fails.
pub struct NoHttp;

#[async_trait(?Send)]
impl HttpClient for NoHttp {
    async fn send(&self, _request: http::Request<Bytes>) -> Result<http::Response<Bytes>, String> {
        Err("outbound HTTP is not available on this host".to_owned())
    }
}
