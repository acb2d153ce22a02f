//! One error type for every way a call can fail, and its accessors.
//!
//! Nothing here ever holds the secret key, a sign-in token or its url: Clerk's
//! messages and body excerpts pass through a redactor before they are kept.

use std::borrow::Cow;
use std::convert::Infallible;
use std::fmt;
use std::time::{Duration, SystemTime};

use http::StatusCode;
use serde::{Deserialize, Deserializer, Serialize};

/// Every way a call can fail.
///
/// Generic over the transport's error `E`; the sans-IO functions, which have
/// no transport, use the default `E = Infallible`.
///
/// ```
/// use clerk_core::{response, Error};
///
/// let reply = http::Response::builder()
///     .status(404)
///     .header("content-type", "application/json")
///     .body(r#"{"errors":[{"message":"not found","long_message":"Resource not found","code":"resource_not_found"}],"clerk_trace_id":"abc"}"#)
///     .unwrap();
/// let err: Error = response::sign_in_token(&reply).unwrap_err();
/// assert_eq!(err.status(), Some(http::StatusCode::NOT_FOUND));
/// assert_eq!(err.codes().collect::<Vec<_>>(), ["resource_not_found"]);
/// assert_eq!(err.clerk_trace_id(), Some("abc"));
/// assert!(!err.is_retryable());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error<E = Infallible> {
    /// The transport could not get a response.
    #[error(transparent)]
    Transport(TransportFailure<E>),
    /// Clerk answered with an error status and a Clerk error body.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The answer was not what Clerk sends: HTML from a proxy, an empty body,
    /// a redirect, an encoding that was not asked for.
    #[error(transparent)]
    UnexpectedResponse(Box<UnexpectedResponse>),
    /// A successful status whose JSON body does not fit the schema.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// The input was refused before any request existed.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    /// The call's whole deadline (attempts and the waits between them, see
    /// [`ClientBuilder::call_timeout`](crate::ClientBuilder::call_timeout))
    /// passed while an attempt was under way.
    #[error(transparent)]
    CallTimeout(Box<CallTimeout<E>>),
}

