//! # clerk-core
//!
//! A sans-IO client for the two sign-in-token operations of Clerk's Backend
//! API: [create](Client::create_sign_in_token) (`POST /sign_in_tokens`) and
//! [revoke](Client::revoke_sign_in_token)
//! (`POST /sign_in_tokens/{sign_in_token_id}/revoke`).
//!
//! It builds [`http::Request`]s and reads [`http::Response`]s; it never opens
//! a socket and brings no runtime. Bring any transport: hyper through the
//! `clerk-hyper` crate, your own HTTP stack, a closure, or a browser `fetch`
//! in WebAssembly.
//!
//! ## Sans-IO in a dozen lines
//!
//! ```
//! use clerk_core::{request, response, Config, CreateSignInTokenRequest, SecretKey};
//!
//! let config = Config::new(SecretKey::new("sk_test_x")?);
//! let http_request = request::create_sign_in_token(&config, &CreateSignInTokenRequest::new("user_1"))?;
//! // ... send `http_request` any way you like, collect the response ...
//! # let _ = http_request;
//! let http_response = http::Response::builder()
//!     .status(200)
//!     .body(r#"{"object":"sign_in_token","id":"sit_1","status":"pending","user_id":"user_1",
//!              "token":"eyJ.x.y","url":null,"created_at":1638000669544,"updated_at":1638000669544}"#)?;
//! let token = response::sign_in_token(&http_response)?;
//! assert_eq!(token.id, "sit_1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## With a client
//!
//! [`Client`] chains request, transport, response and retry. It is generic
//! over an [`HttpTransport`] (async, no `Send` bound) and a [`Timer`] that paces
//! retries; [`BlockingClient`] does the same over a [`BlockingHttpTransport`].
//! See the [`transport`](HttpTransport) docs for what a transport owns.
//!
//! ## The transport contract
//!
//! What every transport keeps, written here once; each adapter crate
//! (clerk-hyper, clerk-reqwest, clerk-fetch, clerk-wasi) keeps it with its
//! own stack's means and declares no limit, rule or table of its own:
//!
//! - **The limits** ([`TransportLimits`]): a connect deadline
//!   ([`DEFAULT_CONNECT_TIMEOUT`], 5 s), a deadline on each attempt
//!   ([`DEFAULT_REQUEST_TIMEOUT`], 10 s), a body cap
//!   ([`DEFAULT_MAX_BODY_BYTES`], 1 MiB) read into a [`BodyBuffer`].
//! - **The whole-call deadline** ([`ClientBuilder::call_timeout`],
//!   [`DEFAULT_CALL_TIMEOUT`], 30 s): the client hands each attempt what is
//!   left of it ([`HttpTransport::send_within`]; a transport shortens its
//!   attempt deadline with [`TransportLimits::attempt_timeout`]), does not
//!   start a wait that would outlast it, and reports an attempt cut short as
//!   [`Error::CallTimeout`].
//! - **The cleartext rule** ([`check_request`], [`Destination::check_stream`]):
//!   plain `http` only to a loopback host unless `allow_insecure_http(true)`,
//!   and `https` only over a stream that is TLS, both checked before a byte
//!   is written.
//! - **What a failure means** ([`TransportErrorKind`]): one table says which
//!   kinds were not sent, which are timeouts and which are permanent; every
//!   adapter returns a [`SendError`] whose kind it picked.
//! - **The platform's clock and entropy** ([`Timer::now`],
//!   [`Timer::random_seed`]): the whole-call deadline reads the clock, and
//!   the retry jitter is seeded from the entropy, so that clients that failed
//!   together do not come back together; a `Retry-After` gets a random extra
//!   too ([`RetryPolicy::with_retry_after_jitter`]).
//!
//! The workspace's conformance suite (one table of cases,
//! `crates/clerk-test-support/conformance/cases.json`) proves it for every
//! transport, in Rust, inside Node, Deno and Bun, and inside wasmtime.
//!
//! ## Secrets
//!
//! The secret key ([`SecretKey`]), the sign-in token and its url
//! ([`SecretString`]) never appear in any `Debug` or `Display` output, nor in
//! any error. Text the server sends is redacted before an error keeps it.
//!
//! ## Crate features
//!
//! - `test-util`: `test_util::MockTransport`, a recording, replaying
//!   transport for your own tests.
//! - `tracing` (off by default; builds for `wasm32-unknown-unknown` too): the
//!   clients report to [`tracing`](https://docs.rs/tracing), under
//!   OpenTelemetry's HTTP client names where one exists and `clerk.` names
//!   otherwise, so a `tracing-opentelemetry` pipeline shows each call as an
//!   HTTP client span. Each call is one span `clerk.call` (target
//!   `clerk_core`, level INFO) with `otel.name` (`POST /sign_in_tokens`,
//!   `POST /sign_in_tokens/{sign_in_token_id}/revoke`), `otel.kind`
//!   (`client`), `http.request.method`, `url.template` (the path below the
//!   base URL), `clerk.operation`, `clerk.attempts`,
//!   `http.response.status_code`, on failure `error.type` (the status code
//!   of an error answer, else a [`TransportErrorKind`] label or
//!   `call_timeout`, `unexpected_response`, `decode_error`,
//!   `invalid_input`) and `otel.status_code` (`error`), `clerk.error_code`,
//!   `clerk.trace_id`, `clerk.duration_ms` (not on
//!   `wasm32-unknown-unknown`, which has no clock) and `clerk.outcome`; each
//!   retry is one event `retrying` in that span with
//!   `http.request.resend_count` (1 for the first retry), the failed
//!   attempt's `error.type` and `http.response.status_code` (when there was
//!   an answer), `clerk.retry_reason` (`rate_limited`, `server_error`,
//!   `request_timeout`, `status`, `timeout`, `not_sent`,
//!   `connection_lost`) and `clerk.wait_ms`. Nothing else is recorded:
//!   never the secret key, the token, its url, the base URL (so no
//!   `url.full` or `server.address`) or a body. The transport's own events
//!   nest inside the call's span.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod body;
mod client;
mod config;
mod destination;
mod error;
mod failure_kind;
mod limits;
mod loopback;
mod model;
mod redact;
mod retry;
mod secret;
mod send_error;
mod timer;
mod trace;
mod transport;

