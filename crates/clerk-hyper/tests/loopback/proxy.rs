//! Proxies started by the tests on 127.0.0.1: a `CONNECT` proxy, a
//! forwarding proxy, and proxies that refuse.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use clerk_core::{HttpTransport, TransportError};
use clerk_hyper::{Error, HyperTransport, ProxyConfig, ProxyFailure};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::*;
use crate::tls::{ca, issued, leaf_params, tls_server_on};

/// The proxy's password: errors must never show it.
const PROXY_PASSWORD: &str = "pw-SECRET-proxy";
/// `Basic` of `svc:pw-SECRET-proxy`.
const PROXY_AUTHORIZATION: &str = "Basic c3ZjOnB3LVNFQ1JFVC1wcm94eQ==";

/// How a test proxy answers.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Tunnel (`CONNECT`) or forward everything to the origin.
    Pass,
    /// Answer every request with this status.
    Status(u16),
    /// Close the connection once the request head is read.
    Close,
}

struct Proxy {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().expect("heads").clone()
    }
}

/// Reads a request head and the bytes after it that arrived with it.
async fn read_head(stream: &mut TcpStream) -> (String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(i + 4);
            return (String::from_utf8_lossy(&buf).into_owned(), rest);
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return (String::from_utf8_lossy(&buf).into_owned(), Vec::new()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A proxy on 127.0.0.1 that sends every tunnel and every forwarded request
/// to `origin`, whatever host was asked for (it plays the proxy's DNS), and
/// records each request head.
async fn proxy(origin: SocketAddr, behaviour: Behaviour) -> Proxy {
    let heads = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&heads);
    let (addr, accepted) = raw_server(move |mut client| {
        let log = Arc::clone(&log);
        async move {
            let (head, early) = read_head(&mut client).await;
            let connect = head.starts_with("CONNECT ");
            log.lock().expect("heads").push(head.clone());
            match behaviour {
                Behaviour::Close => return,
                Behaviour::Status(code) => {
                    let answer = format!(
                        "HTTP/1.1 {code} Refused\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    );
                    let _ = client.write_all(answer.as_bytes()).await;
                    return;
                }
                Behaviour::Pass => {}
            }
            let Ok(mut upstream) = TcpStream::connect(origin).await else {
                return;
            };
            if connect {
                let _ = client
                    .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                    .await;
            } else {
                // HTTP/1.1 servers accept the absolute-form target as is.
                let _ = upstream.write_all(head.as_bytes()).await;
            }
            let _ = upstream.write_all(&early).await;
            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        }
    })
    .await;
    Proxy {
        addr,
        accepted,
        heads,
    }
}

fn through(proxy: &Proxy) -> clerk_hyper::Builder {
    fast_builder().proxy(ProxyConfig::all(proxy.url()).basic_auth("svc", PROXY_PASSWORD))
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[tokio::test]
async fn https_goes_through_a_connect_tunnel_end_to_end() {
    let ca = ca("proxy test ca");
    let (l, _) = listener().await;
    let origin = tls_server_on(issued(&ca, leaf_params(&["api.clerk.test"])), l);
    let proxy = proxy(origin, Behaviour::Pass).await;
    let transport = through(&proxy)
        .tls_built_in_roots(false)
        .add_root_certificate(ca.der.clone())
        .build()
        .expect("build");
    // `api.clerk.test` resolves nowhere but in the proxy.
    let uri = format!("https://api.clerk.test:{}/v1/sign_in_tokens", origin.port());
    let response = transport.send(request(&uri)).await.expect("tunnelled");
    assert_eq!(response.status(), 200);
    #[cfg(feature = "http2")]
    assert_eq!(response.body().as_ref(), b"hello over HTTP/2.0");

    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].starts_with(&format!(
            "CONNECT api.clerk.test:{} HTTP/1.1\r\n",
            origin.port()
        )),
        "{heads:?}"
    );
    assert_eq!(
        header(&heads[0], "proxy-authorization"),
        Some(PROXY_AUTHORIZATION)
    );
    // The key travels inside TLS: the proxy never sees it.
    assert!(!heads[0].contains("sk_test"), "{heads:?}");
}

#[tokio::test]
async fn plain_http_to_a_loopback_origin_goes_through_a_forwarding_proxy() {
    let origin = hyper_server().await;
    let proxy = proxy(origin, Behaviour::Pass).await;
    let transport = through(&proxy).build().expect("build");
    let uri = format!("http://127.0.0.1:{}/v1/sign_in_tokens", origin.port());
    let response = transport.send(request(&uri)).await.expect("forwarded");
    assert_eq!(response.status(), 200);
    assert_eq!(response.body().as_ref(), b"hello over HTTP/1.1");

    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].starts_with(&format!("POST {uri} HTTP/1.1\r\n")),
        "absolute-form target expected: {heads:?}"
    );
    assert_eq!(
        header(&heads[0], "proxy-authorization"),
        Some(PROXY_AUTHORIZATION)
    );
}

