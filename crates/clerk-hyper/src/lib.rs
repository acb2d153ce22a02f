//! # clerk-hyper
//!
//! A [hyper] 1 transport for [`clerk_core`]: it moves the requests that
//! clerk-core builds for Clerk's Backend API (`https://api.clerk.com/v1`) and
//! hands back whole responses.
//!
//! ## Why a crate of its own
//!
//! clerk-core is sans-IO and owns no runtime; this crate is the one that
//! depends on hyper, hyper-util, rustls and tokio. A service that already
//! runs reqwest uses clerk-reqwest instead, a JavaScript host clerk-fetch, a
//! WASI component clerk-wasi: each moves bytes with one stack and speaks the
//! same vocabulary (`Builder`, `request_timeout`, `connect_timeout`,
//! `max_body_bytes`, `allow_insecure_http`, `client(key)`, one error type).
//!
//! clerk-core knows Clerk (paths, headers, JSON, status codes, retries);
//! this crate knows the network. [`HyperTransport`] owns:
//!
//! - **TLS**: rustls with the *ring* provider and Mozilla's roots bundled
//!   (`webpki-roots`), so HTTPS works with nothing installed on the machine.
//!   Add a private CA with [`Builder::add_root_certificates_pem`] (or
//!   [`Builder::add_root_certificate`] for DER), trust the operating system's
//!   store with the `native-roots` feature, or pass a whole
//!   [`rustls::ClientConfig`] with [`Builder::tls_config`].
//! - **Proxies**: `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`
//!   (and their lower-case forms) are honoured by default, through
//!   hyper-util's proxy matcher and `CONNECT` tunnel; turn that off or give a
//!   proxy explicitly with [`Builder::proxy`] and [`ProxyConfig`]. `https`
//!   stays end-to-end TLS through the tunnel; plain `http` is forwarded only
//!   to a loopback origin, so the key never crosses a plain-HTTP proxy.
//! - **Pooling**: hyper-util's pooled client keeps connections alive between
//!   calls; clones of a transport share the pool.
//! - **HTTP/2**: negotiated by ALPN over TLS, HTTP/1.1 otherwise; prior
//!   knowledge (h2c) on request with [`Builder::http2_prior_knowledge`].
//! - **clerk-core's transport contract**, kept with hyper's means: the
//!   limits ([`clerk_core::TransportLimits`]: a connect deadline, default 5 s;
//!   a deadline on each attempt from connecting to the last body byte,
//!   default 10 s, shortened to what is left of the client's whole-call
//!   deadline; a 1 MiB body cap, read into [`clerk_core::BodyBuffer`]) and
//!   the cleartext rule ([`clerk_core::check_request`]): plain `http://` goes
//!   only to loopback, for a local mock server, unless
//!   [`Builder::allow_insecure_http`]; `https` only over a stream that is
//!   TLS. A refusal comes *before* a connection is opened or a byte written,
//!   so the secret key cannot leave in cleartext by accident. The contract is
//!   written once, in clerk-core ([the transport
//!   contract](clerk_core#the-transport-contract)); the workspace's
//!   conformance suite proves it for this transport (pooled, and on smol
//!   without tokio) as for every other.
//! - **No redirects**: a `3xx` comes back as a response, never followed, so
//!   `Authorization` is never replayed to another host. clerk-core decides
//!   what a redirect means.
//!
//! It never retries (clerk-core does, guided by
//! [`TransportError::is_request_not_sent`](clerk_core::TransportError::is_request_not_sent)),
//! never logs, and its errors never quote headers or bodies.
//!
//! ## With clerk-core's client
//!
//! ```
//! # #[cfg(feature = "webpki-roots")]
//! # mod example {
//! use clerk_core::{CreateSignInTokenRequest, SecretKey};
//!
//! async fn sign_in_link(user_id: &str) -> Result<String, Box<dyn std::error::Error>> {
//!     // Retries on tokio's clock, the default timeouts and body cap.
//!     let client = clerk_hyper::client(SecretKey::from_env()?)?;
//!     let token = client
//!         .create_sign_in_token(&CreateSignInTokenRequest::new(user_id))
//!         .await?;
//!     Ok(token.id)
//! }
//! # }
//! ```
//!
//! [`client`] is the short form of the builder, which takes the other
//! settings (base URL, API version, retry policy, whole-call deadline):
//!
//! ```
//! # #[cfg(feature = "webpki-roots")] {
//! use clerk_core::{Client, SecretKey};
//! use clerk_hyper::{HyperTransport, TokioTimer};
//!
//! let client = Client::builder(SecretKey::new("sk_test_example")?)
//!     .base_url("http://127.0.0.1:8080") // a local mock: loopback http is allowed
//!     .timer(TokioTimer) // lets the client wait between retries
//!     .build(HyperTransport::builder().build()?)?;
//! # let _ = client;
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## The transport alone
//!
//! [`HyperTransport`] implements [`clerk_core::HttpTransport`]; its futures are
//! `Send` and it is `Clone + Send + Sync`.
//!
//! ```no_run
//! use clerk_core::HttpTransport;
//! use std::time::Duration;
//!
//! # #[cfg(not(feature = "webpki-roots"))] fn main() {}
//! # #[cfg(feature = "webpki-roots")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let transport = clerk_hyper::HyperTransport::builder()
//!     .request_timeout(Duration::from_secs(5))
//!     .connect_timeout(Duration::from_secs(2))
//!     .max_body_bytes(256 * 1024)
//!     .build()?;
//! let request = http::Request::get("https://api.clerk.com/v1/jwks")
//!     .body(bytes::Bytes::new())?;
//! let response = transport.send(request).await?;
//! println!("{} ({} bytes)", response.status(), response.body().len());
//! # Ok(())
//! # }
//! ```
//!
//! ## Errors
//!
//! Every failure is a [`clerk_core::SendError`] (re-exported as [`Error`]),
//! the same type clerk-reqwest, clerk-fetch and clerk-wasi return. Its
//! [`kind`](clerk_core::SendError::kind) says what failed, and clerk-core's
//! table of kinds ([`TransportErrorKind`](clerk_core::TransportErrorKind))
//! says whether the request is known not to have been sent, which decides if
//! clerk-core may retry a create. This crate only maps hyper's, hyper-util's
//! and rustls's errors onto those kinds:
//!
//! | what failed | kind |
//! |---|---|
//! | the connect deadline (TCP, TLS handshake) | `ConnectTimeout` |
//! | DNS, a refused connection | `Connect` |
//! | rustls refused the certificate | `Certificate` (permanent) |
//! | any other TLS handshake failure | `Tls` |
//! | the cleartext rule: `http` to a remote host, `https` over a stream that is not TLS, plain `http` through a proxy | `InsecureScheme` (permanent) |
//! | a proxy: unreachable, refused the tunnel, closed | `Proxy`; with a [`ProxyError`] to [`find`](clerk_core::SendError::find) |
//! | a proxy: 407, unusable settings | `ProxyRejected` (permanent) |
//! | the request deadline | `Timeout` |
//! | the connection failed mid-exchange | `Io` |
//! | broken HTTP | `Protocol` |
//! | the body cap | `BodyTooLarge` |
//!
//! ## Your own connector
//!
//! A service that already configures hyper-util's `HttpConnector` (DNS,
//! socket options) or hyper-rustls's `HttpsConnector` (its own TLS
//! configuration) hands it to [`Builder::build_with_connector`]: the
//! transport pools it and keeps every limit around it. A connector is a
//! `tower_service::Service<Uri>`, as in hyper-util, whose streams say whether
//! they are TLS ([`IsTls`]): an `https` request is spoken only over a stream
//! that is, and otherwise refused before a byte is written.
//!
//! ## Without tokio
//!
//! With `default-features = false` the crate has no tokio: build a transport
//! from your own connector (any `tower_service::Service<Uri>` whose streams
//! implement `hyper::rt::Read`, `Write` and [`IsTls`]; [`connect_fn`] makes one
//! from a closure), an executor and a [`hyper::rt::Timer`] with
//! [`HyperTransport::with_runtime`]. `examples/custom_runtime.rs` does it on
//! smol.
//!
//! ## Crate features
//!
//! - `tokio` (default): the pooled client ([`HyperTransport::new`],
//!   [`Builder::build`], [`Builder::build_with_connector`]), [`TokioTimer`]
//!   (clerk-tokio's) and [`client`].
//! - `rustls` (default, implies `tokio`): HTTPS through rustls with the ring
//!   provider; TLS 1.2 and 1.3.
//! - `webpki-roots` (default, implies `rustls`): Mozilla's roots, bundled.
//!   Without it, add roots yourself.
//! - `http2` (default): HTTP/2 by ALPN or prior knowledge.
//! - `native-roots` (implies `rustls`): the operating system's roots too,
//!   read by `rustls-native-certs` when the transport is built (it also
//!   honours `SSL_CERT_FILE` and `SSL_CERT_DIR`); `Builder::tls_native_roots`
//!   turns them off again. Why not `rustls-platform-verifier`: the native
//!   roots feed the same rustls verifier as the bundled ones, so certificates
//!   are judged the same way on every OS, only against more roots, with no
//!   per-platform setup (the platform verifier needs some on Android).
//! - `tracing`: turns on clerk-core's `tracing` feature (a span `clerk.call`
//!   per call, an event `retrying` per retry, under OpenTelemetry's HTTP
//!   client names) and adds, at DEBUG with target `clerk_hyper`, one event
//!   `answered` per attempt that got a response head:
//!   `network.protocol.version` (`1.1`, or `2` when HTTP/2 was negotiated)
//!   and `http.response.status_code`. It nests in the call's span. Never a
//!   header, a url or a body.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "tokio")]
mod connector;
mod custom;
mod error;
mod exchange;
#[cfg(feature = "tokio")]
mod legacy;
#[cfg(feature = "tokio")]
mod proxy;
mod stream;
#[cfg(feature = "rustls")]
mod tls;
mod transport;

