//! The ready-made path: hyper-util's pooled client on tokio.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::Uri;
use http_body_util::Full;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connect, Connected, Connection, HttpConnector};
use hyper_util::rt::{TokioExecutor, TokioTimer as HyperTokioTimer};

use crate::connector::ProxyConnector;
use crate::error::{
    BoxError, ConnectTimedOut, PlaintextForHttps, ProxyFailure, connect_failed, exchange_failed,
    proxy,
};
use crate::exchange::{DeadlineTimer, SleepPool};
use crate::proxy::{Proxies, ProxyConfig, ProxyConfigError};
use crate::stream::IsTls;
use crate::transport::{Backend, Backends, Builder, HyperTransport, SendFuture};
use clerk_core::{BuildError, SendError, is_loopback_host};

struct LegacyBackend<C> {
    client: Client<C, Full<Bytes>>,
    /// The proxies this client's connector routes through: `Ok(None)` for
    /// none, `Err` when the environment's settings are unusable (every
    /// request then fails, rather than silently going direct).
    proxies: Result<Option<Proxies>, ProxyConfigError>,
}

impl<C> LegacyBackend<C> {
    /// Applies the proxy rules that live above the connector: unusable
    /// settings, the cleartext rule, and credentials for a forwarding proxy.
    /// Returns whether the request goes to a forwarding proxy.
    fn route(&self, request: &mut http::Request<Full<Bytes>>) -> Result<bool, SendError> {
        let proxies = match &self.proxies {
            Ok(Some(proxies)) => proxies,
            Ok(None) => return Ok(false),
            Err(e) => {
                return Err(proxy(
                    ProxyFailure::Misconfigured,
                    Some(Box::new(e.clone())),
                ));
            }
        };
        let Some(route) = proxies.intercept(request.uri()) else {
            return Ok(false);
        };
        if request.uri().scheme_str() == Some("https") {
            // Tunnelled; the connector sends the credentials with CONNECT.
            return Ok(false);
        }
        if !request.uri().host().is_some_and(is_loopback_host) {
            return Err(proxy(ProxyFailure::CleartextOrigin, None));
        }
        if let Some(auth) = route.auth {
            request
                .headers_mut()
                .insert(http::header::PROXY_AUTHORIZATION, auth);
        }
        Ok(true)
    }
}

impl<C> LegacyBackend<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    /// The exchange, as a future of its own type: the transport's own pooled
    /// client awaits it in place ([`Backends::Pooled`]), with no allocation
    /// per request.
    fn exchange(
        &self,
        mut request: http::Request<Full<Bytes>>,
    ) -> impl Future<Output = Result<http::Response<hyper::body::Incoming>, SendError>> + Send + '_
    {
        let routed = self
            .route(&mut request)
            .map(|forwarding| (forwarding, self.client.request(request)));
        async move {
            let (forwarding, pending) = routed?;
            let response = pending.await.map_err(classify)?;
            // 407 only ever comes from a proxy, never from Clerk.
            if forwarding && response.status() == http::StatusCode::PROXY_AUTHENTICATION_REQUIRED {
                return Err(proxy(ProxyFailure::AuthenticationRequired, None));
            }
            Ok(response)
        }
    }
}

impl<C> Backend for LegacyBackend<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    fn send(
        &self,
        request: http::Request<Full<Bytes>>,
    ) -> SendFuture<'_, Result<http::Response<hyper::body::Incoming>, SendError>> {
        Box::pin(self.exchange(request))
    }
}

/// The connector [`Builder::build`] makes.
#[cfg(feature = "rustls")]
type DefaultConnector = TimeoutConnector<hyper_rustls::HttpsConnector<ProxyConnector>>;
#[cfg(not(feature = "rustls"))]
type DefaultConnector = TimeoutConnector<ProxyConnector>;

/// The backend [`Builder::build`] makes: hyper-util's pooled client over
/// this crate's connector.
pub(crate) struct Pooled(LegacyBackend<DefaultConnector>);

impl Pooled {
    pub(crate) fn send(
        &self,
        request: http::Request<Full<Bytes>>,
    ) -> impl Future<Output = Result<http::Response<hyper::body::Incoming>, SendError>> + Send + '_
    {
        self.0.exchange(request)
    }
}

/// Sorts a legacy-client error into connect-time (nothing sent) and
/// exchange-time failures.
fn classify(err: hyper_util::client::legacy::Error) -> SendError {
    if err.is_connect() {
        connect_failed(Box::new(err))
    } else {
        exchange_failed(Box::new(err))
    }
}

/// Wraps a connector so that opening a connection, TLS handshake included,
/// has a deadline, and so that an `https` request is never handed a stream
/// that is not TLS (the stream is dropped before hyper writes to it).
#[derive(Clone)]
struct TimeoutConnector<S> {
    inner: S,
    timeout: Option<Duration>,
}

