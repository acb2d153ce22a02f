//! The two operations, validation, auth and routing, over HTTP/1.1.

use std::time::Duration;

use clerk_mock::{MockClerk, TokenStatus};
use clerk_test_support::raw_http::*;
use serde_json::json;

#[tokio::test]
async fn create_returns_a_spec_shaped_pending_token() {
    let server = clerk_mock::start().await;
    let before = now_ms();
    let r = create(
        server.addr(),
        r#"{"user_id":"user_abc","expires_in_seconds":600}"#,
    )
    .await;
    let after = now_ms();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let trace = r.header("clerk-trace-id").expect("trace header");
    assert_eq!(trace.len(), 32);

    let v = r.json();
    let obj = v.as_object().expect("object");
    let mut keys: Vec<_> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "created_at",
            "id",
            "object",
            "status",
            "token",
            "updated_at",
            "url",
            "user_id"
        ]
    );
    assert_eq!(v["object"], "sign_in_token");
    assert_eq!(v["status"], "pending");
    assert_eq!(v["user_id"], "user_abc");

    let id = v["id"].as_str().expect("id");
    let suffix = id.strip_prefix("sit_").expect("sit_ prefix");
    assert_eq!(suffix.len(), 27);
    assert!(suffix.bytes().all(|b| b.is_ascii_alphanumeric()));

    let token = v["token"].as_str().expect("token");
    let parts: Vec<_> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "JWT-shaped: {token}");
    let header: serde_json::Value =
        serde_json::from_slice(&b64url_decode(parts[0]).expect("b64")).expect("header json");
    assert_eq!(header["typ"], "JWT");
    let payload: serde_json::Value =
        serde_json::from_slice(&b64url_decode(parts[1]).expect("b64")).expect("payload json");
    assert_eq!(payload["sid"], id);
    let exp = payload["exp"].as_i64().expect("exp");
    assert!((before / 1000 + 600 - 1..=after / 1000 + 600 + 1).contains(&exp));
    assert!(!b64url_decode(parts[2]).expect("b64").is_empty());

    let url = v["url"].as_str().expect("url");
    assert_eq!(
        url,
        format!("https://accounts.mock.clerk.invalid/sign-in?__clerk_ticket={token}")
    );

    let created = v["created_at"].as_i64().expect("ms");
    assert!((before..=after).contains(&created), "milliseconds, ~now");
    assert_eq!(v["updated_at"].as_i64(), Some(created));

    let snap = server.token(id).expect("stored");
    assert_eq!(snap.status, TokenStatus::Pending);
    assert_eq!(snap.token.as_deref(), Some(token));
    assert_eq!(snap.url.as_deref(), Some(url));
    assert_eq!(snap.expires_at, created + 600_000);
    assert_eq!(snap.to_json(), v);
}

#[tokio::test]
async fn default_expiry_is_thirty_days_and_create_is_not_idempotent() {
    let server = clerk_mock::start().await;
    let a = create_ok(server.addr(), "user_1").await;
    let b = create_ok(server.addr(), "user_1").await;
    assert_ne!(a["id"], b["id"]);
    assert_ne!(a["token"], b["token"]);
    let snap = server.token(a["id"].as_str().expect("id")).expect("stored");
    assert_eq!(snap.expires_at - snap.created_at, 30 * 24 * 3600 * 1000);
    let r = create(
        server.addr(),
        r#"{"user_id":"user_1","org_id":"org_1","expires_in_seconds":null}"#,
    )
    .await;
    assert_eq!(r.status, 200);
    let id = r.json()["id"].as_str().expect("id").to_owned();
    assert_eq!(
        server.token(&id).and_then(|t| t.org_id).as_deref(),
        Some("org_1")
    );
    let ids: Vec<_> = server.tokens().into_iter().map(|t| t.id).collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[0], a["id"]);
    assert_eq!(ids[2], id);
}

