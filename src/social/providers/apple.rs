//! Sign in with Apple: `form_post` callbacks, the profile in the id token (the name only in the
//! first callback's `user` field), a client secret that is an ES256 JWT
//! (`portcullis apple-secret`).

use crate::social::{ProfileSource, Spec};

/// Apple.
pub const SPEC: Spec = Spec {
    id: "apple",
    name: "Apple",
    authorization_endpoint: "https://appleid.apple.com/auth/authorize",
    token_endpoint: "https://appleid.apple.com/auth/token",
    jwks_endpoint: "https://appleid.apple.com/auth/keys",
    issuers: &["https://appleid.apple.com"],
    scopes: &["email", "name"],
    pkce: true,
    auth_params: &[("response_mode", "form_post")],
    profile: ProfileSource::IdToken,
    id_token_sign_in: true,
    ..Spec::DEFAULTS
};
