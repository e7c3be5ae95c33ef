//! Social sign-on in process, with an identity provider answering the host's outbound HTTP
//! (the over-the-network protocol is proven by tests/client/social.test.mjs against
//! tests/client/fake-idp.mjs). Here: the round trips of a callback, PKCE as the provider checks
//! it, and ES256 id tokens verified by the native JWS implementation with the JWKS cached.

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use bytes::Bytes;
use common::InProcess;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use sha2::{Digest, Sha256};

/// What the provider saw and holds.
#[derive(Default)]
struct IdpState {
    challenge: RefCell<String>,
    jwks_fetches: Cell<u32>,
    token_requests: RefCell<Vec<String>>,
}

/// A provider at `https://idp.test` answering GitHub-shaped APIs and a JWKS.
struct FakeIdp(Rc<IdpState>);

fn key() -> SigningKey {
    SigningKey::from_bytes(&[9u8; 32].into()).unwrap()
}

fn jwks() -> serde_json::Value {
    let point = key().verifying_key().to_encoded_point(false);
    serde_json::json!({"keys": [{
        "kty": "EC", "crv": "P-256", "kid": "es1", "alg": "ES256",
        "x": URL_SAFE_NO_PAD.encode(point.x().unwrap()),
        "y": URL_SAFE_NO_PAD.encode(point.y().unwrap()),
    }]})
}

fn es256(claims: &serde_json::Value, kid: &str) -> String {
    let header = serde_json::json!({"alg": "ES256", "kid": kid});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature: Signature = key().sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

#[async_trait::async_trait(?Send)]
impl portcullis::net::HttpClient for FakeIdp {
    async fn send(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, String> {
        let answer = |status: u16, body: serde_json::Value| {
            Ok(http::Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(Bytes::from(body.to_string()))
                .unwrap())
        };
        let path = request.uri().path().to_owned();
        match path.as_str() {
            "/token" => {
                let form = String::from_utf8(request.body().to_vec()).unwrap();
                self.0.token_requests.borrow_mut().push(form.clone());
                let verifier = form_urlencoded::parse(form.as_bytes())
                    .find(|(k, _)| k == "code_verifier")
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
                if challenge != *self.0.challenge.borrow() {
                    return answer(400, serde_json::json!({"error": "invalid_grant"}));
                }
                answer(
                    200,
                    serde_json::json!({"access_token": "at", "token_type": "bearer", "scope": "read:user,user:email"}),
                )
            }
            "/user" => answer(
                200,
                serde_json::json!({"id": 4242, "login": "octo", "name": null, "email": null, "avatar_url": "https://idp.test/a.png"}),
            ),
            "/user/emails" => answer(
                200,
                serde_json::json!([{"email": "octo@example.com", "primary": true, "verified": true}]),
            ),
            "/jwks" => {
                self.0.jwks_fetches.set(self.0.jwks_fetches.get() + 1);
                answer(200, jwks())
            }
            _ => answer(404, serde_json::json!({})),
        }
    }
}

const CONFIG: &str = r#"{"socialProviders":{
  "github":{"clientId":"gh","clientSecret":"s","authorizationEndpoint":"https://idp.test/authorize","tokenEndpoint":"https://idp.test/token","userInfoEndpoint":"https://idp.test/user"},
  "acme":{"clientId":"acme","authorizationEndpoint":"https://idp.test/authorize","tokenEndpoint":"https://idp.test/token","jwksEndpoint":"https://idp.test/jwks","issuer":"https://idp.test"}}}"#;

fn server() -> (InProcess, Rc<IdpState>) {
    let state = Rc::new(IdpState::default());
    let server = InProcess::with_http(Some(CONFIG), Box::new(FakeIdp(state.clone())));
    (server, state)
}

