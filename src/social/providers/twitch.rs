//! Twitch: OpenID Connect, the profile in the id token (claims requested explicitly).

use serde_json::Value;

use crate::social::{flag, text, ProfileSource, Spec, UserInfo};

/// Twitch.
pub const SPEC: Spec = Spec {
    id: "twitch",
    name: "Twitch",
    authorization_endpoint: "https://id.twitch.tv/oauth2/authorize",
    token_endpoint: "https://id.twitch.tv/oauth2/token",
    scopes: &["user:read:email", "openid"],
    auth_params: &[(
        "claims",
        r#"{"id_token":{"email":null,"email_verified":null,"preferred_username":null,"picture":null}}"#,
    )],
    profile: ProfileSource::IdToken,
    map,
    ..Spec::DEFAULTS
};

fn map(profile: &Value) -> Option<UserInfo> {
    Some(UserInfo {
        id: text(profile, "sub")?,
        name: text(profile, "preferred_username").unwrap_or_default(),
        email: text(profile, "email"),
        email_verified: flag(profile, "email_verified"),
        image: text(profile, "picture"),
    })
}
