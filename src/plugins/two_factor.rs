//! `twoFactor()`: TOTP, mailed one-time codes and backup codes as a second factor, the sign-in
//! interception, trusted devices and lock-out (WIRE.md §3.20), as Better Auth 1.7.25's two-factor
//! plugin does them, with its storage: the `twoFactor` table (secret and backup codes encrypted
//! with Better Auth's XChaCha20-Poly1305, so a row written by either server works on the other),
//! `user.twoFactorEnabled`, and verification rows `2fa-<id>`, `2fa-attempts-2fa-<id>`,
//! `2fa-otp-<key>` and `trust-device-<id>`.
//!
//! The interception is an after-hook on `/sign-in/email` and `/sign-in/username`: for a user with
//! two-factor on and no valid trusted-device cookie, it deletes the session the password step
//! created, expires its cookies, sets the signed `two_factor` cookie and answers
//! `{twoFactorRedirect: true, twoFactorMethods}`. A sign-in without two-factor costs nothing
//! extra (the flag comes with the user row).
//!
//! Not offered: `allowPasswordless`, custom backup-code generators or storage, hashed or
//! encrypted OTP storage, and the server-only `generateTOTP` / `viewBackupCodes`.

use async_trait::async_trait;
use http::StatusCode;
use serde::Serialize;
use serde_json::Value;

use super::{Endpoint, Migration, Plugin};
use crate::config::TwoFactorOptions;
use crate::context::Ctx;
use crate::crypto::{generate_id, hmac_sha256, random_string, symmetric, totp};
use crate::error::ApiError;
use crate::http::body::Validator;
use crate::http::rate_limit::Rule;
use crate::mail::MailKind;
use crate::routes::password::check_password;
use crate::routes::{json, send_mail, Reply};
use crate::session::{self, delete_session_cookie, new_session, set_session_cookie, Current, Read};
use crate::store::sessions::{self, Session};
use crate::store::users::{self, FieldKind, User, UserField};
use crate::store::{verifications, Cols, Sql, SqlError, Statement};
use crate::time::{to_iso, Millis};

const SIGN_IN_PATHS: [&str; 3] = [
    "/sign-in/email",
    "/sign-in/username",
    "/sign-in/phone-number",
];
/// Wrong codes per sign-in challenge.
const CHALLENGE_ATTEMPTS: u32 = 5;
/// `generateRandomString(32)`'s default alphabet.
const SECRET_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
const BACKUP_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

macro_rules! error {
    ($name:ident, $status:ident, $message:literal) => {
        const $name: ApiError = ApiError::Coded(StatusCode::$status, stringify!($name), $message);
    };
}
error!(OTP_NOT_CONFIGURED, BAD_REQUEST, "otp isn't configured");
error!(OTP_HAS_EXPIRED, BAD_REQUEST, "OTP has expired");
error!(TOTP_NOT_ENABLED, BAD_REQUEST, "TOTP not enabled");
error!(TOTP_ALREADY_ENABLED, BAD_REQUEST, "TOTP is already enabled");
error!(TOTP_NOT_CONFIGURED, BAD_REQUEST, "TOTP is not available");
error!(
    TWO_FACTOR_NOT_ENABLED,
    BAD_REQUEST, "Two factor isn't enabled"
);
error!(
    BACKUP_CODES_NOT_ENABLED,
    BAD_REQUEST, "Backup codes aren't enabled"
);
error!(INVALID_BACKUP_CODE, UNAUTHORIZED, "Invalid backup code");
error!(INVALID_CODE, UNAUTHORIZED, "Invalid code");
error!(
    TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE,
    BAD_REQUEST, "Too many attempts. Please request a new code."
);
error!(
    ACCOUNT_TEMPORARILY_LOCKED,
    TOO_MANY_REQUESTS,
    "Too many failed verification attempts. Your account is temporarily locked. Please try again later."
);
error!(
    INVALID_TWO_FACTOR_COOKIE,
    UNAUTHORIZED, "Invalid two factor cookie"
);
error!(INVALID_PASSWORD, BAD_REQUEST, "Invalid password");

/// A `twoFactor` row.
struct Row {
    id: String,
    secret: String,
    backup_codes: String,
    verified: Option<bool>,
    locked_until: Option<Millis>,
}

impl Row {
    /// `verified !== false`: rows written before the column existed count as verified.
    fn verified(&self) -> bool {
        self.verified != Some(false)
    }
}

