//! Naver: the profile is under `response`; e-mail never counted verified.

use crate::social::{Mapping, ProfileFields, Spec};

/// Naver.
pub const SPEC: Spec = Spec {
    id: "naver",
    name: "Naver",
    authorization_endpoint: "https://nid.naver.com/oauth2.0/authorize",
    token_endpoint: "https://nid.naver.com/oauth2.0/token",
    user_info_endpoint: "https://openapi.naver.com/v1/nid/me",
    scopes: &["profile", "email"],

    map: Mapping::Fields(ProfileFields {
        id: &["response.id"],
        name: &["response.name", "response.nickname"],
        email: &["response.email"],
        email_verified: "",
        image: &["response.profile_image"],
    }),
    ..Spec::DEFAULTS
};
