//! Vercel ("Sign in with Vercel"): OpenID Connect user info, PKCE, no default scopes.

use crate::social::Spec;

/// Vercel.
pub const SPEC: Spec = Spec {
    id: "vercel",
    name: "Vercel",
    authorization_endpoint: "https://vercel.com/oauth/authorize",
    token_endpoint: "https://api.vercel.com/login/oauth/token",
    user_info_endpoint: "https://api.vercel.com/login/oauth/userinfo",
    pkce: true,
    ..Spec::DEFAULTS
};
