//! What the clients tell `tracing` (feature `tracing`): one span per call and
//! one event per retry. Without the feature every item here is an empty
//! inline stub, so the clients' loops read the same either way.
//!
//! Field names are OpenTelemetry's (the HTTP client semantic conventions)
//! where one names the fact, and `clerk.`-prefixed otherwise, so a
//! `tracing-opentelemetry` pipeline shows the calls as HTTP client spans.
//! Recorded, and nothing else:
//!
//! - span `clerk.call` (target `clerk_core`, level INFO), the call's HTTP
//!   client span (one span over every attempt: the clients expose no hook
//!   per attempt): `otel.name` (`{method} {url.template}`), `otel.kind`
//!   (`client`), `http.request.method`, `url.template` (the path below the
//!   base URL, with `{sign_in_token_id}` for the id), `clerk.operation`;
//!   when it ends `clerk.attempts`, `http.response.status_code` (the last
//!   answer's), `error.type` and `otel.status_code` (`error`) on failure,
//!   `clerk.error_code` (the first code of Clerk's error body),
//!   `clerk.trace_id`, `clerk.duration_ms` (not on `wasm32-unknown-unknown`,
//!   which has no clock in `std`), and `clerk.outcome` (`ok`, or the
//!   error's kind);
//! - event `retrying` (same target, level INFO) inside that span, before each
//!   wait: `http.request.resend_count` (the resend it announces: 1 for the
//!   first retry), the failed attempt's `error.type` and
//!   `http.response.status_code` (when there was an answer),
//!   `clerk.retry_reason`, and `clerk.wait_ms`.
//!
//! `error.type` is low-cardinality, as the conventions ask: the status code
//! (`"429"`, `"503"`) when an answer said error (4xx, 5xx); otherwise the
//! transport's [`TransportErrorKind`](crate::TransportErrorKind) label
//! (`connect`, `timeout`, ...), `call_timeout`, `unexpected_response`,
//! `decode_error` or `invalid_input`.
//!
//! Never the secret key, the request or response bodies, the token, its url,
//! the base URL (so neither `url.full` nor `server.address`) or any header
//! other than the trace id. The trace id and the error code come from the
//! server, so they are recorded only when they look like what they are
//! (short, visible ASCII) and hold nothing of the key.

use std::time::Duration;

use crate::error::Error;
use crate::model::{ApiResponse, SignInToken};
use crate::retry::Operation;

/// Why a failed attempt is retried: a short, stable label.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(crate) fn retry_reason<E>(error: &Error<E>) -> &'static str {
    match error.status().map(|s| s.as_u16()) {
        Some(429) => "rate_limited",
        Some(408) => "request_timeout",
        Some(s) if s >= 500 => "server_error",
        Some(_) => "status",
        None if error.is_timeout() => "timeout",
        None if error.is_request_not_sent() => "not_sent",
        None => "connection_lost",
    }
}

/// OpenTelemetry's `error.type`: the status code of an answer that said
/// error, or a short label for a failure without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(crate) enum ErrorType {
    Status(http::StatusCode),
    Label(&'static str),
}

impl ErrorType {
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub(crate) fn of<E>(error: &Error<E>) -> Self {
        if let Some(status) = error
            .status()
            .filter(|s| s.is_client_error() || s.is_server_error())
        {
            return Self::Status(status);
        }
        Self::Label(match error {
            Error::CallTimeout(_) => "call_timeout",
            Error::Transport(_) => error.transport_kind().map_or("_OTHER", |k| k.as_str()),
            Error::UnexpectedResponse(_) => "unexpected_response",
            Error::Decode(_) => "decode_error",
            Error::InvalidInput(_) => "invalid_input",
            #[allow(unreachable_patterns)]
            _ => "_OTHER",
        })
    }

    /// The value, as OpenTelemetry wants it: a string.
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Status(status) => status.as_str(),
            Self::Label(label) => label,
        }
    }
}

/// What the retry event says about the failed attempt.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Retry {
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    reason: &'static str,
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    status: Option<u16>,
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    error_type: ErrorType,
}

