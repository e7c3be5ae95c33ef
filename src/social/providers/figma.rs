//! Figma: HTTP Basic client authentication, PKCE, `/v1/me`; e-mail never counted verified.

use crate::social::{Mapping, ProfileFields, Spec, TokenAuth};

/// Figma.
pub const SPEC: Spec = Spec {
    id: "figma",
    name: "Figma",
    authorization_endpoint: "https://www.figma.com/oauth",
    token_endpoint: "https://api.figma.com/v1/oauth/token",
    user_info_endpoint: "https://api.figma.com/v1/me",
    scopes: &["current_user:read"],
    pkce: true,
    token_auth: TokenAuth::Basic,
    map: Mapping::Fields(ProfileFields {
        id: &["id"],
        name: &["handle"],
        email: &["email"],
        email_verified: "",
        image: &["img_url"],
    }),
    ..Spec::DEFAULTS
};