impl<E> Error<E> {
    /// The HTTP status, when there was a response.
    ///
    /// ```
    /// let err: clerk_core::Error = clerk_core::InvalidInput::new("user_id", "empty").into();
    /// assert_eq!(err.status(), None);
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::UnexpectedResponse(e) => Some(e.status),
            Error::Decode(e) => Some(e.status),
            Error::Transport(_) | Error::InvalidInput(_) | Error::CallTimeout(_) => None,
        }
    }

    /// Clerk's error codes, in order (empty unless this is [`Error::Api`]).
    ///
    /// ```
    /// let err: clerk_core::Error = clerk_core::InvalidInput::new("user_id", "empty").into();
    /// assert_eq!(err.codes().count(), 0);
    /// ```
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        let errors: &[ClerkError] = match self {
            Error::Api(e) => &e.errors,
            _ => &[],
        };
        errors.iter().map(|e| e.code.as_str())
    }

    /// Clerk's trace id, from the body or else the `Clerk-Trace-Id` or
    /// `CF-Ray` header. Quote it when asking Clerk's support.
    ///
    /// ```
    /// let err: clerk_core::Error = clerk_core::InvalidInput::new("user_id", "empty").into();
    /// assert_eq!(err.clerk_trace_id(), None);
    /// ```
    pub fn clerk_trace_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.clerk_trace_id.as_deref(),
            Error::UnexpectedResponse(e) => e.clerk_trace_id.as_deref(),
            Error::Decode(e) => e.clerk_trace_id.as_deref(),
            Error::Transport(_) | Error::InvalidInput(_) | Error::CallTimeout(_) => None,
        }
    }

    /// The server's `Retry-After`, when it sent a valid one.
    ///
    /// ```
    /// let err: clerk_core::Error = clerk_core::InvalidInput::new("user_id", "empty").into();
    /// assert_eq!(err.retry_after(), None);
    /// ```
    pub fn retry_after(&self) -> Option<RetryAfter> {
        self.response_timing().and_then(|t| t.retry_after)
    }

    /// How long the server asked to wait, as a duration from when the
    /// response was sent (an HTTP-date is measured against the response's
    /// `Date` header, or the local clock where there is one).
    ///
    /// ```
    /// let err: clerk_core::Error = clerk_core::InvalidInput::new("user_id", "empty").into();
    /// assert_eq!(err.retry_after_delay(), None);
    /// ```
    pub fn retry_after_delay(&self) -> Option<Duration> {
        self.response_timing().and_then(ResponseTiming::delay)
    }

    fn response_timing(&self) -> Option<&ResponseTiming> {
        match self {
            Error::Api(e) => Some(&e.timing),
            Error::UnexpectedResponse(e) => Some(&e.timing),
            _ => None,
        }
    }

    /// Whether trying again could help: transport failures (except
    /// [permanent](crate::TransportError::is_permanent) ones), 408, 429, and
    /// 500, 502, 503, 504. It says nothing about whether a retry is *safe*:
    /// create is not idempotent, which the [retry policy](crate::RetryPolicy)
    /// takes into account.
    ///
    /// ```
    /// let err: clerk_core::Error = clerk_core::InvalidInput::new("user_id", "empty").into();
    /// assert!(!err.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport(t) => !t.permanent,
            Error::Api(_) | Error::UnexpectedResponse(_) => {
                self.status().is_some_and(retryable_status)
            }
            Error::Decode(_) | Error::InvalidInput(_) | Error::CallTimeout(_) => false,
        }
    }

    /// `true` for a transport failure known to have happened before the
    /// request left, and for refused input.
    ///
    /// ```
    /// let err: clerk_core::Error = clerk_core::InvalidInput::new("user_id", "empty").into();
    /// assert!(err.is_request_not_sent());
    /// ```
    pub fn is_request_not_sent(&self) -> bool {
        match self {
            Error::Transport(t) => t.request_not_sent,
            Error::CallTimeout(t) => t.source.as_ref().is_some_and(|s| s.request_not_sent),
            Error::InvalidInput(_) => true,
            _ => false,
        }
    }

    /// `true` when the transport timed out, or the call's whole deadline
    /// passed.
    ///
    /// ```
    /// let err: clerk_core::Error = clerk_core::InvalidInput::new("user_id", "empty").into();
    /// assert!(!err.is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Transport(t) if t.timeout) || matches!(self, Error::CallTimeout(_))
    }

    /// The kind of transport failure, when the transport failed (or its
    /// attempt was cut short by the call's deadline).
    ///
    /// ```
    /// use clerk_core::{Error, SendError, TransportErrorKind, TransportFailure};
    /// let err: Error<SendError> =
    ///     Error::Transport(TransportFailure::new(SendError::body_too_large(8)));
    /// assert_eq!(err.transport_kind(), Some(TransportErrorKind::BodyTooLarge));
    /// ```
    pub fn transport_kind(&self) -> Option<crate::TransportErrorKind> {
        match self {
            Error::Transport(t) => Some(t.kind),
            Error::CallTimeout(t) => t.source.as_ref().map(|s| s.kind),
            _ => None,
        }
    }

    /// `true` when a revoke's retry met `400 sign_in_token_cannot_be_revoked_code`
    /// for a token that an earlier attempt of the same call may have revoked
    /// (its answer was lost) and that Clerk says is revoked: the token is
    /// revoked, and this is not a refusal. See
    /// [`ApiError::revoked_by_earlier_attempt`].
    ///
    /// ```
    /// let err: clerk_core::Error = clerk_core::InvalidInput::new("user_id", "empty").into();
    /// assert!(!err.is_revoked_by_earlier_attempt());
    /// ```
    pub fn is_revoked_by_earlier_attempt(&self) -> bool {
        matches!(self, Error::Api(api) if api.revoked_by_earlier_attempt)
    }

    /// The Clerk error, if this is one.
    ///
    /// ```
    /// let err: clerk_core::Error = clerk_core::InvalidInput::new("user_id", "empty").into();
    /// assert!(err.as_api_error().is_none());
    /// ```
    pub fn as_api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }
}

