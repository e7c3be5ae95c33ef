//! Social sign-on: OAuth 2.0 / OpenID Connect providers as data.
//!
//! A provider is a [`Spec`] (endpoints, default scopes, how its token endpoint wants the client
//! authenticated, where the profile comes from) plus a profile mapping, one small file each under
//! `providers/`. The configuration (`socialProviders`, Better Auth's option names) picks the
//! providers and may override their endpoints ([`ProviderOptions`]); a name that is not built in
//! becomes a generic OpenID Connect provider configured by `discoveryUrl` or explicit endpoints.
//!
//! The mechanics ([`oauth2`]: authorization URL, code exchange, refresh, user info; [`state`]:
//! the `auth-state:<state>` verification row and the signed `state` cookie; [`id_token`]: JWT
//! checks against the provider's JWKS) are pure functions over `http` types plus calls through
//! the host's `HttpClient`. What it does not do: Better Auth's `mapProfileToUser` and other
//! callbacks (configuration is JSON), the cookie state strategy, and encrypted token storage.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde_json::Value;

use crate::config::read::Opts;
use crate::time::Millis;

pub mod id_token;
pub mod oauth2;
pub mod providers;
pub mod state;

/// `socialProviders.<id>`: Better Auth's provider options, plus Portcullis' endpoint overrides.
///
/// Read by hand from JSON (`crate::config::read::Opts`) rather than derived: a derived
/// deserializer for this many options costs the Worker about 10 KB of wasm.
#[derive(Debug, Clone, Default)]
pub struct ProviderOptions {
    /// OAuth client id; a list for providers whose id tokens may carry any of several audiences
    /// (the first is used in requests).
    pub client_id: Vec<String>,
    /// OAuth client secret (for Apple: the ES256 JWT that `portcullis apple-secret` makes).
    pub client_secret: Option<String>,
    /// Scopes requested on top of the provider's defaults.
    pub scope: Vec<String>,
    /// `redirectURI`: overrides `<baseURL>/callback/<id>`.
    pub redirect_uri: Option<String>,
    /// Request only `scope` (and the sign-in's `scopes`), not the provider's defaults.
    pub disable_default_scope: bool,
    /// `prompt` parameter of the authorization request.
    pub prompt: Option<String>,
    /// `access_type` (Google: `offline` for a refresh token).
    pub access_type: Option<String>,
    /// `display` parameter (Google, Facebook).
    pub display: Option<String>,
    /// Google's hosted domain: `hd` in the request and required in the id token (`*`: any).
    pub hd: Option<String>,
    /// Google: `include_granted_scopes` (on unless `false`).
    pub include_granted_scopes: Option<bool>,
    /// Never create users through this provider.
    pub disable_sign_up: bool,
    /// Create users only when the sign-in asks for it (`requestSignUp`).
    pub disable_implicit_sign_up: bool,
    /// Refuse `idToken` sign-in for this provider.
    pub disable_id_token_sign_in: bool,
    /// Copy name, image and email from the provider on every sign-in.
    pub override_user_info_on_sign_in: bool,
    /// Apple: the app's bundle id, accepted as an id-token audience besides `clientId`.
    pub app_bundle_identifier: Option<String>,
    /// Microsoft: the tenant (`common`, `organizations`, `consumers` or a tenant id).
    pub tenant_id: Option<String>,
    /// Display name (generic providers).
    pub name: Option<String>,
    /// `discoveryUrl`, generic OpenID Connect: the discovery document
    /// (`https://issuer.example/.well-known/openid-configuration`).
    pub discovery_url: Option<String>,
    /// Portcullis: the authorization endpoint (Better Auth's option of the same name).
    pub authorization_endpoint: Option<String>,
    /// Portcullis: the token endpoint (tests point it at a local identity provider).
    pub token_endpoint: Option<String>,
    /// Portcullis: the user-info endpoint (GitHub's e-mail list is `<this>/emails`).
    pub user_info_endpoint: Option<String>,
    /// Portcullis: where the provider publishes its signing keys (JWKS).
    pub jwks_endpoint: Option<String>,
    /// Portcullis: the `iss` its id tokens carry.
    pub issuer: Option<String>,
}

