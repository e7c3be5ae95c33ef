//! Better Auth's cookies, byte for byte: names, attribute order, better-call's signed values and
//! the compact cookie cache (`session_data`).
//!
//! Pure functions over strings; no request or session types. Hand-written rather than the
//! `cookie` crate because Better Auth's attribute order (`Max-Age; Domain; Path; HttpOnly; Secure;
//! SameSite`) and its `parseCookies` (first value of a name wins, values percent-decoded when they
//! decode) are the wire format to match, and the crate orders attributes differently.

use std::borrow::Cow;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::crypto::{constant_time_eq, hmac_sha256, hmac_sha256_parts};

/// JavaScript's `encodeURIComponent`: everything but `A-Z a-z 0-9 - _ . ! ~ * ' ( )` is escaped.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// `encodeURIComponent(text)`.
pub fn encode_uri_component(text: &str) -> String {
    utf8_percent_encode(text, URI_COMPONENT).to_string()
}

/// `decodeURIComponent(text)`, or `None` where JavaScript would throw (bad escapes, not UTF-8).
pub fn decode_uri_component(text: &str) -> Option<Cow<'_, str>> {
    // Most cookie values (signed tokens apart) have nothing to decode: borrow them as they are.
    if !text.contains('%') {
        return Some(Cow::Borrowed(text));
    }
    let bytes = text.as_bytes();
    let hex_at = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_hexdigit);
    if (0..bytes.len()).any(|i| bytes[i] == b'%' && !(hex_at(i + 1) && hex_at(i + 2))) {
        return None;
    }
    percent_decode_str(text).decode_utf8().ok()
}

/// Parses a `Cookie` header as better-call's `parseCookies`: the first value of a name wins,
/// surrounding quotes are dropped and values are percent-decoded when they decode.
/// Names and values are borrowed from the header where nothing had to be decoded.
pub fn parse_cookie_header(header: &str) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
    let mut cookies: Vec<(Cow<str>, Cow<str>)> = Vec::new();
    let mut index = 0;
    while index < header.len() {
        let Some(eq) = header[index..].find('=').map(|i| i + index) else {
            break;
        };
        let end = match header[index..].find(';').map(|i| i + index) {
            None => header.len(),
            Some(end) if end < eq => {
                index = header[..eq].rfind(';').map_or(0, |i| i + 1);
                continue;
            }
            Some(end) => end,
        };
        let key = header[index..eq].trim();
        if !cookies.iter().any(|(k, _)| k == key) {
            let mut value = header[eq + 1..end].trim();
            if value.starts_with('"') {
                value = if value.len() >= 2 {
                    &value[1..value.len() - 1]
                } else {
                    ""
                };
            }
            let value = decode_uri_component(value).unwrap_or(Cow::Borrowed(value));
            cookies.push((Cow::Borrowed(key), value));
        }
        index = end + 1;
    }
    cookies
}

/// better-call's `signCookieValue`: `encodeURIComponent(value + "." + base64(HMAC-SHA256))`,
/// standard alphabet with padding.
pub fn sign(value: &str, secret: &str) -> String {
    encode_uri_component(&signed_raw(value, secret))
}

/// `value.signature` before percent-encoding: the form the bearer plugin's `set-auth-token` header
/// carries.
pub fn signed_raw(value: &str, secret: &str) -> String {
    let signature = STANDARD.encode(hmac_sha256(secret.as_bytes(), value.as_bytes()));
    format!("{value}.{signature}")
}

/// better-call's `getSignedCookie` on an already percent-decoded cookie value: split at the last
/// `.`, the signature must be 44 characters ending in `=`, and the HMAC must match (compared in
/// constant time). Returns the signed value.
pub fn unsign<'a>(decoded: &'a str, secret: &str) -> Option<&'a str> {
    let (value, signature) = decoded.rsplit_once('.')?;
    if signature.len() != 44 || !signature.ends_with('=') {
        return None;
    }
    let given = STANDARD.decode(signature).ok()?;
    let expected = hmac_sha256(secret.as_bytes(), value.as_bytes());
    constant_time_eq(&given, &expected).then_some(value)
}