pub mod request;
pub mod response;
#[cfg(feature = "test-util")]
pub mod test_util;

pub use body::BodyBuffer;
pub use client::{BlockingClient, Client, ClientBuilder, TimerUnset};
pub use config::{CLERK_API_VERSION, Config, ConfigBuilder, DEFAULT_API_VERSION, DEFAULT_BASE_URL};
pub use destination::{Destination, check_request};
pub use error::{
    ApiError, BuildError, CallTimeout, ClerkError, DecodeError, Error, InvalidInput, RetryAfter,
    TransportFailure, UnexpectedResponse,
};
pub use failure_kind::TransportErrorKind;
pub use limits::{
    DEFAULT_CALL_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUEST_TIMEOUT,
    TransportLimits,
};
pub use loopback::is_loopback_host;
pub use model::{
    ApiResponse, CreateSignInTokenRequest, Revocation, SignInToken, SignInTokenStatus, UnixMillis,
};
pub use response::CLERK_TRACE_ID;
pub use retry::{Operation, RetryDecision, RetryPolicy};
pub use secret::{SECRET_KEY_ENV, SecretKey, SecretKeyError, SecretString};
pub use send_error::{ErrorSource, LocalSendError, SendError, error_chain};
pub use timer::{BlockingTimer, NoTimer, ThreadSleep, Timer, race_deadline};
pub use transport::{
    BlockingHttpTransport, BlockingTransportFn, BoxedResponseFuture, BoxedSendResponseFuture,
    DynHttpTransport, HttpRequest, HttpResponse, HttpTransport, SendBoxed, SendBoxer,
    SendDynHttpTransport, TransportError, TransportFn, blocking_transport_fn, transport_fn,
};

pub use bytes;
pub use http;

/// The README's examples, compiled (and run, unless `no_run`) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
