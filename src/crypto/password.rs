//! Password hashing and verification.
//!
//! New hashes are written in one of three self-describing formats, chosen by [`Algorithm`]:
//!
//! - **Argon2id** (default): the PHC string `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`
//!   with a 16-byte random salt and a 32-byte output — OWASP's minimum (19 MiB, 2 passes,
//!   1 lane), computed by the `argon2` crate.
//! - **PBKDF2-HMAC-SHA256**: the PHC string `$pbkdf2-sha256$i=600000,l=32$<salt>$<hash>`, the
//!   form the `pbkdf2` crate's `simple` API writes and reads (salt and hash in the PHC "B64"
//!   encoding: standard base64 alphabet, no padding; the salt is the decoded bytes). 600,000
//!   iterations is OWASP's minimum.
//! - **Scrypt**: Better Auth's own `saltHex:keyHex` (161 characters), kept so that a database
//!   shared with Better Auth stays readable by both: `saltHex` is 16 random bytes as 32
//!   lower-case hex digits, and the key is `scrypt(password, salt = the 32 hex *characters*,
//!   N = 16384, r = 16, p = 1, dkLen = 64)` as 128 hex digits.
//!
//! [`verify`] recognises all three whatever the configured algorithm, so a Better Auth database
//! moves over without password resets, and [`needs_rehash`] tells the caller when a stored hash
//! should be replaced (after a successful sign-in) because it is in another format or was made
//! with other parameters.
//!
//! Passwords are normalised to Unicode NFKC before hashing, for every algorithm. Better Auth does
//! this (`password.normalize("NFKC")`), so its scrypt hashes of non-ASCII passwords only verify
//! if we do the same; doing it for new hashes too means a password typed on keyboards that
//! produce different but compatible code points (e.g. "ﬁ" and "fi", full-width digits) still
//! matches. ASCII passwords are unchanged by NFKC and skip it.
//!
//! Derived keys are compared in constant time (`subtle`). Anything that is not a well-formed
//! hash in one of the three formats verifies as `false`; nothing here panics on stored input.
//! Parameters read from a stored PHC string are bounded (see `MAX_*` below) so that a corrupted
//! row cannot make one verification allocate gigabytes or run for minutes.
//!
//! What this module deliberately does not do: enforce password length or strength (callers
//! check Better Auth's 8..=128 characters before calling it), use a pepper/secret or Argon2's
//! `keyid`/`data` parameters, spawn threads, or read the clock. It is plain synchronous code that
//! runs on the current task, so it works unchanged on Workers (wasm32-unknown-unknown), Spin
//! (wasm32-wasip2) and natively; [`PasswordHasher`] is the seam where a host may instead move the
//! work elsewhere (a blocking thread pool, WebCrypto).

use std::borrow::Cow;

use super::hex;
use base64::engine::general_purpose::STANDARD_NO_PAD as PHC_B64;
use base64::Engine as _;
use subtle::ConstantTimeEq;

/// A password-hashing scheme for new hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Algorithm {
    /// Argon2id, m = 19 MiB, t = 2, p = 1 (PHC string). The default.
    #[default]
    Argon2id,
    /// PBKDF2-HMAC-SHA256, 600,000 iterations (PHC string).
    Pbkdf2Sha256,
    /// Better Auth's `saltHex:keyHex` scrypt format (compatibility setting, for a database shared
    /// with Better Auth).
    Scrypt,
}

impl Algorithm {
    /// The configuration name: `argon2id`, `pbkdf2-sha256` or `scrypt`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Argon2id => "argon2id",
            Algorithm::Pbkdf2Sha256 => "pbkdf2-sha256",
            Algorithm::Scrypt => "scrypt",
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Algorithm {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "argon2id" => Ok(Algorithm::Argon2id),
            "pbkdf2-sha256" => Ok(Algorithm::Pbkdf2Sha256),
            "scrypt" => Ok(Algorithm::Scrypt),
            other => Err(format!(
                "unknown password hashing algorithm {other:?} (expected \"argon2id\", \"pbkdf2-sha256\" or \"scrypt\")"
            )),
        }
    }
}

// Current parameters for new hashes.
const SALT_LEN: usize = 16;
const ARGON2_M_KIB: u32 = 19 * 1024;
const ARGON2_T: u32 = 2;
const ARGON2_P: u32 = 1;
const ARGON2_OUT_LEN: usize = 32;
const PBKDF2_ROUNDS: u32 = 600_000;
const PBKDF2_OUT_LEN: usize = 32;
const SCRYPT_LOG_N: u8 = 14; // N = 16384
const SCRYPT_R: u32 = 16;
const SCRYPT_P: u32 = 1;
/// Length of Better Auth's scrypt key in bytes.
pub const SCRYPT_KEY_LEN: usize = 64;

