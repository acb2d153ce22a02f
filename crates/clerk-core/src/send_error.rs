//! [`SendError`]: the one error type every adapter crate's transport returns,
//! and the one closures and small transports can use too.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use crate::failure_kind::TransportErrorKind;
use crate::transport::TransportError;

/// Why a transport got no response: a [kind](TransportErrorKind), a message,
/// and the HTTP stack's own error as the [source](StdError::source).
///
/// clerk-hyper, clerk-reqwest, clerk-fetch and clerk-wasi all return it (each
/// re-exports it as its `Error`), so code that handles one transport's
/// failures handles them all: match on [`kind`](Self::kind), and reach the
/// stack's own error with [`find`](Self::find) when you need it.
///
/// Messages never quote request headers (the secret key travels in
/// `Authorization`), the URL's query or body bytes; the constructors below
/// are the messages every adapter uses.
///
/// ```
/// use clerk_core::{SendError, TransportError, TransportErrorKind};
///
/// let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
/// let e = SendError::new(TransportErrorKind::Connect, "could not connect to the server")
///     .with_source(io);
/// assert!(e.is_request_not_sent());
/// assert_eq!(e.to_string(), "could not connect to the server");
/// assert_eq!(e.find::<std::io::Error>().unwrap().kind(), std::io::ErrorKind::ConnectionRefused);
/// ```
///
/// By default its source must be `Send + Sync`, which keeps the error (and
/// the client's futures) `Send`. A transport whose cause is not `Send` (a
/// browser `JsValue`, an `Rc`) uses [`LocalSendError`].
pub struct SendError<S: ?Sized + ErrorSource = dyn StdError + Send + Sync> {
    kind: TransportErrorKind,
    message: Cow<'static, str>,
    source: Option<Box<S>>,
}

/// A [`SendError`] whose source need not be `Send` or `Sync` (so neither is
/// the error).
///
/// ```
/// use std::error::Error;
/// use std::rc::Rc;
/// use clerk_core::{LocalSendError, TransportErrorKind};
///
/// #[derive(Debug)]
/// struct JsFailure(Rc<str>); // not Send, like a JsValue
/// impl std::fmt::Display for JsFailure {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str(&self.0)
///     }
/// }
/// impl Error for JsFailure {}
///
/// let e = LocalSendError::local(TransportErrorKind::Other, "fetch failed")
///     .with_source(JsFailure("TypeError: network".into()));
/// assert_eq!(e.source().unwrap().to_string(), "TypeError: network");
/// ```
pub type LocalSendError = SendError<dyn StdError>;

mod sealed {
    pub trait Sealed {}
    impl Sealed for dyn std::error::Error {}
    impl Sealed for dyn std::error::Error + Send + Sync {}
}

/// The two kinds of source a [`SendError`] can keep:
/// `dyn Error + Send + Sync` (the default) and `dyn Error`
/// ([`LocalSendError`]). Sealed.
///
/// See [`LocalSendError`] for an example.
pub trait ErrorSource: sealed::Sealed + fmt::Debug + 'static {
    /// The source as a plain error.
    ///
    /// See [`LocalSendError`] for an example.
    fn as_error(&self) -> &(dyn StdError + 'static);
}

impl ErrorSource for dyn StdError {
    fn as_error(&self) -> &(dyn StdError + 'static) {
        self
    }
}

impl ErrorSource for dyn StdError + Send + Sync {
    fn as_error(&self) -> &(dyn StdError + 'static) {
        self
    }
}

impl LocalSendError {
    /// A failure of `kind` described by `message`, whose source may be
    /// neither `Send` nor `Sync`.
    ///
    /// See [`LocalSendError`] for an example.
    pub fn local(kind: TransportErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }
}

