//! OAuth 2.0 mechanics as Better Auth 1.7.25 performs them (`@better-auth/core/oauth2`): the
//! authorization URL (RFC 6749 §4.1.1 with PKCE S256, RFC 7636 §4.2), the code exchange
//! (§4.1.3) and refresh (§6), and the user-info fetch. Requests are built here and sent through
//! the host's [`HttpClient`].

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use bytes::Bytes;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Cache, Endpoints, ProfileSource, Provider, TokenAuth, Tokens, UserInfo};
use crate::net::HttpClient;
use crate::time::Millis;

/// RFC 7636 §4.2: `BASE64URL(SHA256(code_verifier))`, no padding.
pub fn code_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// What one authorization request asks for.
#[derive(Debug, Default)]
pub struct AuthorizationRequest<'a> {
    /// The state (`auth-state:<state>`).
    pub state: &'a str,
    /// PKCE code verifier (only sent, as its challenge, to providers that take PKCE).
    pub code_verifier: &'a str,
    /// `<baseURL>/callback/<id>` (the provider's `redirectURI` option wins).
    pub redirect_uri: &'a str,
    /// Scopes added by the sign-in request.
    pub scopes: &'a [String],
    /// `login_hint`.
    pub login_hint: Option<&'a str>,
    /// `additionalParams` of the sign-in request (reserved names were refused before).
    pub additional_params: &'a [(String, String)],
}

/// Parameters Better Auth never lets `additionalParams` set.
pub const RESERVED_PARAMS: &[&str] = &[
    "state",
    "client_id",
    "redirect_uri",
    "response_type",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "scope",
];

/// The provider's authorization URL, parameters in Better Auth's order.
pub fn authorization_url(
    provider: &Provider,
    endpoints: &Endpoints,
    request: &AuthorizationRequest,
) -> String {
    let spec = provider.spec;
    let options = &provider.options;
    let mut scopes: Vec<&str> = if options.disable_default_scope {
        Vec::new()
    } else {
        spec.scopes.to_vec()
    };
    scopes.extend(options.scope.iter().map(String::as_str));
    scopes.extend(request.scopes.iter().map(String::as_str));
    let response_type = if spec.id == "apple" {
        "code id_token"
    } else {
        "code"
    };
    let mut params: Vec<(&str, String)> = vec![
        ("response_type", response_type.to_owned()),
        ("client_id", provider.client_id().to_owned()),
        ("state", request.state.to_owned()),
    ];
    if !scopes.is_empty() {
        params.push(("scope", scopes.join(spec.scope_joiner)));
    }
    params.push((
        "redirect_uri",
        options
            .redirect_uri
            .clone()
            .unwrap_or_else(|| request.redirect_uri.to_owned()),
    ));
    let optional = [
        ("display", options.display.as_deref()),
        ("login_hint", request.login_hint),
        ("prompt", options.prompt.as_deref().or(spec.prompt)),
        ("hd", options.hd.as_deref()),
        ("access_type", options.access_type.as_deref()),
    ];
    for (name, value) in optional {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            params.push((name, value.to_owned()));
        }
    }
    if spec.pkce {
        params.push(("code_challenge_method", "S256".to_owned()));
        params.push(("code_challenge", code_challenge(request.code_verifier)));
    }
    for (name, value) in spec.auth_params {
        params.push((name, (*value).to_owned()));
    }
    if spec.id == "google" && options.include_granted_scopes != Some(false) {
        params.push(("include_granted_scopes", "true".to_owned()));
    }
    // `URLSearchParams.set`: an additional parameter replaces one already there (`prompt`,
    // `hd`, `response_mode`, ...) rather than repeating it.
    for (name, value) in request.additional_params {
        if RESERVED_PARAMS.contains(&name.as_str()) {
            continue;
        }
        match params.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value.clone(),
            None => params.push((name, value.clone())),
        }
    }
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    crate::urls::append_query(&endpoints.authorization, &pairs)
}

