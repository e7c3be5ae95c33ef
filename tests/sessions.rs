//! Session lifetimes, the database round-trip budgets, and interoperability with a database and
//! cookies made by Better Auth — in process, with a clock the test moves and SQL calls counted.

mod common;

use common::{InProcess, RECORDED_NOW};
use portcullis::host::native::SqliteSql;
use portcullis::Value;
use serde_json::json;

const DAY: i64 = 86_400;

fn sign_in(server: &InProcess, email: &str, remember_me: bool) -> common::Response {
    server.post_json(
        "/sign-in/email",
        None,
        &json!({"email": email, "password": "password123", "rememberMe": remember_me}).to_string(),
    )
}

fn expires_at(response: &common::Response) -> i64 {
    portcullis::time::parse_iso(response.json()["session"]["expiresAt"].as_str().unwrap()).unwrap()
}

#[test]
fn sign_up_costs_one_read_and_one_write_batch() {
    let server = InProcess::new(None);
    server.take_counts();
    assert_eq!(server.sign_up("budget@example.com").status, 200);
    assert_eq!(server.take_counts(), (1, 1));
}

#[test]
fn sign_in_costs_at_most_two_round_trips() {
    let server = InProcess::new(None);
    server.sign_up("budget@example.com");
    server.take_counts();
    assert_eq!(sign_in(&server, "budget@example.com", true).status, 200);
    let (queries, batches) = server.take_counts();
    assert!(
        queries + batches <= 2,
        "{queries} queries + {batches} batches"
    );
    assert_eq!(sign_in(&server, "nobody@example.com", true).status, 401);
    assert_eq!(server.take_counts(), (1, 0));
}

#[test]
fn get_session_costs_nothing_from_the_cookie_cache_and_one_query_otherwise() {
    let server = InProcess::new(None);
    let cookies = server.sign_up("budget@example.com").cookie_header();
    server.take_counts();
    assert_eq!(server.get("/get-session", Some(&cookies)).status, 200);
    assert_eq!(server.take_counts(), (0, 0), "cookie cache hit");
    server.get("/get-session?disableCookieCache=true", Some(&cookies));
    assert_eq!(server.take_counts(), (1, 0), "database read");
    server.clock.advance_seconds(301);
    let r = server.get("/get-session", Some(&cookies));
    assert_ne!(r.body, "null");
    assert_eq!(server.take_counts(), (1, 0), "stale cache, database read");
    let token_only = format!(
        "better-auth.session_token={}",
        server
            .sign_up("other@example.com")
            .cookie_value("better-auth.session_token")
            .unwrap()
    );
    server.take_counts();
    server.get("/get-session", Some(&token_only));
    assert_eq!(
        server.take_counts(),
        (1, 0),
        "no cache cookie, database read"
    );
}

#[test]
fn the_cookie_cache_expires_after_max_age_and_the_database_path_reissues_it() {
    let server = InProcess::new(None);
    let cookies = server.sign_up("cache@example.com").cookie_header();
    server.clock.advance_seconds(299);
    assert!(server
        .get("/get-session", Some(&cookies))
        .set_cookies()
        .is_empty());
    server.clock.advance_seconds(2);
    let r = server.get("/get-session", Some(&cookies));
    let data = r
        .set_cookies()
        .into_iter()
        .filter(|c| c.starts_with("better-auth.session_data="))
        .collect::<Vec<_>>();
    assert_eq!(
        data.len(),
        2,
        "the stale cache is expired, then a new one set: {data:?}"
    );
    assert!(data[0].starts_with("better-auth.session_data=; Max-Age=0"));
    assert!(data[1].contains("Max-Age=300"));
}

#[test]
fn a_revoked_session_is_served_from_the_cache_only_until_it_expires() {
    let server = InProcess::new(None);
    let a = server.sign_up("revoked@example.com");
    let b = sign_in(&server, "revoked@example.com", true);
    let b_token = b.json()["token"].as_str().unwrap().to_owned();
    server.post_json(
        "/revoke-session",
        Some(&a.cookie_header()),
        &json!({"token": b_token}).to_string(),
    );
    assert_ne!(
        server.get("/get-session", Some(&b.cookie_header())).body,
        "null",
        "cache hit, as in Better Auth"
    );
    assert_eq!(
        server
            .get(
                "/get-session?disableCookieCache=true",
                Some(&b.cookie_header())
            )
            .body,
        "null"
    );
    server.clock.advance_seconds(301);
    assert_eq!(
        server.get("/get-session", Some(&b.cookie_header())).body,
        "null"
    );
}

