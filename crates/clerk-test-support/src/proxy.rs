//! An HTTP proxy on loopback that records what it carried: `CONNECT`
//! tunnels for `https`, and absolute-form forwarding for plain `http`
//! (one request per connection: it asks the origin to close after
//! answering). And a TLS front that puts HTTPS before a plain server, so a
//! tunnel has an HTTPS origin to reach.
//!
//! Both run as tasks on the test's tokio runtime and live as long as it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::certs::Leaf;

/// The most request head the proxy reads.
const MAX_HEAD: usize = 64 * 1024;

/// A running proxy.
#[derive(Clone)]
pub struct Proxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    /// Starts a proxy on `127.0.0.1:0`.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve(client, Arc::clone(&log)));
            }
        });
        Self { addr, seen }
    }

    /// `http://127.0.0.1:PORT`, as `HTTPS_PROXY`/`HTTP_PROXY` want it.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The request line of everything it carried, in order: `CONNECT
    /// host:port HTTP/1.1` for a tunnel, `POST http://host:port/path
    /// HTTP/1.1` for a forwarded request.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

async fn serve(mut client: TcpStream, log: Arc<Mutex<Vec<String>>>) {
    let Some((head, rest)) = read_head(&mut client).await else {
        return;
    };
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    if let Ok(mut log) = log.lock() {
        log.push(request_line.clone());
    }
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method.eq_ignore_ascii_case("CONNECT") {
        let Ok(mut origin) = TcpStream::connect(target).await else {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
            return;
        };
        if client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await
            .is_err()
            || origin.write_all(&rest).await.is_err()
        {
            return;
        }
        let _ = tokio::io::copy_bidirectional(&mut client, &mut origin).await;
        return;
    }
    // Absolute form: `METHOD http://authority/path HTTP/1.1`.
    let Some(after_scheme) = target.strip_prefix("http://") else {
        let _ = client.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        return;
    };
    let (authority, path) = match after_scheme.find('/') {
        Some(at) => (&after_scheme[..at], &after_scheme[at..]),
        None => (after_scheme, "/"),
    };
    let Ok(mut origin) = TcpStream::connect(authority).await else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
        return;
    };
    let mut forwarded = format!("{method} {path} {}\r\n", parts.next().unwrap_or("HTTP/1.1"));
    for line in head.split("\r\n").skip(1) {
        let name = line.split(':').next().unwrap_or("").trim();
        if line.is_empty()
            || name.eq_ignore_ascii_case("connection")
            || name.eq_ignore_ascii_case("proxy-connection")
        {
            continue;
        }
        forwarded.push_str(line);
        forwarded.push_str("\r\n");
    }
    forwarded.push_str("Connection: close\r\n\r\n");
    if origin.write_all(forwarded.as_bytes()).await.is_err()
        || origin.write_all(&rest).await.is_err()
    {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut origin).await;
}

/// Reads a request head; returns it as text, and the bytes read past it.
async fn read_head(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(at + 4);
            buf.truncate(at);
            return Some((String::from_utf8_lossy(&buf).into_owned(), rest));
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Starts a TLS server on `127.0.0.1:0` presenting `leaf`, that passes
/// each decrypted connection to the plain server at `backend`. Returns its
/// address.
pub async fn tls_front(leaf: Leaf, backend: SocketAddr) -> SocketAddr {
    let acceptor = tokio_rustls::TlsAcceptor::from(leaf.server_config_with_alpn(&[b"http/1.1"]));
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the TLS front");
    let addr = listener.local_addr().expect("TLS front addr");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    addr
}
