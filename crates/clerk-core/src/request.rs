//! Building the two requests: pure functions from configuration and input to
//! an [`HttpRequest`]. Every header is set here and only here (once per
//! [`Config`], in `Prepared`).
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
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderMap, HeaderValue, Method, Uri};

use crate::config::{CLERK_API_VERSION, Config};
use crate::error::InvalidInput;
use crate::model::CreateSignInTokenRequest;
use crate::secret::SecretKey;
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
    let prepared = config.prepared();
    Ok(post(
        prepared.create_uri.clone(),
        prepared.create_headers.clone(),
        Bytes::from(body),
    ))
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
    let prepared = config.prepared();
    let bad_path = || InvalidInput::new("sign_in_token_id", "cannot form a valid path");
    let mut path = String::with_capacity(
        prepared.revoke_prefix.len() + REVOKE_SUFFIX.len() + sign_in_token_id.len() * 3,
    );
    path.push_str(&prepared.revoke_prefix);
    push_segment(&mut path, sign_in_token_id);
    path.push_str(REVOKE_SUFFIX);
    let mut parts = http::uri::Parts::default();
    parts.scheme = Some(prepared.scheme.clone());
    parts.authority = Some(prepared.authority.clone());
    parts.path_and_query =
        Some(PathAndQuery::from_maybe_shared(Bytes::from(path)).map_err(|_| bad_path())?);
    let uri = Uri::from_parts(parts).map_err(|_| bad_path())?;
    Ok(post(uri, prepared.revoke_headers.clone(), Bytes::new()))
}

const REVOKE_SUFFIX: &str = "/revoke";

/// What every request of a [`Config`] shares, built once with it: the
/// create URI, the revoke path's fixed start, and each operation's headers.
/// A request then clones these (reference counts and one copy of a small
/// header table) instead of hashing each header name into a fresh map and
/// assembling and re-checking a URI.
pub(crate) struct Prepared {
    scheme: Scheme,
    authority: Authority,
    create_uri: Uri,
    /// `{prefix}/sign_in_tokens/`.
    revoke_prefix: String,
    create_headers: HeaderMap,
    revoke_headers: HeaderMap,
}

impl Prepared {
    pub(crate) fn new(
        scheme: Scheme,
        authority: Authority,
        prefix: &str,
        secret_key: &SecretKey,
        user_agent: &HeaderValue,
        api_version: Option<&HeaderValue>,
    ) -> Result<Self, InvalidInput> {
        let bad_prefix = || InvalidInput::new("base_url", "the path prefix is not a valid path");
        let create_path =
            PathAndQuery::try_from(format!("{prefix}/sign_in_tokens")).map_err(|_| bad_prefix())?;
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(scheme.clone());
        parts.authority = Some(authority.clone());
        parts.path_and_query = Some(create_path);
        let create_uri = Uri::from_parts(parts).map_err(|_| bad_prefix())?;

        let mut revoke_headers = HeaderMap::with_capacity(5);
        revoke_headers.insert(AUTHORIZATION, secret_key.authorization().clone());
        revoke_headers.insert(ACCEPT, APPLICATION_JSON);
        revoke_headers.insert(USER_AGENT, user_agent.clone());
        if let Some(version) = api_version {
            revoke_headers.insert(CLERK_API_VERSION, version.clone());
        }
        let mut create_headers = revoke_headers.clone();
        create_headers.insert(CONTENT_TYPE, APPLICATION_JSON);
        Ok(Self {
            scheme,
            authority,
            create_uri,
            revoke_prefix: format!("{prefix}/sign_in_tokens/"),
            create_headers,
            revoke_headers,
        })
    }
}

fn post(uri: Uri, headers: HeaderMap, body: Bytes) -> HttpRequest {
    let mut request = http::Request::new(body);
    *request.method_mut() = Method::POST;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    request
}

/// Appends `segment` percent-encoded: only RFC 3986 unreserved bytes pass.
fn push_segment(out: &mut String, segment: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    // Runs of unreserved bytes are copied whole (an id is usually one run).
    // A run is ASCII, preceded by an encoded byte or the start and followed
    // by one or the end, so both its ends are char boundaries.
    let mut run = 0;
    for (at, &b) in segment.as_bytes().iter().enumerate() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            continue;
        }
        if run < at {
            out.push_str(&segment[run..at]);
        }
        out.push('%');
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0xf)] as char);
        run = at + 1;
    }
    if run < segment.len() {
        out.push_str(&segment[run..]);
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

    #[test]
    fn encodes_like_one_byte_at_a_time() {
        for segment in [
            "",
            "sit_2x9Kq",
            "\u{e9}",
            "\u{e9}a",
            "a\u{e9}",
            "\u{1F600}x\u{e9}\u{e9}y",
            "%",
            "a%b",
            "..",
        ] {
            let mut whole = String::new();
            push_segment(&mut whole, segment);
            let mut bytewise = String::new();
            for &b in segment.as_bytes() {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    bytewise.push(char::from(b));
                } else {
                    bytewise.push_str(&format!("%{b:02X}"));
                }
            }
            assert_eq!(whole, bytewise, "{segment:?}");
        }
    }
}
