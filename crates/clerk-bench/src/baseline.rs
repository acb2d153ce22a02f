//! What a careful hand-written client would do instead of clerk-core, the
//! yardstick each sans-IO bench is measured against in the same run.
//!
//! - Parsing: `serde_json::from_slice` into plain `#[derive(Deserialize)]`
//!   structs of the same shape (Strings, i64s, `Option<String>`), with no
//!   status, header or content-type checks, no redaction and no secret
//!   wrappers.
//! - Building: `http::Request::builder()` with the same five headers
//!   (authorization, accept, user-agent, clerk-api-version and, for create,
//!   content-type) and the same body, `serde_json::to_vec` of a derived
//!   struct. Header values that never change are made once, as such a client
//!   would keep them.

use bytes::Bytes;
use clerk_core::Config;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Method, Request, Uri};
use serde::{Deserialize, Serialize};

/// `SignInToken` as a plain derived struct.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PlainSignInToken {
    /// Always `sign_in_token`.
    pub object: String,
    /// `sit_…`.
    pub id: String,
    /// `pending`, `accepted` or `revoked`, as a string.
    pub status: String,
    /// `user_…`.
    pub user_id: String,
    /// The JWT; absent after a revoke.
    #[serde(default)]
    pub token: Option<String>,
    /// The sign-in url; may be null.
    #[serde(default)]
    pub url: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
}

/// Clerk's error body as a plain derived struct.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PlainErrors {
    /// The errors.
    pub errors: Vec<PlainError>,
    /// Extra details about the whole response.
    #[serde(default)]
    pub meta: Option<serde_json::Map<String, serde_json::Value>>,
    /// Clerk's trace id.
    #[serde(default)]
    pub clerk_trace_id: Option<String>,
}

/// One entry of [`PlainErrors::errors`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PlainError {
    /// A short message.
    pub message: String,
    /// A longer message.
    #[serde(default)]
    pub long_message: Option<String>,
    /// The machine-readable code.
    pub code: String,
    /// Extra details, such as `param_name`.
    #[serde(default)]
    pub meta: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The create body as a plain derived struct.
#[derive(Debug, Clone, Serialize)]
pub struct PlainCreateBody<'a> {
    /// The user to sign in.
    pub user_id: &'a str,
    /// The organization to activate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_id: Option<&'a str>,
    /// The token's lifetime.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in_seconds: Option<u64>,
}

/// Parses a SignInToken body the plain way.
pub fn parse_token(body: &[u8]) -> PlainSignInToken {
    serde_json::from_slice(body).expect("baseline: a SignInToken body")
}

/// Parses an error body the plain way.
pub fn parse_errors(body: &[u8]) -> PlainErrors {
    serde_json::from_slice(body).expect("baseline: a Clerk error body")
}

/// A hand-written request builder holding what never changes, as a careful
/// hand-written client would: the create URI and the fixed header values.
#[derive(Debug, Clone)]
pub struct HandBuilt {
    create_uri: Uri,
    base_url: String,
    authorization: HeaderValue,
    user_agent: HeaderValue,
    api_version: HeaderValue,
}

const JSON: HeaderValue = HeaderValue::from_static("application/json");

impl HandBuilt {
    /// Takes the same settings as `config` (base URL, key, user agent, API
    /// version), so the requests carry the same bytes.
    pub fn new(config: &Config) -> Self {
        let mut authorization =
            HeaderValue::try_from(format!("Bearer {}", config.secret_key().expose_secret()))
                .expect("baseline: authorization value");
        authorization.set_sensitive(true);
        let api_version = config
            .api_version()
            .expect("the bench configuration sends an API version");
        Self {
            create_uri: format!("{}/sign_in_tokens", config.base_url())
                .parse()
                .expect("baseline: create URI"),
            base_url: config.base_url().to_owned(),
            authorization,
            user_agent: HeaderValue::try_from(config.user_agent()).expect("baseline: user agent"),
            api_version: HeaderValue::try_from(api_version).expect("baseline: API version"),
        }
    }

    /// `POST {base}/sign_in_tokens` with `{"user_id": …}`.
    pub fn create(&self, user_id: &str) -> Request<Bytes> {
        let body = serde_json::to_vec(&PlainCreateBody {
            user_id,
            org_id: None,
            expires_in_seconds: None,
        })
        .expect("baseline: body");
        Request::builder()
            .method(Method::POST)
            .uri(self.create_uri.clone())
            .header(AUTHORIZATION, self.authorization.clone())
            .header(ACCEPT, JSON)
            .header(USER_AGENT, self.user_agent.clone())
            .header(clerk_core::CLERK_API_VERSION, self.api_version.clone())
            .header(CONTENT_TYPE, JSON)
            .body(Bytes::from(body))
            .expect("baseline: create request")
    }

    /// `POST {base}/sign_in_tokens/{id}/revoke` with no body (the id is put in
    /// the path as is, without the percent-encoding clerk-core does).
    pub fn revoke(&self, sign_in_token_id: &str) -> Request<Bytes> {
        let uri = format!("{}/sign_in_tokens/{sign_in_token_id}/revoke", self.base_url);
        Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(AUTHORIZATION, self.authorization.clone())
            .header(ACCEPT, JSON)
            .header(USER_AGENT, self.user_agent.clone())
            .header(clerk_core::CLERK_API_VERSION, self.api_version.clone())
            .body(Bytes::new())
            .expect("baseline: revoke request")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    /// The baseline builds exactly the request clerk-core builds, so the two
    /// are measured doing the same work.
    #[test]
    fn same_requests_as_clerk_core() {
        let config = fixtures::config();
        let hand = HandBuilt::new(&config);
        let pairs = [
            (
                clerk_core::request::create_sign_in_token(&config, &fixtures::create_input())
                    .expect("create"),
                hand.create(fixtures::USER_ID),
            ),
            (
                clerk_core::request::revoke_sign_in_token(&config, fixtures::TOKEN_ID)
                    .expect("revoke"),
                hand.revoke(fixtures::TOKEN_ID),
            ),
        ];
        for (core, hand) in pairs {
            assert_eq!(core.method(), hand.method());
            assert_eq!(core.uri(), hand.uri());
            assert_eq!(core.headers(), hand.headers());
            assert_eq!(core.body(), hand.body());
        }
    }

    #[test]
    fn same_values_as_clerk_core() {
        let token = parse_token(fixtures::PENDING_JSON.as_bytes());
        let core =
            clerk_core::response::sign_in_token(&fixtures::pending_response()).expect("pending");
        assert_eq!(token.id, core.id);
        assert_eq!(token.status, core.status.as_str());
        assert_eq!(
            token.token.as_deref(),
            core.token.as_ref().map(|t| t.expose_secret())
        );
        assert_eq!(token.created_at, core.created_at.as_millis());
        let errors = parse_errors(fixtures::FORM_PARAM_MISSING_JSON.as_bytes());
        assert_eq!(errors.errors[0].code, "form_param_missing");
    }
}
