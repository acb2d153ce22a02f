//! Your service's errors, mapped onto clerk-core's [`TransportErrorKind`]s.
//! What each kind means for a retry is clerk-core's table; this module only
//! says which kind a failure is, and it says "not sent" only where that is
//! known (see the crate documentation's table).

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use clerk_core::{SendError, TransportErrorKind, error_chain};

/// A boxed error that can cross threads: what a tower service's error turns
/// into (`S::Error: Into<BoxError>`, as tower's own layers require).
///
/// ```
/// let e: clerk_tower::BoxError = "boom".into();
/// assert_eq!(e.to_string(), "boom");
/// ```
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Where in one exchange a failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// `poll_ready`: the request was not handed to the service.
    Ready,
    /// The service's future: connecting, writing, waiting for the head.
    Call,
    /// Reading the response body: the head had come, the request had gone.
    Body,
}

/// Sorts a failure of the service at `step`. With `resends` (the service
/// may send a request more than once), no failure of its call is read as
/// not sent: its last attempt's error says nothing of the earlier ones.
pub(crate) fn classify(error: BoxError, step: Step, resends: bool) -> SendError {
    if step == Step::Ready {
        return SendError::new(
            TransportErrorKind::Connect,
            "the service was not ready to take the request",
        )
        .with_source(error);
    }
    let mut kind = kind_of(&*error, step);
    if resends && kind.is_request_not_sent() {
        kind = if kind.is_timeout() {
            TransportErrorKind::Timeout
        } else {
            TransportErrorKind::Other
        };
    }
    let message = match kind {
        TransportErrorKind::Connect => "could not connect to the server",
        TransportErrorKind::ConnectTimeout => "timed out: connecting took too long",
        TransportErrorKind::Timeout => "timed out: no whole response in time",
        TransportErrorKind::Io => "the connection failed during the exchange",
        TransportErrorKind::Protocol => "the server broke the HTTP protocol",
        _ => "the service failed to carry the request",
    };
    SendError::new(kind, message).with_source(error)
}

/// The kind of a failure at `step` (`Call` or `Body`).
fn kind_of(error: &(dyn StdError + 'static), step: Step) -> TransportErrorKind {
    #[cfg(feature = "hyper-util")]
    if step == Step::Call
        && find::<hyper_util::client::legacy::Error>(error).is_some_and(|e| e.is_connect())
    {
        // hyper-util says so only for a connector's failure: no connection
        // was opened for this request, so nothing of it was written.
        return if timed_out(error) {
            TransportErrorKind::ConnectTimeout
        } else {
            TransportErrorKind::Connect
        };
    }
    if timed_out(error) {
        return TransportErrorKind::Timeout;
    }
    #[cfg(feature = "hyper-util")]
    if let Some(h) = find::<hyper::Error>(error) {
        if h.is_timeout() {
            return TransportErrorKind::Timeout;
        }
        if h.is_parse() || h.is_parse_status() {
            return TransportErrorKind::Protocol;
        }
        if h.is_incomplete_message()
            || h.is_closed()
            || h.is_canceled()
            || h.is_body_write_aborted()
        {
            return TransportErrorKind::Io;
        }
    }
    match find::<io::Error>(error).map(io::Error::kind) {
        // Only `connect(2)` is refused: no connection, nothing written.
        Some(io::ErrorKind::ConnectionRefused) if step == Step::Call => TransportErrorKind::Connect,
        Some(_) => TransportErrorKind::Io,
        None => TransportErrorKind::Other,
    }
}

/// Whether a timeout is among the causes: an `io::Error` of kind
/// `TimedOut` (hyper-util's connect timeout), or tower's `Elapsed` with the
/// `tower` feature.
fn timed_out(error: &(dyn StdError + 'static)) -> bool {
    error_chain(error).any(|e| {
        #[cfg(feature = "tower")]
        if e.is::<tower::timeout::error::Elapsed>() {
            return true;
        }
        e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::TimedOut)
    })
}

/// The first error of type `T` in the chain below (and including) `error`.
fn find<'a, T: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    error_chain(error).find_map(|e| e.downcast_ref::<T>())
}

/// This transport's own deadline passed while the service was not yet
/// ready: the request was never handed to it.
pub(crate) fn not_ready_in_time(after: Duration) -> SendError {
    SendError::new(
        TransportErrorKind::ConnectTimeout,
        format!(
            "timed out: the service was not ready to take the request within {} ms",
            after.as_millis()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clerk_core::TransportError;

    /// An error with a cause, as stacks wrap them.
    #[derive(Debug)]
    struct Wrapped(BoxError);

    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("client error")
        }
    }

    impl StdError for Wrapped {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&*self.0)
        }
    }

    fn io(kind: io::ErrorKind) -> BoxError {
        Box::new(Wrapped(Box::new(io::Error::new(kind, "x"))))
    }

    #[test]
    fn a_refused_connection_is_not_sent_unless_the_service_resends() {
        let e = classify(io(io::ErrorKind::ConnectionRefused), Step::Call, false);
        assert_eq!(e.kind(), TransportErrorKind::Connect);
        assert!(e.is_request_not_sent());
        let e = classify(io(io::ErrorKind::ConnectionRefused), Step::Call, true);
        assert_eq!(e.kind(), TransportErrorKind::Other);
        assert!(!e.is_request_not_sent());
        // Refused while reading a body cannot be: the head had come.
        let e = classify(io(io::ErrorKind::ConnectionRefused), Step::Body, false);
        assert!(!e.is_request_not_sent());
    }

    #[test]
    fn what_is_not_known_may_have_been_sent() {
        for (error, kind) in [
            (io(io::ErrorKind::ConnectionReset), TransportErrorKind::Io),
            (io(io::ErrorKind::TimedOut), TransportErrorKind::Timeout),
            (io(io::ErrorKind::Other), TransportErrorKind::Io),
            ("odd".into(), TransportErrorKind::Other),
        ] {
            let e = classify(error, Step::Call, false);
            assert_eq!(e.kind(), kind, "{e:?}");
            assert!(!e.is_request_not_sent(), "{e:?}");
            assert!(!e.is_permanent(), "{e:?}");
        }
    }

    #[test]
    fn a_service_that_is_not_ready_was_not_handed_the_request() {
        for resends in [false, true] {
            let e = classify("closed".into(), Step::Ready, resends);
            assert!(e.is_request_not_sent() && !e.is_permanent());
        }
        let e = not_ready_in_time(Duration::from_millis(5));
        assert!(e.is_request_not_sent() && e.is_timeout());
    }

    #[test]
    fn messages_do_not_quote_the_source() {
        let e = classify("Bearer sk_test_secret".into(), Step::Call, false);
        assert!(!e.to_string().contains("sk_test"));
        assert!(e.source().is_some());
    }

    #[cfg(feature = "tower")]
    #[test]
    fn towers_elapsed_is_a_timeout() {
        let e = classify(
            Box::new(Wrapped(Box::new(tower::timeout::error::Elapsed::new()))),
            Step::Call,
            false,
        );
        assert_eq!(e.kind(), TransportErrorKind::Timeout);
        assert!(!e.is_request_not_sent());
    }
}
