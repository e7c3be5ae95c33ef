//! `portcullis`: the native server (`cargo run`) and its command line.
//!
//! ```text
//! portcullis [serve]                         apply pending migrations, then serve
//! portcullis migrate [--database URL]        apply pending migrations (SQLite file; DATABASE_URL)
//! portcullis migrate --d1 [--remote]         D1, through `npx wrangler d1 migrations apply DB`
//! portcullis generate [--dialect sqlite|postgres]   print the schema SQL (enabled plugins' too)
//! portcullis secret                          print a strong BETTER_AUTH_SECRET
//! portcullis apple-secret …                  Sign in with Apple's client secret from the `.p8` key
//! ```

#[cfg(not(target_arch = "wasm32"))]
use std::net::TcpListener;
#[cfg(not(target_arch = "wasm32"))]
use std::process::ExitCode;

#[cfg(not(target_arch = "wasm32"))]
use portcullis::host::native::{self, Settings};
#[cfg(not(target_arch = "wasm32"))]
use portcullis::plugins::Plugins;
#[cfg(not(target_arch = "wasm32"))]
use portcullis::store::migrations::Dialect;

/// The wasm builds are the library (the Worker, the Spin component); this binary is native only.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
const USAGE: &str = "usage:
  portcullis [serve]                               apply pending migrations, then serve
  portcullis migrate [--database URL]              apply pending migrations (default: DATABASE_URL, else ./portcullis.db)
  portcullis migrate --d1 [--remote]               apply them to D1 through `npx wrangler d1 migrations apply DB`
  portcullis generate [--dialect sqlite|postgres]  print the schema SQL, the enabled plugins' included (default sqlite)
  portcullis secret                                print a strong BETTER_AUTH_SECRET
  portcullis apple-secret --team-id … --key-id … --client-id … --private-key AuthKey.p8
                                                   print Sign in with Apple's client secret";

#[cfg(not(target_arch = "wasm32"))]
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("portcullis: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The arguments after the command: `--name value` options and `--flag`s, nothing else.
#[cfg(not(target_arch = "wasm32"))]
struct Options<'a> {
    command: &'a str,
    rest: &'a [String],
}

#[cfg(not(target_arch = "wasm32"))]
impl<'a> Options<'a> {
    /// Fails on anything not in `values` (options with a value) or `flags`.
    fn check(&self, values: &[&str], flags: &[&str]) -> Result<(), String> {
        let mut i = 0;
        while let Some(arg) = self.rest.get(i) {
            if values.contains(&arg.as_str()) {
                if self.rest.get(i + 1).is_none() {
                    return Err(format!("{arg} needs a value\n{USAGE}"));
                }
                i += 2;
            } else if flags.contains(&arg.as_str()) {
                i += 1;
            } else {
                return Err(format!(
                    "unknown argument {arg:?} for `{}`\n{USAGE}",
                    self.command
                ));
            }
        }
        Ok(())
    }
    fn value(&self, name: &str) -> Option<&'a str> {
        let i = self.rest.iter().position(|a| a == name)?;
        self.rest.get(i + 1).map(String::as_str)
    }
    fn flag(&self, name: &str) -> bool {
        self.rest.iter().any(|a| a == name)
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn run(args: &[String]) -> Result<(), String> {
    let command = args.first().map_or("serve", String::as_str);
    let options = Options {
        command,
        rest: args.get(1..).unwrap_or_default(),
    };
    match command {
        "serve" => {
            options.check(&[], &[])?;
            serve()
        }
        "migrate" => {
            options.check(&["--database"], &["--d1", "--remote"])?;
            if options.flag("--d1") {
                return migrate_d1(options.flag("--remote"));
            }
            let url = options
                .value("--database")
                .map(str::to_owned)
                .or_else(|| std::env::var("DATABASE_URL").ok().filter(|v| !v.is_empty()))
                .unwrap_or_else(|| "./portcullis.db".to_owned());
            migrate(&url)
        }
        "generate" => {
            options.check(&["--dialect"], &[])?;
            let dialect: Dialect = options.value("--dialect").unwrap_or("sqlite").parse()?;
            // The enabled plugins' migrations too (PORTCULLIS_CONFIG, as the server reads it).
            let config = native::config_from_env()?;
            for (name, sql) in Plugins::from_config(&config)?.migrations(dialect)? {
                println!("-- {name}\n{}", sql.trim_end());
            }
            Ok(())
        }
        "secret" => {
            options.check(&[], &[])?;
            // 32 random bytes as 64 hex digits, as `@better-auth/cli secret` prints.
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| format!("no randomness: {e}"))?;
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            println!("BETTER_AUTH_SECRET={hex}");
            Ok(())
        }
        "apple-secret" => apple_secret(options.rest.to_vec()),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n{USAGE}")),
    }
}

/// Applies pending migrations to the database at `url`, one progress line per migration.
#[cfg(not(target_arch = "wasm32"))]
fn migrate(url: &str) -> Result<(), String> {
    let started = std::time::Instant::now();
    let mut progress = |name: &str| eprintln!("portcullis: applying {name}");
    // The enabled plugins' tables too (PORTCULLIS_CONFIG, as the server reads it).
    let config = native::config_from_env()?;
    let (target, applied) = native::migrate_url(url, &config, &mut progress)?;
    if applied.is_empty() {
        eprintln!("portcullis: {target} is up to date");
    } else {
        eprintln!(
            "portcullis: applied {} migration(s) to {target} in {} ms",
            applied.len(),
            started.elapsed().as_millis()
        );
    }
    Ok(())
}

/// D1 is migrated by wrangler, from the `migrations/` directory named in `wrangler.toml`.
#[cfg(not(target_arch = "wasm32"))]
fn migrate_d1(remote: bool) -> Result<(), String> {
    if !std::path::Path::new("wrangler.toml").exists() {
        return Err(
            "--d1 runs wrangler, which needs wrangler.toml (with the DB binding) in the current directory"
                .to_owned(),
        );
    }
    let location = if remote { "--remote" } else { "--local" };
    eprintln!("portcullis: npx wrangler d1 migrations apply DB {location}");
    let status = std::process::Command::new("npx")
        .args(["wrangler", "d1", "migrations", "apply", "DB", location])
        .env("CI", "true")
        .status()
        .map_err(|e| format!("cannot run npx (is Node.js installed?): {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("wrangler d1 migrations apply failed ({status})"))
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn serve() -> Result<(), String> {
    let settings = Settings::from_env()?;
    let applied = native::migrate(&settings)?;
    for name in &applied {
        eprintln!("portcullis: applied migration {name}");
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
        native::database_label(&settings.database.to_string_lossy()),
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
