//! clerk-hyper with its `tracing` feature, over loopback sockets, under
//! `tracing_subscriber::fmt` at TRACE with every span event printed (so each
//! span's fields appear as the subscriber formats them). Every row of the
//! hostile table runs under it (each echoes the key back in headers, trace
//! id and body, and carries the sentinel token and url), and so does a
//! retried success. No secret may reach the output; the call's span, the
//! retry events and the per-attempt event must.
#![cfg(feature = "tracing")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clerk_core::{Client, CreateSignInTokenRequest, SecretKey};
use clerk_hyper::{HyperTransport, TokioTimer};
use clerk_test_support::e2e::quick_retries;
use clerk_test_support::hostile::cases::{self, BODY_CAP, Case, Op, REVOKE_ID, USER_ID};
use clerk_test_support::hostile::server::{Server, echo_and, whole};
use clerk_test_support::log_capture::LogCapture;
use clerk_test_support::sentinel;
use tracing_subscriber::fmt::format::FmtSpan;

/// Prints everything, from every crate, at every level, into `output`, for
/// this thread until the guard drops.
fn install(output: &LogCapture) -> tracing::subscriber::DefaultGuard {
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(output.clone())
        .finish();
    tracing::subscriber::set_default(subscriber)
}

fn key() -> SecretKey {
    SecretKey::new(sentinel::KEY).unwrap()
}

fn assert_clean(text: &str) {
    let leaked = sentinel::leaked(text);
    assert!(leaked.is_empty(), "{leaked:?} reached tracing:\n{text}");
}

/// How many `clerk.call` spans closed (the subscriber prints each close).
fn closed_calls(text: &str) -> usize {
    text.lines()
        .filter(|l| l.contains(" clerk.call{") && l.contains(": clerk_core: close"))
        .count()
}

#[tokio::test]
async fn a_retried_success_over_http_is_traced_without_secrets() {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&seen);
    let server = Server::plain(move |conn, request| {
        let reply = if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            let body = sentinel::clerk_error_json("too_many_requests", &request.authorization);
            let headers = echo_and(
                request,
                &[("Content-Type", "application/json"), ("Retry-After", "0")],
            );
            whole("429 Too Many Requests", &headers, body.as_bytes())
        } else {
            let body = sentinel::pending_token_json();
            let headers = [
                ("Content-Type", "application/json"),
                ("Clerk-Trace-Id", "trace-ok-1"),
            ];
            whole("200 OK", &headers, body.as_bytes())
        };
        conn.send(&reply);
    });
    let client = Client::builder(key())
        .base_url(server.base_url())
        .retry_policy(quick_retries())
        .timer(TokioTimer)
        .build(HyperTransport::new())
        .unwrap();

    let output = LogCapture::default();
    let guard = install(&output);
    let token = client
        .create_sign_in_token(&CreateSignInTokenRequest::new(USER_ID))
        .await
        .expect("the second attempt succeeds");
    drop(guard);
    assert_eq!(token.id, "sit_sentinel");
    assert_eq!(seen.load(Ordering::SeqCst), 2);

    let text = output.text();
    assert_clean(&text);
    assert_eq!(closed_calls(&text), 1, "{text}");
    for expected in [
        "clerk.call{otel.name=\"POST /sign_in_tokens\" otel.kind=\"client\" \
         http.request.method=\"POST\" url.template=\"/sign_in_tokens\" \
         clerk.operation=\"create_sign_in_token\"",
        "answered network.protocol.version=\"1.1\" http.response.status_code=429",
        "answered network.protocol.version=\"1.1\" http.response.status_code=200",
        "retrying http.request.resend_count=1 error.type=\"429\" \
         http.response.status_code=429 clerk.retry_reason=\"rate_limited\"",
        "clerk.attempts=2",
        "clerk.trace_id=\"trace-ok-1\"",
        "clerk.outcome=\"ok\"",
        "clerk.duration_ms=",
    ] {
        assert!(text.contains(expected), "`{expected}` missing:\n{text}");
    }
}

async fn run(case: Case) -> String {
    let hostile = case.start();
    let mut transport = HyperTransport::builder()
        .request_timeout(case.timeout)
        .connect_timeout(case.timeout)
        .max_body_bytes(BODY_CAP);
    if let Some(root) = &hostile.trust {
        transport = transport
            .tls_built_in_roots(false)
            .add_root_certificate(root.clone());
    }
    let client = Client::builder(key())
        .base_url(hostile.base_url())
        .retry_policy(quick_retries())
        .timer(TokioTimer)
        .build(transport.build().unwrap())
        .unwrap();
    let bound = case.max_elapsed + Duration::from_secs(3);
    let call = async {
        match case.op {
            Op::Create => client
                .create_sign_in_token(&CreateSignInTokenRequest::new(USER_ID))
                .await
                .map(drop),
            Op::Revoke => client.revoke_sign_in_token(REVOKE_ID).await.map(drop),
        }
    };
    let outcome = tokio::time::timeout(bound, call)
        .await
        .unwrap_or_else(|_| panic!("{}: hung", case.name));
    format!(
        "{}: {}",
        case.name,
        if outcome.is_ok() { "ok" } else { "error" }
    )
}

#[tokio::test]
async fn no_hostile_case_puts_a_secret_into_tracing() {
    let output = LogCapture::default();
    let guard = install(&output);
    // One thread (the test's runtime), so every task reports to `output`;
    // the cases run side by side.
    let mut calls = tokio::task::JoinSet::new();
    for case in cases::ALL {
        calls.spawn(run(case()));
    }
    let mut ran = Vec::new();
    while let Some(done) = calls.join_next().await {
        ran.push(done.expect("a case panicked"));
    }
    drop(guard);
    assert_eq!(ran.len(), cases::ALL.len());

    let text = output.text();
    assert_clean(&text);
    assert_eq!(
        closed_calls(&text),
        cases::ALL.len(),
        "one span per call:\n{text}"
    );
    for expected in [
        "clerk.outcome=\"api_error\"",
        "clerk.outcome=\"timeout\"",
        "clerk.outcome=\"transport_error\"",
        "clerk.outcome=\"unexpected_response\"",
        "otel.status_code=\"error\"",
        "error.type=\"timeout\"",
        "retrying http.request.resend_count=1",
        "answered network.protocol.version=",
        "http.response.status_code=",
    ] {
        assert!(text.contains(expected), "`{expected}` missing:\n{text}");
    }
}
