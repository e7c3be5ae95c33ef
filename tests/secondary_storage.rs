//! Sessions in secondary storage (`secondaryStorage.enabled`): the KV layout Better Auth uses,
//! the round-trip budget of `get-session` with a stale cookie cache (one KV read, no SQL), and
//! the consistency contract in `src/store/secondary.rs` — in process, on the native in-memory
//! KV, with a clock the test moves and every SQL and KV call counted.

mod common;

use common::InProcess;
use portcullis::store::KvCounts;
use serde_json::{json, Value};

const KV_ON: &str = r#"{"secondaryStorage":{"enabled":true}}"#;
const PASSWORD: &str = "password123";

fn token_of(cookies: &str) -> String {
    let value = cookies
        .split("; ")
        .find_map(|c| c.strip_prefix("better-auth.session_token="))
        .unwrap();
    let decoded = percent_encoding::percent_decode_str(value)
        .decode_utf8()
        .unwrap()
        .into_owned();
    decoded.split('.').next().unwrap().to_owned()
}

fn sign_in(server: &InProcess, email: &str) -> String {
    let r = server.post_json(
        "/sign-in/email",
        None,
        &json!({"email": email, "password": PASSWORD}).to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.cookie_header()
}

fn kv_json(server: &InProcess, key: &str) -> Option<Value> {
    server
        .kv_raw(key)
        .map(|raw| serde_json::from_str(&raw).unwrap())
}

fn reads(n: u32) -> KvCounts {
    KvCounts {
        reads: n,
        ..KvCounts::default()
    }
}

fn session_email(r: &common::Response) -> Option<String> {
    r.json()["user"]["email"].as_str().map(str::to_owned)
}

#[test]
fn a_stale_cookie_cache_is_answered_with_one_kv_read_and_no_sql() {
    let server = InProcess::with_kv(Some(KV_ON));
    let cookies = server.sign_up("kv@example.com").cookie_header();
    server.take_counts();
    server.take_kv_counts();
    server.clock.advance_seconds(301);
    let r = server.get("/get-session", Some(&cookies));
    assert_eq!(session_email(&r).as_deref(), Some("kv@example.com"));
    assert_eq!(server.take_counts(), (0, 0), "no SQL");
    assert_eq!(server.take_kv_counts(), reads(1), "one KV read");
    // The answer re-issues the cookie cache, so the next read costs nothing at all.
    let cookies = r.cookie_header_over(&cookies);
    assert!(r.set_cookie("better-auth.session_data").is_some());
    server.get("/get-session", Some(&cookies));
    assert_eq!(server.take_counts(), (0, 0));
    assert_eq!(server.take_kv_counts(), KvCounts::default());
}

#[test]
fn a_session_token_without_a_cookie_cache_is_answered_from_kv() {
    let server = InProcess::with_kv(Some(KV_ON));
    let cookies = server.sign_up("kv@example.com").cookie_header();
    let token_only = cookies
        .split("; ")
        .find(|c| c.starts_with("better-auth.session_token="))
        .unwrap()
        .to_owned();
    server.take_counts();
    server.take_kv_counts();
    let r = server.get("/get-session", Some(&token_only));
    assert_eq!(session_email(&r).as_deref(), Some("kv@example.com"));
    assert_eq!(server.take_counts(), (0, 0));
    assert_eq!(server.take_kv_counts(), reads(1));
}

#[test]
fn sign_up_and_sign_in_store_sessions_in_better_auths_layout() {
    let server = InProcess::with_kv(Some(KV_ON));
    let first = server.sign_up("layout@example.com").cookie_header();
    let second = sign_in(&server, "layout@example.com");
    let user_id = server.get("/get-session", Some(&first)).json()["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for cookies in [&first, &second] {
        let token = token_of(cookies);
        let entry = kv_json(&server, &token).expect("the session is in KV under its token");
        assert_eq!(entry["session"]["token"], token.as_str());
        assert_eq!(entry["session"]["userId"], user_id.as_str());
        assert_eq!(entry["user"]["email"], "layout@example.com");
        assert!(entry["session"]["expiresAt"]
            .as_str()
            .unwrap()
            .ends_with('Z'));
        assert!(entry["checkedAt"].is_i64());
    }
    let list = kv_json(&server, &format!("active-sessions-{user_id}")).unwrap();
    let tokens: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["token"].as_str().unwrap())
        .collect();
    assert_eq!(tokens.len(), 2);
    assert!(tokens.contains(&token_of(&first).as_str()));
    assert!(tokens.contains(&token_of(&second).as_str()));
    assert!(list[0]["expiresAt"].is_i64());
}

