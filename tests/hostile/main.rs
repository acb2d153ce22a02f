//! Hostile servers on loopback against two in-process clients:
//!
//! - `async_client::*`: clerk-core's async `Client` over clerk-hyper's
//!   `HyperTransport`, retrying on the tokio timer;
//! - `blocking_client::*`: the `BlockingClient` over [`blocking::StdTransport`],
//!   a std-only HTTP/1.1 transport written for this suite.
//!
//! One test per row of the table in
//! `clerk_test_support::hostile::cases` (the CLI runs the same
//! rows in `crates/clerk-cli/tests/hostile_cli.rs`). Each test checks the
//! typed error (or success), how many connections and requests the server
//! saw (retries stop at the policy's limit; a create that may have arrived
//! is not resent), that a redirect target saw nothing, that the whole call
//! stayed within its bound, and that nothing the error shows holds the key,
//! the token or the url. Each call runs under a hard deadline.

mod blocking;

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use clerk_core::{BlockingClient, Client, CreateSignInTokenRequest, RetryPolicy, SecretKey};
use clerk_hyper::{HyperTransport, TokioTimer};

use blocking::{StdError, StdTransport};
use clerk_test_support::hostile::cases::{self, BODY_CAP, Case, Hostile, Op, REVOKE_ID, USER_ID};
use clerk_test_support::hostile::outcome::{self, Outcome};
use clerk_test_support::hostile::{self, Called};
use clerk_test_support::sentinel::{self, KEY};

/// Retries as the default policy makes them (2), with a backoff short
/// enough for tests.
fn quick_policy() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(20))
        .with_max_backoff(Duration::from_millis(100))
}

fn key() -> SecretKey {
    SecretKey::new(KEY).expect("the sentinel key is well formed")
}

/// Past the case's own bound: the call hung.
fn hard_deadline(case: &Case) -> Duration {
    case.max_elapsed + Duration::from_secs(3)
}

// ----- the async client -------------------------------------------------------

fn async_client(case: &Case, hostile: &Hostile) -> Client<HyperTransport, TokioTimer> {
    let mut transport = HyperTransport::builder()
        .request_timeout(case.timeout)
        .connect_timeout(case.timeout)
        .max_body_bytes(BODY_CAP);
    if let Some(root) = &hostile.trust {
        transport = transport
            .tls_built_in_roots(false)
            .add_root_certificate(root.clone());
    }
    Client::builder(key())
        .base_url(hostile.base_url())
        .retry_policy(quick_policy())
        .timer(TokioTimer)
        .build(transport.build().expect("transport"))
        .expect("client")
}

fn classify_async(called: &Called<clerk_hyper::Error>) -> Outcome {
    outcome::classify(called, outcome::of_send_error)
}

async fn run_async(case: Case) {
    let hostile = case.start();
    let client = async_client(&case, &hostile);
    let started = Instant::now();
    let call = async {
        match case.op {
            Op::Create => {
                client
                    .create_sign_in_token_with_http_info(&CreateSignInTokenRequest::new(USER_ID))
                    .await
            }
            Op::Revoke => client.revoke_sign_in_token_with_http_info(REVOKE_ID).await,
        }
    };
    let called = tokio::time::timeout(hard_deadline(&case), call)
        .await
        .unwrap_or_else(|_| panic!("{}: the async client hung past its deadline", case.name));
    let elapsed = started.elapsed();
    let outcome = classify_async(&called);
    hostile::judge(
        &case,
        "async",
        case.async_expect,
        &outcome,
        elapsed,
        &hostile,
        &called,
    );
}

// ----- the blocking client ----------------------------------------------------

fn classify_blocking(called: &Called<StdError>) -> Outcome {
    outcome::classify(called, |error| match error {
        StdError::Timeout | StdError::ConnectTimeout => Outcome::Timeout,
        StdError::BodyTooLarge { .. } => Outcome::BodyTooLarge,
        StdError::Protocol(_) => Outcome::Protocol,
        StdError::Io(_) => Outcome::Io,
        StdError::Connect(_) => Outcome::Connect,
        tls @ StdError::Tls(_) => Outcome::Tls(outcome::cert_problem(tls)),
        StdError::Refused(why) => Outcome::Other(format!("refused: {why}")),
    })
}

