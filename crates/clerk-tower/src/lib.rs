//! # clerk-tower
//!
//! A [tower](https://docs.rs/tower) transport for [`clerk_core`]: Clerk's sign-in-token calls
//! through the HTTP stack your service already has, as a
//! `tower::Service<http::Request<B>, Response = http::Response<impl Body>>`,
//! with its layers (timeouts, concurrency limits, `tower-http`'s trace and
//! metrics, your own) applying to every request, in one line:
//!
//! ```
//! # use bytes::Bytes; use http_body_util::Full;
//! # let your_stack = tower::service_fn(|_: http::Request<Full<Bytes>>| async {
//! #     Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::new())))
//! # });
//! let transport = clerk_tower::TowerTransport::new(your_stack);
//! ```
//!
//! ## Why a crate of its own
//!
//! clerk-core is sans-IO and asks an [`HttpTransport`](clerk_core::HttpTransport)
//! to move its requests. A tower stack need not be hyper (it may be any
//! client with layers around it), so this is not a feature of clerk-hyper,
//! which brings its own hyper client, rustls and roots: a service with its
//! own stack has all of that once already, configured its way. This crate
//! is the thin piece between clerk-core and `tower-service`: it depends on
//! clerk-core, `tower-service`, `http-body` (and `http-body-util`, `bytes`,
//! `http`), plus clerk-tokio for the default timer; it adds no HTTP, TLS or
//! runtime of its own. `hyper-util` and `tower` come in only with the
//! features that recognise their errors.
//!
//! ## What it owns
//!
//! Around whatever service it wraps, [`TowerTransport`] keeps [clerk-core's
//! transport contract](clerk_core#the-transport-contract), written once in
//! clerk-core and proven for this transport (over hyper-util with
//! `tower-http`'s `TraceLayer` and tower's `ConcurrencyLimitLayer`) by the
//! workspace's conformance suite:
//!
//! - **the attempt deadline** ([`clerk_core::TransportLimits`], default
//!   10 s, shortened to what is left of the client's whole-call deadline):
//!   from asking the service for readiness to the last body byte, on the
//!   [`clerk_core::Timer`] you give (tokio's by default). Past it the
//!   service's future is dropped, as tower expects of a caller;
//! - **the body cap** (default 1 MiB), read into [`clerk_core::BodyBuffer`]:
//!   the body's exact size hint (hyper's `Content-Length`) before a byte is
//!   read, then every frame as it arrives;
//! - **the first half of the cleartext rule** ([`clerk_core::check_request`]):
//!   plain `http://` only to loopback unless
//!   [`allow_insecure_http`](Builder::allow_insecure_http), refused before
//!   the service sees the request;
//! - **errors that tell clerk-core what it may retry**: every failure is a
//!   [`clerk_core::SendError`] (re-exported as [`Error`]) of a kind from
//!   the table below, saying "not sent" only where that is known.
//!
//! It never retries (clerk-core does) and never logs.
//!
//! ## What your service owns
//!
//! The service owns the connection, so some of the contract is its to keep:
//!
//! - **TLS.** The transport sees the request and the response, never the
//!   stream, so it cannot check that an `https` request went over TLS: the
//!   second half of the cleartext rule is your connector's. hyper-util's
//!   `HttpConnector` refuses `https` URIs unless told
//!   `enforce_http(false)`; hyper-rustls's `HttpsConnector` speaks TLS for
//!   every `https` URI. Do not give your client a connector that opens
//!   plain TCP for `https`.
//! - **Connecting and its deadline.** There is no `connect_timeout` here:
//!   set it on your connector (`HttpConnector::set_connect_timeout`, or
//!   tower's `TimeoutLayer` around the connector, which also bounds a TLS
//!   handshake). The attempt deadline still bounds the whole exchange.
//! - **Redirects.** hyper-util's client follows none. Do not add
//!   `tower-http`'s `FollowRedirectLayer`: clerk-core wants a `3xx` back,
//!   and the secret key must not travel to another host.
//! - **Retries.** Put none under this transport, or say so with
//!   [`Builder::service_resends`]: a retry layer's error describes only its
//!   last attempt.
//! - **What layers see.** Every layer sees the request and the response.
//!   `Authorization` (the secret key) is marked
//!   [sensitive](http::HeaderValue::set_sensitive), so `tower-http`'s trace
//!   prints it as `Sensitive` even with headers on (tested); the response
//!   body of a create holds the sign-in token and its url, so no layer may
//!   log bodies.
//!
//! ## Errors: what is known not sent
//!
//! A wrong "not sent" makes clerk-core send a create (not idempotent) again,
//! so a failure is "not sent" only when that is known; anything else may have
//! been sent.
//!
//! | what failed | kind | not sent |
//! |---|---|---|
//! | the cleartext rule, a URI the stack cannot carry | `InsecureScheme`, `InvalidRequest` (permanent) | yes |
//! | `poll_ready` failed (the service never took the request) | `Connect` | yes |
//! | the attempt deadline, before the service was ready | `ConnectTimeout` | yes |
//! | a refused connection (`io::ErrorKind::ConnectionRefused` among the causes) | `Connect` | yes |
//! | with feature `hyper-util`: hyper-util's client could not connect (`is_connect()`); with a timeout among its causes | `Connect`; `ConnectTimeout` | yes |
//! | the attempt deadline, after the service took the request | `Timeout` | no |
//! | a timeout among the causes (`io::ErrorKind::TimedOut`; tower's `Elapsed` with feature `tower`) | `Timeout` | no |
//! | with feature `hyper-util`: hyper's parse errors; a closed or reset connection | `Protocol`; `Io` | no |
//! | any other `io::Error` among the causes | `Io` | no |
//! | a failure while reading the body (the head had come) | as above, never a "not sent" kind | no |
//! | the body cap | `BodyTooLarge` | no |
//! | anything else | `Other` | no |
//!
//! With [`Builder::service_resends`]`(true)`, none of the service's own
//! failures is "not sent". Without the `hyper-util` feature, hyper-util's
//! DNS failures and connect timeouts may have been sent as far as this
//! crate can tell (kinds `Io`, `Other`, `Timeout`): safe, but a create is then not
//! retried after them. A refused certificate is kind `Connect` with
//! `hyper-util` (not `Certificate`: this crate does not know your TLS).
//!
//! ## hyper-util, traced and limited
//!
//! ```no_run
//! use bytes::Bytes;
//! use clerk_core::{CreateSignInTokenRequest, SecretKey};
//! use http_body_util::Full;
//! use hyper_util::client::legacy::{Client, connect::HttpConnector};
//! use hyper_util::rt::TokioExecutor;
//! use tower::ServiceBuilder;
//!
//! # async fn run(connector: HttpConnector) -> Result<(), Box<dyn std::error::Error>> {
//! // Your stack: hyper-util's pooled client over your connector (for Clerk's
//! // https, hyper-rustls's HttpsConnector), traced, at most 8 requests in flight.
//! let hyper = Client::builder(TokioExecutor::new()).build::<_, Full<Bytes>>(connector);
//! let stack = ServiceBuilder::new()
//!     .layer(tower_http::trace::TraceLayer::new_for_http())
//!     .concurrency_limit(8)
//!     .service(hyper);
//!
//! let client = clerk_tower::client(SecretKey::from_env()?, stack)?;
//! let token = client
//!     .create_sign_in_token(&CreateSignInTokenRequest::new("user_123"))
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! The settings, as in every adapter:
//!
//! ```
//! # use bytes::Bytes; use http_body_util::Full;
//! # let stack = tower::service_fn(|_: http::Request<Full<Bytes>>| async {
//! #     Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::new())))
//! # });
//! use std::time::Duration;
//! use clerk_core::{Client, SecretKey};
//! use clerk_tower::{TokioTimer, TowerTransport};
//!
//! let transport = TowerTransport::builder(stack)
//!     .request_timeout(Duration::from_secs(5))
//!     .max_body_bytes(256 * 1024)
//!     .build()?;
//! let client = Client::builder(SecretKey::new("sk_test_example")?)
//!     .timer(TokioTimer)
//!     .build(transport)?;
//! # let _ = client;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Crate features
//!
//! - `tokio` (default): [`TokioTimer`] (clerk-tokio's) keeps the deadline:
//!   [`TowerTransport::new`], [`TowerTransport::builder`] and [`client`].
//!   Without it, give any [`clerk_core::Timer`] to [`Builder::with_timer`].
//! - `hyper-util`: recognises hyper-util's legacy client errors (see the
//!   table); turn it on when the innermost service is hyper-util's
//!   `Client`.
//! - `tower`: recognises tower's `timeout::error::Elapsed` as a timeout
//!   (tower with its `timeout` feature, which needs tokio's timer).
//!
//! ## A transport chosen at run time
//!
//! On tokio, `TowerTransport` over a thread-safe service implements
//! [`clerk_core::SendDynHttpTransport`]: keep it as
//! `Arc<dyn SendDynHttpTransport + Send + Sync>`
//! next to other transports, and the client's futures stay `Send`.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod transport;

