//! LinkedIn: OpenID Connect user info (`/v2/userinfo`).

use crate::social::Spec;

/// LinkedIn.
pub const SPEC: Spec = Spec {
    id: "linkedin",
    name: "LinkedIn",
    authorization_endpoint: "https://www.linkedin.com/oauth/v2/authorization",
    token_endpoint: "https://www.linkedin.com/oauth/v2/accessToken",
    user_info_endpoint: "https://api.linkedin.com/v2/userinfo",
    scopes: &["profile", "email", "openid"],
    ..Spec::DEFAULTS
};
