//! `emailOTP()`: one-time codes by mail for sign-in, email verification, password reset and
//! email change (WIRE.md §3.19), as Better Auth 1.7.25's email-OTP plugin does them.
//!
//! A code is `otpLength` digits, stored plain (Better Auth's default `storeOTP: "plain"`) as
//! verification `<type>-otp-<email>` with value `<otp>:<attempts>`, for `expiresIn` seconds.
//! Checking a code consumes the row atomically; a wrong code puts it back with one more attempt;
//! once `allowedAttempts` wrong tries are used up even the right code is refused
//! (`TOO_MANY_ATTEMPTS`) and the row is gone. Sends answer the same whether or not an address
//! has an account. Not offered: `generateOTP` and `sendVerificationOTP` callbacks (mail goes out
//! through `email` as kind `email-otp`, the code in `token`), hashed or encrypted code storage,
//! `resendStrategy: "reuse"`, `overrideDefaultEmailVerification`, and the server-only
//! `createVerificationOTP` / `getVerificationOTP`.

use async_trait::async_trait;
use http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use subtle::ConstantTimeEq;

use super::{sign_in_proven_email, Endpoint, Plugin, ProvenSignIn};
use crate::config::EmailOtpOptions;
use crate::context::Ctx;
use crate::crypto::random_string;
use crate::error::ApiError;
use crate::http::body::{is_email, Validator};
use crate::http::rate_limit::Rule;
use crate::mail::MailKind;
use crate::routes::password::check_new_password;
use crate::routes::{json, send_mail, Reply};
use crate::session::{self, set_session_cookie, Read};
use crate::store::users::{self, User};
use crate::store::{accounts, sessions, verifications};

const TYPES: [&str; 4] = [
    "email-verification",
    "sign-in",
    "forget-password",
    "change-email",
];

const OTP_EXPIRED: ApiError =
    ApiError::Coded(StatusCode::BAD_REQUEST, "OTP_EXPIRED", "OTP expired");
const INVALID_OTP: ApiError =
    ApiError::Coded(StatusCode::BAD_REQUEST, "INVALID_OTP", "Invalid OTP");
const TOO_MANY_ATTEMPTS: ApiError = ApiError::Coded(
    StatusCode::FORBIDDEN,
    "TOO_MANY_ATTEMPTS",
    "Too many attempts",
);
const USER_NOT_FOUND: ApiError =
    ApiError::Coded(StatusCode::BAD_REQUEST, "USER_NOT_FOUND", "User not found");

fn bad_request(message: &'static str) -> ApiError {
    ApiError::Uncoded(StatusCode::BAD_REQUEST, message.into())
}

/// `<type>-otp-<email>`.
fn identifier(kind: &str, email: &str) -> String {
    format!("{kind}-otp-{email}")
}

const PATHS: [&str; 9] = [
    "/email-otp/send-verification-otp",
    "/email-otp/check-verification-otp",
    "/email-otp/verify-email",
    "/sign-in/email-otp",
    "/email-otp/request-password-reset",
    "/email-otp/reset-password",
    "/forget-password/email-otp",
    "/email-otp/request-email-change",
    "/email-otp/change-email",
];

/// The email-OTP plugin.
pub struct EmailOtp {
    options: EmailOtpOptions,
}

/// What to do with a code that matched.
#[derive(PartialEq)]
enum OnSuccess {
    Consume,
    /// Put it back (`check-verification-otp`, and reset-password until the password is set).
    Restore,
}

impl EmailOtp {
    /// With these options.
    pub fn new(options: EmailOtpOptions) -> Self {
        EmailOtp { options }
    }

    /// A new code for `identifier`, replacing any earlier one. One round trip.
    async fn issue(&self, ctx: &Ctx<'_>, identifier: &str) -> Result<String, ApiError> {
        let otp = random_string(self.options.otp_length, b"0123456789");
        let expires_at = ctx.now + self.options.expires_in as i64 * 1000;
        ctx.sql
            .batch(vec![
                verifications::delete_by_identifier(identifier),
                verifications::insert(identifier, &format!("{otp}:0"), expires_at, ctx.now),
            ])
            .await?;
        Ok(otp)
    }

