//! The gate's built-in pages under `gate.pagesPath` (`/_auth`): sign in, sign up, forgot and
//! reset password, verify email, sign out, and error. Server-rendered HTML that needs no
//! JavaScript: each form posts `application/x-www-form-urlencoded` to its own URL, and the page
//! runs the matching endpoint in process ([`Api`]) with the browser's own headers (cookies,
//! Origin, Fetch Metadata, client IP), so the endpoint's origin checks, CSRF rules and rate
//! limits apply to the form exactly as to the API. A success is a 302 carrying the endpoint's
//! Set-Cookie headers; a failure renders the form again with the message in `role="alert"` and
//! the endpoint's status.
//!
//! Every page sends a strict CSP (no script at all; the one style element allowed by its
//! hash), `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`, `nosniff` and
//! `Cache-Control: no-store`.
//!
//! With `Referrer-Policy: no-referrer` a browser sends `Origin: null` on the form's POST; the
//! endpoint's origin check reads `null` with `Sec-Fetch-Site: same-origin` as the request's own
//! origin, which is the base URL's. So the site and the API must share one origin (the base
//! URL's): put the gate and the API on the same host.

use bytes::Bytes;
use http::request::Parts;
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use super::{safe_callback, Api, Gate};
use crate::config::{Config, MailProvider};
use crate::cookies::encode_uri_component;

/// What the pages need from the server.
pub struct Site<'a> {
    /// The compiled gate options.
    pub gate: &'a Gate,
    /// All options (base path, app name, password lengths, sign-up switch, mail provider).
    pub config: &'a Config,
    /// Trusted origin patterns, the base URL's origin first.
    pub trusted: &'a [String],
}

/// Escapes text for HTML content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One rendered page.
struct Page {
    status: StatusCode,
    /// `<title>` and `<h1>`.
    heading: String,
    /// The inside of `<main>` after the heading.
    content: String,
    /// An origin the page's form may be redirected to besides its own (an absolute callback).
    form_target: Option<String>,
}

impl Page {
    fn new(status: StatusCode, heading: &str, content: String) -> Page {
        Page {
            status,
            heading: heading.to_owned(),
            content,
            form_target: None,
        }
    }
}

/// The security headers every page answer carries.
fn secure(headers: &mut HeaderMap, csp: &str) {
    let fixed = [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if let Ok(value) = HeaderValue::from_str(csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The page's Content-Security-Policy.
pub fn csp(style_hash: &str, form_target: Option<&str>) -> String {
    let extra = form_target.map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'none'; style-src {style_hash}; form-action 'self'{extra}; frame-ancestors 'none'; base-uri 'none'"
    )
}

fn render(site: &Site, page: Page) -> Response<Bytes> {
    let (style, hash) = site.gate.style();
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"robots\" content=\"noindex\">\n<title>{heading} · {app}</title>\n<style>{style}</style>\n</head>\n<body>\n<main aria-labelledby=\"page-title\">\n<h1 id=\"page-title\">{heading}</h1>\n{content}\n</main>\n</body>\n</html>\n",
        heading = escape(&page.heading),
        app = escape(&site.config.app_name),
        content = page.content,
    );
    let mut response = Response::new(Bytes::from(html));
    *response.status_mut() = page.status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure(
        response.headers_mut(),
        &csp(hash, page.form_target.as_deref()),
    );
    response
}

/// A 302 with the page headers and the given Set-Cookie values.
fn redirect(site: &Site, location: &str, cookies: Vec<HeaderValue>) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::FOUND;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    for cookie in cookies {
        headers.append(header::SET_COOKIE, cookie);
    }
    secure(headers, &csp(site.gate.style().1, None));
    response
}

fn alert(message: Option<&str>) -> String {
    match message {
        Some(m) => format!(
            "<p id=\"form-error\" class=\"alert\" role=\"alert\">{}</p>\n",
            escape(m)
        ),
        None => String::new(),
    }
}

/// `aria-invalid` and `aria-describedby` for fields of a form that failed.
fn invalid(error: Option<&str>) -> &'static str {
    if error.is_some() {
        " aria-invalid=\"true\" aria-describedby=\"form-error\""
    } else {
        ""
    }
}

