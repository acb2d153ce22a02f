//! What can go wrong while moving a request, and whether it reached the server.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

/// A boxed error that can cross threads: the cause kept inside an [`Error`].
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Which deadline ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// Opening the connection (TCP, and the TLS handshake for `https`) took too
    /// long. Nothing was written to the server.
    Connect,
    /// The whole exchange (sending the request, waiting for the response head
    /// and reading the body) took too long. The request may have reached the
    /// server.
    Request,
}

/// What went wrong with the proxy a request was sent through (see
/// [`ProxyConfig`](crate::ProxyConfig)). The origin server was never reached.
///
/// ```
/// use clerk_hyper::{Error, ProxyFailure};
///
/// fn advice(err: &Error) -> &'static str {
///     match err {
///         Error::Proxy { failure: ProxyFailure::AuthenticationRequired, .. } => {
///             "check the proxy credentials"
///         }
///         Error::Proxy { .. } => "check HTTPS_PROXY / NO_PROXY",
///         _ => "not a proxy problem",
///     }
/// }
/// # let _ = advice;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProxyFailure {
    /// No connection to the proxy could be opened.
    Unreachable,
    /// The proxy answered `407 Proxy Authentication Required`: no credentials,
    /// or wrong ones.
    AuthenticationRequired,
    /// The proxy refused to open the tunnel (any answer to `CONNECT` other
    /// than 2xx and 407, such as `502 Bad Gateway` or `403 Forbidden`).
    Refused,
    /// The proxy closed the connection, or it failed, before the tunnel was
    /// open.
    Closed,
    /// The proxy's answer to `CONNECT` was not HTTP, or too long.
    InvalidResponse,
    /// The proxy settings cannot be used (an unsupported scheme in
    /// `HTTPS_PROXY`, say); the cause names the variable, never its value.
    Misconfigured,
    /// The request is plain `http` to a host that is not loopback, and it
    /// would go through the proxy: refused, so the secret key never crosses
    /// a plain-HTTP proxy. Use `https`, or list the host in `NO_PROXY`.
    CleartextOrigin,
}

impl ProxyFailure {
    fn describe(self) -> &'static str {
        match self {
            ProxyFailure::Unreachable => "could not connect to the proxy",
            ProxyFailure::AuthenticationRequired => {
                "the proxy requires authentication (407): check the proxy credentials"
            }
            ProxyFailure::Refused => "the proxy refused to open a tunnel to the server",
            ProxyFailure::Closed => "the proxy closed the connection before the tunnel was open",
            ProxyFailure::InvalidResponse => "the proxy's answer to CONNECT was not valid HTTP",
            ProxyFailure::Misconfigured => "the proxy settings cannot be used",
            ProxyFailure::CleartextOrigin => {
                "refusing plain http through a proxy to a host that is not loopback: \
                 use https, or list the host in NO_PROXY"
            }
        }
    }

    fn label(self) -> &'static str {
        match self {
            ProxyFailure::Unreachable => "proxy_unreachable",
            ProxyFailure::AuthenticationRequired => "proxy_auth_required",
            ProxyFailure::Refused => "proxy_refused",
            ProxyFailure::Closed => "proxy_closed",
            ProxyFailure::InvalidResponse => "proxy_invalid_response",
            ProxyFailure::Misconfigured => "proxy_misconfigured",
            ProxyFailure::CleartextOrigin => "proxy_cleartext_origin",
        }
    }
}