pub use clerk_core::SendError as Error;
pub use error::BoxError;
pub use transport::{Builder, TowerTransport};

/// The `tower-service` crate: the [`Service`](tower_service::Service) trait
/// this transport drives.
pub use tower_service;

/// clerk-tokio's [`clerk_core::Timer`] on tokio's clock (the same type as
/// `clerk_hyper::TokioTimer`): it keeps this transport's deadline, and the
/// client's retry waits.
#[cfg(feature = "tokio")]
pub use clerk_tokio::TokioTimer;

/// The one-liner: Clerk's production API through `service`, with clerk-core's
/// defaults ([`TowerTransport::new`]: a 10 s attempt deadline, the 1 MiB body
/// cap, plain `http` to loopback only), retrying on [`TokioTimer`] with the
/// default [`clerk_core::RetryPolicy`], every call bound by the 30 s
/// whole-call deadline.
///
/// ```
/// use bytes::Bytes;
/// use http_body_util::Full;
///
/// let stack = tower::service_fn(|_: http::Request<Full<Bytes>>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::new())))
/// });
/// let client = clerk_tower::client(clerk_core::SecretKey::new("sk_test_example")?, stack)?;
/// assert_eq!(client.call_timeout(), Some(clerk_core::DEFAULT_CALL_TIMEOUT));
/// assert_eq!(client.config().base_url(), clerk_core::DEFAULT_BASE_URL);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "tokio")]
pub fn client<S, B>(
    secret_key: clerk_core::SecretKey,
    service: S,
) -> Result<clerk_core::Client<TowerTransport<S, TokioTimer, B>, TokioTimer>, clerk_core::BuildError>
where
    S: tower_service::Service<http::Request<B>>,
{
    Ok(clerk_core::Client::builder(secret_key)
        .timer(TokioTimer)
        .build(TowerTransport::new(service))?)
}

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
