//! [`HyperTransport`] and its [`Builder`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clerk_core::{HttpRequest, HttpResponse, HttpTransport, SendError, TransportLimits};
use http_body_util::Full;
use hyper::body::Incoming;

use crate::exchange::{self, DeadlineTimer};

/// A boxed `Send` future, as backends return them.
pub(crate) type SendFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The part that differs between the pooled tokio client and a user-supplied
/// connector: turn a request into a response head and a streaming body.
pub(crate) trait Backend: Send + Sync + 'static {
    fn send(
        &self,
        request: http::Request<Full<Bytes>>,
    ) -> SendFuture<'_, Result<http::Response<Incoming>, SendError>>;
}

/// Where a transport sends its requests: the pooled client [`Builder::build`]
/// makes, awaited in place, or any other backend behind a box (a boxed
/// future per request).
// One per transport, inside its `Arc`: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Backends {
    /// The ready-made pooled client.
    #[cfg(feature = "tokio")]
    Pooled(crate::legacy::Pooled),
    /// A user's hyper-util client or connector.
    Other(Box<dyn Backend>),
}

impl Backends {
    async fn send(
        &self,
        request: http::Request<Full<Bytes>>,
    ) -> Result<http::Response<Incoming>, SendError> {
        match self {
            #[cfg(feature = "tokio")]
            Self::Pooled(pooled) => pooled.send(request).await,
            Self::Other(backend) => backend.send(request).await,
        }
    }
}

/// An [`HttpTransport`] for clerk-core built on hyper 1.
///
/// Cheap to clone (clones share one connection pool) and `Send + Sync`; the
/// futures it returns are `Send`, so a client built on it can be used from a
/// multi-threaded runtime and inside `tokio::spawn`.
///
/// Make one with [`HyperTransport::new`] (tokio, HTTPS with bundled roots),
/// tune it with [`HyperTransport::builder`], pool your own hyper-util style
/// connector with [`Builder::build_with_connector`], or bring your own
/// runtime with [`HyperTransport::with_runtime`].
///
/// ```
/// # #[cfg(feature = "webpki-roots")] {
/// use std::time::Duration;
///
/// let transport = clerk_hyper::HyperTransport::builder()
///     .request_timeout(Duration::from_secs(5))
///     .max_body_bytes(64 * 1024)
///     .build()?;
/// let also = transport.clone(); // same pool
/// # drop(also);
/// # }
/// # Ok::<(), clerk_core::BuildError>(())
/// ```
#[derive(Clone)]
pub struct HyperTransport {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Backends,
    timer: DeadlineTimer,
    settings: Settings,
    https_ok: bool,
    description: &'static str,
}

/// Everything a [`Builder`] collects that is not about TLS: clerk-core's
/// limits, and the pool and HTTP/2 settings.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) limits: TransportLimits,
    #[cfg_attr(not(feature = "http2"), allow(dead_code))]
    pub(crate) http2_prior_knowledge: bool,
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) pool_idle_timeout: Option<Duration>,
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) pool_max_idle_per_host: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            limits: TransportLimits::default(),
            http2_prior_knowledge: false,
            pool_idle_timeout: Some(Duration::from_secs(90)),
            pool_max_idle_per_host: usize::MAX,
        }
    }
}

impl HyperTransport {
    /// A builder with clerk-core's defaults ([`TransportLimits`]): 10 s
    /// request timeout, 5 s connect timeout, 1 MiB body cap, `http://` only
    /// to loopback.
    ///
    /// ```
    /// let builder = clerk_hyper::HyperTransport::builder()
    ///     .connect_timeout(std::time::Duration::from_secs(2));
    /// # drop(builder);
    /// ```
    pub fn builder() -> Builder {
        Builder::default()
    }

