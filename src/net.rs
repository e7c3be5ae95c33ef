//! Outbound HTTP, which the host provides: mail APIs and webhooks now, OAuth token exchange and
//! JWKS later. The core builds requests and reads responses; the host sends them.
//!
//! One client per host, each in a module built only for its target:
//! - native: [`native::HyperClient`], hyper 1 over tokio, TLS by rustls (`ring`, Mozilla's roots
//!   from `webpki-roots`), plain http too (local webhooks);
//! - Cloudflare Workers: [`worker::FetchClient`], the runtime's `fetch`;
//! - Fermyon Spin: [`spin::SpinClient`], Spin's outbound HTTP (`wasi:http`), limited to the
//!   `allowed_outbound_hosts` of `spin.toml`.
//!
//! Every client gives up after [`TIMEOUT`], reads at most [`MAX_RESPONSE_BYTES`] of a body, and
//! follows no redirect (a 3xx is the answer).

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

/// Sends one HTTP request and returns the whole response.
#[async_trait(?Send)]
pub trait HttpClient {
    /// Sends `request`; `Err` for a transport failure (no connection, TLS, timeout), never for
    /// an HTTP error status.
    async fn send(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, String>;
}

/// Where the static-site gate fetches the site from (`gate.origin` through the host's outbound
/// HTTP, or the Worker's `ASSETS` binding). The request's URI is absolute; redirects are not
/// followed (the browser sees them), and a body may be up to [`MAX_UPSTREAM_BYTES`].
#[async_trait(?Send)]
pub trait Upstream {
    /// Fetches `request`; `Err` for a transport failure, never for an HTTP error status.
    async fn fetch(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, String>;
}

/// How long the gate waits for its upstream.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest upstream body the gate passes on: 25 MiB, the size limit of one Workers static
/// asset. Responses are buffered whole (the core answers with `Response<Bytes>`).
pub const MAX_UPSTREAM_BYTES: usize = 25 << 20;

/// A client for hosts that have no outbound HTTP: every request fails.
pub struct NoHttp;

#[async_trait(?Send)]
impl HttpClient for NoHttp {
    async fn send(&self, _request: http::Request<Bytes>) -> Result<http::Response<Bytes>, String> {
        Err("outbound HTTP is not available on this host".to_owned())
    }
}

/// How long a request may take, connection to last byte.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Response bodies longer than this are an error (mail APIs answer with a few hundred bytes).
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// The first of two futures to finish; the other is dropped.
#[cfg(any(target_os = "wasi", test))]
async fn race<T>(
    a: impl std::future::Future<Output = T>,
    b: impl std::future::Future<Output = T>,
) -> T {
    let (mut a, mut b) = (std::pin::pin!(a), std::pin::pin!(b));
    std::future::poll_fn(|cx| {
        use std::task::Poll;
        if let Poll::Ready(value) = a.as_mut().poll(cx) {
            return Poll::Ready(value);
        }
        b.as_mut().poll(cx)
    })
    .await
}

/// The native client: hyper 1 (`hyper-util`'s pooled client, HTTP/1.1) over tokio, https through
/// rustls with the `ring` provider and the `webpki-roots` trust anchors, http for local hooks.
#[cfg(not(target_arch = "wasm32"))]
pub mod native {
    use std::time::Duration;

    use async_trait::async_trait;
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full, Limited};
    use hyper_rustls::HttpsConnector;
    use hyper_util::client::legacy::connect::HttpConnector;
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::{TokioExecutor, TokioTimer};

    use super::{HttpClient, MAX_RESPONSE_BYTES, TIMEOUT};

    /// Pooled HTTP/1.1 client. Build one per thread (per [`crate::Auth`]); it needs a tokio
    /// runtime with time and IO enabled when it sends, not when it is built. Connections are
    /// driven by tasks spawned on the runtime that sends, so the per-thread current-thread
    /// runtimes of the native server each keep their own pool.
    pub struct HyperClient {
        client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
        timeout: Duration,
        limit: usize,
    }

    impl HyperClient {
        /// A client with the default [`TIMEOUT`].
        pub fn new() -> Result<HyperClient, String> {
            HyperClient::with_timeout(TIMEOUT)
        }

