//! Account lifecycle, in process with captured mail and a clock the test moves: update-user,
//! change-password, verify-password, password reset, email verification, change-email and
//! delete-user — each followed end to end from the mail it sends.

mod common;

use common::{InProcess, Response};
use serde_json::json;

const ORIGIN: &str = "http://127.0.0.1:3100";

fn path_of(url: &str) -> &str {
    url.strip_prefix(ORIGIN)
        .unwrap_or_else(|| panic!("{url} is not on {ORIGIN}"))
}

fn sign_in(server: &InProcess, email: &str, password: &str) -> Response {
    server.post_json(
        "/sign-in/email",
        None,
        &json!({"email": email, "password": password}).to_string(),
    )
}

fn fresh_user(server: &InProcess) -> String {
    server.sign_up("user@example.com").cookie_header()
}

fn db_user(server: &InProcess, cookies: &str) -> serde_json::Value {
    server
        .get("/get-session?disableCookieCache=true", Some(cookies))
        .json()["user"]
        .clone()
}

#[test]
fn update_user_changes_name_and_image_and_reissues_the_cookie_cache() {
    let server = InProcess::new(None);
    let cookies = fresh_user(&server);
    let r = server.post_json(
        "/update-user",
        Some(&cookies),
        r#"{"name":"Renamed","image":"https://example.com/a.png"}"#,
    );
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"status":true}"#));
    assert!(r.set_cookie("better-auth.session_token").is_some());
    let cached = server
        .get("/get-session", Some(&r.cookie_header_over(&cookies)))
        .json();
    assert_eq!(
        cached["user"]["name"], "Renamed",
        "the new cache cookie carries the change"
    );
    assert_eq!(
        db_user(&server, &cookies)["image"],
        "https://example.com/a.png"
    );
    let r = server.post_json("/update-user", Some(&cookies), r#"{"image":null}"#);
    assert_eq!(r.status, 200);
    assert_eq!(db_user(&server, &cookies)["image"], serde_json::Value::Null);
}

#[test]
fn update_user_refuses_email_empty_bodies_and_strangers() {
    let server = InProcess::new(None);
    let cookies = fresh_user(&server);
    let r = server.post_json(
        "/update-user",
        Some(&cookies),
        r#"{"email":"new@example.com"}"#,
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            r#"{"message":"Email can not be updated","code":"EMAIL_CAN_NOT_BE_UPDATED"}"#
        )
    );
    let r = server.post_json("/update-user", Some(&cookies), "{}");
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, r#"{"message":"No fields to update"}"#)
    );
    let r = server.post_json("/update-user", None, r#"{"name":"x"}"#);
    assert_eq!(r.status, 401);
    let r = server.post_json("/update-session", Some(&cookies), "{}");
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, r#"{"message":"No fields to update"}"#)
    );
}

#[test]
fn change_password_checks_the_current_one_and_can_revoke_other_sessions() {
    let server = InProcess::new(None);
    let cookies = fresh_user(&server);
    let other = sign_in(&server, "user@example.com", "password123").cookie_header();
    let r = server.post_json(
        "/change-password",
        Some(&cookies),
        r#"{"currentPassword":"wrong-password","newPassword":"new-password-1"}"#,
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            r#"{"message":"Invalid password","code":"INVALID_PASSWORD"}"#
        )
    );
    let r = server.post_json(
        "/change-password",
        Some(&cookies),
        r#"{"currentPassword":"password123","newPassword":"short"}"#,
    );
    assert_eq!(r.json()["code"], "PASSWORD_TOO_SHORT");
    let r = server.post_json(
        "/change-password",
        Some(&cookies),
        r#"{"currentPassword":"password123","newPassword":"new-password-1"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["token"], serde_json::Value::Null);
    assert_eq!(r.json()["user"]["email"], "user@example.com");
    assert_eq!(
        sign_in(&server, "user@example.com", "password123").status,
        401
    );
    assert_eq!(
        sign_in(&server, "user@example.com", "new-password-1").status,
        200
    );
    let r = server.post_json("/change-password", Some(&cookies), r#"{"currentPassword":"new-password-1","newPassword":"new-password-2","revokeOtherSessions":true}"#);
    let token = r.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 32);
    assert_eq!(
        server
            .get("/get-session?disableCookieCache=true", Some(&other))
            .body,
        "null"
    );
    assert_eq!(
        server
            .get("/get-session?disableCookieCache=true", Some(&cookies))
            .body,
        "null",
        "the old session went too"
    );
    let renewed = r.cookie_header();
    assert_eq!(
        server
            .get("/get-session?disableCookieCache=true", Some(&renewed))
            .json()["session"]["token"],
        token.as_str()
    );
}