    /// Better Auth's `atomicVerifyOTP`.
    async fn verify(
        &self,
        ctx: &Ctx<'_>,
        identifier: &str,
        given: &str,
        on_success: OnSuccess,
    ) -> Result<(), ApiError> {
        let Some(row) = verifications::consume_by_identifier(ctx.sql, identifier).await? else {
            return Err(INVALID_OTP);
        };
        if row.expires_at < ctx.now {
            return Err(OTP_EXPIRED);
        }
        let (stored, attempts) = row.value.rsplit_once(':').unwrap_or((&row.value, ""));
        let used: u32 = attempts.parse().unwrap_or(0);
        if used >= self.options.allowed_attempts {
            return Err(TOO_MANY_ATTEMPTS);
        }
        let matches: bool = stored.as_bytes().ct_eq(given.as_bytes()).into();
        let put_back =
            |value: String| verifications::insert(identifier, &value, row.expires_at, ctx.now);
        if !matches {
            ctx.sql
                .query(put_back(format!("{stored}:{}", used + 1)))
                .await?;
            return Err(INVALID_OTP);
        }
        if on_success == OnSuccess::Restore {
            ctx.sql.query(put_back(row.value.clone())).await?;
        }
        Ok(())
    }

    /// Reads `email` (any string, lower-cased, then checked as an address).
    fn email(v: &mut Validator, key: &str) -> Option<String> {
        v.string(key).map(str::to_lowercase)
    }

    async fn send_verification_otp(
        &self,
        ctx: &mut Ctx<'_>,
        body: &Option<Value>,
    ) -> Result<Reply, ApiError> {
        let mut v = Validator::new(body);
        let email = Self::email(&mut v, "email");
        let kind = otp_type(&mut v);
        v.finish()?;
        let (Some(email), Some(kind)) = (email, kind) else {
            return Err(ApiError::Validation("[body] Invalid input".into()));
        };
        if !is_email(&email) {
            return Err(ApiError::INVALID_EMAIL);
        }
        if kind == "change-email" {
            return Err(bad_request("Invalid OTP type"));
        }
        let identifier = identifier(kind, &email);
        let otp = self.issue(ctx, &identifier).await?;
        let send_anyway = kind == "sign-in" && !self.options.disable_sign_up;
        let user = users::find_by_email(ctx.sql, ctx.user_fields, &email).await?;
        if user.is_none() && !send_anyway {
            ctx.sql
                .query(verifications::delete_by_identifier(&identifier))
                .await?;
        } else {
            let to = user.map_or(email, |u| u.email);
            send_mail(ctx, MailKind::EmailOtp, &to, "", &otp).await;
        }
        success()
    }

    async fn check_verification_otp(
        &self,
        ctx: &mut Ctx<'_>,
        body: &Option<Value>,
    ) -> Result<Reply, ApiError> {
        let mut v = Validator::new(body);
        let email = Self::email(&mut v, "email");
        let kind = otp_type(&mut v);
        let otp = v.string("otp");
        v.finish()?;
        let (Some(email), Some(kind), Some(otp)) = (email, kind, otp) else {
            return Err(ApiError::Validation("[body] Invalid input".into()));
        };
        if !is_email(&email) {
            return Err(ApiError::INVALID_EMAIL);
        }
        self.verify(ctx, &identifier(kind, &email), otp, OnSuccess::Restore)
            .await?;
        if users::find_by_email(ctx.sql, ctx.user_fields, &email)
            .await?
            .is_none()
        {
            return Err(USER_NOT_FOUND);
        }
        success()
    }

