//! Ed25519 (RFC 8032) for the jwt plugin's `EdDSA`: key generation, signing and verification,
//! with keys as the base64url `d` (seed) and `x` (public key) of an OKP JWK (RFC 8037).
//! ed25519-dalek natively and on Spin; WebCrypto (`crypto.subtle`, algorithm `Ed25519`) in the
//! Worker, which keeps curve arithmetic out of the Worker's wasm.

/// An Ed25519 key pair as JWK members, base64url without padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPair {
    /// The private seed (`d`).
    pub d: String,
    /// The public key (`x`).
    pub x: String,
}

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
mod imp {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
    use base64::Engine as _;
    use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

    pub async fn generate() -> Result<KeyPair, String> {
        let mut seed = [0u8; 32];
        crate::crypto::random_bytes(&mut seed);
        let key = SigningKey::from_bytes(&seed);
        Ok(KeyPair {
            d: B64URL.encode(seed),
            x: B64URL.encode(key.verifying_key().to_bytes()),
        })
    }

    pub async fn sign(pair: &KeyPair, message: &[u8]) -> Result<Vec<u8>, String> {
        let seed: [u8; 32] = B64URL
            .decode(&pair.d)
            .ok()
            .and_then(|d| d.try_into().ok())
            .ok_or("not an Ed25519 private key")?;
        Ok(SigningKey::from_bytes(&seed)
            .sign(message)
            .to_bytes()
            .to_vec())
    }

    pub async fn verify(x: &str, message: &[u8], signature: &[u8]) -> bool {
        let key: Option<[u8; 32]> = B64URL.decode(x).ok().and_then(|x| x.try_into().ok());
        let signature: Option<[u8; 64]> = signature.try_into().ok();
        match (
            key.and_then(|k| VerifyingKey::from_bytes(&k).ok()),
            signature,
        ) {
            (Some(key), Some(signature)) => key
                .verify(message, &Signature::from_bytes(&signature))
                .is_ok(),
            _ => false,
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod imp {
    use super::*;
    use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    fn err(e: JsValue) -> String {
        format!("WebCrypto: {e:?}")
    }

    fn subtle() -> Result<JsValue, String> {
        let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).map_err(err)?;
        Reflect::get(&crypto, &"subtle".into()).map_err(err)
    }

    async fn call(method: &str, args: &[JsValue]) -> Result<JsValue, String> {
        let subtle = subtle()?;
        let function: js_sys::Function = Reflect::get(&subtle, &method.into())
            .map_err(err)?
            .dyn_into()
            .map_err(err)?;
        let promise: Promise = function
            .apply(&subtle, &args.iter().collect::<Array>())
            .map_err(err)?
            .dyn_into()
            .map_err(err)?;
        JsFuture::from(promise).await.map_err(err)
    }

    fn object(pairs: &[(&str, JsValue)]) -> Result<JsValue, String> {
        let out = Object::new();
        for (key, value) in pairs {
            Reflect::set(&out, &(*key).into(), value).map_err(err)?;
        }
        Ok(out.into())
    }

    fn algorithm() -> Result<JsValue, String> {
        object(&[("name", "Ed25519".into())])
    }

    fn usages(usage: &str) -> JsValue {
        Array::of1(&usage.into()).into()
    }

    async fn import(jwk: JsValue, usage: &str) -> Result<JsValue, String> {
        call(
            "importKey",
            &["jwk".into(), jwk, algorithm()?, false.into(), usages(usage)],
        )
        .await
    }

    pub async fn generate() -> Result<KeyPair, String> {
        let usages: JsValue = Array::of2(&"sign".into(), &"verify".into()).into();
        let pair = call("generateKey", &[algorithm()?, true.into(), usages]).await?;
        let private = Reflect::get(&pair, &"privateKey".into()).map_err(err)?;
        let jwk = call("exportKey", &["jwk".into(), private]).await?;
        let member = |name: &str| {
            Reflect::get(&jwk, &name.into())
                .ok()
                .and_then(|v| v.as_string())
                .ok_or_else(|| format!("WebCrypto exported no {name}"))
        };
        Ok(KeyPair {
            d: member("d")?,
            x: member("x")?,
        })
    }

    pub async fn sign(pair: &KeyPair, message: &[u8]) -> Result<Vec<u8>, String> {
        let jwk = object(&[
            ("kty", "OKP".into()),
            ("crv", "Ed25519".into()),
            ("d", pair.d.as_str().into()),
            ("x", pair.x.as_str().into()),
        ])?;
        let key = import(jwk, "sign").await?;
        let data: JsValue = Uint8Array::from(message).into();
        let signature = call("sign", &[algorithm()?, key, data]).await?;
        Ok(Uint8Array::new(&signature).to_vec())
    }

    pub async fn verify(x: &str, message: &[u8], signature: &[u8]) -> bool {
        let attempt = async {
            let jwk = object(&[
                ("kty", "OKP".into()),
                ("crv", "Ed25519".into()),
                ("x", x.into()),
            ])?;
            let key = import(jwk, "verify").await?;
            let signature: JsValue = Uint8Array::from(signature).into();
            let data: JsValue = Uint8Array::from(message).into();
            let valid = call("verify", &[algorithm()?, key, signature, data]).await?;
            Ok::<bool, String>(valid.as_bool().unwrap_or(false))
        };
        attempt.await.unwrap_or(false)
    }
}

/// A new key pair from the host's CSPRNG.
pub async fn generate() -> Result<KeyPair, String> {
    imp::generate().await
}

/// The 64-byte signature of `message`.
pub async fn sign(pair: &KeyPair, message: &[u8]) -> Result<Vec<u8>, String> {
    imp::sign(pair, message).await
}

/// Whether `signature` is `x`'s signature of `message`.
pub async fn verify(x: &str, message: &[u8], signature: &[u8]) -> bool {
    imp::verify(x, message, signature).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
    use base64::Engine as _;

    #[tokio::test]
    async fn rfc_8032_test_1_signs_and_verifies() {
        // RFC 8032 §7.1, TEST 1 (empty message).
        let hex = |s: &str| {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect::<Vec<u8>>()
        };
        let pair = KeyPair {
            d: B64URL.encode(hex(
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            )),
            x: B64URL.encode(hex(
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            )),
        };
        let signature = sign(&pair, b"").await.unwrap();
        assert_eq!(signature, hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"));
        assert!(verify(&pair.x, b"", &signature).await);
        assert!(!verify(&pair.x, b"x", &signature).await);
        let fresh = generate().await.unwrap();
        let signed = sign(&fresh, b"hello").await.unwrap();
        assert!(verify(&fresh.x, b"hello", &signed).await);
    }
}
