//! An axum 0.8 route that signs an operator in as a user: `GET
//! /login-as/{user_id}` mints a sign-in token and answers `303 See Other`
//! with the token's url in `Location`.
//!
//! ```sh
//! cargo run --example axum_handler
//! ```
//!
//! The client lives in the router's state, shared by every request on a
//! multi-threaded runtime: axum demands `Send` futures from handlers, and the
//! client's futures are `Send` because `HyperTransport`'s and `TokioTimer`'s
//! are. The example starts the mock Clerk, serves the route on
//! `127.0.0.1:0`, calls it with a hyper-util client, prints what came back,
//! and exits.
//!
//! **Put such a route behind your own admin authentication**: whoever can
//! call it can sign in as any user. This example has none.

use std::process::ExitCode;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use clerk_core::{Client, CreateSignInTokenRequest, Error, SecretKey};
use clerk_hyper::{HyperTransport, TokioTimer};
use clerk_mock::MockClerk;
use http_body_util::Empty;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;

/// The client every request shares; cloning it is cheap (the transport's
/// connection pool is shared, not copied).
type Clerk = Client<HyperTransport, TokioTimer>;

#[derive(Clone)]
struct AppState {
    clerk: Clerk,
}

/// How long a minted link stays valid: long enough to click, no longer.
const LINK_LIFETIME_SECS: u64 = 120;

async fn login_as(State(state): State<AppState>, Path(user_id): Path<String>) -> Response {
    let request = CreateSignInTokenRequest::new(user_id).expires_in_seconds(LINK_LIFETIME_SECS);
    let token = match state.clerk.create_sign_in_token(&request).await {
        Ok(token) => token,
        Err(err) => return failure(&err),
    };
    // The url signs the user in: it goes to the browser, never to a log.
    let location = token
        .url
        .as_ref()
        .and_then(|url| HeaderValue::from_str(url.expose_secret()).ok());
    match location {
        Some(mut location) => {
            location.set_sensitive(true);
            (
                StatusCode::SEE_OTHER,
                [
                    (header::LOCATION, location),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                    (
                        header::REFERRER_POLICY,
                        HeaderValue::from_static("no-referrer"),
                    ),
                ],
            )
                .into_response()
        }
        None => {
            eprintln!(
                "login-as: Clerk returned token {} without a usable url",
                token.id
            );
            (
                StatusCode::BAD_GATEWAY,
                "the sign-in service sent no link\n",
            )
                .into_response()
        }
    }
}

/// Maps a client error to this service's answer. The body says only what the
/// caller needs; the details (never a secret: clerk-core redacts them) go to
/// the server's log with Clerk's trace id.
fn failure(err: &Error<clerk_hyper::Error>) -> Response {
    // Clerk's errors end with "(trace id ...)" when Clerk sent one.
    eprintln!("login-as: {err}");
    match err {
        // Clerk answers 404 `resource_not_found` for an unknown user id.
        Error::Api(api) if api.status() == StatusCode::NOT_FOUND => {
            (StatusCode::NOT_FOUND, "no such user\n").into_response()
        }
        // Refused locally before any request: the caller's input.
        Error::InvalidInput(_) => (StatusCode::BAD_REQUEST, "invalid user id\n").into_response(),
        // Bad key, rate limit, outage, timeout: not the caller's fault.
        _ => (
            StatusCode::BAD_GATEWAY,
            "the sign-in service is unavailable\n",
        )
            .into_response(),
    }
}

fn app(clerk: Clerk) -> Router {
    Router::new()
        .route("/login-as/{user_id}", get(login_as))
        .with_state(AppState { clerk })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("axum_handler failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockClerk::builder()
        .users(["user_alice"])
        .build()
        .start()
        .await?;
    let clerk = Client::builder(SecretKey::new("sk_test_axum_example")?)
        .base_url(mock.base_url())
        .timer(TokioTimer)
        .build(
            HyperTransport::builder()
                .request_timeout(Duration::from_secs(5))
                .build()?,
        )?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app(clerk))
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await
    });
    println!(
        "serving GET /login-as/{{user_id}} on http://{addr} (mock Clerk at {})",
        mock.base_url()
    );

    let http = HttpClient::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let mut outcome = Ok(());
    for (user, expected) in [
        ("user_alice", StatusCode::SEE_OTHER),
        ("user_nobody", StatusCode::NOT_FOUND),
    ] {
        let uri: http::Uri = format!("http://{addr}/login-as/{user}").parse()?;
        let response = tokio::time::timeout(Duration::from_secs(10), http.get(uri))
            .await
            .map_err(|_| "the route did not answer within 10 s")??;
        let status = response.status();
        let location = response.headers().get(header::LOCATION);
        println!(
            "GET /login-as/{user} -> {status}; Location {}",
            match location {
                // Its value signs the user in: show that it is there, not what it is.
                Some(value) => format!("set ({} bytes, not printed)", value.len()),
                None => "not set".to_owned(),
            }
        );
        if status != expected || (expected == StatusCode::SEE_OTHER) != location.is_some() {
            outcome = Err(format!("expected {expected} for {user}, got {status}"));
        }
    }
    let tokens = mock.tokens();
    println!(
        "the mock now holds {} token(s), {} of them for user_alice",
        tokens.len(),
        tokens.iter().filter(|t| t.user_id == "user_alice").count()
    );

    drop(http);
    let _ = stop_tx.send(());
    server.await??;
    mock.shutdown().await;
    outcome.map_err(Into::into)
}
