//! Test doubles for your own tests (feature `test-util`).
//!
//! [`MockTransport`] records every request it is given and answers from a
//! queue of canned responses or failures, as an async and as a blocking
//! transport. When the queue is empty it fails with
//! [`MockTransportError::Exhausted`], so a test that sends more than it
//! expected finds out.
//!
//! ```
//! use clerk_core::test_util::{MockTransport, MockTransportError};
//! use clerk_core::{Client, SecretKey};
//!
//! let transport = MockTransport::new();
//! transport.push_json(503, r#"{"errors":[{"message":"unavailable","long_message":"try later","code":"service_unavailable"}]}"#);
//! transport.push_error(MockTransportError::ConnectionRefused);
//! let client = Client::builder(SecretKey::new("sk_test_x").unwrap())
//!     .build_blocking(&transport)
//!     .unwrap()
//!     .with_timer(|_wait: std::time::Duration| {});
//! let err = client.revoke_sign_in_token("sit_1").unwrap_err();
//! // 503, then refused, then the queue ran out: three attempts.
//! assert_eq!(transport.requests().len(), 3);
//! let cause = std::error::Error::source(&err).unwrap();
//! assert_eq!(cause.to_string(), "no response queued for this request");
//! ```

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use bytes::Bytes;

use crate::failure_kind::TransportErrorKind;
use crate::transport::{
    BlockingHttpTransport, HttpRequest, HttpResponse, HttpTransport, TransportError,
};

/// A failure [`MockTransport`] can be told to return.
///
/// ```
/// use clerk_core::TransportError;
/// use clerk_core::test_util::MockTransportError;
/// assert!(MockTransportError::ConnectionRefused.is_request_not_sent());
/// assert!(MockTransportError::Timeout.is_timeout());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MockTransportError {
    /// The connection was refused: known not to have been sent.
    ConnectionRefused,
    /// The connection was reset after the request was written.
    ConnectionReset,
    /// No answer in time, after the request was written.
    Timeout,
    /// Refused by rule before sending; retrying cannot help.
    Refused,
    /// The test sent more requests than it queued answers for.
    Exhausted,
}

impl std::fmt::Display for MockTransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::ConnectionRefused => "connection refused",
            Self::ConnectionReset => "connection reset by peer",
            Self::Timeout => "timed out",
            Self::Refused => "refused by the transport's rules",
            Self::Exhausted => "no response queued for this request",
        })
    }
}

impl std::error::Error for MockTransportError {}

impl TransportError for MockTransportError {
    fn kind(&self) -> TransportErrorKind {
        match self {
            Self::ConnectionRefused => TransportErrorKind::Connect,
            Self::ConnectionReset => TransportErrorKind::Io,
            Self::Timeout => TransportErrorKind::Timeout,
            Self::Refused => TransportErrorKind::Refused,
            Self::Exhausted => TransportErrorKind::Other,
        }
    }
}

/// Records requests; replays queued responses in order.
///
/// ```
/// use clerk_core::test_util::MockTransport;
/// use clerk_core::BlockingHttpTransport;
///
/// let transport = MockTransport::new();
/// transport.push_response(http::Response::builder().status(204).body(bytes::Bytes::new()).unwrap());
/// let response = BlockingHttpTransport::send(&transport, http::Request::new(bytes::Bytes::new())).unwrap();
/// assert_eq!(response.status(), 204);
/// assert_eq!(transport.requests().len(), 1);
/// ```
#[derive(Debug, Default)]
pub struct MockTransport {
    queue: Mutex<VecDeque<Result<HttpResponse, MockTransportError>>>,
    requests: Mutex<Vec<HttpRequest>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl MockTransport {
    /// An empty transport.
    ///
    /// ```
    /// assert!(clerk_core::test_util::MockTransport::new().requests().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues a response.
    ///
    /// See [`MockTransport`] for an example.
    pub fn push_response(&self, response: HttpResponse) -> &Self {
        lock(&self.queue).push_back(Ok(response));
        self
    }

    /// Queues a response with `status`, `Content-Type: application/json` and
    /// `body`.
    ///
    /// ```
    /// let t = clerk_core::test_util::MockTransport::new();
    /// t.push_json(200, "{}").push_json(500, "{}");
    /// assert_eq!(t.pending(), 2);
    /// ```
    pub fn push_json(&self, status: u16, body: impl Into<Bytes>) -> &Self {
        let mut response = http::Response::new(body.into());
        *response.status_mut() =
            http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        self.push_response(response)
    }

    /// Queues a transport failure.
    ///
    /// ```
    /// use clerk_core::test_util::{MockTransport, MockTransportError};
    /// let t = MockTransport::new();
    /// t.push_error(MockTransportError::Timeout);
    /// assert_eq!(t.pending(), 1);
    /// ```
    pub fn push_error(&self, error: MockTransportError) -> &Self {
        lock(&self.queue).push_back(Err(error));
        self
    }

    /// How many queued answers are left.
    ///
    /// See [`push_json`](Self::push_json) for an example.
    pub fn pending(&self) -> usize {
        lock(&self.queue).len()
    }

    /// Copies of every request received so far, in order (bodies are
    /// `Bytes`, so copies are cheap).
    ///
    /// See [`MockTransport`] for an example.
    pub fn requests(&self) -> Vec<HttpRequest> {
        lock(&self.requests)
            .iter()
            .map(|r| {
                let mut copy = http::Request::new(r.body().clone());
                *copy.method_mut() = r.method().clone();
                *copy.uri_mut() = r.uri().clone();
                *copy.version_mut() = r.version();
                *copy.headers_mut() = r.headers().clone();
                copy
            })
            .collect()
    }

    fn answer(&self, request: HttpRequest) -> Result<HttpResponse, MockTransportError> {
        lock(&self.requests).push(request);
        lock(&self.queue)
            .pop_front()
            .unwrap_or(Err(MockTransportError::Exhausted))
    }
}

impl HttpTransport for MockTransport {
    type Error = MockTransportError;
    fn send(
        &self,
        request: HttpRequest,
    ) -> impl std::future::Future<Output = Result<HttpResponse, Self::Error>> {
        std::future::ready(self.answer(request))
    }
}

impl BlockingHttpTransport for MockTransport {
    type Error = MockTransportError;
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, Self::Error> {
        self.answer(request)
    }
}