impl ProviderOptions {
    /// Reads `socialProviders.<id>`.
    pub(crate) fn read(o: &mut Opts) -> Self {
        ProviderOptions {
            client_id: o.texts("clientId"),
            client_secret: o.string("clientSecret"),
            scope: o.texts("scope"),
            redirect_uri: o.string("redirectURI"),
            disable_default_scope: o.bool("disableDefaultScope", false),
            prompt: o.string("prompt"),
            access_type: o.string("accessType"),
            display: o.string("display"),
            hd: o.string("hd"),
            include_granted_scopes: o.opt_bool("includeGrantedScopes"),
            disable_sign_up: o.bool("disableSignUp", false),
            disable_implicit_sign_up: o.bool("disableImplicitSignUp", false),
            disable_id_token_sign_in: o.bool("disableIdTokenSignIn", false),
            override_user_info_on_sign_in: o.bool("overrideUserInfoOnSignIn", false),
            app_bundle_identifier: o.string("appBundleIdentifier"),
            tenant_id: o.string("tenantId"),
            name: o.string("name"),
            discovery_url: o.string("discoveryUrl"),
            authorization_endpoint: o.string("authorizationEndpoint"),
            token_endpoint: o.string("tokenEndpoint"),
            user_info_endpoint: o.string("userInfoEndpoint"),
            jwks_endpoint: o.string("jwksEndpoint"),
            issuer: o.string("issuer"),
        }
    }
}

/// `account` options.
#[derive(Debug, Clone)]
pub struct AccountOptions {
    /// `accountLinking`.
    pub account_linking: AccountLinking,
    /// Better Auth's `encryptOAuthTokens` (off by default, as in 1.7.25): not supported yet, so
    /// `true` is refused at start-up rather than silently storing plain tokens.
    pub encrypt_oauth_tokens: bool,
    /// `updateAccountOnSignIn`: refresh the stored tokens on every sign-in (on).
    pub update_account_on_sign_in: bool,
}

impl AccountOptions {
    /// Reads `account`.
    pub(crate) fn read(o: &mut Opts) -> Self {
        AccountOptions {
            account_linking: o
                .with("accountLinking", AccountLinking::read)
                .unwrap_or_default(),
            encrypt_oauth_tokens: o.bool("encryptOAuthTokens", false),
            update_account_on_sign_in: o.bool("updateAccountOnSignIn", true),
        }
    }
}

impl AccountLinking {
    fn read(o: &mut Opts) -> Self {
        let d = AccountLinking::default();
        AccountLinking {
            enabled: o.bool("enabled", d.enabled),
            trusted_providers: o.texts("trustedProviders"),
            allow_different_emails: o.bool("allowDifferentEmails", false),
            allow_unlinking_all: o.bool("allowUnlinkingAll", false),
            require_local_email_verified: o
                .bool("requireLocalEmailVerified", d.require_local_email_verified),
            disable_implicit_linking: o.bool("disableImplicitLinking", false),
            update_user_info_on_link: o.bool("updateUserInfoOnLink", false),
        }
    }
}

impl Default for AccountOptions {
    fn default() -> Self {
        AccountOptions {
            account_linking: AccountLinking::default(),
            encrypt_oauth_tokens: false,
            update_account_on_sign_in: true,
        }
    }
}

/// `account.accountLinking`.
#[derive(Debug, Clone)]
pub struct AccountLinking {
    /// Linking at all (on).
    pub enabled: bool,
    /// Providers whose e-mail addresses are trusted even when they say unverified.
    pub trusted_providers: Vec<String>,
    /// Link accounts whose e-mail differs from the user's.
    pub allow_different_emails: bool,
    /// Allow unlinking the last account.
    pub allow_unlinking_all: bool,
    /// Link implicitly only to users whose own e-mail is verified (on).
    pub require_local_email_verified: bool,
    /// Never link on sign-in; only through `/link-social`.
    pub disable_implicit_linking: bool,
    /// Copy name and image from a newly linked provider.
    pub update_user_info_on_link: bool,
}

impl Default for AccountLinking {
    fn default() -> Self {
        AccountLinking {
            enabled: true,
            trusted_providers: Vec::new(),
            allow_different_emails: false,
            allow_unlinking_all: false,
            require_local_email_verified: true,
            disable_implicit_linking: false,
            update_user_info_on_link: false,
        }
    }
}

/// How a token endpoint wants the client to authenticate (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenAuth {
    /// `client_id` and `client_secret` in the form body (`client_secret_post`).
    Post,
    /// HTTP Basic (`client_secret_basic`).
    Basic,
}