        /// A client that gives up on a request after `timeout`.
        pub fn with_timeout(timeout: Duration) -> Result<HyperClient, String> {
            let mut http = HttpConnector::new();
            http.enforce_http(false);
            http.set_connect_timeout(Some(timeout));
            http.set_nodelay(true);
            let https = hyper_rustls::HttpsConnectorBuilder::new()
                .with_provider_and_webpki_roots(std::sync::Arc::new(
                    rustls::crypto::ring::default_provider(),
                ))
                .map_err(|e| format!("TLS setup: {e}"))?
                .https_or_http()
                .enable_http1()
                .wrap_connector(http);
            let client = Client::builder(TokioExecutor::new())
                .pool_timer(TokioTimer::new())
                .pool_idle_timeout(Duration::from_secs(30))
                .build(https);
            Ok(HyperClient {
                client,
                timeout,
                limit: MAX_RESPONSE_BYTES,
            })
        }

        /// The gate's upstream client: [`super::UPSTREAM_TIMEOUT`], bodies up to
        /// [`super::MAX_UPSTREAM_BYTES`].
        pub fn upstream() -> Result<HyperClient, String> {
            let mut client = HyperClient::with_timeout(super::UPSTREAM_TIMEOUT)?;
            client.limit = super::MAX_UPSTREAM_BYTES;
            Ok(client)
        }

        async fn exchange(
            &self,
            request: http::Request<Bytes>,
        ) -> Result<http::Response<Bytes>, String> {
            let exchange = async {
                let response = self
                    .client
                    .request(request.map(Full::new))
                    .await
                    .map_err(|e| describe(&e))?;
                let (parts, body) = response.into_parts();
                let body = Limited::new(body, self.limit)
                    .collect()
                    .await
                    .map_err(|e| format!("reading the response: {}", describe(&*e)))?
                    .to_bytes();
                Ok(http::Response::from_parts(parts, body))
            };
            match tokio::time::timeout(self.timeout, exchange).await {
                Ok(result) => result,
                Err(_) => Err(format!("no answer within {} s", self.timeout.as_secs_f32())),
            }
        }
    }

    /// An error with its causes (`client error (Connect): tcp connect error: Connection refused`).
    fn describe(error: &dyn std::error::Error) -> String {
        let mut text = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }

    #[async_trait(?Send)]
    impl HttpClient for HyperClient {
        async fn send(
            &self,
            request: http::Request<Bytes>,
        ) -> Result<http::Response<Bytes>, String> {
            self.exchange(request).await
        }
    }

    /// hyper never follows redirects, so the upstream's own 3xx reach the browser.
    #[async_trait(?Send)]
    impl super::Upstream for HyperClient {
        async fn fetch(
            &self,
            request: http::Request<Bytes>,
        ) -> Result<http::Response<Bytes>, String> {
            self.exchange(request).await
        }
    }
}

/// The Workers client: the runtime's `fetch`, with an `AbortSignal.timeout`.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub mod worker {
    use async_trait::async_trait;
    use bytes::Bytes;
    use wasm_bindgen::prelude::wasm_bindgen;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    use super::{HttpClient, MAX_RESPONSE_BYTES, TIMEOUT};

    /// `fetch` from inside the Worker. Workers count each call as a subrequest (50 per request
    /// on the free plan).
    pub struct FetchClient;

    /// A JavaScript exception as text: `name: message` for an `Error`, the string itself for a
    /// string, the debug form otherwise.
    pub(crate) fn js_text(e: &JsValue) -> String {
        match (e.dyn_ref::<js_sys::Error>(), e.as_string()) {
            (Some(error), _) => format!(
                "{}: {}",
                String::from(error.name()),
                String::from(error.message())
            ),
            (None, Some(text)) => text,
            (None, None) => format!("{e:?}"),
        }
    }

