//! `portcullis`: the native server (`cargo run`), `portcullis migrate`, and
//! `portcullis apple-secret` (Sign in with Apple's client secret from the `.p8` key).

#[cfg(not(target_arch = "wasm32"))]
use std::net::TcpListener;
#[cfg(not(target_arch = "wasm32"))]
use std::process::ExitCode;

#[cfg(not(target_arch = "wasm32"))]
use portcullis::host::native::{self, Settings};

/// The wasm builds are the library (the Worker, the Spin component); this binary is native only.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("portcullis: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn run() -> Result<(), String> {
    let command = std::env::args().nth(1);
    if command.as_deref() == Some("apple-secret") {
        return apple_secret(std::env::args().skip(2).collect());
    }
    let settings = Settings::from_env()?;
    let applied = native::migrate(&settings)?;
    for name in &applied {
        eprintln!("portcullis: applied migration {name}");
    }
    match command.as_deref() {
        None | Some("serve") => {}
        Some("migrate") => return Ok(()),
        Some(other) => {
            return Err(format!(
                "unknown command {other:?} (commands: serve, migrate, apple-secret)"
            ))
        }
    }
    // Build one server up front so a configuration error stops us before we claim to serve.
    drop(native::auth_for(&settings, Default::default())?);
    let listener = TcpListener::bind(settings.address)
        .map_err(|e| format!("cannot listen on {}: {e}", settings.address))?;
    eprintln!(
        "portcullis: serving {}{} on http://{} with {} ({} threads)",
        settings.config.base_url,
        settings.config.base_path,
        settings.address,
        settings.database.display(),
        settings.threads
    );
    native::serve(settings, listener)
}

#[cfg(not(target_arch = "wasm32"))]
const APPLE_SECRET_USAGE: &str = "usage: portcullis apple-secret --team-id TEAM --key-id KEY --client-id SERVICES_ID --private-key AuthKey_KEY.p8 [--expires-in-days 180]";

/// `portcullis apple-secret`: prints the ES256 client secret for `socialProviders.apple`.
#[cfg(not(target_arch = "wasm32"))]
fn apple_secret(args: Vec<String>) -> Result<(), String> {
    use portcullis::crypto::apple::{client_secret, AppleSecret, MAX_EXPIRES_IN_S};
    let mut values = std::collections::HashMap::new();
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let name = flag
            .strip_prefix("--")
            .filter(|n| {
                [
                    "team-id",
                    "key-id",
                    "client-id",
                    "private-key",
                    "expires-in-days",
                ]
                .contains(n)
            })
            .ok_or_else(|| format!("unknown argument {flag:?}\n{APPLE_SECRET_USAGE}"))?
            .to_owned();
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{APPLE_SECRET_USAGE}"))?;
        values.insert(name, value);
    }
    let get = |name: &str| {
        values
            .get(name)
            .cloned()
            .ok_or_else(|| format!("--{name} is required\n{APPLE_SECRET_USAGE}"))
    };
    let key_path = get("private-key")?;
    let pem =
        std::fs::read_to_string(&key_path).map_err(|e| format!("cannot read {key_path}: {e}"))?;
    let expires_in_s = match values.get("expires-in-days") {
        Some(days) => days
            .parse::<i64>()
            .map_err(|_| format!("--expires-in-days {days:?} is not a number"))?
            .saturating_mul(86_400),
        None => MAX_EXPIRES_IN_S,
    };
    let now_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs() as i64;
    let secret = client_secret(&AppleSecret {
        private_key_pem: &pem,
        team_id: &get("team-id")?,
        key_id: &get("key-id")?,
        client_id: &get("client-id")?,
        now_s,
        expires_in_s,
    })?;
    println!("{secret}");
    Ok(())
}