/// One outbound request (a single instantiation of the request plumbing, which the Worker's
/// size budget notices).
fn request(
    method: http::Method,
    url: &str,
    headers: &[(&'static str, &str)],
    body: String,
) -> Result<http::Request<Bytes>, String> {
    let mut request = http::Request::new(Bytes::from(body));
    *request.method_mut() = method;
    *request.uri_mut() = url.parse().map_err(|_| format!("not a URL: {url}"))?;
    for (name, value) in headers {
        let value = http::HeaderValue::from_str(value).map_err(|_| format!("bad {name} header"))?;
        request.headers_mut().append(*name, value);
    }
    Ok(request)
}

/// A form POST to a token endpoint with the client's credentials, as the provider wants them.
fn token_request<'a>(
    provider: &'a Provider,
    endpoint: &str,
    mut form: Vec<(&'a str, &'a str)>,
) -> Result<http::Request<Bytes>, String> {
    let mut authorization = String::new();
    let secret = provider.options.client_secret.as_deref();
    match (provider.spec.token_auth, secret) {
        (TokenAuth::Basic, Some(secret)) => {
            let encode =
                |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
            let credentials = format!("{}:{}", encode(provider.client_id()), encode(secret));
            authorization = format!("Basic {}", STANDARD.encode(credentials));
        }
        (_, secret) => {
            form.push(("client_id", provider.client_id()));
            form.extend(secret.map(|s| ("client_secret", s)));
        }
    }
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut headers = vec![
        ("content-type", "application/x-www-form-urlencoded"),
        ("accept", "application/json"),
    ];
    if !authorization.is_empty() {
        headers.push(("authorization", authorization.as_str()));
    }
    request(http::Method::POST, endpoint, &headers, body)
}

/// Sends `request` and reads a JSON answer; a non-2xx status is an error.
pub async fn fetch_json(
    http: &dyn HttpClient,
    request: http::Request<Bytes>,
) -> Result<Value, String> {
    let url = request.uri().to_string();
    let response = http.send(request).await?;
    if !response.status().is_success() {
        return Err(format!("{url} answered {}", response.status()));
    }
    serde_json::from_slice(response.body()).map_err(|e| format!("{url}: not JSON ({e})"))
}

/// GETs a JSON document (JWKS, discovery), through the cache.
pub async fn cached_json(
    http: &dyn HttpClient,
    cache: &Cache,
    url: &str,
    now: Millis,
) -> Result<Value, String> {
    if let Some(value) = cache.get(url, now) {
        return Ok(value);
    }
    let request = request(
        http::Method::GET,
        url,
        &[("accept", "application/json")],
        String::new(),
    )?;
    let value = fetch_json(http, request).await?;
    cache.put(url, value.clone(), now);
    Ok(value)
}

/// The endpoints in force: the options', else the built-in ones, else discovery's.
pub async fn endpoints(
    http: &dyn HttpClient,
    cache: &Cache,
    provider: &Provider,
    now: Millis,
) -> Result<Endpoints, String> {
    let mut endpoints = provider.configured_endpoints();
    if let Some(url) = &provider.options.discovery_url {
        let doc = cached_json(http, cache, url, now).await?;
        let field = |name: &str| doc.get(name).and_then(Value::as_str).map(str::to_owned);
        let fill = |slot: &mut String, name: &str| {
            if slot.is_empty() {
                *slot = field(name).unwrap_or_default();
            }
        };
        fill(&mut endpoints.authorization, "authorization_endpoint");
        fill(&mut endpoints.token, "token_endpoint");
        fill(&mut endpoints.user_info, "userinfo_endpoint");
        fill(&mut endpoints.jwks, "jwks_uri");
        if endpoints.issuers.is_empty() {
            endpoints.issuers.extend(field("issuer"));
        }
    }
    if endpoints.authorization.is_empty() || endpoints.token.is_empty() {
        return Err(format!("provider {}: no endpoints", provider.id));
    }
    Ok(endpoints)
}

/// Better Auth's `getOAuth2Tokens`: a token response as [`Tokens`]. An `error` member (GitHub
/// answers errors with 200) or a missing access token is an error.
pub fn parse_tokens(data: &Value, now: Millis) -> Result<Tokens, String> {
    if let Some(error) = data.get("error") {
        return Err(format!("token endpoint error: {error}"));
    }
    let text = |name: &str| data.get(name).and_then(Value::as_str).map(str::to_owned);
    // Whole seconds, as providers send them (a number, or a numeric string from a few).
    let seconds = |name: &str| {
        data.get(name)
            .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
            .filter(|s| *s > 0)
            .map(|s| now + s * 1000)
    };
    let scopes = match data.get("scope") {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        _ => Vec::new(),
    };
    Ok(Tokens {
        token_type: text("token_type"),
        access_token: text("access_token"),
        refresh_token: text("refresh_token"),
        access_token_expires_at: seconds("expires_in"),
        refresh_token_expires_at: seconds("refresh_token_expires_in"),
        scopes,
        id_token: text("id_token"),
    })
}

/// Exchanges an authorization code for tokens (RFC 6749 §4.1.3; PKCE verifier where used).
pub async fn exchange_code(
    http: &dyn HttpClient,
    provider: &Provider,
    endpoints: &Endpoints,
    code: &str,
    code_verifier: &str,
    redirect_uri: &str,
    now: Millis,
) -> Result<Tokens, String> {
    let redirect_uri = provider
        .options
        .redirect_uri
        .as_deref()
        .unwrap_or(redirect_uri);
    let mut form = vec![("grant_type", "authorization_code"), ("code", code)];
    if provider.spec.pkce {
        form.push(("code_verifier", code_verifier));
    }
    form.push(("redirect_uri", redirect_uri));
    let request = token_request(provider, &endpoints.token, form)?;
    parse_tokens(&fetch_json(http, request).await?, now)
}

/// Refreshes an access token (RFC 6749 §6).
pub async fn refresh(
    http: &dyn HttpClient,
    provider: &Provider,
    endpoints: &Endpoints,
    refresh_token: &str,
    now: Millis,
) -> Result<Tokens, String> {
    let form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    let request = token_request(provider, &endpoints.token, form)?;
    let tokens = parse_tokens(&fetch_json(http, request).await?, now)?;
    if tokens.access_token.as_deref().is_none_or(str::is_empty) {
        return Err("refresh answered no access_token".to_owned());
    }
    Ok(tokens)
}

/// The claims of a JWT, unverified (Better Auth's `decodeJwt`): for an id token that came
/// straight from the token endpoint over TLS.
pub fn decode_claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice::<Value>(&bytes)
        .ok()
        .filter(Value::is_object)
}