/// The user's `twoFactor` row. One round trip.
async fn find_row(sql: &dyn Sql, user_id: &str) -> Result<Option<Row>, SqlError> {
    let rows = sql
        .query(Statement::new(
            r#"SELECT "id", "secret", "backupCodes", "verified", "lockedUntil" FROM "twoFactor" WHERE "userId" = ? LIMIT 1"#,
            vec![user_id.into()],
        ))
        .await?;
    rows.into_iter()
        .next()
        .map(|row| {
            let mut cols = Cols::new(row);
            let id = cols.text()?;
            let secret = cols.text()?;
            let backup_codes = cols.text()?;
            let verified = cols.value()?;
            let locked_until = cols.value()?;
            Ok(Row {
                id,
                secret,
                backup_codes,
                verified: (verified != crate::Value::Null).then(|| verified.as_bool()),
                locked_until: locked_until.as_millis(),
            })
        })
        .transpose()
}

fn set_user_flag(user: &User, on: bool, now: Millis) -> Statement {
    users::update_field(&user.id, "twoFactorEnabled", &Value::Bool(on), now)
}

fn enabled(user: &User) -> bool {
    user.field("twoFactorEnabled").and_then(Value::as_bool) == Some(true)
}

/// base64url without padding of HMAC-SHA256(secret, `<userId>!<trustId>`): the trusted-device
/// cookie's proof.
fn trust_token(secret: &str, user_id: &str, trust_id: &str) -> String {
    use base64::Engine;
    let mac = hmac_sha256(
        secret.as_bytes(),
        format!("{user_id}!{trust_id}").as_bytes(),
    );
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac)
}

/// Who is verifying a code: a signed-in user (enrolment), or a sign-in challenge.
enum Verifier {
    Session(Current),
    Challenge {
        /// The `two_factor` cookie's value, `2fa-<id>`.
        identifier: String,
        user: User,
        expires_at: Millis,
    },
}

impl Verifier {
    fn user(&self) -> &User {
        match self {
            Verifier::Session(current) => &current.user,
            Verifier::Challenge { user, .. } => user,
        }
    }

    /// The key mailed codes are stored under.
    fn key(&self) -> String {
        match self {
            Verifier::Session(current) => format!("{}!{}", current.user.id, current.session.id),
            Verifier::Challenge { identifier, .. } => identifier.clone(),
        }
    }
}

/// The two-factor plugin.
pub struct TwoFactor {
    options: TwoFactorOptions,
}

impl TwoFactor {
    /// With these options.
    pub fn new(options: TwoFactorOptions) -> Self {
        TwoFactor { options }
    }

    fn cookie(ctx: &Ctx, name: &str) -> String {
        ctx.auth_cookies.named(name)
    }

    fn new_backup_codes(&self) -> Vec<String> {
        let o = &self.options.backup_code_options;
        (0..o.amount)
            .map(|_| {
                let code = random_string(o.length, BACKUP_ALPHABET);
                let (a, b) = code.split_at(o.length.min(5));
                format!("{a}-{b}")
            })
            .collect()
    }

    fn seal_codes(ctx: &Ctx, codes: &[String]) -> String {
        let json = serde_json::to_string(codes).expect("strings serialise");
        symmetric::encrypt(ctx.secret, &json)
    }

    fn totp_uri(&self, ctx: &Ctx, secret: &str, email: &str, issuer: Option<&str>) -> String {
        let issuer = issuer
            .or(self.options.issuer.as_deref())
            .unwrap_or(&ctx.config.app_name);
        let o = &self.options.totp_options;
        totp::uri(issuer, email, secret, o.digits, o.period)
    }

    /// Checks the password where Better Auth's `validatePassword` does: any failure is
    /// `INVALID_PASSWORD`.
    async fn require_password(
        &self,
        ctx: &Ctx<'_>,
        user_id: &str,
        password: Option<&str>,
    ) -> Result<(), ApiError> {
        let password = password.ok_or(INVALID_PASSWORD)?;
        match check_password(ctx, user_id, password).await {
            Ok(_) => Ok(()),
            Err(ApiError::Internal(e)) => Err(ApiError::Internal(e)),
            Err(_) => Err(INVALID_PASSWORD),
        }
    }

    /// Replaces the request's session with a new one for `user` (Better Auth's
    /// `createSession(…, activeSession)` then `deleteSession`), and sets its cookies.
    async fn replace_session(
        &self,
        ctx: &mut Ctx<'_>,
        old: &Session,
        user: &User,
        mut statements: Vec<Statement>,
    ) -> Result<Session, ApiError> {
        let new = Session {
            ip_address: old.ip_address.clone(),
            user_agent: old.user_agent.clone(),
            ..new_session(ctx, &user.id, false)
        };
        statements.push(new.insert());
        statements.push(sessions::delete_by_token(&old.token));
        ctx.sql.batch(statements).await?;
        crate::session::forget_token(ctx, &old.token);
        set_session_cookie(ctx, &new, user, None);
        Ok(new)
    }

