//! The native host on PostgreSQL: the round-trip budgets, Better Auth's column types, and unique
//! violations — in process, SQL calls counted, against the database in
//! `PORTCULLIS_TEST_POSTGRES_URL`. Ignored by a plain `cargo test`; scripts/test.sh starts a
//! throwaway cluster (scripts/postgres.sh) and runs them with `--ignored`.

mod common;

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
