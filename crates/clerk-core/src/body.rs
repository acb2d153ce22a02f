//! The body cap: one accumulator every transport reads a response into.

use bytes::Bytes;

use crate::send_error::SendError;

/// A response body read under a cap.
///
/// Made from the declared `Content-Length` (refused at once when it is over
/// the cap, before a byte is read), then fed chunk by chunk: the first chunk
/// that takes the total past the cap is refused, so an endless chunked body
/// stops there. A body of exactly the cap is accepted. A body that arrives in
/// one chunk is kept as that chunk, without a copy.
///
/// ```
/// use bytes::Bytes;
/// use clerk_core::{BodyBuffer, TransportErrorKind};
///
/// let mut body = BodyBuffer::new(8, None)?;
/// body.push(Bytes::from_static(b"1234"))?;
/// body.push_slice(b"5678")?; // exactly the cap
/// assert_eq!(body.push_slice(b"9").unwrap_err().kind(), TransportErrorKind::BodyTooLarge);
///
/// assert!(BodyBuffer::new(8, Some(9)).is_err()); // declared over the cap
/// let mut body = BodyBuffer::new(8, Some(2))?;
/// body.push_slice(b"ok")?;
/// assert_eq!(body.finish(), Bytes::from_static(b"ok"));
/// # Ok::<(), clerk_core::SendError>(())
/// ```
#[derive(Debug)]
pub struct BodyBuffer {
    limit: usize,
    /// What to reserve once a second chunk arrives: the declared length,
    /// at most [`MAX_PREALLOCATION`]. Nothing is allocated before: a body
    /// that comes in one chunk (the usual case) needs no buffer at all.
    reserve: usize,
    /// A lone chunk, kept as it came.
    first: Option<Bytes>,
    /// Everything, once a second chunk arrived (a `Vec`, not a `BytesMut`:
    /// one growth path less in every WebAssembly module).
    rest: Vec<u8>,
}

/// The most reserved up front for a declared length: a lying
/// `Content-Length` (just under the cap, then a short body) costs no more.
const MAX_PREALLOCATION: usize = 64 * 1024;

