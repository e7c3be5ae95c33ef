//! Sign in with Apple's client secret: an ES256 JWT signed with the team's private key (the
//! `.p8` file, PKCS#8 PEM), as Apple documents ("Creating a client secret") and Better Auth's
//! docs generate it: header `{alg: "ES256", kid: <key id>}`, claims `{iss: <team id>, iat, exp,
//! aud: "https://appleid.apple.com", sub: <client id>}`. Apple accepts at most six months.
//! Native only: `portcullis apple-secret` makes one to put in `socialProviders.apple.clientSecret`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::DecodePrivateKey;

/// The longest lifetime Apple accepts: 15,777,000 seconds (six months).
pub const MAX_EXPIRES_IN_S: i64 = 15_777_000;

/// What the secret names.
#[derive(Debug, Clone)]
pub struct AppleSecret<'a> {
    /// The `.p8` key, PEM (`-----BEGIN PRIVATE KEY-----`).
    pub private_key_pem: &'a str,
    /// Apple Developer team id (`iss`).
    pub team_id: &'a str,
    /// The key's id (`kid`).
    pub key_id: &'a str,
    /// The Services ID (`sub`), the `clientId` of the provider.
    pub client_id: &'a str,
    /// Issue time, Unix seconds.
    pub now_s: i64,
    /// Lifetime in seconds (at most [`MAX_EXPIRES_IN_S`]).
    pub expires_in_s: i64,
}

/// The signed client secret.
pub fn client_secret(s: &AppleSecret) -> Result<String, String> {
    if !(1..=MAX_EXPIRES_IN_S).contains(&s.expires_in_s) {
        return Err(format!(
            "the lifetime must be 1 to {MAX_EXPIRES_IN_S} seconds (six months)"
        ));
    }
    for (name, value) in [
        ("team id", s.team_id),
        ("key id", s.key_id),
        ("client id", s.client_id),
    ] {
        if value.trim().is_empty() {
            return Err(format!("the {name} is required"));
        }
    }
    let key = SigningKey::from_pkcs8_pem(s.private_key_pem.trim())
        .map_err(|e| format!("not a P-256 PKCS#8 private key (.p8): {e}"))?;
    let header = serde_json::json!({"alg": "ES256", "kid": s.key_id});
    let claims = serde_json::json!({
        "iss": s.team_id,
        "iat": s.now_s,
        "exp": s.now_s + s.expires_in_s,
        "aud": "https://appleid.apple.com",
        "sub": s.client_id,
    });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature: Signature = key.sign(input.as_bytes());
    Ok(format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    ))
}
