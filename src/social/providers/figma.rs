//! Figma: HTTP Basic client authentication, PKCE, `/v1/me`; e-mail never counted verified.

use serde_json::Value;

use crate::social::{text, Spec, TokenAuth, UserInfo};

/// Figma.
pub const SPEC: Spec = Spec {
    id: "figma",
    name: "Figma",
    authorization_endpoint: "https://www.figma.com/oauth",
    token_endpoint: "https://api.figma.com/v1/oauth/token",
    user_info_endpoint: "https://api.figma.com/v1/me",
    scopes: &["current_user:read"],
    pkce: true,
    token_auth: TokenAuth::Basic,
    map,
    ..Spec::DEFAULTS
};

fn map(profile: &Value) -> Option<UserInfo> {
    Some(UserInfo {
        id: text(profile, "id")?,
        name: text(profile, "handle").unwrap_or_default(),
        email: text(profile, "email"),
        email_verified: false,
        image: text(profile, "img_url"),
    })
}