#[test]
fn a_session_older_than_a_day_is_extended_to_seven_days_from_now() {
    let server = InProcess::new(None);
    let cookies = server.sign_up("slide@example.com").cookie_header();
    let created = RECORDED_NOW;
    server.clock.advance_seconds(DAY / 2);
    let r = server.get("/get-session?disableCookieCache=true", Some(&cookies));
    assert_eq!(
        expires_at(&r),
        created + 7 * DAY * 1000,
        "younger than a day: not extended"
    );
    assert!(r.set_cookie("better-auth.session_token").is_none());
    server.clock.advance_seconds(DAY / 2 + 1);
    server.take_counts();
    let r = server.get("/get-session?disableCookieCache=true", Some(&cookies));
    assert_eq!(expires_at(&r), server.clock.0.get() + 7 * DAY * 1000);
    assert!(r
        .set_cookie("better-auth.session_token")
        .unwrap()
        .contains("Max-Age=604800"));
    assert_eq!(server.take_counts(), (2, 0), "read + extend");
    let r = server.get(
        "/get-session?disableCookieCache=true&disableRefresh=true",
        Some(&cookies),
    );
    assert!(r.set_cookies().is_empty());
}

#[test]
fn an_expired_session_is_null_cleared_and_deleted() {
    let server = InProcess::new(None);
    let cookies = server.sign_up("expire@example.com").cookie_header();
    server.clock.advance_seconds(7 * DAY + 1);
    let r = server.get("/get-session", Some(&cookies));
    assert_eq!(r.body, "null");
    assert!(r
        .set_cookie("better-auth.session_token")
        .unwrap()
        .contains("Max-Age=0"));
    let rows = server.sql_rows(r#"SELECT COUNT(*) FROM "session""#, vec![]);
    assert_eq!(rows[0][0], Value::Integer(0));
}

#[test]
fn a_session_not_remembered_lasts_one_day_and_is_not_extended() {
    let server = InProcess::new(None);
    server.sign_up("norem@example.com");
    let cookies = sign_in(&server, "norem@example.com", false).cookie_header();
    server.clock.advance_seconds(DAY / 2);
    let r = server.get("/get-session?disableCookieCache=true", Some(&cookies));
    assert_eq!(expires_at(&r), RECORDED_NOW + DAY * 1000);
    assert!(
        r.set_cookies().is_empty(),
        "Better Auth does not touch a dont_remember session on read"
    );
    server.clock.advance_seconds(DAY / 2 + 1);
    assert_eq!(
        server
            .get("/get-session?disableCookieCache=true", Some(&cookies))
            .body,
        "null"
    );
}

#[test]
fn list_sessions_needs_a_session_created_within_a_day() {
    let server = InProcess::new(None);
    let cookies = server.sign_up("fresh@example.com").cookie_header();
    assert_eq!(server.get("/list-sessions", Some(&cookies)).status, 200);
    server.clock.advance_seconds(DAY + 1);
    let r = server.get("/list-sessions", Some(&cookies));
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            403,
            r#"{"message":"Session is not fresh","code":"SESSION_NOT_FRESH"}"#
        )
    );
}

#[test]
fn an_expired_session_is_not_listed() {
    let server = InProcess::new(None);
    server.sign_up("listed@example.com");
    let old = sign_in(&server, "listed@example.com", false);
    server.clock.advance_seconds(DAY / 2);
    let cookies = sign_in(&server, "listed@example.com", true).cookie_header();
    let old_token = old.json()["token"].as_str().unwrap().to_owned();
    server.clock.advance_seconds(DAY / 2 + 1);
    let listed = server.get("/list-sessions", Some(&cookies)).json();
    let tokens: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["token"].as_str().unwrap())
        .collect();
    assert_eq!(tokens.len(), 2);
    assert!(!tokens.contains(&old_token.as_str()));
}

// --- A database and cookies made by Better Auth 1.7.25 (shared/better-auth/recorded) ---

