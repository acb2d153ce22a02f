//! Pieces shared by every backend: the deadline and the capped body read.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method, StatusCode, header};
use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use hyper::rt::Timer;

use crate::error::Error;

/// Runs `fut` to completion, or gives up after `duration` of `timer`'s time.
///
/// `None` means the deadline passed first; `fut` is then dropped.
pub(crate) async fn deadline<F: Future>(
    timer: &(dyn Timer + Send + Sync),
    duration: Duration,
    fut: F,
) -> Option<F::Output> {
    let mut fut = pin!(fut);
    let mut sleep = timer.sleep(duration);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = fut.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        if sleep.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}

/// Reads the whole body of `response`, refusing more than `limit` bytes.
///
/// The declared `Content-Length` is checked before a byte is read, and the
/// running total after every frame, so an endless chunked body stops at the
/// cap. Trailers are ignored.
pub(crate) async fn read_capped(
    response: http::Response<Incoming>,
    request_method: &Method,
    limit: usize,
) -> Result<http::Response<Bytes>, Error> {
    let (parts, mut body) = response.into_parts();
    let too_large = || Error::BodyTooLarge { limit };
    let limit_u64 = u64::try_from(limit).unwrap_or(u64::MAX);

    let declared = if has_body(request_method, parts.status) {
        declared_length(&parts.headers)
    } else {
        None
    };
    if declared.is_some_and(|len| len > limit_u64) || body.size_hint().lower() > limit_u64 {
        return Err(too_large());
    }

    let capacity = declared
        .and_then(|len| usize::try_from(len).ok())
        .unwrap_or(0)
        .min(limit);
    let mut first: Option<Bytes> = None;
    let mut buf = BytesMut::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Error::from_exchange(Box::new(e)))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if data.is_empty() {
            continue;
        }
        total = total.checked_add(data.len()).ok_or_else(too_large)?;
        if total > limit {
            return Err(too_large());
        }
        // Keep a lone frame as is; copy only once a second one arrives.
        match first.take() {
            None if buf.is_empty() => first = Some(data),
            None => buf.extend_from_slice(&data),
            Some(previous) => {
                buf.reserve(capacity.max(previous.len() + data.len()));
                buf.extend_from_slice(&previous);
                buf.extend_from_slice(&data);
            }
        }
    }
    let bytes = match first {
        Some(only) => only,
        None => buf.freeze(),
    };
    Ok(http::Response::from_parts(parts, bytes))
}

/// Whether a response to `method` with `status` carries a body whose length
/// the `Content-Length` header describes.
fn has_body(method: &Method, status: StatusCode) -> bool {
    method != Method::HEAD
        && !status.is_informational()
        && status != StatusCode::NO_CONTENT
        && status != StatusCode::NOT_MODIFIED
}

/// The `Content-Length` the server declared, when it is one valid number.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_length_parses_one_number() {
        let mut h = HeaderMap::new();
        assert_eq!(declared_length(&h), None);
        h.insert(header::CONTENT_LENGTH, "42".parse().expect("header"));
        assert_eq!(declared_length(&h), Some(42));
        h.insert(header::CONTENT_LENGTH, "x".parse().expect("header"));
        assert_eq!(declared_length(&h), None);
    }

    #[test]
    fn bodiless_responses() {
        assert!(!has_body(&Method::HEAD, StatusCode::OK));
        assert!(!has_body(&Method::POST, StatusCode::NO_CONTENT));
        assert!(has_body(&Method::POST, StatusCode::OK));
    }
}
