//! Facebook: the Graph API's `/me` with `id,name,email,picture`; e-mail never counted verified.

use serde_json::Value;

use crate::social::{text, Spec, UserInfo};

/// Facebook.
pub const SPEC: Spec = Spec {
    id: "facebook",
    name: "Facebook",
    authorization_endpoint: "https://www.facebook.com/v24.0/dialog/oauth",
    token_endpoint: "https://graph.facebook.com/v24.0/oauth/access_token",
    user_info_endpoint: "https://graph.facebook.com/me?fields=id,name,email,picture",
    scopes: &["email", "public_profile"],
    map,
    ..Spec::DEFAULTS
};

fn map(profile: &Value) -> Option<UserInfo> {
    Some(UserInfo {
        id: text(profile, "id")?,
        name: text(profile, "name").unwrap_or_default(),
        email: text(profile, "email"),
        email_verified: false,
        image: text(profile, "picture.data.url"),
    })
}
