//! `jwt()`: `GET /token` (a JWT for the signed-in user), `GET /jwks` (the public keys) and the
//! `set-auth-jwt` header on get-session, as Better Auth 1.7.25's jwt plugin does them, with its
//! `jwks` table: EdDSA (Ed25519, the default) or ES256 (P-256) keys, the public key as JWK JSON,
//! the private key as JWK JSON encrypted with Better Auth's XChaCha20-Poly1305 (and JSON-quoted),
//! so keys made by either server sign and verify on the other. [`verify_jwt`] checks such a token
//! for another service.
//!
//! Signing runs in ed25519-dalek and p256 natively and on Spin, and in WebCrypto in the Worker
//! ([`crate::crypto::signing`]). The signing key is read from the database and kept for five
//! minutes (per `Auth` natively, one per thread; per isolate in the Worker), so a get-session
//! answered from the cookie cache still makes no query. Not offered: RSA and other
//! key types, several at once (`keyPairConfigs`), `jwksPath`, remote JWKS, custom
//! `sign`/`definePayload` callbacks, and the JWT cookie-cache strategy.

use std::cell::RefCell;

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

use super::{Endpoint, Migration, Plugin};
use crate::config::{Duration, JwsAlg, JwtPluginOptions};
use crate::context::Ctx;
use crate::crypto::signing::{self, Alg, KeyPair};
use crate::crypto::{generate_id, symmetric};
use crate::error::ApiError;
use crate::routes::{json, Reply};
use crate::session::{self, Read};
use crate::store::sessions::SessionAndUser;
use crate::store::users::User;
use crate::store::{Sql, SqlError, Statement};
use crate::time::{to_iso, Millis};

/// How long a signing key read from the database is used without reading it again.
const KEY_CACHE_MS: Millis = 300_000;

/// A `jwks` row.
#[derive(Debug, Clone)]
struct KeyRow {
    id: String,
    public_key: String,
    private_key: String,
    created_at: Millis,
    expires_at: Option<Millis>,
    alg: Option<String>,
    crv: Option<String>,
}

async fn all_keys(sql: &dyn Sql) -> Result<Vec<KeyRow>, SqlError> {
    let rows = sql
        .query(Statement::new(
            r#"SELECT "id", "publicKey", "privateKey", "createdAt", "expiresAt", "alg", "crv" FROM "jwks""#,
            vec![],
        ))
        .await?;
    crate::store::read_rows(rows, |cols| {
        Ok(KeyRow {
            id: cols.text()?,
            public_key: cols.text()?,
            private_key: cols.text()?,
            created_at: cols.millis()?,
            expires_at: cols.value()?.as_millis(),
            alg: cols.opt_text()?,
            crv: cols.opt_text()?,
        })
    })
}

