//! The runtime-free path: a user connector, executor and timer.
//!
//! Driven by tokio here only because the test servers are tokio; the
//! transport sees nothing but hyper's `rt` traits.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clerk_core::{HttpTransport, TransportError, TransportErrorKind};
use clerk_hyper::{HyperTransport, connect_fn};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};

use crate::support::*;

type Connecting = std::pin::Pin<
    Box<dyn std::future::Future<Output = std::io::Result<TokioIo<tokio::net::TcpStream>>> + Send>,
>;

/// Plain TCP on tokio; `TokioIo<TcpStream>` says it is not TLS.
fn tcp_connect(uri: http::Uri) -> Connecting {
    Box::pin(async move {
        let host = uri.host().unwrap_or_default();
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let stream =
            tokio::net::TcpStream::connect((host, clerk_hyper::default_port(&uri))).await?;
        Ok(TokioIo::new(stream))
    })
}

fn tcp_connector() -> clerk_hyper::ConnectFn<fn(http::Uri) -> Connecting> {
    connect_fn(tcp_connect as fn(http::Uri) -> Connecting)
}

fn custom_builder() -> clerk_hyper::Builder {
    HyperTransport::builder()
        .request_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(2))
}

#[tokio::test]
async fn custom_connector_speaks_http1() {
    let addr = hyper_server().await;
    let transport = custom_builder().build_with_runtime(
        tcp_connector(),
        TokioExecutor::new(),
        TokioTimer::new(),
    );
    let response = transport
        .send(request(&format!("http://{addr}/v1/sign_in_tokens")))
        .await
        .expect("response");
    assert_eq!(response.status(), 200);
    assert_eq!(response.body().as_ref(), b"hello over HTTP/1.1");
}

#[cfg(feature = "http2")]
#[tokio::test]
async fn custom_connector_speaks_h2_with_prior_knowledge() {
    let addr = hyper_server().await;
    let transport = custom_builder()
        .http2_prior_knowledge(true)
        .build_with_runtime(tcp_connector(), TokioExecutor::new(), TokioTimer::new());
    let response = transport
        .send(request(&format!("http://localhost:{}/", addr.port())))
        .await
        .expect("response");
    assert_eq!(response.version(), http::Version::HTTP_2);
    assert_eq!(response.body().as_ref(), b"hello over HTTP/2.0");
}

#[tokio::test]
async fn custom_connector_sends_origin_form_and_host() {
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    let tx = std::sync::Mutex::new(Some(tx));
    let (addr, _) = raw_server(move |mut s| {
        let tx = tx.lock().expect("lock").take();
        async move {
            let head = read_request(&mut s).await.unwrap_or_default();
            let _ = tokio::io::AsyncWriteExt::write_all(
                &mut s,
                b"HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:1/\r\ncontent-length: 0\r\n\r\n",
            )
            .await;
            if let Some(tx) = tx {
                let _ = tx.send(head);
            }
        }
    })
    .await;
    let transport =
        HyperTransport::with_runtime(tcp_connector(), TokioExecutor::new(), TokioTimer::new());
    let response = transport
        .send(request(&format!("http://{addr}/v1/sign_in_tokens?a=b")))
        .await
        .expect("response");
    assert_eq!(response.status(), 307, "redirects are not followed");
    let head = rx.await.expect("head");
    assert!(
        head.starts_with("POST /v1/sign_in_tokens?a=b HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase().contains(&format!("host: {addr}")),
        "{head}"
    );
}

#[tokio::test]
async fn custom_connector_failure_is_connect_and_not_sent() {
    let (l, addr) = listener().await;
    drop(l);
    let transport = custom_builder().build_with_runtime(
        tcp_connector(),
        TokioExecutor::new(),
        TokioTimer::new(),
    );
    let err = transport
        .send(request(&format!("http://{addr}/")))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), TransportErrorKind::Connect, "{err:?}");
    assert!(err.is_request_not_sent());
}

#[tokio::test]
async fn custom_connector_that_hangs_hits_the_connect_timeout() {
    let never = connect_fn(|_uri: http::Uri| async move {
        std::future::pending::<Result<TokioIo<tokio::net::TcpStream>, std::io::Error>>().await
    });
    let transport = custom_builder()
        .connect_timeout(Duration::from_millis(200))
        .build_with_runtime(never, TokioExecutor::new(), TokioTimer::new());
    let started = Instant::now();
    let err = transport
        .send(request("http://127.0.0.1:9/"))
        .await
        .expect_err("hangs");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(err.kind(), TransportErrorKind::ConnectTimeout, "{err:?}");
    assert!(err.is_request_not_sent() && err.is_timeout());
}

#[tokio::test]
async fn insecure_scheme_is_refused_before_the_connector_runs() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let counting = connect_fn(move |_uri: http::Uri| {
        seen.fetch_add(1, Ordering::SeqCst);
        async move { Err::<TokioIo<tokio::net::TcpStream>, _>(std::io::Error::other("offline")) }
    });
    let transport = HyperTransport::with_runtime(counting, TokioExecutor::new(), TokioTimer::new());
    let err = transport
        .send(request("http://example.com/v1/sign_in_tokens"))
        .await
        .expect_err("insecure");
    assert_eq!(err.kind(), TransportErrorKind::InsecureScheme, "{err:?}");
    assert!(err.is_request_not_sent());
    assert_eq!(calls.load(Ordering::SeqCst), 0, "no connection attempted");
}

