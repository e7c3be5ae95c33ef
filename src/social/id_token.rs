//! OpenID Connect id-token verification for `idToken` sign-in (OpenID Connect Core §3.1.3.7),
//! as Better Auth's `verifyIdToken` does it: the signature against the provider's JWKS (fetched
//! once and cached; refetched when a key id is unknown), then `iss`, `aud`, `exp` and `iat` (30
//! seconds of clock tolerance, and `nbf` when present; Google and Apple tokens at most an hour
//! old), `sub`, and the nonce when one is given (Apple may carry its SHA-256 in hex).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{oauth2, Cache, Endpoints, Provider};
use crate::crypto::jws::JwsVerifier;
use crate::net::HttpClient;
use crate::time::Millis;

/// Seconds of clock skew allowed on `exp` and `iat`.
const CLOCK_TOLERANCE_S: i64 = 30;
/// Oldest accepted Google and Apple tokens (`maxTokenAge: "1h"`).
const MAX_TOKEN_AGE_S: i64 = 3600;

/// What the verification needs from the host.
pub struct Verifier<'a> {
    /// Outbound HTTP (the JWKS).
    pub http: &'a dyn HttpClient,
    /// JWKS cache.
    pub cache: &'a Cache,
    /// Signature check.
    pub jws: &'a dyn JwsVerifier,
    /// Now.
    pub now: Millis,
}

fn part(token: &str, index: usize) -> Result<Vec<u8>, String> {
    let text = token.split('.').nth(index).ok_or("not a JWS")?;
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| "JWS part is not base64url".to_owned())
}

/// The verified claims of `token`, or why not.
pub async fn verify(
    v: &Verifier<'_>,
    provider: &Provider,
    endpoints: &Endpoints,
    token: &str,
    nonce: Option<&str>,
) -> Result<Value, String> {
    if token.split('.').count() != 3 {
        return Err("not a compact JWS".to_owned());
    }
    let header: Value =
        serde_json::from_slice(&part(token, 0)?).map_err(|_| "header is not JSON")?;
    let claims: Value =
        serde_json::from_slice(&part(token, 1)?).map_err(|_| "claims are not JSON")?;
    let signature = part(token, 2)?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let strict = matches!(provider.spec.id, "google" | "apple");
    let allowed: &[&str] = if strict {
        &["RS256"]
    } else {
        crate::crypto::jws::ALGORITHMS
    };
    if !allowed.contains(&alg) {
        return Err(format!("algorithm {alg:?} is not accepted"));
    }
    if endpoints.jwks.is_empty() {
        return Err("the provider has no JWKS".to_owned());
    }
    let kid = header.get("kid").and_then(Value::as_str);
    let key = match find_key(v, &endpoints.jwks, kid, alg).await? {
        Some(key) => key,
        None => {
            // An unknown key id: the provider may have rotated its keys since we cached them.
            v.cache.forget(&endpoints.jwks);
            find_key(v, &endpoints.jwks, kid, alg)
                .await?
                .ok_or("no matching key in the JWKS")?
        }
    };
    let signed = token.rsplit_once('.').map(|(s, _)| s).unwrap_or_default();
    if !v
        .jws
        .verify(alg, &key, signed.as_bytes(), &signature)
        .await?
    {
        return Err("bad signature".to_owned());
    }
    check_claims(&claims, provider, endpoints, nonce, v.now, strict)?;
    Ok(claims)
}

async fn find_key(
    v: &Verifier<'_>,
    url: &str,
    kid: Option<&str>,
    alg: &str,
) -> Result<Option<Value>, String> {
    let jwks = oauth2::cached_json(v.http, v.cache, url, v.now).await?;
    let kty = if alg == "ES256" { "EC" } else { "RSA" };
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("no keys")?;
    Ok(keys
        .iter()
        .find(|k| {
            k.get("kty").and_then(Value::as_str) == Some(kty)
                && kid.is_none_or(|kid| k.get("kid").and_then(Value::as_str) == Some(kid))
        })
        .cloned())
}

