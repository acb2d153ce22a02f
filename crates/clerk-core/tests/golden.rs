//! Golden requests: method, exact path, every header, the body byte for byte.

mod common;

use clerk_core::{Config, CreateSignInTokenRequest, SecretKey, request};
use common::*;

fn headers_of(req: &http::Request<bytes::Bytes>) -> Vec<(String, String)> {
    let mut h: Vec<_> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    h.sort();
    h
}

#[test]
fn create_golden() {
    let input = CreateSignInTokenRequest::new("user_26Ect5GuCCeaFWwSDiiKcgAGtVk")
        .org_id("org_2x")
        .expires_in_seconds(3600);
    let req = request::create_sign_in_token(&config(), &input).unwrap();
    assert_eq!(req.method(), http::Method::POST);
    assert_eq!(
        req.uri().to_string(),
        "https://api.clerk.com/v1/sign_in_tokens"
    );
    assert_eq!(
        headers_of(&req),
        vec![
            ("accept".into(), "application/json".into()),
            ("authorization".into(), format!("Bearer {SENTINEL_KEY}")),
            ("clerk-api-version".into(), "2026-05-12".into()),
            ("content-type".into(), "application/json".into()),
            (
                "user-agent".into(),
                format!("clerk-core/{}", env!("CARGO_PKG_VERSION"))
            ),
        ]
    );
    assert!(req.headers()["authorization"].is_sensitive());
    assert_eq!(
        std::str::from_utf8(req.body()).unwrap(),
        r#"{"user_id":"user_26Ect5GuCCeaFWwSDiiKcgAGtVk","org_id":"org_2x","expires_in_seconds":3600}"#
    );
}

#[test]
fn create_leaves_unset_fields_out() {
    let req =
        request::create_sign_in_token(&config(), &CreateSignInTokenRequest::new("user_1")).unwrap();
    assert_eq!(req.body().as_ref(), br#"{"user_id":"user_1"}"#);
    let body = std::str::from_utf8(req.body()).unwrap();
    assert!(!body.contains("null") && !body.contains("2592000"));
}

#[test]
fn create_escapes_json() {
    let req = request::create_sign_in_token(
        &config(),
        &CreateSignInTokenRequest::new("user_\"quote\\\n"),
    )
    .unwrap();
    assert_eq!(req.body().as_ref(), br#"{"user_id":"user_\"quote\\\n"}"#);
}

#[test]
fn revoke_golden() {
    let req = request::revoke_sign_in_token(&config(), "sit_26Ed5ZqqJcOjRwecRQij2ZovDdG").unwrap();
    assert_eq!(req.method(), http::Method::POST);
    assert_eq!(
        req.uri().to_string(),
        "https://api.clerk.com/v1/sign_in_tokens/sit_26Ed5ZqqJcOjRwecRQij2ZovDdG/revoke"
    );
    assert_eq!(
        headers_of(&req),
        vec![
            ("accept".into(), "application/json".into()),
            ("authorization".into(), format!("Bearer {SENTINEL_KEY}")),
            ("clerk-api-version".into(), "2026-05-12".into()),
            (
                "user-agent".into(),
                format!("clerk-core/{}", env!("CARGO_PKG_VERSION"))
            ),
        ]
    );
    assert!(req.body().is_empty());
}

#[test]
fn base_urls_with_and_without_prefix() {
    for (base, create, revoke) in [
        (
            "http://127.0.0.1:4010",
            "http://127.0.0.1:4010/sign_in_tokens",
            "http://127.0.0.1:4010/sign_in_tokens/sit_1/revoke",
        ),
        (
            "http://127.0.0.1:4010/",
            "http://127.0.0.1:4010/sign_in_tokens",
            "http://127.0.0.1:4010/sign_in_tokens/sit_1/revoke",
        ),
        (
            "https://gateway.example/clerk/v1/",
            "https://gateway.example/clerk/v1/sign_in_tokens",
            "https://gateway.example/clerk/v1/sign_in_tokens/sit_1/revoke",
        ),
    ] {
        let config = Config::builder(key()).base_url(base).build().unwrap();
        let c =
            request::create_sign_in_token(&config, &CreateSignInTokenRequest::new("u")).unwrap();
        assert_eq!(c.uri().to_string(), create);
        let r = request::revoke_sign_in_token(&config, "sit_1").unwrap();
        assert_eq!(r.uri().to_string(), revoke);
    }
}

#[test]
fn api_version_overridden_and_removed_user_agent_suffixed() {
    let config = Config::builder(SecretKey::new("sk_live_k").unwrap())
        .api_version("2025-04-10")
        .user_agent_suffix("my-app/3.1")
        .build()
        .unwrap();
    let req = request::revoke_sign_in_token(&config, "sit_1").unwrap();
    assert_eq!(req.headers()["clerk-api-version"], "2025-04-10");
    assert!(
        req.headers()["user-agent"]
            .to_str()
            .unwrap()
            .ends_with(" my-app/3.1")
    );
    let config = Config::builder(SecretKey::new("sk_live_k").unwrap())
        .no_api_version()
        .build()
        .unwrap();
    let req = request::revoke_sign_in_token(&config, "sit_1").unwrap();
    assert!(req.headers().get("clerk-api-version").is_none());
}

#[test]
fn invalid_create_input_is_refused_with_the_field() {
    use std::time::Duration;
    for (input, field) in [
        (CreateSignInTokenRequest::new(""), "user_id"),
        (CreateSignInTokenRequest::new("u").org_id(""), "org_id"),
        (
            CreateSignInTokenRequest::new("u").expires_in_seconds(0),
            "expires_in_seconds",
        ),
        (
            CreateSignInTokenRequest::new("u").expires_in(Duration::ZERO),
            "expires_in_seconds",
        ),
        (
            CreateSignInTokenRequest::new("u").expires_in(Duration::from_millis(999)),
            "expires_in_seconds",
        ),
        (
            CreateSignInTokenRequest::new("u").expires_in(Duration::from_millis(1001)),
            "expires_in_seconds",
        ),
    ] {
        let err = request::create_sign_in_token(&config(), &input).unwrap_err();
        assert_eq!(err.field(), field, "{input:?}");
    }
    // A later valid setter replaces an invalid duration.
    let fixed = CreateSignInTokenRequest::new("u")
        .expires_in(Duration::from_millis(5))
        .expires_in_seconds(5);
    assert!(request::create_sign_in_token(&config(), &fixed).is_ok());
    let whole = CreateSignInTokenRequest::new("u").expires_in(Duration::from_secs(1));
    let req = request::create_sign_in_token(&config(), &whole).unwrap();
    assert_eq!(
        req.body().as_ref(),
        br#"{"user_id":"u","expires_in_seconds":1}"#
    );
}
