//! Microsoft Entra ID (`microsoft`): the profile is the id token's claims, the account id its
//! `oid`; `tenantId` picks the tenant (`common` by default). The profile photo is not fetched.

use serde_json::Value;

use crate::social::{flag, text, ProfileSource, Spec, UserInfo};

/// Microsoft.
pub const SPEC: Spec = Spec {
    id: "microsoft",
    name: "Microsoft",
    authorization_endpoint: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
    token_endpoint: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
    jwks_endpoint: "https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys",
    issuers: &["https://login.microsoftonline.com/{tenant}/v2.0"],
    scopes: &["openid", "profile", "email", "offline_access"],
    pkce: true,
    profile: ProfileSource::IdToken,
    map,
    ..Spec::DEFAULTS
};

fn map(profile: &Value) -> Option<UserInfo> {
    let email = text(profile, "email").or_else(|| text(profile, "preferred_username"));
    Some(UserInfo {
        id: text(profile, "oid").or_else(|| text(profile, "sub"))?,
        name: text(profile, "name").unwrap_or_default(),
        email_verified: flag(profile, "email_verified"),
        email,
        image: None,
    })
}
