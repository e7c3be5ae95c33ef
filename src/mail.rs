//! Email delivery: the [`Mail`] the core sends (verification links, password resets, change-email
//! confirmations, delete-account confirmations) and the [`Mailer`] that delivers it.
//!
//! Three mailers ship: [`LogMailer`] prints the link (the native default, for development);
//! [`WebhookMailer`] POSTs the mail as JSON to a configured URL (works on every host; tests capture
//! mail through it); [`ResendMailer`] calls Resend's HTTP API. Templates are plain text, built by
//! [`Template`] (or [`render`]), and the configuration may override subject and body per kind.

use std::collections::BTreeMap;

use async_trait::async_trait;
use bytes::Bytes;
use serde::Serialize;

use crate::config::{EmailDelivery, MailProvider, TemplateOverride};
use crate::net::HttpClient;

/// What a mail is for; also its template name and the `kind` field of webhook payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MailKind {
    /// `/send-verification-email`, sign-up and sign-in with verification required.
    VerifyEmail,
    /// `/request-password-reset`.
    ResetPassword,
    /// `/change-email`: the verification link sent to the new address.
    ChangeEmail,
    /// `/delete-user` with emailed confirmation.
    DeleteAccount,
    /// `/sign-in/magic-link` (magicLink plugin).
    MagicLink,
    /// A one-time code (emailOTP plugin); `token` is the code and `url` is empty.
    EmailOtp,
    /// A two-factor sign-in code (twoFactor plugin, `otpOptions.enabled`); `token` is the code.
    TwoFactorOtp,
}

impl MailKind {
    /// Every kind, in a fixed order.
    pub const ALL: [MailKind; 7] = [
        MailKind::VerifyEmail,
        MailKind::ResetPassword,
        MailKind::ChangeEmail,
        MailKind::DeleteAccount,
        MailKind::MagicLink,
        MailKind::EmailOtp,
        MailKind::TwoFactorOtp,
    ];

    /// The kind's name (`verify-email`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::VerifyEmail => "verify-email",
            MailKind::ResetPassword => "reset-password",
            MailKind::ChangeEmail => "change-email",
            MailKind::DeleteAccount => "delete-account",
            MailKind::MagicLink => "magic-link",
            MailKind::EmailOtp => "email-otp",
            MailKind::TwoFactorOtp => "two-factor-otp",
        }
    }

    /// The kind a name stands for.
    pub fn from_name(name: &str) -> Option<MailKind> {
        MailKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// One mail to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mail {
    /// What it is for.
    pub kind: MailKind,
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body (contains the link).
    pub text: String,
    /// The link the recipient follows.
    pub url: String,
    /// The token inside the link.
    pub token: String,
}

/// A plain-text template: subject and body with `{url}`, `{token}`, `{email}` and `{appName}`
/// placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    /// Subject line.
    pub subject: &'static str,
    /// Body.
    pub text: &'static str,
}

impl Template {
    /// The built-in template of a kind.
    pub fn default_for(kind: MailKind) -> Template {
        match kind {
            MailKind::VerifyEmail => Template {
                subject: "Verify your email address",
                text: "Click the link to verify your email: {url}\n\n\
                       If you did not create an account with {appName}, you can ignore this email.",
            },
            MailKind::ResetPassword => Template {
                subject: "Reset your password",
                text: "Click the link to reset your password: {url}\n\n\
                       If you did not ask to reset your {appName} password, you can ignore this \
                       email; your password stays as it is.",
            },
            MailKind::ChangeEmail => Template {
                subject: "Confirm your new email address",
                text: "Click the link to confirm the change of your {appName} email address: {url}\n\n\
                       If you did not ask for this change, you can ignore this email.",
            },
            MailKind::DeleteAccount => Template {
                subject: "Confirm deleting your account",
                text: "Click the link to delete your {appName} account: {url}\n\n\
                       If you did not ask for this, you can ignore this email; your account stays \
                       as it is.",
            },
            MailKind::MagicLink => Template {
                subject: "Sign in to {appName}",
                text: "Click the link to sign in: {url}\n\n\
                       The link works once, for 5 minutes. If you did not ask for it, you can \
                       ignore this email.",
            },
            MailKind::TwoFactorOtp => Template {
                subject: "Your {appName} sign-in code",
                text: "Your sign-in code is {token}. It works for 3 minutes.\n\n\
                       If you did not just sign in, change your password.",
            },
            MailKind::EmailOtp => Template {
                subject: "Your {appName} code",
                text: "Your code is {token}. It works once, for 5 minutes.\n\n\
                       If you did not ask for it, you can ignore this email.",
            },
        }
    }

