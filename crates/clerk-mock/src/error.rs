//! Clerk-shaped error responses.
//!
//! Every non-2xx answer of the mock is
//! `{"errors":[{"message","long_message","code","meta"}],"meta":{},"clerk_trace_id":"<32 hex>"}`.

use std::borrow::Cow;

use http::{Method, StatusCode};
use serde::Serialize;

use crate::faults::Failure;

/// One entry of the `errors` array.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ErrorItem {
    message: Cow<'static, str>,
    long_message: Cow<'static, str>,
    code: Cow<'static, str>,
    meta: ErrorMeta,
}

/// The per-error `meta` object: `{}` or `{"param_name": "..."}`.
#[derive(Debug, Clone, Default, Serialize)]
struct ErrorMeta {
    #[serde(skip_serializing_if = "Option::is_none")]
    param_name: Option<&'static str>,
}

/// The top-level `meta` object, always `{}`.
#[derive(Serialize)]
struct EmptyMeta {}

#[derive(Serialize)]
struct ErrorsBody<'a> {
    errors: &'a [ErrorItem],
    meta: EmptyMeta,
    clerk_trace_id: &'a str,
}

impl ErrorItem {
    pub(crate) fn new(
        code: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
        long_message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            message: message.into(),
            long_message: long_message.into(),
            code: code.into(),
            meta: ErrorMeta::default(),
        }
    }

    /// `form_param_missing` for a required body parameter.
    pub(crate) fn param_missing(param: &'static str) -> Self {
        Self {
            meta: ErrorMeta {
                param_name: Some(param),
            },
            ..Self::new(
                "form_param_missing",
                "is missing",
                format!("{param} must be included."),
            )
        }
    }

    /// `form_param_value_invalid` for a body parameter of the wrong type or range.
    pub(crate) fn param_invalid(param: &'static str) -> Self {
        Self {
            meta: ErrorMeta {
                param_name: Some(param),
            },
            ..Self::new(
                "form_param_value_invalid",
                "is invalid",
                format!("{param} is invalid"),
            )
        }
    }
}

/// A failed request: status, one or more Clerk errors and extra headers.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) errors: Vec<ErrorItem>,
    /// Seconds for a `Retry-After` header.
    pub(crate) retry_after: Option<u64>,
    /// The `Allow` header of a 405.
    pub(crate) allow: Option<&'static str>,
}

impl ApiError {
    pub(crate) fn single(status: StatusCode, item: ErrorItem) -> Self {
        Self {
            status,
            errors: vec![item],
            retry_after: None,
            allow: None,
        }
    }

    /// 404 `resource_not_found` (unknown route, unknown token id, unknown user).
    pub(crate) fn not_found() -> Self {
        Self::single(
            StatusCode::NOT_FOUND,
            ErrorItem::new("resource_not_found", "not found", "Resource not found"),
        )
    }

    /// 405 `method_not_allowed` on a known path.
    pub(crate) fn method_not_allowed(method: &Method) -> Self {
        Self {
            allow: Some("POST"),
            ..Self::single(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorItem::new(
                    "method_not_allowed",
                    "method not allowed",
                    format!(
                        "The {} method is not allowed on this resource. Use POST.",
                        method.as_str()
                    ),
                ),
            )
        }
    }

    /// 401 `authorization_header_missing`.
    pub(crate) fn authorization_header_missing() -> Self {
        Self::single(
            StatusCode::UNAUTHORIZED,
            ErrorItem::new(
                "authorization_header_missing",
                "Unauthorized request",
                "You need to send an Authorization header with a Bearer secret key (sk_test_... or sk_live_...) to perform this request",
            ),
        )
    }

    /// 401 `authorization_invalid`.
    pub(crate) fn authorization_invalid() -> Self {
        Self::single(
            StatusCode::UNAUTHORIZED,
            ErrorItem::new(
                "authorization_invalid",
                "Unauthorized request",
                "You are not authorized to perform this request",
            ),
        )
    }

    /// 400 `request_body_invalid` (not JSON, or not a JSON object).
    pub(crate) fn request_body_invalid() -> Self {
        Self::single(
            StatusCode::BAD_REQUEST,
            ErrorItem::new(
                "request_body_invalid",
                "Request body invalid",
                "The request body is invalid. It must be a JSON object. Please consult the API documentation for more information.",
            ),
        )
    }

