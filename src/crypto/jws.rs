//! JWS signature verification with a provider's public key (a JWK), for OpenID Connect id
//! tokens: RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3) and ES256 (ECDSA P-256 with
//! SHA-256, §3.4; the signature is `r || s`).
//!
//! A host part, so the Worker keeps RSA and elliptic-curve code out of its wasm: there WebCrypto
//! (`crypto.subtle.importKey("jwk")` + `verify`) does it ([`worker::WebCryptoJws`]); natively and
//! on Spin the pure-Rust `rsa` and `p256` crates do ([`rust::RustJws`]).

use async_trait::async_trait;
use serde_json::Value;

/// Verifies one JWS signature.
#[async_trait(?Send)]
pub trait JwsVerifier {
    /// Whether `signature` is a valid `alg` (`RS256`, `ES256`) signature of `message` under the
    /// public key `jwk`. `Err` for a key or algorithm it cannot use.
    async fn verify(
        &self,
        alg: &str,
        jwk: &Value,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, String>;
}

/// The algorithms id tokens may use here.
pub const ALGORITHMS: &[&str] = &["RS256", "ES256"];

/// The Rust implementation (native and Spin).
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub mod rust {
    use async_trait::async_trait;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use serde_json::Value;

    use super::JwsVerifier;

    /// RS256 with `rsa`, ES256 with `p256`.
    pub struct RustJws;

    fn member(jwk: &Value, name: &str) -> Result<Vec<u8>, String> {
        let text = jwk
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("JWK has no {name}"))?;
        URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|_| format!("JWK {name} is not base64url"))
    }

    /// Verifies synchronously (the trait's implementation, and tests).
    pub fn verify(
        alg: &str,
        jwk: &Value,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, String> {
        match alg {
            "RS256" => {
                use rsa::pkcs1v15::{Signature, VerifyingKey};
                use rsa::signature::Verifier;
                let n = rsa::BigUint::from_bytes_be(&member(jwk, "n")?);
                let e = rsa::BigUint::from_bytes_be(&member(jwk, "e")?);
                let key = rsa::RsaPublicKey::new(n, e).map_err(|e| format!("RSA key: {e}"))?;
                let key = VerifyingKey::<sha2::Sha256>::new(key);
                let Ok(signature) = Signature::try_from(signature) else {
                    return Ok(false);
                };
                Ok(key.verify(message, &signature).is_ok())
            }
            "ES256" => {
                use p256::ecdsa::signature::Verifier;
                use p256::ecdsa::{Signature, VerifyingKey};
                if jwk.get("crv").and_then(Value::as_str) != Some("P-256") {
                    return Err("ES256 needs a P-256 key".to_owned());
                }
                let mut point = vec![4u8];
                point.extend(member(jwk, "x")?);
                point.extend(member(jwk, "y")?);
                let key = VerifyingKey::from_sec1_bytes(&point)
                    .map_err(|_| "EC key is not a P-256 point".to_owned())?;
                let Ok(signature) = Signature::from_slice(signature) else {
                    return Ok(false);
                };
                Ok(key.verify(message, &signature).is_ok())
            }
            other => Err(format!("unsupported algorithm {other}")),
        }
    }

    #[async_trait(?Send)]
    impl JwsVerifier for RustJws {
        async fn verify(
            &self,
            alg: &str,
            jwk: &Value,
            message: &[u8],
            signature: &[u8],
        ) -> Result<bool, String> {
            verify(alg, jwk, message, signature)
        }
    }
}

/// The Workers implementation: WebCrypto ([`super::webcrypto`]).
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub mod worker {
    use async_trait::async_trait;
    use js_sys::Uint8Array;
    use serde_json::Value;
    use wasm_bindgen::JsValue;

    use super::JwsVerifier;
    use crate::crypto::webcrypto::{import_jwk, object, subtle};

    /// `crypto.subtle.importKey("jwk", ...)` then `crypto.subtle.verify(...)`.
    pub struct WebCryptoJws;

    #[async_trait(?Send)]
    impl JwsVerifier for WebCryptoJws {
        async fn verify(
            &self,
            alg: &str,
            jwk: &Value,
            message: &[u8],
            signature: &[u8],
        ) -> Result<bool, String> {
            let (import, verify) = match alg {
                "RS256" => (
                    object(&[
                        ("name", "RSASSA-PKCS1-v1_5".into()),
                        ("hash", "SHA-256".into()),
                    ])?,
                    object(&[("name", "RSASSA-PKCS1-v1_5".into())])?,
                ),
                "ES256" => (
                    object(&[("name", "ECDSA".into()), ("namedCurve", "P-256".into())])?,
                    object(&[("name", "ECDSA".into()), ("hash", "SHA-256".into())])?,
                ),
                other => return Err(format!("unsupported algorithm {other}")),
            };
            // Only the public members: WebCrypto refuses `alg`/`use` that disagree with the import.
            let members: Vec<(&str, JsValue)> = ["kty", "n", "e", "crv", "x", "y"]
                .into_iter()
                .filter_map(|name| Some((name, jwk.get(name)?.as_str()?.into())))
                .collect();
            let key = import_jwk(object(&members)?, import, "verify").await?;
            let signature: JsValue = Uint8Array::from(signature).into();
            let data: JsValue = Uint8Array::from(message).into();
            let valid = subtle("verify", &[verify, key, signature, data]).await?;
            Ok(valid.as_bool() == Some(true))
        }
    }
}