impl Error<Infallible> {
    /// Re-types a transport-less error for a client over a transport with
    /// error `E`.
    ///
    /// ```
    /// let err: clerk_core::Error = clerk_core::InvalidInput::new("user_id", "empty").into();
    /// let err: clerk_core::Error<std::io::Error> = err.with_transport();
    /// assert!(matches!(err, clerk_core::Error::InvalidInput(_)));
    /// ```
    pub fn with_transport<E>(self) -> Error<E> {
        match self {
            Error::Transport(t) => match t.source {},
            Error::Api(e) => Error::Api(e),
            Error::UnexpectedResponse(e) => Error::UnexpectedResponse(e),
            Error::Decode(e) => Error::Decode(e),
            Error::InvalidInput(e) => Error::InvalidInput(e),
            Error::CallTimeout(t) => Error::CallTimeout(Box::new(CallTimeout {
                after: t.after,
                attempts: t.attempts,
                source: None,
            })),
        }
    }
}

pub(crate) fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// A transport failure, with the facts the retry policy needs.
///
/// Its message says only that the transport failed; the transport's own error
/// is its [`source`](std::error::Error::source), so a reporter that walks the
/// chain prints each once.
///
/// ```
/// use std::error::Error;
/// use clerk_core::{SendError, TransportErrorKind, TransportFailure};
/// let f = TransportFailure::new(SendError::new(TransportErrorKind::Connect, "refused"));
/// assert!(f.request_not_sent());
/// assert_eq!(f.to_string(), "transport failed before the request was sent");
/// assert_eq!(f.source().unwrap().to_string(), "refused");
/// ```
#[derive(Debug, thiserror::Error)]
#[error("transport failed{}", if *.request_not_sent { " before the request was sent" } else { "" })]
pub struct TransportFailure<E> {
    source: E,
    kind: crate::TransportErrorKind,
    request_not_sent: bool,
    timeout: bool,
    permanent: bool,
}

impl<E: crate::TransportError> TransportFailure<E> {
    /// Wraps a transport's error, reading its classification.
    ///
    /// ```
    /// let f = clerk_core::TransportFailure::new(std::io::Error::from(std::io::ErrorKind::TimedOut));
    /// assert!(f.is_timeout());
    /// ```
    pub fn new(source: E) -> Self {
        Self {
            kind: source.kind(),
            request_not_sent: source.is_request_not_sent(),
            timeout: source.is_timeout(),
            permanent: source.is_permanent(),
            source,
        }
    }
}

impl<E> TransportFailure<E> {
    /// The kind of failure, as the transport classified it.
    ///
    /// ```
    /// let f = clerk_core::TransportFailure::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
    /// assert_eq!(f.kind(), clerk_core::TransportErrorKind::Connect);
    /// ```
    pub fn kind(&self) -> crate::TransportErrorKind {
        self.kind
    }

    /// Whether the request is known not to have left.
    ///
    /// ```
    /// let f = clerk_core::TransportFailure::new(std::io::Error::other("reset"));
    /// assert!(!f.request_not_sent());
    /// ```
    pub fn request_not_sent(&self) -> bool {
        self.request_not_sent
    }

    /// Whether the failure was a timeout.
    ///
    /// ```
    /// let f = clerk_core::TransportFailure::new(std::io::Error::other("reset"));
    /// assert!(!f.is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        self.timeout
    }

    /// Whether sending again cannot help.
    ///
    /// ```
    /// use clerk_core::{SendError, TransportFailure};
    /// assert!(TransportFailure::new(SendError::insecure_scheme("example.com")).is_permanent());
    /// ```
    pub fn is_permanent(&self) -> bool {
        self.permanent
    }

    /// The transport's own error.
    ///
    /// ```
    /// let f = clerk_core::TransportFailure::new(std::io::Error::other("reset"));
    /// assert_eq!(f.get_ref().to_string(), "reset");
    /// ```
    pub fn get_ref(&self) -> &E {
        &self.source
    }

    /// Unwraps the transport's own error.
    ///
    /// ```
    /// let f = clerk_core::TransportFailure::new(std::io::Error::other("reset"));
    /// assert_eq!(f.into_inner().kind(), std::io::ErrorKind::Other);
    /// ```
    pub fn into_inner(self) -> E {
        self.source
    }
}

