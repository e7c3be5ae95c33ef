//! Polar: PKCE, `/v1/oauth2/userinfo`.

use crate::social::{Mapping, ProfileFields, Spec};

/// Polar.
pub const SPEC: Spec = Spec {
    id: "polar",
    name: "Polar",
    authorization_endpoint: "https://polar.sh/oauth2/authorize",
    token_endpoint: "https://api.polar.sh/v1/oauth2/token",
    user_info_endpoint: "https://api.polar.sh/v1/oauth2/userinfo",
    scopes: &["openid", "profile", "email"],
    pkce: true,

    map: Mapping::Fields(ProfileFields {
        id: &["id"],
        name: &["public_name", "username"],
        email: &["email"],
        email_verified: "email_verified",
        image: &["avatar_url"],
    }),
    ..Spec::DEFAULTS
};
