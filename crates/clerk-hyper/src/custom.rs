//! The runtime-free path: your connector, your executor, your timer.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use clerk_core::SendError;
use http::{HeaderValue, Uri, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::rt::{Executor, Timer};

use crate::error::{BoxError, connect_failed, exchange_failed};
use crate::exchange;
use crate::stream::IsTls;
use crate::transport::{Backend, Builder, HyperTransport, SendFuture};

/// A future handed to your executor: it must be polled to completion, on
/// any thread.
pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

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

/// A connector made from a closure; see [`connect_fn`]. It is a
/// `tower_service::Service<Uri>`, like hyper-util's connectors.
pub struct ConnectFn<F>(Arc<F>);

impl<F> Clone for ConnectFn<F> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<F> fmt::Debug for ConnectFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConnectFn")
    }
}

/// Turns `f(uri) -> impl Future<Output = Result<Io, E>>` into a connector:
/// a `tower_service::Service<Uri>` whose streams say whether they are TLS
/// ([`IsTls`]).
///
/// Here with tokio's `TcpStream` for brevity (hyper-util's `TokioIo` over a
/// `TcpStream` says it is not TLS); any runtime's socket adapted to hyper's
/// IO traits works the same way.
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
///     Ok::<_, std::io::Error>(TokioIo::new(stream)) // plain TCP: https is refused over it
/// });
/// # drop(connector);
/// # }
/// ```
pub fn connect_fn<F, Fut, Io, E>(f: F) -> ConnectFn<F>
where
    F: Fn(Uri) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Io, E>> + Send + 'static,
    Io: hyper::rt::Read + hyper::rt::Write + IsTls + Unpin + Send + 'static,
    E: Into<BoxError>,
{
    ConnectFn(Arc::new(f))
}

impl<F, Fut, Io, E> tower_service::Service<Uri> for ConnectFn<F>
where
    F: Fn(Uri) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Io, E>> + Send + 'static,
    Io: hyper::rt::Read + hyper::rt::Write + IsTls + Unpin + Send + 'static,
    E: Into<BoxError>,
{
    type Response = Io;
    type Error = E;
    type Future = Fut;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), E>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Fut {
        (self.0)(uri)
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

struct RuntimeBackend<C> {
    connector: C,
    exec: Exec,
    timer: Arc<dyn Timer + Send + Sync>,
    connect_timeout: Option<std::time::Duration>,
    #[cfg_attr(not(feature = "http2"), allow(dead_code))]
    http2: bool,
}

/// A handshaken connection, ready for the request.
enum Sender {
    Http1(hyper::client::conn::http1::SendRequest<Full<Bytes>>),
    #[cfg(feature = "http2")]
    Http2(hyper::client::conn::http2::SendRequest<Full<Bytes>>),
}

impl<C> RuntimeBackend<C>
where
    C: tower_service::Service<Uri> + Clone + Send + Sync + 'static,
    C::Response: hyper::rt::Read + hyper::rt::Write + IsTls + Unpin + Send + 'static,
    C::Error: Into<BoxError>,
    C::Future: Send,
{
    /// Connects, checks the stream against the cleartext rule, and speaks
    /// the HTTP handshake: all of it under the connect deadline, and nothing
    /// of the request written yet.
    async fn open(&self, uri: &Uri) -> Result<Sender, SendError> {
        let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
        let mut connector = self.connector.clone();
        let connecting = std::pin::pin!(async {
            std::future::poll_fn(|cx| connector.poll_ready(cx))
                .await
                .map_err(|e| connect_failed(e.into()))?;
            let io = connector
                .call(uri.clone())
                .await
                .map_err(|e| connect_failed(e.into()))?;
            if https && !io.is_tls() {
                return Err(SendError::https_over_plaintext());
            }
            self.handshake(io).await
        });
        match self.connect_timeout {
            Some(after) => exchange::deadline(&*self.timer, after, connecting)
                .await
                .unwrap_or_else(|| Err(SendError::connect_timeout(Some(after)))),
            None => connecting.await,
        }
    }

    async fn handshake(&self, io: C::Response) -> Result<Sender, SendError> {
        #[cfg(feature = "http2")]
        if self.http2 {
            let (sender, connection) = hyper::client::conn::http2::Builder::new(self.exec.clone())
                .handshake(io)
                .await
                .map_err(|e| connect_failed(Box::new(e)))?;
            self.exec.execute(async move {
                // Errors surface through the request or its body.
                let _ = connection.await;
            });
            return Ok(Sender::Http2(sender));
        }
        let (sender, connection) = hyper::client::conn::http1::Builder::new()
            .handshake(io)
            .await
            .map_err(|e| connect_failed(Box::new(e)))?;
        self.exec.execute(async move {
            let _ = connection.await;
        });
        Ok(Sender::Http1(sender))
    }

    async fn round_trip(
        &self,
        mut request: http::Request<Full<Bytes>>,
    ) -> Result<http::Response<Incoming>, SendError> {
        let sender = self.open(request.uri()).await?;
        let sent = match sender {
            #[cfg(feature = "http2")]
            Sender::Http2(mut sender) => sender.send_request(request).await,
            Sender::Http1(mut sender) => {
                to_origin_form(&mut request)?;
                sender.send_request(request).await
            }
        };
        sent.map_err(|e| exchange_failed(Box::new(e)))
    }
}

/// HTTP/1.1 wants `/path?query` on the request line and the authority in
/// `Host`.
fn to_origin_form(request: &mut http::Request<Full<Bytes>>) -> Result<(), SendError> {
    let uri = request.uri();
    if !request.headers().contains_key(header::HOST) {
        let authority = uri
            .authority()
            .ok_or_else(|| SendError::invalid_request("the request URI has no host"))?;
        // Never forward userinfo into a header.
        let host = authority
            .as_str()
            .rsplit_once('@')
            .map_or(authority.as_str(), |(_, host)| host);
        let value = HeaderValue::from_str(host).map_err(|_| {
            SendError::invalid_request("the request URI's host is not a valid header value")
        })?;
        request.headers_mut().insert(header::HOST, value);
    }
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    *request.uri_mut() = Uri::try_from(path)
        .map_err(|_| SendError::invalid_request("the request URI's path is not valid"))?;
    Ok(())
}

impl<C> Backend for RuntimeBackend<C>
where
    C: tower_service::Service<Uri> + Clone + Send + Sync + 'static,
    C::Response: hyper::rt::Read + hyper::rt::Write + IsTls + Unpin + Send + 'static,
    C::Error: Into<BoxError>,
    C::Future: Send,
{
    fn send(
        &self,
        request: http::Request<Full<Bytes>>,
    ) -> SendFuture<'_, Result<http::Response<Incoming>, SendError>> {
        Box::pin(self.round_trip(request))
    }
}

