//! Mint a sign-in token from a WASI 0.2 component, then revoke it.
//!
//! ```text
//! cargo build -p clerk-wasi --example create_and_revoke --target wasm32-wasip2 --release
//! CLERK_SECRET_KEY=sk_test_... wasmtime run -S http --env CLERK_SECRET_KEY \
//!     target/wasm32-wasip2/release/examples/create_and_revoke.wasm user_123
//! ```
//!
//! `CLERK_API_URL` points it elsewhere (a mock: `http://127.0.0.1:PORT/v1`).
//! Any WASI 0.2 host with `wasi:http` runs it: wasmtime, or Node after
//! `jco transpile`. It prints the token's id and status, never the token or
//! its url, which are secrets.

#[cfg(all(target_os = "wasi", target_env = "p2"))]
fn main() {
    // Errors are printed with `Display` and the exit status set here:
    // returning `Box<dyn Error>` from `main` would print their `Debug` form,
    // which brings every error type's `Debug` (and the formatting it needs)
    // into the component for a message no one reads.
    if let Err(message) = run() {
        eprintln!("create_and_revoke: {message}");
        std::process::exit(1);
    }
}

#[cfg(all(target_os = "wasi", target_env = "p2"))]
fn run() -> Result<(), String> {
    use clerk_core::{Client, CreateSignInTokenRequest, SecretKey};

    let user_id = std::env::args()
        .nth(1)
        .ok_or("usage: create_and_revoke USER_ID")?;
    let mut builder = Client::builder(SecretKey::from_env().map_err(text)?);
    if let Ok(url) = std::env::var("CLERK_API_URL") {
        builder = builder.base_url(url);
    }
    // The WASI transport, the monotonic-clock timer and the default retries.
    let client = clerk_wasi::blocking_client_with(builder).map_err(text)?;

    let token = client
        .create_sign_in_token(&CreateSignInTokenRequest::new(user_id))
        .map_err(report)?;
    println!("created {} ({})", token.id, token.status.as_str());
    let revoked = client.revoke_sign_in_token(&token.id).map_err(report)?;
    println!(
        "revoked {} ({})",
        revoked.sign_in_token_id(),
        revoked.status()
    );
    Ok(())
}

/// A call's error; for a transport failure, what the transport said follows
/// (clerk-core keeps it as the error's `source`, out of its own message).
#[cfg(all(target_os = "wasi", target_env = "p2"))]
fn report(error: clerk_core::Error<clerk_wasi::Error>) -> String {
    match &error {
        clerk_core::Error::Transport(failure) => format!("{error}: {}", failure.get_ref()),
        _ => error.to_string(),
    }
}

#[cfg(all(target_os = "wasi", target_env = "p2"))]
fn text(error: impl std::fmt::Display) -> String {
    error.to_string()
}

#[cfg(not(all(target_os = "wasi", target_env = "p2")))]
fn main() {
    eprintln!("create_and_revoke is a WASI 0.2 component: build it with --target wasm32-wasip2");
    std::process::exit(2);
}
