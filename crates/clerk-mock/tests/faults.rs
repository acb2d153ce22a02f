//! Fault injection, request accounting, concurrency, HTTP/2 and lifecycle.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clerk_mock::{Failure, MockClerk, MockServer, RequestCounts, TokenStatus};
use clerk_test_support::raw_http::*;
use http::StatusCode;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};

#[tokio::test]
async fn delay_applies_to_every_response_until_cleared() {
    let server = clerk_mock::start().await;
    server.set_delay(Duration::from_millis(150));
    let started = Instant::now();
    create_ok(server.addr(), "user_1").await;
    let r = revoke(server.addr(), "sit_unknown").await;
    assert_eq!(r.status, 404);
    assert!(started.elapsed() >= Duration::from_millis(300));

    server.set_delay(Duration::ZERO);
    let started = Instant::now();
    create_ok(server.addr(), "user_1").await;
    assert!(started.elapsed() < Duration::from_millis(150));
}

#[tokio::test]
async fn injected_failures_are_clerk_shaped_and_skip_processing() {
    let server = clerk_mock::start().await;
    let addr = server.addr();
    server.fail_next(2, StatusCode::SERVICE_UNAVAILABLE);
    server.fail_next_with(
        1,
        Failure::new(StatusCode::TOO_MANY_REQUESTS).with_retry_after(Duration::from_secs(3)),
    );
    server.fail_next_with(
        1,
        Failure::new(StatusCode::BAD_GATEWAY)
            .with_code("upstream_gone")
            .with_messages("gone", "The upstream is gone"),
    );

    for _ in 0..2 {
        let r = create(addr, r#"{"user_id":"user_1"}"#).await;
        let err = assert_clerk_error(&r, 503, "internal_error");
        assert!(err["long_message"].is_string());
        assert_eq!(r.header("retry-after"), None);
    }
    let r = create(addr, r#"{"user_id":"user_1"}"#).await;
    assert_clerk_error(&r, 429, "too_many_requests");
    assert_eq!(r.header("retry-after"), Some("3"));

    // Failures apply to every request, whatever its path or auth.
    let r = send(addr, "GET", "/nowhere", None, None).await;
    let err = assert_clerk_error(&r, 502, "upstream_gone");
    assert_eq!(err["message"], "gone");
    assert_eq!(err["long_message"], "The upstream is gone");

    assert!(
        server.tokens().is_empty(),
        "failed requests are not processed"
    );
    create_ok(addr, "user_1").await;

    server.fail_next(1, StatusCode::INTERNAL_SERVER_ERROR);
    server.clear_faults();
    create_ok(addr, "user_1").await;
}

#[tokio::test]
async fn dropped_connections_send_headers_and_part_of_the_body() {
    let server = clerk_mock::start().await;
    let addr = server.addr();
    server.drop_next(1);
    let bytes = raw(
        addr,
        "POST",
        "/v1/sign_in_tokens",
        Some(&bearer(KEY)),
        Some(r#"{"user_id":"user_1"}"#),
    )
    .await;
    let r = parse(&bytes);
    assert_eq!(r.status, 200);
    let declared: usize = r
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .expect("Content-Length");
    assert!(!r.body.is_empty(), "part of the body is sent");
    assert!(
        r.body.len() < declared,
        "body cut short: {} of {declared}",
        r.body.len()
    );
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    // The request itself was processed: create is not idempotent, so a
    // retrying client would make a second token.
    assert_eq!(server.tokens().len(), 1);

    // Errors can be cut short too, and the next request is whole again.
    server.drop_next(1);
    let r = parse(&raw(addr, "POST", "/v1/sign_in_tokens", None, Some("{}")).await);
    assert_eq!(r.status, 401);
    let declared: usize = r
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .expect("Content-Length");
    assert!(r.body.len() < declared);
    create_ok(addr, "user_1").await;
}

#[tokio::test]
async fn request_counts_total_and_per_operation() {
    let server = MockClerk::builder()
        .rate_limit(1, Duration::from_secs(10))
        .build()
        .start()
        .await
        .expect("start");
    let addr = server.addr();
    assert_eq!(server.request_count(), 0);
    server.fail_next(1, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(create(addr, r#"{"user_id":"user_1"}"#).await.status, 500);
    create_ok(addr, "user_1").await;
    assert_eq!(create(addr, r#"{"user_id":"user_1"}"#).await.status, 429);
    assert_eq!(revoke(addr, "sit_x").await.status, 429);
    assert_eq!(
        send(addr, "GET", "/v1/sign_in_tokens", None, None)
            .await
            .status,
        405
    );
    assert_eq!(send(addr, "POST", "/v2", None, None).await.status, 404);
    assert_eq!(
        server.request_counts(),
        RequestCounts {
            total: 6,
            create: 3,
            revoke: 1,
            other: 2
        }
    );
    assert_eq!(server.request_count(), 6);
    server.reset_request_counts();
    assert_eq!(server.request_counts(), RequestCounts::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_revokes_have_exactly_one_winner() {
    let server = MockClerk::builder()
        .no_rate_limit()
        .build()
        .start()
        .await
        .expect("start");
    let addr = server.addr();
    for _ in 0..5 {
        let v = create_ok(addr, "user_1").await;
        let id: Arc<str> = Arc::from(v["id"].as_str().expect("id"));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let id = Arc::clone(&id);
                tokio::spawn(async move { revoke(addr, &id).await.status })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.expect("task"));
        }
        assert_eq!(
            statuses.iter().filter(|&&s| s == 200).count(),
            1,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|&&s| s == 400).count(),
            15,
            "{statuses:?}"
        );
        assert_eq!(
            server.token(&id).map(|t| t.status),
            Some(TokenStatus::Revoked)
        );
    }
}

#[tokio::test]
async fn http2_prior_knowledge_is_served() {
    let server = clerk_mock::start().await;
    let stream = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("h2 handshake");
    tokio::spawn(conn);

    let uri = format!("{}/sign_in_tokens", server.base_url());
    let mut ids = Vec::new();
    for _ in 0..2 {
        let req = http::Request::post(uri.as_str())
            .header("authorization", bearer(KEY))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from_static(br#"{"user_id":"user_h2"}"#)))
            .expect("request");
        let resp = sender.send_request(req).await.expect("response");
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.version(), http::Version::HTTP_2);
        assert!(resp.headers().contains_key("clerk-trace-id"));
        let body = resp.into_body().collect().await.expect("body").to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        ids.push(v["id"].as_str().expect("id").to_owned());
    }
    assert_ne!(ids[0], ids[1]);

    let req = http::Request::post(format!("{uri}/{}/revoke", ids[0]))
        .header("authorization", bearer(KEY))
        .body(Full::new(Bytes::new()))
        .expect("request");
    let resp = sender.send_request(req).await.expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(server.request_count(), 3);
}

#[tokio::test]
async fn shutdown_is_graceful_and_closes_the_port() {
    let server = clerk_mock::start().await;
    let addr = server.addr();
    server.set_delay(Duration::from_millis(200));
    let in_flight = tokio::spawn(async move { create(addr, r#"{"user_id":"user_1"}"#).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.shutdown().await;
    let r = in_flight.await.expect("task");
    assert_eq!(r.status, 200, "in-flight request completes");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn drop_stops_the_server() {
    let server = clerk_mock::start().await;
    let addr = server.addr();
    drop(server);
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused);
}

#[tokio::test]
async fn serve_until_runs_a_standalone_server() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(clerk_mock::serve_until(
        listener,
        MockClerk::default(),
        async {
            let _ = rx.await;
        },
    ));
    create_ok(addr, "user_1").await;
    let _ = tx.send(());
    task.await.expect("task").expect("served");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[test]
fn blocking_server_works_without_a_runtime() {
    let server = MockServer::start_blocking(
        MockClerk::builder()
            .users(["user_sync"])
            .accounts_url("https://accounts.example.com/")
            .build(),
    )
    .expect("start");
    let addr = server.addr();
    assert_eq!(server.base_url(), format!("http://{addr}/v1"));

    let body = r#"{"user_id":"user_sync"}"#;
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "POST /v1/sign_in_tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut out = Vec::new();
    stream.read_to_end(&mut out).expect("read");
    let r = parse(&out);
    assert_eq!(r.status, 200);
    let url = r.json()["url"].as_str().expect("url").to_owned();
    assert!(url.starts_with("https://accounts.example.com/sign-in?__clerk_ticket=ey"));
    assert_eq!(server.tokens().len(), 1);

    drop(server);
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[test]
fn blocking_server_with_worker_threads_and_bind_errors() {
    let server = MockClerk::builder()
        .worker_threads(2)
        .build()
        .start_blocking()
        .expect("start");
    let taken = server.addr();
    let err = MockClerk::builder()
        .addr(taken)
        .build()
        .start_blocking()
        .expect_err("port in use");
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
}
