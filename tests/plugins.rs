//! Plugins: the public plugin API (through the example plugin in `examples/sign_in_count/`), and
//! the built-in username and bearer plugins as Better Auth 1.7.25 answers (WIRE.md §3.17, §3.21),
//! with the database round trips they cost.

mod common;
#[path = "../examples/sign_in_count/plugin.rs"]
mod sign_in_count;

use common::InProcess;
use serde_json::json;
use sign_in_count::SignInCount;

const USERNAME: &str = r#"{"plugins":{"username":{}}}"#;
const BEARER: &str = r#"{"plugins":{"bearer":{}}}"#;
const BOTH: &str = r#"{"plugins":{"username":{},"bearer":{}}}"#;

fn keys(value: &serde_json::Value) -> Vec<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn a_plugin_added_through_the_api_gets_its_column_endpoint_hook_and_migration() {
    let server = InProcess::with_plugins(None, |auth| auth.with_plugin(SignInCount));
    let up = server.sign_up("count@example.com");
    assert_eq!(up.status, 200);
    let user = &up.json()["user"];
    assert_eq!(
        keys(user),
        [
            "name",
            "email",
            "emailVerified",
            "image",
            "createdAt",
            "updatedAt",
            "signInCount",
            "id"
        ]
    );
    assert_eq!(user["signInCount"], 0);
    let body = json!({"email": "count@example.com", "password": "password123"}).to_string();
    server.post_json("/sign-in/email", None, &body);
    let signed_in = server.post_json("/sign-in/email", None, &body);
    assert_eq!(signed_in.status, 200);
    let count = server.get("/sign-in-count", Some(&signed_in.cookie_header()));
    assert_eq!(count.status, 200);
    assert_eq!(count.json(), json!({"count": 2}));
    assert_eq!(server.get("/sign-in-count", None).status, 401);
    assert_eq!(
        server
            .request("POST", "/api/auth/sign-in-count", &[], None)
            .status,
        404
    );
}

#[test]
fn a_plugin_rate_limit_rule_applies_to_its_endpoint() {
    let server = InProcess::with_plugins(Some(r#"{"rateLimit":{"enabled":true}}"#), |auth| {
        auth.with_plugin(SignInCount)
    });
    let statuses: Vec<u16> = (0..21)
        .map(|_| server.get("/sign-in-count", None).status)
        .collect();
    assert!(statuses[..20].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[20], 429);
}

#[test]
fn plugin_user_fields_come_in_the_cookie_cache_and_cost_no_query() {
    let server = InProcess::new(Some(BOTH));
    let up = server.post_json(
        "/sign-up/email",
        None,
        r#"{"name":"A","email":"a@example.com","password":"password123","username":"Ada_L"}"#,
    );
    assert_eq!(up.status, 200, "{}", up.body);
    let cookies = up.cookie_header();
    server.take_counts();
    let cached = server.get("/get-session", Some(&cookies));
    assert_eq!(server.take_counts(), (0, 0));
    assert_eq!(
        keys(&cached.json()["user"]),
        [
            "id",
            "createdAt",
            "updatedAt",
            "email",
            "emailVerified",
            "name",
            "image",
            "username",
            "displayUsername"
        ]
    );
    let fresh = server.get("/get-session?disableCookieCache=true", Some(&cookies));
    assert_eq!(server.take_counts(), (1, 0));
    let user = &fresh.json()["user"];
    assert_eq!(
        keys(user),
        [
            "name",
            "email",
            "emailVerified",
            "image",
            "createdAt",
            "updatedAt",
            "username",
            "displayUsername",
            "id"
        ]
    );
    assert_eq!(user["username"], "ada_l");
    assert_eq!(user["displayUsername"], "Ada_L");
}

#[test]
fn sign_in_username_matches_case_insensitively_in_two_round_trips() {
    let server = InProcess::new(Some(USERNAME));
    server.post_json(
        "/sign-up/email",
        None,
        r#"{"name":"B","email":"b@example.com","password":"password123","username":"Bobby"}"#,
    );
    server.take_counts();
    let signed_in = server.post_json(
        "/sign-in/username",
        None,
        r#"{"username":"BOBBY","password":"password123"}"#,
    );
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    assert_eq!(server.take_counts(), (2, 0));
    let body = signed_in.json();
    assert_eq!(keys(&body), ["redirect", "token", "user"]);
    assert_eq!(body["redirect"], false);
    assert_eq!(body["user"]["username"], "bobby");
    assert!(signed_in
        .cookie_value("better-auth.session_token")
        .is_some_and(|v| !v.is_empty()));
}