/// The call's whole deadline passed while an attempt was under way; the
/// attempt was given up. Its request may have reached Clerk (unless
/// [`source`](std::error::Error::source), the attempt's own failure when the
/// transport reported one, says it was not sent).
///
/// ```
/// use std::time::Duration;
/// use clerk_core::{CallTimeout, Error};
/// let err: Error = Error::CallTimeout(Box::new(CallTimeout::new(Duration::from_secs(30), 2)));
/// assert!(err.is_timeout());
/// assert!(!err.is_retryable());
/// assert_eq!(err.to_string(), "the call's deadline of 30000 ms passed during attempt 2");
/// ```
#[derive(Debug, thiserror::Error)]
#[error("the call's deadline of {} passed during attempt {attempts}", crate::send_error::Millis(*.after))]
pub struct CallTimeout<E = Infallible> {
    after: Duration,
    attempts: u32,
    #[source]
    source: Option<TransportFailure<E>>,
}

impl<E> CallTimeout<E> {
    /// The deadline `after` passed during attempt number `attempts`.
    ///
    /// See [`CallTimeout`] for an example.
    pub fn new(after: Duration, attempts: u32) -> Self {
        Self {
            after,
            attempts,
            source: None,
        }
    }

    pub(crate) fn with_failure(mut self, failure: TransportFailure<E>) -> Self {
        self.source = Some(failure);
        self
    }

    /// The call's deadline.
    ///
    /// ```
    /// let t = clerk_core::CallTimeout::<std::convert::Infallible>::new(std::time::Duration::from_secs(3), 1);
    /// assert_eq!(t.after().as_secs(), 3);
    /// ```
    pub fn after(&self) -> Duration {
        self.after
    }

    /// How many attempts were started, the one cut short included.
    ///
    /// ```
    /// let t = clerk_core::CallTimeout::<std::convert::Infallible>::new(std::time::Duration::from_secs(3), 2);
    /// assert_eq!(t.attempts(), 2);
    /// ```
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The transport's failure of the attempt that was cut short, when the
    /// transport ended it itself (at the deadline the client handed it).
    ///
    /// ```
    /// let t = clerk_core::CallTimeout::<std::convert::Infallible>::new(std::time::Duration::from_secs(3), 2);
    /// assert!(t.transport_failure().is_none());
    /// ```
    pub fn transport_failure(&self) -> Option<&TransportFailure<E>> {
        self.source.as_ref()
    }
}

/// Input refused before any request was made: which field, and why.
///
/// ```
/// let e = clerk_core::InvalidInput::new("sign_in_token_id", "must not be empty");
/// assert_eq!(e.to_string(), "invalid `sign_in_token_id`: must not be empty");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid `{field}`: {problem}")]
pub struct InvalidInput {
    field: &'static str,
    problem: Cow<'static, str>,
}

impl InvalidInput {
    /// A problem with `field`.
    ///
    /// ```
    /// assert_eq!(clerk_core::InvalidInput::new("org_id", "empty").field(), "org_id");
    /// ```
    pub fn new(field: &'static str, problem: impl Into<Cow<'static, str>>) -> Self {
        Self {
            field,
            problem: problem.into(),
        }
    }

    /// The field, named as in the API (`user_id`, `expires_in_seconds`,
    /// `sign_in_token_id`, `base_url`, …).
    ///
    /// ```
    /// assert_eq!(clerk_core::InvalidInput::new("user_id", "x").field(), "user_id");
    /// ```
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What is wrong with it.
    ///
    /// ```
    /// assert_eq!(clerk_core::InvalidInput::new("user_id", "empty").problem(), "empty");
    /// ```
    pub fn problem(&self) -> &str {
        &self.problem
    }
}

