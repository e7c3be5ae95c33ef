//! The built-in plugins' options (`plugins` in the configuration), by Better Auth's names.
//!
//! Read by hand from the JSON value rather than with a serde derive per struct: each derived
//! `Deserialize` adds its own copy of serde_json's struct reader to the Worker (about 2 KB of
//! wasm each, sixteen of them here). Unknown names are an error, as everywhere in the
//! configuration.

use serde_json::Value;

use super::read::Opts;

/// The built-in plugins that are on, each with its options (Better Auth's plugin option names).
#[derive(Debug, Clone, Default)]
pub struct PluginOptions {
    /// `twoFactor()`.
    pub two_factor: Option<TwoFactorOptions>,
    /// `username()`.
    pub username: Option<UsernameOptions>,
    /// `magicLink()`.
    pub magic_link: Option<MagicLinkOptions>,
    /// `emailOTP()`.
    pub email_otp: Option<EmailOtpOptions>,
    /// `bearer()`.
    pub bearer: Option<BearerOptions>,
    /// `jwt()`.
    pub jwt: Option<JwtPluginOptions>,
}

impl PluginOptions {
    pub(super) fn read(o: &mut Opts) -> Self {
        PluginOptions {
            two_factor: o.with("twoFactor", TwoFactorOptions::read),
            username: o.with("username", UsernameOptions::read),
            magic_link: o.with("magicLink", MagicLinkOptions::read),
            email_otp: o.with("emailOTP", EmailOtpOptions::read),
            bearer: o.with("bearer", BearerOptions::read),
            jwt: o.with("jwt", JwtPluginOptions::read),
        }
    }
}

/// `twoFactor()` options.
#[derive(Debug, Clone)]
pub struct TwoFactorOptions {
    /// The TOTP issuer (the app name when absent).
    pub issuer: Option<String>,
    /// Turn two-factor on at `enable`, without a first `verify-totp`.
    pub skip_verification_on_enable: bool,
    /// Seconds a trusted device stays trusted (30 days).
    pub trust_device_max_age: u64,
    /// Seconds a sign-in challenge (`two_factor` cookie) lasts (600).
    pub two_factor_cookie_max_age: u64,
    /// TOTP.
    pub totp_options: TotpOptions,
    /// Codes by mail (`/two-factor/send-otp`): Portcullis mails them through `email` when
    /// `enabled` (Better Auth takes a `sendOTP` callback).
    pub otp_options: TwoFactorOtpOptions,
    /// Backup codes.
    pub backup_code_options: BackupCodeOptions,
    /// Lock-out after repeated failures at sign-in.
    pub account_lockout: AccountLockout,
}

impl Default for TwoFactorOptions {
    fn default() -> Self {
        TwoFactorOptions {
            issuer: None,
            skip_verification_on_enable: false,
            trust_device_max_age: 2_592_000,
            two_factor_cookie_max_age: 600,
            totp_options: TotpOptions::default(),
            otp_options: TwoFactorOtpOptions::default(),
            backup_code_options: BackupCodeOptions::default(),
            account_lockout: AccountLockout::default(),
        }
    }
}

impl TwoFactorOptions {
    fn read(o: &mut Opts) -> Self {
        let d = TwoFactorOptions::default();
        TwoFactorOptions {
            issuer: o.string("issuer"),
            skip_verification_on_enable: o.bool("skipVerificationOnEnable", false),
            trust_device_max_age: o.u64("trustDeviceMaxAge", d.trust_device_max_age),
            two_factor_cookie_max_age: o.u64("twoFactorCookieMaxAge", d.two_factor_cookie_max_age),
            totp_options: o.with("totpOptions", TotpOptions::read).unwrap_or_default(),
            otp_options: o
                .with("otpOptions", TwoFactorOtpOptions::read)
                .unwrap_or_default(),
            backup_code_options: o
                .with("backupCodeOptions", BackupCodeOptions::read)
                .unwrap_or_default(),
            account_lockout: o
                .with("accountLockout", AccountLockout::read)
                .unwrap_or_default(),
        }
    }
}

/// `twoFactor({totpOptions})`.
#[derive(Debug, Clone)]
pub struct TotpOptions {
    /// Digits per code (6).
    pub digits: u32,
    /// Seconds per code (30).
    pub period: u64,
    /// Turn TOTP off (only mailed codes remain).
    pub disable: bool,
}

impl Default for TotpOptions {
    fn default() -> Self {
        TotpOptions {
            digits: 6,
            period: 30,
            disable: false,
        }
    }
}