#[test]
fn verify_password_answers_status_true_or_invalid_password() {
    let server = InProcess::new(None);
    let cookies = fresh_user(&server);
    let r = server.post_json(
        "/verify-password",
        Some(&cookies),
        r#"{"password":"password123"}"#,
    );
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"status":true}"#));
    let r = server.post_json(
        "/verify-password",
        Some(&cookies),
        r#"{"password":"password124"}"#,
    );
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (400, Some("INVALID_PASSWORD"))
    );
}

#[test]
fn a_password_reset_link_works_once_and_unknown_emails_get_the_same_answer() {
    let server = InProcess::new(None);
    fresh_user(&server);
    let known = server.post_json(
        "/request-password-reset",
        None,
        r#"{"email":"user@example.com","redirectTo":"/reset"}"#,
    );
    let unknown = server.post_json(
        "/request-password-reset",
        None,
        r#"{"email":"nobody@example.com","redirectTo":"/reset"}"#,
    );
    assert_eq!(
        (known.status, known.body.as_str()),
        (unknown.status, unknown.body.as_str())
    );
    assert_eq!(
        known.body,
        r#"{"status":true,"message":"If this email exists in our system, check your email for the reset link"}"#
    );
    assert!(server.mail.to("nobody@example.com").is_empty());
    let mail = server.mail.last("user@example.com");
    assert_eq!(
        mail.url,
        format!(
            "{ORIGIN}/api/auth/reset-password/{}?callbackURL=%2Freset",
            mail.token
        )
    );
    assert_eq!(mail.token.len(), 24);
    let r = server.request("GET", path_of(&mail.url), &[], None);
    assert_eq!(
        (r.status, r.header("location")),
        (
            302,
            Some(format!("{ORIGIN}/reset?token={}", mail.token).as_str())
        )
    );
    let r = server.request(
        "GET",
        "/api/auth/reset-password/not-a-token?callbackURL=/reset",
        &[],
        None,
    );
    assert_eq!(
        r.header("location"),
        Some(format!("{ORIGIN}/reset?error=INVALID_TOKEN").as_str())
    );
    let reset = json!({"newPassword": "brand-new-pass", "token": mail.token}).to_string();
    let r = server.post_json("/reset-password", None, &reset);
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"status":true}"#));
    let r = server.post_json("/reset-password", None, &reset);
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, r#"{"message":"Invalid token","code":"INVALID_TOKEN"}"#)
    );
    assert_eq!(
        sign_in(&server, "user@example.com", "brand-new-pass").status,
        200
    );
    assert_eq!(
        sign_in(&server, "user@example.com", "password123").status,
        401
    );
}

#[test]
fn a_password_reset_link_expires_after_an_hour_and_may_revoke_sessions() {
    let server = InProcess::new(Some(
        r#"{"emailAndPassword":{"revokeSessionsOnPasswordReset":true}}"#,
    ));
    let cookies = fresh_user(&server);
    server.post_json(
        "/request-password-reset",
        None,
        r#"{"email":"user@example.com"}"#,
    );
    let first = server.mail.last("user@example.com");
    server.clock.advance_seconds(3601);
    let r = server.post_json(
        "/reset-password",
        None,
        &json!({"newPassword": "brand-new-pass", "token": first.token}).to_string(),
    );
    assert_eq!(r.json()["code"], "INVALID_TOKEN");
    server.post_json(
        "/request-password-reset",
        None,
        r#"{"email":"user@example.com"}"#,
    );
    let second = server.mail.last("user@example.com");
    let r = server.post_json(
        &format!("/reset-password?token={}", second.token),
        None,
        r#"{"newPassword":"brand-new-pass"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        server
            .get("/get-session?disableCookieCache=true", Some(&cookies))
            .body,
        "null"
    );
}

#[test]
fn a_reset_redirect_to_a_foreign_site_is_refused() {
    let server = InProcess::new(None);
    let r = server.post_json(
        "/request-password-reset",
        None,
        r#"{"email":"user@example.com","redirectTo":"https://evil.example.com"}"#,
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            403,
            r#"{"message":"Invalid redirectURL","code":"INVALID_REDIRECT_URL"}"#
        )
    );
}

#[test]
fn the_emailed_verification_link_verifies_the_address() {
    let server = InProcess::new(None);
    let cookies = fresh_user(&server);
    let r = server.post_json(
        "/send-verification-email",
        None,
        r#"{"email":"user@example.com","callbackURL":"/verified"}"#,
    );
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"status":true}"#));
    let mail = server.mail.last("user@example.com");
    assert!(mail
        .url
        .starts_with(&format!("{ORIGIN}/api/auth/verify-email?token=")));
    assert!(mail.url.ends_with("&callbackURL=%2Fverified"));
    let r = server.request(
        "GET",
        &format!("/api/auth/verify-email?token={}", mail.token),
        &[],
        None,
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, r#"{"status":true,"user":null}"#)
    );
    assert!(
        r.set_cookies().is_empty(),
        "no sign-in without autoSignInAfterVerification"
    );
    assert_eq!(db_user(&server, &cookies)["emailVerified"], true);
    let r = server.request("GET", path_of(&mail.url), &[], None);
    assert_eq!((r.status, r.header("location")), (302, Some("/verified")));
    // Like Better Auth, the check reads the session through the cookie cache: once it is stale
    // the verified address is seen.
    server.clock.advance_seconds(301);
    let r = server.post_json(
        "/send-verification-email",
        Some(&cookies),
        r#"{"email":"user@example.com"}"#,
    );
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (400, Some("EMAIL_ALREADY_VERIFIED"))
    );
}

