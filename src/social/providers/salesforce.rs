//! Salesforce (production login; a sandbox or My Domain through the endpoint options): OpenID Connect user info, PKCE.

use crate::social::{Mapping, ProfileFields, Spec};

/// Salesforce.
pub const SPEC: Spec = Spec {
    id: "salesforce",
    name: "Salesforce",
    authorization_endpoint: "https://login.salesforce.com/services/oauth2/authorize",
    token_endpoint: "https://login.salesforce.com/services/oauth2/token",
    user_info_endpoint: "https://login.salesforce.com/services/oauth2/userinfo",
    scopes: &["openid", "email", "profile"],
    pkce: true,

    map: Mapping::Fields(ProfileFields {
        id: &["user_id"],
        name: &["name"],
        email: &["email"],
        email_verified: "email_verified",
        image: &["photos.picture", "photos.thumbnail"],
    }),
    ..Spec::DEFAULTS
};
