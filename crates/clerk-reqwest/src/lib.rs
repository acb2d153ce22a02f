//! # clerk-reqwest
//!
//! A [reqwest] transport for [`clerk_core`]: Clerk's sign-in-token calls
//! over the `reqwest::Client` your service already has, with its proxies,
//! its TLS roots and its connection pool.
//!
//! ## Why a crate of its own
//!
//! clerk-core is sans-IO: it builds requests and reads responses, and asks
//! an [`HttpTransport`](clerk_core::HttpTransport) to move them.
//! clerk-hyper is one such transport, with its own hyper client, its own
//! rustls (ring provider) and its own bundled roots. A service that already
//! runs reqwest has all of that once; adding clerk-hyper would bring a
//! second HTTP stack and a second TLS provider, configured apart from the
//! first (its proxies and private roots would not apply). This crate is the
//! thin piece between the two: it depends on clerk-core and reqwest, adds
//! no TLS or HTTP code of its own, and keeps one version of each.
//!
//! ## What it owns
//!
//! Whatever client it wraps, [`ReqwestTransport`] (and, with feature
//! `blocking`, [`ReqwestBlockingTransport`]) keeps [clerk-core's transport
//! contract](clerk_core#the-transport-contract), written once in clerk-core
//! and proven for this transport by the workspace's conformance suite:
//!
//! - **the limits** ([`clerk_core::TransportLimits`]): a deadline on each
//!   attempt, connecting to the last body byte (default 10 s, shortened to
//!   what is left of the client's whole-call deadline), set on every request
//!   it sends; a body cap (default 1 MiB) read into
//!   [`clerk_core::BodyBuffer`], checked against `Content-Length` before
//!   reading and again while reading;
//! - **the cleartext rule** ([`clerk_core::check_request`]): plain `http://`
//!   only to loopback (`localhost`, `127.0.0.0/8`, `::1`, for a local mock),
//!   anything else refused before a connection is opened (kind
//!   [`InsecureScheme`](clerk_core::TransportErrorKind::InsecureScheme)),
//!   unless [`Builder::allow_insecure_http`]. reqwest speaks `https` only
//!   over TLS;
//! - **errors that tell clerk-core what it may retry**: every failure is a
//!   [`clerk_core::SendError`] (re-exported as [`Error`], the type every
//!   adapter returns) whose kind says when reqwest reports that the request
//!   never left (it could not connect, the TLS handshake failed) and when a
//!   deadline ran out;
//! - **no secret in any error or `Debug`**: reqwest's errors are kept without
//!   their URL, nothing quotes a header or a body, and the transports' `Debug`
//!   shows their limits, not your client (whose default headers may hold
//!   credentials).
//!
//! It never retries (clerk-core does) and never logs.
//!
//! ## What your client decides
//!
//! [`ReqwestTransport::from`] takes your client as it is; its settings
//! decide:
//!
//! - **Redirects.** reqwest follows up to 10 by default. On a hop to
//!   another origin (scheme, host or port) it drops `Authorization`, so the
//!   secret key never reaches the other origin (tested in
//!   `tests/redirects.rs`); clerk-core then judges whatever the last hop
//!   answered. Clerk's API does not redirect: a client built with
//!   `redirect(Policy::none())`, as [`ReqwestTransport::new`] builds it,
//!   hands the `3xx` to clerk-core, which reports it as unexpected.
//! - **Proxies.** reqwest reads `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and
//!   `NO_PROXY` (and the lower-case forms) when the client is built, unless
//!   the client was given proxies of its own or `no_proxy()`. Tested through
//!   a loopback CONNECT and forward proxy (`tests/proxy.rs`). A proxy for
//!   plain `http` sees the key in cleartext: keep loopback in `NO_PROXY`
//!   when you point the client at a local mock.
//! - **TLS roots and versions.** With reqwest's `rustls` feature, the
//!   platform's verifier, or only the roots you give
//!   (`tls_certs_only`); a private CA is added there, not here.
//! - **Decompression.** With reqwest's `gzip`/`brotli`/`deflate`/`zstd`
//!   features on, reqwest asks for compressed answers and decodes them; the
//!   body cap applies to the decoded bytes. Without them a compressed answer
//!   reaches clerk-core as it came, which refuses it.
//! - **The deadline.** This transport's request deadline replaces a
//!   client-wide `timeout` for its requests; `request_timeout(None)` leaves
//!   your client's in charge.
//! - **reqwest's own retries.** By default reqwest resends only requests a
//!   server refused at the protocol level before processing them (HTTP/2
//!   `REFUSED_STREAM`), which is safe for a create too.
//!
//! ## Middleware
//!
//! With feature `middleware`, [`ReqwestTransport::from`] (or
//! [`Builder::build_with_middleware`]) also takes a
//! [`reqwest_middleware::ClientWithMiddleware`] (reqwest-middleware 0.5),
//! so your retry, tracing or caching middleware runs on Clerk's calls
//! too. The contract holds as over a plain client: the cleartext rule is
//! checked before any middleware sees the request, the body cap applies to
//! the answer your middleware hands back, and the attempt's deadline covers
//! all the middleware does (every resend of a retrying one included), not
//! only each request it makes. Async only: reqwest-middleware has no
//! blocking client.
#![cfg_attr(feature = "middleware", doc = "")]
#![cfg_attr(
    feature = "middleware",
    doc = "[`Builder::build_with_middleware`]: crate::Builder::build_with_middleware"
)]
#![cfg_attr(not(feature = "middleware"), doc = "")]
#![cfg_attr(
    not(feature = "middleware"),
    doc = "[`Builder::build_with_middleware`]: crate#crate-features"
)]
#![cfg_attr(
    not(feature = "middleware"),
    doc = "[`reqwest_middleware::ClientWithMiddleware`]: crate#crate-features"
)]
//!
//! - **Your middleware sees the secret key.** It is in the request's
//!   `Authorization` header, which clerk-core marks
//!   [sensitive](http::HeaderValue::set_sensitive): `{:?}` of the request
//!   or its headers prints `Sensitive` in its place (`tests/middleware.rs`
//!   logs requests the way a logging middleware does and finds no key). A
//!   middleware that reads header values on purpose (`to_str`,
//!   `as_bytes`) gets the key; do not log those. The answer it sees holds
//!   the sign-in token and its `url` in the body, both secrets.
//! - **Failures.** A reqwest error, returned as is or found inside a
//!   middleware's error, is sorted as over a plain client; a failure of the
//!   middleware's own is kind `Other`, its error kept unquoted as a
//!   [`MiddlewareError`]. "Not sent" is claimed only when this transport's
//!   own innermost middleware saw every request reqwest was handed fail
//!   before reaching the server; otherwise (a retry middleware that
//!   reports a refused connection after an earlier attempt timed out at the
//!   server) the kind becomes `Timeout` or `Other`, so clerk-core does not
//!   send a create again.
//! - **Retry middleware doubles the retries.** clerk-core already retries,
//!   with jitter, within the whole-call deadline, and never re-sends a
//!   create that may have reached Clerk. A retry middleware (such as
//!   `reqwest-retry`) under it multiplies the attempts (each of
//!   clerk-core's attempts becomes up to that many sends), spends the
//!   attempt's deadline on its own waits, and re-sends a create after a
//!   timeout, which may mint two sign-in tokens. Hand this transport a
//!   client without retry middleware, or turn clerk-core's retries off
//!   (`without_retries()`) and accept the duplicate-create risk.
#![cfg_attr(feature = "middleware", doc = "")]
#![cfg_attr(
    feature = "middleware",
    doc = "[`MiddlewareError`]: crate::MiddlewareError"
)]
#![cfg_attr(not(feature = "middleware"), doc = "")]
#![cfg_attr(
    not(feature = "middleware"),
    doc = "[`MiddlewareError`]: crate#crate-features"
)]
//!
//! ## One TLS stack
//!
//! With default features this crate turns on reqwest's `rustls` feature,
//! which is also reqwest's own default TLS (rustls on aws-lc-rs). A service
//! whose reqwest uses it gets no second TLS stack: `tests/tls_stack.rs`,
//! part of `cargo test --workspace`, resolves a stand-in for such a service
//! (`crates/clerk-reqwest/tls-check/`: reqwest 0.13 with `default-tls`,
//! `http2` and `json`) with and without this crate and compares the two
//! `cargo tree`s. The result, with the workspace's lock: this crate adds
//! `clerk-reqwest`, `clerk-core`, `thiserror`, `thiserror-impl` and
//! `serde_derive`, and no TLS, crypto or HTTP crate; the tree keeps one
//! `rustls`, one `hyper`, one `h2`, one `reqwest`, `aws-lc-rs` as its only
//! crypto provider, and has no `ring`, `native-tls`, `openssl` or
//! `clerk-hyper`.
//!
//! If your reqwest uses another TLS (`native-tls`, or `rustls-no-provider`
//! with ring), depend on this crate with `default-features = false,
//! features = ["tokio", "http2"]`: it then enables no TLS at all (the same
//! test checks its tree has no TLS or crypto crate), and your reqwest's TLS
//! features decide. Only the kinds `Tls` and `Certificate` are lost: a
//! failed handshake is then kind `Connect`.
//!
//! ## Quick start
//!
//! The one-liner: Clerk's production API over a new reqwest client with the
//! defaults above, retrying on tokio's clock, every call bound by the 30 s
//! whole-call deadline.
//!
//! ```no_run
//! use clerk_core::{CreateSignInTokenRequest, SecretKey};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = clerk_reqwest::client(SecretKey::new(std::env::var("CLERK_SECRET_KEY")?)?)?;
//! let token = client
//!     .create_sign_in_token(&CreateSignInTokenRequest::new("user_123"))
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! With your own client: `examples/reqwest_existing_client.rs` at the
//! repository root.
//!
//! ## The hostile servers
//!
//! The workspace's table of misbehaving servers (stalls, slowloris, huge
//! heads, lying lengths, resets, redirects, `Retry-After` tricks, bad
//! certificates) drives this transport too (`tests/hostile.rs`), with the
//! same expectations as clerk-hyper's, except where reqwest itself behaves
//! otherwise; the table says where, and why.
//!
//! ## Crate features
//!
//! - `tokio` (default): [`TokioTimer`] (clerk-tokio's) and [`client`].
//! - `rustls` (default): reqwest's `rustls` feature (HTTPS), and the kinds
//!   `Certificate` and `Tls` for failed handshakes.
//! - `http2` (default): reqwest's `http2` feature.
//! - `blocking`: [`ReqwestBlockingTransport`] and `blocking_client` for
//!   clerk-core's `BlockingClient` (reqwest's `blocking` feature).
//! - `middleware`: [`ReqwestTransport`] over reqwest-middleware 0.5's
//!   `ClientWithMiddleware` (see [Middleware](#middleware)), and
//!   [`MiddlewareError`]. Adds `reqwest-middleware` and its own
//!   dependencies (`anyhow`, `async-trait`, `tower-service`), no HTTP or
//!   TLS crate.
#![cfg_attr(feature = "blocking", doc = "")]
#![cfg_attr(
    feature = "blocking",
    doc = "[`ReqwestBlockingTransport`]: crate::ReqwestBlockingTransport"
)]
// Without the feature the type does not exist: the link goes to the feature list.
#![cfg_attr(not(feature = "blocking"), doc = "")]
#![cfg_attr(
    not(feature = "blocking"),
    doc = "[`ReqwestBlockingTransport`]: crate#crate-features"
)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "blocking")]
mod blocking;
mod error;
#[cfg(feature = "middleware")]
mod middleware;
mod transport;