/// Where the user's profile comes from after the code exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileSource {
    /// `GET <userInfoEndpoint>` with the access token as a Bearer token.
    UserInfo,
    /// The claims of the id token the token endpoint returned (Google, Apple).
    IdToken,
    /// GitHub: `/user`, then `/user/emails` for the primary address and its verification.
    GitHub,
}

/// A built-in provider: everything about it except the deployment's options.
#[derive(Debug)]
pub struct Spec {
    /// Provider id (`github`), the `:provider` of `/callback/:provider`.
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Authorization endpoint.
    pub authorization_endpoint: &'static str,
    /// Token endpoint.
    pub token_endpoint: &'static str,
    /// User-info endpoint (empty where the profile comes from the id token).
    pub user_info_endpoint: &'static str,
    /// JWKS (empty: no id-token sign-in).
    pub jwks_endpoint: &'static str,
    /// Accepted `iss` values of its id tokens.
    pub issuers: &'static [&'static str],
    /// Default scopes.
    pub scopes: &'static [&'static str],
    /// How scopes are joined (`" "`; a few providers want `","`).
    pub scope_joiner: &'static str,
    /// Whether the authorization request carries a PKCE S256 challenge.
    pub pkce: bool,
    /// Default `prompt`.
    pub prompt: Option<&'static str>,
    /// Extra authorization parameters, after Better Auth's.
    pub auth_params: &'static [(&'static str, &'static str)],
    /// Client authentication at the token endpoint.
    pub token_auth: TokenAuth,
    /// Where the profile comes from.
    pub profile: ProfileSource,
    /// How the profile becomes a user ([`UserInfo`]).
    pub map: Mapping,
    /// Whether `idToken` sign-in is supported (Google, Apple, OIDC).
    pub id_token_sign_in: bool,
}

impl Spec {
    /// The common case, for `..Spec::DEFAULTS` in provider files: no id token, user info by
    /// Bearer GET, client secret in the form, no PKCE, OpenID Connect claim names.
    pub const DEFAULTS: Spec = Spec {
        id: "",
        name: "",
        authorization_endpoint: "",
        token_endpoint: "",
        user_info_endpoint: "",
        jwks_endpoint: "",
        issuers: &[],
        scopes: &[],
        scope_joiner: " ",
        pkce: false,
        prompt: None,
        auth_params: &[],
        token_auth: TokenAuth::Post,
        profile: ProfileSource::UserInfo,
        map: Mapping::Fields(OIDC_CLAIMS),
        id_token_sign_in: false,
    };
}

/// Where a profile keeps the user's fields, as dotted paths (`picture.data.url`,
/// `images.0.url`); of several paths the first present wins.
#[derive(Debug, Clone, Copy)]
pub struct ProfileFields {
    /// The provider's user id (`account.accountId`); required.
    pub id: &'static [&'static str],
    /// Display name.
    pub name: &'static [&'static str],
    /// E-mail address.
    pub email: &'static [&'static str],
    /// The e-mail's verification flag; `""`: the provider's addresses never count as verified.
    pub email_verified: &'static str,
    /// Avatar URL.
    pub image: &'static [&'static str],
}

/// OpenID Connect's standard claims.
pub const OIDC_CLAIMS: ProfileFields = ProfileFields {
    id: &["sub"],
    name: &["name", "preferred_username"],
    email: &["email"],
    email_verified: "email_verified",
    image: &["picture"],
};

/// A profile mapping: data for most providers, code for the few with rules.
#[derive(Debug, Clone, Copy)]
pub enum Mapping {
    /// Fields at paths.
    Fields(ProfileFields),
    /// A function (`None` when the profile is refused or lacks an id).
    Custom(fn(&Value) -> Option<UserInfo>),
}

impl Mapping {
    /// The user a profile describes; `None` without an id.
    pub fn map(&self, profile: &Value) -> Option<UserInfo> {
        let fields = match self {
            Mapping::Custom(map) => return map(profile),
            Mapping::Fields(fields) => fields,
        };
        let first = |paths: &[&str]| paths.iter().find_map(|p| text(profile, p));
        Some(UserInfo {
            id: first(fields.id)?,
            name: first(fields.name).unwrap_or_default(),
            email: first(fields.email),
            email_verified: !fields.email_verified.is_empty()
                && flag(profile, fields.email_verified),
            image: first(fields.image),
        })
    }
}