async fn bearer_get(http: &dyn HttpClient, url: &str, token: &str) -> Result<Value, String> {
    let authorization = format!("Bearer {token}");
    let headers = [
        ("authorization", authorization.as_str()),
        ("accept", "application/json"),
        ("user-agent", "better-auth"),
    ];
    fetch_json(
        http,
        request(http::Method::GET, url, &headers, String::new())?,
    )
    .await
}

/// The user's profile after a code exchange or for `/account-info`: the mapped user and the
/// provider's raw profile. `apple_user` is the `user` field of Apple's first callback.
pub async fn user_info(
    http: &dyn HttpClient,
    provider: &Provider,
    endpoints: &Endpoints,
    tokens: &Tokens,
    apple_user: Option<&Value>,
) -> Result<(UserInfo, Value), String> {
    let access_token = tokens.access_token.as_deref().unwrap_or_default();
    let from_id_token = || {
        tokens
            .id_token
            .as_deref()
            .and_then(decode_claims)
            .ok_or_else(|| "no id token".to_owned())
    };
    let mut email_verified = None;
    let mut profile = match provider.spec.profile {
        ProfileSource::IdToken => from_id_token()?,
        ProfileSource::UserInfo if endpoints.user_info.is_empty() => from_id_token()?,
        ProfileSource::UserInfo => bearer_get(http, &endpoints.user_info, access_token).await?,
        ProfileSource::GitHub => {
            let mut profile = bearer_get(http, &endpoints.user_info, access_token).await?;
            let emails_url = format!("{}/emails", endpoints.user_info.trim_end_matches('/'));
            let emails = bearer_get(http, &emails_url, access_token)
                .await
                .unwrap_or(Value::Null);
            let shown = super::text(&profile, "email");
            let (email, verified) =
                super::providers::github::primary_email(shown.as_deref(), &emails);
            if let (Some(email), Some(map)) = (email, profile.as_object_mut()) {
                map.insert("email".to_owned(), Value::String(email));
            }
            email_verified = Some(verified);
            profile
        }
    };
    if let Some(name) = apple_user.and_then(apple_name) {
        if let Some(map) = profile.as_object_mut() {
            map.insert("name".to_owned(), Value::String(name));
        }
    }
    if let Some(hd) = provider.options.hd.as_deref() {
        let token_hd = super::text(&profile, "hd");
        if token_hd.is_none() || (hd != "*" && token_hd.as_deref() != Some(hd)) {
            return Err(format!("hosted domain {token_hd:?} is not {hd:?}"));
        }
    }
    let mut user = provider.spec.map.map(&profile).ok_or("profile has no id")?;
    if let Some(verified) = email_verified {
        user.email_verified = verified;
    }
    Ok((user, profile))
}