#[test]
fn a_kv_miss_reads_the_database_once_and_caches_the_session() {
    let server = InProcess::with_kv(Some(KV_ON));
    let cookies = server.sign_up("miss@example.com").cookie_header();
    let token = token_of(&cookies);
    server.kv_delete_raw(&token);
    server.clock.advance_seconds(301);
    server.take_counts();
    server.take_kv_counts();
    let r = server.get("/get-session", Some(&cookies));
    assert_eq!(session_email(&r).as_deref(), Some("miss@example.com"));
    assert_eq!(server.take_counts(), (1, 0), "one database read");
    assert_eq!(
        server.take_kv_counts(),
        KvCounts {
            reads: 1,
            writes: 1,
            deletes: 0
        },
        "a KV read that misses, then the entry written"
    );
    assert!(server.kv_raw(&token).is_some());
    server.clock.advance_seconds(301);
    server.get("/get-session", Some(&cookies));
    assert_eq!(server.take_counts(), (0, 0), "answered from KV now");
}

#[test]
fn sign_out_deletes_the_session_from_kv() {
    let server = InProcess::with_kv(Some(KV_ON));
    let cookies = server.sign_up("out@example.com").cookie_header();
    let token = token_of(&cookies);
    assert!(server.kv_raw(&token).is_some());
    assert_eq!(
        server.post_json("/sign-out", Some(&cookies), "{}").status,
        200
    );
    assert_eq!(server.kv_raw(&token), None);
    server.clock.advance_seconds(301);
    assert_eq!(server.get("/get-session", Some(&cookies)).body, "null");
}

#[test]
fn every_revoke_deletes_the_revoked_sessions_from_kv() {
    let server = InProcess::with_kv(Some(KV_ON));
    let a = server.sign_up("revoke@example.com").cookie_header();
    let b = sign_in(&server, "revoke@example.com");
    let c = sign_in(&server, "revoke@example.com");
    let d = sign_in(&server, "revoke@example.com");
    let stale = |server: &InProcess, cookies: &str| {
        server.get("/get-session", Some(cookies)).body != "null"
    };

    let r = server.post_json(
        "/revoke-session",
        Some(&a),
        &json!({"token": token_of(&b)}).to_string(),
    );
    assert_eq!(r.status, 200);
    assert_eq!(server.kv_raw(&token_of(&b)), None, "revoke-session");

    assert_eq!(
        server
            .post_json("/revoke-other-sessions", Some(&a), "{}")
            .status,
        200
    );
    assert_eq!(server.kv_raw(&token_of(&c)), None, "revoke-other-sessions");
    assert_eq!(server.kv_raw(&token_of(&d)), None, "revoke-other-sessions");
    assert!(server.kv_raw(&token_of(&a)).is_some(), "the caller's stays");

    let user_id = server.get("/get-session", Some(&a)).json()["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        server.post_json("/revoke-sessions", Some(&a), "{}").status,
        200
    );
    assert_eq!(server.kv_raw(&token_of(&a)), None, "revoke-sessions");
    assert_eq!(
        server.kv_raw(&format!("active-sessions-{user_id}")),
        None,
        "and the list"
    );

    server.clock.advance_seconds(301);
    for cookies in [&a, &b, &c, &d] {
        assert!(!stale(&server, cookies), "a revoked session is refused");
    }
}