fn query(url: &str, name: &str) -> String {
    let query = url.split_once('?').unwrap().1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

#[test]
fn github_callback_signs_in_with_the_pkce_verifier_in_two_reads_two_state_queries_and_one_batch() {
    let (server, idp) = server();
    let start = server.post_json(
        "/sign-in/social",
        None,
        r#"{"provider":"github","callbackURL":"/home","disableRedirect":true}"#,
    );
    assert_eq!(start.status, 200, "{}", start.body);
    let url = start.json()["url"].as_str().unwrap().to_owned();
    *idp.challenge.borrow_mut() = query(&url, "code_challenge");
    let state = query(&url, "state");
    let cookie = start.cookie_header();

    server.sql.reset();
    let callback = server.get(
        &format!("/callback/github?code=c1&state={state}"),
        Some(&cookie),
    );
    assert_eq!(callback.status, 302, "{}", callback.body);
    assert_eq!(callback.header("location"), Some("/home"));
    // State: find + consume; then the account by key, the user by e-mail; then one batch
    // (user, account, session).
    assert_eq!(server.sql.counts(), (4, 1));
    let session = server.get("/get-session", Some(&callback.cookie_header()));
    let user = &session.json()["user"];
    assert_eq!(user["email"], "octo@example.com");
    assert_eq!(user["name"], "octo");
    assert_eq!(user["emailVerified"], true);
    let rows = server.sql_rows(
        r#"SELECT "accountId", "providerId", "accessToken", "scope" FROM "account""#,
        vec![],
    );
    assert_eq!(
        rows[0],
        vec![
            "4242".into(),
            "github".into(),
            "at".into(),
            "read:user,user:email".into()
        ]
    );
    let form = idp.token_requests.borrow()[0].clone();
    assert!(form.contains("client_id=gh") && form.contains("client_secret=s"));
}

#[test]
fn a_verifier_that_does_not_match_the_challenge_is_invalid_code() {
    let (server, idp) = server();
    let start = server.post_json(
        "/sign-in/social",
        None,
        r#"{"provider":"github","disableRedirect":true}"#,
    );
    let url = start.json()["url"].as_str().unwrap().to_owned();
    *idp.challenge.borrow_mut() = "not-the-challenge".into();
    let callback = server.get(
        &format!("/callback/github?code=c&state={}", query(&url, "state")),
        Some(&start.cookie_header()),
    );
    assert_eq!(
        callback.header("location"),
        Some("http://127.0.0.1:3100/api/auth/error?error=invalid_code")
    );
}

fn claims(server: &InProcess, extra: serde_json::Value) -> serde_json::Value {
    let now = server.clock.0.get() / 1000;
    let mut claims = serde_json::json!({"iss": "https://idp.test", "aud": "acme", "sub": "u1",
        "email": "es@example.com", "email_verified": true, "iat": now, "exp": now + 600});
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    claims
}

#[test]
fn es256_id_tokens_verify_natively_the_jwks_is_cached_and_refetched_for_an_unknown_key() {
    let (server, idp) = server();
    let sign_in = |token: &str| {
        server.post_json(
            "/sign-in/social",
            None,
            &format!(r#"{{"provider":"acme","idToken":{{"token":"{token}"}}}}"#),
        )
    };
    let ok = sign_in(&es256(&claims(&server, serde_json::json!({})), "es1"));
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["user"]["email"], "es@example.com");
    let again = sign_in(&es256(&claims(&server, serde_json::json!({})), "es1"));
    assert_eq!(again.status, 200);
    assert_eq!(idp.jwks_fetches.get(), 1, "the JWKS is cached");

    let mut tampered = es256(&claims(&server, serde_json::json!({})), "es1");
    let flipped = if tampered.ends_with('A') { 'B' } else { 'A' };
    tampered.pop();
    tampered.push(flipped);
    let bad = sign_in(&tampered);
    assert_eq!(bad.status, 401);
    assert_eq!(bad.json()["code"], "INVALID_TOKEN");

    let unknown = sign_in(&es256(&claims(&server, serde_json::json!({})), "rotated"));
    assert_eq!(unknown.status, 401);
    assert_eq!(
        idp.jwks_fetches.get(),
        2,
        "an unknown key id refetches once"
    );

    let wrong_aud = sign_in(&es256(
        &claims(&server, serde_json::json!({"aud": "other"})),
        "es1",
    ));
    assert_eq!(wrong_aud.status, 401);
    server.clock.advance_seconds(700);
    let expired = sign_in(&es256(
        &claims(
            &server,
            serde_json::json!({"exp": server.clock.0.get() / 1000 - 60}),
        ),
        "es1",
    ));
    assert_eq!(expired.status, 401);
}

#[test]
fn gate_sign_in_page_links_each_provider_and_the_link_starts_its_flow() {
    let config = r#"{"gate":{"enabled":true,"origin":"http://127.0.0.1:9"},"socialProviders":{
      "github":{"clientId":"gh","clientSecret":"s","authorizationEndpoint":"https://idp.test/authorize"}}}"#;
    let server = InProcess::with_http(Some(config), Box::new(FakeIdp(Rc::default())));
    let page = server.request("GET", "/_auth/sign-in?callbackURL=%2Fmembers", &[], None);
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(
            r#"<a class="provider" href="/_auth/social/github?callbackURL=%2Fmembers">Continue with GitHub</a>"#
        ),
        "{}",
        page.body
    );
    let start = server.request(
        "GET",
        "/_auth/social/github?callbackURL=%2Fmembers",
        &[],
        None,
    );
    assert_eq!(start.status, 302, "{}", start.body);
    let location = start.header("location").unwrap();
    assert!(
        location.starts_with("https://idp.test/authorize?"),
        "{location}"
    );
    assert_eq!(
        query(location, "redirect_uri"),
        "http://127.0.0.1:3100/api/auth/callback/github"
    );
    assert!(start.cookie_value("better-auth.state").is_some());
    let unknown = server.request("GET", "/_auth/social/myspace", &[], None);
    assert_eq!(unknown.status, 404);
}

