//! PBKDF2-HMAC-SHA256 as one non-generic function.
//!
//! `pbkdf2::pbkdf2_hmac::<Sha256>` is generic, so its HMAC loop is compiled in the crate that
//! names the hash. Inside `portcullis` that is the Worker's opt-level "z" build, where a
//! 600,000-round verify costs about 1.7 times what it costs at opt-level 3; instantiated here,
//! `Cargo.toml`'s per-package override keeps it at opt-level 3.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// PBKDF2-HMAC-SHA256 of `password` and `salt` over `rounds` rounds, filling `out`.
pub fn pbkdf2_hmac_sha256(password: &[u8], salt: &[u8], rounds: u32, out: &mut [u8]) {
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, rounds, out);
}