/// A JWK as jose's `exportJWK` writes one (its member order), public or with `d`.
fn jwk_json(pair: &KeyPair, private: bool) -> String {
    let text = |v: &str| Value::String(v.to_owned()).to_string();
    let x = text(&pair.x);
    let d = if private {
        text(&pair.d)
    } else {
        String::new()
    };
    match (pair.alg, &pair.y, private) {
        (Alg::ES256, Some(y), true) => format!(
            r#"{{"kty":"EC","x":{x},"y":{},"crv":"P-256","d":{d}}}"#,
            text(y)
        ),
        (Alg::ES256, Some(y), false) => {
            format!(r#"{{"kty":"EC","x":{x},"y":{},"crv":"P-256"}}"#, text(y))
        }
        (_, _, true) => format!(r#"{{"crv":"Ed25519","d":{d},"x":{x},"kty":"OKP"}}"#),
        (_, _, false) => format!(r#"{{"crv":"Ed25519","x":{x},"kty":"OKP"}}"#),
    }
}

/// A stored JWK, either kind.
struct Jwk {
    crv: String,
    d: Option<String>,
    x: String,
    y: Option<String>,
}

impl Jwk {
    /// Reads a stored JWK: `crv` and `x`, `d` and `y` when present (read by hand,
    /// crate::store::json).
    fn parse(json: &[u8]) -> Option<Jwk> {
        use crate::store::json;
        let mut o = json::object(json)?;
        Some(Jwk {
            crv: json::string(&mut o, "crv")?,
            d: json::opt_string(&mut o, "d")?,
            x: json::string(&mut o, "x")?,
            y: json::opt_string(&mut o, "y")?,
        })
    }

    fn pair(self) -> Option<KeyPair> {
        let alg = match self.crv.as_str() {
            "Ed25519" => Alg::EdDSA,
            "P-256" => Alg::ES256,
            _ => return None,
        };
        Some(KeyPair {
            alg,
            d: self.d?,
            x: self.x,
            y: self.y,
        })
    }
}

/// The signing key last read from the database.
#[derive(Clone)]
struct CachedKey {
    read_at: Millis,
    expires_at: Option<Millis>,
    kid: String,
    pair: KeyPair,
    /// The secret it was decrypted with: a cache entry never outlives a secret change.
    secret: String,
}

// The Worker builds its `Auth` per request, so the key is kept per isolate instead (one isolate
// serves one D1 database); elsewhere per `Auth`, as several may share a thread (tests do).
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
thread_local! {
    static ISOLATE_KEY: RefCell<Option<CachedKey>> = const { RefCell::new(None) };
}

/// The jwt plugin.
pub struct Jwt {
    options: JwtPluginOptions,
    #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
    signing_key: RefCell<Option<CachedKey>>,
}

impl Jwt {
    /// With these options.
    pub fn new(options: JwtPluginOptions) -> Self {
        Jwt {
            options,
            #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
            signing_key: RefCell::new(None),
        }
    }

    fn live(&self, key: &KeyRow, now: Millis) -> bool {
        key.expires_at.is_none_or(|at| at > now)
    }

    /// The configured algorithm.
    fn alg(&self) -> Alg {
        match self.options.jwks.key_pair_config.alg {
            JwsAlg::EdDSA => Alg::EdDSA,
            JwsAlg::ES256 => Alg::ES256,
        }
    }

    /// Makes and stores a new key (Better Auth's `createJwk`). One round trip.
    async fn create_key(&self, ctx: &Ctx<'_>) -> Result<KeyRow, ApiError> {
        let alg = self.alg();
        let pair = signing::generate(alg).await.map_err(ApiError::Internal)?;
        let private = jwk_json(&pair, true);
        let private = if self.options.jwks.disable_private_key_encryption {
            private
        } else {
            Value::String(symmetric::encrypt(ctx.secret, &private)).to_string()
        };
        let key = KeyRow {
            id: generate_id(),
            public_key: jwk_json(&pair, false),
            private_key: private,
            created_at: ctx.now,
            expires_at: self
                .options
                .jwks
                .rotation_interval
                .map(|s| ctx.now + s as i64 * 1000),
            alg: Some(alg.name().into()),
            crv: Some(alg.curve().into()),
        };
        ctx.sql
            .query(Statement::new(
                r#"INSERT INTO "jwks" ("id", "publicKey", "privateKey", "createdAt", "expiresAt", "alg", "crv") VALUES (?, ?, ?, ?, ?, ?, ?)"#,
                vec![
                    key.id.clone().into(),
                    key.public_key.clone().into(),
                    key.private_key.clone().into(),
                    to_iso(key.created_at).into(),
                    key.expires_at.map(to_iso).into(),
                    key.alg.clone().into(),
                    key.crv.clone().into(),
                ],
            ))
            .await?;
        Ok(key)
    }

    /// The current signing key: the newest live EdDSA key, a new one when there is none.
    fn cached_key(&self) -> Option<CachedKey> {
        #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
        return ISOLATE_KEY.with(|k| k.borrow().clone());
        #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
        self.signing_key.borrow().clone()
    }

    fn keep_key(&self, key: CachedKey) {
        #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
        ISOLATE_KEY.with(|k| *k.borrow_mut() = Some(key));
        #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
        {
            *self.signing_key.borrow_mut() = Some(key);
        }
    }

    async fn signing_key(&self, ctx: &Ctx<'_>) -> Result<(String, KeyPair), ApiError> {
        if let Some(cached) = self.cached_key() {
            if ctx.now - cached.read_at < KEY_CACHE_MS
                && cached.expires_at.is_none_or(|at| at > ctx.now)
                && cached.secret == ctx.secret
                && cached.pair.alg == self.alg()
            {
                return Ok((cached.kid, cached.pair));
            }
        }
        let keys = all_keys(ctx.sql).await?;
        let alg = self.alg().name();
        let newest = keys
            .into_iter()
            .filter(|k| k.alg.as_deref().unwrap_or(alg) == alg && self.live(k, ctx.now))
            .max_by_key(|k| k.created_at);
        let key = match newest {
            Some(key) => key,
            None => self.create_key(ctx).await?,
        };
        let private = if self.options.jwks.disable_private_key_encryption {
            Some(key.private_key.clone())
        } else {
            // A JSON string (read as a `Value`: the one JSON reader in the Worker).
            match serde_json::from_slice(key.private_key.as_bytes()) {
                Ok(Value::String(sealed)) => symmetric::decrypt(ctx.secret, &sealed),
                _ => None,
            }
        };
        let pair = private
            .and_then(|p| Jwk::parse(p.as_bytes()))
            .and_then(Jwk::pair)
            .ok_or_else(|| {
                ApiError::Internal(
                    "jwks private key does not decrypt with this secret (or is not Ed25519 or P-256)"
                        .into(),
                )
            })?;
        self.keep_key(CachedKey {
            read_at: ctx.now,
            expires_at: key.expires_at,
            kid: key.id.clone(),
            pair: pair.clone(),
            secret: ctx.secret.to_owned(),
        });
        Ok((key.id, pair))
    }

    /// Token lifetime in seconds (`expirationTime`, 15 minutes by default).
    fn lifetime(&self) -> i64 {
        match &self.options.jwt.expiration_time {
            Some(Duration::Seconds(n)) => *n,
            Some(Duration::Text(s)) => duration_seconds(s).unwrap_or(900),
            None => 900,
        }
    }

    /// Better Auth's `getJwtToken`: the user's fields as claims, `sub` = user id, signed.
    async fn token_for(&self, ctx: &Ctx<'_>, user: &User) -> Result<String, ApiError> {
        #[derive(Serialize)]
        struct Tail<'a> {
            sub: &'a str,
            exp: i64,
            iss: &'a str,
            aud: &'a str,
        }
        let iat = ctx.now / 1000;
        let base = ctx.config.base_url.as_str();
        let tail = Tail {
            sub: &user.id,
            exp: iat + self.lifetime(),
            iss: self.options.jwt.issuer.as_deref().unwrap_or(base),
            aud: self.options.jwt.audience.as_deref().unwrap_or(base),
        };
        let internal = |e: serde_json::Error| ApiError::Internal(e.to_string());
        let user_json = serde_json::to_string(user).map_err(internal)?;
        let tail_json = serde_json::to_string(&tail).map_err(internal)?;
        // Written as text so the claims come in Better Auth's order: iat, the user's fields,
        // sub, exp, iss, aud (a serde_json map would sort them).
        let claims = format!(
            r#"{{"iat":{iat},{},{}"#,
            &user_json[1..user_json.len() - 1],
            &tail_json[1..]
        );
        let (kid, pair) = self.signing_key(ctx).await?;
        sign(&pair, &kid, &claims).await
    }

    async fn jwks(&self, ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
        let mut keys = all_keys(ctx.sql).await?;
        if keys.is_empty() {
            keys.push(self.create_key(ctx).await?);
        }
        let grace = self.options.jwks.grace_period as i64 * 1000;
        let listed: Vec<String> = keys
            .into_iter()
            .filter(|k| k.expires_at.is_none_or(|at| at + grace > ctx.now))
            .filter_map(|k| {
                let public = Jwk::parse(k.public_key.as_bytes())?;
                let alg = k.alg.unwrap_or_else(|| self.alg().name().into());
                let pair = KeyPair {
                    alg: Alg::from_name(&alg)?,
                    d: String::new(),
                    x: public.x,
                    y: public.y,
                };
                // `{alg, crv, ...publicKey, kid}` as Better Auth spreads it: the public JWK's
                // members in its own order, `crv` kept in second place.
                let jwk = jwk_json(&pair, false);
                let members = jwk[1..jwk.len() - 1]
                    .split(',')
                    .filter(|m| !m.starts_with(r#""crv""#))
                    .collect::<Vec<_>>()
                    .join(",");
                Some(format!(
                    r#"{{"alg":{},"crv":{},{members},"kid":{}}}"#,
                    Value::String(alg),
                    Value::String(k.crv.unwrap_or(public.crv)),
                    Value::String(k.id)
                ))
            })
            .collect();
        Ok(Reply::Json(format!(r#"{{"keys":[{}]}}"#, listed.join(","))))
    }
}

/// `"15m"`, `"1h"`, `"7d"`, `"30s"`, `"2w"` (jose's units, a subset) in seconds.
fn duration_seconds(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().ok()?;
    let unit = match unit.trim() {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 604_800,
        _ => return None,
    };
    Some(number * unit)
}

/// A compact JWS (RFC 7515) with header `{"alg":…,"kid":…}`.
async fn sign(pair: &KeyPair, kid: &str, claims: &str) -> Result<String, ApiError> {
    let header = format!(
        r#"{{"alg":"{}","kid":{}}}"#,
        pair.alg.name(),
        Value::String(kid.to_owned())
    );
    let signing_input = format!("{}.{}", B64URL.encode(header), B64URL.encode(claims));
    let signature = signing::sign(pair, signing_input.as_bytes())
        .await
        .map_err(ApiError::Internal)?;
    Ok(format!("{signing_input}.{}", B64URL.encode(signature)))
}

/// Why [`verify_jwt`] refused a token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwtError {
    /// Not three base64url parts with JSON header and claims.
    Malformed,
    /// Not `EdDSA` or `ES256`, or no key of that kind in the set with its `kid`.
    UnknownKey,
    /// The signature does not verify.
    BadSignature,
    /// `exp` has passed (or `nbf` has not come).
    Expired,
    /// `iss` or `aud` is not the one expected.
    WrongIssuerOrAudience,
}

/// Verifies a token from `/token` or `set-auth-jwt` against a key set as `/jwks` serves it, for
/// services that accept Portcullis' (or Better Auth's) JWTs: signature (EdDSA, key by `kid`),
/// `exp`/`nbf` at `now_seconds`, and `iss`/`aud` when given. Returns the claims.
pub async fn verify_jwt(
    token: &str,
    jwks: &Value,
    issuer: Option<&str>,
    audience: Option<&str>,
    now_seconds: i64,
) -> Result<Value, JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let decode = |part: &str| B64URL.decode(part).map_err(|_| JwtError::Malformed);
    let header: Value =
        serde_json::from_slice(&decode(header)?).map_err(|_| JwtError::Malformed)?;
    let payload: Value =
        serde_json::from_slice(&decode(claims)?).map_err(|_| JwtError::Malformed)?;
    let alg = header["alg"]
        .as_str()
        .and_then(Alg::from_name)
        .ok_or(JwtError::UnknownKey)?;
    let kid = header["kid"].as_str();
    let key = jwks["keys"]
        .as_array()
        .and_then(|keys| {
            keys.iter()
                .find(|k| k["kid"].as_str() == kid && k["crv"] == alg.curve())
        })
        .ok_or(JwtError::UnknownKey)?;
    let x = key["x"].as_str().ok_or(JwtError::UnknownKey)?;
    let y = key["y"].as_str();
    let signing_input = &token[..token.len() - signature.len() - 1];
    if !signing::verify(alg, x, y, signing_input.as_bytes(), &decode(signature)?).await {
        return Err(JwtError::BadSignature);
    }
    if payload["exp"]
        .as_i64()
        .is_some_and(|exp| exp <= now_seconds)
        || payload["nbf"].as_i64().is_some_and(|nbf| nbf > now_seconds)
    {
        return Err(JwtError::Expired);
    }
    let audience_ok = |wanted: &str| match &payload["aud"] {
        Value::String(a) => a == wanted,
        Value::Array(list) => list.iter().any(|a| a == wanted),
        _ => false,
    };
    if issuer.is_some_and(|i| payload["iss"] != i) || audience.is_some_and(|a| !audience_ok(a)) {
        return Err(JwtError::WrongIssuerOrAudience);
    }
    Ok(payload)
}

#[async_trait(?Send)]
impl Plugin for Jwt {
    fn id(&self) -> &'static str {
        "jwt"
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        vec![Endpoint::get("/jwks"), Endpoint::get("/token")]
    }

    async fn call(
        &self,
        ctx: &mut Ctx<'_>,
        path: &str,
        _body: &Option<Value>,
    ) -> Result<Reply, ApiError> {
        match path {
            "/jwks" => self.jwks(ctx).await,
            "/token" => {
                let current = session::require(ctx, Read::default()).await?;
                let token = self.token_for(ctx, &current.user).await?;
                json(&serde_json::json!({ "token": token }))
            }
            _ => Err(ApiError::NotFound),
        }
    }

    fn migrations(&self) -> Vec<Migration> {
        vec![super::builtin_migration!("0005_plugin_jwt.sql")]
    }

    async fn after(
        &self,
        ctx: &mut Ctx<'_>,
        path: &str,
        _body: &Option<Value>,
        outcome: Result<Reply, ApiError>,
    ) -> Result<Reply, ApiError> {
        if path != "/get-session" || self.options.disable_setting_jwt_header {
            return outcome;
        }
        let user = match &outcome {
            Ok(Reply::Json(body)) => serde_json::from_slice::<SessionAndUser>(body.as_bytes())
                .ok()
                .map(|a| a.user),
            _ => None,
        };
        if let Some(user) = user {
            let token = self.token_for(ctx, &user).await?;
            super::set_exposed_header(ctx, "set-auth-jwt", token);
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_jose_reads_them() {
        assert_eq!(duration_seconds("15m"), Some(900));
        assert_eq!(duration_seconds("1h"), Some(3600));
        assert_eq!(duration_seconds("7d"), Some(604_800));
        assert_eq!(duration_seconds("soon"), None);
    }
}
