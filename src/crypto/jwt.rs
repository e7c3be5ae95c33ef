//! HS256 JSON Web Tokens (RFC 7519 over RFC 7515 compact JWS), as Better Auth makes them for
//! email-verification links with `jose`: header `{"alg":"HS256"}`, key = the secret's UTF-8
//! bytes, `iat`/`exp` in seconds. A link minted by either server verifies on the other.
//!
//! Hand-written (about 40 lines): the JWT crates pull in `ring` or RSA, which the Worker build
//! does not want for one HMAC.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

use super::{constant_time_eq, hmac_sha256};

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtError {
    /// Malformed, wrong algorithm, or bad signature.
    Invalid,
    /// Valid signature, but `exp` has passed (Better Auth's `TOKEN_EXPIRED`).
    Expired,
}

/// Signs `claims` (an object) with `iat = now` and `exp = now + expires_in` appended, as
/// `jose`'s `SignJWT(...).setIssuedAt().setExpirationTime(...)` does.
pub fn sign(mut claims: Map<String, Value>, secret: &str, now_ms: i64, expires_in: u64) -> String {
    let now = now_ms.div_euclid(1000);
    claims.insert("iat".into(), now.into());
    claims.insert("exp".into(), (now + expires_in as i64).into());
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#);
    let payload = URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string());
    let signing_input = format!("{header}.{payload}");
    let signature =
        URL_SAFE_NO_PAD.encode(hmac_sha256(secret.as_bytes(), signing_input.as_bytes()));
    format!("{signing_input}.{signature}")
}

/// A base64url part that is a JSON object. Read as a `Value` (the reader every JSON parse in the
/// crate shares) rather than as a `Map`, which would be a second reader in the Worker.
fn json_object(part: &str) -> Result<Map<String, Value>, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwtError::Invalid)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(JwtError::Invalid),
    }
}

/// Verifies an HS256 token and returns its claims. `exp` is required to be in the future
/// (`jose`: expired when `exp <= now`), `nbf` when present must have passed.
pub fn verify(token: &str, secret: &str, now_ms: i64) -> Result<Map<String, Value>, JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Invalid);
    };
    let header = json_object(header)?;
    if header.get("alg").and_then(Value::as_str) != Some("HS256") || header.contains_key("crit") {
        return Err(JwtError::Invalid);
    }
    let given = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| JwtError::Invalid)?;
    let expected = hmac_sha256(
        secret.as_bytes(),
        format!("{}.{payload}", token.split('.').next().unwrap_or("")).as_bytes(),
    );
    if !constant_time_eq(&given, &expected) {
        return Err(JwtError::Invalid);
    }
    let claims = json_object(payload)?;
    let now = now_ms.div_euclid(1000);
    if let Some(nbf) = claims.get("nbf") {
        if nbf.as_i64().is_none_or(|nbf| nbf > now) {
            return Err(JwtError::Invalid);
        }
    }
    match claims.get("exp") {
        None => Ok(claims),
        Some(exp) => match exp.as_f64() {
            Some(exp) if exp > now as f64 => Ok(claims),
            Some(_) => Err(JwtError::Expired),
            None => Err(JwtError::Invalid),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "Qm9vN3pXc2lGd2tKcFh2R2tLc0xyT2VhWnNWYmRqTnU4";

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let mut claims = Map::new();
        claims.insert("email".into(), "a@example.com".into());
        let token = sign(claims, SECRET, 1_000_000_000_000, 3600);
        assert!(
            token.starts_with("eyJhbGciOiJIUzI1NiJ9."),
            "header is {{\"alg\":\"HS256\"}}"
        );
        let claims = verify(&token, SECRET, 1_000_000_000_000 + 3_599_000).unwrap();
        assert_eq!(claims["email"], "a@example.com");
        assert_eq!(claims["exp"], 1_000_003_600);
        assert_eq!(
            verify(&token, SECRET, 1_000_003_600_000),
            Err(JwtError::Expired)
        );
        assert_eq!(
            verify(&token, "another secret", 1_000_000_000_000),
            Err(JwtError::Invalid)
        );
    }

    #[test]
    fn a_token_signed_by_jose_verifies() {
        // new SignJWT({email:"a@example.com",userId:"u1"}).setProtectedHeader({alg:"HS256"})
        //   .setIssuedAt(1000000000).setExpirationTime(1000003600).sign(UTF-8(SECRET))  (jose 6)
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJlbWFpbCI6ImFAZXhhbXBsZS5jb20iLCJ1c2VySWQiOiJ1MSIsImlhdCI6MTAwMDAwMDAwMCwiZXhwIjoxMDAwMDAzNjAwfQ.rTTB8Lb3NkZkXqkzh1CGpCZvn3XA6yT0G-_oR9Nu6i0";
        let claims = verify(token, SECRET, 1_000_000_001_000).unwrap();
        assert_eq!(
            (claims["email"].as_str(), claims["userId"].as_str()),
            (Some("a@example.com"), Some("u1"))
        );
        assert_eq!(
            verify(token, SECRET, 1_000_003_600_000),
            Err(JwtError::Expired)
        );
    }

    #[test]
    fn malformed_tokens_and_other_algorithms_are_invalid() {
        for token in ["", "a.b", "a.b.c.d", "!!.!!.!!", "eyJhbGciOiJub25lIn0.e30."] {
            assert_eq!(verify(token, SECRET, 0), Err(JwtError::Invalid), "{token}");
        }
    }
}
