//! The transport contract's conformance cases, run by clerk-wasi inside a
//! WASI host: `crates/clerk-wasi/tests/hosts/conformance.py` runs this
//! `wasi:cli` command in wasmtime once per case of
//! `crates/clerk-test-support/conformance/cases.json`,
//! with the case's settings in `CASE_SETTINGS` (JSON), its server's base URL
//! in `CASE_URL` and the key in `CASE_KEY`. It prints one JSON line,
//! `{ outcome, not_sent, error_text }`, in the table's words; the judge is
//! `conformance matrix`.
//!
//! Build: `cargo build -p clerk-wasi-conformance --target wasm32-wasip2 --release`.

#[cfg(all(target_os = "wasi", target_env = "p2"))]
fn main() {
    println!("{}", run::case());
}

#[cfg(not(all(target_os = "wasi", target_env = "p2")))]
fn main() {
    eprintln!("conformance is a WASI 0.2 component: build it with --target wasm32-wasip2");
    std::process::exit(2);
}

#[cfg(all(target_os = "wasi", target_env = "p2"))]
#[path = "../../../clerk-test-support/conformance/outcome.rs"]
mod outcome;

#[cfg(all(target_os = "wasi", target_env = "p2"))]
mod run {
    use std::time::Duration;

    use clerk_core::{Client, CreateSignInTokenRequest, RetryPolicy, SecretKey};
    use clerk_wasi::{WasiTimer, WasiTransport};
    use serde::Deserialize;

    /// The fields of a case's settings this runner needs.
    #[derive(Deserialize)]
    struct Settings {
        op: String,
        request_timeout_ms: Option<u64>,
        connect_timeout_ms: Option<u64>,
        call_timeout_ms: Option<u64>,
        max_body_bytes: usize,
        max_retries: u32,
        user_id_bytes: usize,
    }

    fn ms(value: Option<u64>) -> Option<Duration> {
        value.map(Duration::from_millis)
    }

    fn report(outcome: &str, not_sent: Option<bool>, error_text: &str) -> String {
        serde_json::json!({ "outcome": outcome, "not_sent": not_sent, "error_text": error_text })
            .to_string()
    }

    pub(crate) fn case() -> String {
        let env = |name: &str| std::env::var(name).unwrap_or_default();
        let settings: Settings = match serde_json::from_str(&env("CASE_SETTINGS")) {
            Ok(s) => s,
            Err(e) => return report("bad_settings", None, &e.to_string()),
        };
        let client = WasiTransport::builder()
            .request_timeout(ms(settings.request_timeout_ms))
            .connect_timeout(ms(settings.connect_timeout_ms))
            .max_body_bytes(settings.max_body_bytes)
            .build()
            .map_err(|e| e.to_string())
            .and_then(|transport| {
                Client::builder(SecretKey::new(env("CASE_KEY")).map_err(|e| e.to_string())?)
                    .base_url(env("CASE_URL"))
                    .retry_policy(
                        RetryPolicy::default()
                            .with_max_retries(settings.max_retries)
                            .with_initial_backoff(Duration::from_millis(20))
                            .with_max_backoff(Duration::from_millis(100))
                            .with_retry_after_jitter(Duration::from_millis(20)),
                    )
                    .call_timeout(ms(settings.call_timeout_ms))
                    .build_blocking(transport)
                    .map_err(|e| e.to_string())
            });
        let client = match client {
            Ok(client) => client.with_timer(WasiTimer),
            Err(e) => return report("bad_settings", None, &e),
        };
        let called = match settings.op.as_str() {
            "create" => {
                let user_id = if settings.user_id_bytes == 0 {
                    "user_conformance".to_owned()
                } else {
                    "u".repeat(settings.user_id_bytes)
                };
                client.create_sign_in_token_with_http_info(&CreateSignInTokenRequest::new(user_id))
            }
            _ => client.revoke_sign_in_token_with_http_info("sit_conformance"),
        };
        let (outcome, not_sent, shown) = crate::outcome::outcome(&called);
        report(&outcome, not_sent, &shown)
    }
}