#[tokio::test]
async fn plain_http_to_a_public_host_never_reaches_the_proxy() {
    let origin = hyper_server().await;
    let proxy = proxy(origin, Behaviour::Pass).await;
    // Even with cleartext allowed for direct connections.
    let transport = through(&proxy)
        .allow_insecure_http(true)
        .build()
        .expect("build");
    let err = transport
        .send(request("http://api.clerk.com/v1/sign_in_tokens"))
        .await
        .expect_err("refused");
    assert_eq!(failure(&err), ProxyFailure::CleartextOrigin, "{err:?}");
    assert_eq!(err.kind(), clerk_core::TransportErrorKind::InsecureScheme);
    assert!(err.is_request_not_sent());
    assert!(err.is_permanent());
    assert_no_secret(&err);
    assert_eq!(proxy.accepted.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn no_proxy_bypasses_the_proxy() {
    let origin = hyper_server().await;
    let proxy = proxy(origin, Behaviour::Pass).await;
    let url = proxy.url();
    let env = |no_proxy: Option<&'static str>| {
        let url = url.clone();
        ProxyConfig::from_env_with(move |name| match name {
            "http_proxy" | "HTTPS_PROXY" => Some(url.clone()),
            "no_proxy" => no_proxy.map(str::to_owned),
            _ => None,
        })
    };
    let uri = format!("http://127.0.0.1:{}/v1/sign_in_tokens", origin.port());

    let bypassing = fast_builder()
        .proxy(env(Some("localhost, 127.0.0.1")))
        .build()
        .expect("build");
    let response = bypassing.send(request(&uri)).await.expect("direct");
    assert_eq!(response.status(), 200);
    assert_eq!(proxy.accepted.load(Ordering::SeqCst), 0);

    // The same settings without NO_PROXY do go through it.
    let proxied = fast_builder().proxy(env(None)).build().expect("build");
    let response = proxied.send(request(&uri)).await.expect("proxied");
    assert_eq!(response.status(), 200);
    assert_eq!(proxy.accepted.load(Ordering::SeqCst), 1);
}

/// Sends an `https` request through a proxy that misbehaves as told.
async fn through_refusing(behaviour: Behaviour, scheme: &str) -> (Error, Proxy) {
    let origin = hyper_server().await;
    let proxy = proxy(origin, behaviour).await;
    let transport = through(&proxy).build().expect("build");
    let uri = format!("{scheme}://localhost:{}/v1/sign_in_tokens", origin.port());
    let err = transport
        .send(request(&uri))
        .await
        .expect_err("the proxy refuses");
    assert_no_secret(&err);
    assert!(!format!("{err:?}").contains(PROXY_PASSWORD));
    assert!(!format!("{err:?}").contains(PROXY_AUTHORIZATION));
    assert!(err.is_request_not_sent(), "{err:?}");
    (err, proxy)
}

fn failure(err: &Error) -> ProxyFailure {
    match err.find::<clerk_hyper::ProxyError>() {
        Some(proxy) => proxy.failure(),
        None => panic!("expected a proxy error, got {err:?}"),
    }
}

#[tokio::test]
async fn connect_answered_with_407_is_authentication_required() {
    let (err, proxy) = through_refusing(Behaviour::Status(407), "https").await;
    assert_eq!(failure(&err), ProxyFailure::AuthenticationRequired);
    assert!(err.is_permanent());
    assert_eq!(err.kind().as_str(), "proxy_rejected");
    assert!(err.to_string().contains("407"), "{err}");
    assert_eq!(proxy.heads().len(), 1);
}

#[tokio::test]
async fn connect_answered_with_502_is_refused() {
    let (err, _) = through_refusing(Behaviour::Status(502), "https").await;
    assert_eq!(failure(&err), ProxyFailure::Refused);
    assert!(!err.is_permanent());
}

#[tokio::test]
async fn a_tunnel_closed_before_it_opens_is_closed() {
    let (err, _) = through_refusing(Behaviour::Close, "https").await;
    assert_eq!(failure(&err), ProxyFailure::Closed);
    assert!(!err.is_permanent());
}

#[tokio::test]
async fn a_forwarding_proxy_answering_407_is_authentication_required() {
    let (err, proxy) = through_refusing(Behaviour::Status(407), "http").await;
    assert_eq!(failure(&err), ProxyFailure::AuthenticationRequired);
    assert!(proxy.heads()[0].starts_with("POST http://localhost:"));
}

#[tokio::test]
async fn an_unreachable_proxy_is_unreachable() {
    // Bound, then closed: nothing listens on that port any more.
    let (l, addr) = listener().await;
    drop(l);
    for scheme in ["https", "http"] {
        let transport = fast_builder()
            .proxy(ProxyConfig::all(format!(
                "http://svc:{PROXY_PASSWORD}@{addr}"
            )))
            .build()
            .expect("build");
        let err = transport
            .send(request(&format!(
                "{scheme}://localhost:9/v1/sign_in_tokens"
            )))
            .await
            .expect_err("unreachable");
        assert_eq!(failure(&err), ProxyFailure::Unreachable, "{scheme}");
        assert!(err.is_request_not_sent());
        assert_no_secret(&err);
    }
}

#[test]
fn unusable_explicit_settings_fail_the_build_without_quoting_them() {
    for url in [
        format!("socks5://svc:{PROXY_PASSWORD}@127.0.0.1:1080"),
        format!("https://svc:{PROXY_PASSWORD}@127.0.0.1:3128"),
    ] {
        let err = HyperTransport::builder()
            .proxy(ProxyConfig::all(url))
            .build()
            .expect_err("refused");
        let mut shown = format!("{err} / {err:?}");
        if let Some(source) = std::error::Error::source(&err) {
            shown.push_str(&format!(" / {source}"));
        }
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("proxy"), "{shown}");
    }
}

#[test]
fn debug_of_the_builder_hides_proxy_credentials() {
    let builder = fast_builder().proxy(ProxyConfig::all(format!(
        "http://svc:{PROXY_PASSWORD}@proxy.corp.example:3128"
    )));
    let shown = format!("{builder:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(shown.contains("proxy.corp.example:3128"), "{shown}");
}
