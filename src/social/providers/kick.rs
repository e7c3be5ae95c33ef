//! Kick: PKCE; `/public/v1/users` answers a list, whose first entry is the user.

use serde_json::Value;

use crate::social::{text, Spec, UserInfo};

/// Kick.
pub const SPEC: Spec = Spec {
    id: "kick",
    name: "Kick",
    authorization_endpoint: "https://id.kick.com/oauth/authorize",
    token_endpoint: "https://id.kick.com/oauth/token",
    user_info_endpoint: "https://api.kick.com/public/v1/users",
    scopes: &["user:read"],
    pkce: true,
    map,
    ..Spec::DEFAULTS
};

fn map(profile: &Value) -> Option<UserInfo> {
    let user = profile.get("data")?.get(0)?;
    Some(UserInfo {
        id: text(user, "user_id")?,
        name: text(user, "name").unwrap_or_default(),
        email: text(user, "email"),
        email_verified: false,
        image: text(user, "profile_picture"),
    })
}