/// `schema.sql` as better-auth's own migration wrote it (core tables plus the twoFactor and
/// username plugins' columns).
const BETTER_AUTH_SCHEMA: &str = r#"
CREATE TABLE "user" ("id" text not null primary key, "name" text not null, "email" text not null unique, "emailVerified" integer not null, "image" text, "createdAt" date not null, "updatedAt" date not null, "twoFactorEnabled" integer, "username" text unique, "displayUsername" text);
CREATE TABLE "session" ("id" text not null primary key, "expiresAt" date not null, "token" text not null unique, "createdAt" date not null, "updatedAt" date not null, "ipAddress" text, "userAgent" text, "userId" text not null references "user" ("id") on delete cascade);
CREATE TABLE "account" ("id" text not null primary key, "accountId" text not null, "providerId" text not null, "userId" text not null references "user" ("id") on delete cascade, "accessToken" text, "refreshToken" text, "idToken" text, "accessTokenExpiresAt" date, "refreshTokenExpiresAt" date, "scope" text, "password" text, "createdAt" date not null, "updatedAt" date not null);
CREATE TABLE "verification" ("id" text not null primary key, "identifier" text not null, "value" text not null, "expiresAt" date not null, "createdAt" date not null, "updatedAt" date not null);
CREATE TABLE "twoFactor" ("id" text not null primary key, "secret" text not null, "backupCodes" text not null, "userId" text not null references "user" ("id") on delete cascade, "verified" integer, "failedVerificationCount" integer, "lockedUntil" date);
CREATE INDEX "session_userId_idx" on "session" ("userId");
CREATE INDEX "account_userId_idx" on "account" ("userId");
CREATE INDEX "verification_identifier_idx" on "verification" ("identifier");
CREATE INDEX "twoFactor_secret_idx" on "twoFactor" ("secret");
CREATE INDEX "twoFactor_userId_idx" on "twoFactor" ("userId");
INSERT INTO "user" VALUES ('cTZHX57cQjrg2UN2wRgNUraJre1wa44b', 'Curl', 'curl@example.com', 0, NULL, '2026-11-27T08:53:39.258Z', '2026-11-27T08:53:39.258Z', 0, NULL, NULL);
INSERT INTO "session" VALUES ('tw9TUKmS8BcsbYnASkgcX5KzaGws0org', '2026-12-04T08:53:39.262Z', 'WfSRKaKYDLjJ5SNzKtyREbQNWcbPmmCV', '2026-11-27T08:53:39.262Z', '2026-11-27T08:53:39.262Z', '', 'curl/7.88.1', 'cTZHX57cQjrg2UN2wRgNUraJre1wa44b');
INSERT INTO "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt") VALUES ('fA1qDXqL87nAmo85wVaNh5sxxbBXkEHm', 'cTZHX57cQjrg2UN2wRgNUraJre1wa44b', 'credential', 'cTZHX57cQjrg2UN2wRgNUraJre1wa44b', '87b57616e279ae1d7a2f27a35af347a2:b758f520a95ff1e9f68977d48619f8ac486fbe26515100d52d04a3e9f3dd4abed0b123684c78fb5ad27dc2e3080769901dc36048cbd6af0a0afcaaacbd256336', '2026-11-27T08:53:39.258Z', '2026-11-27T08:53:39.258Z');
"#;

/// The cookies Better Auth set on that sign-up (recorded/curl-cases.txt).
const RECORDED_TOKEN_COOKIE: &str =
    "WfSRKaKYDLjJ5SNzKtyREbQNWcbPmmCV.s1WDN8GTE8PNV2pkIAQI4TT55EOrN1z%2F3GxHeebgbT0%3D";
