//! The runtime-free path: your connector, your executor, your timer.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Uri, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::rt::{Executor, Timer};

use crate::error::{BoxError, Error, TimeoutPhase};
use crate::exchange;
use crate::transport::{Backend, Builder, HyperTransport, SendFuture};

/// A future handed to your executor: it must be polled to completion, on
/// any thread.
pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Opens a byte stream to the host of a URI; the transport speaks HTTP over
/// it.
///
/// This is how [`HyperTransport::with_connector`] reaches the network without
/// tokio: resolve and connect with your runtime's sockets (and do TLS for
/// `https` if you need it), then hand back something implementing hyper's
/// [`Read`](hyper::rt::Read) and [`Write`](hyper::rt::Write).
///
/// The transport applies its connect timeout around `connect`, and the
/// cleartext rule before calling it. An error from `connect` is reported as
/// [`Error::Connect`] (or [`Error::Tls`] when a `rustls::Error` is in its
/// chain), both known not to have sent the request.
///
/// Closures implement it through [`connect_fn`].
pub trait Connect: Send + Sync + 'static {
    /// The connected stream.
    type Io: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static;
    /// Why connecting failed.
    type Error: Into<BoxError>;

    /// Opens a connection to `uri`'s host and port (the port defaults to 80
    /// for `http` and 443 for `https`; see [`default_port`]).
    fn connect(&self, uri: &Uri) -> impl Future<Output = Result<Self::Io, Self::Error>> + Send;
}

/// The port to connect to for `uri`: its explicit port, or the scheme's
/// default (443 for `https`, 80 otherwise).
///
/// ```
/// let uri: http::Uri = "https://api.clerk.com/v1".parse().unwrap();
/// assert_eq!(clerk_hyper::default_port(&uri), 443);
/// let uri: http::Uri = "http://127.0.0.1:8080/".parse().unwrap();
/// assert_eq!(clerk_hyper::default_port(&uri), 8080);
/// ```
pub fn default_port(uri: &Uri) -> u16 {
    uri.port_u16().unwrap_or_else(|| {
        if uri
            .scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("https"))
        {
            443
        } else {
            80
        }
    })
}

/// A [`Connect`] made from a closure; see [`connect_fn`].
#[derive(Clone, Copy)]
pub struct ConnectFn<F>(F);

impl<F> fmt::Debug for ConnectFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConnectFn")
    }
}

/// Turns `f(uri) -> impl Future<Output = Result<Io, E>>` into a [`Connect`].
///
/// Here with tokio's `TcpStream` for brevity; any runtime's socket adapted to
/// hyper's IO traits works the same way.
///
/// ```
/// # #[cfg(feature = "tokio")] {
/// use clerk_hyper::connect_fn;
/// use clerk_hyper::hyper_util::rt::TokioIo;
///
/// let connector = connect_fn(|uri: http::Uri| async move {
///     let host = uri.host().unwrap_or_default();
///     let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
///     let port = clerk_hyper::default_port(&uri);
///     let stream = tokio::net::TcpStream::connect((host, port)).await?;
///     Ok::<_, std::io::Error>(TokioIo::new(stream))
/// });
/// # fn is_connect(_: &impl clerk_hyper::Connect) {}
/// # is_connect(&connector);
/// # }
/// ```
pub fn connect_fn<F, Fut, Io, E>(f: F) -> ConnectFn<F>
where
    F: Fn(Uri) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Io, E>> + Send,
    Io: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    E: Into<BoxError>,
{
    ConnectFn(f)
}

impl<F, Fut, Io, E> Connect for ConnectFn<F>
where
    F: Fn(Uri) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Io, E>> + Send,
    Io: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    E: Into<BoxError>,
{
    type Io = Io;
    type Error = E;

    fn connect(&self, uri: &Uri) -> impl Future<Output = Result<Io, E>> + Send {
        (self.0)(uri.clone())
    }
}

/// Your executor, made to accept every `Send` future hyper spawns.
#[derive(Clone)]
struct Exec(Arc<dyn Executor<BoxFuture> + Send + Sync>);

impl<F> Executor<F> for Exec
where
    F: Future<Output = ()> + Send + 'static,
{
    fn execute(&self, fut: F) {
        self.0.execute(Box::pin(fut));
    }
}

struct ConnectorBackend<C> {
    connector: C,
    exec: Exec,
    timer: Arc<dyn Timer + Send + Sync>,
    connect_timeout: Option<std::time::Duration>,
    #[cfg_attr(not(feature = "http2"), allow(dead_code))]
    http2: bool,
}

impl<C: Connect> ConnectorBackend<C> {
    async fn open(&self, uri: &Uri) -> Result<C::Io, Error> {
        let connecting = std::pin::pin!(async {
            self.connector
                .connect(uri)
                .await
                .map_err(|e| Error::from_connect(e.into()))
        });
        match self.connect_timeout {
            Some(after) => exchange::deadline(&*self.timer, after, connecting)
                .await
                .unwrap_or(Err(Error::timeout(TimeoutPhase::Connect, Some(after)))),
            None => connecting.await,
        }
    }

