//! Spotify: `/v1/me`; the first image is the avatar; e-mail never counted verified.

use crate::social::{Mapping, ProfileFields, Spec};

/// Spotify.
pub const SPEC: Spec = Spec {
    id: "spotify",
    name: "Spotify",
    authorization_endpoint: "https://accounts.spotify.com/authorize",
    token_endpoint: "https://accounts.spotify.com/api/token",
    user_info_endpoint: "https://api.spotify.com/v1/me",
    scopes: &["user-read-email"],
    pkce: true,
    map: Mapping::Fields(ProfileFields {
        id: &["id"],
        name: &["display_name"],
        email: &["email"],
        email_verified: "",
        image: &["images.0.url"],
    }),
    ..Spec::DEFAULTS
};
