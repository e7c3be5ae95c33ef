//! Runs the `SignInCount` example plugin (`plugin.rs`) in process: sign up, sign in twice, read
//! the count.
//!
//!   cargo run --example sign_in_count

#[path = "../../tests/common/mod.rs"]
mod common;
mod plugin;

use common::InProcess;
use plugin::SignInCount;

fn main() {
    let server = InProcess::with_plugins(None, |auth| auth.with_plugin(SignInCount));
    let up = server.sign_up("counted@example.com");
    println!("sign-up: {}", up.body);
    let body = r#"{"email":"counted@example.com","password":"password123"}"#;
    server.post_json("/sign-in/email", None, body);
    let signed_in = server.post_json("/sign-in/email", None, body);
    let count = server.get("/sign-in-count", Some(&signed_in.cookie_header()));
    println!("GET /sign-in-count: {} {}", count.status, count.body);
}