/// One labelled input.
fn field(
    id: &str,
    label: &str,
    kind: &str,
    autocomplete: &str,
    value: &str,
    extra: &str,
) -> String {
    let value = if value.is_empty() {
        String::new()
    } else {
        format!(" value=\"{}\"", escape(value))
    };
    format!(
        "<div class=\"field\"><label for=\"{id}\">{label}</label><input id=\"{id}\" name=\"{id}\" type=\"{kind}\" autocomplete=\"{autocomplete}\" required{value}{extra}></div>\n"
    )
}

fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{name}\" value=\"{}\">\n",
        escape(value)
    )
}

/// One link per configured social provider (`socialProviders`), to `<pagesPath>/social/<id>`,
/// which starts the provider's flow. Links rather than forms: the pages' CSP allows forms to
/// post only to this site, and Chrome applies `form-action` to the redirect to the provider too.
fn social_buttons(site: &Site, callback: &str) -> String {
    let providers = &site.config.social_providers;
    if providers.is_empty() {
        return String::new();
    }
    let mut out = String::from("<div class=\"social\">\n");
    for (id, options) in providers {
        let name = options
            .name
            .as_deref()
            .or_else(|| crate::social::providers::find(id).map(|spec| spec.name))
            .unwrap_or(id);
        out.push_str(&format!(
            "<a class=\"provider\" href=\"{}\">Continue with {}</a>\n",
            escape(&with_callback(site, &format!("social/{id}"), callback)),
            escape(name)
        ));
    }
    out.push_str("</div>\n");
    out
}

/// `GET <pagesPath>/social/<id>?callbackURL=`: starts the provider's flow through the API and
/// sends the browser to the provider (with the state cookie). Errors come back to the error page.
async fn social(site: &Site<'_>, api: &dyn Api, parts: &Parts, provider: &str) -> Response<Bytes> {
    let callback = safe_callback(query(parts).get("callbackURL"), site.trusted);
    // A navigation carries no Origin (and these pages send no Referer); the call is this
    // server's own, so it speaks with the base URL's origin.
    let mut headers = parts.headers.clone();
    if let Some(origin) = site
        .trusted
        .first()
        .and_then(|o| HeaderValue::from_str(o).ok())
    {
        headers.insert(header::ORIGIN, origin);
    }
    let answer = call(
        site,
        api,
        &headers,
        Method::POST,
        "/sign-in/social",
        Some(json!({
            "provider": provider,
            "callbackURL": callback,
            "errorCallbackURL": page_url(site, "error"),
            "disableRedirect": true,
        })),
    )
    .await;
    match answer.json["url"].as_str() {
        Some(url) if answer.ok() => redirect(site, url, answer.cookies),
        _ if answer.status == StatusCode::NOT_FOUND => not_found(site),
        _ => {
            let message = answer.message(site);
            sign_in_page(site, answer.failure_status(), &callback, "", Some(&message))
        }
    }
}

fn page_url(site: &Site, page: &str) -> String {
    format!("{}/{page}", site.gate.pages_path())
}

fn with_callback(site: &Site, page: &str, callback: &str) -> String {
    if callback == "/" {
        page_url(site, page)
    } else {
        format!(
            "{}?callbackURL={}",
            page_url(site, page),
            encode_uri_component(callback)
        )
    }
}

/// The origin of an absolute callback, for the CSP's `form-action`.
fn callback_origin(callback: &str) -> Option<String> {
    (!callback.starts_with('/'))
        .then(|| crate::urls::origin(callback))
        .flatten()
}

/// Where the verification mail's link lands: the verify-email page, which then offers the
/// callback.
fn verify_landing(site: &Site, callback: &str) -> String {
    with_callback(site, "verify-email", callback)
}

fn mail_enabled(site: &Site) -> bool {
    site.config.email.provider != MailProvider::None
}

