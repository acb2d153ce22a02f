//! Hostile servers on loopback against two in-process clients:
//!
//! - `async_client::*`: clerk-core's async `Client` over clerk-hyper's
//!   `HyperTransport`, retrying on the tokio timer;
//! - `blocking_client::*`: the `BlockingClient` over [`blocking::StdTransport`],
//!   a std-only HTTP/1.1 transport written for this suite.
//!
//! One test per row of the table in
//! `crates/clerk-cli/tests/support_hostile/cases.rs` (the CLI runs the same
//! rows in `crates/clerk-cli/tests/hostile_cli.rs`). Each test checks the
//! typed error (or success), how many connections and requests the server
//! saw (retries stop at the policy's limit; a create that may have arrived
//! is not resent), that a redirect target saw nothing, that the whole call
//! stayed within its bound, and that nothing the error shows holds the key,
//! the token or the url. Each call runs under a hard deadline.

#[path = "../crates/clerk-cli/tests/support_hostile/mod.rs"]
mod support_hostile;

#[path = "hostile/blocking.rs"]
mod blocking;

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use clerk_core::{
    ApiResponse, BlockingClient, Client, CreateSignInTokenRequest, Error, RetryPolicy, SecretKey,
    SignInToken,
};
use clerk_hyper::{HyperTransport, TokioTimer};

use blocking::{StdError, StdTransport};
use support_hostile::cases::{self, BODY_CAP, Case, Hostile, Op, REVOKE_ID, USER_ID};
use support_hostile::outcome::{self, Expect, Outcome};
use support_hostile::sentinel::{self, KEY};

/// What a call returned, whatever the client.
type Called<E> = Result<ApiResponse<SignInToken>, Error<E>>;

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
    use clerk_hyper::Error as H;
    let error = match called {
        Ok(_) => return Outcome::Success,
        Err(error) => error,
    };
    if let Some(outcome) = outcome::of_response_error(error) {
        return outcome;
    }
    let Error::Transport(failure) = error else {
        return Outcome::Other(format!("{error:?}"));
    };
    match failure.get_ref() {
        H::Timeout { .. } => Outcome::Timeout,
        H::BodyTooLarge { .. } => Outcome::BodyTooLarge,
        H::Protocol { .. } => Outcome::Protocol,
        H::Io { .. } => Outcome::Io,
        H::Connect { .. } => Outcome::Connect,
        tls @ H::Tls { .. } => Outcome::Tls(outcome::cert_problem(tls)),
        other => Outcome::Other(other.kind_str().to_owned()),
    }
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
    judge(
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
    let error = match called {
        Ok(_) => return Outcome::Success,
        Err(error) => error,
    };
    if let Some(outcome) = outcome::of_response_error(error) {
        return outcome;
    }
    let Error::Transport(failure) = error else {
        return Outcome::Other(format!("{error:?}"));
    };
    match failure.get_ref() {
        StdError::Timeout | StdError::ConnectTimeout => Outcome::Timeout,
        StdError::BodyTooLarge { .. } => Outcome::BodyTooLarge,
        StdError::Protocol(_) => Outcome::Protocol,
        StdError::Io(_) => Outcome::Io,
        StdError::Connect(_) => Outcome::Connect,
        tls @ StdError::Tls(_) => Outcome::Tls(outcome::cert_problem(tls)),
        StdError::Refused(why) => Outcome::Other(format!("refused: {why}")),
    }
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
    judge(
        &case,
        "blocking",
        case.blocking_expect,
        &outcome,
        elapsed,
        &hostile,
        &called,
    );
}

// ----- one judgement for both -------------------------------------------------

/// Checks everything a case states, and reports every mismatch at once.
fn judge<E: std::error::Error + 'static>(
    case: &Case,
    client: &str,
    expect: Expect,
    outcome: &Outcome,
    elapsed: Duration,
    hostile: &Hostile,
    called: &Called<E>,
) {
    let shown = match called {
        Ok(response) => format!("{:?} / {}", response.data, response.data.status),
        Err(error) => outcome::everything_shown(error),
    };
    let server = &hostile.server;
    // Visible with --nocapture: the row as this client lived it.
    eprintln!(
        "{client:>8} | {:<24} | {outcome:?} | {elapsed:?} | {} conn, {} req",
        case.name,
        server.connections(),
        server.requests()
    );
    let mut problems = Vec::new();
    if !expect.matches(outcome) {
        problems.push(format!("expected {expect}, got {outcome:?}: {shown}"));
    }
    if elapsed > case.max_elapsed {
        problems.push(format!(
            "took {elapsed:?}, over the bound of {:?}",
            case.max_elapsed
        ));
    }
    if server.connections() != case.connections {
        problems.push(format!(
            "the server saw {} connections, expected {}",
            server.connections(),
            case.connections
        ));
    }
    if server.requests() != case.requests {
        problems.push(format!(
            "the server read {} requests, expected {}",
            server.requests(),
            case.requests
        ));
    }
    let bearer = format!("Bearer {KEY}");
    if server.authorizations().iter().any(|a| *a != bearer) {
        problems.push("a request did not carry the key in Authorization".to_owned());
    }
    if let Some(bystander) = &hostile.bystander {
        let reached = bystander.connections();
        if reached != 0 {
            problems.push(format!(
                "the redirect target saw {reached} connection(s): the redirect was followed"
            ));
        }
    }
    if let Ok(response) = called {
        let token = response.data.token.as_ref().map(|t| t.expose_secret());
        if case.op == Op::Create && token != Some(sentinel::TOKEN) {
            problems.push("the token that came back is not the server's".to_owned());
        }
    }
    let leaked = sentinel::leaked(&shown);
    if !leaked.is_empty() {
        problems.push(format!(
            "what the result shows holds the {leaked:?}: {shown}"
        ));
    }
    assert!(
        problems.is_empty(),
        "{client} client, case {} ({}):\n  - {}",
        case.name,
        case.what,
        problems.join("\n  - ")
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

async_cases! {
    silent,
    status_then_stall,
    slowloris,
    ten_thousand_headers,
    one_mib_header,
    endless_chunked,
    content_length_over_cap,
    content_length_shorter,
    content_length_longer,
    invalid_chunk_framing,
    reset_mid_body,
    empty_200,
    lone_brace_200,
    wrong_shape_200,
    bom_200,
    html_200,
    gzip_200,
    redirect_301,
    redirect_307,
    redirect_308,
    retry_after_one_day,
    retry_after_far_date,
    retry_after_negative,
    retry_after_garbage,
    storm_503_revoke,
    storm_503_create,
    storm_502_html_revoke,
    tls_wrong_name,
    tls_expired,
    tls_self_signed,
    tls_valid,
}

blocking_cases! {
    silent,
    status_then_stall,
    slowloris,
    ten_thousand_headers,
    one_mib_header,
    endless_chunked,
    content_length_over_cap,
    content_length_shorter,
    content_length_longer,
    invalid_chunk_framing,
    reset_mid_body,
    empty_200,
    lone_brace_200,
    wrong_shape_200,
    bom_200,
    html_200,
    gzip_200,
    redirect_301,
    redirect_307,
    redirect_308,
    retry_after_one_day,
    retry_after_far_date,
    retry_after_negative,
    retry_after_garbage,
    storm_503_revoke,
    storm_503_create,
    storm_502_html_revoke,
    tls_wrong_name,
    tls_expired,
    tls_self_signed,
    tls_valid,
}

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