    /// The request as a `web_sys::RequestInit` (method, headers, body, `redirect: "manual"`, an
    /// optional abort signal), and its URL. Built directly rather than through
    /// `worker::RequestInit`, whose conversion also carries Cloudflare's `cf` options (image
    /// resizing and the rest, serialised through serde) that are never set here.
    fn init(
        request: http::Request<Bytes>,
        signal: Option<&web_sys::AbortSignal>,
    ) -> Result<(String, web_sys::RequestInit), String> {
        let (parts, body) = request.into_parts();
        let headers = web_sys::Headers::new().map_err(|_| "request headers".to_owned())?;
        for (name, value) in &parts.headers {
            let value = value
                .to_str()
                .map_err(|_| format!("header {name} is not text"))?;
            headers
                .append(name.as_str(), value)
                .map_err(|_| format!("header {name} refused"))?;
        }
        let init = web_sys::RequestInit::new();
        init.set_method(parts.method.as_str());
        init.set_headers(&headers);
        init.set_redirect(web_sys::RequestRedirect::Manual);
        init.set_signal(signal);
        if !body.is_empty() {
            init.set_body(&js_sys::Uint8Array::from(&body[..]));
        }
        Ok((parts.uri.to_string(), init))
    }

    /// The runtime's `fetch` with `init`.
    async fn fetch(url: &str, init: &web_sys::RequestInit) -> Result<web_sys::Response, String> {
        let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        let response = JsFuture::from(global.fetch_with_str_and_init(url, init))
            .await
            .map_err(|e| format!("fetch: {}", js_text(&e)))?;
        response
            .dyn_into()
            .map_err(|_| "fetch: not a Response".to_owned())
    }

    /// A `Headers` object as a `HeaderMap`. Names or values that are not valid in HTTP are left
    /// out (the runtime's `Headers` refuses them already).
    pub(crate) fn header_map(headers: &web_sys::Headers) -> http::HeaderMap {
        let mut out = http::HeaderMap::new();
        let Ok(Some(entries)) = js_sys::try_iter(headers) else {
            return out;
        };
        for pair in entries.flatten() {
            let pair = js_sys::Array::from(&pair);
            let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string())
            else {
                continue;
            };
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_bytes(value.as_bytes()),
            ) {
                out.append(name, value);
            }
        }
        out
    }

    /// A body (`arrayBuffer()` of a `Request` or `Response`) as bytes; `Ok(None)` when it is
    /// longer than `limit` bytes, found before it is copied into wasm memory.
    pub(crate) async fn body_bytes(
        buffer: Result<js_sys::Promise, JsValue>,
        limit: usize,
    ) -> Result<Option<Vec<u8>>, JsValue> {
        let buffer = JsFuture::from(buffer?).await?;
        let bytes = js_sys::Uint8Array::new(&buffer);
        Ok((bytes.length() as usize <= limit).then(|| bytes.to_vec()))
    }

    async fn read(
        response: web_sys::Response,
        limit: usize,
    ) -> Result<http::Response<Bytes>, String> {
        let status = http::StatusCode::from_u16(response.status())
            .map_err(|_| format!("response status {}", response.status()))?;
        let headers = header_map(&response.headers());
        let bytes = body_bytes(response.array_buffer(), limit)
            .await
            .map_err(|e| format!("reading the response: {}", js_text(&e)))?
            .ok_or_else(|| format!("response body over {limit} bytes"))?;
        let mut out = http::Response::new(Bytes::from(bytes));
        *out.status_mut() = status;
        *out.headers_mut() = headers;
        Ok(out)
    }

    fn timeout_signal(timeout: std::time::Duration) -> web_sys::AbortSignal {
        web_sys::AbortSignal::timeout_with_u32(timeout.as_millis() as u32)
    }

    #[async_trait(?Send)]
    impl HttpClient for FetchClient {
        async fn send(
            &self,
            request: http::Request<Bytes>,
        ) -> Result<http::Response<Bytes>, String> {
            // Redirects are not followed, as natively and on Spin (and as Better Auth refuses
            // them on OAuth fetches): a 307 from a token endpoint would otherwise resend the
            // client secret to wherever it points.
            let (url, init) = init(request, Some(&timeout_signal(TIMEOUT)))?;
            read(fetch(&url, &init).await?, MAX_RESPONSE_BYTES).await
        }
    }

    /// The gate's origin mode on Workers: `fetch` with `redirect: "manual"`, so the origin's
    /// redirects reach the browser.
    pub struct FetchUpstream;

    #[async_trait(?Send)]
    impl super::Upstream for FetchUpstream {
        async fn fetch(
            &self,
            request: http::Request<Bytes>,
        ) -> Result<http::Response<Bytes>, String> {
            let (url, init) = init(request, Some(&timeout_signal(super::UPSTREAM_TIMEOUT)))?;
            read(fetch(&url, &init).await?, super::MAX_UPSTREAM_BYTES).await
        }
    }

    #[wasm_bindgen]
    extern "C" {
        /// A service binding (Workers Static Assets' `ASSETS`): `fetch(request)`.
        pub type Fetcher;
        #[wasm_bindgen(method, catch, js_name = fetch)]
        fn fetch_request(
            this: &Fetcher,
            request: &web_sys::Request,
        ) -> Result<js_sys::Promise, JsValue>;
    }

    /// The Worker's static assets (`[assets] binding = "ASSETS"` in wrangler.toml): the binding
    /// answers from the path of the URL; no subrequest is counted.
    pub struct AssetsUpstream(pub Fetcher);

    #[async_trait(?Send)]
    impl super::Upstream for AssetsUpstream {
        async fn fetch(
            &self,
            request: http::Request<Bytes>,
        ) -> Result<http::Response<Bytes>, String> {
            let (url, init) = init(request, None)?;
            let request = web_sys::Request::new_with_str_and_init(&url, &init)
                .map_err(|_| format!("ASSETS: invalid request for {url}"))?;
            let promise = self
                .0
                .fetch_request(&request)
                .map_err(|e| format!("ASSETS: {}", js_text(&e)))?;
            let response: web_sys::Response = JsFuture::from(promise)
                .await
                .map_err(|e| format!("ASSETS: {}", js_text(&e)))?
                .dyn_into()
                .map_err(|_| "ASSETS: not a Response".to_owned())?;
            read(response, super::MAX_UPSTREAM_BYTES).await
        }
    }
}

