//! Built-in providers, one small file each: a [`Spec`] and its profile mapping. Adding one is
//! adding a file and a line to [`ALL`].

use super::Spec;

pub mod apple;
pub mod discord;
pub mod github;
pub mod google;
pub mod oidc;

/// Every built-in provider.
pub const ALL: &[&Spec] = &[&apple::SPEC, &discord::SPEC, &github::SPEC, &google::SPEC];

/// The built-in provider with this id.
pub fn find(id: &str) -> Option<&'static Spec> {
    ALL.iter().copied().find(|spec| spec.id == id)
}
