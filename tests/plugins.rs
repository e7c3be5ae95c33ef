//! Plugins: the public plugin API (through the example plugin in `examples/sign_in_count/`), and
//! the built-in username and bearer plugins as Better Auth 1.7.25 answers (WIRE.md §3.17, §3.21),
//! with the database round trips they cost.

mod common;
#[path = "../examples/sign_in_count/plugin.rs"]
mod sign_in_count;

use common::two_factor::{enrol, password_sign_in, totp_now};
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

/// A plugin whose migration exists in SQLite only.
struct SqliteOnly;

#[portcullis::plugins::async_trait(?Send)]
impl portcullis::plugins::Plugin for SqliteOnly {
    fn id(&self) -> &'static str {
        "sqlite-only"
    }
    fn migrations(&self) -> Vec<portcullis::plugins::Migration> {
        vec![portcullis::plugins::Migration::sqlite(
            "0101_sqlite_only.sql",
            r#"CREATE TABLE IF NOT EXISTS "sqliteOnly" ("id" text not null primary key);"#,
        )]
    }
}

#[test]
fn a_plugin_without_a_postgres_migration_is_a_clear_error_on_postgres_only() {
    use portcullis::store::migrations::Dialect;
    let server = InProcess::with_plugins(None, |auth| {
        auth.with_plugin(SignInCount).with_plugin(SqliteOnly)
    });
    let error = server.auth.migrations(Dialect::Postgres).unwrap_err();
    assert_eq!(
        error,
        r#"the "sqlite-only" plugin's migration 0101_sqlite_only.sql has no PostgreSQL version, so the plugin cannot run on PostgreSQL: turn it off or use SQLite/libSQL"#
    );
    let names: Vec<&str> = server
        .auth
        .migrations(Dialect::Sqlite)
        .unwrap()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(
        names,
        [
            "0001_better_auth_core.sql",
            "0002_rate_limit.sql",
            "0100_sign_in_count.sql",
            "0101_sqlite_only.sql"
        ]
    );
    let postgres = InProcess::with_plugins(None, |auth| auth.with_plugin(SignInCount));
    let on_postgres = postgres.auth.migrations(Dialect::Postgres).unwrap();
    assert_eq!(
        on_postgres.last(),
        Some(&(
            "0100_sign_in_count.sql",
            r#"ALTER TABLE "user" ADD COLUMN IF NOT EXISTS "signInCount" integer;"#
        ))
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

const TWO_FACTOR: &str = r#"{"plugins":{"twoFactor":{},"username":{},"bearer":{}}}"#;

#[test]
fn enabling_totp_gives_better_auths_uri_and_stores_the_secret_encrypted() {
    let server = InProcess::new(Some(TWO_FACTOR));
    let up = server.sign_up("dave@example.com");
    let cookies = up.cookie_header();
    let wrong = server.post_json(
        "/two-factor/enable",
        Some(&cookies),
        r#"{"password":"wrong-password"}"#,
    );
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.json()["code"], "INVALID_PASSWORD");
    let enabled = server.post_json(
        "/two-factor/enable",
        Some(&cookies),
        r#"{"password":"password123"}"#,
    );
    let body = enabled.json();
    let uri = body["totpURI"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Better%20Auth:dave%40example.com?secret="),
        "{uri}"
    );
    assert!(uri.ends_with("&issuer=Better+Auth&digits=6&period=30"));
    let codes = body["backupCodes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    assert!(codes
        .iter()
        .all(|c| c.as_str().unwrap().len() == 11 && &c.as_str().unwrap()[5..6] == "-"));
    let rows = server.sql_rows(
        r#"SELECT "secret", "backupCodes", "verified" FROM "twoFactor""#,
        vec![],
    );
    let secret =
        portcullis::crypto::symmetric::decrypt(common::SECRET, &text(&rows[0][0])).unwrap();
    assert_eq!(secret.len(), 32);
    assert!(uri.contains(&portcullis::crypto::totp::base32(secret.as_bytes())));
    let stored_codes =
        portcullis::crypto::symmetric::decrypt(common::SECRET, &text(&rows[0][1])).unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stored_codes).unwrap(),
        body["backupCodes"]
    );
    assert_eq!(rows[0][2], portcullis::Value::Integer(0));
    // Nothing is on until a first code is verified.
    let session = server.get("/get-session?disableCookieCache=true", Some(&cookies));
    assert_eq!(session.json()["user"]["twoFactorEnabled"], false);
}

