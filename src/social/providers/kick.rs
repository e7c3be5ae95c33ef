//! Kick: PKCE; `/public/v1/users` answers a list, whose first entry is the user.

use crate::social::{Mapping, ProfileFields, Spec};

/// Kick.
pub const SPEC: Spec = Spec {
    id: "kick",
    name: "Kick",
    authorization_endpoint: "https://id.kick.com/oauth/authorize",
    token_endpoint: "https://id.kick.com/oauth/token",
    user_info_endpoint: "https://api.kick.com/public/v1/users",
    scopes: &["user:read"],
    pkce: true,
    map: Mapping::Fields(ProfileFields {
        id: &["data.0.user_id"],
        name: &["data.0.name"],
        email: &["data.0.email"],
        email_verified: "",
        image: &["data.0.profile_picture"],
    }),
    ..Spec::DEFAULTS
};
