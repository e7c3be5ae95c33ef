//! Two-factor helpers shared by the SQLite and PostgreSQL suites: the current TOTP of an
//! enrolment URI, computed from the URI alone, and an enrolment through the endpoints.

use super::{InProcess, Response};

/// The current TOTP for an enrolment URI (RFC 6238, Better Auth's 6 digits and 30 s).
pub fn totp_now(uri: &str, now_ms: i64) -> String {
    let query = uri.split_once('?').unwrap().1;
    let secret = query
        .split('&')
        .find_map(|p| p.strip_prefix("secret="))
        .unwrap();
    let key = base32_decode(secret);
    portcullis::crypto::totp::hotp(&key, (now_ms / 1000 / 30) as u64, 6)
}

/// A six-digit code that is not the current one.
pub fn wrong_code(uri: &str, now_ms: i64) -> &'static str {
    if totp_now(uri, now_ms) == "123456" {
        "654321"
    } else {
        "123456"
    }
}

fn base32_decode(text: &str) -> Vec<u8> {
    let (mut out, mut buffer, mut bits) = (Vec::new(), 0u32, 0u32);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("not base32: {c}"),
        } as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buffer >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    out
}

/// Signs up, enables TOTP and verifies a first code; returns (enrolment URI, cookies).
pub fn enrol(server: &InProcess, email: &str) -> (String, String) {
    let up = server.sign_up(email);
    let cookies = up.cookie_header();
    let enabled = server.post_json(
        "/two-factor/enable",
        Some(&cookies),
        r#"{"password":"password123"}"#,
    );
    assert_eq!(enabled.status, 200, "{}", enabled.body);
    let body = enabled.json();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["method", "totpURI", "backupCodes"]);
    let uri = body["totpURI"].as_str().unwrap().to_owned();
    let code = totp_now(&uri, server.clock.0.get());
    let verified = server.post_json(
        "/two-factor/verify-totp",
        Some(&cookies),
        &serde_json::json!({ "code": code }).to_string(),
    );
    assert_eq!(verified.status, 200, "{}", verified.body);
    (uri, verified.cookie_header_over(&cookies))
}

/// `POST /sign-in/email` with the test password.
pub fn password_sign_in(server: &InProcess, email: &str, cookie: Option<&str>) -> Response {
    server.post_json(
        "/sign-in/email",
        cookie,
        &serde_json::json!({"email": email, "password": "password123"}).to_string(),
    )
}
