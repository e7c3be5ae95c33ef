//! Reddit: HTTP Basic client authentication; Reddit shares no e-mail, so sign-in needs an
//! existing link (Better Auth's placeholder e-mails are not made).

use serde_json::Value;

use crate::social::{text, Mapping, Spec, TokenAuth, UserInfo};

/// Reddit.
pub const SPEC: Spec = Spec {
    id: "reddit",
    name: "Reddit",
    authorization_endpoint: "https://www.reddit.com/api/v1/authorize",
    token_endpoint: "https://www.reddit.com/api/v1/access_token",
    user_info_endpoint: "https://oauth.reddit.com/api/v1/me",
    scopes: &["identity"],
    token_auth: TokenAuth::Basic,
    map: Mapping::Custom(map),
    ..Spec::DEFAULTS
};

fn map(profile: &Value) -> Option<UserInfo> {
    Some(UserInfo {
        id: text(profile, "id")?,
        name: text(profile, "name").unwrap_or_default(),
        email: None,
        email_verified: false,
        image: text(profile, "icon_img")
            .map(|i| i.split('?').next().unwrap_or_default().to_owned()),
    })
}
