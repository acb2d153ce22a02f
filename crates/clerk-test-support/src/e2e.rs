//! What the end-to-end suites share: the key their clients send, the bound
//! on every test, and the check that an error never shows the key.

use std::future::Future;
use std::time::Duration;

use clerk_core::{Error, RetryPolicy, SecretKey};

/// The key every end-to-end client sends; tests check that it never shows
/// up in an error's text.
pub const KEY: &str = "sk_test_E2E_SECRET_do_not_print";

/// The part of [`KEY`] that gives it away.
pub const KEY_MARK: &str = "E2E_SECRET";

/// The upper bound for any single test body.
pub const TEST_DEADLINE: Duration = Duration::from_secs(15);

/// [`KEY`] as a `SecretKey`.
pub fn key() -> SecretKey {
    SecretKey::new(KEY).expect("test key")
}

/// A retry policy with the default number of retries (2) and a backoff short
/// enough for tests.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(20))
        .with_max_backoff(Duration::from_millis(100))
}

/// Runs `test` and fails it if it takes longer than [`TEST_DEADLINE`].
pub async fn bounded<F: Future>(test: F) -> F::Output {
    match tokio::time::timeout(TEST_DEADLINE, test).await {
        Ok(out) => out,
        Err(_) => panic!("test exceeded {TEST_DEADLINE:?}"),
    }
}

/// Asserts that neither the error's text, its debug form nor any of its
/// causes shows [`KEY`].
pub fn assert_no_secret<E: std::error::Error + 'static>(err: &Error<E>) {
    let mut shown = format!("{err} / {err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        shown.push_str(&format!(" / {cause} / {cause:?}"));
        source = cause.source();
    }
    assert!(!shown.contains(KEY_MARK), "the key leaked: {shown}");
}

/// Whether `id` looks like a Clerk trace id as the mock makes them: 32
/// lowercase hex digits.
pub fn is_trace_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Now, in Unix milliseconds (Clerk's timestamps).
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(since.as_millis()).expect("millis fit")
}
