//! PayPal (live; the sandbox through the endpoint options): HTTP Basic client authentication, PKCE.

use crate::social::{Mapping, ProfileFields, Spec, TokenAuth};

/// PayPal.
pub const SPEC: Spec = Spec {
    id: "paypal",
    name: "PayPal",
    authorization_endpoint: "https://www.paypal.com/signin/authorize",
    token_endpoint: "https://api-m.paypal.com/v1/oauth2/token",
    user_info_endpoint: "https://api-m.paypal.com/v1/identity/oauth2/userinfo?schema=paypalv1.1",
    pkce: true,
    token_auth: TokenAuth::Basic,
    map: Mapping::Fields(ProfileFields {
        id: &["user_id"],
        name: &["name"],
        email: &["email"],
        email_verified: "email_verified",
        image: &["picture"],
    }),
    ..Spec::DEFAULTS
};
