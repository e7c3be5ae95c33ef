//! `portcullis apple-secret`: the client secret Sign in with Apple wants, checked as Apple
//! checks it (ES256 signature under the .p8 key's public half, header and claims).

use std::process::Command;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{EncodePrivateKey, LineEnding};

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32].into()).unwrap()
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("apple-secret")
        .args(args)
        .env_remove("BETTER_AUTH_SECRET")
        .output()
        .unwrap()
}

#[test]
fn apple_secret_is_an_es256_jwt_signed_by_the_p8_key_with_apples_claims() {
    let dir = std::env::temp_dir().join(format!("portcullis-apple-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p8 = dir.join("AuthKey_ABC123DEFG.p8");
    std::fs::write(&p8, key().to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes()).unwrap();
    let out = run(&[
        "--team-id",
        "TEAM123456",
        "--key-id",
        "ABC123DEFG",
        "--client-id",
        "com.example.web",
        "--private-key",
        p8.to_str().unwrap(),
        "--expires-in-days",
        "30",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let jwt = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let json = |i: usize| -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[i]).unwrap()).unwrap()
    };
    assert_eq!(
        json(0),
        serde_json::json!({"alg": "ES256", "kid": "ABC123DEFG"})
    );
    let claims = json(1);
    assert_eq!(claims["iss"], "TEAM123456");
    assert_eq!(claims["sub"], "com.example.web");
    assert_eq!(claims["aud"], "https://appleid.apple.com");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        30 * 86_400
    );
    let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
    let signed = format!("{}.{}", parts[0], parts[1]);
    VerifyingKey::from(&key())
        .verify(signed.as_bytes(), &signature)
        .expect("the signature verifies under the key's public half");
}

#[test]
fn apple_secret_refuses_missing_arguments_a_bad_key_and_over_six_months() {
    let missing = run(&["--team-id", "T"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--private-key"));
    let dir = std::env::temp_dir().join(format!("portcullis-apple-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.p8");
    std::fs::write(&bad, "not a key").unwrap();
    let args = |key: &str, days: &str| {
        run(&[
            "--team-id",
            "T",
            "--key-id",
            "K",
            "--client-id",
            "C",
            "--private-key",
            key,
            "--expires-in-days",
            days,
        ])
    };
    let out = args(bad.to_str().unwrap(), "30");
    assert!(String::from_utf8_lossy(&out.stderr).contains("PKCS#8"));
    let good = dir.join("good.p8");
    std::fs::write(
        &good,
        key().to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes(),
    )
    .unwrap();
    let out = args(good.to_str().unwrap(), "200");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("six months"));
}
