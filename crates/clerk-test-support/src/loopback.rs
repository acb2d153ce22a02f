//! Small tokio servers on loopback for transport tests: raw bytes in, raw
//! bytes out. Each server lives as long as the test's runtime.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The secret the request from [`request`] carries.
pub const SECRET: &str = "sk_test_SECRET_DO_NOT_LEAK";

/// A request as clerk-core would build it, with [`SECRET`] in its
/// `Authorization` (marked sensitive) and a small JSON body.
pub fn request(uri: &str) -> clerk_core::HttpRequest {
    let mut auth = http::HeaderValue::from_str(&format!("Bearer {SECRET}")).expect("header");
    auth.set_sensitive(true);
    http::Request::post(uri)
        .header(http::header::AUTHORIZATION, auth)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Bytes::from_static(br#"{"user_id":"user_1"}"#))
        .expect("test request")
}

/// A listener on `127.0.0.1:0`, and its address.
pub async fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = l.local_addr().expect("local addr");
    (l, addr)
}

/// Accepts connections and hands each, unread, to `handle`. Returns the
/// address and a count of accepted connections.
pub async fn raw_server<F, Fut>(handle: F) -> (SocketAddr, Arc<AtomicUsize>)
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (l, addr) = listener().await;
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((stream, _)) = l.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(handle(stream));
        }
    });
    (addr, accepted)
}

/// Accepts connections, reads one request off each, and hands the
/// connection to `handle` only when the whole request arrived. Returns the
/// address and a count of the requests read.
pub async fn request_server<F, Fut>(handle: F) -> (SocketAddr, Arc<AtomicUsize>)
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (l, addr) = listener().await;
    let requests = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&requests);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = l.accept().await {
            if read_request(&mut stream).await.is_some() {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(handle(stream));
            }
        }
    });
    (addr, requests)
}

/// Reads one request (its head and a `Content-Length` body) off `stream`.
/// Returns the head as text, or `None` when the client went away before
/// the whole request arrived.
pub async fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
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
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    Some(head)
}

/// A server answering every request with `response` (raw bytes), then
/// closing the connection. Counts accepted connections.
pub async fn canned(response: &'static [u8]) -> (SocketAddr, Arc<AtomicUsize>) {
    raw_server(move |mut s| async move {
        read_request(&mut s).await;
        let _ = s.write_all(response).await;
        let _ = s.shutdown().await;
    })
    .await
}
