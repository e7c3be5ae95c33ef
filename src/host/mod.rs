//! Hosts: thin adapters between a platform and [`crate::Auth`], one file each, chosen by target.
//! `wasm32-unknown-unknown` → Cloudflare Workers, `wasm32-wasip2` → Fermyon Spin, anything else →
//! the native server.

#[cfg(not(target_arch = "wasm32"))]
pub mod native;

#[cfg(not(target_arch = "wasm32"))]
pub mod postgres;

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub mod worker;

#[cfg(target_os = "wasi")]
pub mod spin;
