//! The response body: a single chunk, or a chunk cut short by an error to
//! simulate a connection dropped mid-response.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

/// How long a truncated body waits after its partial chunk before failing,
/// so the headers and the partial chunk reach the socket first.
const FLUSH_PAUSE: Duration = Duration::from_millis(5);

#[derive(Debug)]
pub(crate) struct MockBody {
    data: Option<Bytes>,
    full_len: u64,
    truncated: Option<Truncation>,
}

#[derive(Debug)]
struct Truncation {
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl MockBody {
    /// The whole body in one frame.
    pub(crate) fn full(data: Bytes) -> Self {
        Self {
            full_len: data.len() as u64,
            data: Some(data),
            truncated: None,
        }
    }

    /// The first half of `data`, then an error: hyper closes the HTTP/1
    /// connection (or resets the HTTP/2 stream) before the declared length is
    /// sent.
    pub(crate) fn truncated(data: Bytes) -> Self {
        let full_len = data.len() as u64;
        let half = data.slice(..data.len() / 2);
        Self {
            data: Some(half),
            full_len,
            truncated: Some(Truncation { pause: None }),
        }
    }
}

impl Body for MockBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        if let Some(data) = this.data.take() {
            if !data.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(data))));
            }
        }
        let Some(trunc) = this.truncated.as_mut() else {
            return Poll::Ready(None);
        };
        let pause = trunc
            .pause
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(FLUSH_PAUSE)));
        match pause.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => Poll::Ready(Some(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "clerk-mock: connection dropped mid-response (fault injection)",
            )))),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.truncated.is_none() && self.data.as_ref().is_none_or(Bytes::is_empty)
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.full_len)
    }
}
