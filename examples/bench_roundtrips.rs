//! Database round trips per endpoint, counted by the driver (`CountingSql` around SQLite), in
//! process with the behavioural suite's harness (`tests/common`). `bench/run.sh` prints these next
//! to DESIGN.md's budget; the budgets themselves are asserted by `tests/sessions.rs`.
//!
//!   cargo run --example bench_roundtrips
//!
//! Prints one tab-separated line per request: `name  status  queries  batches`.

#[path = "../tests/common/mod.rs"]
mod common;

use common::InProcess;
use serde_json::json;

fn main() {
    let server = InProcess::new(None);
    let mut rows: Vec<(&str, u16, (u32, u32))> = Vec::new();
    let mut record = |name, status, counts| rows.push((name, status, counts));

    server.take_counts();
    let up = server.sign_up("roundtrips@example.com");
    record("sign-up/email", up.status, server.take_counts());

    let sign_in_body =
        json!({"email": "roundtrips@example.com", "password": "password123"}).to_string();
    let signed_in = server.post_json("/sign-in/email", None, &sign_in_body);
    record("sign-in/email", signed_in.status, server.take_counts());

    let wrong = json!({"email": "roundtrips@example.com", "password": "wrong-password-1"});
    let r = server.post_json("/sign-in/email", None, &wrong.to_string());
    record(
        "sign-in/email (wrong password)",
        r.status,
        server.take_counts(),
    );

    let unknown = json!({"email": "nobody@example.com", "password": "password123"});
    let r = server.post_json("/sign-in/email", None, &unknown.to_string());
    record(
        "sign-in/email (unknown email)",
        r.status,
        server.take_counts(),
    );

    let cookies = signed_in.cookie_header();
    let r = server.get("/get-session", Some(&cookies));
    record("get-session (cookie cache)", r.status, server.take_counts());

    let r = server.get("/get-session?disableCookieCache=true", Some(&cookies));
    record("get-session (database)", r.status, server.take_counts());

    let r = server.get("/list-sessions", Some(&cookies));
    record("list-sessions", r.status, server.take_counts());

    let r = server.post_json(
        "/update-user",
        Some(&cookies),
        &json!({"name": "Renamed"}).to_string(),
    );
    record("update-user", r.status, server.take_counts());
    let cookies = r.cookie_header_over(&cookies);

    let r = server.post_json(
        "/change-password",
        Some(&cookies),
        &json!({"currentPassword": "password123", "newPassword": "password456"}).to_string(),
    );
    record("change-password", r.status, server.take_counts());
    let cookies = r.cookie_header_over(&cookies);

    let r = server.post_json("/sign-out", Some(&cookies), "{}");
    record("sign-out", r.status, server.take_counts());

    for (name, status, (queries, batches)) in rows {
        println!("{name}\t{status}\t{queries}\t{batches}");
    }
}