/// Why [`HyperTransport`](crate::HyperTransport) could not deliver a response.
///
/// Every variant says whether the request is known not to have left this
/// process; see [`TransportError::is_request_not_sent`] and the table below.
/// Messages never quote request headers (the secret key travels in
/// `Authorization`) nor body bytes; the underlying cause, when there is one, is
/// available through [`source()`](StdError::source).
///
/// | variant | [`is_request_not_sent`] | [`is_timeout`] |
/// |---|---|---|
/// | [`Timeout`](Error::Timeout) with [`TimeoutPhase::Connect`] | `true` | `true` |
/// | [`Timeout`](Error::Timeout) with [`TimeoutPhase::Request`] | `false` | `true` |
/// | [`Connect`](Error::Connect) | `true` | `false` |
/// | [`Tls`](Error::Tls) | `true` | `false` |
/// | [`InsecureScheme`](Error::InsecureScheme) | `true` | `false` |
/// | [`InvalidRequest`](Error::InvalidRequest) | `true` | `false` |
/// | [`Proxy`](Error::Proxy) | `true` | `false` |
/// | [`BodyTooLarge`](Error::BodyTooLarge) | `false` | `false` |
/// | [`Io`](Error::Io) | `false` | `false` |
/// | [`Protocol`](Error::Protocol) | `false` | `false` |
///
/// ```
/// use clerk_core::TransportError;
/// use clerk_hyper::{Error, TimeoutPhase};
///
/// fn describe(err: &Error) -> String {
///     let retry = if err.is_request_not_sent() { "safe to retry" } else { "may have been sent" };
///     match err {
///         Error::Timeout { phase: TimeoutPhase::Connect, .. } => format!("connect timeout, {retry}"),
///         Error::BodyTooLarge { limit, .. } => format!("body over {limit} bytes, {retry}"),
///         other => format!("{other}, {retry}"),
///     }
/// }
/// # let _ = describe;
/// ```
///
/// [`TransportError::is_request_not_sent`]: clerk_core::TransportError::is_request_not_sent
/// [`is_request_not_sent`]: clerk_core::TransportError::is_request_not_sent
/// [`is_timeout`]: clerk_core::TransportError::is_timeout
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A deadline ran out; `phase` says which one.
    #[non_exhaustive]
    Timeout {
        /// Connecting, or the whole exchange.
        phase: TimeoutPhase,
        /// The deadline, when this transport set it (a deadline inside a
        /// client passed to [`from_client`](crate::HyperTransport::from_client)
        /// is not known here).
        after: Option<Duration>,
    },
    /// No connection could be opened: the name did not resolve, the
    /// connection was refused or reset while opening. Nothing was sent.
    #[non_exhaustive]
    Connect {
        /// What the connector reported.
        source: BoxError,
    },
    /// The TLS handshake failed: the certificate is expired, names another
    /// host, is not signed by a trusted root, or the peer speaks no common
    /// protocol. Nothing was sent.
    #[non_exhaustive]
    Tls {
        /// The TLS library's error, usually wrapping a `rustls::Error`.
        source: BoxError,
    },
    /// The response body is larger than the transport accepts. The request was
    /// sent and the server answered; the body was not kept.
    #[non_exhaustive]
    BodyTooLarge {
        /// The cap in bytes, see
        /// [`Builder::max_body_bytes`](crate::Builder::max_body_bytes).
        limit: usize,
    },
    /// The connection failed after it was opened (reset, closed mid-response).
    /// The request may have been sent.
    #[non_exhaustive]
    Io {
        /// The underlying failure.
        source: BoxError,
    },
    /// The peer broke HTTP: an unparsable response head, an HTTP/2 protocol
    /// error. The request may have been sent.
    #[non_exhaustive]
    Protocol {
        /// The underlying failure.
        source: BoxError,
    },
    /// The request was for plain `http://` to a host that is not loopback, and
    /// [`allow_insecure_http`](crate::Builder::allow_insecure_http) is off.
    /// Refused before connecting, so the secret key never left in cleartext.
    #[non_exhaustive]
    InsecureScheme {
        /// The host the request was for.
        host: String,
    },
    /// The request cannot be sent as built (no host in the URI, a scheme other
    /// than `http`/`https`, `https` without TLS support). Refused before
    /// connecting.
    #[non_exhaustive]
    InvalidRequest {
        /// What is wrong, in words.
        reason: &'static str,
    },
    /// The proxy the request was routed through failed or refused; the
    /// origin server was not reached. Messages never quote the proxy's
    /// credentials.
    #[non_exhaustive]
    Proxy {
        /// What went wrong.
        failure: ProxyFailure,
        /// The underlying failure, when there is one.
        source: Option<BoxError>,
    },
}

impl Error {
    /// A timeout in `phase` after `after`.
    pub(crate) fn timeout(phase: TimeoutPhase, after: Option<Duration>) -> Self {
        Error::Timeout { phase, after }
    }

    /// A request refused as built.
    pub(crate) fn invalid(reason: &'static str) -> Self {
        Error::InvalidRequest { reason }
    }