#[tokio::test]
async fn allow_insecure_http_lets_a_public_host_reach_the_connector() {
    // No network is touched: the connector records the URI and fails.
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let counting = connect_fn(move |uri: http::Uri| {
        assert_eq!(uri.host(), Some("example.com"));
        seen.fetch_add(1, Ordering::SeqCst);
        async move { Err::<TokioIo<tokio::net::TcpStream>, _>(std::io::Error::other("offline")) }
    });
    let transport = custom_builder()
        .allow_insecure_http(true)
        .build_with_runtime(counting, TokioExecutor::new(), TokioTimer::new());
    let err = transport
        .send(request("http://example.com/v1/sign_in_tokens"))
        .await
        .expect_err("offline");
    assert_eq!(err.kind(), TransportErrorKind::Connect, "{err:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn custom_path_caps_the_body_too() {
    let (addr, _) = canned(b"HTTP/1.1 200 OK\r\ncontent-length: 5000\r\n\r\n").await;
    let transport = custom_builder().max_body_bytes(100).build_with_runtime(
        tcp_connector(),
        TokioExecutor::new(),
        TokioTimer::new(),
    );
    let err = transport
        .send(request(&format!("http://{addr}/")))
        .await
        .expect_err("too large");
    assert_eq!(err.kind(), TransportErrorKind::BodyTooLarge, "{err:?}");
    assert_eq!(
        err.to_string(),
        "the response body is larger than the 100-byte cap"
    );
}

#[tokio::test]
async fn custom_connector_reads_a_large_body_over_both_versions() {
    let addr = hyper_server().await;
    let builders = [
        Some(custom_builder()),
        #[cfg(feature = "http2")]
        Some(custom_builder().http2_prior_knowledge(true)),
        #[cfg(not(feature = "http2"))]
        None,
    ];
    for builder in builders.into_iter().flatten() {
        let transport =
            builder.build_with_runtime(tcp_connector(), TokioExecutor::new(), TokioTimer::new());
        let response = transport
            .send(request(&format!("http://{addr}/big")))
            .await
            .expect("response");
        assert_eq!(response.body().len(), BIG, "{:?}", response.version());
        assert!(response.body().iter().all(|b| *b == b'a'));
    }
}

/// Defect: `build_with_connector` marked the transport as able to do
/// `https` whatever the connector did, so with a plain-TCP connector and
/// Clerk's `https://` URL the secret key went out in cleartext. The stream
/// now says whether it is TLS, and an `https` request over plain TCP is
/// refused before a byte is written: the server reads nothing.
#[tokio::test]
async fn https_over_a_plain_connector_is_refused_before_a_byte_is_written() {
    let (tx, rx) = tokio::sync::oneshot::channel::<usize>();
    let tx = std::sync::Mutex::new(Some(tx));
    let (addr, _) = raw_server(move |mut s| {
        let tx = tx.lock().expect("lock").take();
        async move {
            let mut seen = Vec::new();
            let _ = tokio::time::timeout(
                Duration::from_millis(500),
                tokio::io::AsyncReadExt::read_to_end(&mut s, &mut seen),
            )
            .await;
            if let Some(tx) = tx {
                let _ = tx.send(seen.len());
            }
        }
    })
    .await;
    let transport = custom_builder().build_with_runtime(
        tcp_connector(),
        TokioExecutor::new(),
        TokioTimer::new(),
    );
    let mut req = request(&format!(
        "https://localhost:{}/v1/sign_in_tokens/sit_1/revoke",
        addr.port()
    ));
    req.headers_mut().insert(
        http::header::AUTHORIZATION,
        http::HeaderValue::from_static("Bearer sk_live_SECRET_must_not_leak"),
    );
    let err = transport.send(req).await.expect_err("refused");
    assert_eq!(err.kind(), TransportErrorKind::InsecureScheme, "{err:?}");
    assert!(err.is_request_not_sent() && err.is_permanent());
    assert_no_secret(&err);
    assert_eq!(
        rx.await.expect("the server saw the connection"),
        0,
        "bytes reached the server"
    );
}

/// Defect: the connect deadline covered only the connector, not the HTTP/2
/// handshake its docs promised. A peer that never takes the client's
/// preface (here a pipe with room for one byte that nobody reads) held the
/// call until the request deadline; now the connect deadline ends it, and
/// the failure is known not to have sent the request.
#[cfg(feature = "http2")]
#[tokio::test]
async fn the_connect_deadline_covers_the_http2_handshake() {
    let unread = Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = unread.clone();
    let stuck = connect_fn(move |_uri: http::Uri| {
        let (ours, theirs) = tokio::io::duplex(1);
        keep.lock().expect("lock").push(theirs); // held open, never read
        async move { Ok::<_, std::io::Error>(clerk_hyper::Plain(TokioIo::new(ours))) }
    });
    let transport = HyperTransport::builder()
        .connect_timeout(Duration::from_millis(200))
        .request_timeout(Duration::from_secs(4))
        .http2_prior_knowledge(true)
        .build_with_runtime(stuck, TokioExecutor::new(), TokioTimer::new());
    let started = Instant::now();
    let err = transport
        .send(request("http://127.0.0.1:9/"))
        .await
        .expect_err("the preface is never taken");
    let took = started.elapsed();
    assert_eq!(err.kind(), TransportErrorKind::ConnectTimeout, "{err:?}");
    assert!(err.is_request_not_sent());
    assert!(took < Duration::from_secs(1), "{took:?}");
    drop(unread);
}
