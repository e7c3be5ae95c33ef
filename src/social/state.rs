//! OAuth state as Better Auth stores it (`dist/state.mjs`, database strategy): a 32-character
//! state, a verification row `auth-state:<state>` whose value is the flow's JSON (callback URLs,
//! PKCE verifier, link target; valid 10 minutes), and the state signed into a `state` cookie
//! (5 minutes) that must come back with the callback. The row is single use.

use serde_json::{Map, Value};

use crate::context::Ctx;
use crate::crypto::random_string;
use crate::error::ApiError;
use crate::store::verifications;
use crate::time::Millis;

/// `[a-zA-Z0-9_-]`: the alphabet of Better Auth's `generateRandomString` here.
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";

/// The keys of the state itself (Better Auth's `INTERNAL_STATE_KEYS`): `additionalData` is
/// spread first and these always override it, so a sign-in body can never set a link target,
/// an unchecked redirect URL or the verifier through `additionalData`.
const INTERNAL_KEYS: &[&str] = &[
    "callbackURL",
    "codeVerifier",
    "errorURL",
    "newUserURL",
    "expiresAt",
    "oauthState",
    "link",
    "requestSignUp",
    "idTokenNonce",
    "serverContext",
];

/// How long the verification row lives: 10 minutes.
const ROW_TTL_MS: Millis = 600_000;
/// `Max-Age` of the state cookie: 5 minutes.
const COOKIE_MAX_AGE: u64 = 300;

/// The account a `/link-social` flow links to.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// The signed-in user's id.
    pub user_id: String,
    /// The signed-in user's e-mail.
    pub email: String,
    /// `encryptedSessionToken`: the token of the session that started the link, sealed under
    /// [`LINK_SESSION_PURPOSE`]'s key, so the callback can check that session is still live.
    /// `None` in state an older Better Auth wrote (then it is not checked, as in Better Auth).
    pub encrypted_session_token: Option<String>,
}

/// The `derivePurposeKey` purpose [`Link::encrypted_session_token`] is sealed for.
pub const LINK_SESSION_PURPOSE: &str = "oauth-link-session-token";

/// The JSON kept under `auth-state:<state>`. Written with Better Auth's key order; read
/// leniently (unknown keys, such as Better Auth's `idTokenNonce`, are kept in `additional`).
/// By hand rather than derived, to keep serde's flatten machinery out of the Worker.
#[derive(Debug, Clone, PartialEq)]
pub struct StateData {
    /// `additionalData` of the sign-in, spread first as Better Auth does.
    pub additional: Map<String, Value>,
    /// `callbackURL`: where to go after sign-in (default: the base URL).
    pub callback_url: String,
    /// PKCE verifier (128 characters).
    pub code_verifier: String,
    /// `errorURL` (default: `<baseURL>/api/auth/error`).
    pub error_url: Option<String>,
    /// `newUserURL`: where new users go.
    pub new_user_url: Option<String>,
    /// Set for `/link-social`.
    pub link: Option<Link>,
    /// Unix milliseconds.
    pub expires_at: Millis,
    /// `requestSignUp` of the sign-in.
    pub request_sign_up: Option<bool>,
    /// `oauthState`: the state itself.
    pub oauth_state: Option<String>,
}

impl StateData {
    /// The row's JSON.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{");
        let mut put = |key: &str, value: Value| {
            if out.len() > 1 {
                out.push(',');
            }
            out.push_str(&Value::String(key.to_owned()).to_string());
            out.push(':');
            out.push_str(&value.to_string());
        };
        for (key, value) in &self.additional {
            if INTERNAL_KEYS.contains(&key.as_str()) {
                continue;
            }
            put(key, value.clone());
        }
        put("callbackURL", self.callback_url.clone().into());
        put("codeVerifier", self.code_verifier.clone().into());
        let optional = [
            ("errorURL", self.error_url.clone().map(Value::from)),
            ("newUserURL", self.new_user_url.clone().map(Value::from)),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                put(key, value);
            }
        }
        if let Some(link) = &self.link {
            let mut map = Map::new();
            map.insert("userId".to_owned(), link.user_id.clone().into());
            map.insert("email".to_owned(), link.email.clone().into());
            if let Some(sealed) = &link.encrypted_session_token {
                map.insert("encryptedSessionToken".to_owned(), sealed.clone().into());
            }
            put("link", Value::Object(map));
        }
        put("expiresAt", self.expires_at.into());
        let optional = [
            ("requestSignUp", self.request_sign_up.map(Value::from)),
            ("oauthState", self.oauth_state.clone().map(Value::from)),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                put(key, value);
            }
        }
        out.push('}');
        out
    }

    /// Reads a row's JSON; `None` when it is not state.
    pub fn from_json(text: &str) -> Option<StateData> {
        let Value::Object(mut map) = serde_json::from_slice(text.as_bytes()).ok()? else {
            return None;
        };
        let mut text = |key: &str| match map.remove(key) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        let callback_url = text("callbackURL")?;
        let code_verifier = text("codeVerifier")?;
        let error_url = text("errorURL");
        let new_user_url = text("newUserURL");
        let oauth_state = text("oauthState");
        let link = match map.remove("link") {
            Some(link) => Some(Link {
                user_id: crate::social::text(&link, "userId")?,
                email: crate::social::text(&link, "email")?,
                encrypted_session_token: crate::social::text(&link, "encryptedSessionToken"),
            }),
            None => None,
        };
        Some(StateData {
            expires_at: map.remove("expiresAt")?.as_i64()?,
            request_sign_up: map.remove("requestSignUp").and_then(|v| v.as_bool()),
            additional: map,
            callback_url,
            code_verifier,
            error_url,
            new_user_url,
            link,
            oauth_state,
        })
    }
}