/// One entry of Clerk's `errors` array.
///
/// ```
/// let e: clerk_core::ClerkError = serde_json::from_str(
///     r#"{"message":"is missing","long_message":"user_id must be included.","code":"form_param_missing","meta":{"param_name":"user_id"}}"#,
/// ).unwrap();
/// assert_eq!(e.code, "form_param_missing");
/// assert_eq!(e.meta.unwrap()["param_name"], "user_id");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClerkError {
    /// A short message.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub message: String,
    /// A longer, human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_message: Option<String>,
    /// The machine-readable code, such as `form_param_missing`.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub code: String,
    /// Extra details, such as `param_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Map<String, serde_json::Value>>,
}

// Derive has no attribute for "read `null` as the default": Clerk has sent
// `"code": null`, and an error must not fail to parse over it.
fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Option::<String>::deserialize(d).map(Option::unwrap_or_default)
}

impl ClerkError {
    /// An error entry with `code` and `message`, for servers and tests that
    /// answer like Clerk.
    ///
    /// ```
    /// let e = clerk_core::ClerkError::new("resource_not_found", "not found");
    /// assert_eq!(
    ///     serde_json::to_string(&e).unwrap(),
    ///     r#"{"message":"not found","code":"resource_not_found"}"#
    /// );
    /// ```
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            long_message: None,
            code: code.into(),
            meta: None,
        }
    }
}

/// When the server asked to be tried again.
///
/// ```
/// use std::time::Duration;
/// use clerk_core::RetryAfter;
/// assert_eq!(RetryAfter::parse("7"), Some(RetryAfter::Delay(Duration::from_secs(7))));
/// assert!(matches!(RetryAfter::parse("Sun, 06 Nov 1994 08:49:37 GMT"), Some(RetryAfter::At(_))));
/// assert_eq!(RetryAfter::parse("-1"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryAfter {
    /// `Retry-After: <delta-seconds>`.
    Delay(Duration),
    /// `Retry-After: <HTTP-date>`.
    At(SystemTime),
}

impl RetryAfter {
    /// Parses a `Retry-After` value: delta-seconds or an HTTP-date in any of
    /// the three forms RFC 9110 (section 5.6.7) has recipients read:
    /// IMF-fixdate, RFC 850 and asctime. Anything else (negative,
    /// fractional, garbage) is `None`.
    ///
    /// ```
    /// use clerk_core::RetryAfter;
    /// assert_eq!(RetryAfter::parse("soon"), None);
    /// let imf = RetryAfter::parse("Sun, 06 Nov 1994 08:49:37 GMT");
    /// assert_eq!(RetryAfter::parse("Sunday, 06-Nov-94 08:49:37 GMT"), imf);
    /// assert_eq!(RetryAfter::parse("Sun Nov  6 08:49:37 1994"), imf);
    /// ```
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            // Saturate absurd values instead of failing: they are refused by
            // the policy's ceiling anyway.
            let secs = value.parse::<u64>().unwrap_or(u64::MAX);
            return Some(RetryAfter::Delay(Duration::from_secs(secs)));
        }
        httpdate::parse_http_date(value).ok().map(RetryAfter::At)
    }
}

/// The timing facts of an error response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ResponseTiming {
    pub(crate) retry_after: Option<RetryAfter>,
    /// The response's `Date`, to measure an HTTP-date `Retry-After` against.
    pub(crate) date: Option<SystemTime>,
}