// Upper bounds on parameters accepted from stored hashes (well above anything we write).
const MAX_ARGON2_M_KIB: u32 = 256 * 1024;
const MAX_ARGON2_T: u32 = 64;
const MAX_ARGON2_P: u32 = 16;
const MAX_PBKDF2_ROUNDS: u32 = 10_000_000;
const MAX_SCRYPT_SALT_LEN: usize = 256;

const ARGON2ID_IDENT: &str = "argon2id";
const ARGON2_VERSION: u32 = 0x13;
const PBKDF2_SHA256_IDENT: &str = "pbkdf2-sha256";

/// Better Auth's scrypt (N = 16384, r = 16, p = 1, 64 bytes) of a password under a salt, or
/// `None` if it cannot be computed. [`hash`] and [`verify`] use the `scrypt` crate ([`scrypt_key`]);
/// a host with a faster native scrypt passes its own to [`hash_with`] and [`verify_with`] (the
/// Worker: workerd's, about twice as fast as the crate compiled to wasm).
pub type ScryptFn = fn(password: &[u8], salt: &[u8]) -> Option<[u8; SCRYPT_KEY_LEN]>;

/// Hashes `password` (after NFKC normalisation) with a fresh random salt.
pub fn hash(algorithm: Algorithm, password: &str) -> String {
    hash_with(algorithm, password, scrypt_key)
}

/// [`hash`], computing scrypt with `scrypt`.
pub fn hash_with(algorithm: Algorithm, password: &str, scrypt: ScryptFn) -> String {
    let password = normalize(password);
    match algorithm {
        Algorithm::Argon2id => argon2_phc(
            password.as_bytes(),
            &random_salt(),
            ARGON2_M_KIB,
            ARGON2_T,
            ARGON2_P,
        ),
        Algorithm::Pbkdf2Sha256 => pbkdf2_phc(password.as_bytes(), &random_salt(), PBKDF2_ROUNDS),
        Algorithm::Scrypt => {
            let salt_hex = hex(&random_salt());
            let key = scrypt(password.as_bytes(), salt_hex.as_bytes())
                .or_else(|| scrypt_key(password.as_bytes(), salt_hex.as_bytes()))
                .expect("constant scrypt parameters are valid");
            format!("{salt_hex}:{}", hex(&key))
        }
    }
}

/// Whether `password` matches `stored`, a hash in any of the three formats. A malformed or
/// unrecognised `stored` is `false`.
pub fn verify(stored: &str, password: &str) -> bool {
    verify_with(stored, password, scrypt_key)
}

/// [`verify`], computing scrypt with `scrypt`.
pub fn verify_with(stored: &str, password: &str, scrypt: ScryptFn) -> bool {
    let Some(parsed) = parse(stored) else {
        return false;
    };
    let password = normalize(password);
    let password = password.as_bytes();
    match parsed {
        Parsed::Argon2id {
            m,
            t,
            p,
            salt,
            hash,
        } => {
            let Ok(params) = argon2::Params::new(m, t, p, Some(hash.len())) else {
                return false;
            };
            let argon =
                argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
            let mut out = vec![0u8; hash.len()];
            argon.hash_password_into(password, &salt, &mut out).is_ok() && ct_eq(&out, &hash)
        }
        Parsed::Pbkdf2Sha256 { rounds, salt, hash } => {
            let mut out = vec![0u8; hash.len()];
            portcullis_kdf::pbkdf2_hmac_sha256(password, &salt, rounds, &mut out);
            ct_eq(&out, &hash)
        }
        Parsed::Scrypt { salt_hex, key } => match scrypt(password, salt_hex.as_bytes()) {
            Some(out) => ct_eq(&out, &key),
            None => false,
        },
    }
}

/// Whether `stored` should be replaced by a fresh `hash(algorithm, …)` once the password is known
/// (after a successful sign-in): `false` only when `stored` is in `algorithm`'s format with
/// exactly the current parameters. Under [`Algorithm::Scrypt`] (compatibility with a Better Auth
/// database) a Better Auth scrypt hash never needs a rehash, its parameters being fixed.
pub fn needs_rehash(stored: &str, algorithm: Algorithm) -> bool {
    let current = match (parse(stored), algorithm) {
        (
            Some(Parsed::Argon2id {
                m,
                t,
                p,
                salt,
                hash,
            }),
            Algorithm::Argon2id,
        ) => {
            m == ARGON2_M_KIB
                && t == ARGON2_T
                && p == ARGON2_P
                && salt.len() == SALT_LEN
                && hash.len() == ARGON2_OUT_LEN
        }
        (Some(Parsed::Pbkdf2Sha256 { rounds, salt, hash }), Algorithm::Pbkdf2Sha256) => {
            rounds == PBKDF2_ROUNDS && salt.len() == SALT_LEN && hash.len() == PBKDF2_OUT_LEN
        }
        (Some(Parsed::Scrypt { .. }), Algorithm::Scrypt) => true,
        _ => false,
    };
    !current
}

