//! Inputs shared by every bench, taken from
//! `shared/spec/sign-in-tokens.openapi.yml`.

use bytes::Bytes;
use clerk_core::{Config, CreateSignInTokenRequest, SecretKey};

/// A well-formed test secret key (`sk_test_` and 40 characters, the length of
/// a real one).
pub const SECRET_KEY: &str = "sk_test_BENCHbenchBENCHbenchBENCHbenchBENCHbe";

/// The user of the spec's examples.
pub const USER_ID: &str = "user_26Ect5GuCCeaFWwSDiiKcgAGtVk";

/// The token id of the spec's examples.
pub const TOKEN_ID: &str = "sit_26Ed5ZqqJcOjRwecRQij2ZovDdG";

/// The base URL the sans-IO benches build requests for (Clerk's production
/// API; nothing is sent).
pub const BASE_URL: &str = "https://api.clerk.com/v1";

/// The spec's `pending` example (`components.responses.SignInToken`), as
/// compact JSON (701 bytes, most of them the JWT in `token` and in `url`).
pub const PENDING_JSON: &str = concat!(
    r#"{"object":"sign_in_token","id":"sit_26Ed5ZqqJcOjRwecRQij2ZovDdG","status":"pending","#,
    r#""user_id":"user_26Ect5GuCCeaFWwSDiiKcgAGtVk","#,
    r#""token":"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3NjAwMDAwMDAsImlpZCI6Imluc18yNkVja3R0TnJDamE3YTZQT0xINTVDQVBpZmQiLCJzaWQiOiJzaXRfMjZFZDVacXFKY09qUndlY1JRaWoyWm92RGRHIiwic3QiOiJzaWduX2luX3Rva2VuIn0.c2lnbmF0dXJlLW5vdC12YWxpZA","#,
    r#""url":"https://accounts.example.com/sign-in?__clerk_ticket=eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3NjAwMDAwMDAsImlpZCI6Imluc18yNkVja3R0TnJDamE3YTZQT0xINTVDQVBpZmQiLCJzaWQiOiJzaXRfMjZFZDVacXFKY09qUndlY1JRaWoyWm92RGRHIiwic3QiOiJzaWduX2luX3Rva2VuIn0.c2lnbmF0dXJlLW5vdC12YWxpZA","#,
    r#""created_at":1638000669544,"updated_at":1638000669544}"#
);

/// The spec's 422 `form_param_missing` example
/// (`components.responses.UnprocessableEntity`), as compact JSON.
pub const FORM_PARAM_MISSING_JSON: &str = concat!(
    r#"{"errors":[{"message":"is missing","long_message":"user_id must be included.","#,
    r#""code":"form_param_missing","meta":{"param_name":"user_id"}}],"#,
    r#""clerk_trace_id":"2efb09d4de0199f552e1616b597cf0eb"}"#
);

/// The configuration every sans-IO bench uses: [`SECRET_KEY`] and
/// [`BASE_URL`], default API version and user agent.
pub fn config() -> Config {
    config_for(BASE_URL)
}

/// The same configuration for another base URL (a loopback server).
pub fn config_for(base_url: &str) -> Config {
    let key = SecretKey::new(SECRET_KEY).expect("the bench key is well-formed");
    Config::builder(key)
        .base_url(base_url)
        .build()
        .expect("the bench base URL is valid")
}

/// The create input: `{"user_id": USER_ID}`, as in the spec's example.
pub fn create_input() -> CreateSignInTokenRequest {
    CreateSignInTokenRequest::new(USER_ID)
}

/// A `200 OK` carrying [`PENDING_JSON`], labelled `application/json`.
pub fn pending_response() -> http::Response<Bytes> {
    json_response(http::StatusCode::OK, PENDING_JSON)
}

/// A `422 Unprocessable Entity` carrying [`FORM_PARAM_MISSING_JSON`].
pub fn form_param_missing_response() -> http::Response<Bytes> {
    json_response(
        http::StatusCode::UNPROCESSABLE_ENTITY,
        FORM_PARAM_MISSING_JSON,
    )
}

fn json_response(status: http::StatusCode, body: &'static str) -> http::Response<Bytes> {
    let mut response = http::Response::new(Bytes::from_static(body.as_bytes()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_are_json_and_parse_with_clerk_core() {
        let token = clerk_core::response::sign_in_token(&pending_response()).expect("pending");
        assert_eq!(token.id, TOKEN_ID);
        assert_eq!(token.user_id, USER_ID);
        let err =
            clerk_core::response::sign_in_token(&form_param_missing_response()).expect_err("422");
        assert_eq!(err.codes().collect::<Vec<_>>(), ["form_param_missing"]);
        assert_eq!(PENDING_JSON.len(), 701);
    }

    /// The same JSON values as the spec's examples that clerk-core's tests
    /// keep as files (when the tree has them).
    #[test]
    fn fixtures_match_clerk_cores_copies_of_the_spec() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../clerk-core/tests/fixtures");
        for (file, ours) in [
            ("pending.json", PENDING_JSON),
            ("form_param_missing.json", FORM_PARAM_MISSING_JSON),
        ] {
            let Ok(theirs) = std::fs::read(format!("{dir}/{file}")) else {
                continue;
            };
            let theirs: serde_json::Value = serde_json::from_slice(&theirs).expect("their JSON");
            let ours: serde_json::Value = serde_json::from_str(ours).expect("our JSON");
            assert_eq!(ours, theirs, "{file}");
        }
    }
}