#[test]
fn sign_in_username_errors_are_better_auths() {
    let server = InProcess::new(Some(USERNAME));
    server.post_json(
        "/sign-up/email",
        None,
        r#"{"name":"C","email":"c@example.com","password":"password123","username":"carol"}"#,
    );
    let wrong = server.post_json(
        "/sign-in/username",
        None,
        r#"{"username":"carol","password":"wrong-password"}"#,
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.json(),
        json!({"code": "INVALID_USERNAME_OR_PASSWORD", "message": "Invalid username or password"})
    );
    let unknown = server.post_json(
        "/sign-in/username",
        None,
        r#"{"username":"nobody","password":"password123"}"#,
    );
    assert_eq!(unknown.status, 401);
    let short = server.post_json(
        "/sign-in/username",
        None,
        r#"{"username":"ab","password":"password123"}"#,
    );
    assert_eq!(short.status, 422);
    assert_eq!(short.json()["code"], "USERNAME_TOO_SHORT");
    let missing = server.post_json("/sign-in/username", None, r#"{"username":"carol"}"#);
    assert_eq!(missing.status, 400);
    assert_eq!(missing.json()["code"], "VALIDATION_ERROR");
}

#[test]
fn usernames_are_validated_and_unique_on_sign_up() {
    let server = InProcess::new(Some(USERNAME));
    let sign_up = |email: &str, username: &str| {
        server.post_json(
            "/sign-up/email",
            None,
            &json!({"name": "D", "email": email, "password": "password123", "username": username})
                .to_string(),
        )
    };
    assert_eq!(sign_up("d1@example.com", "dave").status, 200);
    let taken = sign_up("d2@example.com", "DAVE");
    assert_eq!(taken.status, 400);
    assert_eq!(
        taken.json(),
        json!({"code": "USERNAME_IS_ALREADY_TAKEN", "message": "Username is already taken. Please try another."})
    );
    let invalid = sign_up("d3@example.com", "da ve");
    assert_eq!(invalid.status, 400);
    assert_eq!(
        invalid.json(),
        json!({"code": "INVALID_USERNAME", "message": "Username is invalid"})
    );
    let long = sign_up("d4@example.com", &"x".repeat(31));
    assert_eq!(long.json()["code"], "USERNAME_TOO_LONG");
    assert_eq!(
        server
            .post_json("/is-username-available", None, r#"{"username":"Dave"}"#)
            .json(),
        json!({"available": false})
    );
    assert_eq!(
        server
            .post_json("/is-username-available", None, r#"{"username":"eve"}"#)
            .json(),
        json!({"available": true})
    );
    let bad = server.post_json("/is-username-available", None, r#"{"username":"e"}"#);
    assert_eq!(bad.status, 422);
    assert_eq!(bad.json()["code"], "USERNAME_TOO_SHORT");
}

#[test]
fn update_user_sets_a_username_and_refuses_one_taken_by_another_user() {
    let server = InProcess::new(Some(USERNAME));
    server.post_json(
        "/sign-up/email",
        None,
        r#"{"name":"F","email":"f@example.com","password":"password123","username":"frank"}"#,
    );
    let gina = server.sign_up("g@example.com");
    let cookies = gina.cookie_header();
    let taken = server.post_json("/update-user", Some(&cookies), r#"{"username":"Frank"}"#);
    assert_eq!(taken.status, 400);
    assert_eq!(taken.json()["code"], "USERNAME_IS_ALREADY_TAKEN");
    let updated = server.post_json("/update-user", Some(&cookies), r#"{"username":"Gina"}"#);
    assert_eq!(updated.status, 200, "{}", updated.body);
    let cookies = updated.cookie_header_over(&cookies);
    let user = server.get("/get-session", Some(&cookies)).json()["user"].clone();
    assert_eq!(user["username"], "gina");
    let signed_in = server.post_json(
        "/sign-in/username",
        None,
        r#"{"username":"gina","password":"password123"}"#,
    );
    assert_eq!(signed_in.status, 200);
}

#[test]
fn without_the_plugin_its_endpoints_are_not_found_and_users_have_no_username() {
    let server = InProcess::new(None);
    assert_eq!(
        server
            .post_json(
                "/sign-in/username",
                None,
                r#"{"username":"x","password":"y"}"#
            )
            .status,
        404
    );
    let up = server.post_json(
        "/sign-up/email",
        None,
        r#"{"name":"H","email":"h@example.com","password":"password123","username":"harry"}"#,
    );
    assert_eq!(up.status, 200);
    assert!(up.json()["user"].get("username").is_none());
    assert!(up.header("set-auth-token").is_none());
}

#[test]
fn bearer_sets_auth_token_on_responses_that_set_the_session_cookie() {
    let server = InProcess::new(Some(BEARER));
    let up = server.sign_up("i@example.com");
    let token = up.json()["token"].as_str().unwrap().to_owned();
    let header = up.header("set-auth-token").unwrap().to_owned();
    assert!(header.starts_with(&format!("{token}.")));
    assert!(header.ends_with('='), "not percent-encoded: {header}");
    assert_eq!(
        up.header("access-control-expose-headers"),
        Some("set-auth-token")
    );
    let cached = server.get("/get-session", Some(&up.cookie_header()));
    assert!(cached.header("set-auth-token").is_none());
}

#[test]
fn a_bearer_token_signed_or_bare_stands_for_the_session_cookie() {
    let server = InProcess::new(Some(BEARER));
    let up = server.sign_up("j@example.com");
    let signed = up.header("set-auth-token").unwrap().to_owned();
    let bare = up.json()["token"].as_str().unwrap().to_owned();
    let encoded = portcullis::cookies::encode_uri_component(&signed);
    for token in [&signed, &bare, &encoded] {
        let auth = format!("Bearer {token}");
        let r = server.request(
            "GET",
            "/api/auth/get-session",
            &[("authorization", &auth)],
            None,
        );
        assert_eq!(r.json()["user"]["email"], "j@example.com", "{token}");
    }
    let lower = format!("bearer {signed}");
    let r = server.request(
        "GET",
        "/api/auth/get-session",
        &[("authorization", &lower)],
        None,
    );
    assert_eq!(r.json()["user"]["email"], "j@example.com");
    let forged = format!("Bearer {bare}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    let r = server.request(
        "GET",
        "/api/auth/get-session",
        &[("authorization", &forged)],
        None,
    );
    assert_eq!(r.body, "null");
}

#[test]
fn a_bearer_token_takes_precedence_over_the_session_cookie() {
    let server = InProcess::new(Some(BEARER));
    let first = server.sign_up("k1@example.com");
    let second = server.sign_up("k2@example.com");
    let auth = format!("Bearer {}", second.header("set-auth-token").unwrap());
    let cookie = first.cookie_header();
    let r = server.request(
        "GET",
        "/api/auth/get-session?disableCookieCache=true",
        &[("authorization", &auth), ("cookie", &cookie)],
        None,
    );
    assert_eq!(r.json()["user"]["email"], "k2@example.com");
}

#[test]
fn bearer_posts_without_cookies_skip_the_origin_check() {
    let server = InProcess::new(Some(BEARER));
    let up = server.sign_up("l@example.com");
    let auth = format!("Bearer {}", up.header("set-auth-token").unwrap());
    let r = server.request(
        "POST",
        "/api/auth/update-user",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
            ("origin", "https://elsewhere.example"),
        ],
        Some(r#"{"name":"Renamed"}"#),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let out = server.request(
        "POST",
        "/api/auth/sign-out",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        Some("{}"),
    );
    assert_eq!(out.json(), json!({"success": true}));
    let after = server.request(
        "GET",
        "/api/auth/get-session",
        &[("authorization", &auth)],
        None,
    );
    assert_eq!(after.body, "null");
}

#[test]
fn bearer_with_require_signature_ignores_bare_tokens() {
    let server = InProcess::new(Some(r#"{"plugins":{"bearer":{"requireSignature":true}}}"#));
    let up = server.sign_up("m@example.com");
    let bare = format!("Bearer {}", up.json()["token"].as_str().unwrap());
    let r = server.request(
        "GET",
        "/api/auth/get-session",
        &[("authorization", &bare)],
        None,
    );
    assert_eq!(r.body, "null");
}

#[test]
fn unknown_plugin_names_are_a_configuration_error() {
    assert!(portcullis::Config::from_json(r#"{"plugins":{"nope":{}}}"#).is_err());
    assert!(portcullis::Config::from_json(r#"{"plugins":{"username":{"minLength":2}}}"#).is_err());
}

const MAIL_PLUGINS: &str = r#"{"plugins":{"magicLink":{},"emailOTP":{}}}"#;

fn text(value: &portcullis::Value) -> String {
    value.as_str().unwrap().to_owned()
}

#[test]
fn a_magic_link_is_stored_as_better_auth_stores_it_and_works_once() {
    let server = InProcess::new(Some(MAIL_PLUGINS));
    let sent = server.post_json(
        "/sign-in/magic-link",
        None,
        r#"{"email":"Nina@Example.com","name":"Nina"}"#,
    );
    assert_eq!(sent.json(), json!({"status": true}));
    let mail = server.mail.last("Nina@Example.com");
    assert_eq!(mail.kind.as_str(), "magic-link");
    let rows = server.sql_rows(
        r#"SELECT "identifier", "value", "expiresAt" FROM "verification""#,
        vec![],
    );
    assert_eq!(text(&rows[0][0]), format!("magic-link:{}", mail.token));
    assert_eq!(
        text(&rows[0][1]),
        r#"{"type":"magic-link","email":"Nina@Example.com","name":"Nina"}"#
    );
    assert_eq!(
        rows[0][2].as_millis().unwrap(),
        common::RECORDED_NOW + 300_000
    );
    let verify = format!("/magic-link/verify?token={}", mail.token);
    let first = server.get(&verify, None);
    assert_eq!(first.status, 200, "{}", first.body);
    let body = first.json();
    assert_eq!(keys(&body), ["token", "user", "session"]);
    assert_eq!(body["user"]["email"], "nina@example.com");
    assert_eq!(body["user"]["emailVerified"], true);
    let replay = server.get(&verify, None);
    assert_eq!(replay.status, 302);
    assert_eq!(
        replay.header("location"),
        Some("http://127.0.0.1:3100/?error=INVALID_TOKEN")
    );
}

#[test]
fn a_magic_link_expires_after_five_minutes() {
    let server = InProcess::new(Some(MAIL_PLUGINS));
    server.post_json(
        "/sign-in/magic-link",
        None,
        r#"{"email":"late@example.com"}"#,
    );
    let token = server.mail.last("late@example.com").token;
    server.clock.advance_seconds(301);
    let late = server.get(&format!("/magic-link/verify?token={token}"), None);
    assert_eq!(late.status, 302);
    assert_eq!(
        late.header("location"),
        Some("http://127.0.0.1:3100/?error=INVALID_TOKEN")
    );
}

#[test]
fn a_magic_link_to_an_unverified_account_revokes_its_earlier_sessions_and_password() {
    let server = InProcess::new(Some(MAIL_PLUGINS));
    let up = server.sign_up("owner@example.com");
    let earlier = up.cookie_header();
    server.post_json(
        "/sign-in/magic-link",
        None,
        r#"{"email":"owner@example.com"}"#,
    );
    let token = server.mail.last("owner@example.com").token;
    let verified = server.get(&format!("/magic-link/verify?token={token}"), None);
    assert_eq!(verified.status, 200);
    assert_eq!(verified.json()["user"]["emailVerified"], true);
    let old = server.get("/get-session?disableCookieCache=true", Some(&earlier));
    assert_eq!(old.body, "null");
    let password = server.post_json(
        "/sign-in/email",
        None,
        r#"{"email":"owner@example.com","password":"password123"}"#,
    );
    assert_eq!(password.status, 401);
}

#[test]
fn magic_link_callbacks_on_other_origins_are_refused() {
    let server = InProcess::new(Some(MAIL_PLUGINS));
    let sent = server.post_json(
        "/sign-in/magic-link",
        None,
        r#"{"email":"x@example.com","callbackURL":"https://evil.example/"}"#,
    );
    assert_eq!(sent.status, 403);
    assert_eq!(sent.json()["code"], "INVALID_CALLBACK_URL");
    let verify = server.get(
        "/magic-link/verify?token=abc&errorCallbackURL=https%3A%2F%2Fevil.example%2F",
        None,
    );
    assert_eq!(verify.status, 403);
    assert_eq!(verify.json()["code"], "INVALID_ERROR_CALLBACK_URL");
}

#[test]
fn an_email_otp_is_stored_plain_with_its_attempt_count() {
    let server = InProcess::new(Some(MAIL_PLUGINS));
    let sent = server.post_json(
        "/email-otp/send-verification-otp",
        None,
        r#"{"email":"Olga@example.com","type":"sign-in"}"#,
    );
    assert_eq!(sent.json(), json!({"success": true}));
    let otp = server.mail.last("olga@example.com").token;
    let value = |server: &InProcess| {
        let rows = server.sql_rows(
            r#"SELECT "value" FROM "verification" WHERE "identifier" = 'sign-in-otp-olga@example.com'"#,
            vec![],
        );
        text(&rows[0][0])
    };
    assert_eq!(value(&server), format!("{otp}:0"));
    let wrong = if otp == "000000" { "111111" } else { "000000" };
    let r = server.post_json(
        "/sign-in/email-otp",
        None,
        &json!({"email": "olga@example.com", "otp": wrong}).to_string(),
    );
    assert_eq!(
        r.json(),
        json!({"code": "INVALID_OTP", "message": "Invalid OTP"})
    );
    assert_eq!(value(&server), format!("{otp}:1"));
    server.take_counts();
    let ok = server.post_json(
        "/sign-in/email-otp",
        None,
        &json!({"email": "olga@example.com", "otp": otp}).to_string(),
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    // Consume the code, read the user, write user and session together.
    assert_eq!(server.take_counts(), (2, 1));
    assert_eq!(keys(&ok.json()), ["token", "user"]);
}

#[test]
fn an_expired_email_otp_is_otp_expired() {
    let server = InProcess::new(Some(MAIL_PLUGINS));
    server.post_json(
        "/email-otp/send-verification-otp",
        None,
        r#"{"email":"pat@example.com","type":"sign-in"}"#,
    );
    let otp = server.mail.last("pat@example.com").token;
    server.clock.advance_seconds(301);
    let r = server.post_json(
        "/sign-in/email-otp",
        None,
        &json!({"email": "pat@example.com", "otp": otp}).to_string(),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["code"], "OTP_EXPIRED");
}

#[test]
fn email_otp_sends_nothing_for_unknown_addresses_except_sign_in() {
    let server = InProcess::new(Some(MAIL_PLUGINS));
    for kind in ["email-verification", "forget-password"] {
        let r = server.post_json(
            "/email-otp/send-verification-otp",
            None,
            &json!({"email": "ghost@example.com", "type": kind}).to_string(),
        );
        assert_eq!(r.json(), json!({"success": true}));
    }
    assert!(server.mail.to("ghost@example.com").is_empty());
    let rows = server.sql_rows(r#"SELECT 1 FROM "verification""#, vec![]);
    assert!(rows.is_empty());
    let change = server.post_json(
        "/email-otp/send-verification-otp",
        None,
        r#"{"email":"ghost@example.com","type":"change-email"}"#,
    );
    assert_eq!(change.status, 400);
    assert_eq!(change.json(), json!({"message": "Invalid OTP type"}));
}

#[test]
fn email_otp_changes_the_email_when_enabled() {
    let server = InProcess::new(Some(
        r#"{"plugins":{"emailOTP":{"changeEmail":{"enabled":true}}}}"#,
    ));
    let up = server.sign_up("old@example.com");
    let cookies = up.cookie_header();
    let asked = server.post_json(
        "/email-otp/request-email-change",
        Some(&cookies),
        r#"{"newEmail":"new@example.com"}"#,
    );
    assert_eq!(asked.json(), json!({"success": true}));
    let otp = server.mail.last("new@example.com").token;
    let changed = server.post_json(
        "/email-otp/change-email",
        Some(&cookies),
        &json!({"newEmail": "new@example.com", "otp": otp}).to_string(),
    );
    assert_eq!(changed.json(), json!({"success": true}));
    let cookies = changed.cookie_header_over(&cookies);
    let session = server.get("/get-session", Some(&cookies)).json();
    assert_eq!(session["user"]["email"], "new@example.com");
    assert_eq!(session["user"]["emailVerified"], true);
}
