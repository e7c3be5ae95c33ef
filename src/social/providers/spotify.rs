//! Spotify: `/v1/me`; the first image is the avatar; e-mail never counted verified.

use serde_json::Value;

use crate::social::{text, Spec, UserInfo};

/// Spotify.
pub const SPEC: Spec = Spec {
    id: "spotify",
    name: "Spotify",
    authorization_endpoint: "https://accounts.spotify.com/authorize",
    token_endpoint: "https://accounts.spotify.com/api/token",
    user_info_endpoint: "https://api.spotify.com/v1/me",
    scopes: &["user-read-email"],
    pkce: true,
    map,
    ..Spec::DEFAULTS
};

fn map(profile: &Value) -> Option<UserInfo> {
    Some(UserInfo {
        id: text(profile, "id")?,
        name: text(profile, "display_name").unwrap_or_default(),
        email: text(profile, "email"),
        email_verified: false,
        image: profile
            .get("images")
            .and_then(|i| i.get(0))
            .and_then(|i| text(i, "url")),
    })
}
