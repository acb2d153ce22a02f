//! # clerk-fetch
//!
//! A transport for [`clerk_core`] over the JavaScript host's global `fetch`,
//! for Rust compiled to `wasm32-unknown-unknown` and run by a JavaScript
//! host: Cloudflare Workers (workerd), Node 18 and later, Deno, Bun, and
//! browser web workers.
//!
//! ```
//! use clerk_core::{CreateSignInTokenRequest, SecretKey};
//!
//! async fn sign_in_url(secret_key: SecretKey, user_id: &str) -> Result<String, Box<dyn std::error::Error>> {
//!     let client = clerk_fetch::client(secret_key)?; // fetch, setTimeout, retries, deadline, body cap
//!     let token = client
//!         .create_sign_in_token(&CreateSignInTokenRequest::new(user_id))
//!         .await?;
//!     Ok(token.url.map(|url| url.expose_secret().to_owned()).unwrap_or_default())
//! }
//! # let _ = sign_in_url;
//! ```
//!
//! ## What it owns
//!
//! clerk-core knows Clerk: paths, headers, JSON, status codes, retries. This
//! crate knows the host:
//!
//! - **`fetch`**, looked up on `globalThis` at each call (never on `window`,
//!   which Workers and Node lack) and called with the global object as
//!   `this`, which workerd insists on.
//! - **[clerk-core's transport contract](clerk_core#the-transport-contract)**,
//!   kept with the host's means (it is written once in clerk-core, and the
//!   workspace's conformance suite runs its cases in Node, Deno and Bun): a deadline on each attempt
//!   ([`Builder::request_timeout`], 10 s by default, or what is left of the
//!   client's whole-call deadline): an `AbortSignal` aborts the request,
//!   body included (kind `Timeout`). Every request in flight has an
//!   `AbortController` of its own (one that served an earlier request and
//!   never aborted is used again: making one is dear in some hosts), so
//!   dropping the future aborts it too; one timer, armed for the earliest
//!   deadline, watches every request in flight. A body cap, 1 MiB by default
//!   ([`Builder::max_body_bytes`]), read into [`clerk_core::BodyBuffer`],
//!   checked against `Content-Length` and again while the body streams in.
//!   The cleartext rule ([`clerk_core::check_request`]): plain `http://` only
//!   to loopback, unless [`Builder::allow_insecure_http`]; the host speaks
//!   `https` over TLS.
//! - **No redirects**: `redirect: "manual"`, so `Authorization` is never
//!   replayed to another origin.
//! - **The browser-window refusal**: a secret key must not sit in a web page.
//!   Where `window` and `document` both exist, [`FetchTransport`] refuses
//!   (kind `Refused`) before sending, unless it was built with
//!   [`Builder::dangerously_allow_browser_window`]. Workers, web workers and
//!   server runtimes need no opt-in.
//! - **[`SetTimeoutTimer`]**, a [`clerk_core::Timer`] over `setTimeout`, so
//!   retries with backoff and `Retry-After` work in WebAssembly; it is the
//!   client's clock (`performance.now()`) and entropy
//!   (`crypto.getRandomValues`) too.
//! - **Errors**: clerk-core's [`SendError`](clerk_core::SendError) (re-exported
//!   as [`Error`], every adapter's error type), keeping the JavaScript error's
//!   own words (`TypeError: fetch failed (connect ECONNREFUSED ...)`) with any
//!   copy of the secret key scrubbed out, and a kind that says whether the
//!   request can have left (Node's `ECONNREFUSED`, Bun's
//!   `ConnectionRefused` and Deno's "tcp connect error" say it did not).
//!
//! It never retries on its own (clerk-core does), never logs, and its errors
//! never quote headers or bodies.
//!
//! ## Why a crate of its own
//!
//! It is the only part of the project that depends on `wasm-bindgen`,
//! `js-sys` and `web-sys`, and the only one that runs inside a JavaScript
//! engine. clerk-core stays sans-IO and free of them, and users of
//! clerk-hyper or clerk-reqwest never compile them. Its promises (the
//! browser refusal, `this` for `fetch`, aborting through `AbortSignal`) are
//! about JavaScript hosts and are tested in them: Node, Deno, Bun, workerd
//! and headless Chromium, against the project's mock Clerk
//! (`tests/run-hosts.sh`).
//!
//! Its JavaScript half is one small class in a wasm-bindgen snippet
//! (`snippets/clerk-fetch-*/inline0.js` next to the glue): it calls `fetch`
//! and hands the answer over in a few crossings (status, the headers as one
//! string, a body that fits the cap read whole), so a call costs a handful
//! of host calls instead of one per header, promise and body chunk. Which
//! answers are refused and the body cap stay in Rust. A bundler or
//! wrangler picks the snippet up with the glue; a hand-written workerd
//! config lists it as a module.
//!
//! ## Settings and a mock server
//!
//! ```
//! use std::time::Duration;
//! use clerk_core::{Client, SecretKey};
//! use clerk_fetch::{FetchTransport, SetTimeoutTimer};
//!
//! let transport = FetchTransport::builder()
//!     .request_timeout(Duration::from_secs(5))
//!     .max_body_bytes(64 * 1024)
//!     .build()?;
//! let client = Client::builder(SecretKey::new("sk_test_example")?)
//!     .base_url("http://127.0.0.1:8080/v1") // `clerk-sign-in-tokens mock-server`
//!     .timer(SetTimeoutTimer)
//!     .build(transport)?;
//! assert_eq!(client.config().base_url(), "http://127.0.0.1:8080/v1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## In a browser
//!
//! A browser reaches another origin only if it answers CORS:
//! `clerk-sign-in-tokens mock-server --cors <origin>` does, Clerk's API does
//! not expect to be called from browsers. Response headers a server does not
//! expose (`Access-Control-Expose-Headers`) are invisible to `fetch`, and a
//! redirect comes back as an error of kind `Protocol` ("opaqueredirect").
//!
//! ## Other targets
//!
//! The crate builds everywhere so a workspace can check and document it, but
//! JavaScript exists only on `wasm32-unknown-unknown`: elsewhere
//! [`FetchTransport`] answers kind `Refused` ("no fetch to call") and
//! [`SetTimeoutTimer`] cannot sleep. For WASI hosts use `clerk-wasi`, for native code
//! `clerk-hyper` or `clerk-reqwest`.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod error;
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod js;
mod policy;
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod settle;
mod timer;
mod transport;

