//! TOTP (RFC 6238) over HOTP (RFC 4226, HMAC-SHA1), and the `otpauth://` URI, as
//! `@better-auth/utils/otp` makes them: the secret's UTF-8 bytes are the HMAC key, and the URI
//! carries them in RFC 4648 base32 without padding. Hand-written: the whole of it is the
//! dynamic truncation below and a base32 encoder, smaller than a dependency for each.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// HOTP value for `counter` (RFC 4226 §5.3), `digits` long.
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> String {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = (hash[19] & 0x0f) as usize;
    let code = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]) % 10u32.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

/// Whether `code` is the TOTP of `key` at `now_ms`, one period either side accepted (Better
/// Auth's window of 1). Every candidate is compared, in constant time.
pub fn verify(key: &[u8], code: &str, now_ms: i64, period: u64, digits: u32) -> bool {
    let counter = (now_ms.max(0) as u64) / (period * 1000);
    let mut matched = false;
    for step in [counter.wrapping_sub(1), counter, counter + 1] {
        matched |= super::constant_time_eq(code.as_bytes(), hotp(key, step, digits).as_bytes());
    }
    matched
}

/// RFC 4648 base32, upper case, no padding.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | byte as u32;
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// `otpauth://totp/<issuer>:<account>?secret=…&issuer=…&digits=…&period=…`, as Better Auth
/// builds it (path parts with `encodeURIComponent`, query with `URLSearchParams`).
pub fn uri(issuer: &str, account: &str, secret: &str, digits: u32, period: u64) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("secret", &base32(secret.as_bytes()))
        .append_pair("issuer", issuer)
        .append_pair("digits", &digits.to_string())
        .append_pair("period", &period.to_string())
        .finish();
    format!(
        "otpauth://totp/{}:{}?{query}",
        crate::cookies::encode_uri_component(issuer),
        crate::cookies::encode_uri_component(account)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totp_matches_rfc_6238_sha1_vectors() {
        let key = b"12345678901234567890";
        assert_eq!(hotp(key, 59 / 30, 8), "94287082");
        assert_eq!(hotp(key, 1_111_111_109 / 30, 8), "07081804");
        assert_eq!(hotp(key, 20_000_000_000 / 30, 8), "65353130");
        assert!(verify(key, "287082", 59_000, 30, 6));
        assert!(verify(key, "287082", 89_000, 30, 6));
        assert!(!verify(key, "287082", 150_000, 30, 6));
    }

    #[test]
    fn base32_matches_rfc_4648_vectors() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"fooba"), "MZXW6YTB");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
    }

    #[test]
    fn the_uri_is_better_auths() {
        assert_eq!(
            uri("Better Auth", "dave@example.com", "ab", 6, 30),
            "otpauth://totp/Better%20Auth:dave%40example.com?secret=MFRA&issuer=Better+Auth&digits=6&period=30"
        );
    }
}
