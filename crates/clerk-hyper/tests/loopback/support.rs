//! Tiny loopback servers for the tests. Everything binds 127.0.0.1:0.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use clerk_hyper::http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Short limits so that every test ends within seconds even when it fails.
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
pub fn fast_builder() -> clerk_hyper::Builder {
    clerk_hyper::HyperTransport::builder()
        .request_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(2))
}

/// A request as clerk-core would build it, with a secret in Authorization.
pub fn request(uri: &str) -> clerk_core::HttpRequest {
    let mut auth = http::HeaderValue::from_static("Bearer sk_test_SECRET_DO_NOT_LEAK");
    auth.set_sensitive(true);
    http::Request::post(uri)
        .header(http::header::AUTHORIZATION, auth)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Bytes::from_static(br#"{"user_id":"user_1"}"#))
        .expect("test request")
}

pub async fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = l.local_addr().expect("local addr");
    (l, addr)
}

/// Accepts connections forever (until the test's runtime ends) and hands each
/// to `handle`. Returns the address and a count of accepted connections.
pub async fn raw_server<F, Fut>(handle: F) -> (SocketAddr, Arc<AtomicUsize>)
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (l, addr) = listener().await;
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = l.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(handle(stream));
        }
    });
    (addr, accepted)
}

/// Reads one request (head and a `Content-Length` body) off `stream`.
/// Returns the head as text.
pub async fn read_request(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return String::from_utf8_lossy(&buf).into_owned(),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())
                .flatten()
        })
        .unwrap_or(0);
    while buf.len() < head_end + len {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    head
}

/// A server answering every request with `response` (raw bytes), then
/// closing the connection.
pub async fn canned(response: &'static [u8]) -> (SocketAddr, Arc<AtomicUsize>) {
    raw_server(move |mut s| async move {
        read_request(&mut s).await;
        let _ = s.write_all(response).await;
        let _ = s.shutdown().await;
    })
    .await
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