    pub(crate) fn from_parts(
        backend: Backends,
        timer: DeadlineTimer,
        settings: Settings,
        https_ok: bool,
        description: &'static str,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                backend,
                timer,
                settings,
                https_ok,
                description,
            }),
        }
    }

    /// The whole-exchange deadline, if any.
    ///
    /// ```
    /// # #[cfg(feature = "webpki-roots")] {
    /// use std::time::Duration;
    /// let transport = clerk_hyper::HyperTransport::new();
    /// assert_eq!(transport.request_timeout(), Some(Duration::from_secs(10)));
    /// # }
    /// ```
    pub fn request_timeout(&self) -> Option<Duration> {
        self.inner.settings.limits.request_timeout
    }

    /// The cap on a response body, in bytes.
    ///
    /// ```
    /// # #[cfg(feature = "webpki-roots")] {
    /// let transport = clerk_hyper::HyperTransport::builder().max_body_bytes(4096).build()?;
    /// assert_eq!(transport.max_body_bytes(), 4096);
    /// # }
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn max_body_bytes(&self) -> usize {
        self.inner.settings.limits.max_body_bytes
    }

    /// The limits this transport keeps (clerk-core's [`TransportLimits`]).
    ///
    /// ```
    /// # #[cfg(feature = "webpki-roots")] {
    /// let transport = clerk_hyper::HyperTransport::new();
    /// assert_eq!(transport.limits(), &clerk_core::TransportLimits::default());
    /// # }
    /// ```
    pub fn limits(&self) -> &TransportLimits {
        &self.inner.settings.limits
    }

    async fn exchange(
        &self,
        request: HttpRequest,
        remaining: Option<Duration>,
    ) -> Result<HttpResponse, SendError> {
        let inner = &*self.inner;
        let limits = &inner.settings.limits;
        let https =
            clerk_core::check_request(request.uri(), limits.allow_insecure_http)?.is_https();
        if https && !inner.https_ok {
            return Err(SendError::invalid_request(
                "https is not available: clerk-hyper was built without its `rustls` feature",
            ));
        }
        let deadline = limits.attempt_timeout(remaining);
        let request = request.map(Full::new);
        let limit = limits.max_body_bytes;
        let whole = std::pin::pin!(async {
            let response = inner.backend.send(request).await?;
            #[cfg(feature = "tracing")]
            tracing::event!(
                target: "clerk_hyper",
                tracing::Level::DEBUG,
                network.protocol.version = protocol_version(response.version()),
                http.response.status_code = response.status().as_u16(),
                "answered"
            );
            exchange::read_capped(response, limit).await
        });
        match deadline {
            Some(after) => inner
                .timer
                .run(after, whole)
                .await
                .unwrap_or_else(|| Err(SendError::timeout(Some(after)))),
            None => whole.await,
        }
    }
}

/// OpenTelemetry's `network.protocol.version`: the HTTP version without
/// its `HTTP/` prefix (`1.1`, `2`).
#[cfg(feature = "tracing")]
fn protocol_version(version: http::Version) -> &'static str {
    match version {
        http::Version::HTTP_09 => "0.9",
        http::Version::HTTP_10 => "1.0",
        http::Version::HTTP_11 => "1.1",
        http::Version::HTTP_2 => "2",
        http::Version::HTTP_3 => "3",
        _ => "_OTHER",
    }
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransport")
            .field("backend", &self.inner.description)
            .field("settings", &self.inner.settings)
            .field("https", &self.inner.https_ok)
            .finish()
    }
}

impl HttpTransport for HyperTransport {
    type Error = SendError;

    // The trait leaves `Send` open; this transport promises it.
    #[allow(refining_impl_trait)]
    fn send(
        &self,
        request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, Self::Error>> + Send {
        self.exchange(request, None)
    }

    #[allow(refining_impl_trait)]
    fn send_within(
        &self,
        request: HttpRequest,
        remaining: Option<Duration>,
    ) -> impl Future<Output = Result<HttpResponse, Self::Error>> + Send {
        self.exchange(request, remaining)
    }
}

/// A transport chosen at run time, used across threads:
/// `Arc<dyn SendDynHttpTransport + Send + Sync>`,
/// whose client's futures are `Send` (`tokio::spawn`, an axum handler).
///
/// ```
/// # #[cfg(feature = "webpki-roots")] {
/// use std::sync::Arc;
/// use clerk_core::SendDynHttpTransport;
///
/// let shared: Arc<dyn SendDynHttpTransport + Send + Sync> =
///     Arc::new(clerk_hyper::HyperTransport::builder().build()?);
/// # let _ = shared;
/// # }
/// # Ok::<(), clerk_core::BuildError>(())
/// ```
impl clerk_core::SendDynHttpTransport for HyperTransport {
    fn send_boxed(&self, request: HttpRequest) -> clerk_core::BoxedSendResponseFuture<'_> {
        Box::pin(self.exchange(request, None))
    }

    fn send_within_boxed(
        &self,
        request: HttpRequest,
        remaining: Option<Duration>,
    ) -> clerk_core::BoxedSendResponseFuture<'_> {
        Box::pin(self.exchange(request, remaining))
    }
}

/// Settings for a [`HyperTransport`].
///
/// The first four settings are clerk-core's [`TransportLimits`], under the
/// names every adapter crate uses. Finish with [`build`](Builder::build)
/// (tokio), with [`build_with_connector`](Builder::build_with_connector)
/// (your hyper-util style connector, pooled on tokio), or with
/// [`build_with_runtime`](Builder::build_with_runtime) (your runtime).
/// Settings that a finishing method cannot honour are documented on it.
///
/// ```
/// use std::time::Duration;
///
/// let builder = clerk_hyper::HyperTransport::builder()
///     .request_timeout(Duration::from_secs(3))
///     .connect_timeout(Duration::from_secs(1))
///     .max_body_bytes(256 * 1024)
///     .allow_insecure_http(false);
/// # drop(builder);
/// ```
#[derive(Clone, Default)]
#[must_use = "a builder does nothing until it is built"]
pub struct Builder {
    pub(crate) settings: Settings,
    #[cfg(feature = "rustls")]
    pub(crate) tls: crate::tls::TlsSettings,
    /// `None`: read the environment when building.
    #[cfg(feature = "tokio")]
    pub(crate) proxy: Option<crate::ProxyConfig>,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Builder");
        d.field("settings", &self.settings);
        #[cfg(feature = "rustls")]
        d.field("tls", &self.tls);
        #[cfg(feature = "tokio")]
        match &self.proxy {
            Some(config) => d.field("proxy", config),
            None => d.field("proxy", &"from the environment"),
        };
        d.finish()
    }
}

