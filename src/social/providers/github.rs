//! GitHub (OAuth app or GitHub App). The profile hides the e-mail when the user keeps it
//! private, so the primary address and its verification come from `/user/emails`.

use serde_json::Value;

use crate::social::{text, Mapping, ProfileFields, ProfileSource, Spec};

/// GitHub.
pub const SPEC: Spec = Spec {
    id: "github",
    name: "GitHub",
    authorization_endpoint: "https://github.com/login/oauth/authorize",
    token_endpoint: "https://github.com/login/oauth/access_token",
    user_info_endpoint: "https://api.github.com/user",
    scopes: &["read:user", "user:email"],
    pkce: true,
    profile: ProfileSource::GitHub,
    map: Mapping::Fields(ProfileFields {
        id: &["id"],
        name: &["name", "login"],
        email: &["email"],
        email_verified: "",
        image: &["avatar_url"],
    }),
    ..Spec::DEFAULTS
};

/// The address GitHub's `/user/emails` marks primary (else the first), and whether the
/// profile's address is verified there.
pub fn primary_email(profile_email: Option<&str>, emails: &Value) -> (Option<String>, bool) {
    let list = emails.as_array().map(Vec::as_slice).unwrap_or_default();
    let email = profile_email.map(str::to_owned).or_else(|| {
        list.iter()
            .find(|e| e.get("primary") == Some(&Value::Bool(true)))
            .or(list.first())
            .and_then(|e| text(e, "email"))
    });
    let verified = list
        .iter()
        .find(|e| email.is_some() && text(e, "email") == email)
        .is_some_and(|e| e.get("verified") == Some(&Value::Bool(true)));
    (email, verified)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hidden_email_is_the_primary_one_and_its_verification_counts() {
        let emails = json!([
            {"email": "old@example.com", "primary": false, "verified": true},
            {"email": "main@example.com", "primary": true, "verified": true}
        ]);
        assert_eq!(
            primary_email(None, &emails),
            (Some("main@example.com".into()), true)
        );
        assert_eq!(
            primary_email(Some("other@example.com"), &emails),
            (Some("other@example.com".into()), false)
        );
        let user = SPEC
            .map
            .map(&json!({"id": 42, "login": "octo", "name": null}))
            .unwrap();
        assert_eq!((user.id.as_str(), user.name.as_str()), ("42", "octo"));
    }
}