fn sign_in_page(
    site: &Site,
    status: StatusCode,
    callback: &str,
    email: &str,
    error: Option<&str>,
) -> Response<Bytes> {
    let aria = invalid(error);
    let mut links = String::new();
    if mail_enabled(site) {
        links.push_str(&format!(
            "<a href=\"{}\">Forgot your password?</a>",
            escape(&page_url(site, "forgot-password"))
        ));
    }
    if !site.config.email_and_password.disable_sign_up {
        links.push_str(&format!(
            "<a href=\"{}\">Create an account</a>",
            escape(&with_callback(site, "sign-up", callback))
        ));
    }
    let content = format!(
        "{alert}{social}<form method=\"post\" action=\"{action}\">\n{callback}{email}{password}<div class=\"check\"><input id=\"rememberMe\" name=\"rememberMe\" type=\"checkbox\" value=\"on\" checked><label for=\"rememberMe\">Remember me</label></div>\n<button type=\"submit\">Sign in</button>\n</form>\n<p class=\"links\">{links}</p>",
        alert = alert(error),
        social = social_buttons(site, callback),
        action = escape(&page_url(site, "sign-in")),
        callback = hidden("callbackURL", callback),
        email = field("email", "Email", "email", "email", email, aria),
        password = field("password", "Password", "password", "current-password", "", aria),
    );
    let mut page = Page::new(status, "Sign in", content);
    page.form_target = callback_origin(callback);
    render(site, page)
}

fn sign_up_page(
    site: &Site,
    status: StatusCode,
    callback: &str,
    name: &str,
    email: &str,
    error: Option<&str>,
) -> Response<Bytes> {
    if site.config.email_and_password.disable_sign_up {
        let content = format!(
            "<p>New accounts cannot be created here.</p>\n<p class=\"links\"><a href=\"{}\">Sign in</a></p>",
            escape(&with_callback(site, "sign-in", callback))
        );
        return render(
            site,
            Page::new(StatusCode::NOT_FOUND, "Sign-up is closed", content),
        );
    }
    let aria = invalid(error);
    let options = &site.config.email_and_password;
    let lengths = format!(
        " minlength=\"{}\" maxlength=\"{}\"",
        options.min_password_length, options.max_password_length
    );
    let content = format!(
        "{alert}{social}<form method=\"post\" action=\"{action}\">\n{callback}{name}{email}{password}<button type=\"submit\">Create account</button>\n</form>\n<p class=\"links\"><a href=\"{sign_in}\">Already have an account? Sign in</a></p>",
        alert = alert(error),
        social = social_buttons(site, callback),
        action = escape(&page_url(site, "sign-up")),
        callback = hidden("callbackURL", callback),
        name = field("name", "Name", "text", "name", name, aria),
        email = field("email", "Email", "email", "email", email, aria),
        password = field(
            "password",
            "Password",
            "password",
            "new-password",
            "",
            &format!("{aria}{lengths}")
        ),
        sign_in = escape(&with_callback(site, "sign-in", callback)),
    );
    let mut page = Page::new(status, "Create an account", content);
    page.form_target = callback_origin(callback);
    render(site, page)
}

fn forgot_page(
    site: &Site,
    status: StatusCode,
    email: &str,
    error: Option<&str>,
) -> Response<Bytes> {
    let content = format!(
        "{alert}<p>Enter your email address and we will send you a link to choose a new password.</p>\n<form method=\"post\" action=\"{action}\">\n{email}<button type=\"submit\">Send reset link</button>\n</form>\n<p class=\"links\"><a href=\"{sign_in}\">Back to sign in</a></p>",
        alert = alert(error),
        action = escape(&page_url(site, "forgot-password")),
        email = field("email", "Email", "email", "email", email, invalid(error)),
        sign_in = escape(&page_url(site, "sign-in")),
    );
    render(site, Page::new(status, "Forgot your password?", content))
}

fn reset_page(
    site: &Site,
    status: StatusCode,
    token: &str,
    error: Option<&str>,
) -> Response<Bytes> {
    let options = &site.config.email_and_password;
    let extra = format!(
        "{} minlength=\"{}\" maxlength=\"{}\"",
        invalid(error),
        options.min_password_length,
        options.max_password_length
    );
    let content = format!(
        "{alert}<form method=\"post\" action=\"{action}\">\n{token}{password}<button type=\"submit\">Reset password</button>\n</form>",
        alert = alert(error),
        action = escape(&page_url(site, "reset-password")),
        token = hidden("token", token),
        password = field("password", "New password", "password", "new-password", "", &extra),
    );
    render(site, Page::new(status, "Choose a new password", content))
}

