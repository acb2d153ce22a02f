//! The transport contract's conformance cases, run by clerk-fetch inside a
//! JavaScript host (Node, Deno, Bun): `crates/clerk-fetch/tests/hosts/conformance.mjs`
//! loads this module, and for each case of
//! `crates/clerk-test-support/conformance/cases.json` calls `runCase` ([`run`])
//! with the case's settings and its server's URL. The judge is the Rust
//! one (`conformance matrix`), so this module only reports what happened.
//!
//! Two more exports check the host's side of the contract: `randomSeed`
//! (each module instance draws its own retry jitter) and
//! `cancelledSleeps` (a dropped retry wait leaves nothing behind).
#![forbid(unsafe_code)]

use std::time::Duration;

use clerk_core::{
    ApiResponse, Client, CreateSignInTokenRequest, Error, RetryPolicy, SecretKey, SignInToken,
    Timer,
};

#[path = "../../../clerk-test-support/conformance/outcome.rs"]
mod outcome;
use clerk_fetch::{FetchTransport, SetTimeoutTimer};
use serde::Deserialize;

/// The settings of a case, as the table writes them (the fields this
/// runner needs).
#[derive(Debug, Deserialize)]
struct Settings {
    op: String,
    request_timeout_ms: Option<u64>,
    call_timeout_ms: Option<u64>,
    max_body_bytes: usize,
    max_retries: u32,
    cancel_after_ms: Option<u64>,
    user_id_bytes: usize,
}

fn ms(value: Option<u64>) -> Option<Duration> {
    value.map(Duration::from_millis)
}

type Called = Result<ApiResponse<SignInToken>, Error<clerk_fetch::Error>>;

/// Runs one case: `settings` (the case's merged settings, as JSON) against
/// `base_url` with `key`. Answers `{ outcome, not_sent, error_text }` as
/// JSON, in the table's words.
pub async fn run(settings: &str, base_url: &str, key: &str) -> String {
    let settings: Settings = match serde_json::from_str(settings) {
        Ok(s) => s,
        Err(e) => return report("bad_settings", None, &e.to_string()),
    };
    let client = match client(&settings, base_url, key) {
        Ok(client) => client,
        Err(e) => return report("bad_settings", None, &e),
    };
    let call = async {
        match settings.op.as_str() {
            "create" => {
                let user_id = if settings.user_id_bytes == 0 {
                    "user_conformance".to_owned()
                } else {
                    "u".repeat(settings.user_id_bytes)
                };
                client
                    .create_sign_in_token_with_http_info(&CreateSignInTokenRequest::new(user_id))
                    .await
            }
            _ => {
                client
                    .revoke_sign_in_token_with_http_info("sit_conformance")
                    .await
            }
        }
    };
    let called: Option<Called> = match settings.cancel_after_ms {
        // Dropping the call's future is what is tested: it must abort the
        // fetch even with no request deadline.
        Some(after) => within(SetTimeoutTimer.sleep(Duration::from_millis(after)), call).await,
        None => Some(call.await),
    };
    match called {
        None => report("cancelled", None, ""),
        Some(called) => {
            let (outcome, not_sent, shown) = outcome::outcome(&called);
            report(&outcome, not_sent, &shown)
        }
    }
}

fn client(
    settings: &Settings,
    base_url: &str,
    key: &str,
) -> Result<Client<FetchTransport, SetTimeoutTimer>, String> {
    let transport = FetchTransport::builder()
        .request_timeout(ms(settings.request_timeout_ms))
        .max_body_bytes(settings.max_body_bytes)
        .build()
        .map_err(|e| e.to_string())?;
    Client::builder(SecretKey::new(key).map_err(|e| e.to_string())?)
        .base_url(base_url)
        .retry_policy(
            RetryPolicy::default()
                .with_max_retries(settings.max_retries)
                .with_initial_backoff(Duration::from_millis(20))
                .with_max_backoff(Duration::from_millis(100))
                .with_retry_after_jitter(Duration::from_millis(20)),
        )
        .call_timeout(ms(settings.call_timeout_ms))
        .timer(SetTimeoutTimer)
        .build(transport)
        .map_err(|e| e.to_string())
}

fn report(outcome: &str, not_sent: Option<bool>, error_text: &str) -> String {
    serde_json::json!({ "outcome": outcome, "not_sent": not_sent, "error_text": error_text })
        .to_string()
}

/// `fut`, unless `deadline` completes first (`None`: `fut` is dropped).
async fn within<F: std::future::Future>(
    deadline: impl std::future::Future<Output = ()>,
    fut: F,
) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let mut deadline = std::pin::pin!(deadline);
    std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(out) = fut.as_mut().poll(cx) {
            return std::task::Poll::Ready(Some(out));
        }
        deadline.as_mut().poll(cx).map(|()| None)
    })
    .await
}

/// The exports, for JavaScript.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod exports {
    use std::time::Duration;

    use clerk_core::Timer;
    use clerk_fetch::SetTimeoutTimer;
    use wasm_bindgen::prelude::*;

    /// Runs one case; see [`super::run`].
    #[wasm_bindgen(js_name = runCase)]
    pub async fn run_case(settings: String, base_url: String, key: String) -> String {
        super::run(&settings, &base_url, &key).await
    }

    /// The seed this module instance's timer draws for the retry jitter, as
    /// hexadecimal: two instances must differ.
    #[wasm_bindgen(js_name = randomSeed)]
    pub fn random_seed() -> String {
        format!("{:016x}", SetTimeoutTimer.random_seed())
    }

    /// Starts `count` one-hour sleeps and drops each after its first poll
    /// (a retry wait cut short), then lets the host's queue run. A dropped
    /// sleep must leave nothing behind: the caller measures the module's
    /// memory around it.
    #[wasm_bindgen(js_name = cancelledSleeps)]
    pub async fn cancelled_sleeps(count: u32) {
        let noop = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(noop);
        for _ in 0..count {
            let mut sleep = std::pin::pin!(SetTimeoutTimer.sleep(Duration::from_secs(3600)));
            let _ = sleep.as_mut().poll(&mut cx);
        }
        // The settled promises' callbacks run on the microtask queue.
        SetTimeoutTimer.sleep(Duration::from_millis(10)).await;
    }
}
