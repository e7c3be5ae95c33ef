//! Microsoft Entra ID (`microsoft`): the profile is the id token's claims, the account id its
//! `oid`; `tenantId` picks the tenant (`common` by default). The profile photo is not fetched.

use crate::social::{Mapping, ProfileFields, ProfileSource, Spec};

/// Microsoft.
pub const SPEC: Spec = Spec {
    id: "microsoft",
    name: "Microsoft",
    authorization_endpoint: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
    token_endpoint: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
    jwks_endpoint: "https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys",
    issuers: &["https://login.microsoftonline.com/{tenant}/v2.0"],
    scopes: &["openid", "profile", "email", "offline_access"],
    pkce: true,
    profile: ProfileSource::IdToken,
    map: Mapping::Fields(ProfileFields {
        // Better Auth refuses a token without `oid`, and takes only `email` (never the
        // `preferred_username`, which Entra does not verify).
        id: &["oid"],
        name: &["name"],
        email: &["email"],
        email_verified: "email_verified",
        image: &[],
    }),
    ..Spec::DEFAULTS
};
