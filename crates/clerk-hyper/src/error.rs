//! hyper's, hyper-util's and rustls's errors, mapped onto clerk-core's
//! [`TransportErrorKind`]s. What each kind means for a retry is clerk-core's
//! table; this module only says which kind a failure is.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use clerk_core::{SendError, TransportErrorKind};

/// A boxed error that can cross threads: a connector's failure, or the
/// cause kept inside an [`Error`](crate::Error).
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What went wrong with the proxy a request was sent through (see
/// [`ProxyConfig`](crate::ProxyConfig)). The origin server was never reached.
///
/// ```
/// use clerk_hyper::{Error, ProxyError, ProxyFailure};
///
/// fn advice(err: &Error) -> &'static str {
///     match err.find::<ProxyError>().map(ProxyError::failure) {
///         Some(ProxyFailure::AuthenticationRequired) => "check the proxy credentials",
///         Some(_) => "check HTTPS_PROXY / NO_PROXY",
///         None => "not a proxy problem",
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

    /// The shared kind: a proxy that did not carry the request; one that
    /// never will as configured; or the cleartext rule.
    ///
    /// ```
    /// use clerk_core::TransportErrorKind;
    /// use clerk_hyper::ProxyFailure;
    /// assert_eq!(ProxyFailure::Unreachable.kind(), TransportErrorKind::Proxy);
    /// assert_eq!(ProxyFailure::AuthenticationRequired.kind(), TransportErrorKind::ProxyRejected);
    /// assert_eq!(ProxyFailure::CleartextOrigin.kind(), TransportErrorKind::InsecureScheme);
    /// ```
    pub fn kind(self) -> TransportErrorKind {
        match self {
            ProxyFailure::Unreachable
            | ProxyFailure::Refused
            | ProxyFailure::Closed
            | ProxyFailure::InvalidResponse => TransportErrorKind::Proxy,
            ProxyFailure::AuthenticationRequired | ProxyFailure::Misconfigured => {
                TransportErrorKind::ProxyRejected
            }
            ProxyFailure::CleartextOrigin => TransportErrorKind::InsecureScheme,
        }
    }
}

/// The proxy's failure, as the cause of an [`Error`](crate::Error) of kind
/// [`Proxy`](TransportErrorKind::Proxy),
/// [`ProxyRejected`](TransportErrorKind::ProxyRejected), or
/// [`InsecureScheme`](TransportErrorKind::InsecureScheme) for
/// [`ProxyFailure::CleartextOrigin`]. Find it with
/// [`Error::find`](clerk_core::SendError::find). Its message never quotes
/// the proxy's credentials.
///
/// See [`ProxyFailure`] for an example.
#[derive(Debug)]
pub struct ProxyError {
    failure: ProxyFailure,
    source: Option<BoxError>,
}

impl ProxyError {
    /// What went wrong.
    ///
    /// See [`ProxyFailure`] for an example.
    pub fn failure(&self) -> ProxyFailure {
        self.failure
    }
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.failure.describe())
    }
}

impl StdError for ProxyError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// The transport's error for `failure`, with its cause.
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
pub(crate) fn proxy(failure: ProxyFailure, source: Option<BoxError>) -> SendError {
    SendError::new(failure.kind(), failure.describe()).with_source(ProxyError { failure, source })
}

/// The marker our connect deadline leaves in the error chain.
#[derive(Debug)]
pub(crate) struct ConnectTimedOut(pub(crate) Duration);

impl fmt::Display for ConnectTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connecting took longer than {} ms", self.0.as_millis())
    }
}

impl StdError for ConnectTimedOut {}

/// The marker left when a connector opened a plain stream for an `https`
/// request: the pool drops it before a byte is written.
#[derive(Debug)]
pub(crate) struct PlaintextForHttps;

impl fmt::Display for PlaintextForHttps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the connector opened a plain stream for an https request")
    }
}

impl StdError for PlaintextForHttps {}

/// Classifies a failure to open a connection (a connector's error, or a
/// hyper-util error for which `is_connect()` is true). Nothing was sent.
pub(crate) fn connect_failed(source: BoxError) -> SendError {
    #[cfg(feature = "tokio")]
    if let Some(failure) = crate::connector::proxy_failure(&*source) {
        return proxy(failure, Some(source));
    }
    if let Some(after) = find::<ConnectTimedOut>(&*source).map(|t| t.0) {
        return SendError::connect_timeout(Some(after));
    }
    if find::<PlaintextForHttps>(&*source).is_some() {
        return SendError::https_over_plaintext();
    }
    if let Some(kind) = tls_kind(&*source) {
        let message = match kind {
            TransportErrorKind::Certificate => {
                "the TLS handshake failed: the server's certificate was refused"
            }
            _ => "the TLS handshake with the server failed",
        };
        return SendError::new(kind, message).with_source(source);
    }
    if find::<std::io::Error>(&*source).is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
    {
        return SendError::connect_timeout(None).with_source(source);
    }
    SendError::new(
        TransportErrorKind::Connect,
        "could not connect to the server",
    )
    .with_source(source)
}