#[test]
fn additional_data_cannot_set_the_flows_own_state_keys() {
    let (server, idp) = server();
    let victim = server.sign_up("victim@example.com");
    assert_eq!(victim.status, 200, "{}", victim.body);
    let victim_id = victim.json()["user"]["id"].as_str().unwrap().to_owned();
    // A sign-in whose additionalData tries to turn the flow into a link to someone else's user
    // and to send new users to an untrusted site (neither went through the callback URL check).
    let start = server.post_json(
        "/sign-in/social",
        None,
        &format!(
            r#"{{"provider":"github","callbackURL":"/home","disableRedirect":true,"additionalData":{{"link":{{"userId":"{victim_id}","email":"octo@example.com"}},"newUserURL":"https://evil.example/welcome","errorURL":"https://evil.example/error","plan":"pro"}}}}"#
        ),
    );
    assert_eq!(start.status, 200, "{}", start.body);
    let url = start.json()["url"].as_str().unwrap().to_owned();
    let state = query(&url, "state");
    let rows = server.sql_rows(
        r#"SELECT "value" FROM "verification" WHERE "identifier" = ?"#,
        vec![format!("auth-state:{state}").into()],
    );
    let stored: serde_json::Value = match &rows[0][0] {
        portcullis::Value::Text(text) => serde_json::from_str(text).unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(stored["plan"], "pro", "other additional data is kept");
    assert!(stored.get("link").is_none(), "{stored}");
    assert!(stored.get("newUserURL").is_none(), "{stored}");
    assert!(stored.get("errorURL").is_none(), "{stored}");

    *idp.challenge.borrow_mut() = query(&url, "code_challenge");
    let callback = server.get(
        &format!("/callback/github?code=c1&state={state}"),
        Some(&start.cookie_header()),
    );
    assert_eq!(callback.status, 302, "{}", callback.body);
    assert_eq!(callback.header("location"), Some("/home"));
    let owners = server.sql_rows(
        r#"SELECT "userId" FROM "account" WHERE "providerId" = 'github'"#,
        vec![],
    );
    assert_eq!(owners.len(), 1);
    assert_ne!(
        owners[0][0],
        victim_id.as_str().into(),
        "not linked to the victim"
    );
}

#[test]
fn id_tokens_with_alg_none_hs256_or_an_algorithm_the_key_does_not_have_are_refused() {
    let (server, _idp) = server();
    let claims = claims(&server, serde_json::json!({}));
    let unsigned = |header: serde_json::Value, signature: &[u8]| {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            URL_SAFE_NO_PAD.encode(signature)
        )
    };
    // The JWKS's public key used as an HMAC secret (the classic algorithm confusion).
    let public = jwks()["keys"][0]["x"].as_str().unwrap().to_owned();
    let hs256 = {
        use hmac::Mac;
        let header = serde_json::json!({"alg": "HS256", "kid": "es1"});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut mac = hmac::Hmac::<Sha256>::new_from_slice(public.as_bytes()).unwrap();
        mac.update(input.as_bytes());
        format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    };
    // An RS256 header over the EC key's valid ES256 signature.
    let es = es256(&claims, "es1");
    let (_, rest) = es.split_once('.').unwrap();
    let rs256_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"es1"}"#);
    let cases = [
        (
            "alg none",
            unsigned(serde_json::json!({"alg": "none"}), b""),
        ),
        (
            "alg none with kid",
            unsigned(serde_json::json!({"alg": "none", "kid": "es1"}), b""),
        ),
        ("HS256 keyed with the public key", hs256),
        ("RS256 over an EC key", format!("{rs256_header}.{rest}")),
        ("two parts", es.rsplit_once('.').unwrap().0.to_owned()),
        ("garbage", "a.b.c".to_owned()),
    ];
    for (name, token) in cases {
        let answer = server.post_json(
            "/sign-in/social",
            None,
            &serde_json::json!({"provider": "acme", "idToken": {"token": token}}).to_string(),
        );
        assert_eq!(answer.status, 401, "{name}: {}", answer.body);
        assert_eq!(answer.json()["code"], "INVALID_TOKEN", "{name}");
        assert!(answer.cookie_value("better-auth.session_token").is_none());
    }
}