impl ResponseTiming {
    pub(crate) fn delay(&self) -> Option<Duration> {
        match self.retry_after? {
            RetryAfter::Delay(d) => Some(d),
            RetryAfter::At(at) => {
                let now = self.date.or_else(local_now)?;
                Some(at.duration_since(now).unwrap_or(Duration::ZERO))
            }
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
fn local_now() -> Option<SystemTime> {
    Some(SystemTime::now())
}

/// wasm32-unknown-unknown has no clock: `SystemTime::now` would panic.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
fn local_now() -> Option<SystemTime> {
    None
}

/// Clerk answered with an error status and its error body.
///
/// ```
/// use clerk_core::{response, Error};
/// let reply = http::Response::builder()
///     .status(422)
///     .body(r#"{"errors":[{"message":"is missing","long_message":"user_id must be included.","code":"form_param_missing","meta":{"param_name":"user_id"}}],"clerk_trace_id":"t1"}"#)
///     .unwrap();
/// let Err(Error::Api(api)) = response::sign_in_token(&reply) else { panic!() };
/// assert_eq!(api.status(), 422);
/// assert_eq!(api.errors()[0].long_message.as_deref(), Some("user_id must be included."));
/// assert_eq!(api.to_string(), "Clerk answered 422 Unprocessable Entity: form_param_missing: user_id must be included. (trace id t1)");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("Clerk answered {}{}{}", DisplayStatus(self.status), ErrorList(&self.errors), TraceId(&self.clerk_trace_id))]
pub struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) errors: Vec<ClerkError>,
    pub(crate) meta: Option<serde_json::Map<String, serde_json::Value>>,
    pub(crate) clerk_trace_id: Option<String>,
    pub(crate) timing: ResponseTiming,
    pub(crate) headers: HeaderNamesOnly,
    pub(crate) revoked_by_earlier_attempt: bool,
}

/// Response headers whose `Debug` lists the names only: a value such as a
/// `Set-Cookie` may be a credential, and `Debug` output ends up in logs.
#[derive(Clone, PartialEq)]
pub(crate) struct HeaderNamesOnly(pub(crate) http::HeaderMap);

impl fmt::Debug for HeaderNamesOnly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl ApiError {
    /// The response's headers, as received: rate-limit, trace and other
    /// headers a caller may look for. `Debug` shows only their names.
    ///
    /// ```
    /// use clerk_core::{response, Error};
    /// let reply = http::Response::builder()
    ///     .status(429)
    ///     .header("x-ratelimit-remaining", "0")
    ///     .header("set-cookie", "session=SECRET")
    ///     .body(r#"{"errors":[{"message":"slow down","code":"too_many_requests"}]}"#)
    ///     .unwrap();
    /// let Err(Error::Api(api)) = response::sign_in_token(&reply) else { panic!() };
    /// assert_eq!(api.headers()["x-ratelimit-remaining"], "0");
    /// assert!(!format!("{api:?}").contains("SECRET"));
    /// ```
    pub fn headers(&self) -> &http::HeaderMap {
        &self.headers.0
    }

    /// The HTTP status.
    ///
    /// See [`ApiError`] for an example.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Every error Clerk listed.
    ///
    /// See [`ApiError`] for an example.
    pub fn errors(&self) -> &[ClerkError] {
        &self.errors
    }

    /// The top-level `meta` object, if Clerk sent one.
    ///
    /// See [`ApiError`] for an example.
    pub fn meta(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.meta.as_ref()
    }

    /// The trace id, from the body or the headers.
    ///
    /// See [`ApiError`] for an example.
    pub fn clerk_trace_id(&self) -> Option<&str> {
        self.clerk_trace_id.as_deref()
    }

    /// The `Retry-After` the response carried, if valid.
    ///
    /// See [`ApiError`] for an example.
    pub fn retry_after(&self) -> Option<RetryAfter> {
        self.timing.retry_after
    }

    /// `true` when this is the answer to a revoke's retry, Clerk says the
    /// token cannot be revoked because it *is revoked*, and an earlier
    /// attempt of the same call may have reached Clerk (its answer was lost:
    /// the connection dropped, the deadline passed, a 5xx). Then that
    /// earlier attempt revoked the token: the call achieved what it was for.
    ///
    /// `Client::revoke_sign_in_token` turns such an answer into
    /// [`Revocation::RevokedByEarlierAttempt`](crate::Revocation::RevokedByEarlierAttempt);
    /// the `_with_http_info` form returns it as this error, flagged. Clerk
    /// names the token's status only in its message ("...because its status
    /// is revoked"), so this reads it there; a token that was accepted or
    /// expired meanwhile is a real refusal and is not flagged.
    ///
    /// ```
    /// use clerk_core::{response, Error};
    /// let reply = http::Response::builder()
    ///     .status(400)
    ///     .body(r#"{"errors":[{"message":"cannot revoke","long_message":"Sign in token cannot be revoked because its status is revoked.","code":"sign_in_token_cannot_be_revoked_code"}]}"#)
    ///     .unwrap();
    /// let Err(Error::Api(api)) = response::sign_in_token(&reply) else { panic!() };
    /// // Read on its own, the answer is a refusal; only a client that lost an
    /// // earlier attempt's answer flags it.
    /// assert!(!api.revoked_by_earlier_attempt());
    /// ```
    pub fn revoked_by_earlier_attempt(&self) -> bool {
        self.revoked_by_earlier_attempt
    }