pub use clerk_core::SendError as Error;
pub use custom::{BoxFuture, ConnectFn, connect_fn, default_port};
pub use error::{BoxError, ProxyError, ProxyFailure};
#[cfg(feature = "tokio")]
pub use proxy::ProxyConfig;
pub use stream::{IsTls, Plain};
pub use transport::{Builder, HyperTransport};

/// The `http-body-util` crate, for naming `Full<Bytes>` bodies.
pub use http_body_util;
/// The `hyper` crate this transport is built on (1.x).
pub use hyper;
/// The `hyper-util` crate, for its connectors and runtime adapters.
#[cfg(feature = "tokio")]
pub use hyper_util;
/// The `rustls` crate, for [`Builder::tls_config`] and root certificates.
#[cfg(feature = "rustls")]
pub use rustls;
/// The `tower-service` crate: connectors are `tower_service::Service<Uri>`s.
pub use tower_service;

/// clerk-tokio's [`clerk_core::Timer`] on tokio's clock (the same type as
/// `clerk_reqwest::TokioTimer`), so the client can wait between retries and
/// keep its whole-call deadline.
#[cfg(feature = "tokio")]
pub use clerk_tokio::TokioTimer;

/// The client most users want: Clerk's production API over a default
/// [`HyperTransport`] (HTTPS, pooling, the body cap, a 5 s connect and 10 s
/// attempt deadline), retrying on [`TokioTimer`] with the default
/// [`clerk_core::RetryPolicy`], every call bound by the 30 s whole-call
/// deadline ([`clerk_core::DEFAULT_CALL_TIMEOUT`]).
///
/// Fails only when the transport cannot be built (no root certificates: the
/// `webpki-roots` feature is off). For other settings use
/// [`clerk_core::Client::builder`] with [`TokioTimer`].
///
/// ```
/// # #[cfg(feature = "webpki-roots")] {
/// let client = clerk_hyper::client(clerk_core::SecretKey::new("sk_test_example")?)?;
/// assert_eq!(client.retry_policy(), &clerk_core::RetryPolicy::default());
/// assert_eq!(client.call_timeout(), Some(clerk_core::DEFAULT_CALL_TIMEOUT));
/// assert_eq!(client.config().base_url(), clerk_core::DEFAULT_BASE_URL);
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "tokio")]
pub fn client(
    secret_key: clerk_core::SecretKey,
) -> Result<clerk_core::Client<HyperTransport, TokioTimer>, clerk_core::BuildError> {
    Ok(clerk_core::Client::builder(secret_key)
        .timer(TokioTimer)
        .build(HyperTransport::builder().build()?)?)
}

/// The README's examples, compiled (and run, unless `no_run`) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
