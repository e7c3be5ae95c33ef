//! Atlassian (Jira, Confluence): `/me` of api.atlassian.com; e-mail never counted verified.

use serde_json::Value;

use crate::social::{text, Spec, UserInfo};

/// Atlassian.
pub const SPEC: Spec = Spec {
    id: "atlassian",
    name: "Atlassian",
    authorization_endpoint: "https://auth.atlassian.com/authorize",
    token_endpoint: "https://auth.atlassian.com/oauth/token",
    user_info_endpoint: "https://api.atlassian.com/me",
    scopes: &["read:jira-user", "offline_access"],
    pkce: true,
    auth_params: &[("audience", "api.atlassian.com")],
    map,
    ..Spec::DEFAULTS
};

fn map(profile: &Value) -> Option<UserInfo> {
    Some(UserInfo {
        id: text(profile, "account_id")?,
        name: text(profile, "name").unwrap_or_default(),
        email: text(profile, "email"),
        email_verified: false,
        image: text(profile, "picture"),
    })
}