impl BodyBuffer {
    /// An empty body capped at `limit` bytes. `declared` is the response's
    /// `Content-Length`, if it has one: over the cap, the body is refused
    /// here with [`SendError::body_too_large`].
    ///
    /// See [`BodyBuffer`] for an example.
    pub fn new(limit: usize, declared: Option<u64>) -> Result<Self, SendError> {
        let limit_u64 = u64::try_from(limit).unwrap_or(u64::MAX);
        if declared.is_some_and(|n| n > limit_u64) {
            return Err(SendError::body_too_large(limit));
        }
        let reserve = declared
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0)
            .min(MAX_PREALLOCATION);
        Ok(Self {
            limit,
            reserve,
            first: None,
            rest: Vec::new(),
        })
    }

    /// Bytes read so far.
    ///
    /// ```
    /// let mut body = clerk_core::BodyBuffer::new(8, None)?;
    /// body.push_slice(b"abc")?;
    /// assert_eq!(body.len(), 3);
    /// assert!(!body.is_empty());
    /// # Ok::<(), clerk_core::SendError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.first.as_ref().map_or(self.rest.len(), Bytes::len)
    }

    /// Whether nothing was read yet.
    ///
    /// ```
    /// assert!(clerk_core::BodyBuffer::new(8, None)?.is_empty());
    /// # Ok::<(), clerk_core::SendError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many more bytes fit under the cap. A transport that asks its
    /// stream for a number of bytes asks for one more than this: receiving
    /// it tells "at the cap" from "over it".
    ///
    /// ```
    /// let mut body = clerk_core::BodyBuffer::new(8, None)?;
    /// body.push_slice(b"abc")?;
    /// assert_eq!(body.room(), 5);
    /// # Ok::<(), clerk_core::SendError>(())
    /// ```
    pub fn room(&self) -> usize {
        self.limit - self.len()
    }

    /// The cap, in bytes.
    ///
    /// ```
    /// assert_eq!(clerk_core::BodyBuffer::new(8, None)?.limit(), 8);
    /// # Ok::<(), clerk_core::SendError>(())
    /// ```
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Adds a chunk the transport owns as [`Bytes`] (kept without a copy
    /// when it is the only one).
    ///
    /// See [`BodyBuffer`] for an example.
    pub fn push(&mut self, chunk: Bytes) -> Result<(), SendError> {
        self.admit(chunk.len())?;
        if chunk.is_empty() {
            return Ok(());
        }
        match self.first.take() {
            None if self.rest.is_empty() => self.first = Some(chunk),
            None => self.rest.extend_from_slice(&chunk),
            Some(previous) => {
                self.rest
                    .reserve(self.reserve.max(previous.len() + chunk.len()));
                self.rest.extend_from_slice(&previous);
                self.rest.extend_from_slice(&chunk);
            }
        }
        Ok(())
    }

    /// Adds a chunk by copying it.
    ///
    /// See [`BodyBuffer`] for an example.
    pub fn push_slice(&mut self, chunk: &[u8]) -> Result<(), SendError> {
        self.admit(chunk.len())?;
        if self.rest.is_empty() {
            let held = self.first.as_ref().map_or(0, Bytes::len);
            self.rest.reserve(self.reserve.max(held + chunk.len()));
        }
        if let Some(previous) = self.first.take() {
            self.rest.extend_from_slice(&previous);
        }
        self.rest.extend_from_slice(chunk);
        Ok(())
    }

    /// The body: everything pushed, in order.
    ///
    /// See [`BodyBuffer`] for an example.
    pub fn finish(self) -> Bytes {
        match self.first {
            Some(only) => only,
            None => Bytes::from(self.rest),
        }
    }

    fn admit(&self, more: usize) -> Result<(), SendError> {
        if more > self.room() {
            return Err(SendError::body_too_large(self.limit));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TransportErrorKind;

    #[test]
    fn exactly_the_cap_passes_and_one_more_byte_fails() {
        for split in 0..=8 {
            let data = b"abcdefgh";
            let mut body = BodyBuffer::new(8, None).expect("new");
            body.push(Bytes::copy_from_slice(&data[..split]))
                .expect("first");
            body.push_slice(&data[split..]).expect("second");
            assert_eq!(body.room(), 0);
            let err = body.push_slice(b"x").expect_err("over");
            assert_eq!(err.kind(), TransportErrorKind::BodyTooLarge);
            assert_eq!(body.finish(), Bytes::from_static(data));
        }
        assert!(BodyBuffer::new(8, Some(8)).is_ok());
        assert_eq!(
            BodyBuffer::new(8, Some(9))
                .map(|_| ())
                .map_err(|e| e.kind()),
            Err(TransportErrorKind::BodyTooLarge)
        );
        assert!(BodyBuffer::new(usize::MAX, Some(u64::MAX)).is_ok());
    }

    #[test]
    fn chunks_keep_their_order_whatever_their_kind() {
        assert!(BodyBuffer::new(100, Some(u64::MAX / 2)).is_err());
        let mut body = BodyBuffer::new(100, None).expect("new");
        body.push(Bytes::from_static(b"a")).expect("a");
        body.push(Bytes::new()).expect("empty");
        body.push(Bytes::from_static(b"b")).expect("b");
        body.push_slice(b"c").expect("c");
        body.push(Bytes::from_static(b"d")).expect("d");
        assert_eq!(body.finish(), Bytes::from_static(b"abcd"));
    }

    #[test]
    fn a_lone_chunk_is_not_copied() {
        let chunk = Bytes::from(vec![7u8; 32]);
        let mut body = BodyBuffer::new(64, Some(32)).expect("new");
        body.push(chunk.clone()).expect("push");
        let out = body.finish();
        assert_eq!(out.as_ptr(), chunk.as_ptr());
    }
}