/// A fixed, valid hash in `algorithm`'s format with the current parameters, of a password nobody
/// knows. Verify against it when the account does not exist, so that a sign-in for an unknown
/// email costs the same work as one for a known email with a wrong password.
pub fn dummy_hash(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::Argon2id => DUMMY_ARGON2ID,
        Algorithm::Pbkdf2Sha256 => DUMMY_PBKDF2_SHA256,
        Algorithm::Scrypt => DUMMY_SCRYPT,
    }
}

// Hashes of a random 32-byte password that was discarded after hashing.
const DUMMY_ARGON2ID: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$/I6CulPKgqrdk+aGP4nvpA$vSO5R6lgVvIbK+SsyNGna9xP9Is0XxjmnJqHt9INkv4";
const DUMMY_PBKDF2_SHA256: &str =
    "$pbkdf2-sha256$i=600000,l=32$isFNXkdmGoEzX+xpkpc50g$y7MdD9/yZR0053Ud9KXtzss2IY9OsBtRcm6Yy3aTaNw";
const DUMMY_SCRYPT: &str = "953c5ff81af4b3501d0bd5cf24c064c6:d070424fae4d338e55dc0bfbf2c62c5f37991467524869cc7f316d91a218a425907a129ef5d308ab004419fe27f8452b4611f5bfbfb44bbc4f1cd3bf19f8bc48";

/// Password hashing as the request handlers see it: the host decides where the work runs.
#[async_trait::async_trait(?Send)]
pub trait PasswordHasher {
    /// The algorithm new hashes are made with.
    fn algorithm(&self) -> Algorithm;
    /// [`hash`] with [`PasswordHasher::algorithm`].
    async fn hash(&self, password: &str) -> String;
    /// [`verify`].
    async fn verify(&self, stored: &str, password: &str) -> bool;
}

/// A [`PasswordHasher`] that runs the functions of this module on the current task.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InlineHasher(pub Algorithm);

#[async_trait::async_trait(?Send)]
impl PasswordHasher for InlineHasher {
    fn algorithm(&self) -> Algorithm {
        self.0
    }

    async fn hash(&self, password: &str) -> String {
        hash(self.0, password)
    }

    async fn verify(&self, stored: &str, password: &str) -> bool {
        verify(stored, password)
    }
}

/// A stored hash, parsed and bounds-checked.
enum Parsed<'a> {
    Argon2id {
        m: u32,
        t: u32,
        p: u32,
        salt: Vec<u8>,
        hash: Vec<u8>,
    },
    Pbkdf2Sha256 {
        rounds: u32,
        salt: Vec<u8>,
        hash: Vec<u8>,
    },
    Scrypt {
        salt_hex: &'a str,
        key: [u8; SCRYPT_KEY_LEN],
    },
}

fn parse(stored: &str) -> Option<Parsed<'_>> {
    if stored.starts_with('$') {
        parse_phc(stored)
    } else {
        parse_better_auth_scrypt(stored)
    }
}