/// What a provider says about the user.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserInfo {
    /// The provider's id of the user (`account.accountId`).
    pub id: String,
    /// Display name ("" when none).
    pub name: String,
    /// E-mail address, if shared.
    pub email: Option<String>,
    /// Whether the provider verified the address.
    pub email_verified: bool,
    /// Avatar URL.
    pub image: Option<String>,
}

/// Tokens from a code exchange or a refresh (Better Auth's `getOAuth2Tokens`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tokens {
    /// `token_type`.
    pub token_type: Option<String>,
    /// `access_token`.
    pub access_token: Option<String>,
    /// `refresh_token`.
    pub refresh_token: Option<String>,
    /// `now + expires_in`.
    pub access_token_expires_at: Option<Millis>,
    /// `now + refresh_token_expires_in`.
    pub refresh_token_expires_at: Option<Millis>,
    /// `scope`, split on whitespace.
    pub scopes: Vec<String>,
    /// `id_token`.
    pub id_token: Option<String>,
}

/// A configured provider: its spec and the deployment's options.
#[derive(Debug)]
pub struct Provider {
    /// Provider id as configured.
    pub id: String,
    /// Built-in defaults ([`providers::oidc::SPEC`] for generic providers).
    pub spec: &'static Spec,
    /// The deployment's options.
    pub options: ProviderOptions,
}

/// Endpoints in force for one provider (options over spec, or from discovery).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// Authorization endpoint.
    pub authorization: String,
    /// Token endpoint.
    pub token: String,
    /// User-info endpoint ("" when none).
    pub user_info: String,
    /// JWKS URI ("" when none).
    pub jwks: String,
    /// Accepted issuers.
    pub issuers: Vec<String>,
}

impl Provider {
    /// The client id requests carry.
    pub fn client_id(&self) -> &str {
        self.options.client_id.first().map_or("", String::as_str)
    }

    /// Accepted id-token audiences: every client id, and Apple's app bundle id.
    pub fn audiences(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.options.client_id.iter().map(String::as_str).collect();
        out.extend(self.options.app_bundle_identifier.as_deref());
        out
    }

    /// Whether the configured options name explicit endpoints (no discovery needed).
    fn configured_endpoints(&self) -> Endpoints {
        let pick = |option: &Option<String>, default: &str| {
            option.clone().unwrap_or_else(|| self.tenant(default))
        };
        let issuers = match &self.options.issuer {
            Some(issuer) => vec![issuer.clone()],
            None => self.spec.issuers.iter().map(|i| self.tenant(i)).collect(),
        };
        Endpoints {
            authorization: pick(
                &self.options.authorization_endpoint,
                self.spec.authorization_endpoint,
            ),
            token: pick(&self.options.token_endpoint, self.spec.token_endpoint),
            user_info: pick(
                &self.options.user_info_endpoint,
                self.spec.user_info_endpoint,
            ),
            jwks: pick(&self.options.jwks_endpoint, self.spec.jwks_endpoint),
            issuers,
        }
    }

    /// `{tenant}` in a Microsoft endpoint, from `tenantId` (`common`).
    fn tenant(&self, template: &str) -> String {
        template.replace(
            "{tenant}",
            self.options.tenant_id.as_deref().unwrap_or("common"),
        )
    }
}

/// A small per-process (per-isolate) cache of fetched JSON documents: JWKS and discovery
/// documents. Entries live [`CACHE_TTL_MS`]; a failed fetch is not cached.
#[derive(Debug, Default)]
pub struct Cache(RefCell<Vec<(String, Millis, Value)>>);

/// How long a fetched JWKS or discovery document is reused: one hour.
pub const CACHE_TTL_MS: Millis = 3_600_000;

impl Cache {
    /// The cached document for `url`, if fresh.
    pub fn get(&self, url: &str, now: Millis) -> Option<Value> {
        self.0
            .borrow()
            .iter()
            .find(|(u, expires, _)| u == url && *expires > now)
            .map(|(_, _, v)| v.clone())
    }

    /// Keeps `value` for `url`.
    pub fn put(&self, url: &str, value: Value, now: Millis) {
        self.forget(url);
        self.0
            .borrow_mut()
            .push((url.to_owned(), now + CACHE_TTL_MS, value));
    }

    /// Forgets `url` (a key id the cached set does not have: the provider rotated its keys).
    pub fn forget(&self, url: &str) {
        self.0.borrow_mut().retain(|(u, _, _)| u != url);
    }
}

