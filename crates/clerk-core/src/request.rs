//! Building the two requests: pure functions from configuration and input to
//! an [`HttpRequest`]. Every header is set here and only here.
//!
//! ```
//! use clerk_core::{request, Config, CreateSignInTokenRequest, SecretKey};
//!
//! let config = Config::new(SecretKey::new("sk_test_x").unwrap());
//! let req = request::create_sign_in_token(&config, &CreateSignInTokenRequest::new("user_1")).unwrap();
//! assert_eq!(req.uri(), "https://api.clerk.com/v1/sign_in_tokens");
//! assert_eq!(req.body().as_ref(), br#"{"user_id":"user_1"}"#);
//!
//! let req = request::revoke_sign_in_token(&config, "sit_1").unwrap();
//! assert_eq!(req.uri(), "https://api.clerk.com/v1/sign_in_tokens/sit_1/revoke");
//! ```

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::uri::PathAndQuery;
use http::{HeaderMap, HeaderValue, Method, Uri};

use crate::config::{CLERK_API_VERSION, Config};
use crate::error::InvalidInput;
use crate::model::CreateSignInTokenRequest;
use crate::transport::HttpRequest;

const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

/// `POST {base}/sign_in_tokens` with the JSON body.
///
/// The input is checked first ([`CreateSignInTokenRequest::validate`]); unset
/// optional fields are left out of the JSON.
///
/// ```
/// use clerk_core::{request, Config, CreateSignInTokenRequest, SecretKey};
///
/// let config = Config::builder(SecretKey::new("sk_test_x").unwrap())
///     .base_url("http://127.0.0.1:4010")
///     .build()
///     .unwrap();
/// let input = CreateSignInTokenRequest::new("user_1").org_id("org_1").expires_in_seconds(60);
/// let req = request::create_sign_in_token(&config, &input).unwrap();
/// assert_eq!(req.method(), http::Method::POST);
/// assert_eq!(req.uri(), "http://127.0.0.1:4010/sign_in_tokens");
/// assert_eq!(req.headers()["content-type"], "application/json");
/// assert!(req.headers()["authorization"].is_sensitive());
/// assert_eq!(
///     req.body().as_ref(),
///     br#"{"user_id":"user_1","org_id":"org_1","expires_in_seconds":60}"#
/// );
/// ```
pub fn create_sign_in_token(
    config: &Config,
    input: &CreateSignInTokenRequest,
) -> Result<HttpRequest, InvalidInput> {
    input.validate()?;
    // Serializing a struct of strings and integers into memory cannot fail.
    let mut body = Vec::with_capacity(64 + input.user_id().len());
    serde_json::to_writer(&mut body, input)
        .map_err(|_| InvalidInput::new("user_id", "could not be encoded as JSON"))?;
    let mut headers = common_headers(config, 6);
    headers.insert(CONTENT_TYPE, APPLICATION_JSON);
    finish(
        config,
        config.create_path().clone(),
        headers,
        Bytes::from(body),
    )
}

/// `POST {base}/sign_in_tokens/{sign_in_token_id}/revoke`, with no body.
///
/// The id is percent-encoded as one path segment: every byte outside
/// `A-Z a-z 0-9 - . _ ~` is escaped, so no id can reach another path. An
/// empty id, `.` and `..` are refused.
///
/// ```
/// use clerk_core::{request, Config, SecretKey};
///
/// let config = Config::new(SecretKey::new("sk_test_x").unwrap());
/// let req = request::revoke_sign_in_token(&config, "../users/x?y#z").unwrap();
/// assert_eq!(
///     req.uri().path(),
///     "/v1/sign_in_tokens/..%2Fusers%2Fx%3Fy%23z/revoke"
/// );
/// assert!(req.headers().get("content-type").is_none());
/// assert_eq!(request::revoke_sign_in_token(&config, "..").unwrap_err().field(), "sign_in_token_id");
/// ```
pub fn revoke_sign_in_token(
    config: &Config,
    sign_in_token_id: &str,
) -> Result<HttpRequest, InvalidInput> {
    match sign_in_token_id {
        "" => {
            return Err(InvalidInput::new("sign_in_token_id", "must not be empty"));
        }
        "." | ".." => {
            return Err(InvalidInput::new(
                "sign_in_token_id",
                "must not be `.` or `..`",
            ));
        }
        _ => {}
    }
    let prefix = config.prefix();
    let mut path = String::with_capacity(prefix.len() + 24 + sign_in_token_id.len() * 3);
    path.push_str(prefix);
    path.push_str("/sign_in_tokens/");
    push_segment(&mut path, sign_in_token_id);
    path.push_str("/revoke");
    let path = PathAndQuery::from_maybe_shared(Bytes::from(path))
        .map_err(|_| InvalidInput::new("sign_in_token_id", "cannot form a valid path"))?;
    finish(config, path, common_headers(config, 5), Bytes::new())
}

fn common_headers(config: &Config, capacity: usize) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(capacity);
    headers.insert(AUTHORIZATION, config.secret_key().authorization().clone());
    headers.insert(ACCEPT, APPLICATION_JSON);
    headers.insert(USER_AGENT, config.user_agent_header().clone());
    if let Some(version) = config.api_version_header() {
        headers.insert(CLERK_API_VERSION, version.clone());
    }
    headers
}

fn finish(
    config: &Config,
    path: PathAndQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<HttpRequest, InvalidInput> {
    let uri = Uri::builder()
        .scheme(config.scheme().clone())
        .authority(config.authority().clone())
        .path_and_query(path)
        .build()
        .map_err(|_| InvalidInput::new("base_url", "cannot form a valid URI"))?;
    let mut request = http::Request::new(body);
    *request.method_mut() = Method::POST;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    Ok(request)
}

/// Appends `segment` percent-encoded: only RFC 3986 unreserved bytes pass.
fn push_segment(out: &mut String, segment: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in segment.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_every_reserved_byte() {
        let mut s = String::new();
        push_segment(&mut s, "a/b?c#d%e f\u{e9}\0.~-_");
        assert_eq!(s, "a%2Fb%3Fc%23d%25e%20f%C3%A9%00.~-_");
    }
}
