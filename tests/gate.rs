//! The static-site gate over HTTP: the native server with `gate.origin` pointing at a tiny
//! upstream started here (it echoes what it received as JSON), and the built-in pages driven as
//! a browser without JavaScript drives them (form posts with `Origin: null`, as a page with
//! `Referrer-Policy: no-referrer` sends them, plus Fetch Metadata). Mail flows (forgot/reset
//! password, verify email) run in process with captured mail.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use common::{InProcess, Response, Server};
use serde_json::{json, Value};

/// Starts an upstream on 127.0.0.1 that answers every request with what it saw:
/// `{"method", "target", "headers": {name: [values]}, "body"}`. `/redirect` answers 301 to
/// its own absolute `/members/`; `/cached` says `cache-control: public, max-age=600`.
fn start_upstream() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || echo(stream, addr));
        }
    });
    format!("http://{addr}")
}

fn echo(mut stream: TcpStream, addr: std::net::SocketAddr) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line: Vec<&str> = lines.next().unwrap_or("").split(' ').collect();
    let mut headers = serde_json::Map::new();
    let mut length = 0;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
            if name == "content-length" {
                length = value.parse().unwrap_or(0);
            }
            headers
                .entry(name)
                .or_insert_with(|| json!([]))
                .as_array_mut()
                .unwrap()
                .push(value.into());
        }
    }
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        body.extend_from_slice(&chunk[..n]);
    }
    let target = request_line.get(1).copied().unwrap_or("");
    let text = json!({
        "method": request_line.first().copied().unwrap_or(""),
        "target": target,
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    })
    .to_string();
    let extra = match target {
        "/redirect" => format!("location: http://{addr}/members/\r\n"),
        "/cached" => "cache-control: public, max-age=600\r\n".to_owned(),
        _ => String::new(),
    };
    let status = if target == "/redirect" {
        "301 Moved Permanently"
    } else {
        "200 OK"
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\n{extra}content-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.write_all(reply.as_bytes());
}

fn gate_server(extra: &str) -> Server {
    let upstream = start_upstream();
    Server::start(Some(&format!(
        r#"{{"gate":{{"enabled":true,"origin":"{upstream}"{extra}}}}}"#
    )))
}

const HTML: (&str, &str) = ("accept", "text/html,application/xhtml+xml,*/*;q=0.8");

/// What Chromium sends with a same-origin form post from a page with
/// `Referrer-Policy: no-referrer`.
fn form_headers(cookie: Option<&str>) -> Vec<(&str, &str)> {
    let mut headers = vec![
        ("content-type", "application/x-www-form-urlencoded"),
        ("origin", "null"),
        ("sec-fetch-site", "same-origin"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-dest", "document"),
        HTML,
    ];
    if let Some(cookie) = cookie {
        headers.push(("cookie", cookie));
    }
    headers
}

fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn post_form(
    server: &Server,
    path: &str,
    cookie: Option<&str>,
    pairs: &[(&str, &str)],
) -> Response {
    server.request("POST", path, &form_headers(cookie), Some(&form(pairs)))
}

fn get_page(server: &Server, path: &str, cookie: Option<&str>) -> Response {
    let mut headers = vec![HTML, ("sec-fetch-mode", "navigate")];
    if let Some(cookie) = cookie {
        headers.push(("cookie", cookie));
    }
    server.request("GET", path, &headers, None)
}

fn seen(r: &Response) -> Value {
    assert_eq!(r.status, 200, "{r:?}");
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("not the echo ({e}): {}", r.body))
}