// The connection is handed to hyper-util boxed. hyper-util makes (and
// moves) a connect future on every request, even one that a pooled
// connection then serves, and that future's size includes the connection
// type: a TLS-capable stream inline made each request copy about 400 more
// bytes than a plain TCP client's (BENCHMARKS.md, section 3). A box is one
// allocation per connection, not per request.
impl<S> tower_service::Service<Uri> for TimeoutConnector<S>
where
    S: tower_service::Service<Uri>,
    S::Response: IsTls,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = BoxedIo<S::Response>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<BoxedIo<S::Response>, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
        let connecting = self.inner.call(uri);
        let timeout = self.timeout;
        Box::pin(async move {
            let connected = match timeout {
                Some(after) => match tokio::time::timeout(after, connecting).await {
                    Ok(result) => result.map_err(Into::into),
                    Err(_elapsed) => Err(Box::new(ConnectTimedOut(after)) as BoxError),
                },
                None => connecting.await.map_err(Into::into),
            };
            let io = connected?;
            // clerk-core's cleartext rule, for the pool's new connections.
            if https && !io.is_tls() {
                return Err(Box::new(PlaintextForHttps) as BoxError);
            }
            Ok(BoxedIo(Box::new(io)))
        })
    }
}

/// A connection on the heap (see [`TimeoutConnector`]'s `Service` impl).
pub(crate) struct BoxedIo<T>(Box<T>);

impl<T: IsTls> IsTls for BoxedIo<T> {
    fn is_tls(&self) -> bool {
        self.0.is_tls()
    }
}

impl<T: Connection> Connection for BoxedIo<T> {
    fn connected(&self) -> Connected {
        self.0.connected()
    }
}

impl<T: Read + Unpin> Read for BoxedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl<T: Write + Unpin> Write for BoxedIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
}

impl HyperTransport {
    /// The ready-made transport: HTTPS through rustls (ring) with the bundled
    /// Mozilla roots, HTTP/2 or HTTP/1.1 by ALPN, a connection pool, the
    /// proxies named in the environment (see [`ProxyConfig::from_env`]), and
    /// the default limits (10 s per request, 5 s to connect, 1 MiB of body).
    ///
    /// Needs a tokio runtime when sending (not when constructing).
    ///
    /// # Panics
    ///
    /// Never with the default features. Without `webpki-roots` there are no
    /// roots to trust, so this panics; use
    /// [`builder`](HyperTransport::builder) and add roots instead.
    ///
    /// ```
    /// let transport = clerk_hyper::HyperTransport::new();
    /// assert_eq!(transport.max_body_bytes(), 1024 * 1024);
    /// ```
    pub fn new() -> Self {
        match Builder::default().build() {
            Ok(transport) => transport,
            Err(e) => panic!("clerk-hyper: the default transport cannot be built: {e}"),
        }
    }
}

impl Default for HyperTransport {
    /// Same as [`HyperTransport::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// Which proxies to use: [`ProxyConfig::none`] to connect directly, or
    /// explicit settings. Default: [`ProxyConfig::from_env`], read when the
    /// transport is built.
    ///
    /// ```
    /// use clerk_hyper::{HyperTransport, ProxyConfig};
    ///
    /// let direct = HyperTransport::builder().proxy(ProxyConfig::none()).build()?;
    /// let via = HyperTransport::builder()
    ///     .proxy(ProxyConfig::all("http://proxy.corp.example:3128").basic_auth("svc", "pw"))
    ///     .build()?;
    /// # drop((direct, via));
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn proxy(mut self, config: ProxyConfig) -> Self {
        self.proxy = Some(config);
        self
    }

