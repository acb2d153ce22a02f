//! The admin interface under `/__mock/`, over real sockets: every verb,
//! every fault kind, the journal's redaction and reset.

use std::net::SocketAddr;
use std::time::Duration;

use clerk_mock::{MockClerk, MockServer};
use clerk_test_support::raw_http::*;
use serde_json::{Value, json};

const SENTINEL_KEY: &str = "sk_test_SENTINEL_admin_never_shown";

async fn start() -> MockServer {
    MockClerk::builder()
        .no_rate_limit()
        .admin(true)
        .build()
        .start()
        .await
        .expect("start")
}

async fn admin(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> Resp {
    send(addr, method, path, None, body).await
}

/// Arms `faults` (a JSON array) and checks the answer.
async fn arm(addr: SocketAddr, faults: Value) {
    let r = admin(addr, "POST", "/__mock/faults", Some(&faults.to_string())).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let count = faults.as_array().map_or(1, Vec::len);
    assert_eq!(r.json()["armed"], count);
}

async fn journal(addr: SocketAddr) -> Value {
    let r = admin(addr, "GET", "/__mock/requests", None).await;
    assert_eq!(r.status, 200);
    r.json()
}

#[tokio::test]
async fn off_by_default_the_prefix_is_an_unknown_route() {
    let server = clerk_mock::start().await;
    let r = admin(server.addr(), "POST", "/__mock/reset", None).await;
    assert_clerk_error(&r, 404, "resource_not_found");
    assert_eq!(server.request_count(), 1, "an ordinary request");
}

#[tokio::test]
async fn status_faults_per_operation_with_retry_after_and_overrides() {
    let server = start().await;
    let addr = server.addr();
    arm(
        addr,
        json!([
            {"status": 503, "times": 2, "operation": "create"},
            {"status": 429, "retry_after": 7, "code": "slow_down", "message": "m",
             "long_message": "lm", "operation": "create"},
        ]),
    )
    .await;
    // Revokes are not affected.
    assert_clerk_error(&revoke(addr, "sit_x").await, 404, "resource_not_found");
    for _ in 0..2 {
        let r = create(addr, r#"{"user_id":"user_1"}"#).await;
        assert_clerk_error(&r, 503, "internal_error");
        assert_eq!(r.header("retry-after"), None);
    }
    let r = create(addr, r#"{"user_id":"user_1"}"#).await;
    let err = assert_clerk_error(&r, 429, "slow_down");
    assert_eq!(
        (err["message"].as_str(), err["long_message"].as_str()),
        (Some("m"), Some("lm"))
    );
    assert_eq!(r.header("retry-after"), Some("7"));
    assert!(
        server.tokens().is_empty(),
        "failed requests are not processed"
    );
    create_ok(addr, "user_1").await;
    let faults = admin(addr, "GET", "/__mock/faults", None).await.json();
    assert_eq!(faults["faults"], json!([]), "used up faults are disarmed");
}

#[tokio::test]
async fn a_delay_fault_holds_the_response_back() {
    let server = start().await;
    let addr = server.addr();
    arm(
        addr,
        json!([{"delay_ms": 1500, "path": "/v1/sign_in_tokens"}]),
    )
    .await;
    let delayed = tokio::spawn(async move { create(addr, r#"{"user_id":"user_1"}"#).await });
    // The journal shows the request as soon as its answer is decided, before
    // the delay: the response is then still held back.
    let mut seen = false;
    for _ in 0..100 {
        if journal(addr).await["requests"]
            .as_array()
            .is_some_and(|r| r.len() == 1)
        {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(seen, "the delayed request reached the server");
    assert!(!delayed.is_finished(), "answered despite a 1.5 s delay");
    let r = delayed.await.expect("task");
    assert_eq!(r.status, 200);
    let faults = admin(addr, "GET", "/__mock/faults", None).await.json();
    assert_eq!(faults["faults"], json!([]));
}

#[tokio::test]
async fn a_drop_fault_cuts_the_response_short() {
    let server = start().await;
    let addr = server.addr();
    arm(addr, json!({"drop": true})).await;
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
        .expect("length");
    assert!(r.body.len() < declared, "{} of {declared}", r.body.len());
    assert_eq!(server.tokens().len(), 1, "processed, then cut short");
    create_ok(addr, "user_1").await;
}

#[tokio::test]
async fn a_share_fires_for_every_nth_matching_request() {
    let server = start().await;
    let addr = server.addr();
    arm(
        addr,
        json!([{"status": 500, "share": 0.5, "path": "/v1/sign_in_tokens/*"}]),
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(revoke(addr, "sit_x").await.status);
        create_ok(addr, "user_1").await;
    }
    assert_eq!(statuses, [404, 500, 404, 500]);
    let faults = admin(addr, "GET", "/__mock/faults", None).await.json();
    let armed = &faults["faults"][0];
    assert_eq!(
        (armed["matched"].as_u64(), armed["fired"].as_u64()),
        (Some(4), Some(2))
    );
    assert!(armed["remaining"].is_null(), "until disarmed");
    let r = admin(addr, "DELETE", "/__mock/faults", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(revoke(addr, "sit_x").await.status, 404);
    assert_eq!(revoke(addr, "sit_x").await.status, 404);
}

#[tokio::test]
async fn the_journal_shows_requests_without_credentials() {
    let server = start().await;
    let addr = server.addr();
    let body = r#"{"user_id":"user_journal"}"#;
    let r = send(
        addr,
        "POST",
        "/v1/sign_in_tokens?trace=1",
        Some(&bearer(SENTINEL_KEY)),
        Some(body),
    )
    .await;
    assert_eq!(r.status, 200);
    arm(addr, json!([{"status": 502}])).await;
    let r = send(addr, "GET", "/elsewhere", Some(SENTINEL_KEY), None).await;
    assert_eq!(r.status, 502);

    let raw_journal = admin(addr, "GET", "/__mock/requests", None).await;
    let text = String::from_utf8_lossy(&raw_journal.body);
    assert!(!text.contains("SENTINEL"), "{text}");
    let j = raw_journal.json();
    assert_eq!(j["dropped"], 0);
    let requests = j["requests"].as_array().expect("requests");
    assert_eq!(requests.len(), 2, "admin requests are not journaled");
    let first = &requests[0];
    assert_eq!(first["seq"], 1);
    assert_eq!(first["method"], "POST");
    assert_eq!(first["path"], "/v1/sign_in_tokens");
    assert_eq!(first["query"], "trace=1");
    assert_eq!(first["operation"], "create");
    assert_eq!(first["body"], body);
    assert_eq!(first["status"], 200);
    assert_eq!(first["fault"], false);
    assert_eq!(first["headers"]["authorization"], "Bearer [redacted]");
    assert_eq!(first["headers"]["content-type"], "application/json");
    assert!(
        first["received_at"]
            .as_i64()
            .is_some_and(|t| t > 1_600_000_000_000)
    );
    let second = &requests[1];
    assert_eq!(
        (second["operation"].as_str(), second["status"].as_u64()),
        (Some("other"), Some(502))
    );
    assert_eq!(second["fault"], true);
    assert_eq!(second["headers"]["authorization"], "[redacted]");
    assert!(second["body"].is_null());
}

#[tokio::test]
async fn the_journal_is_bounded() {
    let server = MockClerk::builder()
        .admin(true)
        .request_log_capacity(2)
        .build()
        .start()
        .await
        .expect("start");
    let addr = server.addr();
    for path in ["/a", "/b", "/c"] {
        send(addr, "GET", path, None, None).await;
    }
    let j = journal(addr).await;
    let paths: Vec<&str> = j["requests"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["path"].as_str())
        .collect();
    assert_eq!(paths, ["/b", "/c"]);
    assert_eq!(j["dropped"], 1);
}

#[tokio::test]
async fn reset_empties_faults_journal_counts_and_tokens() {
    let server = start().await;
    let addr = server.addr();
    server.set_delay(Duration::from_millis(1));
    create_ok(addr, "user_1").await;
    arm(addr, json!([{"status": 500, "times": 5}])).await;
    let r = admin(addr, "POST", "/__mock/reset", None).await;
    assert_eq!((r.status, r.json()), (200, json!({"reset": true})));
    assert!(server.tokens().is_empty());
    assert_eq!(server.request_count(), 0);
    assert_eq!(journal(addr).await["requests"], json!([]));
    let faults = admin(addr, "GET", "/__mock/faults", None).await.json();
    assert_eq!(faults, json!({"delay_ms": 0, "faults": []}));
    create_ok(addr, "user_1").await;
}

#[tokio::test]
async fn bad_admin_requests_get_clerk_shaped_errors_and_arm_nothing() {
    let server = start().await;
    let addr = server.addr();
    let r = admin(addr, "POST", "/__mock/faults", Some("[{")).await;
    assert_clerk_error(&r, 400, "request_body_invalid");
    let r = admin(addr, "POST", "/__mock/faults", Some("5")).await;
    assert_clerk_error(&r, 400, "request_body_invalid");
    let r = admin(
        addr,
        "POST",
        "/__mock/faults",
        Some(r#"[{"status":503},{"status":503,"shrae":0.5}]"#),
    )
    .await;
    let err = assert_clerk_error(&r, 422, "fault_invalid");
    let long = err["long_message"].as_str().expect("long_message");
    assert!(long.starts_with("fault 1: unknown field `shrae`"), "{long}");
    create_ok(addr, "user_1").await;

    let r = admin(addr, "PUT", "/__mock/reset", None).await;
    assert_clerk_error(&r, 405, "method_not_allowed");
    assert_eq!(r.header("allow"), Some("POST"));
    let r = admin(addr, "POST", "/__mock/requests", None).await;
    assert_eq!(r.header("allow"), Some("GET"));
    let r = admin(addr, "GET", "/__mock/nothing", None).await;
    assert_clerk_error(&r, 404, "resource_not_found");
}