impl SendError {
    /// A failure of `kind` described by `message`.
    ///
    /// ```
    /// use clerk_core::{SendError, TransportErrorKind};
    /// let e = SendError::new(TransportErrorKind::Io, "peer hung up");
    /// assert_eq!(e.to_string(), "peer hung up");
    /// ```
    pub fn new(kind: TransportErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// The cleartext rule's refusal: plain `http` to `host`, which is not
    /// loopback, without `allow_insecure_http(true)`.
    ///
    /// ```
    /// let e = clerk_core::SendError::insecure_scheme("api.example.com");
    /// assert_eq!(
    ///     e.to_string(),
    ///     "refusing to send the secret key over plain http to `api.example.com`: use https, \
    ///      or opt in with allow_insecure_http(true)"
    /// );
    /// ```
    pub fn insecure_scheme(host: &str) -> Self {
        Self::new(
            TransportErrorKind::InsecureScheme,
            format!(
                "refusing to send the secret key over plain http to `{host}`: use https, \
                 or opt in with allow_insecure_http(true)"
            ),
        )
    }

    /// The cleartext rule's refusal of an `https` request over a stream that
    /// is not TLS (a connector that opened plain TCP).
    ///
    /// ```
    /// let e = clerk_core::SendError::https_over_plaintext();
    /// assert_eq!(e.kind(), clerk_core::TransportErrorKind::InsecureScheme);
    /// ```
    pub fn https_over_plaintext() -> Self {
        Self::new(
            TransportErrorKind::InsecureScheme,
            "refusing to send an https request over a connection that is not TLS: \
             the connector opened a plain stream",
        )
    }

    /// A request that cannot be sent as built; `reason` says why.
    ///
    /// ```
    /// let e = clerk_core::SendError::invalid_request("the request URI has no host");
    /// assert_eq!(e.to_string(), "invalid request: the request URI has no host");
    /// ```
    pub fn invalid_request(reason: &'static str) -> Self {
        Self::new(
            TransportErrorKind::InvalidRequest,
            format!("invalid request: {reason}"),
        )
    }

    /// A response body over the cap of `limit` bytes.
    ///
    /// ```
    /// let e = clerk_core::SendError::body_too_large(4096);
    /// assert_eq!(e.to_string(), "the response body is larger than the 4096-byte cap");
    /// ```
    pub fn body_too_large(limit: usize) -> Self {
        Self::new(
            TransportErrorKind::BodyTooLarge,
            format!("the response body is larger than the {limit}-byte cap"),
        )
    }

    /// The request deadline `after` passed once the connection was open (or
    /// at an unknown point, when `None`).
    ///
    /// ```
    /// use std::time::Duration;
    /// let e = clerk_core::SendError::timeout(Some(Duration::from_millis(1500)));
    /// assert_eq!(e.to_string(), "timed out: no whole response within 1500 ms");
    /// ```
    pub fn timeout(after: Option<Duration>) -> Self {
        Self::new(
            TransportErrorKind::Timeout,
            match after {
                Some(after) => format!("timed out: no whole response within {}", Millis(after)),
                None => "timed out: no whole response in time".to_owned(),
            },
        )
    }

    /// The connect deadline `after` passed before a connection was open.
    ///
    /// ```
    /// use std::time::Duration;
    /// let e = clerk_core::SendError::connect_timeout(Some(Duration::from_secs(5)));
    /// assert_eq!(e.to_string(), "timed out: connecting took longer than 5000 ms");
    /// assert!(clerk_core::TransportError::is_request_not_sent(&e));
    /// ```
    pub fn connect_timeout(after: Option<Duration>) -> Self {
        Self::new(
            TransportErrorKind::ConnectTimeout,
            match after {
                Some(after) => format!("timed out: connecting took longer than {}", Millis(after)),
                None => "timed out: connecting took too long".to_owned(),
            },
        )
    }
}

impl<S: ?Sized + ErrorSource> SendError<S> {
    /// Keeps `source` as the cause.
    ///
    /// ```
    /// use std::error::Error;
    /// let io = std::io::Error::other("boom");
    /// let e = clerk_core::SendError::new(clerk_core::TransportErrorKind::Io, "send failed")
    ///     .with_source(io);
    /// assert_eq!(e.source().unwrap().to_string(), "boom");
    /// ```
    pub fn with_source(mut self, source: impl Into<Box<S>>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The kind of failure.
    ///
    /// ```
    /// let e = clerk_core::SendError::body_too_large(1);
    /// assert_eq!(e.kind(), clerk_core::TransportErrorKind::BodyTooLarge);
    /// ```
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The message, as [`Display`](fmt::Display) shows it.
    ///
    /// ```
    /// assert_eq!(clerk_core::SendError::body_too_large(1).message(), "the response body is larger than the 1-byte cap");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The first error of type `T` among the causes (the source, its source,
    /// and so on; inside an `io::Error`, the error it wraps): how to reach
    /// the HTTP stack's own error, such as a `rustls::Error` or a
    /// `hyper::Error`.
    ///
    /// See [`SendError`] for an example.
    pub fn find<T: StdError + 'static>(&self) -> Option<&T> {
        let source = self.source.as_deref()?.as_error();
        error_chain(source).find_map(|e| e.downcast_ref::<T>())
    }
}

impl<S: ?Sized + ErrorSource> fmt::Display for SendError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl<S: ?Sized + ErrorSource> fmt::Debug for SendError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("SendError");
        d.field("kind", &self.kind).field("message", &self.message);
        if let Some(source) = &self.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl<S: ?Sized + ErrorSource> StdError for SendError<S> {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(ErrorSource::as_error)
    }
}