/// `"First Last"` from Apple's `user` field (`{"name":{"firstName","lastName"}}`).
fn apple_name(user: &Value) -> Option<String> {
    let name = user.get("name")?;
    let part = |key: &str| name.get(key).and_then(Value::as_str).unwrap_or_default();
    let full = format!("{} {}", part("firstName"), part("lastName"));
    Some(full.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::social::{providers, ProviderOptions};

    fn provider(spec: &'static crate::social::Spec) -> Provider {
        Provider {
            id: spec.id.to_owned(),
            spec,
            options: ProviderOptions {
                client_id: vec!["x".to_owned()],
                ..Default::default()
            },
        }
    }

    #[test]
    fn github_authorization_url_matches_better_auths() {
        let github = provider(&providers::github::SPEC);
        let endpoints = github.configured_endpoints();
        let url = authorization_url(
            &github,
            &endpoints,
            &AuthorizationRequest {
                state: "p8uHDce-CIaIez3aB4M2rq898fpSfr4F",
                code_verifier: "v",
                redirect_uri: "http://127.0.0.1:3100/api/auth/callback/github",
                scopes: &["repo".to_owned(), "gist".to_owned()],
                ..Default::default()
            },
        );
        assert_eq!(
            url,
            format!("https://github.com/login/oauth/authorize?response_type=code&client_id=x&state=p8uHDce-CIaIez3aB4M2rq898fpSfr4F&scope=read%3Auser+user%3Aemail+repo+gist&redirect_uri=http%3A%2F%2F127.0.0.1%3A3100%2Fapi%2Fauth%2Fcallback%2Fgithub&code_challenge_method=S256&code_challenge={}", code_challenge("v"))
        );
        let google = provider(&providers::google::SPEC);
        let url = authorization_url(
            &google,
            &google.configured_endpoints(),
            &AuthorizationRequest {
                state: "s",
                code_verifier: "v",
                redirect_uri: "http://h/api/auth/callback/google",
                ..Default::default()
            },
        );
        assert!(url.starts_with("https://accounts.google.com/o/oauth2/v2/auth?response_type=code&client_id=x&state=s&scope=email+profile+openid&redirect_uri="));
        assert!(url.ends_with("&include_granted_scopes=true"));
        let discord = provider(&providers::discord::SPEC);
        let params = [
            ("prompt".to_owned(), "consent".to_owned()),
            ("extra".to_owned(), "1".to_owned()),
        ];
        let url = authorization_url(
            &discord,
            &discord.configured_endpoints(),
            &AuthorizationRequest {
                state: "s",
                redirect_uri: "http://h/api/auth/callback/discord",
                additional_params: &params,
                ..Default::default()
            },
        );
        assert!(
            url.contains("&prompt=consent&extra=1") && !url.contains("prompt=none"),
            "additional parameters replace the provider's: {url}"
        );
    }

    #[test]
    fn token_responses_become_tokens_and_errors_are_refused() {
        let tokens = parse_tokens(
            &serde_json::json!({"access_token":"a","token_type":"bearer","scope":"read:user user:email","expires_in":3600}),
            1_000,
        )
        .unwrap();
        assert_eq!(tokens.access_token.as_deref(), Some("a"));
        assert_eq!(tokens.scopes, ["read:user", "user:email"]);
        assert_eq!(tokens.access_token_expires_at, Some(3_601_000));
        assert!(parse_tokens(&serde_json::json!({"error":"bad_verification_code"}), 0).is_err());
    }

    #[test]
    fn basic_providers_send_credentials_in_the_header_and_post_ones_in_the_form() {
        let mut figma = provider(&providers::figma::SPEC);
        figma.options.client_secret = Some("s&1".to_owned());
        let request = token_request(&figma, "https://t.test/token", vec![("code", "c")]).unwrap();
        assert_eq!(
            request.headers()["authorization"],
            format!("Basic {}", STANDARD.encode("x:s%261"))
        );
        assert_eq!(&request.body()[..], b"code=c");
        let mut github = provider(&providers::github::SPEC);
        github.options.client_secret = Some("s".to_owned());
        let request = token_request(&github, "https://t.test/token", vec![("code", "c")]).unwrap();
        assert!(request.headers().get("authorization").is_none());
        assert_eq!(&request.body()[..], b"code=c&client_id=x&client_secret=s");
        assert_eq!(
            request.headers()["content-type"],
            "application/x-www-form-urlencoded"
        );
    }

    #[test]
    fn pkce_challenge_is_rfc_7636_appendix_b() {
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
