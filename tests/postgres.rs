//! The native host on PostgreSQL: the round-trip budgets, Better Auth's column types, and unique
//! violations — in process, SQL calls counted, against the database in
//! `PORTCULLIS_TEST_POSTGRES_URL`. Ignored by a plain `cargo test`; scripts/test.sh starts a
//! throwaway cluster (scripts/postgres.sh) and runs them with `--ignored`.

mod common;

use common::two_factor::{enrol, password_sign_in, totp_now, wrong_code};
use common::InProcess;
use portcullis::host::postgres::PgSql;
use portcullis::store::migrations::Dialect;
use portcullis::store::KvCounts;
use portcullis::Value;

fn server(config_json: Option<&str>, with_kv: bool) -> InProcess {
    let url = std::env::var("PORTCULLIS_TEST_POSTGRES_URL")
        .expect("PORTCULLIS_TEST_POSTGRES_URL (scripts/postgres.sh start prints one)");
    InProcess::with_database(
        Box::new(PgSql::new(&url).unwrap()),
        Dialect::Postgres,
        config_json,
        with_kv,
    )
}

/// Addresses unique to this run: the database is shared by the tests and kept between runs.
fn email(label: &str) -> String {
    format!(
        "{label}-{}@example.com",
        portcullis::crypto::generate_id().to_lowercase()
    )
}

#[test]
#[ignore = "needs PostgreSQL: PORTCULLIS_TEST_POSTGRES_URL, set by scripts/test.sh"]
fn the_round_trip_budgets_hold_on_postgres() {
    let server = server(None, false);
    let address = email("budget");
    server.take_counts();
    let r = server.sign_up(&address);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        server.take_counts(),
        (1, 1),
        "sign-up: one read, one write batch"
    );
    let cookies = r.cookie_header();
    let r = server.post_json(
        "/sign-in/email",
        None,
        &format!(r#"{{"email":"{address}","password":"password123"}}"#),
    );
    assert_eq!(r.status, 200);
    let (queries, batches) = server.take_counts();
    assert!(queries + batches <= 2, "sign-in: {queries} + {batches}");
    server.get("/get-session", Some(&cookies));
    assert_eq!(server.take_counts(), (0, 0), "cookie cache");
    let r = server.get("/get-session?disableCookieCache=true", Some(&cookies));
    assert_eq!(r.json()["user"]["email"], address.as_str());
    assert_eq!(
        server.take_counts(),
        (1, 0),
        "one query for session and user"
    );
}