/// The compact cookie cache value: `base64url(JSON {session: P, expiresAt: E, signature: S})`
/// where `S = base64url(HMAC(secret, JSON.stringify({...P, expiresAt: E})))`.
///
/// `payload_json` is `P` as JSON text (an object); the signed text is `P` with `"expiresAt":E`
/// appended as its last key, exactly as the spread in Better Auth's `setCookieCache` produces.
pub fn encode_cookie_cache(payload_json: &str, expires_at_ms: i64, secret: &str) -> String {
    let signature = URL_SAFE_NO_PAD.encode(cache_signature(payload_json, expires_at_ms, secret));
    let outer = format!(
        r#"{{"session":{payload_json},"expiresAt":{expires_at_ms},"signature":"{signature}"}}"#
    );
    URL_SAFE_NO_PAD.encode(outer)
}

/// The HMAC of `JSON.stringify({...P, expiresAt: E})`: `P` without its closing brace, then
/// `"expiresAt":E}`, fed to the HMAC in parts rather than copied into one string (this runs on
/// every cached get-session).
fn cache_signature(payload_json: &str, expires_at_ms: i64, secret: &str) -> [u8; 32] {
    let body = payload_json
        .trim_end()
        .strip_suffix('}')
        .unwrap_or(payload_json);
    let sep: &[u8] = if body.trim_end().ends_with('{') {
        b""
    } else {
        b","
    };
    let mut digits = [0u8; 20];
    let expires_at = format_i64(expires_at_ms, &mut digits);
    hmac_sha256_parts(
        secret.as_bytes(),
        &[body.as_bytes(), sep, b"\"expiresAt\":", expires_at, b"}"],
    )
}