    /// Classifies a failure to open a connection (the connector's error, or a
    /// legacy-client error for which `is_connect()` is true).
    pub(crate) fn from_connect(source: BoxError) -> Self {
        #[cfg(feature = "tokio")]
        if let Some(failure) = crate::connector::proxy_failure(&*source) {
            return Error::Proxy {
                failure,
                source: Some(source),
            };
        }
        if find::<ConnectTimedOut>(&*source).is_some() {
            let after = find::<ConnectTimedOut>(&*source).map(|t| t.0);
            return Error::Timeout {
                phase: TimeoutPhase::Connect,
                after,
            };
        }
        if is_tls(&*source) {
            return Error::Tls { source };
        }
        if find::<std::io::Error>(&*source)
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return Error::Timeout {
                phase: TimeoutPhase::Connect,
                after: None,
            };
        }
        Error::Connect { source }
    }

    /// Classifies a failure after the connection was opened: while sending the
    /// request, waiting for the head, or reading the body.
    pub(crate) fn from_exchange(source: BoxError) -> Self {
        if let Some(h) = find::<hyper::Error>(&*source) {
            if h.is_timeout() {
                return Error::Timeout {
                    phase: TimeoutPhase::Request,
                    after: None,
                };
            }
            if h.is_parse() || h.is_parse_status() || h.is_user() {
                return Error::Protocol { source };
            }
            if h.is_incomplete_message()
                || h.is_closed()
                || h.is_canceled()
                || h.is_body_write_aborted()
            {
                return Error::Io { source };
            }
        }
        match find::<std::io::Error>(&*source).map(std::io::Error::kind) {
            // hyper reports malformed framing (a bad chunk size line, say)
            // as an I/O error of these kinds: the peer spoke, but not HTTP.
            Some(std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData) => {
                Error::Protocol { source }
            }
            Some(_) => Error::Io { source },
            None => Error::Protocol { source },
        }
    }

    /// The bounded set of kinds, for logs and metrics: a short, stable,
    /// secret-free label.
    ///
    /// ```
    /// fn label(err: &clerk_hyper::Error) -> &'static str {
    ///     err.kind_str() // e.g. "connect_timeout", "tls", "body_too_large"
    /// }
    /// # let _ = label;
    /// ```
    pub fn kind_str(&self) -> &'static str {
        match self {
            Error::Timeout {
                phase: TimeoutPhase::Connect,
                ..
            } => "connect_timeout",
            Error::Timeout { .. } => "request_timeout",
            Error::Connect { .. } => "connect",
            Error::Tls { .. } => "tls",
            Error::BodyTooLarge { .. } => "body_too_large",
            Error::Io { .. } => "io",
            Error::Protocol { .. } => "protocol",
            Error::InsecureScheme { .. } => "insecure_scheme",
            Error::InvalidRequest { .. } => "invalid_request",
            Error::Proxy { failure, .. } => failure.label(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Timeout { phase, after } => {
                let what = match phase {
                    TimeoutPhase::Connect => "connecting",
                    TimeoutPhase::Request => "the request",
                };
                match after {
                    Some(d) => write!(f, "timed out: {what} took longer than {d:?}"),
                    None => write!(f, "timed out: {what} took too long"),
                }
            }
            Error::Connect { .. } => f.write_str("could not connect to the server"),
            Error::Tls { .. } => f.write_str("TLS handshake with the server failed"),
            Error::BodyTooLarge { limit } => {
                write!(f, "response body exceeds the limit of {limit} bytes")
            }
            Error::Io { .. } => f.write_str("the connection failed during the exchange"),
            Error::Protocol { .. } => f.write_str("the server broke the HTTP protocol"),
            Error::InsecureScheme { host } => write!(
                f,
                "refusing plain http to non-loopback host `{host}`: use https, \
                 or opt in with allow_insecure_http(true)"
            ),
            Error::InvalidRequest { reason } => write!(f, "invalid request: {reason}"),
            Error::Proxy { failure, .. } => f.write_str(failure.describe()),
        }
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Error::Connect { source }
            | Error::Tls { source }
            | Error::Io { source }
            | Error::Protocol { source } => Some(&**source as &(dyn StdError + 'static)),
            Error::Proxy {
                source: Some(source),
                ..
            } => Some(&**source as &(dyn StdError + 'static)),
            _ => None,
        }
    }
}

impl clerk_core::TransportError for Error {
    fn is_request_not_sent(&self) -> bool {
        match self {
            Error::Timeout { phase, .. } => *phase == TimeoutPhase::Connect,
            Error::Connect { .. }
            | Error::Tls { .. }
            | Error::InsecureScheme { .. }
            | Error::InvalidRequest { .. }
            | Error::Proxy { .. } => true,
            Error::BodyTooLarge { .. } | Error::Io { .. } | Error::Protocol { .. } => false,
        }
    }

    fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// A request refused by rule, or a certificate the client will not
    /// trust, fails the same way however often it is sent.
    fn is_permanent(&self) -> bool {
        matches!(
            self,
            Error::InsecureScheme { .. }
                | Error::InvalidRequest { .. }
                | Error::Tls { .. }
                | Error::Proxy {
                    failure: ProxyFailure::AuthenticationRequired
                        | ProxyFailure::Misconfigured
                        | ProxyFailure::CleartextOrigin,
                    ..
                }
        )
    }
}

/// Why a [`Builder`](crate::Builder) could not make a transport (for example an
/// unusable root certificate).
///
/// ```
/// # #[cfg(feature = "rustls")] {
/// use clerk_hyper::rustls::pki_types::CertificateDer;
///
/// let err = clerk_hyper::HyperTransport::builder()
///     .add_root_certificate(CertificateDer::from(vec![1, 2, 3]))
///     .build()
///     .unwrap_err();
/// assert!(err.to_string().contains("root certificate"));
/// # }
/// ```
#[derive(Debug)]
pub struct BuildError {
    message: &'static str,
    source: Option<BoxError>,
}

impl BuildError {
    #[cfg_attr(not(feature = "rustls"), allow(dead_code))]
    pub(crate) fn new(message: &'static str, source: Option<BoxError>) -> Self {
        Self { message, source }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)
    }
}

impl StdError for BuildError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// The marker our connect deadline leaves in the error chain.
#[derive(Debug)]
pub(crate) struct ConnectTimedOut(pub(crate) Duration);

impl fmt::Display for ConnectTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connecting took longer than {:?}", self.0)
    }
}