/// The registered claims of a verified token.
pub fn check_claims(
    claims: &Value,
    provider: &Provider,
    endpoints: &Endpoints,
    nonce: Option<&str>,
    now: Millis,
    max_age: bool,
) -> Result<(), String> {
    let now_s = now / 1000;
    let number = |name: &str| claims.get(name).and_then(Value::as_i64);
    let iss = claims.get("iss").and_then(Value::as_str).ok_or("no iss")?;
    if !endpoints.issuers.iter().any(|i| i == iss) {
        return Err(format!("unexpected issuer {iss:?}"));
    }
    let audiences = provider.audiences();
    let aud_ok = match claims.get("aud") {
        Some(Value::String(aud)) => audiences.contains(&aud.as_str()),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .any(|a| audiences.contains(&a)),
        _ => false,
    };
    if !aud_ok {
        return Err("audience mismatch".to_owned());
    }
    claims.get("sub").and_then(Value::as_str).ok_or("no sub")?;
    let exp = number("exp").ok_or("no exp")?;
    if exp + CLOCK_TOLERANCE_S <= now_s {
        return Err("expired".to_owned());
    }
    let iat = number("iat").ok_or("no iat")?;
    if iat - CLOCK_TOLERANCE_S > now_s {
        return Err("issued in the future".to_owned());
    }
    if number("nbf").is_some_and(|nbf| nbf - CLOCK_TOLERANCE_S > now_s) {
        return Err("not valid yet (nbf)".to_owned());
    }
    if max_age && iat + MAX_TOKEN_AGE_S + CLOCK_TOLERANCE_S < now_s {
        return Err("too old".to_owned());
    }
    if let Some(nonce) = nonce {
        let claim = claims.get("nonce").and_then(Value::as_str);
        let hashed = provider.spec.id == "apple"
            && claim == Some(crate::crypto::hex(&Sha256::digest(nonce.as_bytes())).as_str());
        if claim != Some(nonce) && !hashed {
            return Err("nonce mismatch".to_owned());
        }
    }
    if let Some(hd) = provider.options.hd.as_deref() {
        let token_hd = claims.get("hd").and_then(Value::as_str).unwrap_or_default();
        if token_hd.is_empty() || (hd != "*" && token_hd != hd) {
            return Err("hosted domain mismatch".to_owned());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::social::{providers, ProviderOptions};
    use serde_json::json;

    fn google() -> (Provider, Endpoints) {
        let provider = Provider {
            id: "google".into(),
            spec: &providers::google::SPEC,
            options: ProviderOptions {
                client_id: vec!["web".into(), "ios".into()],
                ..Default::default()
            },
        };
        let endpoints = provider.configured_endpoints();
        (provider, endpoints)
    }

    #[test]
    fn claims_need_issuer_audience_time_and_nonce() {
        let (p, e) = google();
        let now = 1_800_000_000_000;
        let ok = json!({"iss":"https://accounts.google.com","aud":"ios","sub":"1","exp":1_800_000_600,"iat":1_799_999_990,"nonce":"n"});
        assert_eq!(check_claims(&ok, &p, &e, Some("n"), now, true), Ok(()));
        let with = |k: &str, v: Value| {
            let mut c = ok.clone();
            c[k] = v;
            check_claims(&c, &p, &e, Some("n"), now, true)
        };
        assert!(with("iss", json!("https://evil.example")).is_err());
        assert!(with("aud", json!("someone-else")).is_err());
        assert!(with("aud", json!(["x", "web"])).is_ok());
        assert!(with("exp", json!(1_799_999_960)).is_err());
        assert!(with("iat", json!(1_799_990_000)).is_err());
        assert!(with("nonce", json!("other")).is_err());
        assert!(with("nbf", json!(1_800_000_020)).is_ok());
        assert!(with("nbf", json!(1_800_000_100)).is_err());
    }
}