fn run_blocking(case: Case) {
    let hostile = case.start();
    let client: BlockingClient<StdTransport> = Client::builder(key())
        .base_url(hostile.base_url())
        .retry_policy(quick_policy())
        .build_blocking(StdTransport::new(
            case.timeout,
            BODY_CAP,
            hostile.trust.as_ref(),
        ))
        .expect("client");
    let op = case.op;
    let (done, result) = mpsc::channel();
    let started = Instant::now();
    // The call runs on its own thread so that a hang fails the test instead
    // of stalling it.
    thread::spawn(move || {
        let called = match op {
            Op::Create => {
                client.create_sign_in_token_with_http_info(&CreateSignInTokenRequest::new(USER_ID))
            }
            Op::Revoke => client.revoke_sign_in_token_with_http_info(REVOKE_ID),
        };
        let _ = done.send(called);
    });
    let called = result
        .recv_timeout(hard_deadline(&case))
        .unwrap_or_else(|_| panic!("{}: the blocking client hung past its deadline", case.name));
    let elapsed = started.elapsed();
    let outcome = classify_blocking(&called);
    hostile::judge(
        &case,
        "blocking",
        case.blocking_expect,
        &outcome,
        elapsed,
        &hostile,
        &called,
    );
}

// ----- the tests: one per row, per client --------------------------------------

macro_rules! async_cases {
    ($($(#[$attr:meta])* $name:ident),* $(,)?) => {
        mod async_client {
            use super::*;
            /// The rows this module covers.
            pub const COVERED: &[&str] = &[$(stringify!($name)),*];
            $(
                $(#[$attr])*
                #[tokio::test]
                async fn $name() {
                    run_async(cases::$name()).await;
                }
            )*
        }
    };
}

macro_rules! blocking_cases {
    ($($(#[$attr:meta])* $name:ident),* $(,)?) => {
        mod blocking_client {
            use super::*;
            /// The rows this module covers.
            pub const COVERED: &[&str] = &[$(stringify!($name)),*];
            $(
                $(#[$attr])*
                #[test]
                fn $name() {
                    run_blocking(cases::$name());
                }
            )*
        }
    };
}

clerk_test_support::with_hostile_cases!(async_cases);

clerk_test_support::with_hostile_cases!(blocking_cases);

#[test]
fn every_row_of_the_table_runs_for_both_clients() {
    let table = cases::names();
    assert_eq!(async_client::COVERED, table.as_slice());
    assert_eq!(blocking_client::COVERED, table.as_slice());
}

/// A server may echo `Authorization` in its response headers (debugging
/// proxies and echo endpoints do; `bom_200` does). The `ApiResponse` of a
/// successful call keeps the headers, and printing it with `{:?}` (as a
/// service's debug log would) must not print the key.
#[tokio::test]
async fn an_echoed_authorization_header_stays_out_of_api_response_debug() {
    let case = cases::bom_200();
    let hostile = case.start();
    let client = async_client(&case, &hostile);
    let response = client
        .create_sign_in_token_with_http_info(&CreateSignInTokenRequest::new(USER_ID))
        .await
        .expect("bom_200 succeeds");
    let shown = format!("{response:?}");
    assert!(!sentinel::has_key(&shown), "{shown}");
}

#[test]
fn the_far_retry_after_date_is_one_clerk_core_reads() {
    // Otherwise the far-date row would only test the garbage path again.
    let parsed = clerk_core::RetryAfter::parse("Fri, 31 Dec 9999 23:59:59 GMT");
    assert!(
        matches!(parsed, Some(clerk_core::RetryAfter::At(_))),
        "{parsed:?}"
    );
}

#[test]
fn the_gzip_body_is_a_real_gzip_stream() {
    // Stored-block gzip of "hi": header, one final stored block, CRC, size.
    let gz = cases::gzip_stored(b"hi");
    assert_eq!(&gz[..3], &[0x1f, 0x8b, 8]);
    assert_eq!(&gz[10..15], &[1, 2, 0, 0xfd, 0xff]);
    assert_eq!(&gz[15..17], b"hi");
    // CRC-32 of "hi" is 0xd8932aac.
    assert_eq!(&gz[17..21], &0xd893_2aacu32.to_le_bytes());
    assert_eq!(&gz[21..], &2u32.to_le_bytes());
}
