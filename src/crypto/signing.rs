//! Signatures for the jwt plugin: `EdDSA` (Ed25519, RFC 8032) and `ES256` (ECDSA P-256 with
//! SHA-256, signatures as `r ‖ s`, RFC 7518 §3.4): key generation, signing and verification, with
//! keys as the base64url members of a JWK (RFC 8037 OKP `d`/`x`, RFC 7518 EC `d`/`x`/`y`).
//! ed25519-dalek and p256 natively and on Spin; WebCrypto (`crypto.subtle`) in the Worker, which
//! keeps curve arithmetic out of the Worker's wasm.

/// A JWS algorithm the jwt plugin signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    /// Ed25519.
    EdDSA,
    /// ECDSA P-256 with SHA-256.
    ES256,
}

impl Alg {
    /// The JWS `alg` name.
    pub fn name(self) -> &'static str {
        match self {
            Alg::EdDSA => "EdDSA",
            Alg::ES256 => "ES256",
        }
    }

    /// The algorithm a JWS `alg` names, if supported.
    pub fn from_name(name: &str) -> Option<Alg> {
        match name {
            "EdDSA" => Some(Alg::EdDSA),
            "ES256" => Some(Alg::ES256),
            _ => None,
        }
    }

    /// The JWK `crv`.
    pub fn curve(self) -> &'static str {
        match self {
            Alg::EdDSA => "Ed25519",
            Alg::ES256 => "P-256",
        }
    }
}

/// A key pair as JWK members, base64url without padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPair {
    /// Its algorithm.
    pub alg: Alg,
    /// The private key (`d`).
    pub d: String,
    /// The public key (`x`; for P-256 the x coordinate).
    pub x: String,
    /// For P-256, the y coordinate.
    pub y: Option<String>,
}

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
mod imp {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
    use base64::Engine as _;

    fn bytes32(text: &str) -> Option<[u8; 32]> {
        B64URL.decode(text).ok()?.try_into().ok()
    }

    pub async fn generate(alg: Alg) -> Result<KeyPair, String> {
        loop {
            let mut secret = [0u8; 32];
            crate::crypto::random_bytes(&mut secret);
            match alg {
                Alg::EdDSA => {
                    let key = ed25519_dalek::SigningKey::from_bytes(&secret);
                    return Ok(KeyPair {
                        alg,
                        d: B64URL.encode(secret),
                        x: B64URL.encode(key.verifying_key().to_bytes()),
                        y: None,
                    });
                }
                Alg::ES256 => {
                    // A random 32 bytes is a valid scalar but for a negligible share; draw again.
                    let Ok(key) = p256::ecdsa::SigningKey::from_bytes(&secret.into()) else {
                        continue;
                    };
                    let point = key.verifying_key().to_encoded_point(false);
                    let (Some(x), Some(y)) = (point.x(), point.y()) else {
                        return Err("P-256 public key has no coordinates".into());
                    };
                    return Ok(KeyPair {
                        alg,
                        d: B64URL.encode(secret),
                        x: B64URL.encode(x),
                        y: Some(B64URL.encode(y)),
                    });
                }
            }
        }
    }

    pub async fn sign(pair: &KeyPair, message: &[u8]) -> Result<Vec<u8>, String> {
        let secret = bytes32(&pair.d).ok_or("not a private key")?;
        match pair.alg {
            Alg::EdDSA => {
                use ed25519_dalek::Signer;
                let key = ed25519_dalek::SigningKey::from_bytes(&secret);
                Ok(key.sign(message).to_bytes().to_vec())
            }
            Alg::ES256 => {
                use p256::ecdsa::signature::Signer;
                let key = p256::ecdsa::SigningKey::from_bytes(&secret.into())
                    .map_err(|_| "not a P-256 private key")?;
                let signature: p256::ecdsa::Signature = key.sign(message);
                Ok(signature.to_bytes().to_vec())
            }
        }
    }

