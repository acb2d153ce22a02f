//! # clerk-hyper
//!
//! A [hyper] 1 transport for [`clerk_core`]: it moves the requests that
//! clerk-core builds for Clerk's Backend API (`https://api.clerk.com/v1`) and
//! hands back whole responses.
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
//! - **Timeouts**: a connect deadline (TCP and TLS handshake, default 5 s) and
//!   a deadline on the whole exchange, from connecting to the last body byte
//!   (default 10 s).
//! - **A body cap**: at most 1 MiB of response body by default, checked
//!   against `Content-Length` before reading and again while reading.
//! - **The cleartext rule**: plain `http://` goes only to loopback
//!   (`localhost`, `127.0.0.0/8`, `::1`), for a local mock server. Any other
//!   host is refused with [`Error::InsecureScheme`] *before* a connection is
//!   opened, so the secret key cannot leave in cleartext by accident. Opt out
//!   with [`Builder::allow_insecure_http`].
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
//! settings (base URL, API version, retry policy):
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
//! [`Error`] names what failed and whether the request is known not to have
//! been sent, which is what decides if clerk-core may retry a create:
//!
//! | kind | not sent | timeout | permanent (never retried) |
//! |---|---|---|---|
//! | [`Error::Timeout`], [`TimeoutPhase::Connect`] | yes | yes | no |
//! | [`Error::Timeout`], [`TimeoutPhase::Request`] | no | yes | no |
//! | [`Error::Connect`] (DNS, refused) | yes | no | no |
//! | [`Error::Tls`] (handshake: expired, wrong name, unknown issuer) | yes | no | yes |
//! | [`Error::InsecureScheme`], [`Error::InvalidRequest`] (refused before connecting) | yes | no | yes |
//! | [`Error::Proxy`] (see [`ProxyFailure`]: 407, misconfigured, cleartext refused) | yes | no | yes |
//! | [`Error::Proxy`] (unreachable, refused such as 502, closed, invalid answer) | yes | no | no |
//! | [`Error::BodyTooLarge`], [`Error::Io`], [`Error::Protocol`] | no | no | no |
//!
//! ## Reusing your hyper-util client
//!
//! A service that already has a pooled hyper-util client (with a proxy
//! connector, say) wraps it with [`HyperTransport::from_client`] and shares the
//! pool. The body cap, request deadline and cleartext rule still apply.
//!
//! ## Without tokio
//!
//! With `default-features = false` the crate has no tokio: build a transport
//! from your own [`Connect`] (any stream implementing `hyper::rt::Read` and
//! `Write`), an executor and a [`hyper::rt::Timer`] with
//! [`HyperTransport::with_connector`]. `examples/custom_runtime.rs` does it on
//! smol.
//!
//! ## Crate features
//!
//! - `tokio` (default): the pooled client ([`HyperTransport::new`],
//!   [`Builder::build`], [`HyperTransport::from_client`]) and [`TokioTimer`].
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
//!   per call, an event `retrying` per retry) and adds, at DEBUG with target
//!   `clerk_hyper`, one event `answered` per attempt that got a response
//!   head: `http.version` (whether HTTP/2 was negotiated) and
//!   `http.status_code`. It nests in the call's span. Never a header, a url
//!   or a body.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "tokio")]
mod connector;
mod custom;
mod error;
mod exchange;
#[cfg(feature = "tokio")]
mod legacy;
mod policy;
#[cfg(feature = "tokio")]
mod proxy;
#[cfg(feature = "rustls")]
mod tls;
mod transport;

pub use custom::{BoxFuture, Connect, ConnectFn, connect_fn, default_port};
pub use error::{BoxError, BuildError, Error, ProxyFailure, TimeoutPhase};
#[cfg(feature = "tokio")]
pub use proxy::ProxyConfig;
pub use transport::{
    Builder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUEST_TIMEOUT,
    HyperTransport,
};

/// The `http-body-util` crate, for naming `Full<Bytes>` in
/// [`HyperTransport::from_client`].
pub use http_body_util;
/// The `hyper` crate this transport is built on (1.x).
pub use hyper;
/// The `hyper-util` crate, for building a client to pass to
/// [`HyperTransport::from_client`].
#[cfg(feature = "tokio")]
pub use hyper_util;
/// The `rustls` crate, for [`Builder::tls_config`] and root certificates.
#[cfg(feature = "rustls")]
pub use rustls;

/// A [`clerk_core::Timer`] on tokio's clock, so the client can wait between
/// retries.
///
/// ```
/// use clerk_core::Timer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// clerk_hyper::TokioTimer.sleep(std::time::Duration::from_millis(1)).await;
/// assert!(clerk_hyper::TokioTimer.can_sleep());
/// # }
/// ```
#[cfg(feature = "tokio")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokioTimer;

#[cfg(feature = "tokio")]
impl clerk_core::Timer for TokioTimer {
    // `tokio::time::Sleep` is `Send`; say so for the client's futures.
    #[allow(refining_impl_trait, clippy::manual_async_fn)]
    fn sleep(&self, duration: std::time::Duration) -> impl std::future::Future<Output = ()> + Send {
        // Lazy: the runtime is looked up when polled, not when created.
        async move { tokio::time::sleep(duration).await }
    }
}

/// The client most users want: Clerk's production API over a default
/// [`HyperTransport`] (HTTPS, pooling, timeouts, the body cap), retrying on
/// [`TokioTimer`] with the default [`clerk_core::RetryPolicy`].
///
/// Fails only when the transport cannot be built (no root certificates: the
/// `webpki-roots` feature is off). For other settings use
/// [`clerk_core::Client::builder`] with [`TokioTimer`].
///
/// ```
/// # #[cfg(feature = "webpki-roots")] {
/// let client = clerk_hyper::client(clerk_core::SecretKey::new("sk_test_example")?)?;
/// assert_eq!(client.retry_policy(), &clerk_core::RetryPolicy::default());
/// assert_eq!(client.config().base_url(), clerk_core::DEFAULT_BASE_URL);
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "tokio")]
pub fn client(
    secret_key: clerk_core::SecretKey,
) -> Result<clerk_core::Client<HyperTransport, TokioTimer>, BuildError> {
    let transport = HyperTransport::builder().build()?;
    let config = clerk_core::Config::new(secret_key);
    Ok(clerk_core::Client::new(config, transport, TokioTimer))
}