impl Retry {
    /// Reads the failed attempt's error. Without the feature, nothing.
    #[inline(always)]
    pub(crate) fn of<E>(error: &Error<E>) -> Self {
        #[cfg(feature = "tracing")]
        {
            Self {
                reason: retry_reason(error),
                status: error.status().map(|s| s.as_u16()),
                error_type: ErrorType::of(error),
            }
        }
        #[cfg(not(feature = "tracing"))]
        {
            let _ = error;
            Self {
                reason: "",
                status: None,
                error_type: ErrorType::Label(""),
            }
        }
    }
}

#[cfg(feature = "tracing")]
mod on {
    use super::*;

    #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
    type Clock = std::time::Instant;

    /// One call's span and its clock.
    pub(crate) struct Call {
        span: tracing::Span,
        #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
        started: Clock,
    }

    impl Call {
        pub(crate) fn start(operation: Operation) -> Self {
            let (name, template) = match operation {
                Operation::CreateSignInToken => ("POST /sign_in_tokens", "/sign_in_tokens"),
                Operation::RevokeSignInToken => (
                    "POST /sign_in_tokens/{sign_in_token_id}/revoke",
                    "/sign_in_tokens/{sign_in_token_id}/revoke",
                ),
            };
            let span = tracing::info_span!(
                target: "clerk_core",
                "clerk.call",
                otel.name = name,
                otel.kind = "client",
                http.request.method = "POST",
                url.template = template,
                clerk.operation = operation.name(),
                clerk.attempts = tracing::field::Empty,
                http.response.status_code = tracing::field::Empty,
                error.type = tracing::field::Empty,
                otel.status_code = tracing::field::Empty,
                clerk.error_code = tracing::field::Empty,
                clerk.trace_id = tracing::field::Empty,
                clerk.duration_ms = tracing::field::Empty,
                clerk.outcome = tracing::field::Empty,
            );
            Self {
                span,
                #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
                started: Clock::now(),
            }
        }

        /// Runs `future` inside the span, so a transport's own events nest
        /// under the call.
        pub(crate) fn instrument<F: std::future::Future>(
            &self,
            future: F,
        ) -> tracing::instrument::Instrumented<F> {
            tracing::Instrument::instrument(future, self.span.clone())
        }

        /// Runs `f` inside the span (the blocking client).
        pub(crate) fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
            self.span.in_scope(f)
        }

        /// `attempt` failed (from 1) and is about to be sent again: the
        /// event announces resend number `attempt`.
        pub(crate) fn retry(&self, attempt: u32, retry: &Retry, wait: Duration) {
            let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
            let reason = retry.reason;
            let error_type = retry.error_type.as_str();
            match retry.status {
                Some(status) => tracing::event!(
                    target: "clerk_core",
                    parent: &self.span,
                    tracing::Level::INFO,
                    http.request.resend_count = attempt,
                    error.type = error_type,
                    http.response.status_code = status,
                    clerk.retry_reason = reason,
                    clerk.wait_ms = wait_ms,
                    "retrying"
                ),
                None => tracing::event!(
                    target: "clerk_core",
                    parent: &self.span,
                    tracing::Level::INFO,
                    http.request.resend_count = attempt,
                    error.type = error_type,
                    clerk.retry_reason = reason,
                    clerk.wait_ms = wait_ms,
                    "retrying"
                ),
            }
        }