fn invalid_reset_link(site: &Site) -> Response<Bytes> {
    let content = format!(
        "{}<p class=\"links\"><a href=\"{}\">Request a new link</a></p>",
        alert(Some("This password reset link is invalid or has expired.")),
        escape(&page_url(site, "forgot-password"))
    );
    render(
        site,
        Page::new(StatusCode::BAD_REQUEST, "Reset link not valid", content),
    )
}

fn message_page(
    site: &Site,
    status: StatusCode,
    heading: &str,
    notice: &str,
    links: &[(&str, String)],
) -> Response<Bytes> {
    let links: String = links
        .iter()
        .map(|(text, href)| format!("<a href=\"{}\">{}</a>", escape(href), escape(text)))
        .collect();
    let content = format!(
        "<p class=\"notice\" role=\"status\">{}</p>\n<p class=\"links\">{links}</p>",
        escape(notice)
    );
    render(site, Page::new(status, heading, content))
}

fn error_page(site: &Site, code: &str) -> Response<Bytes> {
    let code = if !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        code
    } else {
        "UNKNOWN"
    };
    if code == "ACCESS_DENIED" {
        let content = format!(
            "{}<p class=\"links\"><a href=\"{}\">Sign out</a><a href=\"/\">Go home</a></p>",
            alert(Some(
                "Your account does not have access to this site. Sign out to use another account."
            )),
            escape(&page_url(site, "sign-out"))
        );
        return render(
            site,
            Page::new(StatusCode::FORBIDDEN, "Access denied", content),
        );
    }
    let content = format!(
        "<p id=\"form-error\" class=\"alert\" role=\"alert\">Error code: <code>{}</code></p>\n<p class=\"links\"><a href=\"{}\">Sign in</a><a href=\"/\">Go home</a></p>",
        escape(code),
        escape(&page_url(site, "sign-in"))
    );
    render(
        site,
        Page::new(StatusCode::BAD_REQUEST, "Something went wrong", content),
    )
}

fn verify_page(site: &Site, error: Option<&str>, callback: &str) -> Response<Bytes> {
    match error {
        Some(code) => {
            let message = match code {
                "INVALID_TOKEN" | "TOKEN_EXPIRED" => {
                    "This verification link is invalid or has expired."
                }
                "USER_NOT_FOUND" => "No account matches this verification link.",
                _ => "Your email address could not be verified.",
            };
            let content = format!(
                "{}<p class=\"links\"><a href=\"{}\">Sign in</a></p>",
                alert(Some(message)),
                escape(&with_callback(site, "sign-in", callback))
            );
            render(
                site,
                Page::new(StatusCode::BAD_REQUEST, "Email not verified", content),
            )
        }
        None => message_page(
            site,
            StatusCode::OK,
            "Email verified",
            "Your email address is verified.",
            &[("Continue", callback.to_owned())],
        ),
    }
}

/// An answer of the in-process API.
struct Answer {
    status: StatusCode,
    json: Value,
    cookies: Vec<HeaderValue>,
}

impl Answer {
    fn ok(&self) -> bool {
        self.status.is_success()
    }

