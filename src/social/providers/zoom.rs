//! Zoom: `/v2/users/me`.

use serde_json::Value;

use crate::social::{flag, text, Spec, UserInfo};

/// Zoom.
pub const SPEC: Spec = Spec {
    id: "zoom",
    name: "Zoom",
    authorization_endpoint: "https://zoom.us/oauth/authorize",
    token_endpoint: "https://zoom.us/oauth/token",
    user_info_endpoint: "https://api.zoom.us/v2/users/me",
    map,
    ..Spec::DEFAULTS
};

fn map(profile: &Value) -> Option<UserInfo> {
    Some(UserInfo {
        id: text(profile, "id")?,
        name: text(profile, "display_name").unwrap_or_default(),
        email: text(profile, "email"),
        email_verified: flag(profile, "verified")
            || profile.get("verified").and_then(Value::as_i64) == Some(1),
        image: text(profile, "pic_url"),
    })
}
