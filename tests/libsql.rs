//! libSQL over HTTP (`store::libsql`, Hrana v2 pipelines): the driver's values, transactions and
//! errors, the native server running on it, and one HTTP request per round trip — against the
//! Hrana test server in `tests/common/hrana.rs`.

mod common;

use common::hrana::Hrana;
use common::Server;
use portcullis::store::libsql::LibsqlSql;
use portcullis::{Sql, Statement, Value};

const TOKEN: &str = "test-token-0123456789";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn driver(hrana: &Hrana, token: &str) -> LibsqlSql {
    let http = Box::new(portcullis::net::native::HyperClient::new().unwrap());
    LibsqlSql::new(&hrana.url, Some(token.to_owned()), http).unwrap()
}

#[test]
fn values_round_trip_through_hrana_json() {
    let hrana = Hrana::start(Some(TOKEN));
    let sql = driver(&hrana, TOKEN);
    let values = vec![
        Value::Null,
        Value::Integer(i64::MAX),
        Value::Real(1.5),
        Value::Text("é \"quoted\"".into()),
        Value::Blob(vec![0, 1, 2, 255]),
    ];
    let rows = runtime()
        .block_on(sql.query(Statement::new("SELECT ?, ?, ?, ?, ?", values.clone())))
        .unwrap();
    assert_eq!(rows, vec![values]);
    assert_eq!(hrana.take_pipelines(), 1);
}