    /// Whether this is Clerk's "cannot be revoked because its status is
    /// revoked" answer.
    pub(crate) fn says_already_revoked(&self) -> bool {
        const SAYS: &[u8] = b"status is revoked";
        let says = |text: &str| {
            text.as_bytes()
                .windows(SAYS.len())
                .any(|w| w.eq_ignore_ascii_case(SAYS))
        };
        self.status == StatusCode::BAD_REQUEST
            && self.errors.iter().any(|e| {
                e.code == "sign_in_token_cannot_be_revoked_code"
                    && (e.long_message.as_deref().is_some_and(says) || says(&e.message))
            })
    }
}

/// `: code: text; code: text` for Clerk's errors.
struct ErrorList<'a>(&'a [ClerkError]);

impl fmt::Display for ErrorList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { "; " })?;
            f.write_str(if e.code.is_empty() {
                "(no code)"
            } else {
                &e.code
            })?;
            let text = e
                .long_message
                .as_deref()
                .filter(|m| !m.is_empty())
                .unwrap_or(&e.message);
            if !text.is_empty() {
                write!(f, ": {text}")?;
            }
        }
        Ok(())
    }
}

/// An answer that is not what Clerk sends.
///
/// ```
/// use clerk_core::{response, Error};
/// let reply = http::Response::builder()
///     .status(502)
///     .header("content-type", "text/html")
///     .body("<html><body>Bad gateway</body></html>")
///     .unwrap();
/// let Err(Error::UnexpectedResponse(e)) = response::sign_in_token(&reply) else { panic!() };
/// assert_eq!(e.status(), 502);
/// assert_eq!(e.content_type(), Some("text/html"));
/// assert!(e.body_excerpt().starts_with("<html>"));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "unexpected response {} ({}): {}{}{}",
    DisplayStatus(self.status),
    self.content_type.as_deref().unwrap_or("no content type"),
    self.reason,
    BodySummary(self.body_len, &self.excerpt),
    TraceId(&self.clerk_trace_id)
)]
pub struct UnexpectedResponse {
    pub(crate) status: StatusCode,
    pub(crate) content_type: Option<String>,
    pub(crate) reason: &'static str,
    pub(crate) excerpt: String,
    pub(crate) body_len: usize,
    pub(crate) clerk_trace_id: Option<String>,
    pub(crate) timing: ResponseTiming,
}

impl UnexpectedResponse {
    /// The HTTP status.
    ///
    /// See [`UnexpectedResponse`] for an example.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `Content-Type`, if any.
    ///
    /// See [`UnexpectedResponse`] for an example.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// Why the answer was not taken.
    ///
    /// See [`UnexpectedResponse`] for an example.
    pub fn reason(&self) -> &str {
        self.reason
    }

    /// The first bytes of the body, as lossy UTF-8, with anything that looks
    /// like a secret key, a token or a sign-in url removed.
    ///
    /// See [`UnexpectedResponse`] for an example.
    pub fn body_excerpt(&self) -> &str {
        &self.excerpt
    }

    /// The whole body's length in bytes.
    ///
    /// See [`UnexpectedResponse`] for an example.
    pub fn body_len(&self) -> usize {
        self.body_len
    }
}

/// `; empty body` or `; N byte body starting "…"`.
struct BodySummary<'a>(usize, &'a str);

impl fmt::Display for BodySummary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => f.write_str("; empty body"),
            len => write!(f, "; {len} byte body starting {:?}", self.1),
        }
    }
}