#[cfg(feature = "blocking")]
pub use blocking::ReqwestBlockingTransport;
pub use clerk_core::SendError as Error;
#[cfg(feature = "middleware")]
pub use middleware::MiddlewareError;
pub use transport::{Builder, ReqwestTransport};

/// The `reqwest` crate this transport is built on (0.13).
pub use reqwest;

/// The `reqwest-middleware` crate whose `ClientWithMiddleware` this
/// transport accepts (0.5, feature `middleware`).
#[cfg(feature = "middleware")]
#[cfg_attr(docsrs, doc(cfg(feature = "middleware")))]
pub use reqwest_middleware;

/// clerk-tokio's [`clerk_core::Timer`] on tokio's clock (the same type as
/// `clerk_hyper::TokioTimer`), so the async client can wait between retries
/// and keep its whole-call deadline.
#[cfg(feature = "tokio")]
pub use clerk_tokio::TokioTimer;

/// The client most reqwest users want: Clerk's production API over
/// [`ReqwestTransport::new`] (no redirects, a 10 s request deadline, a 5 s
/// connect deadline, the 1 MiB body cap), retrying on [`TokioTimer`] with
/// the default [`clerk_core::RetryPolicy`], every call bound by the 30 s
/// whole-call deadline ([`clerk_core::DEFAULT_CALL_TIMEOUT`]).
///
/// Fails only when reqwest cannot build a client. For your own client or
/// other settings use [`clerk_core::Client::builder`] with [`TokioTimer`].
///
/// ```
/// let client = clerk_reqwest::client(clerk_core::SecretKey::new("sk_test_example")?)?;
/// assert_eq!(client.retry_policy(), &clerk_core::RetryPolicy::default());
/// assert_eq!(client.call_timeout(), Some(clerk_core::DEFAULT_CALL_TIMEOUT));
/// assert_eq!(client.config().base_url(), clerk_core::DEFAULT_BASE_URL);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "tokio")]
pub fn client(
    secret_key: clerk_core::SecretKey,
) -> Result<clerk_core::Client<ReqwestTransport, TokioTimer>, clerk_core::BuildError> {
    Ok(clerk_core::Client::builder(secret_key)
        .timer(TokioTimer)
        .build(ReqwestTransport::new()?)?)
}

/// The blocking one-liner: Clerk's production API over
/// [`ReqwestBlockingTransport::new`] with the same defaults as [`client`],
/// waiting between retries on the calling thread. Create, use and drop it
/// outside any async runtime.
///
/// ```
/// let client = clerk_reqwest::blocking_client(clerk_core::SecretKey::new("sk_test_example")?)?;
/// assert_eq!(client.call_timeout(), Some(clerk_core::DEFAULT_CALL_TIMEOUT));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "blocking")]
pub fn blocking_client(
    secret_key: clerk_core::SecretKey,
) -> Result<clerk_core::BlockingClient<ReqwestBlockingTransport>, clerk_core::BuildError> {
    Ok(clerk_core::Client::builder(secret_key).build_blocking(ReqwestBlockingTransport::new()?)?)
}

/// The README's examples, compiled (and run, unless `no_run`) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