#[test]
fn verification_mail_is_not_sent_for_unknown_addresses_and_bad_tokens_are_refused() {
    let server = InProcess::new(None);
    let r = server.post_json(
        "/send-verification-email",
        None,
        r#"{"email":"nobody@example.com"}"#,
    );
    assert_eq!(r.body, r#"{"status":true}"#);
    assert!(server.mail.to("nobody@example.com").is_empty());
    let r = server.request("GET", "/api/auth/verify-email?token=garbage", &[], None);
    assert_eq!(
        (r.status, r.body.as_str()),
        (401, r#"{"message":"Invalid token","code":"INVALID_TOKEN"}"#)
    );
    let r = server.request(
        "GET",
        "/api/auth/verify-email?token=garbage&callbackURL=/verified",
        &[],
        None,
    );
    assert_eq!(r.header("location"), Some("/verified?error=INVALID_TOKEN"));
    let r = server.request(
        "GET",
        "/api/auth/verify-email?token=garbage&callbackURL=https://evil.example.com",
        &[],
        None,
    );
    assert_eq!(r.json()["code"], "INVALID_CALLBACK_URL");
    let r = server.request("GET", "/api/auth/verify-email", &[], None);
    assert_eq!(
        r.json()["message"],
        "[query.token] Invalid input: expected string, received undefined"
    );
}

#[test]
fn a_verification_link_expires_after_an_hour() {
    let server = InProcess::new(None);
    fresh_user(&server);
    server.post_json(
        "/send-verification-email",
        None,
        r#"{"email":"user@example.com"}"#,
    );
    let mail = server.mail.last("user@example.com");
    server.clock.advance_seconds(3600);
    let r = server.request(
        "GET",
        &format!("/api/auth/verify-email?token={}", mail.token),
        &[],
        None,
    );
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (401, Some("TOKEN_EXPIRED"))
    );
}

#[test]
fn a_link_minted_by_better_auth_verifies_here() {
    // The same JWT Better Auth's createEmailVerificationToken makes: HS256 over {email, userId}.
    let server = InProcess::new(None);
    let cookies = fresh_user(&server);
    let user_id = db_user(&server, &cookies)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let claims =
        serde_json::from_value(json!({"email": "user@example.com", "userId": user_id})).unwrap();
    let token = portcullis::crypto::jwt::sign(claims, common::SECRET, server.clock.0.get(), 3600);
    let r = server.request(
        "GET",
        &format!("/api/auth/verify-email?token={token}"),
        &[],
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(db_user(&server, &cookies)["emailVerified"], true);
}

#[test]
fn with_verification_required_sign_up_mails_a_link_and_sign_in_waits_for_it() {
    let server = InProcess::new(Some(
        r#"{"emailAndPassword":{"requireEmailVerification":true},"emailVerification":{"sendOnSignIn":true,"autoSignInAfterVerification":true}}"#,
    ));
    let r = server.sign_up("user@example.com");
    assert_eq!(
        (r.status, r.json()["token"].clone()),
        (200, serde_json::Value::Null)
    );
    assert!(r.set_cookies().is_empty());
    assert_eq!(server.mail.to("user@example.com").len(), 1);
    let r = sign_in(&server, "user@example.com", "password123");
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            403,
            r#"{"message":"Email not verified","code":"EMAIL_NOT_VERIFIED"}"#
        )
    );
    assert_eq!(
        server.mail.to("user@example.com").len(),
        2,
        "sendOnSignIn mails a fresh link"
    );
    let mail = server.mail.last("user@example.com");
    let r = server.request("GET", path_of(&mail.url), &[], None);
    assert_eq!(r.status, 302);
    let session = server.get("/get-session", Some(&r.cookie_header())).json();
    assert_eq!(
        session["user"]["emailVerified"], true,
        "autoSignInAfterVerification signed the user in"
    );
    assert_eq!(
        sign_in(&server, "user@example.com", "password123").status,
        200
    );
}

