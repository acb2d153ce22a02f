//! Create a sign-in token, then revoke it, over real HTTP.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! Without `CLERK_SECRET_KEY` this starts the embedded mock Clerk
//! (`clerk-mock`) on `127.0.0.1` and talks to it through `HyperTransport`,
//! exactly as it would talk to Clerk. With `CLERK_SECRET_KEY` and
//! `CLERK_USER_ID` set, it does the same against Clerk's Backend API
//! (`https://api.clerk.com/v1`, or `CLERK_API_URL` when set).
//!
//! The secret key is never printed, and neither is a real token's url: it
//! signs the user in.

use std::process::ExitCode;
use std::time::Duration;

use clerk_core::{Client, CreateSignInTokenRequest, DEFAULT_BASE_URL, SecretKey, SignInToken};
use clerk_hyper::{HyperTransport, TokioTimer};
use clerk_mock::{MockClerk, MockServer};

/// The user the demo signs in when it runs against the mock.
const DEMO_USER: &str = "user_quickstart_demo";
/// A key the mock accepts; it authorizes nothing anywhere else.
const DEMO_KEY: &str = "sk_test_quickstart_local_mock";
/// Tokens minted by this example expire after ten minutes (they are revoked
/// at once anyway).
const EXPIRES_IN: Duration = Duration::from_secs(600);

/// Where the requests go.
enum Target {
    Mock(MockServer),
    Clerk { base_url: String },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("quickstart failed: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let (target, secret_key, user_id) = choose_target().await?;
    let base_url = match &target {
        Target::Mock(server) => server.base_url(),
        Target::Clerk { base_url } => base_url.clone(),
    };

    let client = Client::builder(secret_key)
        .base_url(&base_url)
        .timer(TokioTimer) // lets the client wait between retries
        .build(HyperTransport::new())
        .map_err(|e| {
            format!("the client could not be configured: {e}. Check CLERK_API_URL if you set it.")
        })?;

    println!("Creating a sign-in token for {user_id} at {base_url} ...");
    let request = CreateSignInTokenRequest::new(&user_id).expires_in(EXPIRES_IN);
    let created = client
        .create_sign_in_token(&request)
        .await
        .map_err(|e| explain("creating the sign-in token", &base_url, &e))?;
    print_token("created", &created);
    match (&target, &created.url) {
        (Target::Mock(_), Some(url)) => println!(
            "  url (local mock, signs nobody in anywhere): {}",
            url.expose_secret()
        ),
        (Target::Clerk { .. }, Some(_)) => println!(
            "  url: present, not printed (it signs {user_id} in; a real app hands it to them)"
        ),
        (_, None) => println!("  url: none"),
    }

    println!("Revoking {} ...", created.id);
    let revoked = client
        .revoke_sign_in_token(&created.id)
        .await
        .map_err(|e| explain("revoking the sign-in token", &base_url, &e))?;
    match revoked.sign_in_token() {
        Some(token) => {
            print_token("revoked", token);
            println!(
                "  token: {}, url: {}",
                if token.token.is_some() {
                    "still present"
                } else {
                    "gone"
                },
                if token.url.is_some() {
                    "still present"
                } else {
                    "none"
                }
            );
        }
        // The first attempt's answer was lost and the retry found the token
        // already revoked: the call did what it was for.
        None => println!(
            "  revoked: {} (by an earlier attempt whose answer was lost)",
            revoked.sign_in_token_id()
        ),
    }

    if let Target::Mock(server) = target {
        println!(
            "The mock served {} requests; start over with CLERK_SECRET_KEY and CLERK_USER_ID set to use Clerk.",
            server.request_count()
        );
        server.shutdown().await;
    }
    Ok(())
}

/// Clerk when `CLERK_SECRET_KEY` is set (and not empty), the embedded mock
/// otherwise.
async fn choose_target() -> Result<(Target, SecretKey, String), String> {
    let key = std::env::var_os("CLERK_SECRET_KEY").filter(|k| !k.is_empty());
    if key.is_none() {
        if std::env::var_os("CLERK_USER_ID").is_some() {
            println!("CLERK_USER_ID is ignored without CLERK_SECRET_KEY.");
        }
        let server = MockClerk::builder()
            .build()
            .start()
            .await
            .map_err(|e| format!("the local mock Clerk could not start on 127.0.0.1: {e}."))?;
        println!(
            "CLERK_SECRET_KEY is not set: using a local mock Clerk at {}.",
            server.base_url()
        );
        let secret_key =
            SecretKey::new(DEMO_KEY).map_err(|e| format!("the demo key was refused: {e}."))?;
        return Ok((Target::Mock(server), secret_key, DEMO_USER.to_owned()));
    }

    // `from_env` reads the variable again and checks its shape; its errors
    // never quote the key.
    let secret_key = SecretKey::from_env().map_err(|e| {
        format!("CLERK_SECRET_KEY is not usable: {e}. Copy the key again from the API keys page of the Clerk dashboard.")
    })?;
    let user_id = match std::env::var("CLERK_USER_ID") {
        Ok(id) if !id.trim().is_empty() => id.trim().to_owned(),
        _ => {
            return Err("CLERK_SECRET_KEY is set, so this example talks to Clerk, and then it needs \
                 CLERK_USER_ID: the id (user_...) of an existing user of that instance to mint a \
                 sign-in token for. Set it, or unset CLERK_SECRET_KEY to run against the local mock."
                .to_owned());
        }
    };
    let base_url = std::env::var("CLERK_API_URL")
        .ok()
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
    println!(
        "Using Clerk at {base_url} with a {} key.",
        match secret_key.environment_prefix() {
            "sk_live_" => "production (sk_live_)",
            "sk_test_" => "development (sk_test_)",
            _ => "non-standard",
        }
    );
    Ok((Target::Clerk { base_url }, secret_key, user_id))
}

fn print_token(label: &str, token: &SignInToken) {
    println!("  {label}: {}", token.id);
    println!("  status: {}", token.status);
    println!("  user_id: {}", token.user_id);
    println!(
        "  created_at: {} ({})",
        token.created_at.as_millis(),
        utc(token.created_at.as_millis())
    );
    println!(
        "  updated_at: {} ({})",
        token.updated_at.as_millis(),
        utc(token.updated_at.as_millis())
    );
}

/// One paragraph: what failed, Clerk's answer, and what to check.
fn explain<E>(what: &str, base_url: &str, err: &clerk_core::Error<E>) -> String
where
    E: std::error::Error + 'static,
{
    let mut message = format!("{what} failed: {err}");
    // The transport's own causes (refused, TLS, DNS); they never hold secrets.
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    let hint = match err.status().map(|s| s.as_u16()) {
        Some(401 | 403) => {
            " Check CLERK_SECRET_KEY: it must be a secret key (sk_...) of the instance you mean."
        }
        Some(404) => {
            " Check CLERK_USER_ID: it must be the id of an existing user of this instance."
        }
        Some(422) => " Clerk refused a parameter; see the message above.",
        Some(429) => " Clerk is rate limiting this key; wait a little and run it again.",
        Some(_) => " Clerk's answer above says why; quote the trace id to Clerk's support.",
        None if err.is_timeout() => " The server did not answer in time; try again.",
        None => " Check that the address is reachable from this machine.",
    };
    message.push('.');
    message.push_str(hint);
    message.push_str(&format!(" (API: {base_url})"));
    message
}

/// Milliseconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn utc(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let ms = millis.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_date(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01, counting in
/// 400-year eras (146 097 days each) that start on 1 March.
fn civil_date(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468; // days since 0000-03-01
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