/// The configured providers and their caches, built once with the [`crate::Auth`].
#[derive(Debug, Default)]
pub struct Social {
    /// Providers, in configuration order.
    pub providers: Vec<Provider>,
    /// Fetched JWKS and discovery documents.
    pub cache: Cache,
}

impl Social {
    /// Resolves `socialProviders`. Unknown names need `discoveryUrl` or explicit endpoints.
    pub fn new(
        options: &BTreeMap<String, ProviderOptions>,
        account: &AccountOptions,
    ) -> Result<Social, String> {
        if account.encrypt_oauth_tokens {
            return Err("account.encryptOAuthTokens is not supported yet".to_owned());
        }
        let mut providers = Vec::new();
        for (id, options) in options {
            let spec = match providers::find(id) {
                Some(spec) => spec,
                None if options.discovery_url.is_some()
                    || (options.authorization_endpoint.is_some()
                        && options.token_endpoint.is_some()) =>
                {
                    &providers::oidc::SPEC
                }
                None => {
                    return Err(format!(
                        "socialProviders.{id}: not a built-in provider; give discoveryUrl or authorizationEndpoint and tokenEndpoint"
                    ))
                }
            };
            if options.client_id.first().is_none_or(|c| c.is_empty()) {
                return Err(format!("socialProviders.{id}.clientId is required"));
            }
            providers.push(Provider {
                id: id.clone(),
                spec,
                options: options.clone(),
            });
        }
        Ok(Social {
            providers,
            cache: Cache::default(),
        })
    }

    /// The provider with this id.
    pub fn find(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.id == id)
    }
}

/// The value at a dotted path (`"name"`, `"data.email"`, `"images.0.url"`).
fn at<'a>(profile: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(profile, |value, key| match value {
        Value::Array(list) => list.get(key.parse::<usize>().ok()?),
        _ => value.get(key),
    })
}

/// A non-empty string at a dotted path (see [`at`]), numbers as text.
pub fn text(profile: &Value, path: &str) -> Option<String> {
    match at(profile, path)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A boolean at a dotted path, also when sent as `"true"` (Apple, some OIDC providers) or `1`.
pub fn flag(profile: &Value, path: &str) -> bool {
    match at(profile, path) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_options_read_better_auth_names_and_refuse_unknown_or_mistyped_ones() {
        let config = crate::Config::from_json(
            r#"{"socialProviders":{"github":{"clientId":"id","clientSecret":"s","scope":["repo"],"redirectURI":"https://x.test/cb"},"google":{"clientId":["web","ios"],"hd":"example.com"}},"account":{"accountLinking":{"trustedProviders":["google"],"allowUnlinkingAll":true}}}"#,
        )
        .unwrap();
        let github = &config.social_providers["github"];
        assert_eq!(github.client_id, ["id"]);
        assert_eq!(github.scope, ["repo"]);
        assert_eq!(github.redirect_uri.as_deref(), Some("https://x.test/cb"));
        assert_eq!(config.social_providers["google"].client_id, ["web", "ios"]);
        let linking = &config.account.account_linking;
        assert_eq!(linking.trusted_providers, ["google"]);
        assert!(linking.allow_unlinking_all && linking.require_local_email_verified);
        let error = |json: &str| crate::Config::from_json(json).unwrap_err();
        assert!(error(r#"{"socialProviders":{"github":{"clientID":"x"}}}"#).contains("clientID"));
        assert!(error(r#"{"socialProviders":{"github":{"clientId":1}}}"#).contains("clientId"));
        assert!(error(r#"{"account":{"accountLinking":{"trusted":[]}}}"#).contains("trusted"));
        let social = |json: &str| {
            let config = crate::Config::from_json(json).unwrap();
            Social::new(&config.social_providers, &config.account).map(|_| ())
        };
        assert!(social(r#"{"socialProviders":{"myspace":{"clientId":"x"}}}"#).is_err());
        assert!(social(r#"{"socialProviders":{"github":{}}}"#).is_err());
        assert!(social(r#"{"account":{"encryptOAuthTokens":true}}"#).is_err());
        assert!(social(r#"{"socialProviders":{"acme":{"clientId":"x","discoveryUrl":"https://idp.test/.well-known/openid-configuration"}}}"#).is_ok());
    }
}
