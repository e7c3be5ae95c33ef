//! LINE: OpenID Connect user info, PKCE; e-mail never counted verified.

use crate::social::{Mapping, ProfileFields, Spec};

/// LINE.
pub const SPEC: Spec = Spec {
    id: "line",
    name: "LINE",
    authorization_endpoint: "https://access.line.me/oauth2/v2.1/authorize",
    token_endpoint: "https://api.line.me/oauth2/v2.1/token",
    user_info_endpoint: "https://api.line.me/oauth2/v2.1/userinfo",
    scopes: &["openid", "profile", "email"],
    pkce: true,

    map: Mapping::Fields(ProfileFields {
        id: &["sub"],
        name: &["name"],
        email: &["email"],
        email_verified: "",
        image: &["picture"],
    }),
    ..Spec::DEFAULTS
};