/// Classifies a failure after the connection was opened: while sending the
/// request, waiting for the head, or reading the body.
pub(crate) fn exchange_failed(source: BoxError) -> SendError {
    let kind = exchange_kind(&*source);
    let message = match kind {
        TransportErrorKind::Timeout => "timed out: the server did not answer in time",
        TransportErrorKind::Io => "the connection failed during the exchange",
        _ => "the server broke the HTTP protocol",
    };
    SendError::new(kind, message).with_source(source)
}

fn exchange_kind(source: &(dyn StdError + 'static)) -> TransportErrorKind {
    if let Some(h) = find::<hyper::Error>(source) {
        if h.is_timeout() {
            return TransportErrorKind::Timeout;
        }
        if h.is_parse() || h.is_parse_status() || h.is_user() {
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
    match find::<std::io::Error>(source).map(std::io::Error::kind) {
        // hyper reports malformed framing (a bad chunk size line, say)
        // as an I/O error of these kinds: the peer spoke, but not HTTP.
        Some(std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData) => {
            TransportErrorKind::Protocol
        }
        Some(_) => TransportErrorKind::Io,
        None => TransportErrorKind::Protocol,
    }
}

/// rustls's verdict, when rustls failed the handshake: a refused
/// certificate is [`Certificate`](TransportErrorKind::Certificate) (sending
/// again cannot help); anything else (an alert, a peer that closed) is
/// [`Tls`](TransportErrorKind::Tls), which may pass.
#[cfg(feature = "rustls")]
fn tls_kind(err: &(dyn StdError + 'static)) -> Option<TransportErrorKind> {
    Some(match find::<rustls::Error>(err)? {
        rustls::Error::InvalidCertificate(_) => TransportErrorKind::Certificate,
        _ => TransportErrorKind::Tls,
    })
}

#[cfg(not(feature = "rustls"))]
fn tls_kind(_err: &(dyn StdError + 'static)) -> Option<TransportErrorKind> {
    None
}

/// The first error of type `T` in the chain below (and including) `err`.
pub(crate) fn find<'a, T: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    clerk_core::error_chain(err).find_map(|e| e.downcast_ref::<T>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clerk_core::TransportError;

    #[test]
    fn io_wrapped_markers_are_found() {
        let io = std::io::Error::other(ConnectTimedOut(Duration::from_millis(5)));
        let e = connect_failed(Box::new(io));
        assert_eq!(e.kind(), TransportErrorKind::ConnectTimeout);
        assert_eq!(e.to_string(), "timed out: connecting took longer than 5 ms");
        let plain = connect_failed(Box::new(std::io::Error::other(PlaintextForHttps)));
        assert_eq!(plain.kind(), TransportErrorKind::InsecureScheme);
    }

    #[test]
    fn connect_io_timeout_is_a_connect_timeout() {
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "slow");
        let e = connect_failed(Box::new(io));
        assert!(e.is_timeout() && e.is_request_not_sent());
    }

    #[test]
    fn plain_connect_failure() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "no");
        let e = connect_failed(Box::new(io));
        assert_eq!(e.kind(), TransportErrorKind::Connect);
        assert!(e.is_request_not_sent());
        assert!(e.source().is_some());
    }

    /// Defect: every `rustls::Error` was a permanent TLS failure, so a revoke
    /// was not retried after a transient alert. Only a refused certificate
    /// is permanent now.
    #[cfg(feature = "rustls")]
    #[test]
    fn only_a_refused_certificate_is_permanent() {
        let wrap = |tls: rustls::Error| {
            connect_failed(Box::new(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                tls,
            )))
        };
        let cert = wrap(rustls::Error::InvalidCertificate(
            rustls::CertificateError::Expired,
        ));
        assert_eq!(cert.kind(), TransportErrorKind::Certificate);
        assert!(cert.is_permanent() && cert.is_request_not_sent());
        for transient in [
            rustls::Error::AlertReceived(rustls::AlertDescription::InternalError),
            rustls::Error::PeerMisbehaved(rustls::PeerMisbehaved::IllegalMiddleboxChangeCipherSpec),
            rustls::Error::HandshakeNotComplete,
        ] {
            let e = wrap(transient);
            assert_eq!(e.kind(), TransportErrorKind::Tls, "{e:?}");
            assert!(!e.is_permanent() && e.is_request_not_sent());
        }
    }

    #[test]
    fn exchange_io_failure_may_have_been_sent() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        let e = exchange_failed(Box::new(io));
        assert_eq!(e.kind(), TransportErrorKind::Io);
        assert!(!e.is_request_not_sent() && !e.is_timeout());
        let e = exchange_failed("odd".into());
        assert_eq!(e.kind(), TransportErrorKind::Protocol);
    }

    #[test]
    fn messages_do_not_quote_sources() {
        let e = exchange_failed("Bearer sk_test_secret".into());
        assert!(!e.to_string().contains("sk_test"));
    }

    #[test]
    fn proxy_failures_keep_their_detail() {
        let e = proxy(ProxyFailure::AuthenticationRequired, None);
        assert_eq!(e.kind(), TransportErrorKind::ProxyRejected);
        assert_eq!(
            e.find::<ProxyError>().map(ProxyError::failure),
            Some(ProxyFailure::AuthenticationRequired)
        );
        assert!(e.is_permanent() && e.is_request_not_sent());
    }
}
