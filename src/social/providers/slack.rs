//! Slack ("Sign in with Slack", OpenID Connect); the account id is the Slack user id claim.

use serde_json::Value;

use crate::social::{flag, text, Mapping, Spec, UserInfo};

/// Slack.
pub const SPEC: Spec = Spec {
    id: "slack",
    name: "Slack",
    authorization_endpoint: "https://slack.com/openid/connect/authorize",
    token_endpoint: "https://slack.com/api/openid.connect.token",
    user_info_endpoint: "https://slack.com/api/openid.connect.userInfo",
    scopes: &["openid", "profile", "email"],
    map: Mapping::Custom(map),
    ..Spec::DEFAULTS
};

fn map(profile: &Value) -> Option<UserInfo> {
    Some(UserInfo {
        id: profile
            .get("https://slack.com/user_id")
            .and_then(Value::as_str)
            .map(str::to_owned)?,
        name: text(profile, "name").unwrap_or_default(),
        email: text(profile, "email"),
        email_verified: flag(profile, "email_verified"),
        image: text(profile, "picture").or_else(|| {
            profile
                .get("https://slack.com/user_image_512")
                .and_then(Value::as_str)
                .map(str::to_owned)
        }),
    })
}
