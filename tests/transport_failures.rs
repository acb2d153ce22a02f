//! Misbehaving servers on loopback, seen through the async client on
//! `HyperTransport`: one that never answers, one whose body never ends, and
//! one that hangs up halfway through the body. Each checks the error the
//! caller gets and whether the client sent the request again.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clerk_core::{CreateSignInTokenRequest, Error, TransportError, TransportErrorKind};
use clerk_test_support::e2e::*;
use clerk_test_support::hyper::*;
use clerk_test_support::loopback::request_server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn base(addr: SocketAddr) -> String {
    format!("http://{addr}/v1")
}

fn create_request() -> CreateSignInTokenRequest {
    CreateSignInTokenRequest::new("user_1")
}

fn hyper_error<E: std::fmt::Debug>(err: &Error<E>) -> &E {
    match err {
        Error::Transport(failure) => failure.get_ref(),
        other => panic!("expected a transport error, got {other:?}"),
    }
}

/// Accepts, reads the request, then says nothing until the client gives up.
async fn silent(mut stream: TcpStream) {
    let mut sink = [0u8; 256];
    // Hold the connection open; end when the client closes it.
    while let Ok(n) = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut sink)).await {
        if matches!(n, Ok(0) | Err(_)) {
            break;
        }
    }
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    bounded(async {
        let (addr, requests) = request_server(silent).await;
        let transport = fast_transport()
            .request_timeout(Duration::from_millis(300))
            .build()
            .expect("transport");
        let client = client(&base(addr), transport);

        // Create: it may have arrived, so it is not sent again.
        let started = Instant::now();
        let err = client
            .create_sign_in_token(&create_request())
            .await
            .expect_err("no answer");
        let took = started.elapsed();
        assert!(err.is_timeout(), "{err:?}");
        assert!(!err.is_request_not_sent());
        assert_eq!(
            hyper_error(&err).kind(),
            TransportErrorKind::Timeout,
            "{err:?}"
        );
        assert!(err.is_retryable());
        assert_no_secret(&err);
        assert!(
            took >= Duration::from_millis(280) && took < Duration::from_secs(3),
            "{took:?}"
        );
        assert_eq!(requests.load(Ordering::SeqCst), 1, "create is not retried");

        // Revoke: safe to repeat, so it times out once per attempt.
        let err = client
            .revoke_sign_in_token("sit_1")
            .await
            .expect_err("no answer");
        assert!(err.is_timeout());
        let attempts = usize::try_from(quick_retries().max_retries()).expect("small") + 1;
        assert_eq!(requests.load(Ordering::SeqCst), 1 + attempts);
    })
    .await;
}

/// Answers 200 with a chunked body that goes on until the client hangs up
/// (or 64 MiB, whichever comes first).
async fn endless(mut stream: TcpStream) {
    let head =
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
    if stream.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let mut chunk = b"4000\r\n".to_vec();
    chunk.extend(std::iter::repeat_n(b' ', 0x4000));
    chunk.extend_from_slice(b"\r\n");
    for _ in 0..4096 {
        if stream.write_all(&chunk).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn an_endless_body_hits_the_cap() {
    bounded(async {
        let (addr, requests) = request_server(endless).await;
        let limit = 64 * 1024;
        let transport = fast_transport()
            .max_body_bytes(limit)
            .build()
            .expect("transport");
        let client = client(&base(addr), transport);

        let err = client
            .create_sign_in_token(&create_request())
            .await
            .expect_err("too large");
        let transport_error = hyper_error(&err);
        assert_eq!(
            transport_error.kind(),
            TransportErrorKind::BodyTooLarge,
            "{err:?}"
        );
        assert!(
            transport_error
                .to_string()
                .contains(&format!("{limit}-byte cap")),
            "{transport_error}"
        );
        assert!(!err.is_timeout());
        assert!(!err.is_request_not_sent());
        assert_eq!(err.status(), None);
        assert_eq!(requests.load(Ordering::SeqCst), 1, "create is not retried");
    })
    .await;
}

#[tokio::test]
async fn a_declared_length_over_the_cap_is_refused_before_reading() {
    bounded(async {
        let (addr, _requests) = request_server(|mut stream: TcpStream| async move {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 10000000\r\n\r\n{";
            let _ = stream.write_all(head.as_bytes()).await;
            // Then nothing: a client that waited for the body would time out.
            tokio::time::sleep(Duration::from_secs(10)).await;
        })
        .await;
        let transport = fast_transport()
            .max_body_bytes(1024)
            .request_timeout(Duration::from_secs(3))
            .build()
            .expect("transport");
        let client = client(&base(addr), transport);
        let started = Instant::now();
        let err = client
            .create_sign_in_token(&create_request())
            .await
            .expect_err("too large");
        assert_eq!(hyper_error(&err).kind(), TransportErrorKind::BodyTooLarge, "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(2), "it waited for the body");
    })
    .await;
}

/// Promises 400 bytes of JSON, sends part of it, and closes.
async fn hang_up_mid_body(mut stream: TcpStream) {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 400\r\n\r\n";
    let partial = r#"{"object":"sign_in_token","id":"sit_half","status":"pen"#;
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(partial.as_bytes()).await;
    let _ = stream.flush().await;
    let _ = stream.shutdown().await;
}

#[tokio::test]
async fn a_connection_dropped_mid_body_is_a_transport_error() {
    bounded(async {
        let (addr, requests) = request_server(hang_up_mid_body).await;
        let client = client(&base(addr), fast_transport().build().expect("transport"));

        let err = client
            .create_sign_in_token(&create_request())
            .await
            .expect_err("truncated");
        assert_eq!(hyper_error(&err).kind(), TransportErrorKind::Io, "{err:?}");
        assert!(!hyper_error(&err).is_request_not_sent());
        assert!(!err.is_request_not_sent());
        assert!(!err.is_timeout());
        assert!(err.is_retryable());
        assert_no_secret(&err);
        assert_eq!(requests.load(Ordering::SeqCst), 1, "create is not retried");

        let err = client
            .revoke_sign_in_token("sit_half")
            .await
            .expect_err("truncated every time");
        assert_eq!(hyper_error(&err).kind(), TransportErrorKind::Io);
        let attempts = usize::try_from(quick_retries().max_retries()).expect("small") + 1;
        assert_eq!(
            requests.load(Ordering::SeqCst),
            1 + attempts,
            "revoke is retried"
        );
    })
    .await;
}

#[tokio::test]
async fn a_refused_connection_was_not_sent_and_create_may_retry() {
    bounded(async {
        // Bind, note the port, and close it again: nothing listens there.
        let addr = {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            listener.local_addr().expect("addr")
        };
        let client = client(&base(addr), fast_transport().build().expect("transport"));
        let err = client
            .create_sign_in_token(&create_request())
            .await
            .expect_err("refused");
        assert_eq!(
            hyper_error(&err).kind(),
            TransportErrorKind::Connect,
            "{err:?}"
        );
        assert!(err.is_request_not_sent());
        assert!(!err.is_timeout());
        assert_no_secret(&err);
    })
    .await;
}