    /// Builds the pooled tokio transport.
    ///
    /// With `rustls`, `https` goes through rustls (ring provider) with the
    /// configured roots, offering `h2` and `http/1.1` by ALPN when the `http2`
    /// feature is on. Without `rustls`, `https` requests fail with
    /// kind [`InvalidRequest`](clerk_core::TransportErrorKind::InvalidRequest).
    /// Plain `http` follows the cleartext rule of
    /// [`allow_insecure_http`](Builder::allow_insecure_http). Redirects are
    /// never followed. Requests go through the proxies of
    /// [`proxy`](Builder::proxy), by default those named in the environment
    /// ([`ProxyConfig::from_env`]); environment settings that cannot be used
    /// make each request fail with kind
    /// [`ProxyRejected`](clerk_core::TransportErrorKind::ProxyRejected) and
    /// [`ProxyFailure::Misconfigured`], never a silent direct connection.
    ///
    /// # Errors
    ///
    /// The TLS settings are unusable: a bad root certificate, or no roots at
    /// all (no `webpki-roots` feature and none added); or proxy settings given
    /// with [`proxy`](Builder::proxy) cannot be used.
    ///
    /// ```
    /// # #[cfg(feature = "webpki-roots")] {
    /// let transport = clerk_hyper::HyperTransport::builder()
    ///     .max_body_bytes(128 * 1024)
    ///     .build()
    ///     .expect("bundled roots are usable");
    /// # drop(transport);
    /// # }
    /// ```
    pub fn build(self) -> Result<HyperTransport, BuildError> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);

        // Settings given explicitly must be usable now; the environment's
        // are checked here too, but reported on each request, so that
        // `HyperTransport::new()` cannot fail because of them.
        let proxies = match &self.proxy {
            Some(config) => Ok(config.resolve().map_err(|e| {
                BuildError::new("the proxy settings cannot be used").with_source(e)
            })?),
            None => ProxyConfig::from_env().resolve(),
        };
        let http = ProxyConnector::new(http, proxies.clone().ok().flatten());

        #[cfg(feature = "rustls")]
        let (connector, https_ok) = {
            let config = self.tls.client_config()?;
            let wants = hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(config)
                .https_or_http();
            #[cfg(feature = "http2")]
            let https = if self.settings.http2_prior_knowledge {
                wants.enable_http2().wrap_connector(http)
            } else {
                wants.enable_http1().enable_http2().wrap_connector(http)
            };
            #[cfg(not(feature = "http2"))]
            let https = wants.enable_http1().wrap_connector(http);
            (https, true)
        };
        #[cfg(not(feature = "rustls"))]
        let (connector, https_ok) = (http, false);

        let connector = TimeoutConnector {
            inner: connector,
            timeout: self.settings.limits.connect_timeout,
        };
        let client = self.pooled_client(connector);

        Ok(HyperTransport::from_parts(
            Backends::Pooled(Pooled(LegacyBackend { client, proxies })),
            DeadlineTimer::Tokio(SleepPool::default()),
            self.settings,
            https_ok,
            "hyper-util pooled client",
        ))
    }

    /// Builds a pooled transport on tokio around your connector: a
    /// hyper-util style `tower_service::Service<Uri>` (hyper-util's
    /// `HttpConnector` with your DNS and socket settings, hyper-rustls's
    /// `HttpsConnector` with your TLS configuration, or your own) whose
    /// streams say whether they are TLS ([`IsTls`]).
    ///
    /// This builder's limits apply on top: the connect timeout around your
    /// connector, the request timeout, the body cap and the cleartext rule,
    /// including its second half: an `https` request is never sent over a
    /// stream that is not TLS (a plain `HttpConnector` with
    /// `enforce_http(false)` gets it refused, kind
    /// [`InsecureScheme`](clerk_core::TransportErrorKind::InsecureScheme),
    /// before a byte is written). Pool and HTTP/2 settings of this builder
    /// apply; its TLS and proxy settings do not (TLS is the connector's).
    /// Needs a tokio runtime when sending.
    ///
    /// ```
    /// use clerk_hyper::hyper_util::client::legacy::connect::HttpConnector;
    ///
    /// let mut connector = HttpConnector::new();
    /// connector.set_nodelay(true);
    /// let transport = clerk_hyper::HyperTransport::builder()
    ///     .request_timeout(std::time::Duration::from_secs(3))
    ///     .build_with_connector(connector); // plain TCP: http to a loopback mock only
    /// # drop(transport);
    /// ```
    pub fn build_with_connector<C>(self, connector: C) -> HyperTransport
    where
        C: tower_service::Service<Uri> + Clone + Send + Sync + 'static,
        C::Response: Connection + Read + Write + IsTls + Unpin + Send + 'static,
        C::Error: Into<BoxError>,
        C::Future: Send + 'static,
    {
        let connector = TimeoutConnector {
            inner: connector,
            timeout: self.settings.limits.connect_timeout,
        };
        HyperTransport::from_parts(
            Backends::Other(Box::new(LegacyBackend {
                client: self.pooled_client(connector),
                proxies: Ok(None),
            })),
            DeadlineTimer::Tokio(SleepPool::default()),
            self.settings,
            true,
            "user-supplied connector, pooled",
        )
    }

    /// hyper-util's pooled client over `connector`, with this builder's pool
    /// and HTTP/2 settings.
    fn pooled_client<C>(&self, connector: C) -> Client<C, Full<Bytes>>
    where
        C: Connect + Clone,
    {
        let mut client = Client::builder(TokioExecutor::new());
        client
            .timer(HyperTokioTimer::new())
            .pool_timer(HyperTokioTimer::new())
            .pool_idle_timeout(self.settings.pool_idle_timeout)
            .pool_max_idle_per_host(self.settings.pool_max_idle_per_host);
        #[cfg(feature = "http2")]
        client.http2_only(self.settings.http2_prior_knowledge);
        client.build(connector)
    }
}