fn assert_page_headers(r: &Response) {
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let csp = r.header("content-security-policy").unwrap();
    assert!(
        csp.starts_with("default-src 'none'; style-src 'sha256-"),
        "{csp}"
    );
    assert!(
        csp.ends_with("; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        "{csp}"
    );
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

fn sign_up_through_the_page(server: &Server, email: &str, callback: &str) -> Response {
    post_form(
        server,
        "/_auth/sign-up",
        None,
        &[
            ("name", "Ada Lovelace"),
            ("email", email),
            ("password", "correct horse battery"),
            ("callbackURL", callback),
        ],
    )
}

#[test]
fn blocked_then_signed_up_through_the_page_then_served_with_the_user_id_then_signed_out() {
    let server = gate_server("");

    // Blocked: a page request goes to sign in, with where it was going as the callback.
    let r = get_page(&server, "/members/page.html?tab=1&x=%20y", None);
    assert_eq!(r.status, 302, "{r:?}");
    assert_eq!(
        r.header("location"),
        Some("/_auth/sign-in?callbackURL=%2Fmembers%2Fpage.html%3Ftab%3D1%26x%3D%2520y")
    );
    let r = get_page(&server, "/", None);
    assert_eq!(r.header("location"), Some("/_auth/sign-in?callbackURL=%2F"));

    // The sign-in page carries the callback, links to sign-up with it, and is accessible.
    let r = get_page(
        &server,
        "/_auth/sign-in?callbackURL=%2Fmembers%2Fpage.html%3Ftab%3D1",
        None,
    );
    assert_eq!(r.status, 200);
    assert_page_headers(&r);
    for needle in [
        "<html lang=\"en\">",
        "<h1 id=\"page-title\">Sign in</h1>",
        "<form method=\"post\" action=\"/_auth/sign-in\">",
        "<input type=\"hidden\" name=\"callbackURL\" value=\"/members/page.html?tab=1\">",
        "<label for=\"email\">Email</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required>",
        "<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>",
        "<input id=\"rememberMe\" name=\"rememberMe\" type=\"checkbox\" value=\"on\" checked><label for=\"rememberMe\">Remember me</label>",
        "<button type=\"submit\">Sign in</button>",
        "<a href=\"/_auth/sign-up?callbackURL=%2Fmembers%2Fpage.html%3Ftab%3D1\">Create an account</a>",
        "<a href=\"/_auth/forgot-password\">Forgot your password?</a>",
    ] {
        assert!(r.body.contains(needle), "missing {needle}\n{}", r.body);
    }
    assert!(!r.body.contains("<script"), "no script at all");
    let r = get_page(
        &server,
        "/_auth/sign-up?callbackURL=%2Fmembers%2Fpage.html",
        None,
    );
    assert_eq!(r.status, 200);
    assert_page_headers(&r);
    assert!(r
        .body
        .contains("<h1 id=\"page-title\">Create an account</h1>"));
    assert!(r.body.contains("autocomplete=\"new-password\""));
    assert!(r
        .body
        .contains("<button type=\"submit\">Create account</button>"));

    // Sign up through the form: back to the page asked for, signed in.
    let r = sign_up_through_the_page(&server, "ada@example.com", "/members/page.html?tab=1");
    assert_eq!(r.status, 302, "{r:?}");
    assert_eq!(r.header("location"), Some("/members/page.html?tab=1"));
    assert!(r.set_cookie("better-auth.session_token").is_some());
    assert!(r.set_cookie("better-auth.session_data").is_some());
    let cookies = r.cookie_header();
    let session = server.get("/get-session", Some(&cookies)).json();
    let user_id = session["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(session["user"]["email"], "ada@example.com");

    // Now served, with the user id upstream, and a forged copy of the header gone.
    let r = server.request(
        "GET",
        "/members/page.html?tab=1",
        &[
            HTML,
            ("cookie", &cookies),
            ("x-portcullis-user-id", "forged-admin"),
        ],
        None,
    );
    assert_eq!(r.header("cache-control"), Some("private, no-cache"));
    let echoed = seen(&r);
    assert_eq!(echoed["target"], "/members/page.html?tab=1");
    assert_eq!(echoed["method"], "GET");
    assert_eq!(echoed["headers"]["x-portcullis-user-id"], json!([user_id]));
    assert!(echoed["headers"]["host"][0]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1:"));
    assert!(echoed["headers"].get("x-portcullis-user-email").is_none());

    // A POST with a body is forwarded as it came.
    let r = server.request(
        "POST",
        "/members/form",
        &[("cookie", &cookies), ("content-type", "text/plain")],
        Some("hello upstream"),
    );
    let echoed = seen(&r);
    assert_eq!(echoed["method"], "POST");
    assert_eq!(echoed["body"], "hello upstream");

    // The upstream's own redirects reach the browser, made relative to the site.
    let r = server.request("GET", "/redirect", &[("cookie", &cookies)], None);
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some("/members/"));

    // Sign out: a confirm page, then the form post clears the cookies.
    let r = get_page(&server, "/_auth/sign-out", Some(&cookies));
    assert_eq!(r.status, 200);
    assert_page_headers(&r);
    assert!(r.body.contains("<h1 id=\"page-title\">Sign out</h1>"));
    assert!(r
        .body
        .contains("You are signed in as <strong>ada@example.com</strong>."));
    assert!(r
        .body
        .contains("<form method=\"post\" action=\"/_auth/sign-out\">\n<button type=\"submit\">Sign out</button>"));
    let r = post_form(&server, "/_auth/sign-out", Some(&cookies), &[]);
    assert_eq!(r.status, 302, "{r:?}");
    assert_eq!(r.header("location"), Some("/_auth/sign-in"));
    assert!(r
        .set_cookie("better-auth.session_token")
        .unwrap()
        .contains("Max-Age=0"));
    let after = r.cookie_header_over(&cookies);
    assert!(!after.contains("session_token"), "{after}");
    let r = get_page(&server, "/members/page.html", Some(&after));
    assert_eq!(r.status, 302);
    assert_eq!(
        r.header("location"),
        Some("/_auth/sign-in?callbackURL=%2Fmembers%2Fpage.html")
    );
    // The session is gone from the database too: its token alone no longer passes.
    let token_only = cookies
        .split("; ")
        .filter(|c| c.starts_with("better-auth.session_token="))
        .collect::<Vec<_>>()
        .join("; ");
    assert_eq!(get_page(&server, "/", Some(&token_only)).status, 302);
}

#[test]
fn requests_that_are_not_pages_get_401_and_public_paths_pass_without_user_headers() {
    let server = gate_server(r#","emailHeader":"x-portcullis-user-email""#);
    for headers in [
        vec![("accept", "application/json")],
        vec![],
        vec![("accept", "*/*"), ("sec-fetch-mode", "cors")],
    ] {
        let r = server.request("GET", "/members/data.json", &headers, None);
        assert_eq!(r.status, 401, "{headers:?}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(
            r.body,
            r#"{"message":"Unauthorized","code":"UNAUTHORIZED"}"#
        );
    }
    let r = server.request(
        "GET",
        "/public/index.html",
        &[
            HTML,
            ("x-portcullis-user-id", "forged"),
            ("x-portcullis-user-email", "forged@example.com"),
        ],
        None,
    );
    let echoed = seen(&r);
    assert_eq!(echoed["target"], "/public/index.html");
    assert!(echoed["headers"].get("x-portcullis-user-id").is_none());
    assert!(echoed["headers"].get("x-portcullis-user-email").is_none());
    // Public answers keep the upstream's caching; nothing there is private.
    assert_eq!(
        server.request("GET", "/public/../cached", &[], None).status,
        400,
        "dot segments are refused"
    );
    let r = server.request("GET", "/public/%2e%2e/members/page.html", &[HTML], None);
    assert_eq!(r.status, 400);
    let r = server.request("GET", "/public//..//members/page.html", &[HTML], None);
    assert_eq!(r.status, 400);
    // An encoded letter does not dodge a protect rule.
    let r = server.request("GET", "/%6dembers/page.html", &[HTML], None);
    assert_eq!(r.status, 302);
    // The API is untouched by the gate.
    let r = server.get("/ok", None);
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"ok":true}"#));
    assert_eq!(server.get("/nope", None).status, 404);
}

#[test]
fn a_wrong_password_shows_the_error_and_callbacks_cannot_leave_the_site() {
    let server = gate_server("");
    assert_eq!(
        server.sign_up("grace@example.com", "password123").status,
        200
    );
    let r = post_form(
        &server,
        "/_auth/sign-in",
        None,
        &[
            ("email", "grace@example.com"),
            ("password", "wrong-password"),
            ("callbackURL", "/members/page.html"),
            ("rememberMe", "on"),
        ],
    );
    assert_eq!(r.status, 401);
    assert_page_headers(&r);
    assert!(r.body.contains(
        "<p id=\"form-error\" class=\"alert\" role=\"alert\">Invalid email or password</p>"
    ));
    assert!(
        r.body.contains("value=\"grace@example.com\""),
        "the email is kept"
    );
    assert!(!r.body.contains("wrong-password"), "the password is not");
    assert!(r
        .body
        .contains("aria-invalid=\"true\" aria-describedby=\"form-error\""));
    assert!(r.set_cookie("better-auth.session_token").is_none());

    for evil in [
        "https://evil.com/",
        "//evil.com",
        "/\\evil.com",
        "javascript:alert(1)",
    ] {
        let r = post_form(
            &server,
            "/_auth/sign-in",
            None,
            &[
                ("email", "grace@example.com"),
                ("password", "password123"),
                ("callbackURL", evil),
                ("rememberMe", "on"),
            ],
        );
        assert_eq!(r.status, 302, "{evil}: {r:?}");
        assert_eq!(r.header("location"), Some("/"), "{evil}");
        let r = get_page(
            &server,
            &format!(
                "/_auth/sign-in?callbackURL={}",
                portcullis::cookies::encode_uri_component(evil)
            ),
            None,
        );
        assert!(
            r.body.contains("name=\"callbackURL\" value=\"/\""),
            "{evil}: the page carries / instead"
        );
    }
    // A trusted absolute callback is kept, and the CSP lets the form go there.
    let own = format!("{}/members/page.html", server.base_url);
    let r = post_form(
        &server,
        "/_auth/sign-in",
        None,
        &[
            ("email", "grace@example.com"),
            ("password", "password123"),
            ("callbackURL", &own),
            ("rememberMe", "on"),
        ],
    );
    assert_eq!(r.header("location"), Some(own.as_str()));
    let r = get_page(
        &server,
        &format!(
            "/_auth/sign-in?callbackURL={}",
            portcullis::cookies::encode_uri_component(&own)
        ),
        None,
    );
    assert!(r
        .header("content-security-policy")
        .unwrap()
        .contains(&format!("form-action 'self' {};", server.base_url)));

    // Without "remember me" the session cookie ends with the browser session.
    let r = post_form(
        &server,
        "/_auth/sign-in",
        None,
        &[("email", "grace@example.com"), ("password", "password123")],
    );
    assert_eq!(r.status, 302);
    assert!(!r
        .set_cookie("better-auth.session_token")
        .unwrap()
        .contains("Max-Age"));
    assert!(r.set_cookie("better-auth.dont_remember").is_some());

    // A login form posted from another site is refused (login CSRF).
    let mut headers = form_headers(None);
    headers.retain(|(n, _)| *n != "sec-fetch-site" && *n != "origin");
    headers.push(("sec-fetch-site", "cross-site"));
    headers.push(("origin", "https://evil.com"));
    let body = form(&[("email", "grace@example.com"), ("password", "password123")]);
    let r = server.request("POST", "/_auth/sign-in", &headers, Some(&body));
    assert_eq!(r.status, 403);
    assert!(r.body.contains("role=\"alert\""));
    assert!(r.set_cookie("better-auth.session_token").is_none());

    // A taken address on sign-up: 422 with the API's message.
    let r = sign_up_through_the_page(&server, "grace@example.com", "/");
    assert_eq!(r.status, 422);
    assert!(r.body.contains("User already exists. Use another email."));
    // Form posts must be forms.
    let r = server.request(
        "POST",
        "/_auth/sign-in",
        &[("content-type", "application/json")],
        Some("{}"),
    );
    assert_eq!(r.status, 415);
}

#[test]
fn rules_refuse_users_outside_the_email_domain() {
    let server = gate_server(
        r#","emailHeader":"x-portcullis-user-email","rules":{"emailDomain":"example.com"}"#,
    );
    let outsider = server
        .sign_up("mallory@other.org", "password123")
        .cookie_header();
    let r = get_page(&server, "/members/page.html", Some(&outsider));
    assert_eq!(r.status, 302);
    assert_eq!(
        r.header("location"),
        Some("/_auth/error?error=ACCESS_DENIED")
    );
    let r = server.request(
        "GET",
        "/members/page.html",
        &[("cookie", &outsider), ("accept", "application/json")],
        None,
    );
    assert_eq!(r.status, 401);
    let r = get_page(&server, "/_auth/error?error=ACCESS_DENIED", Some(&outsider));
    assert_eq!(r.status, 403);
    assert_page_headers(&r);
    assert!(r.body.contains("<h1 id=\"page-title\">Access denied</h1>"));
    assert!(r.body.contains("<a href=\"/_auth/sign-out\">Sign out</a>"));
    let r = get_page(&server, "/_auth/error?error=%3Cscript%3E", None);
    assert!(r.body.contains("<code>UNKNOWN</code>"));

    let insider = server
        .sign_up("alice@example.com", "password123")
        .cookie_header();
    let echoed = seen(&get_page(&server, "/members/page.html", Some(&insider)));
    assert_eq!(
        echoed["headers"]["x-portcullis-user-email"],
        json!(["alice@example.com"])
    );
}

#[test]
fn without_the_gate_other_paths_stay_404_and_natively_an_origin_is_required() {
    let server = Server::start(None);
    let r = get_page(&server, "/members/page.html", None);
    assert_eq!((r.status, r.body.as_str()), (404, ""));
    assert_eq!(get_page(&server, "/_auth/sign-in", None).status, 404);

    let mut settings = portcullis::host::native::Settings {
        config: portcullis::Config::from_json(r#"{"gate":{"enabled":true}}"#).unwrap(),
        secret: common::SECRET.to_owned(),
        database: common::temp_dir("gate").join("p.db"),
        address: "127.0.0.1:0".parse().unwrap(),
        threads: 1,
    };
    let error = portcullis::host::native::auth_for(&settings, Default::default())
        .err()
        .unwrap();
    assert!(error.contains("gate.origin"), "{error}");
    settings.config.gate.origin = Some("http://127.0.0.1:9".into());
    settings.config.gate.theme.accent = "red;}</style>".into();
    let error = portcullis::host::native::auth_for(&settings, Default::default())
        .err()
        .unwrap();
    assert!(error.contains("gate.theme.accent"), "{error}");
}

#[test]
fn an_unreachable_upstream_is_a_502() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap();
    drop(listener);
    let server = Server::start(Some(&format!(
        r#"{{"gate":{{"enabled":true,"origin":"http://{closed}"}}}}"#
    )));
    let r = server.request("GET", "/public/index.html", &[], None);
    assert_eq!(r.status, 502);
    assert_eq!(r.body, r#"{"message":"Bad gateway","code":"BAD_GATEWAY"}"#);
}

// In process, with captured mail: the reset and verification links land on the pages.

const IN_PROCESS_ORIGIN: &str = "http://127.0.0.1:3100";

fn in_process(extra: &str) -> InProcess {
    InProcess::new(Some(&format!(
        r#"{{"gate":{{"enabled":true,"origin":"http://127.0.0.1:9"}}{extra}}}"#
    )))
}

fn post_page(
    server: &InProcess,
    path: &str,
    cookie: Option<&str>,
    pairs: &[(&str, &str)],
) -> Response {
    server.request("POST", path, &form_headers(cookie), Some(&form(pairs)))
}

fn path_of(url: &str) -> &str {
    url.strip_prefix(IN_PROCESS_ORIGIN).unwrap_or(url)
}

#[test]
fn forgot_password_mails_a_link_to_the_reset_page_and_the_new_password_works() {
    let server = in_process("");
    server.sign_up("reset@example.com");
    let r = server.request("GET", "/_auth/forgot-password", &[HTML], None);
    assert_eq!(r.status, 200);
    assert!(r
        .body
        .contains("<h1 id=\"page-title\">Forgot your password?</h1>"));
    assert!(r
        .body
        .contains("<button type=\"submit\">Send reset link</button>"));

    let r = post_page(
        &server,
        "/_auth/forgot-password",
        None,
        &[("email", "reset@example.com")],
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r
        .body
        .contains("<h1 id=\"page-title\">Check your email</h1>"));
    let unknown = post_page(
        &server,
        "/_auth/forgot-password",
        None,
        &[("email", "nobody@example.com")],
    );
    assert_eq!(unknown.body, r.body, "the same page for unknown addresses");
    assert!(server.mail.to("nobody@example.com").is_empty());

    let link = server.mail.last("reset@example.com").url;
    assert!(
        link.ends_with("?callbackURL=%2F_auth%2Freset-password"),
        "{link}"
    );
    let r = server.request("GET", path_of(&link), &[HTML], None);
    assert_eq!(r.status, 302);
    let landing = r.header("location").unwrap().to_owned();
    assert!(
        landing.starts_with(&format!("{IN_PROCESS_ORIGIN}/_auth/reset-password?token=")),
        "{landing}"
    );
    let token = landing.split("token=").nth(1).unwrap().to_owned();
    let r = server.request("GET", path_of(&landing), &[HTML], None);
    assert_eq!(r.status, 200);
    assert!(r
        .body
        .contains("<h1 id=\"page-title\">Choose a new password</h1>"));
    assert!(r.body.contains(&format!(
        "<input type=\"hidden\" name=\"token\" value=\"{token}\">"
    )));
    assert!(r
        .body
        .contains("<label for=\"password\">New password</label>"));

    let r = post_page(
        &server,
        "/_auth/reset-password",
        None,
        &[("token", &token), ("password", "short")],
    );
    assert_eq!(r.status, 400);
    assert!(r
        .body
        .contains("Use at least 8 characters for your password."));
    let r = post_page(
        &server,
        "/_auth/reset-password",
        None,
        &[("token", &token), ("password", "a brand new password")],
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body.contains("<h1 id=\"page-title\">Password reset</h1>"));
    assert!(r.body.contains("<a href=\"/_auth/sign-in\">Sign in</a>"));
    // Spent: the token does not work twice.
    let r = post_page(
        &server,
        "/_auth/reset-password",
        None,
        &[("token", &token), ("password", "another new password")],
    );
    assert_eq!(r.status, 400);
    assert!(r
        .body
        .contains("This password reset link is invalid or has expired."));
    let r = server.request(
        "GET",
        "/_auth/reset-password?error=INVALID_TOKEN",
        &[HTML],
        None,
    );
    assert_eq!(r.status, 400);
    assert!(r
        .body
        .contains("role=\"alert\">This password reset link is invalid or has expired."));

    let r = post_page(
        &server,
        "/_auth/sign-in",
        None,
        &[
            ("email", "reset@example.com"),
            ("password", "a brand new password"),
            ("rememberMe", "on"),
        ],
    );
    assert_eq!(r.status, 302, "{r:?}");
    assert_eq!(r.header("location"), Some("/"));
}

#[test]
fn verification_links_land_on_the_verify_page_which_offers_the_callback() {
    let server = in_process(r#","emailAndPassword":{"requireEmailVerification":true}"#);
    let r = post_page(
        &server,
        "/_auth/sign-up",
        None,
        &[
            ("name", "Vera"),
            ("email", "vera@example.com"),
            ("password", "password123"),
            ("callbackURL", "/members/page.html"),
        ],
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r
        .body
        .contains("<h1 id=\"page-title\">Check your email</h1>"));
    assert!(r.set_cookie("better-auth.session_token").is_none());
    let r = post_page(
        &server,
        "/_auth/sign-in",
        None,
        &[("email", "vera@example.com"), ("password", "password123")],
    );
    assert_eq!(r.status, 403);
    assert!(r.body.contains("Verify your email address first"));

    let link = server.mail.last("vera@example.com").url;
    let r = server.request("GET", path_of(&link), &[HTML], None);
    assert_eq!(r.status, 302, "{r:?}");
    assert_eq!(
        r.header("location"),
        Some("/_auth/verify-email?callbackURL=%2Fmembers%2Fpage.html")
    );
    let r = server.request("GET", r.header("location").unwrap(), &[HTML], None);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<h1 id=\"page-title\">Email verified</h1>"));
    assert!(r
        .body
        .contains("<a href=\"/members/page.html\">Continue</a>"));
    let r = post_page(
        &server,
        "/_auth/sign-in",
        None,
        &[
            ("email", "vera@example.com"),
            ("password", "password123"),
            ("callbackURL", "/members/page.html"),
        ],
    );
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), Some("/members/page.html"));

    let bad = link.replace("token=", "token=x");
    let r = server.request("GET", path_of(&bad), &[HTML], None);
    assert_eq!(r.status, 302);
    let location = r.header("location").unwrap().to_owned();
    assert!(location.contains("error=INVALID_TOKEN"), "{location}");
    let r = server.request("GET", &location, &[HTML], None);
    assert_eq!(r.status, 400);
    assert!(r
        .body
        .contains("This verification link is invalid or has expired."));
}

#[test]
fn the_theme_sets_the_css_variables_and_the_csp_hash_matches_the_style() {
    use base64::Engine;
    use sha2::Digest;
    let server = in_process(r##","appName":"Acme""##);
    let themed = InProcess::new(Some(
        r##"{"gate":{"enabled":true,"origin":"http://127.0.0.1:9","theme":{"accent":"#ff5500","radius":"0"}}}"##,
    ));
    for (server, accent, radius) in [(&server, "#2563eb", "6px"), (&themed, "#ff5500", "0")] {
        let r = server.request("GET", "/_auth/sign-in", &[HTML], None);
        let style = r
            .body
            .split("<style>")
            .nth(1)
            .unwrap()
            .split("</style>")
            .next()
            .unwrap();
        assert!(style.contains(&format!("--pc-accent:{accent};")), "{style}");
        assert!(style.contains(&format!("--pc-radius:{radius}")), "{style}");
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style));
        assert!(r
            .header("content-security-policy")
            .unwrap()
            .contains(&format!("style-src 'sha256-{hash}'")));
    }
    assert!(server
        .request("GET", "/_auth/sign-in", &[HTML], None)
        .body
        .contains("<title>Sign in · Acme</title>"));
    let r = server.request("GET", "/_auth", &[HTML], None);
    assert_eq!(
        (r.status, r.header("location")),
        (302, Some("/_auth/sign-in"))
    );
    let r = server.request("GET", "/_auth/nothing-here", &[HTML], None);
    assert_eq!(r.status, 404);
    assert_page_headers(&r);
    let r = server.request("DELETE", "/_auth/sign-in", &[HTML], None);
    assert_eq!(r.status, 405);
    // Without an upstream (a Worker with no ASSETS binding), gated paths are a 500.
    let r = server.request("GET", "/public/index.html", &[HTML], None);
    assert_eq!(r.status, 500);
}