    /// Builds the mail of `kind` for `to`: the built-in template, or the configured override
    /// (`email.templates["<kind>"]`, subject and text each optional), with placeholders filled.
    pub fn render(
        kind: MailKind,
        to: &str,
        url: &str,
        token: &str,
        app_name: &str,
        overrides: &BTreeMap<String, TemplateOverride>,
    ) -> Mail {
        let builtin = Template::default_for(kind);
        let custom = overrides.get(kind.as_str());
        let subject = custom
            .and_then(|o| o.subject.as_deref())
            .unwrap_or(builtin.subject);
        let text = custom
            .and_then(|o| o.text.as_deref())
            .unwrap_or(builtin.text);
        let values = [
            ("url", url),
            ("token", token),
            ("email", to),
            ("appName", app_name),
        ];
        Mail {
            kind,
            to: to.to_owned(),
            // A subject is one line: a newline in an override (or a value) would break the mail.
            subject: fill(subject, &values).replace(['\r', '\n'], " "),
            text: fill(text, &values),
            url: url.to_owned(),
            token: token.to_owned(),
        }
    }
}

/// Replaces `{name}` placeholders in one pass (a value that itself contains `{url}` stays as it
/// is); unknown `{…}` text is kept.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let hit = after.find('}').and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, value)| (close, *value))
        });
        match hit {
            Some((close, value)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Delivers mail, through the host's outbound HTTP where it needs the network.
#[async_trait(?Send)]
pub trait Mailer {
    /// Whether mail can be sent at all (`false` for provider `none`: the endpoints that exist to
    /// send mail then answer as Better Auth does without its callbacks).
    fn enabled(&self) -> bool {
        true
    }

    /// Sends one mail. `Err` carries a message for the log (never a secret).
    async fn send(&self, mail: &Mail, http: &dyn HttpClient) -> Result<(), String>;
}

/// Development mailer: writes the mail (with its link) to the host's log.
pub struct LogMailer(pub fn(&str));

#[async_trait(?Send)]
impl Mailer for LogMailer {
    async fn send(&self, mail: &Mail, _http: &dyn HttpClient) -> Result<(), String> {
        (self.0)(&format!(
            "mail ({}) to {}: {}",
            mail.kind.as_str(),
            mail.to,
            mail.url
        ));
        Ok(())
    }
}

/// Sends nothing; mail-sending endpoints are off.
pub struct NoMailer;

#[async_trait(?Send)]
impl Mailer for NoMailer {
    fn enabled(&self) -> bool {
        false
    }

    async fn send(&self, _mail: &Mail, _http: &dyn HttpClient) -> Result<(), String> {
        Err("mail delivery is off (email.provider = \"none\")".to_owned())
    }
}

/// The JSON a [`WebhookMailer`] posts.
#[derive(Serialize)]
struct WebhookPayload<'a> {
    kind: MailKind,
    to: &'a str,
    subject: &'a str,
    text: &'a str,
    url: &'a str,
    token: &'a str,
    /// The recipient again, under the name Better Auth's callbacks use (`user.email`).
    email: &'a str,
}

/// POSTs each mail as JSON to a URL of your own (a mail relay, a queue, a test sink):
/// `{"kind","to","subject","text","url","token","email"}` with `content-type: application/json`.
/// Any 2xx answer counts as sent.
#[derive(Debug, Clone)]
pub struct WebhookMailer {
    /// Where to post (`email.webhookUrl`).
    pub url: String,
}

impl WebhookMailer {
    /// The request [`Mailer::send`] sends for `mail`.
    pub fn request(&self, mail: &Mail) -> Result<http::Request<Bytes>, String> {
        let body = serde_json::to_vec(&WebhookPayload {
            kind: mail.kind,
            to: &mail.to,
            subject: &mail.subject,
            text: &mail.text,
            url: &mail.url,
            token: &mail.token,
            email: &mail.to,
        })
        .map_err(|e| e.to_string())?;
        http::Request::post(self.url.as_str())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::USER_AGENT, USER_AGENT)
            .body(Bytes::from(body))
            .map_err(|e| format!("mail webhook request: {e}"))
    }
}

