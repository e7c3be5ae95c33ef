//! Atlassian (Jira, Confluence): `/me` of api.atlassian.com; e-mail never counted verified.

use crate::social::{Mapping, ProfileFields, Spec};

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
    map: Mapping::Fields(ProfileFields {
        id: &["account_id"],
        name: &["name"],
        email: &["email"],
        email_verified: "",
        image: &["picture"],
    }),
    ..Spec::DEFAULTS
};
