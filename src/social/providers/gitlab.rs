//! GitLab (gitlab.com; a self-managed instance through the endpoint options). Blocked or
//! locked users get no profile.

use serde_json::Value;

use crate::social::{flag, text, Mapping, Spec, UserInfo};

/// GitLab.
pub const SPEC: Spec = Spec {
    id: "gitlab",
    name: "GitLab",
    authorization_endpoint: "https://gitlab.com/oauth/authorize",
    token_endpoint: "https://gitlab.com/oauth/token",
    user_info_endpoint: "https://gitlab.com/api/v4/user",
    scopes: &["read_user"],
    pkce: true,
    map: Mapping::Custom(map),
    ..Spec::DEFAULTS
};

fn map(profile: &Value) -> Option<UserInfo> {
    if text(profile, "state").as_deref() != Some("active") || flag(profile, "locked") {
        return None;
    }
    Some(UserInfo {
        id: text(profile, "id")?,
        name: text(profile, "name")
            .or_else(|| text(profile, "username"))
            .unwrap_or_default(),
        email: text(profile, "email"),
        email_verified: flag(profile, "email_verified"),
        image: text(profile, "avatar_url"),
    })
}