#[async_trait(?Send)]
impl Mailer for WebhookMailer {
    async fn send(&self, mail: &Mail, http: &dyn HttpClient) -> Result<(), String> {
        let response = http
            .send(self.request(mail)?)
            .await
            .map_err(|e| format!("mail webhook: {e}"))?;
        if response.status().is_success() {
            Ok(())
        } else {
            // The URL may carry a token of its own: it is not repeated here.
            Err(format!("mail webhook answered {}", response.status()))
        }
    }
}

/// Resend's send-email endpoint.
pub const RESEND_ENDPOINT: &str = "https://api.resend.com/emails";

const USER_AGENT: &str = concat!("portcullis/", env!("CARGO_PKG_VERSION"));

/// The body of Resend's `POST /emails`.
#[derive(Serialize)]
struct ResendEmail<'a> {
    from: &'a str,
    to: [&'a str; 1],
    subject: &'a str,
    text: &'a str,
}

/// Sends through Resend's HTTP API (`POST https://api.resend.com/emails`, bearer API key).
pub struct ResendMailer {
    /// The `RESEND_API_KEY` secret.
    pub api_key: String,
    /// Sender (`email.from`), an address on a domain verified with Resend.
    pub from: String,
}

impl std::fmt::Debug for ResendMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResendMailer")
            .field("api_key", &"<redacted>")
            .field("from", &self.from)
            .finish()
    }
}

impl ResendMailer {
    /// The request [`Mailer::send`] sends for `mail`.
    pub fn request(&self, mail: &Mail) -> Result<http::Request<Bytes>, String> {
        let body = serde_json::to_vec(&ResendEmail {
            from: &self.from,
            to: [&mail.to],
            subject: &mail.subject,
            text: &mail.text,
        })
        .map_err(|e| e.to_string())?;
        http::Request::post(RESEND_ENDPOINT)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::USER_AGENT, USER_AGENT)
            .header(
                http::header::AUTHORIZATION,
                format!("Bearer {}", self.api_key),
            )
            .body(Bytes::from(body))
            // The error of an unusable key names only the header, never its value.
            .map_err(|_| "Resend request: RESEND_API_KEY is not a valid header value".to_owned())
    }
}

/// Resend's error body, `{"statusCode":422,"name":"validation_error","message":"…"}`: its
/// `name` and `message` when each is text, `null` or absent (read by hand, crate::store::json).
fn resend_error(body: &[u8]) -> Option<(Option<String>, Option<String>)> {
    use crate::store::json;
    let mut o = json::object(body)?;
    Some((
        json::opt_string(&mut o, "name")?,
        json::opt_string(&mut o, "message")?,
    ))
}

#[async_trait(?Send)]
impl Mailer for ResendMailer {
    async fn send(&self, mail: &Mail, http: &dyn HttpClient) -> Result<(), String> {
        let response = http
            .send(self.request(mail)?)
            .await
            .map_err(|e| format!("Resend: {e}"))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let detail = resend_error(response.body())
            .and_then(|e| match e {
                (Some(name), Some(message)) => Some(format!("{name}: {message}")),
                (None, Some(message)) | (Some(message), None) => Some(message),
                (None, None) => None,
            })
            .unwrap_or_else(|| {
                String::from_utf8_lossy(&response.body()[..response.body().len().min(200)])
                    .into_owned()
            });
        // Resend never echoes the key, but make sure nothing that looks like it reaches the log.
        let detail = if self.api_key.is_empty() {
            detail
        } else {
            detail.replace(&self.api_key, "<redacted>")
        };
        Err(format!("Resend answered {status}: {detail}"))
    }
}