    /// Better Auth's `verifyTwoFactor`: the signed-in user, or the sign-in challenge in the
    /// `two_factor` cookie.
    async fn verifier(&self, ctx: &mut Ctx<'_>) -> Result<Verifier, ApiError> {
        if let Some(current) = session::current(ctx, Read::AUTHORITATIVE).await? {
            return Ok(Verifier::Session(current));
        }
        let name = Self::cookie(ctx, "two_factor");
        let identifier = ctx
            .signed_cookie(&name)
            .map(str::to_owned)
            .ok_or(INVALID_TWO_FACTOR_COOKIE)?;
        // An expired challenge is as good as none (Better Auth's consume refuses it).
        let challenge = verifications::find(ctx.sql, &identifier)
            .await?
            .filter(|c| c.expires_at > ctx.now)
            .ok_or(INVALID_TWO_FACTOR_COOKIE)?;
        let user = users::find_by_id(ctx.sql, ctx.user_fields, &challenge.value)
            .await?
            .ok_or(INVALID_TWO_FACTOR_COOKIE)?;
        Ok(Verifier::Challenge {
            identifier,
            user,
            expires_at: challenge.expires_at,
        })
    }

    /// Starts an attempt on a sign-in challenge: `Ok(attempts so far)`, or the challenge is
    /// spent (`TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE`, its cookie expired).
    async fn begin_attempt(&self, ctx: &mut Ctx<'_>, identifier: &str) -> Result<u32, ApiError> {
        let counter = format!("2fa-attempts-{identifier}");
        let Some(row) = verifications::consume_by_identifier(ctx.sql, &counter).await? else {
            return Err(INVALID_TWO_FACTOR_COOKIE);
        };
        if row.expires_at <= ctx.now {
            return Err(INVALID_TWO_FACTOR_COOKIE);
        }
        let attempts = row.value.parse::<u32>().unwrap_or(CHALLENGE_ATTEMPTS);
        if attempts >= CHALLENGE_ATTEMPTS {
            verifications::consume_by_identifier(ctx.sql, identifier).await?;
            let name = Self::cookie(ctx, "two_factor");
            ctx.expire_cookie(&name);
            return Err(TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE);
        }
        Ok(attempts)
    }

    /// The common start of a TOTP or backup-code check: who is verifying, their `twoFactor` row
    /// (`missing` without one), and for a sign-in challenge the lock-out check and the attempt
    /// count (`Some`). TOTP at sign-in also needs the row verified.
    async fn start(
        &self,
        ctx: &mut Ctx<'_>,
        missing: ApiError,
    ) -> Result<(Verifier, Row, Option<u32>), ApiError> {
        let verifier = self.verifier(ctx).await?;
        let row = find_row(ctx.sql, &verifier.user().id)
            .await?
            .ok_or(missing.clone())?;
        let Verifier::Challenge { identifier, .. } = &verifier else {
            return Ok((verifier, row, None));
        };
        if missing == TOTP_NOT_ENABLED && !row.verified() {
            return Err(TOTP_NOT_ENABLED);
        }
        self.assert_not_locked(ctx, &row).await?;
        let identifier = identifier.clone();
        let attempts = self.begin_attempt(ctx, &identifier).await?;
        Ok((verifier, row, Some(attempts)))
    }

    /// Records a wrong code: the challenge's attempt counter and the account's failure count
    /// (locking it after `maxFailedAttempts`).
    async fn record_failure(
        &self,
        ctx: &Ctx<'_>,
        verifier: &Verifier,
        attempts: Option<u32>,
        row: Option<&Row>,
    ) -> Result<(), ApiError> {
        let mut statements = Vec::new();
        if let (
            Verifier::Challenge {
                identifier,
                expires_at,
                ..
            },
            Some(attempts),
        ) = (verifier, attempts)
        {
            statements.push(verifications::insert(
                &format!("2fa-attempts-{identifier}"),
                &(attempts + 1).to_string(),
                *expires_at,
                ctx.now,
            ));
        }
        let lockout = &self.options.account_lockout;
        if let (Verifier::Challenge { .. }, Some(row), true) = (verifier, row, lockout.enabled) {
            let locked_until = to_iso(ctx.now + lockout.duration_seconds * 1000);
            statements.push(Statement::new(
                r#"UPDATE "twoFactor" SET "failedVerificationCount" = COALESCE("failedVerificationCount", 0) + 1, "lockedUntil" = CASE WHEN COALESCE("failedVerificationCount", 0) + 1 >= ? THEN ? ELSE "lockedUntil" END WHERE "id" = ?"#,
                vec![
                    lockout.max_failed_attempts.into(),
                    locked_until.into(),
                    row.id.clone().into(),
                ],
            ));
        }
        if !statements.is_empty() {
            ctx.sql.batch(statements).await?;
        }
        Ok(())
    }