#[test]
fn a_revoked_session_whose_kv_delete_is_lost_is_refused_after_revalidate_after() {
    let server = InProcess::with_kv(Some(
        r#"{"secondaryStorage":{"enabled":true,"revalidateAfter":600}}"#,
    ));
    let victim = server.sign_up("lost@example.com").cookie_header();
    let other = sign_in(&server, "lost@example.com");
    // A Workers KV location that has not seen the delete (or a delete that failed).
    server.kv().inner().lose_deletes.set(true);
    let r = server.post_json(
        "/revoke-session",
        Some(&other),
        &json!({"token": token_of(&victim)}).to_string(),
    );
    assert_eq!(r.status, 200);

    // Endpoints that read the database refuse it at once.
    assert_eq!(
        server
            .get("/get-session?disableCookieCache=true", Some(&victim))
            .body,
        "null"
    );
    assert_eq!(
        server
            .post_json("/revoke-other-sessions", Some(&victim), "{}")
            .status,
        401
    );

    // get-session from KV: within the documented bound the stale entry may still answer...
    server.clock.advance_seconds(599);
    assert_eq!(
        session_email(&server.get("/get-session", Some(&victim))).as_deref(),
        Some("lost@example.com")
    );
    // ...but nothing that acts on the session takes it from KV (its cookie cache is stale).
    let r = server.post_json("/update-user", Some(&victim), r#"{"name":"Intruder"}"#);
    assert_eq!(r.status, 401);
    let r = server.get("/list-sessions", Some(&victim));
    assert_eq!(r.status, 401);
    // ...and past it the database is asked, which refuses it.
    server.clock.advance_seconds(2);
    server.take_counts();
    assert_eq!(server.get("/get-session", Some(&victim)).body, "null");
    assert_eq!(server.take_counts(), (1, 0));
}

#[test]
fn user_null_is_never_cached_or_served() {
    let server = InProcess::with_kv(Some(
        r#"{"secondaryStorage":{"enabled":true},"user":{"deleteUser":{"enabled":true}}}"#,
    ));
    let cookies = server.sign_up("null@example.com").cookie_header();
    let token = token_of(&cookies);
    // An entry as Better Auth's bug writes it: the session with `user: null`.
    let mut entry = kv_json(&server, &token).unwrap();
    entry["user"] = Value::Null;
    server.kv_put_raw(&token, &entry.to_string());
    server.clock.advance_seconds(301);
    server.take_counts();
    let r = server.get("/get-session", Some(&cookies));
    assert_eq!(session_email(&r).as_deref(), Some("null@example.com"));
    assert_eq!(
        server.take_counts(),
        (1, 0),
        "read from the database instead"
    );
    assert_eq!(
        kv_json(&server, &token).unwrap()["user"]["email"],
        "null@example.com",
        "and the entry rewritten with its user"
    );

    // A deleted user's sessions leave KV, and reading them again caches nothing.
    let cookies = r.cookie_header_over(&cookies);
    let r = server.post_json(
        "/delete-user",
        Some(&cookies),
        &json!({"password": PASSWORD}).to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(server.kv_raw(&token), None);
    server.clock.advance_seconds(301);
    assert_eq!(server.get("/get-session", Some(&cookies)).body, "null");
    assert_eq!(server.kv_raw(&token), None);
}

#[test]
fn reads_that_must_be_exact_never_use_kv() {
    let server = InProcess::with_kv(Some(KV_ON));
    let cookies = server.sign_up("exact@example.com").cookie_header();
    server.take_counts();
    server.take_kv_counts();
    server.get("/get-session?disableCookieCache=true", Some(&cookies));
    assert_eq!(server.take_counts(), (1, 0));
    assert_eq!(server.take_kv_counts().reads, 0);
    server.post_json("/revoke-other-sessions", Some(&cookies), "{}");
    assert_eq!(server.take_kv_counts().reads, 0);
}

#[test]
fn the_daily_refresh_extends_the_session_in_the_database_and_kv() {
    let server = InProcess::with_kv(Some(KV_ON));
    let cookies = server.sign_up("refresh@example.com").cookie_header();
    let token = token_of(&cookies);
    let before = kv_json(&server, &token).unwrap()["session"]["expiresAt"].clone();
    server.clock.advance_seconds(86_401);
    server.take_counts();
    let r = server.get("/get-session", Some(&cookies));
    assert_eq!(session_email(&r).as_deref(), Some("refresh@example.com"));
    assert_eq!(server.take_counts(), (2, 0), "read, then extend");
    let after = kv_json(&server, &token).unwrap()["session"]["expiresAt"].clone();
    assert_ne!(before, after);
    assert_eq!(r.json()["session"]["expiresAt"], after);
    let cookies = r.cookie_header_over(&cookies);
    server.clock.advance_seconds(301);
    server.get("/get-session", Some(&cookies));
    assert_eq!(server.take_counts(), (0, 0));
}

#[test]
fn a_user_change_reaches_the_users_other_sessions() {
    let server = InProcess::with_kv(Some(KV_ON));
    let a = server.sign_up("change@example.com").cookie_header();
    let b = sign_in(&server, "change@example.com");
    let r = server.post_json("/update-user", Some(&a), r#"{"name":"Renamed"}"#);
    assert_eq!(r.status, 200);
    assert_eq!(
        kv_json(&server, &token_of(&a)).unwrap()["user"]["name"],
        "Renamed",
        "the caller's entry is rewritten"
    );
    server.clock.advance_seconds(301);
    let r = server.get("/get-session", Some(&b));
    assert_eq!(r.json()["user"]["name"], "Renamed");
}

#[test]
fn every_later_user_change_reaches_the_other_sessions_too() {
    let server = InProcess::with_kv(Some(KV_ON));
    let a = server.sign_up("twice@example.com").cookie_header();
    let b = sign_in(&server, "twice@example.com");
    for name in ["First", "Second", "Third"] {
        let body = json!({ "name": name }).to_string();
        assert_eq!(
            server.post_json("/update-user", Some(&a), &body).status,
            200
        );
        server.clock.advance_seconds(301);
        let r = server.get("/get-session", Some(&b));
        assert_eq!(r.json()["user"]["name"], name);
    }
}

#[test]
fn an_expired_session_in_kv_is_refused_and_deleted() {
    let server = InProcess::with_kv(Some(
        r#"{"secondaryStorage":{"enabled":true,"revalidateAfter":999999999},"session":{"expiresIn":3600,"updateAge":3600}}"#,
    ));
    let cookies = server.sign_up("expired@example.com").cookie_header();
    let token = token_of(&cookies);
    server.clock.advance_seconds(3601);
    assert_eq!(server.get("/get-session", Some(&cookies)).body, "null");
    assert_eq!(server.kv_raw(&token), None);
    assert_eq!(
        server.sql_rows(r#"SELECT COUNT(*) FROM "session""#, vec![]),
        vec![vec![portcullis::Value::Integer(0)]]
    );
}