impl Builder {
    /// The deadline for the whole exchange: connecting, sending, the response
    /// head and reading the whole body. Default 10 s
    /// ([`DEFAULT_REQUEST_TIMEOUT`](clerk_core::DEFAULT_REQUEST_TIMEOUT));
    /// `None` for none. The client's whole-call deadline can make an attempt's
    /// shorter ([`TransportLimits::attempt_timeout`]).
    ///
    /// When it runs out the error's kind is
    /// [`Timeout`](clerk_core::TransportErrorKind::Timeout) (or
    /// [`ConnectTimeout`](clerk_core::TransportErrorKind::ConnectTimeout)
    /// when the connect deadline ran out first).
    ///
    /// ```
    /// use std::time::Duration;
    /// let b = clerk_hyper::HyperTransport::builder().request_timeout(Duration::from_millis(1500));
    /// let forever = clerk_hyper::HyperTransport::builder().request_timeout(None);
    /// # drop((b, forever));
    /// ```
    pub fn request_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.settings.limits.request_timeout = timeout.into();
        self
    }

    /// The deadline for opening a connection: TCP and the TLS handshake
    /// (and, on [`build_with_runtime`](Builder::build_with_runtime)'s
    /// connections, the HTTP handshake too). Default 5 s
    /// ([`DEFAULT_CONNECT_TIMEOUT`](clerk_core::DEFAULT_CONNECT_TIMEOUT));
    /// `None` leaves only the request deadline.
    ///
    /// ```
    /// let b = clerk_hyper::HyperTransport::builder()
    ///     .connect_timeout(std::time::Duration::from_secs(2));
    /// # drop(b);
    /// ```
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.settings.limits.connect_timeout = timeout.into();
        self
    }

    /// The most response body the transport reads, in bytes. Default 1 MiB
    /// ([`DEFAULT_MAX_BODY_BYTES`](clerk_core::DEFAULT_MAX_BODY_BYTES)).
    ///
    /// A declared `Content-Length` above the cap fails before reading; a body
    /// without one (chunked, HTTP/2) fails as soon as the running total passes
    /// the cap. Either way the error's kind is
    /// [`BodyTooLarge`](clerk_core::TransportErrorKind::BodyTooLarge).
    ///
    /// ```
    /// let b = clerk_hyper::HyperTransport::builder().max_body_bytes(64 * 1024);
    /// # drop(b);
    /// ```
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.settings.limits.max_body_bytes = limit;
        self
    }

    /// Whether plain `http://` may go to hosts that are not loopback.
    ///
    /// Off by default: `http://` is accepted only for `localhost`,
    /// `127.0.0.0/8` and `::1` (a local mock server), and any other host fails
    /// with kind [`InsecureScheme`](clerk_core::TransportErrorKind::InsecureScheme)
    /// before a connection is opened, so the secret key in `Authorization`
    /// never crosses a network in cleartext by mistake
    /// ([`check_request`](clerk_core::check_request)). Turn it on only behind
    /// a TLS-terminating proxy you trust.
    ///
    /// ```
    /// let b = clerk_hyper::HyperTransport::builder().allow_insecure_http(true);
    /// # drop(b);
    /// ```
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.settings.limits.allow_insecure_http = allow;
        self
    }

    /// Speak HTTP/2 from the first byte, without negotiation.
    ///
    /// Over `https` this offers only `h2` in ALPN; over cleartext `http` it is
    /// h2c with prior knowledge, which only a server that expects it (a local
    /// test server) understands. Off by default: HTTPS negotiates HTTP/2 or
    /// HTTP/1.1 by ALPN, cleartext uses HTTP/1.1.
    ///
    /// ```
    /// let b = clerk_hyper::HyperTransport::builder().http2_prior_knowledge(true);
    /// # drop(b);
    /// ```
    #[cfg(feature = "http2")]
    pub fn http2_prior_knowledge(mut self, enabled: bool) -> Self {
        self.settings.http2_prior_knowledge = enabled;
        self
    }

    /// How long an idle pooled connection is kept. Default 90 s; `None` keeps
    /// it until the server closes it. Applies to [`build`](Builder::build).
    ///
    /// ```
    /// let b = clerk_hyper::HyperTransport::builder()
    ///     .pool_idle_timeout(std::time::Duration::from_secs(30));
    /// # drop(b);
    /// ```
    #[cfg(feature = "tokio")]
    pub fn pool_idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.settings.pool_idle_timeout = timeout.into();
        self
    }

    /// The most idle connections kept per host. Default unbounded; `0`
    /// disables pooling. Applies to [`build`](Builder::build).
    ///
    /// ```
    /// let b = clerk_hyper::HyperTransport::builder().pool_max_idle_per_host(4);
    /// # drop(b);
    /// ```
    #[cfg(feature = "tokio")]
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.settings.pool_max_idle_per_host = max;
        self
    }
}
