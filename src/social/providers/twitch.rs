//! Twitch: OpenID Connect, the profile in the id token (claims requested explicitly).

use crate::social::{Mapping, ProfileFields, ProfileSource, Spec};

/// Twitch.
pub const SPEC: Spec = Spec {
    id: "twitch",
    name: "Twitch",
    authorization_endpoint: "https://id.twitch.tv/oauth2/authorize",
    token_endpoint: "https://id.twitch.tv/oauth2/token",
    scopes: &["user:read:email", "openid"],
    auth_params: &[(
        "claims",
        r#"{"id_token":{"email":null,"email_verified":null,"preferred_username":null,"picture":null}}"#,
    )],
    profile: ProfileSource::IdToken,
    map: Mapping::Fields(ProfileFields {
        id: &["sub"],
        name: &["preferred_username"],
        email: &["email"],
        email_verified: "email_verified",
        image: &["picture"],
    }),
    ..Spec::DEFAULTS
};