/// The Spin client: Spin's outbound HTTP (`wasi:http` through spin-sdk 6). Spin refuses hosts
/// that `allowed_outbound_hosts` in `spin.toml` does not list.
#[cfg(target_os = "wasi")]
pub mod spin {
    use async_trait::async_trait;
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full, Limited};

    use super::{race, HttpClient, MAX_RESPONSE_BYTES, TIMEOUT};

    /// Spin's outbound HTTP.
    pub struct SpinClient;

    async fn exchange(
        request: http::Request<Bytes>,
        limit: usize,
        timeout: std::time::Duration,
    ) -> Result<http::Response<Bytes>, String> {
        let exchange = async {
            let response = spin_sdk::http::send(request.map(Full::new))
                .await
                .map_err(|e| format!("{e} (is the host in spin.toml's allowed_outbound_hosts?)"))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, limit)
                .collect()
                .await
                .map_err(|e| format!("reading the response: {e}"))?
                .to_bytes();
            Ok(http::Response::from_parts(parts, body))
        };
        let timeout = async {
            spin_sdk::time::sleep(timeout).await;
            Err(format!("no answer within {} s", timeout.as_secs()))
        };
        race(exchange, timeout).await
    }

    #[async_trait(?Send)]
    impl HttpClient for SpinClient {
        async fn send(
            &self,
            request: http::Request<Bytes>,
        ) -> Result<http::Response<Bytes>, String> {
            exchange(request, MAX_RESPONSE_BYTES, TIMEOUT).await
        }
    }

    /// `wasi:http` outgoing requests do not follow redirects, so the origin's reach the browser.
    #[async_trait(?Send)]
    impl super::Upstream for SpinClient {
        async fn fetch(
            &self,
            request: http::Request<Bytes>,
        ) -> Result<http::Response<Bytes>, String> {
            exchange(request, super::MAX_UPSTREAM_BYTES, super::UPSTREAM_TIMEOUT).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn race_takes_the_first_future_to_finish() {
        let slow = async {
            tokio::task::yield_now().await;
            tokio::task::yield_now().await;
            "slow"
        };
        assert_eq!(race(slow, async { "fast" }).await, "fast");
        assert_eq!(race(async { "first" }, async { "second" }).await, "first");
    }
}
