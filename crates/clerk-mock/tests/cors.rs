//! CORS for one origin, over real sockets: preflights from the allowed
//! origin, headers on answers to it, nothing for other origins or when off.

use std::net::SocketAddr;
use std::time::Duration;

use clerk_mock::{MockClerk, MockServer};
use clerk_test_support::raw_http::{KEY, Resp, parse};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PAGE: &str = "http://127.0.0.1:8000";

async fn start(cors: Option<&str>) -> MockServer {
    let mut config = MockClerk::builder().no_rate_limit();
    if let Some(origin) = cors {
        config = config.cors_origin(origin);
    }
    config.build().start().await.expect("start")
}

/// One request with `headers` (name, value) and an optional body.
async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Resp {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        for (name, value) in headers {
            req.push_str(&format!("{name}: {value}\r\n"));
        }
        if method == "POST" {
            req.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        req.push_str("\r\n");
        req.push_str(body);
        stream.write_all(req.as_bytes()).await.expect("write");
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out).await;
        parse(&out)
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .expect("the mock answered within 10 s")
}

fn preflight_headers(origin: &str) -> [(&str, &str); 3] {
    [
        ("Origin", origin),
        ("Access-Control-Request-Method", "POST"),
        (
            "Access-Control-Request-Headers",
            "authorization, content-type, clerk-api-version",
        ),
    ]
}

#[tokio::test]
async fn preflight_from_the_allowed_origin_is_answered() {
    let server = start(Some(PAGE)).await;
    let r = request(
        server.addr(),
        "OPTIONS",
        "/v1/sign_in_tokens",
        &preflight_headers(PAGE),
        "",
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some(PAGE));
    let methods = r.header("access-control-allow-methods").expect("methods");
    assert!(methods.contains("POST"), "{methods}");
    let allowed = r.header("access-control-allow-headers").expect("headers");
    for needed in ["authorization", "content-type", "clerk-api-version"] {
        assert!(allowed.contains(needed), "{allowed} lacks {needed}");
    }
    assert!(r.body.is_empty());
    // A preflight is not an API request.
    assert_eq!(server.request_count(), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn answers_to_the_allowed_origin_carry_cors_headers() {
    let server = start(Some(PAGE)).await;
    let auth = format!("Bearer {KEY}");
    let r = request(
        server.addr(),
        "POST",
        "/v1/sign_in_tokens",
        &[("Origin", PAGE), ("Authorization", &auth)],
        r#"{"user_id":"user_cors"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("access-control-allow-origin"), Some(PAGE));
    let exposed = r.header("access-control-expose-headers").expect("expose");
    assert!(exposed.contains("clerk-trace-id") && exposed.contains("retry-after"));
    assert_eq!(r.json()["user_id"], "user_cors");

    // Errors too: the page must be able to read why.
    let r = request(
        server.addr(),
        "POST",
        "/v1/sign_in_tokens",
        &[("Origin", PAGE)],
        "{}",
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("access-control-allow-origin"), Some(PAGE));
    server.shutdown().await;
}

#[tokio::test]
async fn other_origins_get_nothing() {
    let server = start(Some(PAGE)).await;
    let other = "http://127.0.0.1:8001";
    let r = request(
        server.addr(),
        "OPTIONS",
        "/v1/sign_in_tokens",
        &preflight_headers(other),
        "",
    )
    .await;
    assert_ne!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), None);
    let auth = format!("Bearer {KEY}");
    let r = request(
        server.addr(),
        "POST",
        "/v1/sign_in_tokens",
        &[("Origin", other), ("Authorization", &auth)],
        r#"{"user_id":"user_1"}"#,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), None);
    server.shutdown().await;
}

#[tokio::test]
async fn off_by_default() {
    let server = start(None).await;
    let r = request(
        server.addr(),
        "OPTIONS",
        "/v1/sign_in_tokens",
        &preflight_headers(PAGE),
        "",
    )
    .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("access-control-allow-origin"), None);
    server.shutdown().await;
}

#[tokio::test]
async fn a_star_allows_any_origin() {
    let server = start(Some("*")).await;
    let r = request(
        server.addr(),
        "OPTIONS",
        "/v1/sign_in_tokens/sit_1/revoke",
        &preflight_headers("https://anywhere.example"),
        "",
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    server.shutdown().await;
}