#[test]
fn a_batch_is_one_request_and_all_or_nothing() {
    let hrana = Hrana::start(Some(TOKEN));
    let sql = driver(&hrana, TOKEN);
    let rt = runtime();
    rt.block_on(
        sql.execute_script(r#"CREATE TABLE "t" ("id" integer primary key, "v" text unique);"#),
    )
    .unwrap();
    hrana.take_pipelines();
    let insert = |id: i64, v: &str| {
        Statement::new(
            r#"INSERT INTO "t" ("id", "v") VALUES (?, ?) RETURNING "id""#,
            vec![id.into(), v.into()],
        )
    };
    let results = rt
        .block_on(sql.batch(vec![insert(1, "a"), insert(2, "b")]))
        .unwrap();
    assert_eq!(
        results,
        vec![vec![vec![Value::Integer(1)]], vec![vec![Value::Integer(2)]]]
    );
    assert_eq!(hrana.take_pipelines(), 1, "one HTTP request for the batch");

    let error = rt
        .block_on(sql.batch(vec![insert(3, "c"), insert(4, "a")]))
        .unwrap_err();
    assert!(error.unique_violation, "{error}");
    let count = rt
        .block_on(sql.query(Statement::new(r#"SELECT COUNT(*) FROM "t""#, vec![])))
        .unwrap();
    assert_eq!(
        count,
        vec![vec![Value::Integer(2)]],
        "the failed batch left nothing"
    );

    let error =
        rt.block_on(sql.execute_script(
            r#"INSERT INTO "t" VALUES (5, 'e'); INSERT INTO "t" VALUES (6, 'a');"#,
        ))
        .unwrap_err();
    assert!(error.unique_violation, "{error}");
    let count = rt
        .block_on(sql.query(Statement::new(r#"SELECT COUNT(*) FROM "t""#, vec![])))
        .unwrap();
    assert_eq!(
        count,
        vec![vec![Value::Integer(2)]],
        "a failed script is rolled back"
    );
}

#[test]
fn a_wrong_token_is_an_error_that_names_the_status() {
    let hrana = Hrana::start(Some(TOKEN));
    let sql = driver(&hrana, "wrong");
    let error = runtime()
        .block_on(sql.query(Statement::new("SELECT 1", vec![])))
        .unwrap_err();
    assert!(error.message.contains("401"), "{error}");
}

#[test]
fn the_native_server_runs_on_libsql_with_one_request_per_round_trip() {
    let hrana = Hrana::start(Some(TOKEN));
    let url = format!("{}?authToken={TOKEN}", hrana.url);
    let server = Server::start_on(url.into(), None);
    hrana.take_pipelines();

    let r = server.sign_up("libsql@example.com", "password123");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        hrana.take_pipelines(),
        2,
        "sign-up: one read, one write batch"
    );
    let cookies = r.cookie_header();

    let r = server.get("/get-session?disableCookieCache=true", Some(&cookies));
    assert_eq!(r.json()["user"]["email"], "libsql@example.com");
    assert_eq!(hrana.take_pipelines(), 1, "get-session from the database");

    let again = server.sign_up("libsql@example.com", "password123");
    assert_eq!(again.status, 422);
    assert_eq!(
        again.json()["code"],
        "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"
    );

    let r = server.post_json(
        "/sign-in/email",
        None,
        r#"{"email":"libsql@example.com","password":"password123"}"#,
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        server
            .post_json("/revoke-sessions", Some(&cookies), "{}")
            .status,
        200
    );
    let r = server.get("/get-session?disableCookieCache=true", Some(&cookies));
    assert_eq!(r.body, "null");
    let rows = rusqlite::Connection::open(&hrana.database)
        .unwrap()
        .query_row(r#"SELECT COUNT(*) FROM "session""#, [], |row| {
            row.get::<_, i64>(0)
        })
        .unwrap();
    assert_eq!(rows, 0, "the sessions are gone from the libSQL database");
}

#[test]
fn portcullis_migrate_applies_the_migrations_to_libsql() {
    let hrana = Hrana::start(Some(TOKEN));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["migrate", "--database", &hrana.url])
        .env("LIBSQL_AUTH_TOKEN", TOKEN)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{log}");
    assert!(log.contains("applying 0001_better_auth_core.sql"), "{log}");
    assert!(!log.contains(TOKEN));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args([
            "migrate",
            "--database",
            &format!("{}?authToken=nope", hrana.url),
        ])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(log.contains("401") && !log.contains("nope"), "{log}");
}

/// The driver against a real libSQL server (sqld, Turso) in `PORTCULLIS_TEST_LIBSQL_URL` (token
/// in `LIBSQL_AUTH_TOKEN`): values, an all-or-nothing batch, a rolled-back script, migrations.
#[test]
#[ignore = "needs a libSQL server: PORTCULLIS_TEST_LIBSQL_URL (e.g. a local sqld)"]
fn the_driver_works_against_a_real_libsql_server() {
    let url = std::env::var("PORTCULLIS_TEST_LIBSQL_URL").unwrap();
    let http = Box::new(portcullis::net::native::HyperClient::new().unwrap());
    let sql = LibsqlSql::new(&url, std::env::var("LIBSQL_AUTH_TOKEN").ok(), http).unwrap();
    let rt = runtime();
    let values = vec![
        Value::Null,
        Value::Integer(i64::MIN),
        Value::Real(-2.25),
        Value::Text("é \"quoted\" \\ \n".into()),
        Value::Blob(vec![0, 1, 2, 255]),
    ];
    let rows = rt
        .block_on(sql.query(Statement::new("SELECT ?, ?, ?, ?, ?", values.clone())))
        .unwrap();
    assert_eq!(rows, vec![values]);

    rt.block_on(sql.execute_script(
        r#"DROP TABLE IF EXISTS "portcullis_driver_test"; CREATE TABLE "portcullis_driver_test" ("id" integer primary key, "v" text unique);"#,
    ))
    .unwrap();
    let row = |id: i64, v: &str| {
        Statement::new(
            r#"INSERT INTO "portcullis_driver_test" ("id", "v") VALUES (?, ?) RETURNING "id""#,
            vec![id.into(), v.into()],
        )
    };
    let count = || Statement::new(r#"SELECT COUNT(*) FROM "portcullis_driver_test""#, vec![]);
    let results = rt
        .block_on(sql.batch(vec![row(1, "a"), row(2, "b")]))
        .unwrap();
    assert_eq!(
        results,
        vec![vec![vec![Value::Integer(1)]], vec![vec![Value::Integer(2)]]]
    );
    let error = rt
        .block_on(sql.batch(vec![row(3, "c"), row(4, "a")]))
        .unwrap_err();
    assert!(error.unique_violation, "{error}");
    let n = rt.block_on(sql.query(count())).unwrap();
    assert_eq!(
        n,
        vec![vec![Value::Integer(2)]],
        "the failed batch left nothing"
    );
    let failing = r#"INSERT INTO "portcullis_driver_test" VALUES (5, 'e'); INSERT INTO "portcullis_driver_test" VALUES (6, 'a');"#;
    assert!(rt.block_on(sql.execute_script(failing)).is_err());
    let n = rt.block_on(sql.query(count())).unwrap();
    assert_eq!(
        n,
        vec![vec![Value::Integer(2)]],
        "a failed script is rolled back"
    );
    rt.block_on(sql.execute_script(r#"DROP TABLE "portcullis_driver_test";"#))
        .unwrap();
    rt.block_on(portcullis::store::migrations::apply(&sql))
        .unwrap();
}