        pub(crate) fn finish<E>(
            self,
            attempts: u32,
            secret_key: &str,
            result: &Result<ApiResponse<SignInToken>, Error<E>>,
        ) {
            let span = &self.span;
            span.record("clerk.attempts", attempts);
            #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
            {
                let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
                span.record("clerk.duration_ms", ms);
            }
            match result {
                Ok(response) => {
                    span.record("http.response.status_code", response.status.as_u16());
                    let trace_id = response
                        .headers
                        .get(crate::CLERK_TRACE_ID)
                        .and_then(|v| v.to_str().ok());
                    if let Some(id) = trace_id.and_then(|id| loggable(id, secret_key)) {
                        span.record("clerk.trace_id", id);
                    }
                    span.record("clerk.outcome", "ok");
                }
                Err(error) => {
                    if let Some(status) = error.status() {
                        span.record("http.response.status_code", status.as_u16());
                    }
                    span.record("error.type", ErrorType::of(error).as_str());
                    span.record("otel.status_code", "error");
                    if let Some(code) = error.codes().find_map(|c| loggable(c, secret_key)) {
                        span.record("clerk.error_code", code);
                    }
                    if let Some(id) = error
                        .clerk_trace_id()
                        .and_then(|id| loggable(id, secret_key))
                    {
                        span.record("clerk.trace_id", id);
                    }
                    span.record("clerk.outcome", outcome(error));
                }
            }
        }
    }

    fn outcome<E>(error: &Error<E>) -> &'static str {
        match error {
            Error::Api(_) => "api_error",
            Error::UnexpectedResponse(_) => "unexpected_response",
            Error::Decode(_) => "decode_error",
            Error::InvalidInput(_) => "invalid_input",
            Error::CallTimeout(_) => "call_timeout",
            Error::Transport(t) if t.is_timeout() => "timeout",
            Error::Transport(_) => "transport_error",
            #[allow(unreachable_patterns)]
            _ => "error",
        }
    }

    /// `value` when it is fit for a log: 1 to 128 visible ASCII characters,
    /// holding nothing of the secret key nor anything shaped like a key or
    /// a ticket.
    fn loggable<'a>(value: &'a str, secret_key: &str) -> Option<&'a str> {
        let fits = !value.is_empty()
            && value.len() <= 128
            && value.bytes().all(|b| b.is_ascii_graphic())
            && !value.contains("sk_test_")
            && !value.contains("sk_live_")
            && !value.contains("__clerk_ticket")
            && (secret_key.is_empty() || !value.contains(secret_key));
        fits.then_some(value)
    }

    #[cfg(test)]
    mod tests {
        use super::loggable;

        #[test]
        fn only_plain_short_values_are_logged() {
            assert_eq!(loggable("abc123", "sk_test_k"), Some("abc123"));
            assert_eq!(
                loggable("form_param_missing", ""),
                Some("form_param_missing")
            );
            assert_eq!(loggable("", "sk_test_k"), None);
            assert_eq!(loggable("a b", "sk_test_k"), None);
            assert_eq!(loggable(&"x".repeat(129), "sk_test_k"), None);
            assert_eq!(loggable("xsk_live_abc", "other"), None);
            assert_eq!(loggable("xxSECRETxx", "SECRET"), None);
        }
    }
}

#[cfg(not(feature = "tracing"))]
mod off {
    use super::*;

    /// Nothing to record without the feature.
    pub(crate) struct Call;

    impl Call {
        #[inline(always)]
        pub(crate) fn start(_operation: Operation) -> Self {
            Call
        }

        #[inline(always)]
        pub(crate) fn instrument<F: std::future::Future>(&self, future: F) -> F {
            future
        }

        #[inline(always)]
        pub(crate) fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
            f()
        }

        #[inline(always)]
        pub(crate) fn retry(&self, _attempt: u32, _retry: &Retry, _wait: Duration) {}

        #[inline(always)]
        pub(crate) fn finish<E>(
            self,
            _attempts: u32,
            _secret_key: &str,
            _result: &Result<ApiResponse<SignInToken>, Error<E>>,
        ) {
        }
    }
}

#[cfg(not(feature = "tracing"))]
pub(crate) use off::Call;
#[cfg(feature = "tracing")]
pub(crate) use on::Call;

#[cfg(test)]
mod tests {
    use super::*;

    use crate::{SendError, TransportErrorKind, TransportFailure};

    fn transport(kind: TransportErrorKind) -> Error<SendError> {
        Error::Transport(TransportFailure::new(SendError::new(kind, "m")))
    }

    #[test]
    fn error_types_are_status_codes_or_short_labels() {
        assert_eq!(
            ErrorType::of(&transport(TransportErrorKind::Connect)).as_str(),
            "connect"
        );
        assert_eq!(
            ErrorType::of(&transport(TransportErrorKind::BodyTooLarge)).as_str(),
            "body_too_large"
        );
        let answered = crate::response::sign_in_token(
            &http::Response::builder()
                .status(503)
                .body(bytes::Bytes::from_static(b"<html>down</html>"))
                .unwrap(),
        )
        .unwrap_err();
        assert_eq!(ErrorType::of(&answered).as_str(), "503");
    }

    #[test]
    fn transport_failures_have_their_own_reasons() {
        assert_eq!(
            retry_reason(&transport(TransportErrorKind::Io)),
            "connection_lost"
        );
        assert_eq!(
            retry_reason(&transport(TransportErrorKind::Timeout)),
            "timeout"
        );
        assert_eq!(
            retry_reason(&transport(TransportErrorKind::Connect)),
            "not_sent"
        );
    }
}
