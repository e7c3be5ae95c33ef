//! A generic OpenID Connect provider: any `socialProviders` name that is not built in, with a
//! `discoveryUrl` (`/.well-known/openid-configuration`) or explicit endpoints. The profile is
//! the user-info endpoint's claims when there is one, else the id token's.

use crate::social::Spec;

/// Defaults of generic providers; the endpoints come from the options or discovery.
pub const SPEC: Spec = Spec {
    id: "oidc",
    name: "OpenID Connect",
    authorization_endpoint: "",
    token_endpoint: "",
    scopes: &["openid", "email", "profile"],
    pkce: true,
    id_token_sign_in: true,
    ..Spec::DEFAULTS
};