impl TotpOptions {
    fn read(o: &mut Opts) -> Self {
        TotpOptions {
            digits: o.u64("digits", 6).clamp(1, 8) as u32,
            period: o.u64("period", 30).max(1),
            disable: o.bool("disable", false),
        }
    }
}

/// `twoFactor({otpOptions})`.
#[derive(Debug, Clone)]
pub struct TwoFactorOtpOptions {
    /// Offer mailed codes (off, as Better Auth without `sendOTP`).
    pub enabled: bool,
    /// Minutes a code lasts (3).
    pub period: u64,
    /// Digits per code (6).
    pub digits: usize,
    /// Wrong tries per code (5).
    pub allowed_attempts: u32,
}

impl Default for TwoFactorOtpOptions {
    fn default() -> Self {
        TwoFactorOtpOptions {
            enabled: false,
            period: 3,
            digits: 6,
            allowed_attempts: 5,
        }
    }
}

impl TwoFactorOtpOptions {
    fn read(o: &mut Opts) -> Self {
        TwoFactorOtpOptions {
            enabled: o.bool("enabled", false),
            period: o.u64("period", 3),
            digits: o.u64("digits", 6).clamp(1, 12) as usize,
            allowed_attempts: o.u64("allowedAttempts", 5).min(u32::MAX as u64) as u32,
        }
    }
}

/// `twoFactor({backupCodeOptions})`.
#[derive(Debug, Clone)]
pub struct BackupCodeOptions {
    /// Codes per set (10).
    pub amount: usize,
    /// Characters per code (10, shown as two halves of five).
    pub length: usize,
}

impl Default for BackupCodeOptions {
    fn default() -> Self {
        BackupCodeOptions {
            amount: 10,
            length: 10,
        }
    }
}

impl BackupCodeOptions {
    fn read(o: &mut Opts) -> Self {
        BackupCodeOptions {
            amount: o.u64("amount", 10).clamp(1, 100) as usize,
            length: o.u64("length", 10).clamp(6, 64) as usize,
        }
    }
}

/// `twoFactor({accountLockout})`.
#[derive(Debug, Clone)]
pub struct AccountLockout {
    /// On.
    pub enabled: bool,
    /// Consecutive failures that lock (10).
    pub max_failed_attempts: i64,
    /// Seconds locked (900).
    pub duration_seconds: i64,
}

impl Default for AccountLockout {
    fn default() -> Self {
        AccountLockout {
            enabled: true,
            max_failed_attempts: 10,
            duration_seconds: 900,
        }
    }
}

impl AccountLockout {
    fn read(o: &mut Opts) -> Self {
        AccountLockout {
            enabled: o.bool("enabled", true),
            max_failed_attempts: o.u64("maxFailedAttempts", 10).min(i64::MAX as u64) as i64,
            duration_seconds: o.u64("durationSeconds", 900).min(i64::MAX as u64 / 1000) as i64,
        }
    }
}

/// `username()` options.
#[derive(Debug, Clone)]
pub struct UsernameOptions {
    /// Shortest username accepted (3).
    pub min_username_length: usize,
    /// Longest username accepted (30).
    pub max_username_length: usize,
    /// Lower-case usernames before storing and matching them (on; `false` keeps them as sent).
    pub username_normalization: bool,
    /// Keep a `displayUsername` column besides the normalised `username` (on).
    pub display_username: bool,
    /// Refuse to change a username once set (off).
    pub immutable_username: bool,
}

impl Default for UsernameOptions {
    fn default() -> Self {
        UsernameOptions {
            min_username_length: 3,
            max_username_length: 30,
            username_normalization: true,
            display_username: true,
            immutable_username: false,
        }
    }
}

impl UsernameOptions {
    fn read(o: &mut Opts) -> Self {
        UsernameOptions {
            min_username_length: o.u64("minUsernameLength", 3) as usize,
            max_username_length: o.u64("maxUsernameLength", 30) as usize,
            username_normalization: o.bool("usernameNormalization", true),
            display_username: o.bool("displayUsername", true),
            immutable_username: o.bool("immutableUsername", false),
        }
    }
}

/// `magicLink()` options (links are mailed through `email`).
#[derive(Debug, Clone)]
pub struct MagicLinkOptions {
    /// Link lifetime in seconds (300).
    pub expires_in: u64,
    /// Refuse to create users for unknown addresses.
    pub disable_sign_up: bool,
}

impl Default for MagicLinkOptions {
    fn default() -> Self {
        MagicLinkOptions {
            expires_in: 300,
            disable_sign_up: false,
        }
    }
}

