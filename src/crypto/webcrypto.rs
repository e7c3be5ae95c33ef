//! WebCrypto (`crypto.subtle`) from the Worker: the one seam through which public-key operations
//! reach the runtime, so no curve or RSA arithmetic is compiled into the Worker's wasm. The jwt
//! plugin's keys ([`super::signing`]) and id-token signatures ([`super::jws`]) both go through it.

use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A JavaScript exception as text: its message when it is a string, its debug form otherwise.
fn error(method: &str, e: JsValue) -> String {
    match e.as_string() {
        Some(text) => format!("WebCrypto {method}: {text}"),
        None => format!("WebCrypto {method}: {e:?}"),
    }
}

/// `await crypto.subtle[method](...args)`.
pub async fn subtle(method: &str, args: &[JsValue]) -> Result<JsValue, String> {
    let fail = |e| error(method, e);
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).map_err(fail)?;
    let subtle = Reflect::get(&crypto, &"subtle".into()).map_err(fail)?;
    let function: js_sys::Function = Reflect::get(&subtle, &method.into())
        .map_err(fail)?
        .dyn_into()
        .map_err(fail)?;
    let promise: Promise = function
        .apply(&subtle, &args.iter().collect::<Array>())
        .map_err(fail)?
        .dyn_into()
        .map_err(fail)?;
    JsFuture::from(promise).await.map_err(fail)
}

/// A plain object of string keys (an algorithm's parameters, a JWK).
pub fn object(pairs: &[(&str, JsValue)]) -> Result<JsValue, String> {
    let out = Object::new();
    for (key, value) in pairs {
        Reflect::set(&out, &(*key).into(), value).map_err(|e| error("argument", e))?;
    }
    Ok(out.into())
}

/// `importKey("jwk", jwk, algorithm, false, [usage])`: a non-extractable key for one usage.
pub async fn import_jwk(jwk: JsValue, algorithm: JsValue, usage: &str) -> Result<JsValue, String> {
    let usages: JsValue = Array::of1(&usage.into()).into();
    subtle(
        "importKey",
        &["jwk".into(), jwk, algorithm, false.into(), usages],
    )
    .await
}