/// A PHC string, `$<id>[$v=<version>][$<name>=<value>,…]$<salt>$<hash>`, read by hand under
/// the `password-hash` crate's rules (its parser and base64 were about 9 KB of the Worker):
/// decimals without sign or leading zero that fit in `u32`, a salt of 4 to 64 base64
/// characters, a hash of 10 to 64 bytes, base64 unpadded with the standard alphabet.
fn parse_phc(stored: &str) -> Option<Parsed<'_>> {
    let mut fields = stored.strip_prefix('$')?.split('$');
    let algorithm = fields.next()?;
    let mut field = fields.next()?;
    let mut version = None;
    if let Some(v) = field.strip_prefix("v=") {
        version = Some(phc_decimal(v)?);
        field = fields.next()?;
    }
    let mut params: Vec<(&str, u32)> = Vec::new();
    if field.contains('=') {
        for pair in field.split(',') {
            let (name, value) = pair.split_once('=')?;
            if params.iter().any(|(seen, _)| *seen == name) {
                return None;
            }
            params.push((name, phc_decimal(value)?));
        }
        field = fields.next()?;
    }
    if !(4..=64).contains(&field.len()) {
        return None;
    }
    let salt = PHC_B64.decode(field).ok()?;
    let hash = PHC_B64.decode(fields.next()?).ok()?;
    if !(10..=64).contains(&hash.len()) || fields.next().is_some() {
        return None;
    }
    match algorithm {
        ARGON2ID_IDENT => {
            if version != Some(ARGON2_VERSION) {
                return None;
            }
            let (mut m, mut t, mut p) = (None, None, None);
            for (name, value) in params {
                let slot = match name {
                    "m" => &mut m,
                    "t" => &mut t,
                    "p" => &mut p,
                    _ => return None, // keyid / data: not ours
                };
                *slot = Some(value);
            }
            let (m, t, p) = (m?, t?, p?);
            if m > MAX_ARGON2_M_KIB || t > MAX_ARGON2_T || p > MAX_ARGON2_P {
                return None;
            }
            // `Params::new` and `hash_password_into` check the remaining lower bounds.
            Some(Parsed::Argon2id {
                m,
                t,
                p,
                salt,
                hash,
            })
        }
        PBKDF2_SHA256_IDENT => {
            if version.is_some() {
                return None;
            }
            let (mut rounds, mut len) = (None, None);
            for (name, value) in params {
                let slot = match name {
                    "i" => &mut rounds,
                    "l" => &mut len,
                    _ => return None,
                };
                *slot = Some(value);
            }
            let rounds = rounds?;
            if rounds == 0 || rounds > MAX_PBKDF2_ROUNDS {
                return None;
            }
            if len.is_some_and(|len| len as usize != hash.len()) {
                return None;
            }
            Some(Parsed::Pbkdf2Sha256 { rounds, salt, hash })
        }
        _ => None,
    }
}

fn parse_better_auth_scrypt(stored: &str) -> Option<Parsed<'_>> {
    let (salt_hex, key_hex) = stored.split_once(':')?;
    // Better Auth writes 32 hex digits; its verifier takes any salt text, we take any hex.
    if salt_hex.is_empty()
        || salt_hex.len() > MAX_SCRYPT_SALT_LEN
        || !salt_hex.bytes().all(|b| b.is_ascii_hexdigit())
        || key_hex.len() != 2 * SCRYPT_KEY_LEN
    {
        return None;
    }
    let mut key = [0u8; SCRYPT_KEY_LEN];
    for (byte, pair) in key.iter_mut().zip(key_hex.as_bytes().chunks_exact(2)) {
        *byte = super::hex_byte(pair)?;
    }
    Some(Parsed::Scrypt { salt_hex, key })
}

/// A PHC decimal: ASCII digits, no leading zero (but `0`), at most `u32::MAX`.
fn phc_decimal(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if text.len() > 1 && text.starts_with('0') {
        return None;
    }
    text.parse().ok()
}

/// The Argon2id PHC string of `password` under `salt` with the given costs, as the `argon2`
/// crate writes it (`$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`).
fn argon2_phc(password: &[u8], salt: &[u8], m: u32, t: u32, p: u32) -> String {
    let params =
        argon2::Params::new(m, t, p, Some(ARGON2_OUT_LEN)).expect("valid Argon2 parameters");
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = [0u8; ARGON2_OUT_LEN];
    argon
        .hash_password_into(password, salt, &mut out)
        .expect("Argon2 with valid parameters and salt");
    format!(
        "${ARGON2ID_IDENT}$v={ARGON2_VERSION}$m={m},t={t},p={p}${}${}",
        PHC_B64.encode(salt),
        PHC_B64.encode(out)
    )
}

/// The PBKDF2-HMAC-SHA256 PHC string of `password` under `salt`, as the `pbkdf2` crate writes it.
fn pbkdf2_phc(password: &[u8], salt: &[u8], rounds: u32) -> String {
    let mut out = [0u8; PBKDF2_OUT_LEN];
    portcullis_kdf::pbkdf2_hmac_sha256(password, salt, rounds, &mut out);
    format!(
        "${PBKDF2_SHA256_IDENT}$i={rounds},l={PBKDF2_OUT_LEN}${}${}",
        PHC_B64.encode(salt),
        PHC_B64.encode(out)
    )
}

/// Better Auth's scrypt key: N = 16384, r = 16, p = 1, 64 bytes, by the `scrypt` crate.
pub fn scrypt_key(password: &[u8], salt: &[u8]) -> Option<[u8; SCRYPT_KEY_LEN]> {
    let params = scrypt::Params::new(SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P, SCRYPT_KEY_LEN).ok()?;
    let mut key = [0u8; SCRYPT_KEY_LEN];
    scrypt::scrypt(password, salt, &params, &mut key).ok()?;
    Some(key)
}

fn normalize(password: &str) -> Cow<'_, str> {
    if password.is_ascii() {
        Cow::Borrowed(password)
    } else {
        Cow::Owned(nfkc(password))
    }
}

