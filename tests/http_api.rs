//! Every core endpoint and its error cases, through the native server over HTTP, compared with
//! what better-auth 1.7.25 answers (shared/better-auth/WIRE.md and recorded/curl-cases.txt).

mod common;

use common::{Server, SECRET};
use serde_json::json;

fn unique(tag: &str) -> String {
    format!(
        "{tag}-{}@example.com",
        portcullis::crypto::generate_id().to_lowercase()
    )
}

#[test]
fn ok_answers_ok_true() {
    let server = Server::start(None);
    let r = server.get("/ok", None);
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"ok":true}"#));
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[test]
fn unknown_routes_wrong_methods_and_odd_paths_are_404_with_empty_body() {
    let server = Server::start(None);
    for (method, path) in [
        ("GET", "/api/auth/nope"),
        ("POST", "/api/auth/nope"),
        ("GET", "/api/auth"),
        ("GET", "/api/auth/"),
        ("GET", "/api/auth/ok/"),
        ("GET", "/api/auth/OK"),
        ("GET", "/api/auth/sign-in/email"),
        ("PUT", "/api/auth/sign-up/email"),
        ("DELETE", "/api/auth/get-session"),
        ("POST", "/api/auth/ok"),
        ("HEAD", "/api/auth/ok"),
        ("OPTIONS", "/api/auth/sign-in/email"),
        ("GET", "/elsewhere"),
        ("GET", "/api/auth/forget-password"),
    ] {
        let r = server.request(
            method,
            path,
            &[("content-type", "application/json")],
            (method == "POST").then_some("{}"),
        );
        assert_eq!(r.status, 404, "{method} {path}");
        assert_eq!(r.body, "", "{method} {path}");
        assert_eq!(r.header("content-type"), None, "{method} {path}");
    }
}

#[test]
fn post_get_session_is_405_method_not_allowed_defer_session_required() {
    let server = Server::start(None);
    let r = server.post_json("/get-session", None, "{}");
    assert_eq!(r.status, 405);
    assert_eq!(
        r.json()["code"],
        "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED"
    );
}

#[test]
fn error_page_is_html_and_escapes_what_it_shows() {
    let server = Server::start(None);
    let r = server.get("/error?error=state_mismatch", None);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert!(r.body.contains("state_mismatch"));
    let r = server.get(
        "/error?error=%3Cscript%3Ealert(1)%3C%2Fscript%3E&error_description=%3Cb%3Ehi%3C%2Fb%3E",
        None,
    );
    assert!(r.body.contains("UNKNOWN"));
    assert!(!r.body.contains("<script>"));
    assert!(r.body.contains("&lt;b&gt;hi&lt;/b&gt;"));
}

#[test]
fn sign_up_returns_token_and_user_and_sets_session_cookies() {
    let server = Server::start(None);
    let email = unique("MiXeD").replace("mixed", "MiXeD");
    let r = server.post_json("/sign-up/email", None, &json!({"name":"Alice","email":email,"password":"password123","emailVerified":true,"id":"mine","role":"admin"}).to_string());
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    let user = &body["user"];
    let keys: Vec<&str> = user
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "name",
            "email",
            "emailVerified",
            "image",
            "createdAt",
            "updatedAt",
            "id"
        ]
    );
    assert_eq!(user["email"], email.to_lowercase());
    assert_eq!(user["emailVerified"], false);
    assert_ne!(user["id"], "mine");
    assert_eq!(user["id"].as_str().unwrap().len(), 32);
    let token = body["token"].as_str().unwrap();
    assert_eq!(token.len(), 32);
    let session_cookie = r.set_cookie("better-auth.session_token").unwrap();
    assert_eq!(
        session_cookie,
        format!(
            "better-auth.session_token={}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax",
            portcullis::cookies::sign(token, SECRET)
        )
    );
    assert!(r
        .set_cookie("better-auth.session_data")
        .unwrap()
        .ends_with("; Max-Age=300; Path=/; HttpOnly; SameSite=Lax"));
    assert!(r.set_cookie("better-auth.dont_remember").is_none());
}

