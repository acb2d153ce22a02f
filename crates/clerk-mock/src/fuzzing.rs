//! The request handler without a socket, for the cargo-fuzz target
//! `fuzz/fuzz_targets/mock_handler.rs`.
//!
//! Not part of the API: hidden from the documentation and free to change in
//! any release. [`Harness::handle`] runs the very function the server runs
//! for each request (routing, fault injection, authorization, rate limiting,
//! the two operations and the error bodies); only hyper's parsing and
//! writing of the wire format are left out.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use http_body_util::BodyExt;
use hyper::body::{Body, Frame};

use crate::config::MockClerk;
use crate::faults::{Failure, Fault};
use crate::handler::{Inner, handle, lock};
use crate::store::{SignInTokenSnapshot, now_ms};

/// One mock's state and a current-thread runtime to drive its handler.
#[derive(Debug)]
pub struct Harness {
    inner: Arc<Inner>,
    runtime: tokio::runtime::Runtime,
}

/// What the handler answered.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The whole body, or the error that cut it short.
    pub body: io::Result<Bytes>,
}

/// A request body: its chunks one frame each, then optionally an error, as
/// when a client's connection breaks mid-body.
#[derive(Debug, Default)]
pub struct RequestBody {
    chunks: VecDeque<Bytes>,
    fail_at_end: bool,
}

impl RequestBody {
    /// A body made of these chunks.
    pub fn new(chunks: impl IntoIterator<Item = Bytes>) -> Self {
        Self {
            chunks: chunks.into_iter().collect(),
            fail_at_end: false,
        }
    }

    /// These chunks, then an I/O error instead of the end of the body.
    pub fn failing(chunks: impl IntoIterator<Item = Bytes>) -> Self {
        Self {
            fail_at_end: true,
            ..Self::new(chunks)
        }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        if let Some(chunk) = this.chunks.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        if std::mem::take(&mut this.fail_at_end) {
            return Poll::Ready(Some(Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "clerk-mock fuzzing: the request body broke off",
            ))));
        }
        Poll::Ready(None)
    }
}

impl Harness {
    /// A fresh mock configured by `config` (its address and thread count are
    /// ignored).
    pub fn new(config: &MockClerk) -> io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()?;
        Ok(Self {
            inner: Arc::new(Inner::new(config)),
            runtime,
        })
    }

    /// Serves one request and collects the response.
    pub fn handle(&self, request: http::Request<RequestBody>) -> Reply {
        self.runtime.block_on(async {
            let response = match handle(Arc::clone(&self.inner), request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            let (parts, body) = response.into_parts();
            Reply {
                status: parts.status,
                headers: parts.headers,
                body: body.collect().await.map(|c| c.to_bytes()),
            }
        })
    }

    /// See [`MockServer::fail_next_with`](crate::MockServer::fail_next_with).
    pub fn fail_next_with(&self, n: u64, failure: Failure) {
        lock(&self.inner.faults).arm(Fault {
            failure: Some(failure),
            ..Fault::next(n)
        });
    }

    /// See [`MockServer::tokens`](crate::MockServer::tokens).
    pub fn tokens(&self) -> Vec<SignInTokenSnapshot> {
        lock(&self.inner.store).all(now_ms())
    }

    /// See [`MockServer::mark_accepted`](crate::MockServer::mark_accepted).
    pub fn mark_accepted(&self, id: &str) -> bool {
        lock(&self.inner.store).accept(id, now_ms())
    }

    /// See [`MockServer::expire`](crate::MockServer::expire).
    pub fn expire(&self, id: &str) -> bool {
        lock(&self.inner.store).expire(id, now_ms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(path: &str, body: RequestBody) -> http::Request<RequestBody> {
        http::Request::post(path)
            .header("authorization", "Bearer sk_test_fuzz")
            .body(body)
            .expect("a valid request")
    }

    #[test]
    fn create_then_revoke() {
        let mock = Harness::new(&MockClerk::default()).expect("runtime");
        let chunks = [&br#"{"user_id":"#[..], br#""user_1"}"#].map(Bytes::from_static);
        let reply = mock.handle(post("/v1/sign_in_tokens", RequestBody::new(chunks)));
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.headers.contains_key("clerk-trace-id"));
        let id = mock.tokens()[0].id.clone();
        let path = format!("/v1/sign_in_tokens/{id}/revoke");
        let reply = mock.handle(post(&path, RequestBody::default()));
        assert_eq!(reply.status, StatusCode::OK);
        let body = reply.body.expect("a whole body");
        assert!(body.windows(9).any(|w| w == b"\"revoked\""));
    }

    #[test]
    fn a_broken_body_is_invalid() {
        let mock = Harness::new(&MockClerk::default()).expect("runtime");
        let body = RequestBody::failing([Bytes::from_static(b"{")]);
        let reply = mock.handle(post("/v1/sign_in_tokens", body));
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        let body = reply.body.expect("a whole body");
        assert!(body.windows(20).any(|w| w == b"request_body_invalid"));
    }
}