/// The mailer the configuration names. `resend_api_key` is the `RESEND_API_KEY` secret.
///
/// Fails when the chosen provider lacks what it needs (`webhook` without an http(s)
/// `webhookUrl`; `resend` without the key or `from`) or a template override names no kind.
pub fn from_config(
    options: &EmailDelivery,
    resend_api_key: Option<String>,
    log: fn(&str),
) -> Result<Box<dyn Mailer>, String> {
    if let Some(unknown) = options
        .templates
        .keys()
        .find(|k| MailKind::from_name(k).is_none())
    {
        return Err(format!(
            "email.templates: unknown mail kind {unknown:?} (known: verify-email, reset-password, change-email, delete-account)"
        ));
    }
    match options.provider {
        MailProvider::None => Ok(Box::new(NoMailer)),
        MailProvider::Log => Ok(Box::new(LogMailer(log))),
        MailProvider::Webhook => {
            let url = options
                .webhook_url
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .ok_or("email.provider is \"webhook\" but email.webhookUrl is not set")?;
            let parsed: http::Uri = url
                .parse()
                .map_err(|_| format!("email.webhookUrl {url:?} is not a URL"))?;
            if !matches!(parsed.scheme_str(), Some("http" | "https")) || parsed.host().is_none() {
                return Err(format!(
                    "email.webhookUrl {url:?} is not an absolute http(s) URL"
                ));
            }
            Ok(Box::new(WebhookMailer {
                url: url.to_owned(),
            }))
        }
        MailProvider::Resend => {
            let api_key = resend_api_key
                .map(|k| k.trim().to_owned())
                .filter(|k| !k.is_empty())
                .ok_or("email.provider is \"resend\" but the RESEND_API_KEY secret is not set")?;
            let from = options
                .from
                .as_deref()
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .ok_or(
                    "email.provider is \"resend\" but email.from (the sender address) is not set",
                )?;
            Ok(Box::new(ResendMailer {
                api_key,
                from: from.to_owned(),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Our own `HttpClient` double: records each request and answers with a fixed response.
    struct Recorder {
        sent: RefCell<Vec<http::Request<Bytes>>>,
        status: u16,
        body: &'static str,
    }

    impl Recorder {
        fn answering(status: u16, body: &'static str) -> Recorder {
            Recorder {
                sent: RefCell::new(Vec::new()),
                status,
                body,
            }
        }
    }

    #[async_trait(?Send)]
    impl HttpClient for Recorder {
        async fn send(
            &self,
            request: http::Request<Bytes>,
        ) -> Result<http::Response<Bytes>, String> {
            self.sent.borrow_mut().push(request);
            Ok(http::Response::builder()
                .status(self.status)
                .body(Bytes::from_static(self.body.as_bytes()))
                .unwrap())
        }
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    fn no_overrides() -> BTreeMap<String, TemplateOverride> {
        BTreeMap::new()
    }

    fn sample() -> Mail {
        Template::render(
            MailKind::ResetPassword,
            "ada@example.com",
            "https://app.example.com/reset-password/tok123?callbackURL=%2F",
            "tok123",
            "Acme",
            &no_overrides(),
        )
    }

    fn json(body: &[u8]) -> serde_json::Value {
        serde_json::from_slice(body).unwrap()
    }

    #[test]
    fn default_templates_have_a_subject_and_put_the_link_in_the_text() {
        for kind in MailKind::ALL {
            let mail = Template::render(
                kind,
                "ada@example.com",
                "https://a.example/x?token=t1",
                "t1",
                "Acme",
                &no_overrides(),
            );
            assert_eq!(mail.kind, kind);
            assert_eq!(mail.to, "ada@example.com");
            assert!(!mail.subject.is_empty() && !mail.subject.contains('{'));
            // A code mail carries the code; every other kind carries the link.
            let expected = if matches!(kind, MailKind::EmailOtp | MailKind::TwoFactorOtp) {
                "t1"
            } else {
                "https://a.example/x?token=t1"
            };
            assert!(mail.text.contains(expected), "{kind:?}");
            assert!(!mail.text.contains('{'), "{kind:?}: {}", mail.text);
            assert_eq!(mail.url, "https://a.example/x?token=t1");
            assert_eq!(mail.token, "t1");
        }
        let verify = Template::render(
            MailKind::VerifyEmail,
            "ada@example.com",
            "https://a.example/v",
            "t",
            "Acme",
            &no_overrides(),
        );
        assert_eq!(verify.subject, "Verify your email address");
        assert!(verify
            .text
            .starts_with("Click the link to verify your email: https://a.example/v"));
        assert!(verify.text.contains("Acme"));
    }

    #[test]
    fn overrides_replace_subject_and_text_and_fill_every_placeholder() {
        let mut overrides = no_overrides();
        overrides.insert(
            "verify-email".into(),
            TemplateOverride {
                subject: Some("{appName}: confirm {email}".into()),
                text: Some("Hi {email}, open {url} (code {token}) for {appName}.".into()),
            },
        );
        let mail = Template::render(
            MailKind::VerifyEmail,
            "ada@example.com",
            "https://a.example/v?t=1",
            "tok",
            "Acme",
            &overrides,
        );
        assert_eq!(mail.subject, "Acme: confirm ada@example.com");
        assert_eq!(
            mail.text,
            "Hi ada@example.com, open https://a.example/v?t=1 (code tok) for Acme."
        );
        // Other kinds keep their defaults.
        let reset = Template::render(
            MailKind::ResetPassword,
            "ada@example.com",
            "u",
            "t",
            "Acme",
            &overrides,
        );
        assert_eq!(reset.subject, "Reset your password");
    }

    #[test]
    fn an_override_of_only_the_subject_keeps_the_default_text() {
        let mut overrides = no_overrides();
        overrides.insert(
            "delete-account".into(),
            TemplateOverride {
                subject: Some("Goodbye?".into()),
                text: None,
            },
        );
        let mail = Template::render(
            MailKind::DeleteAccount,
            "a@b.c",
            "https://x/d",
            "t",
            "Acme",
            &overrides,
        );
        assert_eq!(mail.subject, "Goodbye?");
        assert!(mail.text.contains("https://x/d"));
    }

    #[test]
    fn placeholders_are_filled_once_and_unknown_braces_are_kept() {
        assert_eq!(
            fill("{url} {nope} {", &[("url", "https://x/{token}")]),
            "https://x/{token} {nope} {"
        );
        assert_eq!(fill("{{url}}", &[("url", "U")]), "{U}");
        assert_eq!(fill("é{url}ü", &[("url", "U")]), "éUü");
    }

    #[test]
    fn a_subject_never_spans_lines() {
        let mut overrides = no_overrides();
        overrides.insert(
            "verify-email".into(),
            TemplateOverride {
                subject: Some("line\r\nBcc: evil@example.com".into()),
                text: None,
            },
        );
        let mail = Template::render(MailKind::VerifyEmail, "a@b.c", "u", "t", "A", &overrides);
        assert!(!mail.subject.contains('\n') && !mail.subject.contains('\r'));
    }

    #[test]
    fn webhook_posts_the_mail_as_json() {
        let http = Recorder::answering(204, "");
        let mailer = WebhookMailer {
            url: "http://127.0.0.1:9/mail?k=1".into(),
        };
        let mail = sample();
        block_on(mailer.send(&mail, &http)).unwrap();
        let sent = http.sent.borrow();
        assert_eq!(sent.len(), 1);
        let request = &sent[0];
        assert_eq!(request.method(), http::Method::POST);
        assert_eq!(request.uri(), "http://127.0.0.1:9/mail?k=1");
        assert_eq!(request.headers()["content-type"], "application/json");
        assert_eq!(
            json(request.body()),
            serde_json::json!({
                "kind": "reset-password",
                "to": "ada@example.com",
                "subject": mail.subject,
                "text": mail.text,
                "url": "https://app.example.com/reset-password/tok123?callbackURL=%2F",
                "token": "tok123",
                "email": "ada@example.com",
            })
        );
    }

    #[test]
    fn webhook_error_status_is_an_error_that_names_the_status_not_the_url() {
        let http = Recorder::answering(503, "down");
        let mailer = WebhookMailer {
            url: "https://hooks.example.com/mail?secret=s3cr3t".into(),
        };
        let error = block_on(mailer.send(&sample(), &http)).unwrap_err();
        assert!(error.contains("503"), "{error}");
        assert!(!error.contains("s3cr3t"), "{error}");
    }

    #[test]
    fn resend_request_follows_resends_send_email_api() {
        let http = Recorder::answering(200, r#"{"id":"49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"}"#);
        let mailer = ResendMailer {
            api_key: "re_test_123".into(),
            from: "Acme <auth@acme.example>".into(),
        };
        let mail = sample();
        block_on(mailer.send(&mail, &http)).unwrap();
        let sent = http.sent.borrow();
        let request = &sent[0];
        assert_eq!(request.method(), http::Method::POST);
        assert_eq!(request.uri(), "https://api.resend.com/emails");
        assert_eq!(request.headers()["authorization"], "Bearer re_test_123");
        assert_eq!(request.headers()["content-type"], "application/json");
        assert!(request.headers().contains_key("user-agent"));
        assert_eq!(
            json(request.body()),
            serde_json::json!({
                "from": "Acme <auth@acme.example>",
                "to": ["ada@example.com"],
                "subject": mail.subject,
                "text": mail.text,
            })
        );
    }

    #[test]
    fn resend_error_carries_status_and_resends_message_but_never_the_key() {
        let http = Recorder::answering(
            422,
            r#"{"statusCode":422,"name":"validation_error","message":"The `from` field is invalid."}"#,
        );
        let mailer = ResendMailer {
            api_key: "re_secret_key".into(),
            from: "nope".into(),
        };
        let error = block_on(mailer.send(&sample(), &http)).unwrap_err();
        assert!(error.contains("422"), "{error}");
        assert!(error.contains("The `from` field is invalid."), "{error}");
        assert!(!error.contains("re_secret_key"), "{error}");
        assert!(!format!("{mailer:?}").contains("re_secret_key"));

        let http = Recorder::answering(401, "not json re_secret_key");
        let error = block_on(mailer.send(&sample(), &http)).unwrap_err();
        assert!(error.contains("401"), "{error}");
        assert!(!error.contains("re_secret_key"), "{error}");
    }

    #[test]
    fn from_config_requires_what_each_provider_needs() {
        fn log(_: &str) {}
        let mut options = EmailDelivery::default();
        assert!(from_config(&options, None, log).unwrap().enabled());

        options.provider = MailProvider::None;
        assert!(!from_config(&options, None, log).unwrap().enabled());

        options.provider = MailProvider::Webhook;
        let error = from_config(&options, None, log).err().unwrap();
        assert!(error.contains("webhookUrl"), "{error}");
        options.webhook_url = Some("ftp://example.com/x".into());
        assert!(from_config(&options, None, log).is_err());
        options.webhook_url = Some("/relative".into());
        assert!(from_config(&options, None, log).is_err());
        options.webhook_url = Some("http://127.0.0.1:8025/mail".into());
        assert!(from_config(&options, None, log).unwrap().enabled());

        options.provider = MailProvider::Resend;
        let error = from_config(&options, None, log).err().unwrap();
        assert!(error.contains("RESEND_API_KEY"), "{error}");
        let error = from_config(&options, Some("re_x".into()), log)
            .err()
            .unwrap();
        assert!(error.contains("email.from"), "{error}");
        options.from = Some("Acme <auth@acme.example>".into());
        assert!(from_config(&options, Some("  ".into()), log).is_err());
        assert!(from_config(&options, Some("re_x".into()), log)
            .unwrap()
            .enabled());
    }

    #[test]
    fn from_config_refuses_a_template_for_an_unknown_kind() {
        fn log(_: &str) {}
        let mut options = EmailDelivery::default();
        options
            .templates
            .insert("verify_email".into(), TemplateOverride::default());
        let error = from_config(&options, None, log).err().unwrap();
        assert!(error.contains("verify_email"), "{error}");
    }
}