/// Answers with the user id it was given (or `-`).
struct EchoUser;

#[async_trait::async_trait(?Send)]
impl portcullis::net::Upstream for EchoUser {
    async fn fetch(
        &self,
        request: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, String> {
        let user = request
            .headers()
            .get("x-portcullis-user-id")
            .map_or("-".to_owned(), |v| v.to_str().unwrap().to_owned());
        Ok(http::Response::new(bytes::Bytes::from(format!(
            "{} {}",
            request.uri(),
            user
        ))))
    }
}

#[test]
fn the_hot_path_reads_no_database_while_the_cookie_cache_is_fresh() {
    let server = InProcess::with_upstream(Some(r#"{"gate":{"enabled":true}}"#), Box::new(EchoUser));
    let signed_up = server.sign_up("fast@example.com");
    let cookies = signed_up.cookie_header();
    let user_id = signed_up.json()["user"]["id"].as_str().unwrap().to_owned();
    server.take_counts();
    let r = server.request(
        "GET",
        "/members/page.html?q=1",
        &[("cookie", &cookies)],
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        format!("{IN_PROCESS_ORIGIN}/members/page.html?q=1 {user_id}"),
        "without gate.origin the site's own origin is asked (the ASSETS binding reads the path)"
    );
    assert_eq!(server.take_counts(), (0, 0), "cookie cache: no round trip");
    server.clock.advance_seconds(301);
    let r = server.request("GET", "/members/page.html", &[("cookie", &cookies)], None);
    assert_eq!(r.status, 200);
    assert_eq!(server.take_counts(), (1, 0), "stale cache: one read");
    let refreshed = r.cookie_header_over(&cookies);
    assert!(
        r.set_cookie("better-auth.session_data").is_some(),
        "a fresh cache cookie"
    );
    server.request("GET", "/members/page.html", &[("cookie", &refreshed)], None);
    assert_eq!(server.take_counts(), (0, 0));
    // No session at all: no round trip either.
    let r = server.request("GET", "/members/page.html", &[HTML], None);
    assert_eq!(r.status, 302);
    assert_eq!(server.take_counts(), (0, 0));
}

#[test]
fn the_sign_in_page_says_when_two_factor_is_needed_instead_of_signing_in() {
    let upstream = start_upstream();
    let server = Server::start(Some(&format!(
        r#"{{"gate":{{"enabled":true,"origin":"{upstream}"}},"plugins":{{"twoFactor":{{"skipVerificationOnEnable":true}}}}}}"#
    )));
    let up = server.sign_up("tfa@example.com", "password123");
    let enabled = server.post_json(
        "/two-factor/enable",
        Some(&up.cookie_header()),
        r#"{"password":"password123"}"#,
    );
    assert_eq!(enabled.status, 200, "{}", enabled.body);
    let r = post_form(
        &server,
        "/_auth/sign-in",
        None,
        &[("email", "tfa@example.com"), ("password", "password123")],
    );
    assert_eq!(r.status, 403);
    assert_page_headers(&r);
    assert!(
        r.body.contains("uses two-factor authentication"),
        "{}",
        r.body
    );
    assert_eq!(
        r.cookie_value("better-auth.session_token").as_deref(),
        Some("")
    );
}
