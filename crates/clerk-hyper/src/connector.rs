//! The TCP layer of the pooled client: straight to the server, through a
//! proxy's `CONNECT` tunnel (hyper-util's [`Tunnel`]), or to a forwarding
//! proxy. TLS to the server is layered on top by hyper-rustls, so a tunnelled
//! `https` request is end-to-end TLS.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::error::{BoxError, ProxyFailure, find};
use crate::proxy::Proxies;

/// hyper-util's tunnel error: its type is not exported by name, so it is
/// named through the service that returns it.
type TunnelError = <Tunnel<HttpConnector> as tower_service::Service<Uri>>::Error;

/// Connects to the server or to its proxy.
#[derive(Clone)]
pub(crate) struct ProxyConnector {
    http: HttpConnector,
    proxies: Option<Proxies>,
}

impl ProxyConnector {
    pub(crate) fn new(http: HttpConnector, proxies: Option<Proxies>) -> Self {
        Self { http, proxies }
    }
}

impl tower_service::Service<Uri> for ProxyConnector {
    type Response = ProxyStream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<ProxyStream, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // HttpConnector is always ready; each call below clones it.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let mut http = self.http.clone();
        let route = self.proxies.as_ref().and_then(|p| p.intercept(&dst));
        Box::pin(async move {
            let Some(route) = route else {
                let io = http.call(dst).await.map_err(BoxError::from)?;
                return Ok(ProxyStream::new(io, false));
            };
            if dst.scheme_str() == Some("https") {
                let mut tunnel = Tunnel::new(route.proxy, http);
                if let Some(auth) = route.auth {
                    tunnel = tunnel.with_auth(auth);
                }
                let io = tunnel.call(dst).await.map_err(BoxError::from)?;
                Ok(ProxyStream::new(io, false))
            } else {
                // Plain http: the request itself goes to the proxy, in
                // absolute form (hyper does that for a proxied connection).
                let io = http
                    .call(route.proxy)
                    .await
                    .map_err(|e| BoxError::from(ProxyUnreachable(e.into())))?;
                Ok(ProxyStream::new(io, true))
            }
        })
    }
}

/// A TCP connection to the server, to a tunnel through a proxy, or to a
/// forwarding proxy (`forwarding`), which makes hyper send absolute-form
/// request targets.
pub(crate) struct ProxyStream {
    io: TokioIo<TcpStream>,
    forwarding: bool,
}

impl ProxyStream {
    fn new(io: TokioIo<TcpStream>, forwarding: bool) -> Self {
        Self { io, forwarding }
    }
}

/// Plain TCP: TLS, when there is any, is hyper-rustls's layer above it.
impl crate::stream::IsTls for ProxyStream {
    fn is_tls(&self) -> bool {
        false
    }
}

impl Connection for ProxyStream {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.forwarding)
    }
}

impl Read for ProxyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl Write for ProxyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}

/// The marker left in the error chain when a forwarding proxy could not be
/// reached.
#[derive(Debug)]
struct ProxyUnreachable(BoxError);

impl fmt::Display for ProxyUnreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("could not connect to the proxy")
    }
}

impl StdError for ProxyUnreachable {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.0)
    }
}

/// What a connect-time error says about the proxy, if it is a proxy's
/// failure.
pub(crate) fn proxy_failure(err: &(dyn StdError + 'static)) -> Option<ProxyFailure> {
    if find::<ProxyUnreachable>(err).is_some() {
        return Some(ProxyFailure::Unreachable);
    }
    let tunnel = find::<TunnelError>(err)?;
    Some(match tunnel {
        TunnelError::ConnectFailed(_) => ProxyFailure::Unreachable,
        TunnelError::ProxyAuthRequired => ProxyFailure::AuthenticationRequired,
        TunnelError::TunnelUnsuccessful => ProxyFailure::Refused,
        TunnelError::TunnelUnexpectedEof | TunnelError::Io(_) => ProxyFailure::Closed,
        TunnelError::ProxyHeadersTooLong | TunnelError::MissingHost => {
            ProxyFailure::InvalidResponse
        }
    })
}