impl<S: ?Sized + ErrorSource> TransportError for SendError<S> {
    fn kind(&self) -> TransportErrorKind {
        self.kind
    }
}

/// A duration in whole milliseconds, formatted as a `u64`: `Duration`'s
/// `Debug` brings float formatting, and `as_millis`' `u128` its own
/// formatting code (1.3 KB), into every WebAssembly module. Past `u64::MAX`
/// milliseconds (585 million years) it saturates.
pub(crate) struct Millis(pub(crate) Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = u64::try_from(self.0.as_millis()).unwrap_or(u64::MAX);
        write!(f, "{ms} ms")
    }
}

/// `error` and its causes, `error` first: what adapters walk to map their
/// stack's errors onto a [`TransportErrorKind`]. At an `io::Error` it steps
/// into [`get_ref`](std::io::Error::get_ref), where TLS and HTTP libraries
/// put their error (`io::Error::source` skips it). At most 32 steps, so a
/// cyclic chain cannot hang it.
///
/// ```
/// #[derive(Debug)]
/// struct Refused;
/// impl std::fmt::Display for Refused {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str("refused")
///     }
/// }
/// impl std::error::Error for Refused {}
///
/// let io = std::io::Error::other(Refused);
/// let found = clerk_core::error_chain(&io).find_map(|e| e.downcast_ref::<Refused>());
/// assert!(found.is_some());
/// ```
pub fn error_chain<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    let mut next = Some(error);
    let mut steps = 0usize;
    std::iter::from_fn(move || {
        let current = next?;
        steps += 1;
        next = if steps >= 32 {
            None
        } else if let Some(io) = current.downcast_ref::<std::io::Error>() {
            io.get_ref().map(|inner| inner as &(dyn StdError + 'static))
        } else {
            current.source()
        };
        Some(current)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_walks_into_io_errors() {
        #[derive(Debug)]
        struct Marker;
        impl fmt::Display for Marker {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("marker")
            }
        }
        impl StdError for Marker {}
        let io = std::io::Error::other(Marker);
        let e = SendError::new(TransportErrorKind::Io, "x").with_source(io);
        assert!(e.find::<Marker>().is_some());
        assert!(e.find::<std::fmt::Error>().is_none());
        assert!(
            SendError::new(TransportErrorKind::Io, "x")
                .find::<Marker>()
                .is_none()
        );
    }

    #[test]
    fn the_kind_answers_for_the_error() {
        for kind in TransportErrorKind::ALL {
            let e = SendError::new(kind, "m");
            assert_eq!(e.is_request_not_sent(), kind.is_request_not_sent());
            assert_eq!(e.is_timeout(), kind.is_timeout());
            assert_eq!(e.is_permanent(), kind.is_permanent());
        }
    }
}
