//! Tiny loopback servers for the tests. Everything binds 127.0.0.1:0.
//! The raw-byte servers are the workspace's shared ones
//! (`clerk_test_support::loopback`); the hyper servers are this suite's own.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use clerk_hyper::http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};

pub use clerk_test_support::loopback::{canned, listener, raw_server, read_request, request};

/// Short limits so that every test ends within seconds even when it fails.
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
pub fn fast_builder() -> clerk_hyper::Builder {
    clerk_hyper::HyperTransport::builder()
        .request_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(2))
}

/// The size of the body served at `/big`.
pub const BIG: usize = 300_000;

/// A hyper service answering `200` with the HTTP version it saw in the body.
pub async fn hello(
    req: http::Request<Incoming>,
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    if req.uri().path() == "/big" {
        // Larger than any single read or HTTP/2 window: many frames.
        return Ok(http::Response::new(Full::new(Bytes::from(vec![b'a'; BIG]))));
    }
    let body = format!("hello over {:?}", req.version());
    Ok(http::Response::builder()
        .header("x-test", "yes")
        .body(Full::new(Bytes::from(body)))
        .expect("response"))
}

/// Serves [`hello`] over HTTP/1.1 and HTTP/2 (auto-detected) on any IO.
pub fn serve_hello<I>(io: I)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
            .serve_connection(TokioIo::new(io), hyper::service::service_fn(hello))
            .await;
    });
}

/// A cleartext hyper server speaking HTTP/1.1 and h2c prior knowledge.
pub async fn hyper_server() -> SocketAddr {
    let (l, addr) = listener().await;
    tokio::spawn(async move {
        while let Ok((stream, _)) = l.accept().await {
            serve_hello(stream);
        }
    });
    addr
}

/// Checks that no part of an error's text or debug output carries the secret.
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
pub fn assert_no_secret(err: &clerk_hyper::Error) {
    let shown = format!("{err} / {err:?}");
    assert!(!shown.contains("SECRET"), "error leaks the secret: {shown}");
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        let shown = format!("{s} / {s:?}");
        assert!(!shown.contains("SECRET"), "cause leaks the secret: {shown}");
        source = s.source();
    }
}