impl MagicLinkOptions {
    fn read(o: &mut Opts) -> Self {
        MagicLinkOptions {
            expires_in: o.u64("expiresIn", 300),
            disable_sign_up: o.bool("disableSignUp", false),
        }
    }
}

/// `emailOTP()` options (codes are mailed through `email`).
#[derive(Debug, Clone)]
pub struct EmailOtpOptions {
    /// Digits per code (6).
    pub otp_length: usize,
    /// Code lifetime in seconds (300).
    pub expires_in: u64,
    /// Wrong tries before a code is dead (3).
    pub allowed_attempts: u32,
    /// Refuse to create users for unknown addresses on `sign-in/email-otp`.
    pub disable_sign_up: bool,
    /// Mail an email-verification code after sign-up (off).
    pub send_verification_on_sign_up: bool,
    /// `/email-otp/request-email-change` and `/email-otp/change-email`.
    pub change_email: OtpChangeEmail,
}

impl Default for EmailOtpOptions {
    fn default() -> Self {
        EmailOtpOptions {
            otp_length: 6,
            expires_in: 300,
            allowed_attempts: 3,
            disable_sign_up: false,
            send_verification_on_sign_up: false,
            change_email: OtpChangeEmail::default(),
        }
    }
}

impl EmailOtpOptions {
    fn read(o: &mut Opts) -> Self {
        EmailOtpOptions {
            otp_length: o.u64("otpLength", 6).clamp(4, 12) as usize,
            expires_in: o.u64("expiresIn", 300),
            allowed_attempts: o.u64("allowedAttempts", 3).min(u32::MAX as u64) as u32,
            disable_sign_up: o.bool("disableSignUp", false),
            send_verification_on_sign_up: o.bool("sendVerificationOnSignUp", false),
            change_email: o
                .with("changeEmail", OtpChangeEmail::read)
                .unwrap_or_default(),
        }
    }
}

/// `emailOTP({changeEmail})`.
#[derive(Debug, Clone, Default)]
pub struct OtpChangeEmail {
    /// Whether email changes by code are offered (off).
    pub enabled: bool,
    /// Ask for a code sent to the current address first (off).
    pub verify_current_email: bool,
}

impl OtpChangeEmail {
    fn read(o: &mut Opts) -> Self {
        OtpChangeEmail {
            enabled: o.bool("enabled", false),
            verify_current_email: o.bool("verifyCurrentEmail", false),
        }
    }
}

/// `bearer()` options.
#[derive(Debug, Clone, Default)]
pub struct BearerOptions {
    /// Accept only signed tokens (`token.signature`), not bare session tokens.
    pub require_signature: bool,
}

impl BearerOptions {
    fn read(o: &mut Opts) -> Self {
        BearerOptions {
            require_signature: o.bool("requireSignature", false),
        }
    }
}

/// `jwt()` options.
#[derive(Debug, Clone, Default)]
pub struct JwtPluginOptions {
    /// Key storage and rotation.
    pub jwks: JwksOptions,
    /// Token claims and lifetime.
    pub jwt: JwtClaimOptions,
    /// Do not send `set-auth-jwt` on get-session.
    pub disable_setting_jwt_header: bool,
}

impl JwtPluginOptions {
    fn read(o: &mut Opts) -> Self {
        JwtPluginOptions {
            jwks: o.with("jwks", JwksOptions::read).unwrap_or_default(),
            jwt: o.with("jwt", JwtClaimOptions::read).unwrap_or_default(),
            disable_setting_jwt_header: o.bool("disableSettingJwtHeader", false),
        }
    }
}

/// `jwt({jwks})`.
#[derive(Debug, Clone)]
pub struct JwksOptions {
    /// Seconds a signing key is used before a new one is made (never, when absent).
    pub rotation_interval: Option<u64>,
    /// Seconds an expired key stays in `/jwks`, so tokens it signed still verify (30 days).
    pub grace_period: u64,
    /// Store private keys as plain JWK JSON instead of encrypted.
    pub disable_private_key_encryption: bool,
    /// The kind of key made and signed with.
    pub key_pair_config: KeyPairConfig,
}

impl Default for JwksOptions {
    fn default() -> Self {
        JwksOptions {
            rotation_interval: None,
            grace_period: 2_592_000,
            disable_private_key_encryption: false,
            key_pair_config: KeyPairConfig::default(),
        }
    }
}

impl JwksOptions {
    fn read(o: &mut Opts) -> Self {
        JwksOptions {
            rotation_interval: o
                .get("rotationInterval")
                .is_some()
                .then(|| o.u64("rotationInterval", 0)),
            grace_period: o.u64("gracePeriod", 2_592_000),
            disable_private_key_encryption: o.bool("disablePrivateKeyEncryption", false),
            key_pair_config: o
                .with("keyPairConfig", KeyPairConfig::read)
                .unwrap_or_default(),
        }
    }
}

