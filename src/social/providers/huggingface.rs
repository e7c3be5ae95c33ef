//! Hugging Face: OpenID Connect user info, PKCE.

use crate::social::Spec;

/// Hugging Face.
pub const SPEC: Spec = Spec {
    id: "huggingface",
    name: "Hugging Face",
    authorization_endpoint: "https://huggingface.co/oauth/authorize",
    token_endpoint: "https://huggingface.co/oauth/token",
    user_info_endpoint: "https://huggingface.co/oauth/userinfo",
    scopes: &["openid", "profile", "email"],
    pkce: true,
    ..Spec::DEFAULTS
};