#[test]
fn sign_up_with_an_existing_email_in_any_case_is_422() {
    let server = Server::start(None);
    let email = unique("dup");
    assert_eq!(server.sign_up(&email, "password123").status, 200);
    let r = server.sign_up(&email.to_uppercase(), "password123");
    assert_eq!(r.status, 422);
    assert_eq!(
        r.body,
        r#"{"message":"User already exists. Use another email.","code":"USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"}"#
    );
}

#[test]
fn sign_up_password_must_be_8_to_128_characters() {
    let server = Server::start(None);
    let r = server.sign_up(&unique("short"), "short");
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            r#"{"message":"Password too short","code":"PASSWORD_TOO_SHORT"}"#
        )
    );
    let r = server.sign_up(&unique("long"), &"x".repeat(129));
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            r#"{"message":"Password too long","code":"PASSWORD_TOO_LONG"}"#
        )
    );
    assert_eq!(server.sign_up(&unique("eight"), "12345678").status, 200);
    assert_eq!(server.sign_up(&unique("max"), &"y".repeat(128)).status, 200);
}

#[test]
fn sign_up_validation_errors_are_worded_as_better_auth() {
    let server = Server::start(None);
    let cases = [
        (
            r#"{"email":"not-an-email","password":"password123","name":"Bad"}"#,
            "[body.email] Invalid email address",
        ),
        (
            r#"{"email":"a@example.com","password":"password123"}"#,
            "[body.name] Invalid input: expected string, received undefined",
        ),
        (
            r#"{"email":"a@example.com","name":"NoPw"}"#,
            "[body.password] Invalid input: expected string, received undefined",
        ),
        (
            r#"[1,2]"#,
            "[body] Invalid input: expected object, received array",
        ),
        (
            r#"{"email":"a@example.com","password":"password123","name":"x","rememberMe":"no"}"#,
            "[body.rememberMe] Invalid input: expected boolean, received string",
        ),
    ];
    for (body, message) in cases {
        let r = server.post_json("/sign-up/email", None, body);
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(
            r.json(),
            json!({"message": message, "code": "VALIDATION_ERROR"}),
            "{body}"
        );
    }
}

#[test]
fn bodies_must_be_json_or_form_and_well_formed() {
    let server = Server::start(None);
    let post = |content_type: &str, body: &str| {
        server.request(
            "POST",
            "/api/auth/sign-in/email",
            &[("content-type", content_type)],
            Some(body),
        )
    };
    let r = post("application/json", r#"{"email":"#);
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            r#"{"message":"Invalid JSON in request body","code":"BAD_REQUEST"}"#
        )
    );
    let r = post("text/plain", "{}");
    assert_eq!(r.status, 415);
    assert_eq!(
        r.json()["message"],
        r#"Content-Type "text/plain" is not allowed. Allowed types: application/x-www-form-urlencoded, application/json"#
    );
    let r = post("multipart/form-data; boundary=x", "--x--");
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (415, Some("UNSUPPORTED_MEDIA_TYPE"))
    );
    let r = server.request(
        "POST",
        "/api/auth/sign-in/email",
        &[("content-type", "application/json")],
        None,
    );
    assert_eq!(
        r.json()["message"],
        "[body] Invalid input: expected object, received undefined"
    );
    let r = post("application/json", r#"{"email":123,"password":true}"#);
    assert_eq!(
        r.json()["message"],
        "[body.email] Invalid input: expected string, received number; [body.password] Invalid input: expected string, received boolean"
    );
}

