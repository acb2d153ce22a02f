//! The JSON printed on success.

use std::collections::BTreeMap;

use clerk_core::{ApiResponse, SignInToken};
use serde::Serialize;

/// The token is printed with clerk-core's own `Serialize`, the shape Clerk
/// sends, token and url exposed on purpose: printing them is what the command
/// is for.
#[derive(Serialize)]
struct HttpInfoJson<'a> {
    status: u16,
    headers: BTreeMap<String, String>,
    data: &'a SignInToken,
}

/// The line to print (without its newline): the token, or the token with the
/// status and headers of the response.
pub(crate) fn render(
    response: &ApiResponse<SignInToken>,
    include_http_info: bool,
) -> serde_json::Result<String> {
    let data = &response.data;
    if !include_http_info {
        return serde_json::to_string(&data);
    }
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &response.headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    serde_json::to_string(&HttpInfoJson {
        status: response.status.as_u16(),
        headers,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(json: &str) -> SignInToken {
        match serde_json::from_str(json) {
            Ok(t) => t,
            Err(e) => panic!("fixture: {e}"),
        }
    }

    #[test]
    fn field_order_and_absent_token() {
        let revoked = token(
            r#"{"object":"sign_in_token","id":"sit_1","status":"revoked","user_id":"user_1","url":null,"created_at":1,"updated_at":2}"#,
        );
        let response = ApiResponse::new(http_ok(), Default::default(), revoked);
        assert_eq!(
            render(&response, false).ok().as_deref(),
            Some(
                r#"{"object":"sign_in_token","id":"sit_1","status":"revoked","user_id":"user_1","url":null,"created_at":1,"updated_at":2}"#
            )
        );
    }

    #[test]
    fn http_info_joins_repeated_headers() {
        let pending = token(
            r#"{"object":"sign_in_token","id":"sit_1","status":"pending","user_id":"u","token":"t","url":"https://x/?__clerk_ticket=t","created_at":1,"updated_at":1}"#,
        );
        let mut headers = clerk_core::http::HeaderMap::new();
        headers.append("x-a", "1".parse().expect("header"));
        headers.append("x-a", "2".parse().expect("header"));
        let response = ApiResponse::new(http_ok(), headers, pending);
        assert_eq!(
            render(&response, true).ok().as_deref(),
            Some(
                r#"{"status":200,"headers":{"x-a":"1, 2"},"data":{"object":"sign_in_token","id":"sit_1","status":"pending","user_id":"u","token":"t","url":"https://x/?__clerk_ticket=t","created_at":1,"updated_at":1}}"#
            )
        );
    }

    fn http_ok() -> clerk_core::http::StatusCode {
        clerk_core::http::StatusCode::OK
    }
}