/// The state cookie's name (`better-auth.state`, with the deployment's prefix).
pub fn cookie_name(ctx: &Ctx) -> String {
    let session = &ctx.auth_cookies.session_token;
    format!(
        "{}state",
        session.strip_suffix("session_token").unwrap_or(session)
    )
}

/// A new state for `data`: the verification row is written and the signed cookie queued.
/// Returns the state and the PKCE verifier. One round trip.
pub async fn generate(
    ctx: &mut Ctx<'_>,
    mut data: StateData,
) -> Result<(String, String), ApiError> {
    let state = random_string(32, ALPHABET);
    data.code_verifier = random_string(128, ALPHABET);
    data.expires_at = ctx.now + ROW_TTL_MS;
    data.oauth_state = Some(state.clone());
    let value = data.to_json();
    ctx.sql
        .query(verifications::insert(
            &identifier(&state),
            &value,
            ctx.now + ROW_TTL_MS,
            ctx.now,
        ))
        .await?;
    let name = cookie_name(ctx);
    ctx.set_signed_cookie(&name, &state, Some(COOKIE_MAX_AGE));
    Ok((state, data.code_verifier))
}

fn identifier(state: &str) -> String {
    format!("auth-state:{state}")
}

/// Why a callback's state was refused: Better Auth's redirect code, and the flow's own error
/// URL when the state could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateError {
    /// `state_not_found`, `state_mismatch`, ...
    pub code: &'static str,
    /// The flow's `errorURL`, once known.
    pub error_url: Option<String>,
}

/// Reads and consumes the state of a callback, as Better Auth's `parseGenericState`: the row
/// must exist, the signed cookie must carry the same state; then the cookie is expired and the
/// row deleted (a replay finds nothing); an expired flow is refused last.
pub async fn parse(ctx: &mut Ctx<'_>, state: Option<&str>) -> Result<StateData, StateError> {
    let fail = |code, error_url| StateError { code, error_url };
    let Some(state) = state.filter(|s| !s.is_empty()) else {
        return Err(fail("state_not_found", None));
    };
    let identifier = identifier(state);
    let row = match verifications::find(ctx.sql, &identifier).await {
        Ok(row) => row,
        Err(error) => {
            (ctx.log)(&format!("oauth state lookup failed: {error}"));
            return Err(fail("internal_server_error", None));
        }
    };
    let Some(row) = row else {
        return Err(fail("state_mismatch", None));
    };
    let Some(data) = StateData::from_json(&row.value) else {
        return Err(fail("state_mismatch", None));
    };
    if data.oauth_state.as_deref().is_some_and(|s| s != state) {
        return Err(fail("state_mismatch", data.error_url));
    }
    let name = cookie_name(ctx);
    let cookie_matches = ctx
        .signed_cookie(&name)
        .is_some_and(|cookie| crate::crypto::constant_time_eq(cookie.as_bytes(), state.as_bytes()));
    if !cookie_matches {
        return Err(fail("state_mismatch", data.error_url));
    }
    ctx.expire_cookie(&name);
    // Single use: whoever deletes the row owns the flow.
    match verifications::consume(ctx.sql, &row.id).await {
        Ok(true) => {}
        Ok(false) => return Err(fail("state_mismatch", data.error_url)),
        Err(error) => {
            (ctx.log)(&format!("oauth state delete failed: {error}"));
            return Err(fail("internal_server_error", data.error_url));
        }
    }
    if data.expires_at < ctx.now {
        return Err(fail("state_mismatch", data.error_url));
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_json_keeps_better_auths_key_order() {
        let data = StateData {
            additional: Map::new(),
            callback_url: "/after-login".into(),
            code_verifier: "v".into(),
            error_url: Some("/login-error".into()),
            new_user_url: Some("/welcome".into()),
            link: None,
            expires_at: 1795772037808,
            request_sign_up: None,
            oauth_state: Some("s".into()),
        };
        assert_eq!(
            data.to_json(),
            r#"{"callbackURL":"/after-login","codeVerifier":"v","errorURL":"/login-error","newUserURL":"/welcome","expiresAt":1795772037808,"oauthState":"s"}"#
        );
        let parsed = StateData::from_json(r#"{"callbackURL":"/a","codeVerifier":"v","expiresAt":1,"oauthState":"s","idTokenNonce":"n","link":{"userId":"u","email":"e"}}"#).unwrap();
        assert_eq!(parsed.callback_url, "/a");
        assert_eq!(parsed.link.unwrap().user_id, "u");
        assert_eq!(parsed.additional["idTokenNonce"], "n");
        assert!(StateData::from_json(r#"{"callbackURL":"/a"}"#).is_none());
    }

    #[test]
    fn a_link_carries_its_sealed_session_token_in_better_auths_order() {
        let json = r#"{"callbackURL":"/a","codeVerifier":"v","link":{"userId":"u","email":"e","encryptedSessionToken":"0a1b"},"expiresAt":1}"#;
        let parsed = StateData::from_json(json).unwrap();
        assert_eq!(
            parsed
                .link
                .as_ref()
                .unwrap()
                .encrypted_session_token
                .as_deref(),
            Some("0a1b")
        );
        assert_eq!(parsed.to_json(), json);
    }
}