#[test]
fn a_first_totp_code_turns_two_factor_on_with_a_new_session() {
    let server = InProcess::new(Some(TWO_FACTOR));
    let (_, cookies) = enrol(&server, "erin@example.com");
    let session = server.get("/get-session?disableCookieCache=true", Some(&cookies));
    assert_eq!(session.json()["user"]["twoFactorEnabled"], true);
    let user_keys = keys(&session.json()["user"]);
    assert_eq!(
        user_keys[6..9],
        ["twoFactorEnabled", "username", "displayUsername"]
    );
}

#[test]
fn sign_in_with_two_factor_is_a_challenge_with_no_session() {
    let server = InProcess::new(Some(TWO_FACTOR));
    let (uri, _) = enrol(&server, "fay@example.com");
    server.take_counts();
    let challenged = password_sign_in(&server, "fay@example.com", None);
    assert_eq!(challenged.status, 200);
    // Sign-in's two and the `twoFactor` row (its methods); one batch deletes the session sign-in
    // made and writes the challenge and its attempt count.
    assert_eq!(server.take_counts(), (3, 1), "challenged sign-in");
    assert_eq!(
        challenged.json(),
        json!({"twoFactorRedirect": true, "twoFactorMethods": ["totp"]})
    );
    assert_eq!(
        challenged
            .cookie_value("better-auth.session_token")
            .as_deref(),
        Some("")
    );
    assert!(challenged.header("set-auth-token").is_none());
    let two_factor = challenged.set_cookie("better-auth.two_factor").unwrap();
    assert!(two_factor.contains("Max-Age=600"), "{two_factor}");
    let sessions = server.sql_rows(r#"SELECT 1 FROM "session""#, vec![]);
    assert_eq!(sessions.len(), 1, "only the enrolment session remains");

    let cookie = challenged.cookie_header();
    let code = totp_now(&uri, server.clock.0.get());
    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    let wrong = server.post_json(
        "/two-factor/verify-totp",
        Some(&cookie),
        &json!({ "code": wrong_code }).to_string(),
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.json(),
        json!({"code": "INVALID_CODE", "message": "Invalid code"})
    );
    let verified = server.post_json(
        "/two-factor/verify-totp",
        Some(&cookie),
        &json!({ "code": code }).to_string(),
    );
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert_eq!(keys(&verified.json()), ["token", "user"]);
    assert!(verified.header("set-auth-token").is_some());
    assert_eq!(
        verified.cookie_value("better-auth.two_factor").as_deref(),
        Some("")
    );
    let signed_in = verified.cookie_header();
    let session = server.get("/get-session", Some(&signed_in));
    assert_eq!(session.json()["user"]["email"], "fay@example.com");
    // The challenge is spent.
    let replay = server.post_json(
        "/two-factor/verify-totp",
        Some(&cookie),
        &json!({ "code": code }).to_string(),
    );
    assert_eq!(replay.status, 401);
    assert_eq!(replay.json()["code"], "INVALID_TWO_FACTOR_COOKIE");
}

#[test]
fn a_sign_in_without_two_factor_costs_no_extra_query() {
    let server = InProcess::new(Some(TWO_FACTOR));
    server.sign_up("gail@example.com");
    server.take_counts();
    let signed_in = password_sign_in(&server, "gail@example.com", None);
    assert_eq!(signed_in.status, 200);
    assert_eq!(server.take_counts(), (2, 0));
    let cookies = signed_in.cookie_header();
    server.get("/get-session", Some(&cookies));
    assert_eq!(server.take_counts(), (0, 0));
}

#[test]
fn five_wrong_codes_spend_the_challenge() {
    let server = InProcess::new(Some(TWO_FACTOR));
    let (uri, _) = enrol(&server, "hal@example.com");
    let cookie = password_sign_in(&server, "hal@example.com", None).cookie_header();
    let right = totp_now(&uri, server.clock.0.get());
    let wrong = if right == "123456" {
        "654321"
    } else {
        "123456"
    };
    for i in 0..5 {
        let r = server.post_json(
            "/two-factor/verify-totp",
            Some(&cookie),
            &json!({ "code": wrong }).to_string(),
        );
        assert_eq!(r.json()["code"], "INVALID_CODE", "attempt {}", i + 1);
    }
    let sixth = server.post_json(
        "/two-factor/verify-totp",
        Some(&cookie),
        &json!({ "code": right }).to_string(),
    );
    assert_eq!(sixth.status, 400);
    assert_eq!(sixth.json()["code"], "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE");
    assert_eq!(
        sixth.cookie_value("better-auth.two_factor").as_deref(),
        Some("")
    );
}

#[test]
fn ten_failures_lock_the_account_for_fifteen_minutes() {
    let server = InProcess::new(Some(TWO_FACTOR));
    let (uri, _) = enrol(&server, "ivy@example.com");
    let wrong = |now| {
        if totp_now(&uri, now) == "123456" {
            "654321"
        } else {
            "123456"
        }
    };
    for round in 0..2 {
        let cookie = password_sign_in(&server, "ivy@example.com", None).cookie_header();
        for _ in 0..5 {
            let r = server.post_json(
                "/two-factor/verify-totp",
                Some(&cookie),
                &json!({ "code": wrong(server.clock.0.get()) }).to_string(),
            );
            assert_eq!(r.json()["code"], "INVALID_CODE", "round {round}");
        }
    }
    let cookie = password_sign_in(&server, "ivy@example.com", None).cookie_header();
    let code = totp_now(&uri, server.clock.0.get());
    let locked = server.post_json(
        "/two-factor/verify-totp",
        Some(&cookie),
        &json!({ "code": code }).to_string(),
    );
    assert_eq!(locked.status, 429);
    assert_eq!(locked.json()["code"], "ACCOUNT_TEMPORARILY_LOCKED");
    server.clock.advance_seconds(15 * 60 + 1);
    let cookie = password_sign_in(&server, "ivy@example.com", None).cookie_header();
    let code = totp_now(&uri, server.clock.0.get());
    let unlocked = server.post_json(
        "/two-factor/verify-totp",
        Some(&cookie),
        &json!({ "code": code }).to_string(),
    );
    assert_eq!(unlocked.status, 200, "{}", unlocked.body);
}

#[test]
fn a_trusted_device_skips_two_factor_for_thirty_days_and_is_rotated() {
    let server = InProcess::new(Some(TWO_FACTOR));
    let (uri, _) = enrol(&server, "jo@example.com");
    let cookie = password_sign_in(&server, "jo@example.com", None).cookie_header();
    let code = totp_now(&uri, server.clock.0.get());
    let verified = server.post_json(
        "/two-factor/verify-totp",
        Some(&cookie),
        &json!({ "code": code, "trustDevice": true }).to_string(),
    );
    assert_eq!(verified.status, 200);
    let trust = verified.set_cookie("better-auth.trust_device").unwrap();
    assert!(trust.contains("Max-Age=2592000"), "{trust}");
    let trust_value = verified.cookie_value("better-auth.trust_device").unwrap();
    let trust_cookie = format!("better-auth.trust_device={trust_value}");
    // The value proves itself: HMAC(secret, "<userId>!<trust id>") as base64url.
    let decoded = portcullis::cookies::decode_uri_component(&trust_value).unwrap();
    let inner = portcullis::cookies::unsign(&decoded, common::SECRET).unwrap();
    let (proof, trust_id) = inner.split_once('!').unwrap();
    assert!(trust_id.starts_with("trust-device-"));
    let user_id = verified.json()["user"]["id"].as_str().unwrap().to_owned();
    use base64::Engine;
    let expected =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(portcullis::crypto::hmac_sha256(
            common::SECRET.as_bytes(),
            format!("{user_id}!{trust_id}").as_bytes(),
        ));
    assert_eq!(proof, expected);

    let trusted = password_sign_in(&server, "jo@example.com", Some(&trust_cookie));
    assert_eq!(trusted.json()["redirect"], false);
    assert!(trusted.header("set-auth-token").is_some());
    let rotated = trusted.cookie_value("better-auth.trust_device").unwrap();
    assert_ne!(rotated, trust_value);
    // The old trust cookie no longer works.
    let stale = password_sign_in(&server, "jo@example.com", Some(&trust_cookie));
    assert_eq!(stale.json()["twoFactorRedirect"], true);
    // The new one does, until it expires.
    let fresh = format!("better-auth.trust_device={rotated}");
    server.clock.advance_seconds(30 * 86_400 + 1);
    let expired = password_sign_in(&server, "jo@example.com", Some(&fresh));
    assert_eq!(expired.json()["twoFactorRedirect"], true);
}

#[test]
fn backup_codes_work_once_each() {
    let server = InProcess::new(Some(TWO_FACTOR));
    let up = server.sign_up("kim@example.com");
    let cookies = up.cookie_header();
    let enabled = server
        .post_json(
            "/two-factor/enable",
            Some(&cookies),
            r#"{"password":"password123"}"#,
        )
        .json();
    let code = totp_now(enabled["totpURI"].as_str().unwrap(), server.clock.0.get());
    server.post_json(
        "/two-factor/verify-totp",
        Some(&cookies),
        &json!({ "code": code }).to_string(),
    );
    let backup = enabled["backupCodes"][0].as_str().unwrap().to_owned();
    let challenge = password_sign_in(&server, "kim@example.com", None).cookie_header();
    let used = server.post_json(
        "/two-factor/verify-backup-code",
        Some(&challenge),
        &json!({ "code": backup }).to_string(),
    );
    assert_eq!(used.status, 200, "{}", used.body);
    let challenge = password_sign_in(&server, "kim@example.com", None).cookie_header();
    let again = server.post_json(
        "/two-factor/verify-backup-code",
        Some(&challenge),
        &json!({ "code": backup }).to_string(),
    );
    assert_eq!(again.status, 401);
    assert_eq!(again.json()["code"], "INVALID_BACKUP_CODE");
}

#[test]
fn a_two_factor_row_written_by_better_auth_verifies_here() {
    let server = InProcess::new(Some(TWO_FACTOR));
    let up = server.sign_up("lou@example.com");
    let user_id = up.json()["user"]["id"].as_str().unwrap().to_owned();
    // better-auth 1.7.25's symmetricEncrypt of "abcdefghijklmnopqrstuvwxyzABCDEF" under SECRET.
    let secret = "23ad1704587810362342f97321074ec7a1fd37d5412a3b6bc5a0c8c6e367712a3ab6cf3b061930be50b597fc1905a1e734ac64ffca68cd77ac9dcd2e83037c0ec504f50b2048270f";
    server.sql_rows(
        r#"INSERT INTO "twoFactor" ("id", "secret", "backupCodes", "userId", "verified") VALUES ('tf1', ?, ?, ?, 1)"#,
        vec![
            secret.into(),
            portcullis::crypto::symmetric::encrypt(common::SECRET, r#"["aaaaa-bbbbb"]"#).into(),
            user_id.clone().into(),
        ],
    );
    server.sql_rows(
        r#"UPDATE "user" SET "twoFactorEnabled" = 1 WHERE "id" = ?"#,
        vec![user_id.into()],
    );
    let challenge = password_sign_in(&server, "lou@example.com", None);
    assert_eq!(challenge.json()["twoFactorRedirect"], true);
    let code = portcullis::crypto::totp::hotp(
        b"abcdefghijklmnopqrstuvwxyzABCDEF",
        (server.clock.0.get() / 30_000) as u64,
        6,
    );
    let verified = server.post_json(
        "/two-factor/verify-totp",
        Some(&challenge.cookie_header()),
        &json!({ "code": code }).to_string(),
    );
    assert_eq!(verified.status, 200, "{}", verified.body);
}

#[test]
fn disabling_two_factor_needs_the_password_and_restores_plain_sign_in() {
    let server = InProcess::new(Some(TWO_FACTOR));
    let (_, cookies) = enrol(&server, "max@example.com");
    let wrong = server.post_json(
        "/two-factor/disable",
        Some(&cookies),
        r#"{"password":"nope-nope-nope"}"#,
    );
    assert_eq!(wrong.json()["code"], "INVALID_PASSWORD");
    let disabled = server.post_json(
        "/two-factor/disable",
        Some(&cookies),
        r#"{"password":"password123"}"#,
    );
    assert_eq!(disabled.json(), json!({"status": true}));
    let plain = password_sign_in(&server, "max@example.com", None);
    assert_eq!(plain.json()["redirect"], false);
    assert!(server
        .sql_rows(r#"SELECT 1 FROM "twoFactor""#, vec![])
        .is_empty());
}

#[test]
fn mailed_two_factor_codes_when_enabled() {
    let server = InProcess::new(Some(
        r#"{"plugins":{"twoFactor":{"otpOptions":{"enabled":true}}}}"#,
    ));
    let (_, _) = enrol(&server, "ned@example.com");
    let challenge = password_sign_in(&server, "ned@example.com", None);
    assert_eq!(challenge.json()["twoFactorMethods"], json!(["totp", "otp"]));
    let cookie = challenge.cookie_header();
    let sent = server.post_json("/two-factor/send-otp", Some(&cookie), "{}");
    assert_eq!(sent.json(), json!({"status": true}));
    let otp = server.mail.last("ned@example.com").token;
    let verified = server.post_json(
        "/two-factor/verify-otp",
        Some(&cookie),
        &json!({ "code": otp }).to_string(),
    );
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert_eq!(verified.json()["user"]["email"], "ned@example.com");
}

const JWT: &str = r#"{"plugins":{"jwt":{},"bearer":{}}}"#;

fn verify(
    server: &InProcess,
    token: &str,
    jwks: &serde_json::Value,
) -> Result<serde_json::Value, portcullis::plugins::jwt::JwtError> {
    let now = server.clock.0.get() / 1000;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(portcullis::plugins::jwt::verify_jwt(
        token,
        jwks,
        Some("http://127.0.0.1:3100"),
        Some("http://127.0.0.1:3100"),
        now,
    ))
}

#[test]
fn token_is_an_eddsa_jwt_that_verifies_against_jwks() {
    let server = InProcess::new(Some(JWT));
    let up = server.sign_up("jwt@example.com");
    let cookies = up.cookie_header();
    let token = server.get("/token", Some(&cookies));
    assert_eq!(token.status, 200, "{}", token.body);
    let token = token.json()["token"].as_str().unwrap().to_owned();
    let jwks = server.get("/jwks", None).json();
    let key = &jwks["keys"][0];
    assert_eq!(keys(key), ["alg", "crv", "x", "kty", "kid"]);
    assert_eq!(key["alg"], "EdDSA");
    assert_eq!(key["crv"], "Ed25519");
    let claims = verify(&server, &token, &jwks).unwrap();
    assert_eq!(claims["sub"], up.json()["user"]["id"]);
    assert_eq!(claims["email"], "jwt@example.com");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );
    assert_eq!(keys(&claims)[0], "iat");
    assert_eq!(
        keys(&claims)[keys(&claims).len() - 4..],
        ["sub", "exp", "iss", "aud"]
    );
    // A changed claim, or an expired token, does not verify.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let forged = String::from_utf8(b64.decode(&parts[1]).unwrap())
        .unwrap()
        .replace("jwt@example.com", "root@example.com");
    parts[1] = b64.encode(forged);
    assert_eq!(
        verify(&server, &parts.join("."), &jwks),
        Err(portcullis::plugins::jwt::JwtError::BadSignature)
    );
    server.clock.advance_seconds(901);
    assert_eq!(
        verify(&server, &token, &jwks),
        Err(portcullis::plugins::jwt::JwtError::Expired)
    );
}

#[test]
fn the_private_key_is_stored_encrypted_as_better_auth_stores_it() {
    let server = InProcess::new(Some(JWT));
    server.get("/jwks", None);
    let rows = server.sql_rows(
        r#"SELECT "publicKey", "privateKey", "alg", "crv" FROM "jwks""#,
        vec![],
    );
    assert_eq!(rows.len(), 1);
    let public: serde_json::Value = serde_json::from_str(&text(&rows[0][0])).unwrap();
    assert_eq!(keys(&public), ["crv", "x", "kty"]);
    let sealed: String = serde_json::from_str(&text(&rows[0][1])).unwrap();
    let private = portcullis::crypto::symmetric::decrypt(common::SECRET, &sealed).unwrap();
    let private: serde_json::Value = serde_json::from_str(&private).unwrap();
    assert_eq!(keys(&private), ["crv", "d", "x", "kty"]);
    assert_eq!(private["x"], public["x"]);
    assert_eq!(text(&rows[0][2]), "EdDSA");
    assert_eq!(text(&rows[0][3]), "Ed25519");
}

#[test]
fn get_session_carries_set_auth_jwt_and_the_key_is_read_once() {
    let server = InProcess::new(Some(JWT));
    let up = server.sign_up("hdr@example.com");
    let cookies = up.cookie_header();
    let first = server.get("/get-session", Some(&cookies));
    let jwt = first.header("set-auth-jwt").unwrap().to_owned();
    assert_eq!(
        first.header("access-control-expose-headers"),
        Some("set-auth-jwt")
    );
    let jwks = server.get("/jwks", None).json();
    assert_eq!(
        verify(&server, &jwt, &jwks).unwrap()["email"],
        "hdr@example.com"
    );
    server.take_counts();
    let cached = server.get("/get-session", Some(&cookies));
    assert!(cached.header("set-auth-jwt").is_some());
    assert_eq!(
        server.take_counts(),
        (0, 0),
        "key cached, session from the cookie cache"
    );
    assert!(server
        .get("/get-session", None)
        .header("set-auth-jwt")
        .is_none());
    assert_eq!(server.get("/token", None).status, 401);
}

#[test]
fn rotation_makes_a_new_key_and_keeps_the_old_one_listed_for_the_grace_period() {
    let server = InProcess::new(Some(
        r#"{"plugins":{"jwt":{"jwks":{"rotationInterval":3600,"gracePeriod":600}}}}"#,
    ));
    let up = server.sign_up("rot@example.com");
    let cookies = up.cookie_header();
    let old = server.get("/token", Some(&cookies)).json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    server.clock.advance_seconds(3601);
    let cookies = server
        .post_json(
            "/sign-in/email",
            None,
            r#"{"email":"rot@example.com","password":"password123"}"#,
        )
        .cookie_header();
    let new = server.get("/token", Some(&cookies)).json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let kid = |t: &str| {
        use base64::Engine;
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(t.split('.').next().unwrap())
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&header).unwrap()["kid"].clone()
    };
    assert_ne!(kid(&old), kid(&new));
    let jwks = server.get("/jwks", None).json();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    server.clock.advance_seconds(601);
    let jwks = server.get("/jwks", None).json();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(jwks["keys"][0]["kid"], kid(&new));
}

const ALL: &str = r#"{"plugins":{"twoFactor":{},"username":{},"magicLink":{},"emailOTP":{},"jwt":{},"bearer":{}}}"#;

#[test]
fn every_plugin_on_keeps_the_core_round_trips() {
    let server = InProcess::new(Some(ALL));
    let up = server.post_json(
        "/sign-up/email",
        None,
        r#"{"name":"R","email":"rt@example.com","password":"password123","username":"roundtrip"}"#,
    );
    assert_eq!(up.status, 200);
    // The jwt plugin makes its key on first use; after that it is kept.
    server.get("/get-session", Some(&up.cookie_header()));
    server.take_counts();
    let signed_in = password_sign_in(&server, "rt@example.com", None);
    assert_eq!(signed_in.status, 200);
    assert_eq!(server.take_counts(), (2, 0), "sign-in/email");
    let by_name = server.post_json(
        "/sign-in/username",
        None,
        r#"{"username":"roundtrip","password":"password123"}"#,
    );
    assert_eq!(by_name.status, 200);
    assert_eq!(server.take_counts(), (2, 0), "sign-in/username");
    let cookies = signed_in.cookie_header();
    let cached = server.get("/get-session", Some(&cookies));
    assert!(cached.header("set-auth-jwt").is_some());
    assert_eq!(
        server.take_counts(),
        (0, 0),
        "get-session from the cookie cache"
    );
    server.get("/get-session?disableCookieCache=true", Some(&cookies));
    assert_eq!(
        server.take_counts(),
        (1, 0),
        "get-session from the database"
    );
}

#[test]
fn sign_in_by_username_is_intercepted_for_two_factor_too() {
    let server = InProcess::new(Some(TWO_FACTOR));
    let (uri, cookies) = enrol(&server, "uma@example.com");
    let named = server.post_json("/update-user", Some(&cookies), r#"{"username":"uma"}"#);
    assert_eq!(named.status, 200);
    let challenged = server.post_json(
        "/sign-in/username",
        None,
        r#"{"username":"uma","password":"password123"}"#,
    );
    assert_eq!(challenged.json()["twoFactorRedirect"], true);
    let code = totp_now(&uri, server.clock.0.get());
    let verified = server.post_json(
        "/two-factor/verify-totp",
        Some(&challenged.cookie_header()),
        &json!({ "code": code }).to_string(),
    );
    assert_eq!(verified.status, 200);
    assert_eq!(verified.json()["user"]["username"], "uma");
}

#[test]
fn jwt_expiration_time_takes_seconds_or_a_duration() {
    for (options, lifetime) in [(r#""1h""#, 3600), ("120", 120)] {
        let server = InProcess::new(Some(&format!(
            r#"{{"plugins":{{"jwt":{{"jwt":{{"expirationTime":{options}}}}}}}}}"#
        )));
        let up = server.sign_up("exp@example.com");
        let token = server.get("/token", Some(&up.cookie_header())).json()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let jwks = server.get("/jwks", None).json();
        let claims = verify(&server, &token, &jwks).unwrap();
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            lifetime
        );
    }
}

#[test]
fn a_jwks_key_made_by_better_auth_signs_here() {
    let server = InProcess::new(Some(JWT));
    // jose's exportJWK + better-auth 1.7.25's symmetricEncrypt, as its createJwk stores a key.
    let public =
        r#"{"crv":"Ed25519","x":"wh0SfKleQ-t39nBZoC6YYnx61u8i1kiwAvHXGVNggcE","kty":"OKP"}"#;
    let private = r#""5d6f7ef49587cb1623a91468b33e232b5db19e4263a237d0482641f295da0308a954c06d359e2d6aa3675a8a02829053f68ba0d250375244a7afe98c5d04064eaff6028fc22916858bb02d87518dddec5b460357cf7030c1d8bb9271f8b13f488eb8090053a9646f2778293c0ae808a6e61cfb1ecf5e135e1bc3679c8a371e207c25f0416a8d6f7a13380beba43360c083ba3e70de04ccc3b68524e749976c7b6d316ab520fffc3108""#;
    server.sql_rows(
        r#"INSERT INTO "jwks" ("id", "publicKey", "privateKey", "createdAt", "alg", "crv") VALUES ('bakey', ?, ?, '2026-11-01T00:00:00.000Z', 'EdDSA', 'Ed25519')"#,
        vec![public.into(), private.into()],
    );
    let up = server.sign_up("ba-key@example.com");
    let token = server.get("/token", Some(&up.cookie_header())).json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let jwks = server.get("/jwks", None).json();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(jwks["keys"][0]["kid"], "bakey");
    assert_eq!(
        verify(&server, &token, &jwks).unwrap()["email"],
        "ba-key@example.com"
    );
}

#[test]
fn es256_keys_sign_and_are_listed_as_jose_writes_them() {
    let server = InProcess::new(Some(
        r#"{"plugins":{"jwt":{"jwks":{"keyPairConfig":{"alg":"ES256"}}}}}"#,
    ));
    let up = server.sign_up("es@example.com");
    let token = server.get("/token", Some(&up.cookie_header())).json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let jwks = server.get("/jwks", None).json();
    let key = &jwks["keys"][0];
    assert_eq!(keys(key), ["alg", "crv", "kty", "x", "y", "kid"]);
    assert_eq!(key["alg"], "ES256");
    assert_eq!(key["crv"], "P-256");
    assert_eq!(
        verify(&server, &token, &jwks).unwrap()["email"],
        "es@example.com"
    );
    let rows = server.sql_rows(r#"SELECT "publicKey" FROM "jwks""#, vec![]);
    let public: serde_json::Value = serde_json::from_str(&text(&rows[0][0])).unwrap();
    assert_eq!(keys(&public), ["kty", "x", "y", "crv"]);
    assert!(portcullis::Config::from_json(
        r#"{"plugins":{"jwt":{"jwks":{"keyPairConfig":{"alg":"RS256"}}}}}"#
    )
    .is_err());
}

#[test]
fn email_otp_can_mail_a_verification_code_after_sign_up() {
    let server = InProcess::new(Some(
        r#"{"plugins":{"emailOTP":{"sendVerificationOnSignUp":true}}}"#,
    ));
    let up = server.sign_up("new@example.com");
    assert_eq!(up.status, 200);
    let otp = server.mail.last("new@example.com").token;
    let verified = server.post_json(
        "/email-otp/verify-email",
        Some(&up.cookie_header()),
        &json!({"email": "new@example.com", "otp": otp}).to_string(),
    );
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert_eq!(verified.json()["user"]["emailVerified"], true);
    assert_eq!(verified.json()["token"], serde_json::Value::Null);
}

#[test]
fn an_immutable_username_cannot_change_once_set() {
    let server = InProcess::new(Some(
        r#"{"plugins":{"username":{"immutableUsername":true}}}"#,
    ));
    let up = server.post_json(
        "/sign-up/email",
        None,
        r#"{"name":"I","email":"imm@example.com","password":"password123","username":"first"}"#,
    );
    let cookies = up.cookie_header();
    let same = server.post_json("/update-user", Some(&cookies), r#"{"username":"FIRST"}"#);
    assert_eq!(same.status, 200, "{}", same.body);
    let other = server.post_json("/update-user", Some(&cookies), r#"{"username":"second"}"#);
    assert_eq!(other.status, 400);
    assert_eq!(
        other.json(),
        json!({"code": "USERNAME_IS_IMMUTABLE", "message": "Username cannot be updated"})
    );
}

#[test]
fn a_magic_link_for_an_unknown_address_with_sign_up_off_redirects_with_an_error() {
    let server = InProcess::new(Some(r#"{"plugins":{"magicLink":{"disableSignUp":true}}}"#));
    server.post_json(
        "/sign-in/magic-link",
        None,
        r#"{"email":"stranger@example.com","callbackURL":"/app"}"#,
    );
    let token = server.mail.last("stranger@example.com").token;
    let r = server.get(
        &format!("/magic-link/verify?token={token}&callbackURL=%2Fapp"),
        None,
    );
    assert_eq!(r.status, 302);
    assert_eq!(
        r.header("location"),
        Some("http://127.0.0.1:3100/app?error=new_user_signup_disabled")
    );
    assert!(server
        .sql_rows(r#"SELECT 1 FROM "user""#, vec![])
        .is_empty());
}

#[test]
fn a_two_factor_challenge_expires_after_ten_minutes() {
    let server = InProcess::new(Some(TWO_FACTOR));
    let (uri, _) = enrol(&server, "late2fa@example.com");
    let cookie = password_sign_in(&server, "late2fa@example.com", None).cookie_header();
    server.clock.advance_seconds(601);
    let code = totp_now(&uri, server.clock.0.get());
    let late = server.post_json(
        "/two-factor/verify-totp",
        Some(&cookie),
        &json!({ "code": code }).to_string(),
    );
    assert_eq!(late.status, 401);
    assert_eq!(late.json()["code"], "INVALID_TWO_FACTOR_COOKIE");
}

#[test]
fn a_display_username_alone_becomes_the_username_and_callbacks_are_echoed() {
    let server = InProcess::new(Some(USERNAME));
    let up = server.post_json(
        "/sign-up/email",
        None,
        r#"{"name":"V","email":"v@example.com","password":"password123","displayUsername":"Vera.V"}"#,
    );
    assert_eq!(up.status, 200, "{}", up.body);
    assert_eq!(up.json()["user"]["username"], "vera.v");
    assert_eq!(up.json()["user"]["displayUsername"], "Vera.V");
    let signed_in = server.post_json(
        "/sign-in/username",
        None,
        r#"{"username":"vera.v","password":"password123","callbackURL":"/home"}"#,
    );
    let body = signed_in.json();
    assert_eq!(keys(&body), ["redirect", "token", "url", "user"]);
    assert_eq!(body["redirect"], true);
    assert_eq!(body["url"], "/home");
    assert_eq!(signed_in.header("location"), Some("/home"));
}
