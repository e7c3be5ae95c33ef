//! Hosts: thin adapters between a platform and [`crate::Auth`], one file each, chosen by target.
//! `wasm32-unknown-unknown` → Cloudflare Workers, `wasm32-wasip2` → Fermyon Spin, anything else →
//! the native server.

/// Request bodies larger than this are refused with 413 by every host, before they reach the core.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The body of that 413, in Better Auth's error shape.
pub const TOO_LARGE_BODY: &[u8] =
    br#"{"message":"Request body is too large","code":"PAYLOAD_TOO_LARGE"}"#;

#[cfg(not(target_arch = "wasm32"))]
pub mod native;

#[cfg(not(target_arch = "wasm32"))]
pub mod postgres;

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub mod worker;

#[cfg(target_os = "wasi")]
pub mod spin;