impl HyperTransport {
    /// A transport on any runtime: `connector` opens streams (any
    /// `tower_service::Service<Uri>` whose streams say whether they are TLS,
    /// [`IsTls`]: hyper-util's connectors, or a closure through
    /// [`connect_fn`]), `executor` runs hyper's connection tasks, `timer`
    /// measures the timeouts. Default limits apply; see
    /// [`Builder::build_with_runtime`] to change them.
    ///
    /// Each request opens its own connection (no pool) and speaks HTTP/1.1,
    /// or HTTP/2 with [`Builder::http2_prior_knowledge`]. An `https` request
    /// over a stream that is not TLS is refused before a byte is written.
    /// Available without the `tokio` feature;
    /// `crates/clerk-hyper/examples/custom_runtime.rs` drives it with smol.
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
    ///     // Plain TCP, and it says so: fine for a loopback mock over http,
    ///     // refused for https (bring a TLS connector for that).
    ///     Ok::<_, std::io::Error>(TokioIo::new(stream))
    /// });
    /// let transport = HyperTransport::builder()
    ///     .request_timeout(Duration::from_secs(5))
    ///     .build_with_runtime(connector, TokioExecutor::new(), TokioTimer::new());
    /// # drop(transport);
    /// # }
    /// ```
    pub fn with_runtime<C, E, T>(connector: C, executor: E, timer: T) -> Self
    where
        C: tower_service::Service<Uri> + Clone + Send + Sync + 'static,
        C::Response: hyper::rt::Read + hyper::rt::Write + IsTls + Unpin + Send + 'static,
        C::Error: Into<BoxError>,
        C::Future: Send,
        E: Executor<BoxFuture> + Send + Sync + 'static,
        T: Timer + Send + Sync + 'static,
    {
        Builder::default().build_with_runtime(connector, executor, timer)
    }
}

impl Builder {
    /// Builds a transport on your runtime from this builder's settings; see
    /// [`HyperTransport::with_runtime`].
    ///
    /// The connect timeout covers the connector, the cleartext check of the
    /// stream and the HTTP/1.1 or HTTP/2 handshake; the request timeout the
    /// whole exchange. Pool and TLS settings of this builder are not used:
    /// TLS, if any, is the connector's.
    ///
    /// See [`HyperTransport::with_runtime`] for an example.
    pub fn build_with_runtime<C, E, T>(self, connector: C, executor: E, timer: T) -> HyperTransport
    where
        C: tower_service::Service<Uri> + Clone + Send + Sync + 'static,
        C::Response: hyper::rt::Read + hyper::rt::Write + IsTls + Unpin + Send + 'static,
        C::Error: Into<BoxError>,
        C::Future: Send,
        E: Executor<BoxFuture> + Send + Sync + 'static,
        T: Timer + Send + Sync + 'static,
    {
        let timer: Arc<dyn Timer + Send + Sync> = Arc::new(timer);
        let backend = RuntimeBackend {
            connector,
            exec: Exec(Arc::new(executor)),
            timer: timer.clone(),
            connect_timeout: self.settings.limits.connect_timeout,
            http2: self.settings.http2_prior_knowledge,
        };
        HyperTransport::from_parts(
            crate::transport::Backends::Other(Box::new(backend)),
            crate::exchange::DeadlineTimer::Hyper(timer),
            self.settings,
            true,
            "user-supplied connector and runtime",
        )
    }
}