const RECORDED_CACHE_COOKIE: &str = "eyJzZXNzaW9uIjp7InNlc3Npb24iOnsiZXhwaXJlc0F0IjoiMjAyNi0xMi0wNFQwODo1MzozOS4yNjJaIiwidG9rZW4iOiJXZlNSS2FLWURMako1U056S3R5UkViUU5XY2JQbW1DViIsImNyZWF0ZWRBdCI6IjIwMjYtMTEtMjdUMDg6NTM6MzkuMjYyWiIsInVwZGF0ZWRBdCI6IjIwMjYtMTEtMjdUMDg6NTM6MzkuMjYyWiIsImlwQWRkcmVzcyI6IiIsInVzZXJBZ2VudCI6ImN1cmwvNy44OC4xIiwidXNlcklkIjoiY1RaSFg1N2NRanJnMlVOMndSZ05VcmFKcmUxd2E0NGIiLCJpZCI6InR3OVRVS21TOEJjc2JZbkFTa2djWDVLemFHd3Mwb3JnIn0sInVzZXIiOnsibmFtZSI6IkN1cmwiLCJlbWFpbCI6ImN1cmxAZXhhbXBsZS5jb20iLCJlbWFpbFZlcmlmaWVkIjpmYWxzZSwiaW1hZ2UiOm51bGwsImNyZWF0ZWRBdCI6IjIwMjYtMTEtMjdUMDg6NTM6MzkuMjU4WiIsInVwZGF0ZWRBdCI6IjIwMjYtMTEtMjdUMDg6NTM6MzkuMjU4WiIsInR3b0ZhY3RvckVuYWJsZWQiOmZhbHNlLCJ1c2VybmFtZSI6bnVsbCwiZGlzcGxheVVzZXJuYW1lIjpudWxsLCJpZCI6ImNUWkhYNTdjUWpyZzJVTjJ3UmdOVXJhSnJlMXdhNDRiIn0sInVwZGF0ZWRBdCI6MTc5NTc2OTYxOTI4NSwidmVyc2lvbiI6IjEifSwiZXhwaXJlc0F0IjoxNzk1NzY5OTE5Mjg1LCJzaWduYXR1cmUiOiJGSnU4a2VObVFabC1veDhUdVhhY05JWm5DTHhENE9Bb2xMZ2tKOU5ZcGhFIn0";

fn better_auth_database(config: Option<&str>) -> InProcess {
    let sql = SqliteSql::memory().unwrap();
    let server = {
        use portcullis::Sql;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime
            .block_on(sql.execute_script(BETTER_AUTH_SCHEMA))
            .unwrap();
        InProcess::with_sql(sql, config)
    };
    server.clock.0.set(RECORDED_NOW + 1000);
    server
}

fn schema_of(server: &InProcess) -> Vec<Vec<Value>> {
    server.sql_rows("SELECT type, name, sql FROM sqlite_master WHERE tbl_name NOT IN ('d1_migrations', 'sqlite_sequence') ORDER BY name", vec![])
}