    /// The status to render a failure with: the endpoint's 4xx, or 500.
    fn failure_status(&self) -> StatusCode {
        if self.status.is_client_error() {
            self.status
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }

    /// The message to show for a failure, in plain words where the API's are terse.
    fn message(&self, site: &Site) -> String {
        let code = self.json["code"].as_str().unwrap_or("");
        let message = self.json["message"].as_str().unwrap_or("");
        let options = &site.config.email_and_password;
        match code {
            "VALIDATION_ERROR" => {
                if message.starts_with("[body.email]") {
                    "Enter a valid email address.".to_owned()
                } else if message.starts_with("[body.name]") {
                    "Enter your name.".to_owned()
                } else if message.starts_with("[body.password]")
                    || message.starts_with("[body.newPassword]")
                {
                    "Enter a password.".to_owned()
                } else {
                    "Check the form and try again.".to_owned()
                }
            }
            "INVALID_EMAIL" => "Enter a valid email address.".to_owned(),
            "PASSWORD_TOO_SHORT" => format!(
                "Use at least {} characters for your password.",
                options.min_password_length
            ),
            "PASSWORD_TOO_LONG" => format!(
                "Use at most {} characters for your password.",
                options.max_password_length
            ),
            "INVALID_ORIGIN" | "MISSING_OR_NULL_ORIGIN" | "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED" => {
                "This form was sent from another site and was refused. Open the page again and retry.".to_owned()
            }
            "RESET_PASSWORD_DISABLED" => "Password reset is not available.".to_owned(),
            "EMAIL_NOT_VERIFIED" => {
                "Verify your email address first: open the link we sent you.".to_owned()
            }
            _ if self.status.is_server_error() => {
                "Something went wrong on our side. Please try again.".to_owned()
            }
            _ if !message.is_empty() => message.to_owned(),
            _ => "Something went wrong. Please try again.".to_owned(),
        }
    }
}

/// Runs `method path` of the API with the browser's headers (cookies, Origin, Referer, Fetch
/// Metadata, client IP, user agent) and a JSON body.
async fn call(
    site: &Site<'_>,
    api: &dyn Api,
    incoming: &HeaderMap,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let mut request = Request::new(body.map(|b| Bytes::from(b.to_string())).unwrap_or_default());
    *request.method_mut() = method;
    let uri = format!("{}{path}", site.config.base_path.trim_end_matches('/'));
    match uri.parse() {
        Ok(uri) => *request.uri_mut() = uri,
        Err(_) => {
            return Answer {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                json: Value::Null,
                cookies: Vec::new(),
            }
        }
    }
    let headers = request.headers_mut();
    for (name, value) in incoming {
        if *name != header::CONTENT_TYPE
            && *name != header::CONTENT_LENGTH
            && *name != header::ACCEPT
            && *name != header::ACCEPT_ENCODING
        {
            headers.append(name.clone(), value.clone());
        }
    }
    if !request.body().is_empty() {
        request.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    let response = api.call(request).await;
    Answer {
        status: response.status(),
        json: serde_json::from_slice(response.body()).unwrap_or(Value::Null),
        cookies: response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .cloned()
            .collect(),
    }
}

/// A form body's fields.
struct Form(Vec<(String, String)>);

impl Form {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }
}

fn query(parts: &Parts) -> Form {
    Form(
        parts
            .uri
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default(),
    )
}

fn unsupported(site: &Site) -> Response<Bytes> {
    let content = alert(Some(
        "This form must be sent as application/x-www-form-urlencoded.",
    ));
    render(
        site,
        Page::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported form",
            content,
        ),
    )
}

fn not_found(site: &Site) -> Response<Bytes> {
    let content = format!(
        "<p>There is no page here.</p>\n<p class=\"links\"><a href=\"{}\">Sign in</a><a href=\"/\">Go home</a></p>",
        escape(&page_url(site, "sign-in"))
    );
    render(
        site,
        Page::new(StatusCode::NOT_FOUND, "Page not found", content),
    )
}