impl StdError for ConnectTimedOut {}

/// The errors below `err`, `err` first.
///
/// `std::io::Error::source` skips the error it wraps (it returns the wrapped
/// error's own source), so at an `io::Error` this walks into
/// [`get_ref`](std::io::Error::get_ref) instead: that is where TLS libraries
/// put their error.
fn chain<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    let mut next = Some(err);
    let mut steps = 0usize;
    std::iter::from_fn(move || {
        let current = next?;
        steps += 1;
        next = if steps > 32 {
            None
        } else if let Some(io) = current.downcast_ref::<std::io::Error>() {
            match io.get_ref() {
                Some(inner) => Some(inner as &(dyn StdError + 'static)),
                None => None,
            }
        } else {
            current.source()
        };
        Some(current)
    })
}

/// The first error of type `T` in the chain below (and including) `err`.
pub(crate) fn find<'a, T: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    chain(err).find_map(|e| e.downcast_ref::<T>())
}

#[cfg(feature = "rustls")]
fn is_tls(err: &(dyn StdError + 'static)) -> bool {
    find::<rustls::Error>(err).is_some()
}

#[cfg(not(feature = "rustls"))]
fn is_tls(_err: &(dyn StdError + 'static)) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use clerk_core::TransportError;

    #[test]
    fn io_wrapped_errors_are_found() {
        let inner = ConnectTimedOut(Duration::from_millis(5));
        let io = std::io::Error::other(inner);
        let boxed: BoxError = Box::new(io);
        match Error::from_connect(boxed) {
            Error::Timeout { phase, after } => {
                assert_eq!(phase, TimeoutPhase::Connect);
                assert_eq!(after, Some(Duration::from_millis(5)));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn connect_io_timeout_is_a_connect_timeout() {
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "slow");
        let e = Error::from_connect(Box::new(io));
        assert!(e.is_timeout());
        assert!(e.is_request_not_sent());
    }

    #[test]
    fn plain_connect_failure() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "no");
        let e = Error::from_connect(Box::new(io));
        assert!(matches!(e, Error::Connect { .. }));
        assert!(e.is_request_not_sent());
        assert!(e.source().is_some());
    }

    #[cfg(feature = "rustls")]
    #[test]
    fn rustls_error_inside_io_is_tls() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::Expired);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
        let e = Error::from_connect(Box::new(io));
        assert!(matches!(e, Error::Tls { .. }), "{e:?}");
        assert!(e.is_request_not_sent());
    }

    #[test]
    fn exchange_io_failure_may_have_been_sent() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        let e = Error::from_exchange(Box::new(io));
        assert!(matches!(e, Error::Io { .. }));
        assert!(!e.is_request_not_sent());
        assert!(!e.is_timeout());
    }

    #[test]
    fn unknown_exchange_failure_is_protocol() {
        let e = Error::from_exchange("odd".into());
        assert!(matches!(e, Error::Protocol { .. }));
        assert!(!e.is_request_not_sent());
    }

    #[test]
    fn classification_table() {
        let cases: Vec<(Error, bool, bool)> = vec![
            (Error::timeout(TimeoutPhase::Connect, None), true, true),
            (Error::timeout(TimeoutPhase::Request, None), false, true),
            (Error::Connect { source: "x".into() }, true, false),
            (Error::Tls { source: "x".into() }, true, false),
            (Error::InsecureScheme { host: "h".into() }, true, false),
            (Error::invalid("r"), true, false),
            (Error::BodyTooLarge { limit: 1 }, false, false),
            (Error::Io { source: "x".into() }, false, false),
            (Error::Protocol { source: "x".into() }, false, false),
        ];
        for (e, not_sent, timeout) in cases {
            assert_eq!(e.is_request_not_sent(), not_sent, "{e}");
            assert_eq!(e.is_timeout(), timeout, "{e}");
            assert!(!e.kind_str().is_empty());
        }
    }

    #[test]
    fn messages_do_not_quote_sources() {
        let e = Error::Io {
            source: "Bearer sk_test_secret".into(),
        };
        assert!(!e.to_string().contains("sk_test"));
    }
}