    async fn verify_email(
        &self,
        ctx: &mut Ctx<'_>,
        body: &Option<Value>,
    ) -> Result<Reply, ApiError> {
        let mut v = Validator::new(body);
        let email = Self::email(&mut v, "email");
        let otp = v.string("otp");
        v.finish()?;
        let (Some(email), Some(otp)) = (email, otp) else {
            return Err(ApiError::Validation("[body] Invalid input".into()));
        };
        if !is_email(&email) {
            return Err(ApiError::INVALID_EMAIL);
        }
        self.verify(
            ctx,
            &identifier("email-verification", &email),
            otp,
            OnSuccess::Consume,
        )
        .await?;
        let Some(user) = users::find_by_email(ctx.sql, ctx.user_fields, &email).await? else {
            return Err(USER_NOT_FOUND);
        };
        let user = User {
            email: email.clone(),
            email_verified: true,
            updated_at: ctx.now,
            ..user
        };
        #[derive(Serialize)]
        struct Verified<'a> {
            status: bool,
            token: Option<&'a str>,
            user: &'a User,
        }
        if ctx
            .config
            .email_verification
            .auto_sign_in_after_verification
        {
            let session = session::new_session(ctx, &user.id, false);
            ctx.sql
                .batch(vec![users::update(&user), session.insert()])
                .await?;
            set_session_cookie(ctx, &session, &user, Some(false));
            return json(&Verified {
                status: true,
                token: Some(&session.token),
                user: &user,
            });
        }
        ctx.sql.query(users::update(&user)).await?;
        if let Some(current) = session::current(ctx, Read::default()).await? {
            if current.user.id == user.id {
                let dont_remember = ctx.signed_cookie(&ctx.auth_cookies.dont_remember).is_some();
                let cached = User {
                    email_verified: true,
                    ..current.user
                };
                session::set_cookie_cache(ctx, &current.session, &cached, dont_remember);
            }
        }
        json(&Verified {
            status: true,
            token: None,
            user: &user,
        })
    }

    async fn sign_in(&self, ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
        let mut v = Validator::new(body);
        let email = Self::email(&mut v, "email");
        let otp = v.string("otp");
        let name = v.opt_string("name");
        v.finish()?;
        let (Some(email), Some(otp)) = (email, otp) else {
            return Err(ApiError::Validation("[body] Invalid input".into()));
        };
        self.verify(ctx, &identifier("sign-in", &email), otp, OnSuccess::Consume)
            .await?;
        let outcome =
            sign_in_proven_email(ctx, &email, name, !self.options.disable_sign_up).await?;
        let ProvenSignIn::SignedIn { session, user, .. } = outcome else {
            return Err(INVALID_OTP);
        };
        #[derive(Serialize)]
        struct SignedIn<'a> {
            token: &'a str,
            user: &'a User,
        }
        json(&SignedIn {
            token: &session.token,
            user: &user,
        })
    }

    async fn request_password_reset(
        &self,
        ctx: &mut Ctx<'_>,
        body: &Option<Value>,
    ) -> Result<Reply, ApiError> {
        let mut v = Validator::new(body);
        let email = Self::email(&mut v, "email");
        v.finish()?;
        let Some(email) = email else {
            return Err(ApiError::Validation("[body] Invalid input".into()));
        };
        if !is_email(&email) {
            return Err(ApiError::INVALID_EMAIL);
        }
        let identifier = identifier("forget-password", &email);
        let otp = self.issue(ctx, &identifier).await?;
        match users::find_by_email(ctx.sql, ctx.user_fields, &email).await? {
            Some(user) => send_mail(ctx, MailKind::EmailOtp, &user.email, "", &otp).await,
            None => {
                ctx.sql
                    .query(verifications::delete_by_identifier(&identifier))
                    .await?;
            }
        }
        success()
    }

    async fn reset_password(
        &self,
        ctx: &mut Ctx<'_>,
        body: &Option<Value>,
    ) -> Result<Reply, ApiError> {
        let mut v = Validator::new(body);
        let email = Self::email(&mut v, "email");
        let otp = v.string("otp");
        let password = v.string("password");
        v.finish()?;
        let (Some(email), Some(otp), Some(password)) = (email, otp, password) else {
            return Err(ApiError::Validation("[body] Invalid input".into()));
        };
        if !is_email(&email) {
            return Err(ApiError::INVALID_EMAIL);
        }
        check_new_password(ctx, password)?;
        let identifier = identifier("forget-password", &email);
        self.verify(ctx, &identifier, otp, OnSuccess::Restore)
            .await?;
        let Some(found) =
            users::find_by_email_with_password(ctx.sql, ctx.user_fields, &email).await?
        else {
            return Err(USER_NOT_FOUND);
        };
        let hash = ctx.hasher.hash(password).await;
        // The code is spent with the password change, in one transaction (Better Auth consumes it
        // inside resetCredentialPassword's).
        let mut statements = vec![verifications::delete_by_identifier(&identifier)];
        if ctx
            .config
            .email_and_password
            .revoke_sessions_on_password_reset
        {
            statements.push(sessions::delete_for_user(&found.user.id));
        }
        statements.push(match &found.account_id {
            Some(account_id) => accounts::update_password(account_id, &hash, ctx.now),
            None => accounts::insert_credential(
                &crate::crypto::generate_id(),
                &found.user.id,
                &hash,
                ctx.now,
            ),
        });
        let user_id = found.user.id.clone();
        if !found.user.email_verified {
            let verified = User {
                email_verified: true,
                updated_at: ctx.now,
                ..found.user
            };
            statements.push(users::update(&verified));
        }
        ctx.sql.batch(statements).await?;
        // The user's sessions leave secondary storage too (revoked, or their user changed).
        if ctx
            .config
            .email_and_password
            .revoke_sessions_on_password_reset
        {
            crate::session::forget_user(ctx, &user_id);
        } else {
            crate::session::user_changed(ctx, &user_id);
        }
        success()
    }

    /// The checks both email-change endpoints make, in Better Auth's order.
    fn check_email_change(&self, user: &User, new_email: &str) -> Result<(), ApiError> {
        if !self.options.change_email.enabled {
            return Err(bad_request("Change email with OTP is disabled"));
        }
        if !is_email(new_email) {
            return Err(ApiError::INVALID_EMAIL);
        }
        if new_email == user.email.to_lowercase() {
            return Err(bad_request("Email is the same"));
        }
        Ok(())
    }

    async fn request_email_change(
        &self,
        ctx: &mut Ctx<'_>,
        body: &Option<Value>,
    ) -> Result<Reply, ApiError> {
        let mut v = Validator::new(body);
        let new_email = Self::email(&mut v, "newEmail");
        let otp = v.opt_string("otp");
        v.finish()?;
        let current = session::require(ctx, Read::AUTHORITATIVE).await?;
        let Some(new_email) = new_email else {
            return Err(ApiError::Validation("[body] Invalid input".into()));
        };
        self.check_email_change(&current.user, &new_email)?;
        let email = current.user.email.to_lowercase();
        if self.options.change_email.verify_current_email {
            let Some(otp) = otp else {
                return Err(bad_request("OTP is required to verify current email"));
            };
            self.verify(
                ctx,
                &identifier("email-verification", &email),
                otp,
                OnSuccess::Consume,
            )
            .await?;
        }
        let identifier = identifier("change-email", &format!("{}:{new_email}", current.user.id));
        let otp = self.issue(ctx, &identifier).await?;
        if users::find_by_email(ctx.sql, ctx.user_fields, &new_email)
            .await?
            .is_some()
        {
            ctx.sql
                .query(verifications::delete_by_identifier(&identifier))
                .await?;
        } else {
            send_mail(ctx, MailKind::EmailOtp, &new_email, "", &otp).await;
        }
        success()
    }

    async fn change_email(
        &self,
        ctx: &mut Ctx<'_>,
        body: &Option<Value>,
    ) -> Result<Reply, ApiError> {
        let mut v = Validator::new(body);
        let new_email = Self::email(&mut v, "newEmail");
        let otp = v.string("otp");
        v.finish()?;
        let current = session::require(ctx, Read::AUTHORITATIVE).await?;
        let (Some(new_email), Some(otp)) = (new_email, otp) else {
            return Err(ApiError::Validation("[body] Invalid input".into()));
        };
        self.check_email_change(&current.user, &new_email)?;
        let identifier = identifier("change-email", &format!("{}:{new_email}", current.user.id));
        self.verify(ctx, &identifier, otp, OnSuccess::Consume)
            .await?;
        if users::find_by_email(ctx.sql, ctx.user_fields, &new_email)
            .await?
            .is_some()
        {
            return Err(bad_request("Email already in use"));
        }
        let user = User {
            email: new_email,
            email_verified: true,
            updated_at: ctx.now,
            ..current.user
        };
        if let Err(error) = ctx.sql.query(users::update(&user)).await {
            return Err(if error.unique_violation {
                bad_request("Email already in use")
            } else {
                error.into()
            });
        }
        set_session_cookie(ctx, &current.session, &user, None);
        success()
    }
}