#[test]
fn sign_in_works_with_json_and_form_bodies_and_ignores_unknown_fields() {
    let server = Server::start(None);
    let email = unique("signin");
    server.sign_up(&email, "password123");
    let r = server.post_json(
        "/sign-in/email",
        None,
        &json!({"email": email.to_uppercase(), "password": "password123", "admin": true})
            .to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["redirect", "token", "user"]);
    assert_eq!(body["redirect"], false);
    assert_eq!(body["user"]["email"], email);
    let form = format!("email={}&password=password123", email.replace('@', "%40"));
    let r = server.request(
        "POST",
        "/api/auth/sign-in/email?foo=bar",
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(&form),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn wrong_password_and_unknown_email_are_both_401_invalid_email_or_password() {
    let server = Server::start(None);
    let email = unique("wrong");
    server.sign_up(&email, "password123");
    let expected = r#"{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}"#;
    let r = server.post_json(
        "/sign-in/email",
        None,
        &json!({"email": email, "password": "password124"}).to_string(),
    );
    assert_eq!((r.status, r.body.as_str()), (401, expected));
    let r = server.post_json(
        "/sign-in/email",
        None,
        &json!({"email": unique("nobody"), "password": "password123"}).to_string(),
    );
    assert_eq!((r.status, r.body.as_str()), (401, expected));
    assert!(r.set_cookies().is_empty());
}

#[test]
fn sign_in_with_a_malformed_email_is_400_invalid_email() {
    let server = Server::start(None);
    let r = server.post_json(
        "/sign-in/email",
        None,
        r#"{"email":"nope","password":"password123"}"#,
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, r#"{"message":"Invalid email","code":"INVALID_EMAIL"}"#)
    );
}

#[test]
fn sign_in_with_callback_url_answers_redirect_url_and_location() {
    let server = Server::start(None);
    let email = unique("cb");
    server.sign_up(&email, "password123");
    let r = server.post_json(
        "/sign-in/email",
        None,
        &json!({"email": email, "password": "password123", "callbackURL": "/dashboard"})
            .to_string(),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("location"), Some("/dashboard"));
    let body = r.json();
    assert_eq!(
        (body["redirect"].as_bool(), body["url"].as_str()),
        (Some(true), Some("/dashboard"))
    );
    for bad in [
        "//evil.example.com",
        "javascript:alert(1)",
        "https://evil.example.com/x",
    ] {
        let r = server.post_json(
            "/sign-in/email",
            None,
            &json!({"email": email, "password": "password123", "callbackURL": bad}).to_string(),
        );
        assert_eq!(
            (r.status, r.json()["code"].as_str()),
            (403, Some("INVALID_CALLBACK_URL")),
            "{bad}"
        );
    }
    let r = server.post_json("/sign-in/email", None, &json!({"email": email, "password": "password123", "callbackURL": format!("{}/x", server.base_url)}).to_string());
    assert_eq!(r.status, 200);
}

#[test]
fn remember_me_false_gives_browser_session_cookies_and_a_one_day_session() {
    let server = Server::start(None);
    let email = unique("norem");
    server.sign_up(&email, "password123");
    let r = server.post_json(
        "/sign-in/email",
        None,
        &json!({"email": email, "password": "password123", "rememberMe": false}).to_string(),
    );
    assert_eq!(r.status, 200);
    assert!(!r
        .set_cookie("better-auth.session_token")
        .unwrap()
        .contains("Max-Age"));
    assert!(!r
        .set_cookie("better-auth.session_data")
        .unwrap()
        .contains("Max-Age"));
    assert_eq!(
        r.set_cookie("better-auth.dont_remember").unwrap(),
        format!(
            "better-auth.dont_remember={}; Path=/; HttpOnly; SameSite=Lax",
            portcullis::cookies::sign("true", SECRET)
        )
    );
    let session = server
        .get(
            "/get-session?disableCookieCache=true",
            Some(&r.cookie_header()),
        )
        .json();
    let created =
        portcullis::time::parse_iso(session["session"]["createdAt"].as_str().unwrap()).unwrap();
    let expires =
        portcullis::time::parse_iso(session["session"]["expiresAt"].as_str().unwrap()).unwrap();
    assert_eq!(expires - created, 86_400_000);
}

#[test]
fn get_session_from_the_cookie_cache_sets_no_cookies_and_uses_better_auths_cache_order() {
    let server = Server::start(None);
    let signed_up = server.sign_up(&unique("cache"), "password123");
    let cookies = signed_up.cookie_header();
    let r = server.get("/get-session", Some(&cookies));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert!(r.set_cookies().is_empty());
    let body = r.json();
    let session_keys: Vec<&str> = body["session"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        session_keys,
        [
            "id",
            "createdAt",
            "updatedAt",
            "userId",
            "expiresAt",
            "token",
            "ipAddress",
            "userAgent"
        ]
    );
    let user_keys: Vec<&str> = body["user"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        user_keys,
        [
            "id",
            "createdAt",
            "updatedAt",
            "email",
            "emailVerified",
            "name",
            "image"
        ]
    );
}

#[test]
fn get_session_with_disable_cookie_cache_reads_the_database_and_reissues_the_cache() {
    let server = Server::start(None);
    let signed_up = server.sign_up(&unique("nocache"), "password123");
    let r = server.get(
        "/get-session?disableCookieCache=true",
        Some(&signed_up.cookie_header()),
    );
    let body = r.json();
    let session_keys: Vec<&str> = body["session"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        session_keys,
        [
            "expiresAt",
            "token",
            "createdAt",
            "updatedAt",
            "ipAddress",
            "userAgent",
            "userId",
            "id"
        ]
    );
    assert!(r
        .set_cookie("better-auth.session_data")
        .unwrap()
        .contains("Max-Age=300"));
}

#[test]
fn get_session_without_a_valid_signed_token_is_null() {
    let server = Server::start(None);
    let signed_up = server.sign_up(&unique("null"), "password123");
    let token = signed_up.json()["token"].as_str().unwrap().to_owned();
    // Signed out.
    assert_eq!(server.get("/get-session", None).body, "null");
    // Only the cache cookie.
    let data = signed_up.cookie_value("better-auth.session_data").unwrap();
    assert_eq!(
        server
            .get(
                "/get-session",
                Some(&format!("better-auth.session_data={data}"))
            )
            .body,
        "null"
    );
    // Unsigned token, bad signature: null, nothing cleared.
    let r = server.get(
        "/get-session",
        Some(&format!("better-auth.session_token={token}")),
    );
    assert_eq!((r.body.as_str(), r.set_cookies().len()), ("null", 0));
    let forged = portcullis::cookies::sign(&token, "another secret of sufficient length!!");
    let r = server.get(
        "/get-session",
        Some(&format!("better-auth.session_token={forged}")),
    );
    assert_eq!((r.body.as_str(), r.set_cookies().len()), ("null", 0));
    // Validly signed but unknown: null and the session cookies are cleared.
    let unknown = portcullis::cookies::sign("UnknownUnknownUnknownUnknown1234", SECRET);
    let r = server.get(
        "/get-session",
        Some(&format!("better-auth.session_token={unknown}")),
    );
    assert_eq!(r.body, "null");
    for name in [
        "better-auth.session_token",
        "better-auth.session_data",
        "better-auth.dont_remember",
    ] {
        assert_eq!(
            r.set_cookie(name).unwrap(),
            format!("{name}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
        );
    }
}

#[test]
fn a_forged_cookie_cache_is_not_believed() {
    let server = Server::start(None);
    let signed_up = server.sign_up(&unique("forge"), "password123");
    let token = signed_up.cookie_value("better-auth.session_token").unwrap();
    let payload = r#"{"session":{"expiresAt":"2999-01-01T00:00:00.000Z","token":"x","createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:00.000Z","ipAddress":"","userAgent":"","userId":"admin","id":"s"},"user":{"name":"Admin","email":"admin@example.com","emailVerified":true,"image":null,"createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:00.000Z","id":"admin"},"updatedAt":1,"version":"1"}"#;
    let forged = portcullis::cookies::encode_cookie_cache(
        payload,
        32_503_680_000_000,
        "not the server secret at all......",
    );
    let r = server.get(
        "/get-session",
        Some(&format!(
            "better-auth.session_token={token}; better-auth.session_data={forged}"
        )),
    );
    let body = r.json();
    assert_ne!(body["user"]["email"], "admin@example.com");
    assert!(
        r.set_cookie("better-auth.session_data").is_some(),
        "the bad cache is replaced"
    );
}

#[test]
fn list_sessions_lists_the_users_sessions_and_needs_a_session() {
    let server = Server::start(None);
    let email = unique("list");
    let first = server.sign_up(&email, "password123");
    server.post_json(
        "/sign-in/email",
        None,
        &json!({"email": email, "password": "password123"}).to_string(),
    );
    let r = server.get("/list-sessions", Some(&first.cookie_header()));
    assert_eq!(r.status, 200);
    assert_eq!(r.json().as_array().unwrap().len(), 2);
    let r = server.get("/list-sessions", None);
    assert_eq!(
        (r.status, r.body.as_str()),
        (401, r#"{"message":"Unauthorized","code":"UNAUTHORIZED"}"#)
    );
}

#[test]
fn revoke_session_removes_only_the_users_own_session() {
    let server = Server::start(None);
    let email = unique("revoke");
    let a = server.sign_up(&email, "password123");
    let b = server.post_json(
        "/sign-in/email",
        None,
        &json!({"email": email, "password": "password123"}).to_string(),
    );
    let b_token = b.json()["token"].as_str().unwrap().to_owned();
    let stranger = server.sign_up(&unique("stranger"), "password123");
    // A stranger cannot revoke it.
    let r = server.post_json(
        "/revoke-session",
        Some(&stranger.cookie_header()),
        &json!({"token": b_token}).to_string(),
    );
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"status":true}"#));
    assert_ne!(
        server
            .get(
                "/get-session?disableCookieCache=true",
                Some(&b.cookie_header())
            )
            .body,
        "null"
    );
    // Its owner can.
    let r = server.post_json(
        "/revoke-session",
        Some(&a.cookie_header()),
        &json!({"token": b_token}).to_string(),
    );
    assert_eq!(r.body, r#"{"status":true}"#);
    assert_eq!(
        server
            .get(
                "/get-session?disableCookieCache=true",
                Some(&b.cookie_header())
            )
            .body,
        "null"
    );
    let r = server.post_json("/revoke-session", Some(&a.cookie_header()), "{}");
    assert_eq!(
        r.json()["message"],
        "[body.token] Invalid input: expected string, received undefined"
    );
}

#[test]
fn revoke_other_sessions_keeps_the_current_one_and_revoke_sessions_ends_all() {
    let server = Server::start(None);
    let email = unique("others");
    let a = server.sign_up(&email, "password123");
    let b = server.post_json(
        "/sign-in/email",
        None,
        &json!({"email": email, "password": "password123"}).to_string(),
    );
    let r = server.post_json("/revoke-other-sessions", Some(&a.cookie_header()), "{}");
    assert_eq!(r.body, r#"{"status":true}"#);
    assert_eq!(
        server
            .get(
                "/get-session?disableCookieCache=true",
                Some(&b.cookie_header())
            )
            .body,
        "null"
    );
    assert_ne!(
        server
            .get(
                "/get-session?disableCookieCache=true",
                Some(&a.cookie_header())
            )
            .body,
        "null"
    );
    let r = server.post_json("/revoke-sessions", Some(&a.cookie_header()), "{}");
    assert_eq!(r.body, r#"{"status":true}"#);
    assert_eq!(
        r.set_cookie("better-auth.session_token").unwrap(),
        "better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
    );
    assert_eq!(
        server
            .get(
                "/get-session?disableCookieCache=true",
                Some(&a.cookie_header())
            )
            .body,
        "null"
    );
}

#[test]
fn sign_out_deletes_the_session_and_expires_the_cookies() {
    let server = Server::start(None);
    let a = server.sign_up(&unique("out"), "password123");
    let r = server.post_json("/sign-out", Some(&a.cookie_header()), "{}");
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"success":true}"#));
    let data_expiries = r
        .set_cookies()
        .iter()
        .filter(|c| c.starts_with("better-auth.session_data=;"))
        .count();
    assert_eq!(
        data_expiries, 2,
        "Better Auth expires session_data twice when the request carried it"
    );
    assert!(r
        .set_cookie("better-auth.dont_remember")
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(
        server
            .get(
                "/get-session?disableCookieCache=true",
                Some(&a.cookie_header())
            )
            .body,
        "null"
    );
    let r = server.post_json("/sign-out", None, "{}");
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"success":true}"#));
}

#[test]
fn cookie_bearing_posts_need_a_trusted_origin_and_change_nothing_otherwise() {
    let server = Server::start(None);
    let a = server.sign_up(&unique("csrf"), "password123");
    let cookie = a.cookie_header();
    let r = server.request(
        "POST",
        "/api/auth/sign-out",
        &[("content-type", "application/json"), ("cookie", &cookie)],
        Some("{}"),
    );
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (403, Some("MISSING_OR_NULL_ORIGIN"))
    );
    let r = server.request(
        "POST",
        "/api/auth/sign-out",
        &[
            ("content-type", "application/json"),
            ("cookie", &cookie),
            ("origin", "https://evil.example.com"),
        ],
        Some("{}"),
    );
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (403, Some("INVALID_ORIGIN"))
    );
    assert_ne!(
        server
            .get("/get-session?disableCookieCache=true", Some(&cookie))
            .body,
        "null",
        "the session survived"
    );
    let r = server.request(
        "POST",
        "/api/auth/sign-in/email",
        &[
            ("content-type", "application/json"),
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-mode", "navigate"),
        ],
        Some("{}"),
    );
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (403, Some("CROSS_SITE_NAVIGATION_LOGIN_BLOCKED"))
    );
}

#[test]
fn https_base_url_gives_secure_prefixed_cookies() {
    let server = Server::start(Some(r#"{"baseURL":"https://auth.example.com"}"#));
    let r = server.request(
        "POST",
        "/api/auth/sign-up/email",
        &[
            ("content-type", "application/json"),
            ("origin", "https://auth.example.com"),
        ],
        Some(&json!({"name":"S","email": unique("secure"),"password":"password123"}).to_string()),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let cookie = r.set_cookie("__Secure-better-auth.session_token").unwrap();
    assert!(
        cookie.ends_with("; Max-Age=604800; Path=/; HttpOnly; Secure; SameSite=Lax"),
        "{cookie}"
    );
}

#[test]
fn trusted_origins_from_config_are_accepted() {
    let server = Server::start(Some(r#"{"trustedOrigins":["https://app.example.com"]}"#));
    let a = server.sign_up(&unique("trusted"), "password123");
    let r = server.request(
        "POST",
        "/api/auth/sign-out",
        &[
            ("content-type", "application/json"),
            ("cookie", &a.cookie_header()),
            ("origin", "https://app.example.com"),
        ],
        Some("{}"),
    );
    assert_eq!(r.status, 200);
}

#[test]
fn without_auto_sign_in_sign_up_does_not_reveal_a_taken_email() {
    let server = Server::start(Some(r#"{"emailAndPassword":{"autoSignIn":false}}"#));
    let email = unique("quiet");
    let first = server.sign_up(&email, "password123");
    assert_eq!(
        (first.status, first.json()["token"].clone()),
        (200, serde_json::Value::Null)
    );
    assert!(first.set_cookies().is_empty());
    let again = server.sign_up(&email, "password123");
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["token"], serde_json::Value::Null);
    assert_eq!(again.json()["user"]["email"], email);
    assert_ne!(again.json()["user"]["id"], first.json()["user"]["id"]);
}
