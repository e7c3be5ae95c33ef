//! `portcullis`: the native server (`cargo run`), and `portcullis migrate`.

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
                "unknown command {other:?} (commands: serve, migrate)"
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
