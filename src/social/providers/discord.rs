//! Discord. No PKCE (Better Auth sends none); the avatar URL is derived from the profile as
//! Discord's CDN documents it.

use serde_json::Value;

use crate::social::{flag, text, Mapping, Spec, UserInfo};

/// Discord.
pub const SPEC: Spec = Spec {
    id: "discord",
    name: "Discord",
    authorization_endpoint: "https://discord.com/api/oauth2/authorize",
    token_endpoint: "https://discord.com/api/oauth2/token",
    user_info_endpoint: "https://discord.com/api/users/@me",
    scopes: &["identify", "email"],
    prompt: Some("none"),
    map: Mapping::Custom(map),
    ..Spec::DEFAULTS
};

/// Animated avatars (`a_` hashes) are GIFs; users without one get a default avatar picked by
/// discriminator, or by `(id >> 22) % 6` under the new username system (discriminator `0`).
pub fn avatar_url(profile: &Value) -> Option<String> {
    let id = text(profile, "id")?;
    match text(profile, "avatar") {
        Some(hash) => {
            let format = if hash.starts_with("a_") { "gif" } else { "png" };
            Some(format!(
                "https://cdn.discordapp.com/avatars/{id}/{hash}.{format}"
            ))
        }
        None => {
            let discriminator = text(profile, "discriminator").unwrap_or_default();
            let index = if discriminator == "0" || discriminator.is_empty() {
                (id.parse::<u64>().ok()? >> 22) % 6
            } else {
                discriminator.parse::<u64>().ok()? % 5
            };
            Some(format!(
                "https://cdn.discordapp.com/embed/avatars/{index}.png"
            ))
        }
    }
}

fn map(profile: &Value) -> Option<UserInfo> {
    Some(UserInfo {
        id: text(profile, "id")?,
        name: text(profile, "global_name")
            .or_else(|| text(profile, "username"))
            .unwrap_or_default(),
        email: text(profile, "email"),
        email_verified: flag(profile, "verified"),
        image: avatar_url(profile),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn avatar_urls_follow_discords_cdn_rules() {
        assert_eq!(
            avatar_url(&json!({"id": "80351110224678912", "avatar": "a_1269e74af4df7417b13759eae50c83dc"})).unwrap(),
            "https://cdn.discordapp.com/avatars/80351110224678912/a_1269e74af4df7417b13759eae50c83dc.gif"
        );
        assert_eq!(
            avatar_url(&json!({"id": "1", "avatar": "abc"})).unwrap(),
            "https://cdn.discordapp.com/avatars/1/abc.png"
        );
        assert_eq!(
            avatar_url(
                &json!({"id": "80351110224678912", "avatar": null, "discriminator": "1337"})
            )
            .unwrap(),
            "https://cdn.discordapp.com/embed/avatars/2.png"
        );
        // (80351110224678912 >> 22) % 6 = 19157291 % 6 = 5
        assert_eq!(
            avatar_url(&json!({"id": "80351110224678912", "avatar": null, "discriminator": "0"}))
                .unwrap(),
            "https://cdn.discordapp.com/embed/avatars/5.png"
        );
    }
}