/// A successful status whose body does not fit the schema.
///
/// ```
/// use clerk_core::{response, Error};
/// let reply = http::Response::builder()
///     .status(200)
///     .header("content-type", "application/json")
///     .body(r#"{"object":"sign_in_token","id":"sit_1","status":"pending","user_id":"u","created_at":"yesterday","updated_at":1}"#)
///     .unwrap();
/// let Err(Error::Decode(e)) = response::sign_in_token(&reply) else { panic!() };
/// assert_eq!(e.path(), "created_at");
/// assert_eq!(e.to_string(), "response 200 OK did not decode at `created_at`: expected an integer (Unix milliseconds), found a string");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "response {} did not decode{}: {}{}",
    DisplayStatus(self.status),
    AtPath(&self.path),
    self.problem,
    TraceId(&self.clerk_trace_id)
)]
pub struct DecodeError {
    pub(crate) status: StatusCode,
    pub(crate) path: String,
    pub(crate) problem: String,
    pub(crate) clerk_trace_id: Option<String>,
}

impl DecodeError {
    /// The HTTP status.
    ///
    /// See [`DecodeError`] for an example.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Where in the body: a field path such as `created_at`, or empty for
    /// the body as a whole.
    ///
    /// See [`DecodeError`] for an example.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong there. Never quotes the body's values.
    ///
    /// See [`DecodeError`] for an example.
    pub fn problem(&self) -> &str {
        &self.problem
    }
}

/// ` at `path`` unless the path is empty.
struct AtPath<'a>(&'a str);

impl fmt::Display for AtPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            "" => Ok(()),
            path => write!(f, " at `{path}`"),
        }
    }
}

/// ` (trace id …)` when there is one.
struct TraceId<'a>(&'a Option<String>);

impl fmt::Display for TraceId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, " (trace id {id})"),
            None => Ok(()),
        }
    }
}

struct DisplayStatus(StatusCode);

impl fmt::Display for DisplayStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.canonical_reason() {
            Some(reason) => write!(f, "{} {}", self.0.as_u16(), reason),
            None => write!(f, "{}", self.0.as_u16()),
        }
    }
}

/// A transport or a client could not be built: the one build error of every
/// adapter crate (an unusable root certificate, a reqwest client that cannot
/// start, invalid client settings).
///
/// ```
/// use std::error::Error as _;
/// let err = clerk_core::BuildError::from(clerk_core::InvalidInput::new("base_url", "not a URL"));
/// assert_eq!(err.to_string(), "the client's settings are invalid");
/// assert_eq!(err.invalid_input().unwrap().field(), "base_url");
/// assert!(err.source().is_some());
/// ```
#[derive(Debug)]
pub struct BuildError {
    message: Cow<'static, str>,
    source: BuildSource,
}

/// Why a build failed, underneath. The refused setting is kept as it is,
/// not boxed: a component that only prints the error then carries no
/// `Debug` code for it.
#[derive(Debug)]
enum BuildSource {
    None,
    Settings(InvalidInput),
    Other(Box<dyn std::error::Error + Send + Sync>),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.source {
            BuildSource::None => None,
            BuildSource::Settings(e) => Some(e),
            BuildSource::Other(e) => Some(&**e),
        }
    }
}

impl BuildError {
    /// A build failure described by `message`.
    ///
    /// ```
    /// let err = clerk_core::BuildError::new("no root certificates");
    /// assert_eq!(err.to_string(), "no root certificates");
    /// ```
    pub fn new(message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            message: message.into(),
            source: BuildSource::None,
        }
    }

    /// Keeps `source` as the cause.
    ///
    /// ```
    /// use std::error::Error as _;
    /// let err = clerk_core::BuildError::new("bad certificate").with_source(std::io::Error::other("eof"));
    /// assert_eq!(err.source().unwrap().to_string(), "eof");
    /// ```
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        self.source = BuildSource::Other(source.into());
        self
    }

    /// The refused client setting, when that is what failed.
    ///
    /// See [`BuildError`] for an example.
    pub fn invalid_input(&self) -> Option<&InvalidInput> {
        match &self.source {
            BuildSource::Settings(e) => Some(e),
            _ => None,
        }
    }
}

impl From<InvalidInput> for BuildError {
    fn from(e: InvalidInput) -> Self {
        Self {
            message: Cow::Borrowed("the client's settings are invalid"),
            source: BuildSource::Settings(e),
        }
    }
}