/// NFKC by the `unicode-normalization` crate.
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
fn nfkc(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfkc().collect()
}

/// NFKC by the JavaScript engine (`String.prototype.normalize`, V8's ICU in the Worker): the
/// crate's tables would add about 65 KB gzip to the Worker.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
fn nfkc(text: &str) -> String {
    js_sys::JsString::from(text).normalize("NFKC").into()
}

fn random_salt() -> [u8; SALT_LEN] {
    let mut salt = [0u8; SALT_LEN];
    crate::crypto::random_bytes(&mut salt);
    salt
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Better Auth 1.7.25's stored hash of "password123" (recorded reference database).
    const BETTER_AUTH_PASSWORD123: &str = "87b57616e279ae1d7a2f27a35af347a2:b758f520a95ff1e9f68977d48619f8ac486fbe26515100d52d04a3e9f3dd4abed0b123684c78fb5ad27dc2e3080769901dc36048cbd6af0a0afcaaacbd256336";

    /// Argon2id of "correct horse", salt "portcullis-salt!", m=4096, t=1, p=1, made by Python
    /// `cryptography` 48 (OpenSSL's Argon2), an independent implementation.
    const CRYPTOGRAPHY_ARGON2ID_M4096: &str =
        "$argon2id$v=19$m=4096,t=1,p=1$cG9ydGN1bGxpcy1zYWx0IQ$yVXl8uWa7Ln3ymR+o5TQOx1g8zAQQssyXh6YcOYsDu4";

    /// RFC 7914 §11 PBKDF2-HMAC-SHA256 vector (P="passwd", S="salt", c=1, dkLen=64) as PHC.
    const RFC7914_PBKDF2: &str = "$pbkdf2-sha256$i=1,l=64$c2FsdA$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLxJypzM8Xm2RZkWZLOdd+8xfHG4RbHjC9UJESBB06GXgw";

    /// PBKDF2-HMAC-SHA256 of "fi" (NFKC of "ﬁ"), salt "portcullis-salt!", 1000 rounds (Python
    /// hashlib).
    const HASHLIB_PBKDF2_FI: &str =
        "$pbkdf2-sha256$i=1000,l=32$cG9ydGN1bGxpcy1zYWx0IQ$BfgeIC+ZQAPvuILLJWgU6R9SgbXm+2+in9HKsdKXwQc";

    const ALL: [Algorithm; 3] = [
        Algorithm::Argon2id,
        Algorithm::Pbkdf2Sha256,
        Algorithm::Scrypt,
    ];

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(out) => out,
            std::task::Poll::Pending => panic!("InlineHasher never suspends"),
        }
    }

    #[test]
    fn better_auth_scrypt_vector_verifies() {
        assert!(verify(BETTER_AUTH_PASSWORD123, "password123"));
    }

    #[test]
    fn better_auth_scrypt_vector_rejects_wrong_password() {
        assert!(!verify(BETTER_AUTH_PASSWORD123, "password124"));
    }

    #[test]
    fn independent_argon2id_phc_string_verifies() {
        assert!(verify(CRYPTOGRAPHY_ARGON2ID_M4096, "correct horse"));
        assert!(!verify(CRYPTOGRAPHY_ARGON2ID_M4096, "correct horsf"));
    }

    #[test]
    fn rfc7914_pbkdf2_vector_verifies_as_phc_string() {
        assert!(verify(RFC7914_PBKDF2, "passwd"));
        assert!(!verify(RFC7914_PBKDF2, "passwe"));
    }

    #[test]
    fn low_cost_phc_strings_we_write_match_independent_implementations() {
        let salt = b"portcullis-salt!";
        assert_eq!(
            argon2_phc(b"correct horse", salt, 4096, 1, 1),
            CRYPTOGRAPHY_ARGON2ID_M4096
        );
        assert_eq!(pbkdf2_phc(b"fi", salt, 1000), HASHLIB_PBKDF2_FI);
    }

    #[test]
    fn non_ascii_passwords_are_nfkc_normalised() {
        assert!(verify(HASHLIB_PBKDF2_FI, "fi"));
        assert!(verify(HASHLIB_PBKDF2_FI, "\u{FB01}")); // "ﬁ" ligature
        assert!(!verify(HASHLIB_PBKDF2_FI, "f\u{131}")); // dotless i is not "i"
        assert_eq!(normalize("ｐａｓｓ１"), "pass1");
        assert!(matches!(normalize("plain ascii"), Cow::Borrowed(_)));
    }

    #[test]
    fn argon2id_round_trips_and_rejects_wrong_password() {
        let stored = hash(Algorithm::Argon2id, "hunter2hunter2");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify(&stored, "hunter2hunter2"));
        assert!(!verify(&stored, "hunter2hunter3"));
        assert!(!needs_rehash(&stored, Algorithm::Argon2id));
    }

    #[test]
    fn pbkdf2_round_trips_at_default_parameters() {
        // (600,000 rounds take ~3 s per run in a debug build: one hash and one verify here; wrong
        // passwords are covered by the low-cost vectors.)
        let stored = hash(Algorithm::Pbkdf2Sha256, "hunter2hunter2");
        assert!(
            stored.starts_with("$pbkdf2-sha256$i=600000,l=32$"),
            "{stored}"
        );
        assert_eq!(
            stored.len(),
            "$pbkdf2-sha256$i=600000,l=32$".len() + 22 + 1 + 43
        );
        assert!(verify(&stored, "hunter2hunter2"));
        assert!(!needs_rehash(&stored, Algorithm::Pbkdf2Sha256));
    }

    #[test]
    fn scrypt_round_trips_in_better_auth_format() {
        let stored = hash(Algorithm::Scrypt, "hunter2hunter2");
        assert_eq!(stored.len(), 161);
        let (salt, key) = stored.split_once(':').unwrap();
        assert_eq!((salt.len(), key.len()), (32, 128));
        assert!(stored
            .bytes()
            .all(|b| b == b':' || matches!(b, b'0'..=b'9' | b'a'..=b'f')));
        assert!(verify(&stored, "hunter2hunter2"));
        assert!(!needs_rehash(&stored, Algorithm::Scrypt));
    }

    #[test]
    fn new_hashes_use_fresh_salts() {
        let a = argon2_phc(b"pw", &random_salt(), 8, 1, 1);
        let b = argon2_phc(b"pw", &random_salt(), 8, 1, 1);
        assert_ne!(a, b);
        assert!(verify(&a, "pw") && verify(&b, "pw"));
    }

    #[test]
    fn malformed_stored_hashes_are_false_not_panics() {
        let truncated_argon = &CRYPTOGRAPHY_ARGON2ID_M4096[..CRYPTOGRAPHY_ARGON2ID_M4096.len() - 5];
        let truncated_ba = &BETTER_AUTH_PASSWORD123[..BETTER_AUTH_PASSWORD123.len() - 2];
        let non_hex_key = BETTER_AUTH_PASSWORD123.replacen("b758", "x758", 1);
        let non_hex_salt = BETTER_AUTH_PASSWORD123.replacen("87b5", "87g5", 1);
        let cases: Vec<&str> = vec![
            "",
            ":",
            "abc:def",
            "password123",
            "$",
            "$$$$",
            "$argon2id$",
            "$argon2id$v=19$m=19456,t=2,p=1$",
            "$argon2id$v=19$m=19456,t=2,p=1$cG9ydGN1bGxpcy1zYWx0IQ",
            truncated_argon,
            "$argon2id$v=16$m=4096,t=1,p=1$cG9ydGN1bGxpcy1zYWx0IQ$yVXl8uWa7Ln3ymR+o5TQOx1g8zAQQssyXh6YcOYsDu4",
            "$argon2id$m=4096,t=1,p=1$cG9ydGN1bGxpcy1zYWx0IQ$yVXl8uWa7Ln3ymR+o5TQOx1g8zAQQssyXh6YcOYsDu4",
            "$argon2i$v=19$m=4096,t=1,p=1$cG9ydGN1bGxpcy1zYWx0IQ$yVXl8uWa7Ln3ymR+o5TQOx1g8zAQQssyXh6YcOYsDu4",
            "$argon2id$v=19$m=4096,t=0,p=1$cG9ydGN1bGxpcy1zYWx0IQ$yVXl8uWa7Ln3ymR+o5TQOx1g8zAQQssyXh6YcOYsDu4",
            "$argon2id$v=19$m=1,t=1,p=1$cG9ydGN1bGxpcy1zYWx0IQ$yVXl8uWa7Ln3ymR+o5TQOx1g8zAQQssyXh6YcOYsDu4",
            "$argon2id$v=19$m=4294967295,t=1,p=1$cG9ydGN1bGxpcy1zYWx0IQ$yVXl8uWa7Ln3ymR+o5TQOx1g8zAQQssyXh6YcOYsDu4",
            "$argon2id$v=19$m=4096,t=1,p=1,m=4096$cG9ydGN1bGxpcy1zYWx0IQ$yVXl8uWa7Ln3ymR+o5TQOx1g8zAQQssyXh6YcOYsDu4",
            "$argon2id$v=19$m=4096,t=1,p=1,keyid=abcd$cG9ydGN1bGxpcy1zYWx0IQ$yVXl8uWa7Ln3ymR+o5TQOx1g8zAQQssyXh6YcOYsDu4",
            "$argon2id$v=19$m=4096,t=1,p=1$c2FsdA$yVXl8uWa7Ln3ymR+o5TQOx1g8zAQQssyXh6YcOYsDu4", // 4-byte salt
            "$argon2id$v=19$m=4096,t=1,p=1$!!!!!!!!$yVXl8uWa7Ln3ymR+o5TQOx1g8zAQQssyXh6YcOYsDu4",
            // The PHC rules the hand parser keeps (those of the `password-hash` crate).
            "$argon2id$v=19$m=04096,t=1,p=1$cG9ydGN1bGxpcy1zYWx0IQ$yVXl8uWa7Ln3ymR+o5TQOx1g8zAQQssyXh6YcOYsDu4",
            "$argon2id$v=19$m=+4096,t=1,p=1$cG9ydGN1bGxpcy1zYWx0IQ$yVXl8uWa7Ln3ymR+o5TQOx1g8zAQQssyXh6YcOYsDu4",
            "$argon2id$v=19$m=4096,,t=1,p=1$cG9ydGN1bGxpcy1zYWx0IQ$yVXl8uWa7Ln3ymR+o5TQOx1g8zAQQssyXh6YcOYsDu4",
            "$argon2id$v=19$m=4096,t=1,p=1$cG9ydGN1bGxpcy1zYWx0IQ==$yVXl8uWa7Ln3ymR+o5TQOx1g8zAQQssyXh6YcOYsDu4",
            "$argon2id$v=19$m=4096,t=1,p=1$cG9ydGN1bGxpcy1zYWx0IQ$yVXl8uWa7Ln3ymR+o5TQOx1g8zAQQssyXh6YcOYsDu4$x",
            "$argon2id$v=19$m=4096,t=1,p=1$cG9ydGN1bGxpcy1zYWx0IQ$yVXl8uWa7Ln3",
            "$pbkdf2-sha256$v=19$i=1,l=64$c2FsdA$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLxJypzM8Xm2RZkWZLOdd+8xfHG4RbHjC9UJESBB06GXgw",
            "$pbkdf2-sha256$i=0,l=64$c2FsdA$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLxJypzM8Xm2RZkWZLOdd+8xfHG4RbHjC9UJESBB06GXgw",
            "$pbkdf2-sha256$i=1,l=32$c2FsdA$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLxJypzM8Xm2RZkWZLOdd+8xfHG4RbHjC9UJESBB06GXgw",
            "$pbkdf2-sha256$i=99999999999$c2FsdA$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLxJypzM8Xm2RZkWZLOdd+8xfHG4RbHjC9UJESBB06GXgw",
            "$pbkdf2-sha256$l=64$c2FsdA$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLxJypzM8Xm2RZkWZLOdd+8xfHG4RbHjC9UJESBB06GXgw",
            "$pbkdf2-sha256$v=1$i=1,l=64$c2FsdA$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLxJypzM8Xm2RZkWZLOdd+8xfHG4RbHjC9UJESBB06GXgw",
            "$pbkdf2-sha512$i=1,l=64$c2FsdA$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLxJypzM8Xm2RZkWZLOdd+8xfHG4RbHjC9UJESBB06GXgw",
            "$pbkdf2-sha256$i=1,l=64$c2FsdA$VawEblbjCJ/sFpHCJUS2Bfl",
            truncated_ba,
            &non_hex_key,
            &non_hex_salt,
            ":b758f520a95ff1e9f68977d48619f8ac486fbe26515100d52d04a3e9f3dd4abed0b123684c78fb5ad27dc2e3080769901dc36048cbd6af0a0afcaaacbd256336",
            "87b57616e279ae1d7a2f27a35af347a2:",
            "87b57616e279ae1d7a2f27a35af347a2:b758f520a95ff1e9f68977d48619f8ac486fbe26515100d52d04a3e9f3dd4abed0b123684c78fb5ad27dc2e3080769901dc36048cbd6af0a0afcaaacbd256336:00",
            "bcrypt$2b$10$abcdefghijklmnopqrstuv",
            "\u{e9}\u{e9}:\u{e9}",
        ];
        for stored in cases {
            assert!(!verify(stored, "password123"), "verify({stored:?})");
            assert!(!verify(stored, "passwd"), "verify({stored:?})");
            assert!(!verify(stored, "correct horse"), "verify({stored:?})");
            for algorithm in ALL {
                assert!(
                    needs_rehash(stored, algorithm),
                    "needs_rehash({stored:?}, {algorithm})"
                );
            }
        }
    }

    #[test]
    fn weaker_argon2_parameters_need_rehash() {
        assert!(needs_rehash(
            CRYPTOGRAPHY_ARGON2ID_M4096,
            Algorithm::Argon2id
        ));
        let only_m_differs = argon2_phc(b"pw", &random_salt(), 4096, ARGON2_T, ARGON2_P);
        assert!(only_m_differs.contains("$m=4096,t=2,p=1$"));
        assert!(needs_rehash(&only_m_differs, Algorithm::Argon2id));
    }

    #[test]
    fn weaker_pbkdf2_parameters_need_rehash() {
        assert!(needs_rehash(HASHLIB_PBKDF2_FI, Algorithm::Pbkdf2Sha256));
        assert!(needs_rehash(RFC7914_PBKDF2, Algorithm::Pbkdf2Sha256));
    }

    #[test]
    fn better_auth_scrypt_needs_rehash_under_argon2id_default() {
        assert!(needs_rehash(BETTER_AUTH_PASSWORD123, Algorithm::default()));
        assert!(needs_rehash(
            BETTER_AUTH_PASSWORD123,
            Algorithm::Pbkdf2Sha256
        ));
    }

    #[test]
    fn better_auth_scrypt_never_needs_rehash_under_scrypt() {
        assert!(!needs_rehash(BETTER_AUTH_PASSWORD123, Algorithm::Scrypt));
    }

    #[test]
    fn other_algorithms_phc_strings_need_rehash() {
        assert!(needs_rehash(
            dummy_hash(Algorithm::Pbkdf2Sha256),
            Algorithm::Argon2id
        ));
        assert!(needs_rehash(
            dummy_hash(Algorithm::Argon2id),
            Algorithm::Pbkdf2Sha256
        ));
        assert!(needs_rehash(
            dummy_hash(Algorithm::Argon2id),
            Algorithm::Scrypt
        ));
    }

    #[test]
    fn dummy_hashes_are_current_valid_hashes_of_an_unknown_password() {
        for algorithm in ALL {
            let dummy = dummy_hash(algorithm);
            assert!(parse(dummy).is_some(), "{algorithm}: {dummy}");
            assert!(!needs_rehash(dummy, algorithm), "{algorithm}: {dummy}");
            assert!(!verify(dummy, "x"), "{algorithm}");
        }
        assert_eq!(dummy_hash(Algorithm::Scrypt).len(), 161);
    }

    #[test]
    fn algorithm_names_parse_and_default_is_argon2id() {
        for algorithm in ALL {
            assert_eq!(algorithm.as_str().parse::<Algorithm>(), Ok(algorithm));
            assert_eq!(algorithm.to_string(), algorithm.as_str());
        }
        assert!("bcrypt".parse::<Algorithm>().is_err());
        assert!("Argon2id".parse::<Algorithm>().is_err());
        assert_eq!(Algorithm::default(), Algorithm::Argon2id);
    }

    #[test]
    fn inline_hasher_hashes_with_its_algorithm_and_verifies_any_format() {
        let hasher = InlineHasher(Algorithm::Argon2id);
        assert_eq!(hasher.algorithm(), Algorithm::Argon2id);
        assert!(block_on(hasher.verify(RFC7914_PBKDF2, "passwd")));
        assert!(block_on(
            hasher.verify(CRYPTOGRAPHY_ARGON2ID_M4096, "correct horse")
        ));
        assert!(!block_on(hasher.verify("abc:def", "passwd")));
        let stored = block_on(hasher.hash("hunter2hunter2"));
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert_eq!(
            InlineHasher(Algorithm::Scrypt).algorithm(),
            Algorithm::Scrypt
        );
    }

    /// Prints one line per algorithm with the median time of 5 default-parameter hashes.
    /// `cargo test --release -- --ignored --nocapture hash_timings`
    #[test]
    #[ignore]
    fn hash_timings() {
        for algorithm in ALL {
            let mut times: Vec<f64> = (0..5)
                .map(|_| {
                    let start = std::time::Instant::now();
                    std::hint::black_box(hash(algorithm, std::hint::black_box("hunter2hunter2")));
                    start.elapsed().as_secs_f64() * 1000.0
                })
                .collect();
            times.sort_by(f64::total_cmp);
            println!(
                "{algorithm}: median {:.1} ms (min {:.1}, max {:.1})",
                times[2], times[0], times[4]
            );
        }
    }

    /// Generates the `DUMMY_*` constants.
    /// `cargo test --release -- --ignored --nocapture print_dummy_hashes`
    #[test]
    #[ignore]
    fn print_dummy_hashes() {
        let mut secret = [0u8; 32];
        crate::crypto::random_bytes(&mut secret);
        let secret = hex(&secret);
        for algorithm in ALL {
            println!("{algorithm}: {}", hash(algorithm, &secret));
        }
    }
}