    /// Refuses a locked account; clears a lock that has run out.
    async fn assert_not_locked(&self, ctx: &Ctx<'_>, row: &Row) -> Result<(), ApiError> {
        if !self.options.account_lockout.enabled {
            return Ok(());
        }
        match row.locked_until {
            Some(until) if until > ctx.now => Err(ACCOUNT_TEMPORARILY_LOCKED),
            Some(_) => {
                ctx.sql.query(reset_failures(&row.id)).await?;
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Better Auth's `valid(ctx)`: for a challenge, consumes it and signs in (a trusted device
    /// when asked); for a session, answers with it.
    async fn complete(
        &self,
        ctx: &mut Ctx<'_>,
        verifier: Verifier,
        trust_device: bool,
        mut statements: Vec<Statement>,
    ) -> Result<Reply, ApiError> {
        #[derive(Serialize)]
        struct Verified<'a> {
            token: &'a str,
            user: &'a User,
        }
        let (identifier, user) = match verifier {
            Verifier::Session(current) => {
                if !statements.is_empty() {
                    ctx.sql.batch(statements).await?;
                }
                return json(&Verified {
                    token: &current.session.token,
                    user: &current.user,
                });
            }
            Verifier::Challenge {
                identifier, user, ..
            } => (identifier, user),
        };
        let name = Self::cookie(ctx, "two_factor");
        let consumed = verifications::consume_by_identifier(ctx.sql, &identifier).await?;
        if consumed.is_none_or(|c| c.value != user.id || c.expires_at <= ctx.now) {
            ctx.expire_cookie(&name);
            return Err(INVALID_TWO_FACTOR_COOKIE);
        }
        let dont_remember = ctx.signed_cookie(&ctx.auth_cookies.dont_remember).is_some();
        let session = new_session(ctx, &user.id, dont_remember);
        statements.push(session.insert());
        let trust = trust_device.then(|| {
            let trust_id = format!("trust-device-{}", generate_id());
            let expires_at = ctx.now + self.options.trust_device_max_age as i64 * 1000;
            statements.push(verifications::insert(
                &trust_id, &user.id, expires_at, ctx.now,
            ));
            trust_id
        });
        ctx.sql.batch(statements).await?;
        set_session_cookie(ctx, &session, &user, None);
        ctx.expire_cookie(&name);
        if let Some(trust_id) = trust {
            self.set_trust_cookie(ctx, &user.id, &trust_id);
            let dont_remember = ctx.auth_cookies.dont_remember.clone();
            ctx.expire_cookie(&dont_remember);
        }
        json(&Verified {
            token: &session.token,
            user: &user,
        })
    }

    fn set_trust_cookie(&self, ctx: &mut Ctx<'_>, user_id: &str, trust_id: &str) {
        let token = trust_token(ctx.secret, user_id, trust_id);
        let name = Self::cookie(ctx, "trust_device");
        ctx.set_signed_cookie(
            &name,
            &format!("{token}!{trust_id}"),
            Some(self.options.trust_device_max_age),
        );
    }

    async fn enable(&self, ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
        let mut v = Validator::new(body);
        let password = v.string("password");
        let issuer = v.opt_string("issuer");
        let method = v.opt_string("method");
        v.finish()?;
        let current = session::require(ctx, Read::AUTHORITATIVE).await?;
        self.require_password(ctx, &current.user.id, password)
            .await?;
        let method = method.unwrap_or("totp");
        if method == "otp" {
            if !self.options.otp_options.enabled {
                return Err(OTP_NOT_CONFIGURED);
            }
            let mut user = current.user.clone();
            user.set_field("twoFactorEnabled", Value::Bool(true));
            let statements = vec![set_user_flag(&user, true, ctx.now)];
            self.replace_session(ctx, &current.session, &user, statements)
                .await?;
            return Ok(Reply::Json(r#"{"method":"otp"}"#.to_owned()));
        }
        if method != "totp" {
            return Err(ApiError::Validation(
                r#"[body.method] Invalid option: expected one of "otp"|"totp""#.into(),
            ));
        }
        if self.options.totp_options.disable {
            return Err(TOTP_NOT_CONFIGURED);
        }
        let existing = find_row(ctx.sql, &current.user.id).await?;
        if existing.as_ref().is_some_and(Row::verified) {
            return Err(TOTP_ALREADY_ENABLED);
        }
        let codes = self.new_backup_codes();
        let secret = random_string(32, SECRET_ALPHABET);
        let sealed_secret = symmetric::encrypt(ctx.secret, &secret);
        let sealed_codes = Self::seal_codes(ctx, &codes);
        let verified = self.options.skip_verification_on_enable;
        let write = match &existing {
            Some(row) => Statement::new(
                r#"UPDATE "twoFactor" SET "secret" = ?, "backupCodes" = ?, "verified" = ? WHERE "id" = ?"#,
                vec![
                    sealed_secret.into(),
                    sealed_codes.into(),
                    verified.into(),
                    row.id.clone().into(),
                ],
            ),
            None => Statement::new(
                r#"INSERT INTO "twoFactor" ("id", "secret", "backupCodes", "userId", "verified", "failedVerificationCount") VALUES (?, ?, ?, ?, ?, 0)"#,
                vec![
                    generate_id().into(),
                    sealed_secret.into(),
                    sealed_codes.into(),
                    current.user.id.clone().into(),
                    verified.into(),
                ],
            ),
        };
        if verified {
            let mut user = current.user.clone();
            user.set_field("twoFactorEnabled", Value::Bool(true));
            let statements = vec![write, set_user_flag(&user, true, ctx.now)];
            self.replace_session(ctx, &current.session, &user, statements)
                .await?;
        } else {
            ctx.sql.query(write).await?;
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Enabled<'a> {
            method: &'a str,
            #[serde(rename = "totpURI")]
            totp_uri: String,
            backup_codes: &'a [String],
        }
        json(&Enabled {
            method: "totp",
            totp_uri: self.totp_uri(ctx, &secret, &current.user.email, issuer),
            backup_codes: &codes,
        })
    }

    async fn disable(&self, ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
        let mut v = Validator::new(body);
        let password = v.string("password");
        v.finish()?;
        let current = session::require(ctx, Read::AUTHORITATIVE).await?;
        self.require_password(ctx, &current.user.id, password)
            .await?;
        let mut user = current.user.clone();
        user.set_field("twoFactorEnabled", Value::Bool(false));
        let mut statements = vec![
            set_user_flag(&user, false, ctx.now),
            Statement::new(
                r#"DELETE FROM "twoFactor" WHERE "userId" = ?"#,
                vec![user.id.clone().into()],
            ),
        ];
        let trust_name = Self::cookie(ctx, "trust_device");
        let trusted = ctx.signed_cookie(&trust_name).map(str::to_owned);
        if let Some(trust_id) = trusted.as_deref().and_then(|t| t.split('!').nth(1)) {
            statements.push(verifications::delete_by_identifier(trust_id));
        }
        self.replace_session(ctx, &current.session, &user, statements)
            .await?;
        if trusted.is_some() {
            ctx.expire_cookie(&trust_name);
        }
        Ok(Reply::Json(r#"{"status":true}"#.to_owned()))
    }

    async fn get_totp_uri(
        &self,
        ctx: &mut Ctx<'_>,
        body: &Option<Value>,
    ) -> Result<Reply, ApiError> {
        let mut v = Validator::new(body);
        let password = v.string("password");
        v.finish()?;
        if self.options.totp_options.disable {
            return Err(TOTP_NOT_CONFIGURED);
        }
        let current = session::require(ctx, Read::default()).await?;
        let row = find_row(ctx.sql, &current.user.id)
            .await?
            .ok_or(TOTP_NOT_ENABLED)?;
        let secret = symmetric::decrypt(ctx.secret, &row.secret)
            .ok_or_else(|| ApiError::Internal("twoFactor.secret does not decrypt".into()))?;
        self.require_password(ctx, &current.user.id, password)
            .await?;
        let uri = self.totp_uri(ctx, &secret, &current.user.email, None);
        json(&serde_json::json!({ "totpURI": uri }))
    }

    async fn verify_totp(
        &self,
        ctx: &mut Ctx<'_>,
        body: &Option<Value>,
    ) -> Result<Reply, ApiError> {
        let mut v = Validator::new(body);
        let code = v.string("code");
        let trust_device = v.opt_bool("trustDevice").unwrap_or(false);
        v.finish()?;
        let code = code.unwrap_or_default();
        if self.options.totp_options.disable {
            return Err(TOTP_NOT_CONFIGURED);
        }
        let (verifier, row, attempts) = self.start(ctx, TOTP_NOT_ENABLED).await?;
        let sign_in = attempts.is_some();
        let Some(secret) = symmetric::decrypt(ctx.secret, &row.secret) else {
            if let Verifier::Challenge {
                identifier,
                expires_at,
                ..
            } = &verifier
            {
                let restore = verifications::insert(
                    &format!("2fa-attempts-{identifier}"),
                    &attempts.unwrap_or(0).to_string(),
                    *expires_at,
                    ctx.now,
                );
                ctx.sql.query(restore).await?;
            }
            return Err(ApiError::Internal(
                "twoFactor.secret does not decrypt".into(),
            ));
        };
        let o = &self.options.totp_options;
        if !totp::verify(secret.as_bytes(), code, ctx.now, o.period, o.digits) {
            self.record_failure(ctx, &verifier, attempts, Some(&row))
                .await?;
            return Err(INVALID_CODE);
        }
        let mut statements = Vec::new();
        if sign_in {
            statements.push(reset_failures(&row.id));
        }
        if row.verified != Some(true) {
            statements.push(Statement::new(
                r#"UPDATE "twoFactor" SET "verified" = ? WHERE "id" = ?"#,
                vec![true.into(), row.id.clone().into()],
            ));
            if let Verifier::Session(current) = &verifier {
                if !enabled(&current.user) {
                    let mut user = current.user.clone();
                    user.set_field("twoFactorEnabled", Value::Bool(true));
                    statements.push(set_user_flag(&user, true, ctx.now));
                    let old = current.session.clone();
                    self.replace_session(ctx, &old, &user, std::mem::take(&mut statements))
                        .await?;
                }
            }
        }
        self.complete(ctx, verifier, trust_device, statements).await
    }

    async fn verify_backup_code(
        &self,
        ctx: &mut Ctx<'_>,
        body: &Option<Value>,
    ) -> Result<Reply, ApiError> {
        let mut v = Validator::new(body);
        let code = v.string("code");
        let disable_session = v.opt_bool("disableSession").unwrap_or(false);
        let trust_device = v.opt_bool("trustDevice").unwrap_or(false);
        v.finish()?;
        let code = code.unwrap_or_default();
        let (verifier, row, attempts) = self.start(ctx, BACKUP_CODES_NOT_ENABLED).await?;
        let sign_in = attempts.is_some();
        let codes = symmetric::decrypt(ctx.secret, &row.backup_codes)
            .and_then(|json| crate::store::json::string_list(json.as_bytes()));
        let matched = codes.as_ref().is_some_and(|codes| {
            codes.iter().fold(false, |found, c| {
                found | crate::crypto::constant_time_eq(c.as_bytes(), code.as_bytes())
            })
        });
        let Some(codes) = codes.filter(|_| matched) else {
            self.record_failure(ctx, &verifier, attempts, Some(&row))
                .await?;
            return Err(INVALID_BACKUP_CODE);
        };
        let remaining: Vec<String> = codes.into_iter().filter(|c| c != code).collect();
        // Spend the code only if no other request spent one meanwhile.
        let spent = ctx
            .sql
            .query(Statement::new(
                r#"UPDATE "twoFactor" SET "backupCodes" = ? WHERE "id" = ? AND "backupCodes" = ? RETURNING "id""#,
                vec![
                    Self::seal_codes(ctx, &remaining).into(),
                    row.id.clone().into(),
                    row.backup_codes.clone().into(),
                ],
            ))
            .await?;
        if spent.is_empty() {
            return Err(ApiError::Uncoded(
                StatusCode::CONFLICT,
                "Failed to verify backup code. Please try again.".into(),
            ));
        }
        let statements = if sign_in {
            vec![reset_failures(&row.id)]
        } else {
            Vec::new()
        };
        if disable_session {
            if !statements.is_empty() {
                ctx.sql.batch(statements).await?;
            }
            let token = match &verifier {
                Verifier::Session(current) => Some(current.session.token.clone()),
                Verifier::Challenge { .. } => None,
            };
            #[derive(Serialize)]
            struct Answer<'a> {
                #[serde(skip_serializing_if = "Option::is_none")]
                token: Option<String>,
                user: &'a User,
            }
            return json(&Answer {
                token,
                user: verifier.user(),
            });
        }
        self.complete(ctx, verifier, trust_device, statements).await
    }

    async fn generate_backup_codes(
        &self,
        ctx: &mut Ctx<'_>,
        body: &Option<Value>,
    ) -> Result<Reply, ApiError> {
        let mut v = Validator::new(body);
        let password = v.string("password");
        v.finish()?;
        let current = session::require(ctx, Read::default()).await?;
        if !enabled(&current.user) {
            return Err(TWO_FACTOR_NOT_ENABLED);
        }
        self.require_password(ctx, &current.user.id, password)
            .await?;
        let row = find_row(ctx.sql, &current.user.id)
            .await?
            .ok_or(TWO_FACTOR_NOT_ENABLED)?;
        let codes = self.new_backup_codes();
        ctx.sql
            .query(Statement::new(
                r#"UPDATE "twoFactor" SET "backupCodes" = ? WHERE "id" = ?"#,
                vec![Self::seal_codes(ctx, &codes).into(), row.id.into()],
            ))
            .await?;
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Generated<'a> {
            status: bool,
            backup_codes: &'a [String],
        }
        json(&Generated {
            status: true,
            backup_codes: &codes,
        })
    }

    async fn send_otp(&self, ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
        let mut v = Validator::optional(body);
        v.opt_bool("trustDevice");
        v.finish()?;
        let o = &self.options.otp_options;
        if !o.enabled {
            return Err(OTP_NOT_CONFIGURED);
        }
        let verifier = self.verifier(ctx).await?;
        let code = random_string(o.digits, b"0123456789");
        let identifier = format!("2fa-otp-{}", verifier.key());
        let expires_at = ctx.now + o.period as i64 * 60_000;
        ctx.sql
            .query(verifications::insert(
                &identifier,
                &format!("{code}:0"),
                expires_at,
                ctx.now,
            ))
            .await?;
        let to = verifier.user().email.clone();
        send_mail(ctx, MailKind::TwoFactorOtp, &to, "", &code).await;
        Ok(Reply::Json(r#"{"status":true}"#.to_owned()))
    }

    async fn verify_otp(&self, ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
        let mut v = Validator::new(body);
        let code = v.string("code");
        let trust_device = v.opt_bool("trustDevice").unwrap_or(false);
        v.finish()?;
        let code = code.unwrap_or_default();
        let verifier = self.verifier(ctx).await?;
        let sign_in = matches!(verifier, Verifier::Challenge { .. });
        let row = if sign_in {
            find_row(ctx.sql, &verifier.user().id).await?
        } else {
            None
        };
        if let Some(row) = &row {
            self.assert_not_locked(ctx, row).await?;
        }
        let identifier = format!("2fa-otp-{}", verifier.key());
        let consumed = verifications::consume_by_identifier(ctx.sql, &identifier)
            .await?
            .filter(|c| c.expires_at > ctx.now)
            .ok_or(OTP_HAS_EXPIRED)?;
        let (stored, counter) = consumed
            .value
            .split_once(':')
            .unwrap_or((&consumed.value, ""));
        let attempts: u32 = counter.parse().unwrap_or(0);
        if attempts >= self.options.otp_options.allowed_attempts {
            return Err(TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE);
        }
        if !crate::crypto::constant_time_eq(stored.as_bytes(), code.as_bytes()) {
            let put_back = verifications::insert(
                &identifier,
                &format!("{stored}:{}", attempts + 1),
                consumed.expires_at,
                ctx.now,
            );
            ctx.sql.query(put_back).await?;
            self.record_failure(ctx, &verifier, None, row.as_ref())
                .await?;
            return Err(INVALID_CODE);
        }
        let mut statements = Vec::new();
        if let Some(row) = &row {
            statements.push(reset_failures(&row.id));
        }
        if !enabled(verifier.user()) {
            let Verifier::Session(current) = &verifier else {
                return Err(ApiError::FAILED_TO_CREATE_SESSION);
            };
            let mut user = current.user.clone();
            user.set_field("twoFactorEnabled", Value::Bool(true));
            statements.push(set_user_flag(&user, true, ctx.now));
            let old = current.session.clone();
            let new = self.replace_session(ctx, &old, &user, statements).await?;
            #[derive(Serialize)]
            struct Enabled<'a> {
                token: &'a str,
                user: &'a User,
            }
            return json(&Enabled {
                token: &new.token,
                user: &user,
            });
        }
        self.complete(ctx, verifier, trust_device, statements).await
    }

    /// The after-hook on password sign-ins.
    async fn intercept(
        &self,
        ctx: &mut Ctx<'_>,
        outcome: Result<Reply, ApiError>,
    ) -> Result<Reply, ApiError> {
        let Some((session, user)) = ctx.new_session.clone() else {
            return outcome;
        };
        if outcome.is_err() || !enabled(&user) {
            return outcome;
        }
        let trust_name = Self::cookie(ctx, "trust_device");
        let trusted = ctx.signed_cookie(&trust_name).map(str::to_owned);
        if let Some((token, trust_id)) = trusted.as_deref().and_then(|t| t.split_once('!')) {
            let proof = trust_token(ctx.secret, &user.id, trust_id);
            if crate::crypto::constant_time_eq(proof.as_bytes(), token.as_bytes()) {
                let record = verifications::find(ctx.sql, trust_id).await?;
                if record.is_some_and(|r| r.value == user.id && r.expires_at > ctx.now) {
                    // A trusted device: the sign-in stands, and the cookie is rotated.
                    let new_id = format!("trust-device-{}", generate_id());
                    let expires_at = ctx.now + self.options.trust_device_max_age as i64 * 1000;
                    ctx.sql
                        .batch(vec![
                            verifications::delete_by_identifier(trust_id),
                            verifications::insert(&new_id, &user.id, expires_at, ctx.now),
                        ])
                        .await?;
                    self.set_trust_cookie(ctx, &user.id, &new_id);
                    return outcome;
                }
            }
        }
        if trusted.is_some() {
            ctx.expire_cookie(&trust_name);
        }
        delete_session_cookie(ctx, true);
        ctx.new_session = None;
        ctx.response_headers
            .retain(|(name, _)| name != http::header::LOCATION);
        let identifier = format!("2fa-{}", random_string(20, SECRET_ALPHABET[..62].as_ref()));
        let max_age = self.options.two_factor_cookie_max_age;
        let expires_at = ctx.now + max_age as i64 * 1000;
        ctx.sql
            .batch(vec![
                sessions::delete_by_token(&session.token),
                verifications::insert(&identifier, &user.id, expires_at, ctx.now),
                verifications::insert(
                    &format!("2fa-attempts-{identifier}"),
                    "0",
                    expires_at,
                    ctx.now,
                ),
            ])
            .await?;
        // The session sign-in just made (and queued for secondary storage) is gone.
        crate::session::forget_token(ctx, &session.token);
        let name = Self::cookie(ctx, "two_factor");
        ctx.set_signed_cookie(&name, &identifier, Some(max_age));
        let mut methods = Vec::new();
        if !self.options.totp_options.disable {
            let row = find_row(ctx.sql, &user.id).await?;
            if row.as_ref().is_some_and(Row::verified) {
                methods.push("totp");
            }
        }
        if self.options.otp_options.enabled {
            methods.push("otp");
        }
        json(&serde_json::json!({ "twoFactorRedirect": true, "twoFactorMethods": methods }))
    }
}

fn reset_failures(id: &str) -> Statement {
    Statement::new(
        r#"UPDATE "twoFactor" SET "failedVerificationCount" = 0, "lockedUntil" = NULL WHERE "id" = ?"#,
        vec![id.into()],
    )
}

const PATHS: [&str; 8] = [
    "/two-factor/enable",
    "/two-factor/disable",
    "/two-factor/get-totp-uri",
    "/two-factor/verify-totp",
    "/two-factor/send-otp",
    "/two-factor/verify-otp",
    "/two-factor/generate-backup-codes",
    "/two-factor/verify-backup-code",
];

#[async_trait(?Send)]
impl Plugin for TwoFactor {
    fn id(&self) -> &'static str {
        "two-factor"
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        PATHS.iter().map(|p| Endpoint::post(p)).collect()
    }

    async fn call(
        &self,
        ctx: &mut Ctx<'_>,
        path: &str,
        body: &Option<Value>,
    ) -> Result<Reply, ApiError> {
        match path {
            "/two-factor/enable" => self.enable(ctx, body).await,
            "/two-factor/disable" => self.disable(ctx, body).await,
            "/two-factor/get-totp-uri" => self.get_totp_uri(ctx, body).await,
            "/two-factor/verify-totp" => self.verify_totp(ctx, body).await,
            "/two-factor/send-otp" => self.send_otp(ctx, body).await,
            "/two-factor/verify-otp" => self.verify_otp(ctx, body).await,
            "/two-factor/generate-backup-codes" => self.generate_backup_codes(ctx, body).await,
            "/two-factor/verify-backup-code" => self.verify_backup_code(ctx, body).await,
            _ => Err(ApiError::NotFound),
        }
    }

    fn migrations(&self) -> Vec<Migration> {
        vec![super::builtin_migration!("0004_plugin_two_factor.sql")]
    }

    fn user_fields(&self) -> Vec<UserField> {
        vec![UserField {
            name: "twoFactorEnabled",
            kind: FieldKind::Boolean,
            default: Some(Value::Bool(false)),
            input: false,
        }]
    }

    fn rate_limit_rules(&self) -> Vec<Rule> {
        vec![Rule {
            matches: |path| path.starts_with("/two-factor/"),
            window: 10,
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
        if SIGN_IN_PATHS.contains(&path) {
            return self.intercept(ctx, outcome).await;
        }
        outcome
    }
}