    pub async fn verify(
        alg: Alg,
        x: &str,
        y: Option<&str>,
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        match alg {
            Alg::EdDSA => {
                use ed25519_dalek::Verifier;
                let key = bytes32(x).and_then(|k| ed25519_dalek::VerifyingKey::from_bytes(&k).ok());
                let signature: Option<[u8; 64]> = signature.try_into().ok();
                match (key, signature) {
                    (Some(key), Some(s)) => key
                        .verify(message, &ed25519_dalek::Signature::from_bytes(&s))
                        .is_ok(),
                    _ => false,
                }
            }
            Alg::ES256 => {
                use p256::ecdsa::signature::Verifier;
                let (Some(x), Some(y)) = (bytes32(x), y.and_then(bytes32)) else {
                    return false;
                };
                let point =
                    p256::EncodedPoint::from_affine_coordinates(&x.into(), &y.into(), false);
                let key = p256::ecdsa::VerifyingKey::from_encoded_point(&point);
                let signature = p256::ecdsa::Signature::from_slice(signature);
                match (key, signature) {
                    (Ok(key), Ok(signature)) => key.verify(message, &signature).is_ok(),
                    _ => false,
                }
            }
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod imp {
    use super::*;
    use crate::crypto::webcrypto::{import_jwk, object, subtle};
    use js_sys::{Array, Reflect, Uint8Array};
    use wasm_bindgen::JsValue;

    /// The import/generate parameters of an algorithm.
    fn key_algorithm(alg: Alg) -> Result<JsValue, String> {
        match alg {
            Alg::EdDSA => object(&[("name", "Ed25519".into())]),
            Alg::ES256 => object(&[("name", "ECDSA".into()), ("namedCurve", "P-256".into())]),
        }
    }

    /// The sign/verify parameters of an algorithm.
    fn sign_algorithm(alg: Alg) -> Result<JsValue, String> {
        match alg {
            Alg::EdDSA => object(&[("name", "Ed25519".into())]),
            Alg::ES256 => object(&[("name", "ECDSA".into()), ("hash", "SHA-256".into())]),
        }
    }

    fn jwk(alg: Alg, d: Option<&str>, x: &str, y: Option<&str>) -> Result<JsValue, String> {
        let kty = if alg == Alg::EdDSA { "OKP" } else { "EC" };
        let mut members = vec![
            ("kty", JsValue::from(kty)),
            ("crv", alg.curve().into()),
            ("x", x.into()),
        ];
        if let Some(y) = y {
            members.push(("y", y.into()));
        }
        if let Some(d) = d {
            members.push(("d", d.into()));
        }
        object(&members)
    }

    pub async fn generate(alg: Alg) -> Result<KeyPair, String> {
        let usages: JsValue = Array::of2(&"sign".into(), &"verify".into()).into();
        let pair = subtle("generateKey", &[key_algorithm(alg)?, true.into(), usages]).await?;
        let private = Reflect::get(&pair, &"privateKey".into())
            .map_err(|_| "WebCrypto generateKey: no privateKey".to_owned())?;
        let jwk = subtle("exportKey", &["jwk".into(), private]).await?;
        let member = |name: &str| {
            Reflect::get(&jwk, &name.into())
                .ok()
                .and_then(|v| v.as_string())
                .ok_or_else(|| format!("WebCrypto exported no {name}"))
        };
        Ok(KeyPair {
            alg,
            d: member("d")?,
            x: member("x")?,
            y: (alg == Alg::ES256).then(|| member("y")).transpose()?,
        })
    }

    pub async fn sign(pair: &KeyPair, message: &[u8]) -> Result<Vec<u8>, String> {
        let jwk = jwk(pair.alg, Some(&pair.d), &pair.x, pair.y.as_deref())?;
        let key = import_jwk(jwk, key_algorithm(pair.alg)?, "sign").await?;
        let data: JsValue = Uint8Array::from(message).into();
        let signature = subtle("sign", &[sign_algorithm(pair.alg)?, key, data]).await?;
        Ok(Uint8Array::new(&signature).to_vec())
    }

    pub async fn verify(
        alg: Alg,
        x: &str,
        y: Option<&str>,
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        let attempt = async {
            let key = import_jwk(jwk(alg, None, x, y)?, key_algorithm(alg)?, "verify").await?;
            let signature: JsValue = Uint8Array::from(signature).into();
            let data: JsValue = Uint8Array::from(message).into();
            let valid = subtle("verify", &[sign_algorithm(alg)?, key, signature, data]).await?;
            Ok::<bool, String>(valid.as_bool().unwrap_or(false))
        };
        attempt.await.unwrap_or(false)
    }
}

/// A new key pair from the host's CSPRNG.
pub async fn generate(alg: Alg) -> Result<KeyPair, String> {
    imp::generate(alg).await
}

/// The signature of `message` (64 bytes for both algorithms).
pub async fn sign(pair: &KeyPair, message: &[u8]) -> Result<Vec<u8>, String> {
    imp::sign(pair, message).await
}

/// Whether `signature` is the public key's (`x`, and `y` for P-256) signature of `message`.
pub async fn verify(alg: Alg, x: &str, y: Option<&str>, message: &[u8], signature: &[u8]) -> bool {
    imp::verify(alg, x, y, message, signature).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
    use base64::Engine as _;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[tokio::test]
    async fn rfc_8032_test_1_signs_and_verifies() {
        // RFC 8032 §7.1, TEST 1 (empty message).
        let pair = KeyPair {
            alg: Alg::EdDSA,
            d: B64URL.encode(hex(
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            )),
            x: B64URL.encode(hex(
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            )),
            y: None,
        };
        let signature = sign(&pair, b"").await.unwrap();
        assert_eq!(signature, hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"));
        assert!(verify(Alg::EdDSA, &pair.x, None, b"", &signature).await);
        assert!(!verify(Alg::EdDSA, &pair.x, None, b"x", &signature).await);
    }

    #[tokio::test]
    async fn fresh_keys_of_both_algorithms_sign_and_verify() {
        for alg in [Alg::EdDSA, Alg::ES256] {
            let pair = generate(alg).await.unwrap();
            assert_eq!(pair.y.is_some(), alg == Alg::ES256);
            let signed = sign(&pair, b"hello").await.unwrap();
            assert_eq!(signed.len(), 64);
            assert!(verify(alg, &pair.x, pair.y.as_deref(), b"hello", &signed).await);
            assert!(!verify(alg, &pair.x, pair.y.as_deref(), b"hellp", &signed).await);
        }
    }
}