#[test]
fn change_email_mails_the_new_address_and_switches_when_followed() {
    let server = InProcess::new(Some(r#"{"user":{"changeEmail":{"enabled":true}}}"#));
    let cookies = fresh_user(&server);
    server.sign_up("taken@example.com");
    let r = server.post_json(
        "/change-email",
        Some(&cookies),
        r#"{"newEmail":"New@Example.com","callbackURL":"/done"}"#,
    );
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"status":true}"#));
    assert_eq!(
        db_user(&server, &cookies)["email"],
        "user@example.com",
        "nothing changes before the link is followed"
    );
    let mail = server.mail.last("new@example.com");
    let r = server.post_json(
        "/change-email",
        Some(&cookies),
        r#"{"newEmail":"taken@example.com"}"#,
    );
    assert_eq!(r.body, r#"{"status":true}"#);
    assert!(
        server.mail.to("taken@example.com").is_empty(),
        "no mail, and the same answer, for a taken address"
    );
    let r = server.post_json(
        "/change-email",
        Some(&cookies),
        r#"{"newEmail":"user@example.com"}"#,
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, r#"{"message":"Email is the same"}"#)
    );
    let r = server.request("GET", path_of(&mail.url), &[("cookie", &cookies)], None);
    assert_eq!((r.status, r.header("location")), (302, Some("/done")));
    assert_eq!(db_user(&server, &cookies)["email"], "new@example.com");
    let r = server.request("GET", path_of(&mail.url), &[], None);
    assert_eq!(
        r.header("location"),
        Some("/done?error=INVALID_TOKEN"),
        "a used change-email link fails"
    );
}

#[test]
fn change_email_is_off_unless_enabled() {
    let server = InProcess::new(None);
    let cookies = fresh_user(&server);
    let r = server.post_json(
        "/change-email",
        Some(&cookies),
        r#"{"newEmail":"new@example.com"}"#,
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            r#"{"message":"Change email is disabled","code":"CHANGE_EMAIL_DISABLED"}"#
        )
    );
}

#[test]
fn delete_user_is_404_unless_enabled() {
    let server = InProcess::new(None);
    let cookies = fresh_user(&server);
    let r = server.post_json("/delete-user", Some(&cookies), "{}");
    assert_eq!(
        (r.status, r.body.as_str(), r.header("content-type")),
        (404, "", Some("application/json"))
    );
}

#[test]
fn delete_user_with_password_or_a_fresh_session_removes_everything() {
    let server = InProcess::new(Some(r#"{"user":{"deleteUser":{"enabled":true}}}"#));
    let cookies = fresh_user(&server);
    let r = server.post_json(
        "/delete-user",
        Some(&cookies),
        r#"{"password":"wrong-password"}"#,
    );
    assert_eq!(r.json()["code"], "INVALID_PASSWORD");
    let r = server.post_json(
        "/delete-user",
        Some(&cookies),
        r#"{"password":"password123"}"#,
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, r#"{"success":true,"message":"User deleted"}"#)
    );
    assert!(r
        .set_cookie("better-auth.session_token")
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(
        sign_in(&server, "user@example.com", "password123").status,
        401
    );
    for table in [
        r#"SELECT COUNT(*) FROM "user""#,
        r#"SELECT COUNT(*) FROM "session""#,
        r#"SELECT COUNT(*) FROM "account""#,
    ] {
        assert_eq!(
            server.sql_rows(table, vec![])[0][0],
            portcullis::Value::Integer(0),
            "{table}"
        );
    }
    let cookies = server.sign_up("again@example.com").cookie_header();
    server.clock.advance_seconds(86_401);
    let r = server.post_json("/delete-user", Some(&cookies), "{}");
    assert_eq!(
        r.json()["code"],
        "SESSION_EXPIRED",
        "without a password the session must be fresh"
    );
}

#[test]
fn delete_user_by_emailed_link_deletes_only_when_followed() {
    let server = InProcess::new(Some(
        r#"{"user":{"deleteUser":{"enabled":true,"sendDeleteAccountVerification":true}}}"#,
    ));
    let cookies = fresh_user(&server);
    let r = server.post_json("/delete-user", Some(&cookies), r#"{"callbackURL":"/bye"}"#);
    assert_eq!(
        r.body,
        r#"{"success":true,"message":"Verification email sent"}"#
    );
    let mail = server.mail.last("user@example.com");
    assert!(mail
        .url
        .starts_with(&format!("{ORIGIN}/api/auth/delete-user/callback?token=")));
    assert_ne!(
        server
            .get("/get-session?disableCookieCache=true", Some(&cookies))
            .body,
        "null"
    );
    let r = server.request("GET", path_of(&mail.url), &[("cookie", &cookies)], None);
    assert_eq!((r.status, r.header("location")), (302, Some("/bye")));
    assert_eq!(
        sign_in(&server, "user@example.com", "password123").status,
        401
    );
    let r = server.request("GET", path_of(&mail.url), &[("cookie", &cookies)], None);
    assert_eq!(r.status, 404, "the link is single-use");
}
