//! A service that already has a configured `reqwest::Client` uses it for
//! Clerk too: one pool, one TLS stack, one set of proxy settings.
//!
//! ```sh
//! cargo run --example reqwest_existing_client
//! ```
//!
//! Without `CLERK_SECRET_KEY` this starts the embedded mock Clerk
//! (`clerk-mock`) on `127.0.0.1` and talks to it over HTTP, exactly as it
//! would talk to Clerk. With `CLERK_SECRET_KEY` and `CLERK_USER_ID` set, it
//! does the same against Clerk's Backend API (`https://api.clerk.com/v1`, or
//! `CLERK_API_URL` when set).
//!
//! The secret key is never printed, and neither is the token or its url:
//! they sign the user in.

use std::process::ExitCode;
use std::time::Duration;

use clerk_core::{Client, CreateSignInTokenRequest, DEFAULT_BASE_URL, SecretKey};
use clerk_mock::{MockClerk, MockServer};
use clerk_reqwest::reqwest;
use clerk_reqwest::{ReqwestTransport, TokioTimer};

/// The user the demo signs in when it runs against the mock.
const DEMO_USER: &str = "user_reqwest_demo";
/// A key the mock accepts; it authorizes nothing anywhere else.
const DEMO_KEY: &str = "sk_test_reqwest_local_mock";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("reqwest_existing_client failed: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The client the service already has, set up for its own calls: its user
/// agent, its deadlines, and (from `HTTPS_PROXY`/`NO_PROXY`) its proxies.
/// Clerk's API does not redirect, so this one follows none either.
fn existing_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .user_agent("acme-accounts/3.1")
        .connect_timeout(Duration::from_secs(3))
        .pool_idle_timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("the reqwest client could not be built: {e}"))
}

async fn run() -> Result<(), String> {
    let http = existing_client()?;

    let (mock, base_url, secret_key, user_id) = match std::env::var("CLERK_SECRET_KEY") {
        Ok(key) => {
            let user_id = std::env::var("CLERK_USER_ID")
                .map_err(|_| "set CLERK_USER_ID to the user to sign in".to_owned())?;
            let base_url =
                std::env::var("CLERK_API_URL").unwrap_or_else(|_| DEFAULT_BASE_URL.to_owned());
            let key = SecretKey::new(key).map_err(|e| format!("CLERK_SECRET_KEY: {e}"))?;
            (None, base_url, key, user_id)
        }
        Err(_) => {
            let mock = start_mock().await?;
            let base_url = mock.base_url();
            let key = SecretKey::new(DEMO_KEY).map_err(|e| e.to_string())?;
            (Some(mock), base_url, key, DEMO_USER.to_owned())
        }
    };
    match &mock {
        Some(_) => println!("talking to the local mock Clerk at {base_url}"),
        None => println!("talking to Clerk at {base_url}"),
    }

    // The service's client, shared: clones of a reqwest client share its
    // pool. The transport adds a deadline per call and a body cap.
    let transport = ReqwestTransport::builder()
        .request_timeout(Duration::from_secs(5))
        .build_with(http.clone());
    let clerk = Client::builder(secret_key)
        .base_url(&base_url)
        .timer(TokioTimer) // lets the client wait between retries
        .build(transport)
        .map_err(|e| format!("the client could not be configured: {e}"))?;

    let created = clerk
        .create_sign_in_token(&CreateSignInTokenRequest::new(&user_id).expires_in_seconds(600))
        .await
        .map_err(|e| format!("create failed: {e}"))?;
    println!(
        "created {} for {} ({:?}); its url signs the user in and is not printed",
        created.id, created.user_id, created.status
    );

    let revoked = clerk
        .revoke_sign_in_token(&created.id)
        .await
        .map_err(|e| format!("revoke failed: {e}"))?;
    println!(
        "revoked {} ({:?})",
        revoked.sign_in_token_id(),
        revoked.status()
    );

    if let Some(mock) = mock {
        let stored = mock
            .token(&created.id)
            .ok_or("the mock does not know the token")?;
        println!("the mock holds {} as {:?}", stored.id, stored.status);
    }
    Ok(())
}

async fn start_mock() -> Result<MockServer, String> {
    MockClerk::builder()
        .secret_keys([DEMO_KEY])
        .users([DEMO_USER])
        .build()
        .start()
        .await
        .map_err(|e| format!("the mock Clerk could not start: {e}"))
}
