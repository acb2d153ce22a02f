//! Shared helpers for clerk-core's integration tests.
#![allow(dead_code, missing_docs)]

use bytes::Bytes;
use clerk_core::{Config, SecretKey};

pub const SENTINEL_KEY: &str = "sk_test_SENTINELkey0123456789";
pub const SENTINEL_TOKEN: &str =
    "eyJhbGciOiJSUzI1NiJ9.eyJzaWQiOiJTRU5USU5FTCJ9.SENTINELsignaturetok";
pub const SENTINEL_URL: &str =
    "https://accounts.example.com/sign-in?__clerk_ticket=SENTINELticketvalue";

pub fn key() -> SecretKey {
    SecretKey::new(SENTINEL_KEY).unwrap()
}

pub fn config() -> Config {
    Config::new(key())
}

pub fn fixture(name: &str) -> Bytes {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    Bytes::from(std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
}

pub fn json_response(status: u16, body: impl Into<Bytes>) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .body(body.into())
        .unwrap()
}

/// A successful body carrying the sentinel token and url.
pub fn sentinel_token_json(status: &str) -> String {
    format!(
        r#"{{"object":"sign_in_token","id":"sit_1","status":"{status}","user_id":"user_1","token":"{SENTINEL_TOKEN}","url":"{SENTINEL_URL}","created_at":1638000669544,"updated_at":1638000669544}}"#
    )
}