    /// 413 `request_body_too_large`.
    pub(crate) fn request_body_too_large(limit: usize) -> Self {
        Self::single(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorItem::new(
                "request_body_too_large",
                "Request body too large",
                format!("The request body must not exceed {limit} bytes."),
            ),
        )
    }

    /// 422 with one or more form parameter errors.
    pub(crate) fn unprocessable(errors: Vec<ErrorItem>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            retry_after: None,
            allow: None,
        }
    }

    /// 400 `sign_in_token_cannot_be_revoked_code`; `status` is the reason word
    /// (`accepted`, `revoked` or `expired`).
    pub(crate) fn cannot_revoke(status: &str) -> Self {
        Self::single(
            StatusCode::BAD_REQUEST,
            ErrorItem::new(
                "sign_in_token_cannot_be_revoked_code",
                "cannot revoke",
                format!(
                    "Sign in token cannot be revoked because its status is {status}. Only pending tokens can be revoked."
                ),
            ),
        )
    }

    /// 429 `too_many_requests` with `Retry-After`.
    pub(crate) fn too_many_requests(retry_after_secs: u64) -> Self {
        Self {
            retry_after: Some(retry_after_secs.max(1)),
            ..Self::single(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorItem::new(
                    "too_many_requests",
                    "Too many requests",
                    "Too many requests, retry later",
                ),
            )
        }
    }

    /// The answer for an injected failure.
    pub(crate) fn injected(failure: &Failure) -> Self {
        let status = failure.status();
        let (code, message, long_message) = default_texts(status);
        let item = ErrorItem::new(
            failure
                .code_override()
                .map_or(Cow::Borrowed(code), |c| Cow::Owned(c.to_owned())),
            failure
                .message_override()
                .map_or(Cow::Borrowed(message), |m| Cow::Owned(m.to_owned())),
            failure
                .long_message_override()
                .map_or(Cow::Borrowed(long_message), |m| Cow::Owned(m.to_owned())),
        );
        Self {
            retry_after: failure.retry_after_secs(),
            ..Self::single(status, item)
        }
    }

    /// Serialises the Clerk error body.
    pub(crate) fn to_json(&self, trace_id: &str) -> Vec<u8> {
        let body = ErrorsBody {
            errors: &self.errors,
            meta: EmptyMeta {},
            clerk_trace_id: trace_id,
        };
        // Serialising plain strings and integers into a Vec cannot fail.
        serde_json::to_vec(&body).unwrap_or_else(|_| b"{\"errors\":[]}".to_vec())
    }
}

/// Default `(code, message, long_message)` of an injected failure by status.
pub(crate) fn default_texts(status: StatusCode) -> (&'static str, &'static str, &'static str) {
    match status.as_u16() {
        400 => (
            "bad_request",
            "bad request",
            "The request could not be processed (injected failure)",
        ),
        401 | 403 => (
            "authorization_invalid",
            "Unauthorized request",
            "You are not authorized to perform this request",
        ),
        404 => ("resource_not_found", "not found", "Resource not found"),
        429 => (
            "too_many_requests",
            "Too many requests",
            "Too many requests, retry later",
        ),
        500..=599 => (
            "internal_error",
            "Oops, an unexpected error occurred",
            "There was an internal error on our servers. We've been notified and are working on fixing it.",
        ),
        _ => (
            "injected_error",
            "request failed",
            "The mock server was told to fail this request",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_is_clerk_shaped() {
        let err = ApiError::unprocessable(vec![ErrorItem::param_missing("user_id")]);
        let v: serde_json::Value =
            serde_json::from_slice(&err.to_json("0123456789abcdef0123456789abcdef"))
                .expect("valid json");
        assert_eq!(v["meta"], serde_json::json!({}));
        assert_eq!(v["clerk_trace_id"], "0123456789abcdef0123456789abcdef");
        assert_eq!(v["errors"][0]["code"], "form_param_missing");
        assert_eq!(v["errors"][0]["message"], "is missing");
        assert_eq!(v["errors"][0]["long_message"], "user_id must be included.");
        assert_eq!(v["errors"][0]["meta"]["param_name"], "user_id");
    }

    #[test]
    fn plain_errors_have_empty_item_meta() {
        let v: serde_json::Value =
            serde_json::from_slice(&ApiError::not_found().to_json("t")).expect("valid json");
        assert_eq!(v["errors"][0]["meta"], serde_json::json!({}));
        assert_eq!(v["errors"][0]["code"], "resource_not_found");
    }
}
