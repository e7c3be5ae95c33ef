//! Railway: PKCE, HTTP Basic client authentication; e-mail never counted verified.

use crate::social::{Mapping, ProfileFields, Spec, TokenAuth};

/// Railway.
pub const SPEC: Spec = Spec {
    id: "railway",
    name: "Railway",
    authorization_endpoint: "https://backboard.railway.com/oauth/auth",
    token_endpoint: "https://backboard.railway.com/oauth/token",
    user_info_endpoint: "https://backboard.railway.com/oauth/me",
    scopes: &["openid", "email", "profile"],
    pkce: true,
    token_auth: TokenAuth::Basic,
    map: Mapping::Fields(ProfileFields {
        id: &["sub"],
        name: &["name"],
        email: &["email"],
        email_verified: "",
        image: &["picture"],
    }),
    ..Spec::DEFAULTS
};
