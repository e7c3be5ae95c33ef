//! Google: the profile is the id token's claims; id-token sign-in verifies RS256 tokens
//! against Google's JWKS.

use crate::social::{oidc_claims, ProfileSource, Spec, TokenAuth};

/// Google.
pub const SPEC: Spec = Spec {
    id: "google",
    name: "Google",
    authorization_endpoint: "https://accounts.google.com/o/oauth2/v2/auth",
    token_endpoint: "https://oauth2.googleapis.com/token",
    user_info_endpoint: "",
    jwks_endpoint: "https://www.googleapis.com/oauth2/v3/certs",
    issuers: &["https://accounts.google.com", "accounts.google.com"],
    scopes: &["email", "profile", "openid"],
    scope_joiner: " ",
    pkce: true,
    prompt: None,
    auth_params: &[],
    token_auth: TokenAuth::Post,
    profile: ProfileSource::IdToken,
    map: oidc_claims,
    id_token_sign_in: true,
};