/// `jwt({jwks: {keyPairConfig}})`: `{"alg": "EdDSA"}` (Ed25519, the default) or `{"alg": "ES256"}`
/// (P-256). `crv` may be given and must match.
#[derive(Debug, Clone)]
pub struct KeyPairConfig {
    /// The JWS algorithm.
    pub alg: JwsAlg,
    /// `Ed25519` for EdDSA, `P-256` for ES256.
    pub crv: Option<String>,
}

impl Default for KeyPairConfig {
    fn default() -> Self {
        KeyPairConfig {
            alg: JwsAlg::EdDSA,
            crv: None,
        }
    }
}

impl KeyPairConfig {
    fn read(o: &mut Opts) -> Self {
        let alg = match o.string("alg").as_deref() {
            None | Some("EdDSA") => JwsAlg::EdDSA,
            Some("ES256") => JwsAlg::ES256,
            Some(_) => {
                o.fail("alg", r#""EdDSA" or "ES256""#);
                JwsAlg::EdDSA
            }
        };
        let crv = o.string("crv");
        let expected = match alg {
            JwsAlg::EdDSA => "Ed25519",
            JwsAlg::ES256 => "P-256",
        };
        if crv.as_deref().is_some_and(|c| c != expected) {
            o.fail("crv", expected);
        }
        KeyPairConfig { alg, crv }
    }
}

/// The signing algorithms the jwt plugin offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwsAlg {
    /// Ed25519.
    EdDSA,
    /// ECDSA P-256 with SHA-256.
    ES256,
}

/// `jwt({jwt})`.
#[derive(Debug, Clone, Default)]
pub struct JwtClaimOptions {
    /// `iss` (the base URL when absent).
    pub issuer: Option<String>,
    /// `aud` (the base URL when absent).
    pub audience: Option<String>,
    /// Token lifetime: seconds, or a duration such as `"15m"` (the default), `"1h"`, `"7d"`.
    pub expiration_time: Option<Duration>,
}

impl JwtClaimOptions {
    fn read(o: &mut Opts) -> Self {
        let expiration_time = match o.get("expirationTime") {
            None => None,
            Some(Value::String(s)) => Some(Duration::Text(s.clone())),
            Some(v) => match v.as_i64() {
                Some(n) => Some(Duration::Seconds(n)),
                None => {
                    o.fail("expirationTime", r#"seconds or a duration such as "15m""#);
                    None
                }
            },
        };
        JwtClaimOptions {
            issuer: o.string("issuer"),
            audience: o.string("audience"),
            expiration_time,
        }
    }
}

/// A duration as Better Auth's options take it: seconds, or text such as `"15m"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Duration {
    /// Seconds.
    Seconds(i64),
    /// `"30s"`, `"15m"`, `"1h"`, `"7d"`, `"2w"`.
    Text(String),
}

#[cfg(test)]
mod tests {
    use crate::Config;

    #[test]
    fn plugin_options_take_better_auths_names_and_refuse_unknown_ones() {
        let config = Config::from_json(
            r#"{"plugins":{"username":{"minUsernameLength":5},"jwt":{"jwks":{"keyPairConfig":{"alg":"ES256"}},"jwt":{"expirationTime":"1h"}},"bearer":{}}}"#,
        )
        .unwrap();
        assert_eq!(config.plugins.username.unwrap().min_username_length, 5);
        assert!(config.plugins.bearer.is_some());
        assert!(config.plugins.two_factor.is_none());
        let jwt = config.plugins.jwt.unwrap();
        assert_eq!(jwt.jwks.key_pair_config.alg, super::JwsAlg::ES256);
        assert_eq!(
            jwt.jwt.expiration_time,
            Some(super::Duration::Text("1h".into()))
        );
        for bad in [
            r#"{"plugins":{"nope":{}}}"#,
            r#"{"plugins":{"username":{"minLength":2}}}"#,
            r#"{"plugins":{"username":{"minUsernameLength":"2"}}}"#,
            r#"{"plugins":{"twoFactor":{"totpOptions":{"digitz":6}}}}"#,
            r#"{"plugins":{"jwt":{"jwks":{"keyPairConfig":{"alg":"RS256"}}}}}"#,
            r#"{"plugins":{"bearer":true}}"#,
        ] {
            let error = Config::from_json(bad).unwrap_err();
            assert!(error.contains("plugins"), "{bad}: {error}");
        }
    }
}