#[test]
fn migrations_leave_a_better_auth_database_as_it_is() {
    let sql = SqliteSql::memory().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    {
        use portcullis::Sql;
        runtime
            .block_on(sql.execute_script(BETTER_AUTH_SCHEMA))
            .unwrap();
    }
    let before = {
        use portcullis::Sql;
        runtime.block_on(sql.query(portcullis::Statement::new("SELECT type, name, sql FROM sqlite_master WHERE tbl_name NOT IN ('d1_migrations', 'sqlite_sequence') ORDER BY name", vec![]))).unwrap()
    };
    let server = InProcess::with_sql(sql, None);
    // The additions are wrangler's `d1_migrations` bookkeeping table and Better Auth's own
    // `rateLimit` table, as Better Auth's migration creates it for rateLimit.storage "database".
    let (rate_limit, after): (Vec<_>, Vec<_>) = schema_of(&server)
        .into_iter()
        .partition(|row| matches!(&row[1], Value::Text(name) if name.contains("rateLimit")));
    assert_eq!(
        after, before,
        "no table, column or index of Better Auth's added or changed"
    );
    assert_eq!(
        rate_limit[0][2],
        Value::Text(r#"CREATE TABLE "rateLimit" ("id" text not null primary key, "key" text not null unique, "count" integer not null, "lastRequest" bigint not null)"#.into())
    );
    let users = server.sql_rows(r#"SELECT COUNT(*) FROM "user""#, vec![]);
    assert_eq!(users[0][0], Value::Integer(1), "no data touched");
}

#[test]
fn a_cookie_cache_minted_by_better_auth_answers_get_session_without_the_database() {
    let server = better_auth_database(None);
    let cookies = format!("better-auth.session_token={RECORDED_TOKEN_COOKIE}; better-auth.session_data={RECORDED_CACHE_COOKIE}");
    server.take_counts();
    let r = server.get("/get-session", Some(&cookies));
    assert_eq!(r.status, 200);
    assert_eq!(server.take_counts(), (0, 0));
    let body = r.json();
    assert_eq!(body["user"]["email"], "curl@example.com");
    assert_eq!(body["session"]["token"], "WfSRKaKYDLjJ5SNzKtyREbQNWcbPmmCV");
}

#[test]
fn a_session_token_minted_by_better_auth_reads_its_session_from_a_better_auth_database() {
    let server = better_auth_database(None);
    let r = server.get(
        "/get-session",
        Some(&format!(
            "better-auth.session_token={RECORDED_TOKEN_COOKIE}"
        )),
    );
    let body = r.json();
    assert_eq!(body["user"]["id"], "cTZHX57cQjrg2UN2wRgNUraJre1wa44b");
    assert_eq!(body["session"]["userAgent"], "curl/7.88.1");
    assert_eq!(body["session"]["expiresAt"], "2026-12-04T08:53:39.262Z");
    // The cookie cache it issues is byte-compatible: decode it as Better Auth would.
    let cache = r.cookie_value("better-auth.session_data").unwrap();
    let decoded = portcullis::cookies::decode_cookie_cache(&cache, common::SECRET).unwrap();
    assert!(decoded.payload_json.starts_with(r#"{"session":{"expiresAt":"2026-12-04T08:53:39.262Z","token":"WfSRKaKYDLjJ5SNzKtyREbQNWcbPmmCV""#));
}

#[test]
fn a_better_auth_scrypt_password_signs_in_and_is_upgraded_to_argon2id() {
    let server = better_auth_database(None);
    let r = sign_in(&server, "curl@example.com", true);
    assert_eq!(r.status, 200, "{}", r.body);
    let rows = server.sql_rows(
        r#"SELECT "password" FROM "account" WHERE "providerId" = 'credential'"#,
        vec![],
    );
    let stored = rows[0][0].as_str().unwrap().to_owned();
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
    assert_eq!(
        sign_in(&server, "curl@example.com", true).status,
        200,
        "the new hash verifies"
    );
}

#[test]
fn in_scrypt_compatibility_mode_better_auth_hashes_are_kept_and_new_ones_written_in_its_format() {
    let server = better_auth_database(Some(r#"{"password":{"algorithm":"scrypt"}}"#));
    assert_eq!(sign_in(&server, "curl@example.com", true).status, 200);
    let rows = server.sql_rows(
        r#"SELECT "password" FROM "account" WHERE "providerId" = 'credential'"#,
        vec![],
    );
    assert!(
        rows[0][0]
            .as_str()
            .unwrap()
            .starts_with("87b57616e279ae1d7a2f27a35af347a2:"),
        "unchanged"
    );
    server.sign_up("new@example.com");
    let rows = server.sql_rows(r#"SELECT a."password" FROM "account" a JOIN "user" u ON u."id" = a."userId" WHERE u."email" = 'new@example.com'"#, vec![]);
    let hash = rows[0][0].as_str().unwrap();
    assert_eq!(hash.len(), 161);
    assert_eq!(hash.as_bytes()[32], b':');
}

#[test]
fn plugins_on_a_better_auth_database_keep_its_columns_and_read_its_cookies() {
    // twoFactor and username columns already exist: their migrations skip them.
    let server = better_auth_database(Some(r#"{"plugins":{"twoFactor":{},"username":{}}}"#));
    let cookies = format!("better-auth.session_token={RECORDED_TOKEN_COOKIE}; better-auth.session_data={RECORDED_CACHE_COOKIE}");
    server.take_counts();
    let cached = server.get("/get-session", Some(&cookies));
    assert_eq!(server.take_counts(), (0, 0));
    let user = &cached.json()["user"];
    let keys: Vec<&String> = user.as_object().unwrap().keys().collect();
    assert_eq!(
        keys[7..],
        ["twoFactorEnabled", "username", "displayUsername"]
    );
    let fresh = server.get("/get-session?disableCookieCache=true", Some(&cookies));
    let user = &fresh.json()["user"];
    assert_eq!(user["twoFactorEnabled"], false);
    assert_eq!(user["username"], serde_json::Value::Null);
    let keys: Vec<&String> = user.as_object().unwrap().keys().collect();
    assert_eq!(
        keys[6..],
        ["twoFactorEnabled", "username", "displayUsername", "id"]
    );
}
