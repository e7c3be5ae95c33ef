//! The floor for a cached `get-session`: a bare hyper server that does nothing but check one
//! HMAC-SHA256 signed cookie (`better-auth.session_token`, better-call's format: percent-encoded
//! `value.base64(HMAC-SHA256(secret, value))`) and answer a fixed JSON body.
//!
//! It runs the way the native host runs (one current-thread runtime per core, all accepting on one
//! socket, hyper http1), so `bench/run.sh` can load it exactly as it loads Portcullis's cached
//! get-session and report both figures.
//!
//!   BETTER_AUTH_SECRET=... PORT=3998 cargo run --release --example bare_hmac
//!
//! Any path answers: 200 `{"valid":true}` when the cookie verifies, 401 `{"valid":false}` otherwise.

use std::net::{SocketAddr, TcpListener};

use base64::Engine;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

const COOKIE: &str = "better-auth.session_token";

/// Finds the cookie in a `Cookie` header and checks its signature.
fn verify(secret: &[u8], header: &[u8]) -> bool {
    let Ok(header) = std::str::from_utf8(header) else {
        return false;
    };
    let Some(raw) = header.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == COOKIE).then_some(value)
    }) else {
        return false;
    };
    let Ok(decoded) = percent_encoding::percent_decode_str(raw).decode_utf8() else {
        return false;
    };
    let Some((value, signature)) = decoded.rsplit_once('.') else {
        return false;
    };
    if signature.len() != 44 || !signature.ends_with('=') {
        return false;
    }
    let Ok(signature) = base64::engine::general_purpose::STANDARD.decode(signature) else {
        return false;
    };
    let expected = portcullis::crypto::hmac_sha256(secret, value.as_bytes());
    portcullis::crypto::constant_time_eq(&expected, &signature)
}

async fn handle(
    secret: &'static [u8],
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, std::convert::Infallible> {
    let ok = request
        .headers()
        .get_all(hyper::header::COOKIE)
        .iter()
        .any(|h| verify(secret, h.as_bytes()));
    let body: &'static [u8] = if ok {
        br#"{"valid":true}"#
    } else {
        br#"{"valid":false}"#
    };
    let mut response = hyper::Response::new(Full::new(Bytes::from_static(body)));
    if !ok {
        *response.status_mut() = hyper::StatusCode::UNAUTHORIZED;
    }
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

fn serve_thread(secret: &'static [u8], listener: TcpListener) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::task::spawn_local(async move {
                let service = service_fn(move |request| handle(secret, request));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

fn main() {
    let secret = std::env::var("BETTER_AUTH_SECRET").expect("BETTER_AUTH_SECRET is required");
    let secret: &'static [u8] = Box::leak(secret.into_bytes().into_boxed_slice());
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3998);
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).expect("bind");
    listener
        .set_nonblocking(true)
        .expect("non-blocking listener");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    eprintln!("bare_hmac: serving http://127.0.0.1:{port} ({threads} threads)");
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let listener = listener.try_clone().expect("clone listener");
            std::thread::spawn(move || serve_thread(secret, listener))
        })
        .collect();
    for handle in handles {
        let _ = handle.join();
    }
}