fn method_not_allowed(site: &Site, allow: &'static str) -> Response<Bytes> {
    let mut response = render(
        site,
        Page::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            "<p>This page does not accept that request.</p>".to_owned(),
        ),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// Answers one request under `pagesPath`.
pub async fn serve(site: &Site<'_>, api: &dyn Api, parts: &Parts, body: &Bytes) -> Response<Bytes> {
    let page = &parts.uri.path()[site.gate.pages_path().len()..];
    let q = query(parts);
    let get = matches!(parts.method, Method::GET | Method::HEAD);
    let post = parts.method == Method::POST;
    let form = if post {
        let form_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
            .unwrap_or(false);
        if !form_type {
            return match page {
                "/sign-in" | "/sign-up" | "/forgot-password" | "/reset-password" | "/sign-out" => {
                    unsupported(site)
                }
                _ => not_found(site),
            };
        }
        Form(form_urlencoded::parse(body).into_owned().collect())
    } else {
        Form(Vec::new())
    };
    let ok = StatusCode::OK;
    match page {
        "" | "/" => redirect(
            site,
            &match q.get("callbackURL") {
                Some(cb) => with_callback(site, "sign-in", &safe_callback(Some(cb), site.trusted)),
                None => page_url(site, "sign-in"),
            },
            Vec::new(),
        ),
        "/sign-in" if get => {
            let callback = safe_callback(q.get("callbackURL"), site.trusted);
            sign_in_page(site, ok, &callback, "", None)
        }
        "/sign-in" if post => sign_in(site, api, parts, &form).await,
        "/sign-up" if get => {
            let callback = safe_callback(q.get("callbackURL"), site.trusted);
            sign_up_page(site, ok, &callback, "", "", None)
        }
        "/sign-up" if post => sign_up(site, api, parts, &form).await,
        "/forgot-password" if get => forgot_page(site, ok, "", None),
        "/forgot-password" if post => forgot(site, api, parts, &form).await,
        "/reset-password" if get => match (q.get("error"), q.get("token")) {
            (None, Some(token)) if !token.is_empty() => reset_page(site, ok, token, None),
            _ => invalid_reset_link(site),
        },
        "/reset-password" if post => reset(site, api, parts, &form).await,
        "/verify-email" if get => verify_page(
            site,
            q.get("error"),
            &safe_callback(q.get("callbackURL"), site.trusted),
        ),
        "/sign-out" if get => sign_out_page(site, api, parts, None, ok).await,
        "/sign-out" if post => sign_out(site, api, parts).await,
        "/error" if get => error_page(site, q.text("error")),
        social_page if get && social_page.starts_with("/social/") => {
            match social_page.strip_prefix("/social/") {
                Some(id) if !id.is_empty() && !id.contains('/') => {
                    social(site, api, parts, id).await
                }
                _ => not_found(site),
            }
        }
        "/sign-in" | "/sign-up" | "/forgot-password" | "/reset-password" | "/sign-out" => {
            method_not_allowed(site, "GET, HEAD, POST")
        }
        "/verify-email" | "/error" => method_not_allowed(site, "GET, HEAD"),
        _ => not_found(site),
    }
}

async fn sign_in(site: &Site<'_>, api: &dyn Api, parts: &Parts, form: &Form) -> Response<Bytes> {
    let callback = safe_callback(form.get("callbackURL"), site.trusted);
    let email = form.text("email");
    let answer = call(
        site,
        api,
        &parts.headers,
        Method::POST,
        "/sign-in/email",
        Some(json!({
            "email": email,
            "password": form.text("password"),
            "rememberMe": form.get("rememberMe").is_some(),
            "callbackURL": verify_landing(site, &callback),
        })),
    )
    .await;
    if answer.ok() && answer.json["twoFactorRedirect"] != true {
        return redirect(site, &callback, answer.cookies);
    }
    // The two-factor plugin answers a correct password with a challenge these pages do not
    // offer a form for: say so instead of landing on the site signed out.
    let (status, message) = if answer.ok() {
        (
            StatusCode::FORBIDDEN,
            "This account uses two-factor authentication, which this sign-in page does not offer. \
             Sign in through the application."
                .to_owned(),
        )
    } else {
        (answer.failure_status(), answer.message(site))
    };
    let mut response = sign_in_page(site, status, &callback, email, Some(&message));
    append_cookies(&mut response, answer.cookies);
    response
}

async fn sign_up(site: &Site<'_>, api: &dyn Api, parts: &Parts, form: &Form) -> Response<Bytes> {
    let callback = safe_callback(form.get("callbackURL"), site.trusted);
    let (name, email) = (form.text("name"), form.text("email"));
    let answer = call(
        site,
        api,
        &parts.headers,
        Method::POST,
        "/sign-up/email",
        Some(json!({
            "name": name,
            "email": email,
            "password": form.text("password"),
            "callbackURL": verify_landing(site, &callback),
        })),
    )
    .await;
    if !answer.ok() {
        let message = answer.message(site);
        return sign_up_page(
            site,
            answer.failure_status(),
            &callback,
            name,
            email,
            Some(&message),
        );
    }
    if answer.json["token"].is_string() {
        return redirect(site, &callback, answer.cookies);
    }
    // No session: verification is required, or auto sign-in is off. The same answer whether
    // or not the address was already taken.
    if site.config.email_and_password.require_email_verification {
        message_page(
            site,
            StatusCode::OK,
            "Check your email",
            "We have sent you a link to verify your email address. Open it, then sign in.",
            &[("Sign in", with_callback(site, "sign-in", &callback))],
        )
    } else {
        message_page(
            site,
            StatusCode::OK,
            "Account created",
            "Your account is ready. Sign in to continue.",
            &[("Sign in", with_callback(site, "sign-in", &callback))],
        )
    }
}

async fn forgot(site: &Site<'_>, api: &dyn Api, parts: &Parts, form: &Form) -> Response<Bytes> {
    let email = form.text("email");
    let answer = call(
        site,
        api,
        &parts.headers,
        Method::POST,
        "/request-password-reset",
        Some(json!({ "email": email, "redirectTo": page_url(site, "reset-password") })),
    )
    .await;
    if !answer.ok() {
        let message = answer.message(site);
        return forgot_page(site, answer.failure_status(), email, Some(&message));
    }
    message_page(
        site,
        StatusCode::OK,
        "Check your email",
        "If an account exists for that address, we have sent it a link to reset the password.",
        &[("Back to sign in", page_url(site, "sign-in"))],
    )
}

async fn reset(site: &Site<'_>, api: &dyn Api, parts: &Parts, form: &Form) -> Response<Bytes> {
    let token = form.text("token");
    if token.is_empty() {
        return invalid_reset_link(site);
    }
    let answer = call(
        site,
        api,
        &parts.headers,
        Method::POST,
        "/reset-password",
        Some(json!({ "newPassword": form.text("password"), "token": token })),
    )
    .await;
    if answer.ok() {
        return message_page(
            site,
            StatusCode::OK,
            "Password reset",
            "Your password has been changed. You can now sign in with it.",
            &[("Sign in", page_url(site, "sign-in"))],
        );
    }
    if answer.json["code"] == "INVALID_TOKEN" {
        return invalid_reset_link(site);
    }
    let message = answer.message(site);
    reset_page(site, answer.failure_status(), token, Some(&message))
}

async fn sign_out_page(
    site: &Site<'_>,
    api: &dyn Api,
    parts: &Parts,
    error: Option<&str>,
    status: StatusCode,
) -> Response<Bytes> {
    let session = call(site, api, &parts.headers, Method::GET, "/get-session", None).await;
    let who = match session.json["user"]["email"].as_str() {
        Some(email) => format!(
            "<p>You are signed in as <strong>{}</strong>.</p>\n",
            escape(email)
        ),
        None => "<p>You are not signed in.</p>\n".to_owned(),
    };
    let content = format!(
        "{alert}{who}<form method=\"post\" action=\"{action}\">\n<button type=\"submit\">Sign out</button>\n</form>",
        alert = alert(error),
        action = escape(&page_url(site, "sign-out")),
    );
    let mut response = render(site, Page::new(status, "Sign out", content));
    append_cookies(&mut response, session.cookies);
    response
}

async fn sign_out(site: &Site<'_>, api: &dyn Api, parts: &Parts) -> Response<Bytes> {
    let answer = call(site, api, &parts.headers, Method::POST, "/sign-out", None).await;
    if answer.ok() {
        return redirect(site, &page_url(site, "sign-in"), answer.cookies);
    }
    let message = answer.message(site);
    sign_out_page(site, api, parts, Some(&message), answer.failure_status()).await
}

fn append_cookies(response: &mut Response<Bytes>, cookies: Vec<HeaderValue>) {
    for cookie in cookies {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_text_and_attributes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn the_csp_allows_no_script_and_only_the_hashed_style() {
        assert_eq!(
            csp("'sha256-abc'", None),
            "default-src 'none'; style-src 'sha256-abc'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        );
        assert_eq!(
            csp("'sha256-abc'", Some("https://app.example.com")),
            "default-src 'none'; style-src 'sha256-abc'; form-action 'self' https://app.example.com; frame-ancestors 'none'; base-uri 'none'"
        );
        assert_eq!(
            callback_origin("https://app.example.com/x").as_deref(),
            Some("https://app.example.com")
        );
        assert_eq!(callback_origin("/x"), None);
    }
}