fn success() -> Result<Reply, ApiError> {
    Ok(Reply::Json(r#"{"success":true}"#.to_owned()))
}

/// `type`, one of the four OTP types (zod's enum message otherwise).
fn otp_type(v: &mut Validator) -> Option<&'static str> {
    let given = v.string("type")?;
    let found = TYPES.iter().find(|t| **t == given).copied();
    if found.is_none() {
        v.issue(
            "type",
            r#"Invalid option: expected one of "email-verification"|"sign-in"|"forget-password"|"change-email""#,
        );
    }
    found
}

#[async_trait(?Send)]
impl Plugin for EmailOtp {
    fn id(&self) -> &'static str {
        "email-otp"
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        PATHS
            .iter()
            .map(|path| {
                let endpoint = Endpoint::post(path);
                if *path == "/email-otp/send-verification-otp" {
                    endpoint.form()
                } else {
                    endpoint
                }
            })
            .collect()
    }

    async fn call(
        &self,
        ctx: &mut Ctx<'_>,
        path: &str,
        body: &Option<Value>,
    ) -> Result<Reply, ApiError> {
        match path {
            "/email-otp/send-verification-otp" => self.send_verification_otp(ctx, body).await,
            "/email-otp/check-verification-otp" => self.check_verification_otp(ctx, body).await,
            "/email-otp/verify-email" => self.verify_email(ctx, body).await,
            "/sign-in/email-otp" => self.sign_in(ctx, body).await,
            "/email-otp/request-password-reset" | "/forget-password/email-otp" => {
                self.request_password_reset(ctx, body).await
            }
            "/email-otp/reset-password" => self.reset_password(ctx, body).await,
            "/email-otp/request-email-change" => self.request_email_change(ctx, body).await,
            "/email-otp/change-email" => self.change_email(ctx, body).await,
            _ => Err(ApiError::NotFound),
        }
    }

    fn rate_limit_rules(&self) -> Vec<Rule> {
        vec![Rule {
            matches: |path| PATHS.contains(&path),
            window: 60,
            max: 3,
        }]
    }

    async fn after(
        &self,
        ctx: &mut Ctx<'_>,
        path: &str,
        _body: &Option<Value>,
        outcome: Result<Reply, ApiError>,
    ) -> Result<Reply, ApiError> {
        if !self.options.send_verification_on_sign_up || !path.starts_with("/sign-up") {
            return outcome;
        }
        let email = match &outcome {
            Ok(Reply::Json(body)) => serde_json::from_slice::<Value>(body.as_bytes())
                .ok()
                .and_then(|b| b["user"]["email"].as_str().map(str::to_owned)),
            _ => None,
        };
        if let Some(email) = email {
            let otp = self
                .issue(ctx, &identifier("email-verification", &email))
                .await?;
            send_mail(ctx, MailKind::EmailOtp, &email, "", &otp).await;
        }
        outcome
    }
}
