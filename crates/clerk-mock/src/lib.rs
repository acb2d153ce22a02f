//! An in-memory, stateful mock of Clerk's Backend API for sign-in tokens.
//!
//! It serves the two operations of the subset over HTTP/1.1 and HTTP/2
//! (cleartext, prior knowledge) on loopback:
//!
//! - `POST /v1/sign_in_tokens` — create a token for a user
//!   (`{"user_id", "org_id"?, "expires_in_seconds"?}`);
//! - `POST /v1/sign_in_tokens/{id}/revoke` — revoke a pending token.
//!
//! It is an independent implementation of the API (it shares no code with the
//! client), so it can catch client bugs: it checks the `Authorization: Bearer
//! sk_...` header, validates bodies the way Clerk does, keeps token state
//! behind a mutex, limits each secret key's request rate and answers every
//! failure with a Clerk-shaped error body and a `Clerk-Trace-Id` header.
//! Tests can inject delays, failures and dropped connections at runtime and
//! inspect or change the stored tokens.
//!
//! Timestamps are Unix milliseconds. Tokens expire after 30 days unless
//! `expires_in_seconds` says otherwise.
//!
//! # Errors it answers with
//!
//! | status | `code` | when |
//! | --- | --- | --- |
//! | 400 | `request_body_invalid` | create body is not a JSON object |
//! | 400 | `sign_in_token_cannot_be_revoked_code` | revoking a token that is accepted, revoked or expired |
//! | 401 | `authorization_header_missing` | no `Authorization` header |
//! | 401 | `authorization_invalid` | not `Bearer sk_test_…`/`sk_live_…`, or not a configured key |
//! | 404 | `resource_not_found` | unknown path, unknown token id, unknown user |
//! | 405 | `method_not_allowed` | a method other than `POST` on a known path |
//! | 413 | `request_body_too_large` | create body over 64 KiB |
//! | 422 | `form_param_missing` | `user_id` absent, null or blank |
//! | 422 | `form_param_value_invalid` | `user_id`/`org_id` not a string, `expires_in_seconds` not an integer ≥ 1 |
//! | 429 | `too_many_requests` | over the rate limit (with `Retry-After`) |
//!
//! Requests are checked in this order: injected failure, route (404), method
//! (405), authorization (401), rate limit (429), body (400/413/422), user
//! (404).
//!
//! # Choices where the spec is silent
//!
//! - Bad or missing keys get **401** (what Clerk sends), although the spec
//!   lists the `AuthorizationInvalid` response under 403.
//! - All invalid create parameters are reported at once, one entry each in
//!   `errors`. An empty body counts as `{}`. A `user_id` that is not a string
//!   is `form_param_value_invalid`; absent, null or blank is `form_param_missing`.
//! - An **expired** token keeps the status `pending` (the API has no
//!   `expired` status) but cannot be revoked: revoke answers `400
//!   sign_in_token_cannot_be_revoked_code` with "Sign in token cannot be
//!   revoked because its status is expired. Only pending tokens can be
//!   revoked."
//! - Revoking bumps `updated_at` to now, and at least 1 ms past its previous
//!   value; the revoked token omits `token` and sends `url: null`.
//! - Memory is bounded: the mock keeps at most
//!   [`max_tokens`](MockClerkBuilder::max_tokens) tokens (default
//!   [`DEFAULT_MAX_TOKENS`]) and forgets a token once it has been expired for
//!   [`expired_retention`](MockClerkBuilder::expired_retention) (default 10
//!   minutes). When full, creating a token forgets the oldest one, so the
//!   newest can always be revoked; a forgotten token is `404`.
//! - Rate limits use fixed windows per secret key; requests rejected by
//!   routing or auth do not count against the limit.
//!
//! # Example
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use std::time::Duration;
//! use clerk_mock::MockClerk;
//! use http::StatusCode;
//!
//! let server = MockClerk::builder()
//!     .users(["user_alice"])
//!     .rate_limit(10, Duration::from_secs(1))
//!     .build()
//!     .start()
//!     .await?;
//! let base_url = server.base_url(); // "http://127.0.0.1:<port>/v1": give it to the client
//! assert!(base_url.starts_with("http://127.0.0.1:"));
//!
//! server.fail_next(1, StatusCode::SERVICE_UNAVAILABLE); // the next request gets a 503
//! server.set_delay(Duration::from_millis(5)); // every response is late
//! // ... run the client against `base_url` ...
//! assert_eq!(server.request_count(), 0);
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod admin;
mod body;
mod config;
mod cors;
mod error;
mod faults;
#[doc(hidden)]
pub mod fuzzing;
mod handler;
mod ids;
mod journal;
mod ratelimit;
mod server;
mod store;

pub use config::{
    DEFAULT_ACCOUNTS_URL, DEFAULT_EXPIRED_RETENTION, DEFAULT_MAX_TOKENS,
    DEFAULT_REQUEST_LOG_CAPACITY, MockClerk, MockClerkBuilder,
};
pub use faults::{Failure, RequestCounts};
pub use ratelimit::RateLimit;
pub use server::{MockServer, serve_until};
pub use store::{SignInTokenSnapshot, TokenStatus};

/// Default lifetime of a sign-in token in seconds (30 days).
pub const DEFAULT_EXPIRES_IN_SECONDS: u64 = handler::DEFAULT_EXPIRES_IN_SECONDS;

/// Starts a mock with the default configuration on `127.0.0.1:0`, on the
/// current tokio runtime.
///
/// # Panics
///
/// If no loopback port can be bound (use [`MockClerk::start`] to handle that
/// as an error).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let server = clerk_mock::start().await;
/// assert!(server.base_url().ends_with("/v1"));
/// # }
/// ```
pub async fn start() -> MockServer {
    match MockClerk::default().start().await {
        Ok(server) => server,
        Err(e) => panic!("clerk-mock: cannot bind 127.0.0.1:0: {e}"),
    }
}

/// The README's Rust example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
