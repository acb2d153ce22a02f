//! Cleartext HTTP/1.1 and h2c against loopback servers.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clerk_core::TransportErrorKind;
use clerk_core::{HttpTransport, TransportError};
use clerk_hyper::{Error, HyperTransport};
use tokio::io::AsyncWriteExt;

use crate::support::*;

#[tokio::test]
async fn http1_success_returns_status_headers_and_body() {
    let addr = hyper_server().await;
    let transport = fast_builder().build().expect("build");
    let response = transport
        .send(request(&format!("http://{addr}/v1/sign_in_tokens")))
        .await
        .expect("response");
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), http::Version::HTTP_11);
    assert_eq!(response.headers()["x-test"], "yes");
    assert_eq!(response.body().as_ref(), b"hello over HTTP/1.1");
}

#[tokio::test]
async fn pooled_connection_is_reused() {
    let (addr, accepted) = raw_server(|mut s| async move {
        for _ in 0..2 {
            read_request(&mut s).await;
            let _ = s
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                .await;
        }
    })
    .await;
    let transport = fast_builder().build().expect("build");
    for _ in 0..2 {
        let response = transport
            .send(request(&format!("http://{addr}/")))
            .await
            .expect("response");
        assert_eq!(response.body().as_ref(), b"ok");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_request_goes_out_as_built() {
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    let tx = std::sync::Mutex::new(Some(tx));
    let (addr, _) = raw_server(move |mut s| {
        let tx = tx.lock().expect("lock").take();
        async move {
            let head = read_request(&mut s).await.unwrap_or_default();
            let _ = s
                .write_all(b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n")
                .await;
            if let Some(tx) = tx {
                let _ = tx.send(head);
            }
        }
    })
    .await;
    let transport = fast_builder().build().expect("build");
    let response = transport
        .send(request(&format!("http://{addr}/v1/sign_in_tokens?x=1")))
        .await
        .expect("response");
    assert_eq!(response.status(), 201);
    assert!(response.body().is_empty());
    let head = rx.await.expect("head");
    assert!(
        head.starts_with("POST /v1/sign_in_tokens?x=1 HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase().contains(&format!("host: {addr}")),
        "{head}"
    );
    assert!(head.contains("Bearer sk_test_SECRET_DO_NOT_LEAK"));
    assert!(
        head.to_ascii_lowercase().contains("content-length: 20"),
        "{head}"
    );
}

#[cfg(feature = "http2")]
#[tokio::test]
async fn h2c_prior_knowledge() {
    let addr = hyper_server().await;
    let transport = fast_builder()
        .http2_prior_knowledge(true)
        .build()
        .expect("build");
    let response = transport
        .send(request(&format!("http://{addr}/")))
        .await
        .expect("response");
    assert_eq!(response.version(), http::Version::HTTP_2);
    assert_eq!(response.body().as_ref(), b"hello over HTTP/2.0");
}

#[tokio::test]
async fn redirects_are_returned_not_followed() {
    let (elsewhere, elsewhere_hits) = canned(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
    let redirect: &'static [u8] = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nlocation: http://{elsewhere}/stolen\r\ncontent-length: 0\r\n\r\n"
    )
    .into_bytes()
    .leak();
    let (addr, _) = canned(redirect).await;
    let transport = fast_builder().build().expect("build");
    let response = transport
        .send(request(&format!("http://{addr}/v1/sign_in_tokens")))
        .await
        .expect("response");
    assert_eq!(response.status(), 307);
    assert_eq!(
        response.headers()[http::header::LOCATION],
        format!("http://{elsewhere}/stolen").as_str()
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(elsewhere_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn request_timeout_when_the_server_never_answers() {
    let (addr, _) = raw_server(|mut s| async move {
        read_request(&mut s).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(s);
    })
    .await;
    let transport = fast_builder()
        .request_timeout(Duration::from_millis(300))
        .build()
        .expect("build");
    let started = Instant::now();
    let err = transport
        .send(request(&format!("http://{addr}/")))
        .await
        .expect_err("must time out");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(err.kind(), TransportErrorKind::Timeout, "{err:?}");
    assert!(err.is_timeout());
    assert!(!err.is_request_not_sent());
    assert_no_secret(&err);
}

#[tokio::test]
async fn request_timeout_covers_a_slow_body() {
    let (addr, _) = raw_server(|mut s| async move {
        read_request(&mut s).await;
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nabc")
            .await;
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(s);
    })
    .await;
    let transport = fast_builder()
        .request_timeout(Duration::from_millis(300))
        .build()
        .expect("build");
    let err = transport
        .send(request(&format!("http://{addr}/")))
        .await
        .expect_err("must time out");
    assert!(err.is_timeout(), "{err:?}");
    assert!(!err.is_request_not_sent());
}

#[tokio::test]
async fn connection_refused_is_connect_and_not_sent() {
    let (l, addr) = listener().await;
    drop(l);
    let transport = fast_builder().build().expect("build");
    let err = transport
        .send(request(&format!("http://{addr}/")))
        .await
        .expect_err("nothing listens");
    assert_eq!(err.kind(), TransportErrorKind::Connect, "{err:?}");
    assert!(err.is_request_not_sent());
    assert!(!err.is_timeout());
    assert!(std::error::Error::source(&err).is_some());
    assert_no_secret(&err);
}

#[tokio::test]
async fn body_cap_stops_an_endless_chunked_body() {
    let (addr, _) = raw_server(|mut s| async move {
        read_request(&mut s).await;
        if s.write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
            .await
            .is_err()
        {
            return;
        }
        let chunk = format!("{:x}\r\n{}\r\n", 4096, "x".repeat(4096));
        // Bounded: far more than the cap, and stops when the client hangs up.
        for _ in 0..10_000 {
            if s.write_all(chunk.as_bytes()).await.is_err() {
                return;
            }
        }
    })
    .await;
    let transport = fast_builder()
        .max_body_bytes(64 * 1024)
        .build()
        .expect("build");
    let err = transport
        .send(request(&format!("http://{addr}/")))
        .await
        .expect_err("too large");
    assert_eq!(err.kind(), TransportErrorKind::BodyTooLarge, "{err:?}");
    assert!(err.to_string().contains("65536-byte cap"), "{err}");
    assert!(!err.is_request_not_sent());
}

#[tokio::test]
async fn body_cap_checks_content_length_before_reading() {
    // Declares 10 MB, sends a few bytes, then stalls: only a check of the
    // header can fail fast here.
    let (addr, _) = raw_server(|mut s| async move {
        read_request(&mut s).await;
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 10000000\r\n\r\nxyz")
            .await;
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(s);
    })
    .await;
    let transport = fast_builder().max_body_bytes(1024).build().expect("build");
    let started = Instant::now();
    let err = transport
        .send(request(&format!("http://{addr}/")))
        .await
        .expect_err("too large");
    assert_eq!(err.kind(), TransportErrorKind::BodyTooLarge, "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn body_at_the_cap_is_accepted() {
    let (addr, _) = canned(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nabcd").await;
    let transport = fast_builder().max_body_bytes(4).build().expect("build");
    let response = transport
        .send(request(&format!("http://{addr}/")))
        .await
        .expect("exactly at the cap");
    assert_eq!(response.body().as_ref(), b"abcd");
}

#[tokio::test]
async fn connection_dropped_mid_body_is_an_io_error() {
    let (addr, _) = canned(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\nonly a little").await;
    let transport = fast_builder().build().expect("build");
    let err = transport
        .send(request(&format!("http://{addr}/")))
        .await
        .expect_err("truncated");
    assert_eq!(err.kind(), TransportErrorKind::Io, "{err:?}");
    assert!(!err.is_request_not_sent());
    assert_no_secret(&err);
}

#[tokio::test]
async fn connection_dropped_before_the_head_is_an_error() {
    let (addr, _) = raw_server(|mut s| async move {
        read_request(&mut s).await;
        drop(s);
    })
    .await;
    let transport = fast_builder().build().expect("build");
    let err = transport
        .send(request(&format!("http://{addr}/")))
        .await
        .expect_err("no response");
    assert!(!err.is_request_not_sent(), "{err:?}");
}

#[tokio::test]
async fn garbage_response_is_a_protocol_error() {
    let (addr, _) = canned(b"this is not http\r\n\r\n").await;
    let transport = fast_builder().build().expect("build");
    let err = transport
        .send(request(&format!("http://{addr}/")))
        .await
        .expect_err("garbage");
    assert_eq!(err.kind(), TransportErrorKind::Protocol, "{err:?}");
    assert!(!err.is_request_not_sent());
}

#[tokio::test]
async fn plain_http_to_a_public_host_is_refused_before_connecting() {
    let transport = fast_builder().build().expect("build");
    let started = Instant::now();
    let err = transport
        .send(request("http://example.com/v1/sign_in_tokens"))
        .await
        .expect_err("insecure");
    assert_eq!(err.kind(), TransportErrorKind::InsecureScheme, "{err:?}");
    assert!(err.to_string().contains("`example.com`"), "{err}");
    assert!(err.is_request_not_sent());
    assert!(started.elapsed() < Duration::from_millis(100));
    assert_no_secret(&err);
}

#[tokio::test]
async fn plain_http_to_localhost_is_allowed() {
    let addr = hyper_server().await;
    let transport = fast_builder().build().expect("build");
    let response = transport
        .send(request(&format!("http://localhost:{}/", addr.port())))
        .await
        .expect("localhost is loopback");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn relative_uri_is_an_invalid_request() {
    let transport = fast_builder().build().expect("build");
    let err = transport
        .send(request("/v1/sign_in_tokens"))
        .await
        .expect_err("relative");
    assert_eq!(err.kind(), TransportErrorKind::InvalidRequest, "{err:?}");
    assert!(err.is_request_not_sent());
}

#[tokio::test]
async fn a_users_connector_is_pooled_and_kept_to_the_rules() {
    use hyper_util::client::legacy::connect::HttpConnector;

    let addr = hyper_server().await;
    let mut connector = HttpConnector::new();
    // Lets https URIs through to the stream, which is plain TCP: the
    // transport must refuse to speak https over it.
    connector.enforce_http(false);
    let transport = fast_builder().build_with_connector(connector);
    let response = transport
        .send(request(&format!("http://{addr}/")))
        .await
        .expect("response");
    assert_eq!(response.status(), 200);

    // The cleartext rule still holds, both halves of it.
    let err = transport
        .send(request("http://example.com/"))
        .await
        .expect_err("insecure");
    assert_eq!(err.kind(), TransportErrorKind::InsecureScheme);
    let err = transport
        .send(request(&format!("https://localhost:{}/", addr.port())))
        .await
        .expect_err("https over plain TCP");
    assert_eq!(err.kind(), TransportErrorKind::InsecureScheme, "{err:?}");
    assert!(err.is_request_not_sent());
}

#[test]
fn transport_and_futures_are_send_and_sync() {
    fn is_send<T: Send>(_: &T) {}
    fn is_clone_send_sync<T: Clone + Send + Sync + 'static>() {}
    is_clone_send_sync::<HyperTransport>();
    fn is_error<E: std::error::Error + Send + Sync + 'static>() {}
    is_error::<Error>();
    let transport = HyperTransport::new();
    let fut = transport.send(request("https://api.clerk.com/v1/sign_in_tokens"));
    is_send(&fut);
    drop(fut);
    let sleep = clerk_core::Timer::sleep(&clerk_hyper::TokioTimer, Duration::from_millis(1));
    is_send(&sleep);
}

#[tokio::test]
async fn spawned_sends_run_on_a_multi_thread_runtime() {
    let addr = hyper_server().await;
    let transport = fast_builder().build().expect("build");
    let uri = format!("http://{addr}/");
    let handle = tokio::spawn(async move { transport.send(request(&uri)).await });
    let response = handle.await.expect("join").expect("response");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn large_body_within_the_cap_arrives_whole() {
    let addr = hyper_server().await;
    let mut builders = vec![fast_builder()];
    #[cfg(feature = "http2")]
    builders.push(fast_builder().http2_prior_knowledge(true));
    for builder in builders {
        let transport = builder.build().expect("build");
        let response = transport
            .send(request(&format!("http://{addr}/big")))
            .await
            .expect("response");
        assert_eq!(response.body().len(), BIG, "{:?}", response.version());
    }
}