#[tokio::test]
async fn create_validation_errors() {
    let server = clerk_mock::start().await;
    let addr = server.addr();

    for body in ["{}", r#"{"user_id":null}"#, r#"{"user_id":""}"#, ""] {
        let r = create(addr, body).await;
        let err = assert_clerk_error(&r, 422, "form_param_missing");
        assert_eq!(err["long_message"], "user_id must be included.");
        assert_eq!(err["meta"], json!({"param_name": "user_id"}));
    }

    for bad in ["0", "-1", "1.5", r#""60""#, "true"] {
        let r = create(
            addr,
            &format!(r#"{{"user_id":"user_1","expires_in_seconds":{bad}}}"#),
        )
        .await;
        let err = assert_clerk_error(&r, 422, "form_param_value_invalid");
        assert_eq!(err["meta"], json!({"param_name": "expires_in_seconds"}));
    }

    let r = create(addr, r#"{"user_id":"user_1","org_id":42}"#).await;
    let err = assert_clerk_error(&r, 422, "form_param_value_invalid");
    assert_eq!(err["meta"]["param_name"], "org_id");

    for body in ["not json", "[1,2]", r#"{"user_id":"#] {
        let r = create(addr, body).await;
        assert_clerk_error(&r, 400, "request_body_invalid");
    }

    let big = format!(r#"{{"user_id":"user_1","pad":"{}"}}"#, "x".repeat(70_000));
    assert_clerk_error(&create(addr, &big).await, 413, "request_body_too_large");

    assert!(server.tokens().is_empty());
}

#[tokio::test]
async fn users_must_exist() {
    let server = clerk_mock::start().await;
    let r = create(server.addr(), r#"{"user_id":"usr_nope"}"#).await;
    assert_clerk_error(&r, 404, "resource_not_found");

    let server = MockClerk::builder()
        .users(["user_known"])
        .build()
        .start()
        .await
        .expect("start");
    create_ok(server.addr(), "user_known").await;
    let r = create(server.addr(), r#"{"user_id":"user_other"}"#).await;
    let err = assert_clerk_error(&r, 404, "resource_not_found");
    assert_eq!(err["message"], "not found");
    assert_eq!(server.tokens().len(), 1);
}

#[tokio::test]
async fn authorization_is_checked() {
    let server = MockClerk::builder()
        .secret_keys([KEY, "sk_live_other"])
        .build()
        .start()
        .await
        .expect("start");
    let addr = server.addr();
    let body = Some(r#"{"user_id":"user_1"}"#);
    let path = "/v1/sign_in_tokens";

    let r = send(addr, "POST", path, None, body).await;
    let err = assert_clerk_error(&r, 401, "authorization_header_missing");
    assert_eq!(err["message"], "Unauthorized request");

    for auth in [
        "sk_test_integration",
        "Basic sk_test_integration",
        "Bearer",
        "Bearer sk_test_",
        "Bearer pk_test_abc",
        "Bearer sk_test_unknown",
    ] {
        let r = send(addr, "POST", path, Some(auth), body).await;
        let err = assert_clerk_error(&r, 401, "authorization_invalid");
        assert_eq!(
            err["long_message"],
            "You are not authorized to perform this request"
        );
    }
    let r = send(addr, "POST", path, Some("bearer sk_live_other"), body).await;
    assert_eq!(r.status, 200);

    // Without a configured list any well-formed key works.
    let open = clerk_mock::start().await;
    let r = send(open.addr(), "POST", path, Some("Bearer sk_live_x"), body).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn revoke_lifecycle() {
    let server = clerk_mock::start().await;
    let addr = server.addr();
    let created = create_ok(addr, "user_1").await;
    let id = created["id"].as_str().expect("id");

    let r = revoke(addr, id).await;
    assert_eq!(r.status, 200);
    assert!(r.header("clerk-trace-id").is_some());
    let v = r.json();
    assert_eq!(v["status"], "revoked");
    assert_eq!(v["id"], id);
    assert_eq!(v["user_id"], "user_1");
    assert!(v.get("token").is_none(), "token absent after revoke: {v}");
    assert!(v.get("url").is_some_and(serde_json::Value::is_null));
    assert_eq!(v["created_at"], created["created_at"]);
    assert!(v["updated_at"].as_i64() > created["updated_at"].as_i64());

    let snap = server.token(id).expect("stored");
    assert_eq!(snap.status, TokenStatus::Revoked);
    assert_eq!(snap.token, None);
    assert_eq!(snap.url, None);

    let r = revoke(addr, id).await;
    let err = assert_clerk_error(&r, 400, "sign_in_token_cannot_be_revoked_code");
    assert_eq!(err["message"], "cannot revoke");
    assert_eq!(
        err["long_message"],
        "Sign in token cannot be revoked because its status is revoked. Only pending tokens can be revoked."
    );
}

#[tokio::test]
async fn accepted_and_expired_tokens_cannot_be_revoked() {
    let server = clerk_mock::start().await;
    let addr = server.addr();
    let a = create_ok(addr, "user_1").await;
    let a = a["id"].as_str().expect("id");
    assert!(server.mark_accepted(a));
    assert!(!server.mark_accepted(a));
    let err = assert_clerk_error(
        &revoke(addr, a).await,
        400,
        "sign_in_token_cannot_be_revoked_code",
    );
    assert!(
        err["long_message"]
            .as_str()
            .is_some_and(|m| m.contains("status is accepted"))
    );

    let b = create_ok(addr, "user_1").await;
    let b = b["id"].as_str().expect("id");
    assert!(server.expire(b));
    let err = assert_clerk_error(
        &revoke(addr, b).await,
        400,
        "sign_in_token_cannot_be_revoked_code",
    );
    assert!(
        err["long_message"]
            .as_str()
            .is_some_and(|m| m.contains("status is expired"))
    );
    let snap = server.token(b).expect("stored");
    assert_eq!(snap.status, TokenStatus::Pending);
    assert!(snap.is_expired());
    assert!(!server.mark_accepted(b));
    assert!(!server.expire("sit_missing"));

    // A token created with a 1 s lifetime expires by itself.
    let c = create(addr, r#"{"user_id":"user_1","expires_in_seconds":1}"#).await;
    let c = c.json()["id"].as_str().expect("id").to_owned();
    tokio::time::sleep(Duration::from_millis(1_050)).await;
    assert_eq!(revoke(addr, &c).await.status, 400);
}

#[tokio::test]
async fn unknown_ids_and_routes() {
    let server = clerk_mock::start().await;
    let addr = server.addr();
    assert_clerk_error(
        &revoke(addr, "sit_doesnotexist").await,
        404,
        "resource_not_found",
    );
    assert_clerk_error(
        &revoke(addr, "bad%zzescape").await,
        404,
        "resource_not_found",
    );

    // The id segment is percent-decoded.
    let v = create_ok(addr, "user_1").await;
    let id = v["id"].as_str().expect("id");
    let encoded = id.replacen('_', "%5F", 1);
    assert_eq!(revoke(addr, &encoded).await.status, 200);

    for path in [
        "/",
        "/v1",
        "/v1/sign_in_tokens/",
        "/v1/sign_in_tokens/x",
        "/v1/users",
        "/sign_in_tokens",
    ] {
        let r = send(addr, "POST", path, Some(&bearer(KEY)), Some("{}")).await;
        let err = assert_clerk_error(&r, 404, "resource_not_found");
        assert_eq!(err["long_message"], "Resource not found");
    }

    for (method, path) in [
        ("GET", "/v1/sign_in_tokens"),
        ("DELETE", "/v1/sign_in_tokens"),
        ("GET", "/v1/sign_in_tokens/sit_1/revoke"),
        ("PUT", "/v1/sign_in_tokens/sit_1/revoke"),
    ] {
        let r = send(addr, method, path, Some(&bearer(KEY)), None).await;
        assert_clerk_error(&r, 405, "method_not_allowed");
        assert_eq!(r.header("allow"), Some("POST"));
    }
}

#[tokio::test]
async fn rate_limit_per_key_with_retry_after() {
    let server = MockClerk::builder()
        .rate_limit(3, Duration::from_secs(10))
        .build()
        .start()
        .await
        .expect("start");
    let addr = server.addr();
    for _ in 0..3 {
        create_ok(addr, "user_1").await;
    }
    let r = create(addr, r#"{"user_id":"user_1"}"#).await;
    let err = assert_clerk_error(&r, 429, "too_many_requests");
    assert_eq!(err["message"], "Too many requests");
    let after: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("integer Retry-After");
    assert!((1..=10).contains(&after), "{after}");
    assert_eq!(server.tokens().len(), 3);

    // Another key has its own budget.
    let r = send(
        addr,
        "POST",
        "/v1/sign_in_tokens",
        Some("Bearer sk_test_other"),
        Some(r#"{"user_id":"user_1"}"#),
    )
    .await;
    assert_eq!(r.status, 200);

    server.reset_rate_limits();
    create_ok(addr, "user_1").await;
    server.set_rate_limit(None);
    for _ in 0..5 {
        create_ok(addr, "user_1").await;
    }
}

#[tokio::test]
async fn short_windows_reset() {
    let server = MockClerk::builder()
        .rate_limit(1, Duration::from_millis(200))
        .build()
        .start()
        .await
        .expect("start");
    create_ok(server.addr(), "user_1").await;
    let r = create(server.addr(), r#"{"user_id":"user_1"}"#).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("1"));
    tokio::time::sleep(Duration::from_millis(220)).await;
    create_ok(server.addr(), "user_1").await;
}

#[tokio::test]
async fn a_full_store_forgets_the_oldest_token_and_the_newest_stays_revocable() {
    let server = MockClerk::builder()
        .no_rate_limit()
        .max_tokens(2)
        .build()
        .start()
        .await
        .expect("start");
    let addr = server.addr();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let v = create_ok(addr, "user_1").await;
        ids.push(v["id"].as_str().expect("id").to_owned());
    }
    assert_eq!(server.tokens().len(), 2);
    let r = revoke(addr, &ids[0]).await;
    assert_clerk_error(&r, 404, "resource_not_found");
    for id in &ids[1..] {
        let r = revoke(addr, id).await;
        assert_eq!(r.status, 200, "{id}");
        assert_eq!(r.json()["status"], "revoked");
    }
}