    async fn round_trip(
        &self,
        mut request: http::Request<Full<Bytes>>,
    ) -> Result<http::Response<Incoming>, Error> {
        let io = self.open(request.uri()).await?;

        #[cfg(feature = "http2")]
        if self.http2 {
            let (mut sender, connection) =
                hyper::client::conn::http2::Builder::new(self.exec.clone())
                    .handshake(io)
                    .await
                    .map_err(|e| Error::from_connect(Box::new(e)))?;
            self.exec.execute(async move {
                // Errors surface through the request or its body.
                let _ = connection.await;
            });
            return sender
                .send_request(request)
                .await
                .map_err(|e| Error::from_exchange(Box::new(e)));
        }

        let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
            .handshake(io)
            .await
            .map_err(|e| Error::from_connect(Box::new(e)))?;
        self.exec.execute(async move {
            let _ = connection.await;
        });
        to_origin_form(&mut request)?;
        sender
            .send_request(request)
            .await
            .map_err(|e| Error::from_exchange(Box::new(e)))
    }
}

/// HTTP/1.1 wants `/path?query` on the request line and the authority in
/// `Host`.
fn to_origin_form(request: &mut http::Request<Full<Bytes>>) -> Result<(), Error> {
    let uri = request.uri();
    if !request.headers().contains_key(header::HOST) {
        let authority = uri
            .authority()
            .ok_or_else(|| Error::invalid("the request URI has no host"))?;
        // Never forward userinfo into a header.
        let host = authority
            .as_str()
            .rsplit_once('@')
            .map_or(authority.as_str(), |(_, host)| host);
        let value = HeaderValue::from_str(host)
            .map_err(|_| Error::invalid("the request URI's host is not a valid header value"))?;
        request.headers_mut().insert(header::HOST, value);
    }
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    *request.uri_mut() =
        Uri::try_from(path).map_err(|_| Error::invalid("the request URI's path is not valid"))?;
    Ok(())
}

impl<C: Connect> Backend for ConnectorBackend<C> {
    fn send(
        &self,
        request: http::Request<Full<Bytes>>,
    ) -> SendFuture<'_, Result<http::Response<Incoming>, Error>> {
        Box::pin(self.round_trip(request))
    }
}

impl HyperTransport {
    /// A transport on any runtime: `connector` opens streams, `executor` runs
    /// hyper's connection tasks, `timer` measures the timeouts. Default
    /// limits apply; see [`Builder::build_with_connector`] to change them.
    ///
    /// Each request opens its own connection (no pool) and speaks HTTP/1.1,
    /// or HTTP/2 with [`Builder::http2_prior_knowledge`]. Available without
    /// the `tokio` feature; `crates/clerk-hyper/examples/custom_runtime.rs`
    /// drives it with smol.
    ///
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// use std::time::Duration;
    /// use clerk_hyper::{connect_fn, HyperTransport};
    /// // tokio stands in for "your runtime" here; see the smol example.
    /// use clerk_hyper::hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    ///
    /// let connector = connect_fn(|uri: http::Uri| async move {
    ///     let host = uri.host().unwrap_or_default();
    ///     let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    ///     let stream = tokio::net::TcpStream::connect((host, clerk_hyper::default_port(&uri))).await?;
    ///     Ok::<_, std::io::Error>(TokioIo::new(stream))
    /// });
    /// let transport = HyperTransport::builder()
    ///     .request_timeout(Duration::from_secs(5))
    ///     .build_with_connector(connector, TokioExecutor::new(), TokioTimer::new());
    /// # drop(transport);
    /// # }
    /// ```
    pub fn with_connector<C, E, T>(connector: C, executor: E, timer: T) -> Self
    where
        C: Connect,
        E: Executor<BoxFuture> + Send + Sync + 'static,
        T: Timer + Send + Sync + 'static,
    {
        Builder::default().build_with_connector(connector, executor, timer)
    }
}

impl Builder {
    /// Builds a transport on your runtime from this builder's settings; see
    /// [`HyperTransport::with_connector`].
    ///
    /// The connect timeout covers `connector.connect` (and the HTTP/2
    /// handshake); the request timeout the whole exchange. Pool and TLS
    /// settings of this builder are not used: TLS, if any, is the connector's.
    pub fn build_with_connector<C, E, T>(
        self,
        connector: C,
        executor: E,
        timer: T,
    ) -> HyperTransport
    where
        C: Connect,
        E: Executor<BoxFuture> + Send + Sync + 'static,
        T: Timer + Send + Sync + 'static,
    {
        let timer: Arc<dyn Timer + Send + Sync> = Arc::new(timer);
        let backend = ConnectorBackend {
            connector,
            exec: Exec(Arc::new(executor)),
            timer: timer.clone(),
            connect_timeout: self.settings.connect_timeout,
            http2: self.settings.http2_prior_knowledge,
        };
        HyperTransport::from_parts(
            crate::transport::Backends::Other(Box::new(backend)),
            crate::exchange::DeadlineTimer::Hyper(timer),
            self.settings,
            true,
            "user-supplied connector",
        )
    }
}
