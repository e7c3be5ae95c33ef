//! Zoom: `/v2/users/me`.

use crate::social::{Mapping, ProfileFields, Spec};

/// Zoom.
pub const SPEC: Spec = Spec {
    id: "zoom",
    name: "Zoom",
    authorization_endpoint: "https://zoom.us/oauth/authorize",
    token_endpoint: "https://zoom.us/oauth/token",
    user_info_endpoint: "https://api.zoom.us/v2/users/me",
    map: Mapping::Fields(ProfileFields {
        id: &["id"],
        name: &["display_name"],
        email: &["email"],
        email_verified: "verified",
        image: &["pic_url"],
    }),
    ..Spec::DEFAULTS
};
