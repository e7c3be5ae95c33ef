//! Google: the profile is the id token's claims; id-token sign-in verifies RS256 tokens
//! against Google's JWKS.

use crate::social::{ProfileSource, Spec};

/// Google.
pub const SPEC: Spec = Spec {
    id: "google",
    name: "Google",
    authorization_endpoint: "https://accounts.google.com/o/oauth2/v2/auth",
    token_endpoint: "https://oauth2.googleapis.com/token",
    jwks_endpoint: "https://www.googleapis.com/oauth2/v3/certs",
    issuers: &["https://accounts.google.com", "accounts.google.com"],
    scopes: &["email", "profile", "openid"],
    pkce: true,
    profile: ProfileSource::IdToken,
    id_token_sign_in: true,
    ..Spec::DEFAULTS
};
