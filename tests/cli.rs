//! The command line (`portcullis migrate | generate | secret`), run as the built binary.

mod common;

use std::process::{Command, Output};

fn portcullis(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portcullis"));
    command
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("PORTCULLIS_CONFIG")
        .env_remove("PORTCULLIS_CONFIG_FILE");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn tables(path: &std::path::Path) -> Vec<String> {
    let connection = rusqlite::Connection::open(path).unwrap();
    let mut statement = connection
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap();
    let names = statement
        .query_map([], |row| row.get::<_, String>(0))
        .unwrap();
    names.map(Result::unwrap).collect()
}

#[test]
fn secret_prints_a_new_256_bit_hex_secret_each_time() {
    let first = portcullis(&["secret"], &[]);
    assert!(first.status.success());
    let line = stdout(&first);
    let secret = line
        .trim()
        .strip_prefix("BETTER_AUTH_SECRET=")
        .expect("an env line");
    assert_eq!(secret.len(), 64);
    assert!(secret.chars().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(stdout(&portcullis(&["secret"], &[])), line);
}

#[test]
fn migrate_applies_each_pending_migration_with_a_progress_line_then_is_up_to_date() {
    let dir = common::temp_dir("cli");
    let database = dir.join("auth.db");
    let url = format!("sqlite://{}", database.display());
    let first = portcullis(&["migrate", "--database", &url], &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let log = stderr(&first);
    assert!(log.contains("applying 0001_better_auth_core.sql"), "{log}");
    assert!(log.contains("applying 0002_rate_limit.sql"), "{log}");
    assert!(log.contains("applied 2 migration(s)"), "{log}");
    assert_eq!(
        tables(&database),
        [
            "account",
            "d1_migrations",
            "rateLimit",
            "session",
            "sqlite_sequence",
            "user",
            "verification"
        ]
    );
    let again = portcullis(
        &["migrate"],
        &[("DATABASE_URL", database.to_str().unwrap())],
    );
    assert!(again.status.success());
    assert!(!stderr(&again).contains("applying"), "{}", stderr(&again));
    assert!(stderr(&again).contains("is up to date"));
}

#[test]
fn migrate_into_a_missing_directory_fails_with_a_clear_message() {
    let output = portcullis(
        &["migrate", "--database", "/nonexistent-dir/x/auth.db"],
        &[],
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("the directory /nonexistent-dir/x does not exist"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn generate_prints_the_sqlite_schema_by_default_and_better_auths_postgres_schema_on_request() {
    let sqlite = portcullis(&["generate"], &[]);
    assert!(sqlite.status.success());
    let text = stdout(&sqlite);
    assert!(text.contains("-- 0001_better_auth_core.sql"));
    assert!(text.contains(r#""emailVerified" integer not null"#));
    assert!(text.contains(r#""createdAt" date not null"#));

    let postgres = portcullis(&["generate", "--dialect", "postgres"], &[]);
    assert!(postgres.status.success());
    let text = stdout(&postgres);
    assert!(text.contains(r#""emailVerified" boolean not null"#));
    assert!(text.contains(r#""createdAt" timestamptz default CURRENT_TIMESTAMP not null"#));
    assert!(text.contains(r#""lastRequest" bigint not null"#));
}

#[test]
fn generate_includes_the_enabled_plugins_migrations_in_the_dialect_asked_for() {
    let names = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("-- 0") && l.ends_with(".sql"))
            .map(|l| l[3..].to_owned())
            .collect()
    };
    let config = [(
        "PORTCULLIS_CONFIG",
        r#"{"plugins":{"jwt":{},"username":{},"twoFactor":{}}}"#,
    )];
    let postgres = portcullis(&["generate", "--dialect", "postgres"], &config);
    assert!(postgres.status.success(), "{}", stderr(&postgres));
    let text = stdout(&postgres);
    // Better Auth's schema order: twoFactor, username, jwt, whatever order the options list.
    assert_eq!(
        names(&text),
        [
            "0001_better_auth_core.sql",
            "0002_rate_limit.sql",
            "0004_plugin_two_factor.sql",
            "0003_plugin_username.sql",
            "0005_plugin_jwt.sql"
        ]
    );
    assert!(text.contains(r#"ADD COLUMN IF NOT EXISTS "twoFactorEnabled" boolean;"#));
    assert!(text.contains(r#""verified" boolean"#));
    assert!(text.contains(r#""lockedUntil" timestamptz)"#));
    assert!(text.contains(r#"ADD COLUMN IF NOT EXISTS "username" text unique;"#));
    assert!(text.contains(r#""createdAt" timestamptz not null, "expiresAt" timestamptz"#));

    let sqlite = stdout(&portcullis(&["generate"], &config));
    assert_eq!(names(&sqlite), names(&text));
    assert!(sqlite.contains(r#"ADD COLUMN "twoFactorEnabled" integer;"#));
    let bare = stdout(&portcullis(&["generate", "--dialect", "postgres"], &[]));
    assert_eq!(
        names(&bare),
        ["0001_better_auth_core.sql", "0002_rate_limit.sql"]
    );
}

#[test]
fn bad_commands_and_arguments_fail_with_the_usage() {
    for args in [
        vec!["frobnicate"],
        vec!["generate", "--dialect", "oracle"],
        vec!["generate", "--dialect"],
        vec!["migrate", "--force"],
    ] {
        let output = portcullis(&args, &[]);
        assert!(!output.status.success(), "{args:?}");
        let text = stderr(&output);
        assert!(
            text.contains("usage:") || text.contains("unknown dialect"),
            "{args:?}: {text}"
        );
    }
}
