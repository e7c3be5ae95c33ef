//! Better Auth's `symmetricEncrypt` / `symmetricDecrypt` (`dist/crypto/index.mjs`) with a single
//! secret: XChaCha20-Poly1305 under SHA-256(secret), a random 24-byte nonce prepended (noble's
//! `managedNonce`), the whole as lower-case hex. The two-factor plugin keeps TOTP secrets and
//! backup codes this way, so a row written by either server opens on the other.
//!
//! Better Auth's versioned-secret envelope (`$ba$<version>$<hex>`, with `BETTER_AUTH_SECRETS`) is
//! not read: such values do not decrypt here.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

const NONCE: usize = 24;

fn cipher(secret: &str) -> XChaCha20Poly1305 {
    let key = Sha256::digest(secret.as_bytes());
    XChaCha20Poly1305::new(&key)
}

/// Better Auth's `derivePurposeKey` (`dist/crypto/purpose.mjs`) for a single secret: the key, as
/// lower-case hex, that one kind of OAuth ciphertext is sealed under — HKDF-SHA256 (RFC 5869)
/// of the secret, salt `better-auth:oauth-encryption:v1`, info `better-auth:<purpose>:v1`, 32
/// bytes (one HMAC block, so `T(1)` is the whole output). Pass it to [`encrypt`] as the secret.
pub fn purpose_key(secret: &str, purpose: &str) -> String {
    use super::hmac_sha256;
    let prk = hmac_sha256(b"better-auth:oauth-encryption:v1", secret.as_bytes());
    let info = format!("better-auth:{purpose}:v1\x01");
    super::hex(&hmac_sha256(&prk, info.as_bytes()))
}

/// Encrypts `plaintext` (UTF-8) as Better Auth does: hex(nonce ‖ ciphertext ‖ tag).
pub fn encrypt(secret: &str, plaintext: &str) -> String {
    let mut nonce = [0u8; NONCE];
    super::random_bytes(&mut nonce);
    let sealed = cipher(secret)
        .encrypt(XNonce::from_slice(&nonce), plaintext.as_bytes())
        .expect("XChaCha20-Poly1305 encrypts any length a request can carry");
    let mut out = super::hex(&nonce);
    out.push_str(&super::hex(&sealed));
    out
}

/// Decrypts a value [`encrypt`] (or Better Auth) made; `None` for anything else.
pub fn decrypt(secret: &str, hex: &str) -> Option<String> {
    if hex.len() < NONCE * 2 {
        return None;
    }
    let bytes = super::hex_decode(hex)?;
    let (nonce, sealed) = bytes.split_at(NONCE);
    let plain = cipher(secret)
        .decrypt(XNonce::from_slice(nonce), sealed)
        .ok()?;
    String::from_utf8(plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypted_values_open_with_the_same_secret_only() {
        let sealed = encrypt("secret-one", "JBSWY3DPEHPK3PXP");
        assert_eq!(sealed.len(), (24 + 16 + 16) * 2);
        assert_eq!(
            decrypt("secret-one", &sealed).as_deref(),
            Some("JBSWY3DPEHPK3PXP")
        );
        assert_eq!(decrypt("secret-two", &sealed), None);
        assert_eq!(decrypt("secret-one", "zz"), None);
        assert_ne!(encrypt("secret-one", "x"), encrypt("secret-one", "x"));
    }

    #[test]
    fn a_value_better_auth_encrypted_decrypts() {
        // symmetricEncrypt({key, data}) from better-auth 1.7.25 (noble's xchacha20poly1305).
        let sealed = "23ad1704587810362342f97321074ec7a1fd37d5412a3b6bc5a0c8c6e367712a3ab6cf3b061930be50b597fc1905a1e734ac64ffca68cd77ac9dcd2e83037c0ec504f50b2048270f";
        assert_eq!(
            decrypt("Qm9vN3pXc2lGd2tKcFh2R2tLc0xyT2VhWnNWYmRqTnU4", sealed).as_deref(),
            Some("abcdefghijklmnopqrstuvwxyzABCDEF")
        );
    }

    #[test]
    fn purpose_keys_are_better_auths() {
        // derivePurposeKey(secret, "oauth-link-session-token") from better-auth 1.7.25.
        assert_eq!(
            purpose_key(
                "Qm9vN3pXc2lGd2tKcFh2R2tLc0xyT2VhWnNWYmRqTnU4",
                "oauth-link-session-token"
            ),
            "9c8ba9573eca29cb8ee9c331480fdc831b66fe305151aaef9edb35b55f16197c"
        );
    }
}
