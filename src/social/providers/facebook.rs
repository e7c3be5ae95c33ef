//! Facebook: the Graph API's `/me` with `id,name,email,picture`; e-mail never counted verified.

use crate::social::{Mapping, ProfileFields, Spec};

/// Facebook.
pub const SPEC: Spec = Spec {
    id: "facebook",
    name: "Facebook",
    authorization_endpoint: "https://www.facebook.com/v24.0/dialog/oauth",
    token_endpoint: "https://graph.facebook.com/v24.0/oauth/access_token",
    user_info_endpoint: "https://graph.facebook.com/me?fields=id,name,email,picture",
    scopes: &["email", "public_profile"],
    map: Mapping::Fields(ProfileFields {
        id: &["id"],
        name: &["name"],
        email: &["email"],
        email_verified: "",
        image: &["picture.data.url"],
    }),
    ..Spec::DEFAULTS
};
