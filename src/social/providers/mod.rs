//! Built-in providers, one small file each: a [`Spec`] and its profile mapping. Adding one is
//! adding a file and a line to [`ALL`].

use super::Spec;

pub mod apple;
pub mod atlassian;
pub mod discord;
pub mod facebook;
pub mod figma;
pub mod github;
pub mod gitlab;
pub mod google;
pub mod huggingface;
pub mod kick;
pub mod line;
pub mod linkedin;
pub mod microsoft;
pub mod naver;
pub mod oidc;
pub mod paypal;
pub mod polar;
pub mod railway;
pub mod reddit;
pub mod salesforce;
pub mod slack;
pub mod spotify;
pub mod twitch;
pub mod vercel;
pub mod zoom;

/// Every built-in provider.
pub const ALL: &[&Spec] = &[
    &apple::SPEC,
    &atlassian::SPEC,
    &discord::SPEC,
    &facebook::SPEC,
    &figma::SPEC,
    &github::SPEC,
    &gitlab::SPEC,
    &google::SPEC,
    &huggingface::SPEC,
    &kick::SPEC,
    &line::SPEC,
    &linkedin::SPEC,
    &microsoft::SPEC,
    &naver::SPEC,
    &paypal::SPEC,
    &polar::SPEC,
    &railway::SPEC,
    &reddit::SPEC,
    &salesforce::SPEC,
    &slack::SPEC,
    &spotify::SPEC,
    &twitch::SPEC,
    &vercel::SPEC,
    &zoom::SPEC,
];

/// The built-in provider with this id.
pub fn find(id: &str) -> Option<&'static Spec> {
    ALL.iter().copied().find(|spec| spec.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_provider_has_a_unique_id_and_its_endpoints() {
        for (i, spec) in ALL.iter().enumerate() {
            assert!(
                ALL[..i].iter().all(|other| other.id != spec.id),
                "{}",
                spec.id
            );
            assert!(
                spec.authorization_endpoint.starts_with("https://"),
                "{}",
                spec.id
            );
            assert!(spec.token_endpoint.starts_with("https://"), "{}", spec.id);
            let profile_from_token = spec.profile == super::super::ProfileSource::IdToken;
            assert!(
                profile_from_token || spec.user_info_endpoint.starts_with("https://"),
                "{}",
                spec.id
            );
            assert!(
                !spec.id_token_sign_in || !spec.jwks_endpoint.is_empty(),
                "{}",
                spec.id
            );
            assert_eq!(find(spec.id).map(|s| s.name), Some(spec.name));
        }
        assert!(find("myspace").is_none());
    }

    #[test]
    fn field_mappings_read_nested_paths_list_entries_and_fallbacks() {
        use serde_json::json;
        let user = |spec: &Spec, profile| spec.map.map(&profile).unwrap();
        let fb = user(
            &facebook::SPEC,
            json!({"id": "1", "name": "F", "email": "f@x.test", "picture": {"data": {"url": "https://p/f.png"}}}),
        );
        assert_eq!(fb.image.as_deref(), Some("https://p/f.png"));
        assert!(!fb.email_verified);
        let spotify = user(
            &spotify::SPEC,
            json!({"id": "s", "display_name": "S", "images": [{"url": "https://p/s.png"}]}),
        );
        assert_eq!(
            (spotify.name.as_str(), spotify.image.as_deref()),
            ("S", Some("https://p/s.png"))
        );
        let kick = user(&kick::SPEC, json!({"data": [{"user_id": 7, "name": "K"}]}));
        assert_eq!((kick.id.as_str(), kick.name.as_str()), ("7", "K"));
        assert!(user(&zoom::SPEC, json!({"id": "z", "verified": 1})).email_verified);
        let ms = user(
            &microsoft::SPEC,
            json!({"sub": "s", "oid": "o", "preferred_username": "m@x.test"}),
        );
        assert_eq!((ms.id.as_str(), ms.email.as_deref()), ("o", None));
        assert!(microsoft::SPEC
            .map
            .map(&json!({"sub": "s", "email": "m@x.test"}))
            .is_none());
        assert!(gitlab::SPEC
            .map
            .map(&json!({"id": 1, "state": "blocked"}))
            .is_none());
        assert!(github::SPEC.map.map(&json!({"login": "no-id"})).is_none());
    }
}