pub use clerk_core::SendError as Error;
pub use timer::SetTimeoutTimer;
pub use transport::{Builder, FetchTransport};

pub use clerk_core;
pub use clerk_core::{bytes, http};

use clerk_core::{BuildError, Client, SecretKey};

/// The one-line setup: a client for `https://api.clerk.com/v1` over
/// [`FetchTransport::new`] (10 s deadline per attempt, 1 MiB body cap,
/// refused in a browser window) with [`SetTimeoutTimer`], so it retries with
/// backoff (jittered from the host's entropy) as clerk-core's default policy
/// says, every call bound by the 30 s whole-call deadline
/// ([`clerk_core::DEFAULT_CALL_TIMEOUT`]).
///
/// ```
/// let client = clerk_fetch::client(clerk_core::SecretKey::new("sk_test_example")?)?;
/// assert_eq!(client.config().base_url(), clerk_core::DEFAULT_BASE_URL);
/// // Two retries inside a JavaScript host; none in a native build, where
/// // `setTimeout` does not exist and the timer cannot wait.
/// let expected = if cfg!(target_arch = "wasm32") { 2 } else { 0 };
/// assert_eq!(client.retry_policy().max_retries(), expected);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn client(
    secret_key: SecretKey,
) -> Result<Client<FetchTransport, SetTimeoutTimer>, BuildError> {
    Ok(Client::builder(secret_key)
        .timer(SetTimeoutTimer)
        .build(FetchTransport::new())?)
}

/// The README's examples, compiled (and run, unless `no_run`) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
