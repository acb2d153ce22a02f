//! Helpers shared by the end-to-end tests. Every server binds 127.0.0.1:0.
#![allow(dead_code)] // each test crate uses its own subset

use std::future::Future;
use std::time::Duration;

use clerk_core::{Client, Error, RetryPolicy, SecretKey};
use clerk_hyper::{HyperTransport, TokioTimer};

/// The key every test client sends; tests check that it never shows up in
/// an error's text.
pub const KEY: &str = "sk_test_E2E_SECRET_do_not_print";

/// The upper bound for any single test body.
pub const TEST_DEADLINE: Duration = Duration::from_secs(15);

pub fn key() -> SecretKey {
    SecretKey::new(KEY).expect("test key")
}

/// A transport with short deadlines, so that a broken test fails in seconds.
pub fn fast_transport() -> clerk_hyper::Builder {
    HyperTransport::builder()
        .request_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(2))
}

/// A retry policy whose backoff is short enough for tests.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(20))
        .with_max_backoff(Duration::from_millis(100))
}

/// The async client over `HyperTransport`, retrying on the tokio timer.
pub fn client(base_url: &str, transport: HyperTransport) -> Client<HyperTransport, TokioTimer> {
    Client::builder(key())
        .base_url(base_url)
        .retry_policy(quick_retries())
        .timer(TokioTimer)
        .build(transport)
        .expect("client")
}

/// Runs `test` and fails it if it takes longer than [`TEST_DEADLINE`].
pub async fn bounded<F: Future>(test: F) -> F::Output {
    match tokio::time::timeout(TEST_DEADLINE, test).await {
        Ok(out) => out,
        Err(_) => panic!("test exceeded {TEST_DEADLINE:?}"),
    }
}

/// Neither the error's text, its debug form nor any of its causes shows the
/// secret key.
pub fn assert_no_secret<E: std::error::Error + 'static>(err: &Error<E>) {
    let mut shown = format!("{err} / {err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        shown.push_str(&format!(" / {cause} / {cause:?}"));
        source = cause.source();
    }
    assert!(!shown.contains("E2E_SECRET"), "the key leaked: {shown}");
}

/// A Clerk trace id as the mock makes them: 32 lowercase hex digits.
pub fn is_trace_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(since.as_millis()).expect("millis fit")
}