#[test]
#[ignore = "needs PostgreSQL: PORTCULLIS_TEST_POSTGRES_URL, set by scripts/test.sh"]
fn with_kv_a_stale_cookie_cache_costs_one_kv_read_and_no_sql_on_postgres() {
    let server = server(Some(r#"{"secondaryStorage":{"enabled":true}}"#), true);
    let cookies = server.sign_up(&email("kv")).cookie_header();
    server.clock.advance_seconds(301);
    server.take_counts();
    server.take_kv_counts();
    let r = server.get("/get-session", Some(&cookies));
    assert_ne!(r.body, "null");
    assert_eq!(server.take_counts(), (0, 0));
    assert_eq!(
        server.take_kv_counts(),
        KvCounts {
            reads: 1,
            ..KvCounts::default()
        }
    );
}

#[test]
#[ignore = "needs PostgreSQL: PORTCULLIS_TEST_POSTGRES_URL, set by scripts/test.sh"]
fn rows_use_better_auths_postgres_types_and_read_back_as_the_core_expects() {
    let server = server(None, false);
    let address = email("types");
    let r = server.sign_up(&address);
    let created_at = r.json()["user"]["createdAt"].as_str().unwrap().to_owned();
    let rows = server.sql_rows(
        r#"SELECT "emailVerified", "createdAt", pg_typeof("emailVerified")::text, pg_typeof("createdAt")::text FROM "user" WHERE "email" = ?"#,
        vec![address.as_str().into()],
    );
    assert_eq!(
        rows,
        vec![vec![
            Value::Integer(0),
            Value::Text(created_at),
            Value::Text("boolean".into()),
            Value::Text("timestamp with time zone".into()),
        ]]
    );
    let again = server.sign_up(&address);
    assert_eq!(again.status, 422, "a unique violation is recognised");
    assert_eq!(
        again.json()["code"],
        "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"
    );
}

const ALL_PLUGINS: &str = r#"{"plugins":{"twoFactor":{},"username":{},"magicLink":{},"emailOTP":{},"jwt":{},"bearer":{}}}"#;

/// A username unique to this run (3–30 characters of `[a-z0-9_.]`).
fn username(label: &str) -> String {
    let id = portcullis::crypto::generate_id().to_lowercase();
    format!("{label}_{}", &id[..16])
}

#[test]
#[ignore = "needs PostgreSQL: PORTCULLIS_TEST_POSTGRES_URL, set by scripts/test.sh"]
fn with_every_plugin_on_the_round_trip_budgets_hold_on_postgres() {
    let server = server(Some(ALL_PLUGINS), false);
    let address = email("plugins");
    let name = username("rt");
    server.take_counts();
    let up = server.post_json(
        "/sign-up/email",
        None,
        &serde_json::json!({"name": "R", "email": address, "password": "password123", "username": name})
            .to_string(),
    );
    assert_eq!(up.status, 200, "{}", up.body);
    assert_eq!(up.json()["user"]["username"], name.as_str());
    assert_eq!(up.json()["user"]["twoFactorEnabled"], false);
    assert_eq!(
        server.take_counts(),
        (2, 1),
        "sign-up: the email and the username checked, one write batch"
    );
    // The jwt plugin makes (or reads) its key on first use; after that it is kept.
    server.get("/get-session", Some(&up.cookie_header()));
    server.take_counts();
    let signed_in = password_sign_in(&server, &address, None);
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    assert_eq!(server.take_counts(), (2, 0), "sign-in/email");
    let by_name = server.post_json(
        "/sign-in/username",
        None,
        &serde_json::json!({"username": name.to_uppercase(), "password": "password123"})
            .to_string(),
    );
    assert_eq!(by_name.status, 200, "{}", by_name.body);
    assert_eq!(by_name.json()["user"]["email"], address.as_str());
    assert_eq!(server.take_counts(), (2, 0), "sign-in/username");
    let cookies = signed_in.cookie_header();
    let cached = server.get("/get-session", Some(&cookies));
    assert!(cached.header("set-auth-jwt").is_some());
    assert_eq!(server.take_counts(), (0, 0), "get-session, cookie cache");
    server.get("/get-session?disableCookieCache=true", Some(&cookies));
    assert_eq!(server.take_counts(), (1, 0), "get-session, database");
    let token = server.get("/token", Some(&cookies));
    assert_eq!(token.status, 200, "{}", token.body);
    assert_eq!(
        server.take_counts(),
        (0, 0),
        "token: key kept, cookie cache"
    );
    let token = token.json()["token"].as_str().unwrap().to_owned();
    let jwks = server.get("/jwks", None).json();
    let now = server.clock.0.get() / 1000;
    let claims = server
        .block_on(portcullis::plugins::jwt::verify_jwt(
            &token,
            &jwks,
            Some("http://127.0.0.1:3100"),
            Some("http://127.0.0.1:3100"),
            now,
        ))
        .unwrap();
    assert_eq!(claims["email"], address.as_str());
    let taken = server.post_json(
        "/sign-up/email",
        None,
        &serde_json::json!({"name": "T", "email": email("taken"), "password": "password123", "username": name})
            .to_string(),
    );
    assert_eq!(taken.status, 400, "{}", taken.body);
    assert_eq!(taken.json()["code"], "USERNAME_IS_ALREADY_TAKEN");
}

#[test]
#[ignore = "needs PostgreSQL: PORTCULLIS_TEST_POSTGRES_URL, set by scripts/test.sh"]
fn two_factor_enrols_challenges_and_signs_in_on_postgres() {
    let server = server(Some(ALL_PLUGINS), false);
    let address = email("totp");
    let (uri, cookies) = enrol(&server, &address);
    let rows = server.sql_rows(
        r#"SELECT t."verified", u."twoFactorEnabled", pg_typeof(t."verified")::text, pg_typeof(u."twoFactorEnabled")::text FROM "twoFactor" t JOIN "user" u ON u."id" = t."userId" WHERE u."email" = ?"#,
        vec![address.as_str().into()],
    );
    assert_eq!(
        rows,
        vec![vec![
            Value::Integer(1),
            Value::Integer(1),
            Value::Text("boolean".into()),
            Value::Text("boolean".into()),
        ]]
    );
    let session = server.get("/get-session?disableCookieCache=true", Some(&cookies));
    assert_eq!(session.json()["user"]["twoFactorEnabled"], true);

    server.take_counts();
    let challenged = password_sign_in(&server, &address, None);
    assert_eq!(challenged.json()["twoFactorRedirect"], true);
    assert_eq!(
        server.take_counts(),
        (3, 1),
        "challenged sign-in, as on SQLite"
    );
    let challenge = challenged.cookie_header();
    let wrong = server.post_json(
        "/two-factor/verify-totp",
        Some(&challenge),
        &serde_json::json!({ "code": wrong_code(&uri, server.clock.0.get()) }).to_string(),
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json()["code"], "INVALID_CODE");
    let failures = server.sql_rows(
        r#"SELECT t."failedVerificationCount" FROM "twoFactor" t JOIN "user" u ON u."id" = t."userId" WHERE u."email" = ?"#,
        vec![address.as_str().into()],
    );
    assert_eq!(failures, vec![vec![Value::Integer(1)]]);
    let code = totp_now(&uri, server.clock.0.get());
    let verified = server.post_json(
        "/two-factor/verify-totp",
        Some(&challenge),
        &serde_json::json!({ "code": code }).to_string(),
    );
    assert_eq!(verified.status, 200, "{}", verified.body);
    let signed_in = verified.cookie_header();
    let session = server.get("/get-session?disableCookieCache=true", Some(&signed_in));
    assert_eq!(session.json()["user"]["email"], address.as_str());
}

#[test]
#[ignore = "needs PostgreSQL: PORTCULLIS_TEST_POSTGRES_URL, set by scripts/test.sh"]
fn ten_two_factor_failures_lock_the_account_until_a_timestamptz_on_postgres() {
    let server = server(Some(ALL_PLUGINS), false);
    let address = email("lock");
    let (uri, _) = enrol(&server, &address);
    for _ in 0..2 {
        let challenge = password_sign_in(&server, &address, None).cookie_header();
        for _ in 0..5 {
            let r = server.post_json(
                "/two-factor/verify-totp",
                Some(&challenge),
                &serde_json::json!({ "code": wrong_code(&uri, server.clock.0.get()) }).to_string(),
            );
            assert_eq!(r.json()["code"], "INVALID_CODE");
        }
    }
    let rows = server.sql_rows(
        r#"SELECT t."lockedUntil", pg_typeof(t."lockedUntil")::text FROM "twoFactor" t JOIN "user" u ON u."id" = t."userId" WHERE u."email" = ?"#,
        vec![address.as_str().into()],
    );
    let locked_until = server.clock.0.get() + 15 * 60 * 1000;
    assert_eq!(
        rows,
        vec![vec![
            Value::Text(portcullis::time::to_iso(locked_until)),
            Value::Text("timestamp with time zone".into()),
        ]]
    );
    let challenge = password_sign_in(&server, &address, None).cookie_header();
    let locked = server.post_json(
        "/two-factor/verify-totp",
        Some(&challenge),
        &serde_json::json!({ "code": totp_now(&uri, server.clock.0.get()) }).to_string(),
    );
    assert_eq!(locked.status, 429);
    assert_eq!(locked.json()["code"], "ACCOUNT_TEMPORARILY_LOCKED");
    server.clock.advance_seconds(15 * 60 + 1);
    let challenge = password_sign_in(&server, &address, None).cookie_header();
    let unlocked = server.post_json(
        "/two-factor/verify-totp",
        Some(&challenge),
        &serde_json::json!({ "code": totp_now(&uri, server.clock.0.get()) }).to_string(),
    );
    assert_eq!(unlocked.status, 200, "{}", unlocked.body);
}