/// `value` in decimal, written into `buffer` (20 bytes hold any `i64`).
fn format_i64(value: i64, buffer: &mut [u8; 20]) -> &[u8] {
    let mut at = buffer.len();
    let mut rest = value.unsigned_abs();
    loop {
        at -= 1;
        buffer[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if value < 0 {
        at -= 1;
        buffer[at] = b'-';
    }
    &buffer[at..]
}

/// A verified cookie cache: the payload `P` as its original JSON text, and `E`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieCache {
    /// `P` exactly as it was signed.
    pub payload_json: String,
    /// `E`, Unix milliseconds after which the cache is stale.
    pub expires_at_ms: i64,
}

/// Decodes and verifies a compact cookie cache value. `None` for anything malformed or forged.
///
/// The HMAC is recomputed over `P`'s original JSON text, which is what `JSON.stringify` of the
/// parsed object gives for text that `JSON.stringify` produced, so caches minted by Better Auth
/// verify here and the reverse. `P` is only checked to be the text between the outer object's
/// braces that the HMAC covers: the caller parses it.
pub fn decode_cookie_cache(value: &str, secret: &str) -> Option<CookieCache> {
    let json = URL_SAFE_NO_PAD.decode(value.trim_end_matches('=')).ok()?;
    let json = std::str::from_utf8(&json).ok()?;
    let (payload_json, expires_at_ms, signature) = match split_cookie_cache(json) {
        Some(parts) => parts,
        None => parse_cookie_cache(json)?,
    };
    let given = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let expected = cache_signature(payload_json, expires_at_ms, secret);
    constant_time_eq(&given, &expected).then(|| CookieCache {
        payload_json: payload_json.to_owned(),
        expires_at_ms,
    })
}

/// The outer object exactly as `JSON.stringify` writes it,
/// `{"session":{…},"expiresAt":<digits>,"signature":"<base64url>"}`, split from its end without
/// scanning `P` (the HMAC and the caller's parse read it once each). `None` for any other shape,
/// which [`decode_cookie_cache`] then parses as JSON; for this shape both give the same parts.
fn split_cookie_cache(json: &str) -> Option<(&str, i64, &str)> {
    // The longest run of bytes matching `part` that `text` ends with, and what precedes it
    // (byte-wise from the end: no searcher to set up for suffixes this short).
    fn trailing(text: &str, part: impl Fn(u8) -> bool) -> (&str, &str) {
        let start = text.len() - text.bytes().rev().take_while(|&b| part(b)).count();
        text.split_at(start)
    }
    let rest = json.strip_prefix(r#"{"session":"#)?.strip_suffix(r#""}"#)?;
    let (rest, signature) = trailing(rest, |b| {
        b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
    });
    let (rest, expires_at) = trailing(rest.strip_suffix(r#","signature":""#)?, |b| {
        b.is_ascii_digit()
    });
    let payload_json = rest.strip_suffix(r#","expiresAt":"#)?;
    // Up to 15 digits, no leading zero: the integers a JSON number (an f64) holds exactly.
    let plain = (1..=15).contains(&expires_at.len())
        && expires_at.bytes().all(|b| b.is_ascii_digit())
        && (expires_at == "0" || !expires_at.starts_with('0'));
    if !plain || !payload_json.starts_with('{') || !payload_json.ends_with('}') {
        return None;
    }
    Some((payload_json, expires_at.parse().ok()?, signature))
}

/// The outer object in any other shape (key order, whitespace, escapes), read as JSON: `P`'s text
/// exactly as it stands in the object, `E` (a whole number) and the signature (a string without
/// escapes). `None` for invalid JSON, a missing or repeated field, or a `P` that is not an object.
///
/// serde_json's `RawValue` would give `P`'s text directly, but its feature puts a second copy of
/// the JSON reader into the Worker (~6 KB gzip): the text is parsed once as a `Value` (which also
/// proves it is JSON), and `P`'s span is then found by a walk that only has to handle valid JSON.
fn parse_cookie_cache(json: &str) -> Option<(&str, i64, &str)> {
    use serde_json::Value;
    let Value::Object(outer) = serde_json::from_slice(json.as_bytes()).ok()? else {
        return None;
    };
    let expires_at = outer.get("expiresAt")?.as_f64()?;
    outer.get("signature")?.as_str()?;
    let bytes = json.as_bytes();
    let skip_space = |at: &mut usize| {
        while matches!(bytes.get(*at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            *at += 1;
        }
    };
    let (mut session, mut signature, mut expires_seen) = (None, None, false);
    let mut at = 0;
    skip_space(&mut at);
    at += 1; // `{`
    loop {
        skip_space(&mut at);
        if bytes.get(at) != Some(&b'"') {
            break; // `}`: the object ends
        }
        let key_end = json_value_end(bytes, at)?;
        let key = &json[at..key_end];
        at = key_end;
        skip_space(&mut at);
        at += 1; // `:`
        skip_space(&mut at);
        let value_end = json_value_end(bytes, at)?;
        let value = &json[at..value_end];
        at = value_end;
        skip_space(&mut at);
        at += 1; // `,` or `}`
        let key = if key.contains('\\') {
            match serde_json::from_slice(key.as_bytes()).ok()? {
                Value::String(key) => Cow::Owned(key),
                _ => return None,
            }
        } else {
            Cow::Borrowed(&key[1..key.len() - 1])
        };
        let repeated = match &*key {
            "session" => session.replace(value).is_some(),
            "signature" => signature.replace(value).is_some(),
            "expiresAt" => std::mem::replace(&mut expires_seen, true),
            _ => false,
        };
        if repeated {
            return None;
        }
    }
    let (session, signature) = (session?, signature?);
    if !session.starts_with('{') || signature.contains('\\') || expires_at.fract() != 0.0 {
        return None;
    }
    Some((
        session,
        expires_at as i64,
        &signature[1..signature.len() - 1],
    ))
}

/// Where the JSON value starting at `start` ends, in text already known to be valid JSON.
fn json_value_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut at = start;
    loop {
        match *bytes.get(at)? {
            b'"' => {
                at += 1;
                while *bytes.get(at)? != b'"' {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth > 0 => depth -= 1,
            b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => return Some(at),
            _ => {}
        }
        at += 1;
        if depth == 0 && matches!(bytes[start], b'"' | b'{' | b'[') {
            return Some(at);
        }
    }
}

/// `SameSite` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// `SameSite=Lax` (Better Auth's default).
    Lax,
    /// `SameSite=Strict`.
    Strict,
    /// `SameSite=None` (forces `Secure`).
    None,
}

/// Attributes of a cookie, serialised in better-call's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieAttributes {
    /// `Max-Age` in seconds; `None` makes a browser-session cookie.
    pub max_age: Option<u64>,
    /// `Domain` (cross-subdomain cookies).
    pub domain: Option<String>,
    /// `Path`.
    pub path: &'static str,
    /// `HttpOnly`.
    pub http_only: bool,
    /// `Secure`.
    pub secure: bool,
    /// `SameSite`.
    pub same_site: SameSite,
}

/// One `Set-Cookie` header value: `name=value; Max-Age=…; Domain=…; Path=/; HttpOnly; Secure; SameSite=Lax`.
pub fn serialize_set_cookie(name: &str, value: &str, attributes: &CookieAttributes) -> String {
    let mut out = format!("{name}={value}");
    if let Some(max_age) = attributes.max_age {
        out.push_str(&format!("; Max-Age={max_age}"));
    }
    if let Some(domain) = &attributes.domain {
        out.push_str(&format!("; Domain={domain}"));
    }
    out.push_str("; Path=");
    out.push_str(attributes.path);
    if attributes.http_only {
        out.push_str("; HttpOnly");
    }
    if attributes.secure || attributes.same_site == SameSite::None {
        out.push_str("; Secure");
    }
    out.push_str(match attributes.same_site {
        SameSite::Lax => "; SameSite=Lax",
        SameSite::Strict => "; SameSite=Strict",
        SameSite::None => "; SameSite=None",
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The secret of the recorded Better Auth deployment in `shared/better-auth/`.
    const SECRET: &str = "Qm9vN3pXc2lGd2tKcFh2R2tLc0xyT2VhWnNWYmRqTnU4";

    #[test]
    fn session_token_signature_matches_better_auth_recording() {
        // recorded/curl-cases.txt, "setup: sign-up".
        assert_eq!(
            sign("WfSRKaKYDLjJ5SNzKtyREbQNWcbPmmCV", SECRET),
            "WfSRKaKYDLjJ5SNzKtyREbQNWcbPmmCV.s1WDN8GTE8PNV2pkIAQI4TT55EOrN1z%2F3GxHeebgbT0%3D"
        );
        assert_eq!(
            signed_raw("O6nbhW5KBng6fBTSgYmqPcEESOI4tzH5", SECRET),
            "O6nbhW5KBng6fBTSgYmqPcEESOI4tzH5.YHQikCs8tgRRkXcAC1eroVFyTheA/TSUEeYnL+AtSaQ="
        );
    }

    #[test]
    fn dont_remember_cookie_matches_better_auth_recording() {
        // WIRE.md §1.3.
        assert_eq!(
            sign("true", SECRET),
            "true.vfaRGiREjjlzk8ARgEBTs8fb7eq2%2FAnNmi8LAwEcfwY%3D"
        );
    }

    #[test]
    fn cookie_signed_by_better_auth_unsigns_and_tampering_is_rejected() {
        let raw = decode_uri_component(
            "WfSRKaKYDLjJ5SNzKtyREbQNWcbPmmCV.s1WDN8GTE8PNV2pkIAQI4TT55EOrN1z%2F3GxHeebgbT0%3D",
        )
        .unwrap();
        assert_eq!(
            unsign(&raw, SECRET),
            Some("WfSRKaKYDLjJ5SNzKtyREbQNWcbPmmCV")
        );
        assert_eq!(unsign(&raw, "another-secret-another-secret-another"), None);
        assert_eq!(unsign(&raw.replace("WfS", "XfS"), SECRET), None);
        assert_eq!(unsign("WfSRKaKYDLjJ5SNzKtyREbQNWcbPmmCV", SECRET), None);
        assert_eq!(unsign("a.short=", SECRET), None);
    }

    const RECORDED_CACHE: &str = "eyJzZXNzaW9uIjp7InNlc3Npb24iOnsiZXhwaXJlc0F0IjoiMjAyNi0xMi0wNFQwODo1MzozOS4yNjJaIiwidG9rZW4iOiJXZlNSS2FLWURMako1U056S3R5UkViUU5XY2JQbW1DViIsImNyZWF0ZWRBdCI6IjIwMjYtMTEtMjdUMDg6NTM6MzkuMjYyWiIsInVwZGF0ZWRBdCI6IjIwMjYtMTEtMjdUMDg6NTM6MzkuMjYyWiIsImlwQWRkcmVzcyI6IiIsInVzZXJBZ2VudCI6ImN1cmwvNy44OC4xIiwidXNlcklkIjoiY1RaSFg1N2NRanJnMlVOMndSZ05VcmFKcmUxd2E0NGIiLCJpZCI6InR3OVRVS21TOEJjc2JZbkFTa2djWDVLemFHd3Mwb3JnIn0sInVzZXIiOnsibmFtZSI6IkN1cmwiLCJlbWFpbCI6ImN1cmxAZXhhbXBsZS5jb20iLCJlbWFpbFZlcmlmaWVkIjpmYWxzZSwiaW1hZ2UiOm51bGwsImNyZWF0ZWRBdCI6IjIwMjYtMTEtMjdUMDg6NTM6MzkuMjU4WiIsInVwZGF0ZWRBdCI6IjIwMjYtMTEtMjdUMDg6NTM6MzkuMjU4WiIsInR3b0ZhY3RvckVuYWJsZWQiOmZhbHNlLCJ1c2VybmFtZSI6bnVsbCwiZGlzcGxheVVzZXJuYW1lIjpudWxsLCJpZCI6ImNUWkhYNTdjUWpyZzJVTjJ3UmdOVXJhSnJlMXdhNDRiIn0sInVwZGF0ZWRBdCI6MTc5NTc2OTYxOTI4NSwidmVyc2lvbiI6IjEifSwiZXhwaXJlc0F0IjoxNzk1NzY5OTE5Mjg1LCJzaWduYXR1cmUiOiJGSnU4a2VObVFabC1veDhUdVhhY05JWm5DTHhENE9Bb2xMZ2tKOU5ZcGhFIn0";

    #[test]
    fn cookie_cache_minted_by_better_auth_verifies() {
        let cache = decode_cookie_cache(RECORDED_CACHE, SECRET).expect("recorded cache verifies");
        assert_eq!(cache.expires_at_ms, 1_795_769_919_285);
        assert!(cache
            .payload_json
            .contains(r#""token":"WfSRKaKYDLjJ5SNzKtyREbQNWcbPmmCV""#));
        assert_eq!(decode_cookie_cache(RECORDED_CACHE, "wrong-secret"), None);
    }

    #[test]
    fn cookie_cache_encoding_reproduces_better_auth_bytes() {
        let cache = decode_cookie_cache(RECORDED_CACHE, SECRET).unwrap();
        assert_eq!(
            encode_cookie_cache(&cache.payload_json, cache.expires_at_ms, SECRET),
            RECORDED_CACHE
        );
    }

    #[test]
    fn forged_or_malformed_cookie_cache_is_rejected() {
        let cache = decode_cookie_cache(RECORDED_CACHE, SECRET).unwrap();
        let forged = encode_cookie_cache(
            &cache.payload_json.replace("Curl", "Evil"),
            cache.expires_at_ms,
            "not the secret",
        );
        assert_eq!(decode_cookie_cache(&forged, SECRET), None);
        let later = encode_cookie_cache(&cache.payload_json, cache.expires_at_ms + 1, "x");
        assert_eq!(decode_cookie_cache(&later, SECRET), None);
        for junk in ["", "!!!", "e30", "bnVsbA"] {
            assert_eq!(decode_cookie_cache(junk, SECRET), None);
        }
    }

    #[test]
    fn cookie_cache_signature_is_the_hmac_of_the_spread_text() {
        // The signed text as Better Auth's `JSON.stringify({...P, expiresAt})` writes it.
        for (payload, expires_at, text) in [
            (r#"{"a":1}"#, 5, r#"{"a":1,"expiresAt":5}"#),
            ("{}", 0, r#"{"expiresAt":0}"#),
            (r#"{"a":"}"} "#, -12, r#"{"a":"}","expiresAt":-12}"#),
            (
                r#"{"a":1}"#,
                i64::MIN,
                r#"{"a":1,"expiresAt":-9223372036854775808}"#,
            ),
            (
                r#"{"a":1}"#,
                i64::MAX,
                r#"{"a":1,"expiresAt":9223372036854775807}"#,
            ),
        ] {
            assert_eq!(
                cache_signature(payload, expires_at, SECRET),
                hmac_sha256(SECRET.as_bytes(), text.as_bytes()),
                "{payload} {expires_at}"
            );
        }
    }

    #[test]
    fn cookie_cache_split_from_its_end_agrees_with_the_json_parse() {
        let json = |value: &str| String::from_utf8(URL_SAFE_NO_PAD.decode(value).unwrap()).unwrap();
        let recorded = json(RECORDED_CACHE);
        let cache = decode_cookie_cache(RECORDED_CACHE, SECRET).unwrap();
        let (payload, expires_at, _) = split_cookie_cache(&recorded).expect("the usual shape");
        assert_eq!(
            (payload, expires_at),
            (cache.payload_json.as_str(), cache.expires_at_ms)
        );
        // A payload holding the separators in a string still splits at the outer ones.
        let tricky = r#"{"session":{"a":",\"expiresAt\":1,\"signature\":\"x\"}"},"expiresAt":7,"signature":"abc-_9"}"#;
        assert_eq!(
            split_cookie_cache(tricky),
            Some((
                r#"{"a":",\"expiresAt\":1,\"signature\":\"x\"}"}"#,
                7,
                "abc-_9"
            ))
        );
        // Other shapes are left to the JSON parse.
        for other in [
            r#"{"session": {"a":1},"expiresAt":7,"signature":"abc"}"#,
            r#"{"session":{"a":1},"expiresAt":07,"signature":"abc"}"#,
            r#"{"session":{"a":1},"expiresAt":7.0,"signature":"abc"}"#,
            r#"{"session":{"a":1},"expiresAt":-7,"signature":"abc"}"#,
            r#"{"session":{"a":1},"expiresAt":1234567890123456,"signature":"abc"}"#,
            r#"{"session":{"a":1},"expiresAt":7,"signature":"a+c"}"#,
            r#"{"expiresAt":7,"session":{"a":1},"signature":"abc"}"#,
            r#"{"session":[1],"expiresAt":7,"signature":"abc"}"#,
        ] {
            assert_eq!(split_cookie_cache(other), None, "{other}");
        }
        // A cache in another key order still verifies, through the JSON parse.
        let reordered = format!(
            r#"{{"expiresAt":{},"session":{},"signature":"{}"}}"#,
            cache.expires_at_ms,
            cache.payload_json,
            recorded
                .rsplit_once(r#""signature":""#)
                .unwrap()
                .1
                .trim_end_matches("\"}")
        );
        assert_eq!(
            decode_cookie_cache(&URL_SAFE_NO_PAD.encode(reordered), SECRET),
            Some(cache)
        );
    }

    #[test]
    fn cookie_cache_in_another_shape_is_read_as_json() {
        assert_eq!(
            parse_cookie_cache(
                r#" { "session" : {"a": 1} , "expiresAt" : 7 , "signature" : "abc" } "#
            ),
            Some((r#"{"a": 1}"#, 7, "abc"))
        );
        assert_eq!(
            parse_cookie_cache(
                r#"{"x":[{"y":"\"}"}],"sess\u0069on":{"a":[1,"}]"]},"expiresAt":7e0,"signature":"abc","z":-1.5}"#
            ),
            Some((r#"{"a":[1,"}]"]}"#, 7, "abc"))
        );
        for bad in [
            r#"{"session":{"a":1},"session":{"a":1},"expiresAt":7,"signature":"abc"}"#,
            r#"{"session":{"a":1},"expiresAt":7,"expiresAt":7,"signature":"abc"}"#,
            r#"{"session":{"a":1},"expiresAt":7,"signature":"abc","signature":"abc"}"#,
            r#"{"session":{"a":1},"expiresAt":7,"signature":"a\u0062c"}"#,
            r#"{"session":[1],"expiresAt":7,"signature":"abc"}"#,
            r#"{"session":{"a":1},"expiresAt":7.5,"signature":"abc"}"#,
            r#"{"session":{"a":1},"expiresAt":"7","signature":"abc"}"#,
            r#"{"session":{"a":1},"expiresAt":7}"#,
            r#"{"expiresAt":7,"signature":"abc"}"#,
            r#"{"session":{"a":1},"expiresAt":7,"signature":"abc",}"#,
            r#"[{"a":1},7,"abc"]"#,
        ] {
            assert_eq!(parse_cookie_cache(bad), None, "{bad}");
        }
    }

    #[test]
    fn cookie_header_parsing_follows_better_call() {
        let cookies = parse_cookie_header(r#"a=1; b="two"; a=3; c=x%2Fy; d=%E0%A4%A; bad; e=5"#);
        let get = |k: &str| {
            cookies
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_ref())
        };
        assert_eq!(get("a"), Some("1"));
        assert_eq!(get("b"), Some("two"));
        assert_eq!(get("c"), Some("x/y"));
        assert_eq!(get("d"), Some("%E0%A4%A"));
        assert_eq!(get("e"), Some("5"));
    }

    #[test]
    fn set_cookie_attributes_are_in_better_auth_order() {
        let attrs = CookieAttributes {
            max_age: Some(604800),
            domain: None,
            path: "/",
            http_only: true,
            secure: false,
            same_site: SameSite::Lax,
        };
        assert_eq!(
            serialize_set_cookie("better-auth.session_token", "v", &attrs),
            "better-auth.session_token=v; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"
        );
        let attrs = CookieAttributes {
            max_age: None,
            domain: Some("example.com".into()),
            secure: true,
            ..attrs
        };
        assert_eq!(
            serialize_set_cookie("n", "", &attrs),
            "n=; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Lax"
        );
    }

    #[test]
    fn uri_component_encoding_matches_javascript() {
        assert_eq!(
            encode_uri_component("a+b/c=d e!~*'()"),
            "a%2Bb%2Fc%3Dd%20e!~*'()"
        );
        assert_eq!(decode_uri_component("%zz"), None);
        assert_eq!(decode_uri_component("a%2Fb").as_deref(), Some("a/b"));
    }
}
