//! What can go wrong moving a request, sorted by what it means for a retry.

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

/// Why a [`ReqwestTransport`](crate::ReqwestTransport) or
/// [`ReqwestBlockingTransport`] got no response.
///
/// Its text and its causes never hold a header, a body or a URL: reqwest's
/// own errors are kept with their URL removed.
///
/// | kind | not sent | timeout | permanent (never retried) |
/// |---|---|---|---|
/// | [`Error::Timeout`] while connecting | yes | yes | no |
/// | [`Error::Timeout`] after connecting | no | yes | no |
/// | [`Error::Connect`] (DNS, refused, the proxy unreachable) | yes | no | no |
/// | [`Error::Tls`] (a certificate rustls refused) | yes | no | yes |
/// | [`Error::InsecureScheme`], [`Error::InvalidRequest`] | yes | no | yes |
/// | [`Error::BodyTooLarge`], [`Error::Io`], [`Error::Protocol`], [`Error::Other`] | no | no | no |
///
/// ```
/// use clerk_core::TransportError;
///
/// let refused = clerk_reqwest::Error::InsecureScheme { host: "api.example.com".into() };
/// assert!(refused.is_request_not_sent() && refused.is_permanent());
/// assert_eq!(
///     refused.to_string(),
///     "refusing plain http to non-loopback host `api.example.com`: use https, or opt in with allow_insecure_http()",
/// );
/// ```
#[cfg_attr(feature = "blocking", doc = "")]
#[cfg_attr(
    feature = "blocking",
    doc = "[`ReqwestBlockingTransport`]: crate::ReqwestBlockingTransport"
)]
// Without the feature the type does not exist: the link goes to the feature list.
#[cfg_attr(not(feature = "blocking"), doc = "")]
#[cfg_attr(
    not(feature = "blocking"),
    doc = "[`ReqwestBlockingTransport`]: crate#crate-features"
)]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A deadline ran out: the transport's request deadline, or one set on
    /// the reqwest client.
    #[error("timed out: {}", timeout_text(*.connecting, *.after))]
    Timeout {
        /// Whether reqwest was still connecting (then nothing was sent).
        connecting: bool,
        /// The transport's request deadline, when it set one.
        after: Option<Duration>,
        /// What reqwest reported, when it reported it (not for a deadline
        /// the blocking body read ran into).
        #[source]
        source: Option<reqwest::Error>,
    },
    /// No connection could be opened (the name did not resolve, the server
    /// or the proxy refused): nothing was sent.
    #[error("could not connect to the server")]
    Connect {
        /// reqwest's error, without its URL.
        #[source]
        source: reqwest::Error,
    },
    /// The TLS handshake failed on the certificate (expired, for another
    /// name, no trusted root): nothing was sent, and sending again cannot
    /// help. Recognised only when rustls reports it (feature `rustls`);
    /// other TLS stacks' handshake failures are [`Error::Connect`].
    #[error("TLS handshake with the server failed")]
    Tls {
        /// reqwest's error, without its URL; rustls' error is below it.
        #[source]
        source: reqwest::Error,
    },
    /// The response body is larger than the transport accepts. The request
    /// was sent and the server answered; the body was not kept.
    #[error("response body exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The cap in bytes.
        limit: usize,
    },
    /// The connection failed after it was opened (reset, closed before the
    /// end of the response). The request may have been sent.
    #[error("the connection failed during the exchange")]
    Io {
        /// What failed.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
    /// The server broke HTTP (an unparsable or oversized head, bad chunk
    /// framing). The request may have been sent.
    #[error("the server broke the HTTP protocol")]
    Protocol {
        /// What failed.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
    /// The request was for plain `http://` to a host that is not loopback,
    /// and [`allow_insecure_http`](crate::Builder::allow_insecure_http) is
    /// off. Refused before connecting, so the secret key never left in
    /// cleartext.
    #[error(
        "refusing plain http to non-loopback host `{host}`: use https, or opt in with allow_insecure_http()"
    )]
    InsecureScheme {
        /// The host the request was for.
        host: String,
    },
    /// The request cannot be sent as built (not an absolute `http`/`https`
    /// URL). Refused before connecting.
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Any other failure reqwest reported (a redirect policy's refusal, a
    /// failed decompression, ...). The request may have been sent.
    #[error("the request failed")]
    Other {
        /// reqwest's error, without its URL.
        #[source]
        source: reqwest::Error,
    },
}

fn timeout_text(connecting: bool, after: Option<Duration>) -> String {
    let what = if connecting {
        "connecting"
    } else {
        "the request"
    };
    match after {
        Some(d) => format!("{what} took longer than {d:?}"),
        None => format!("{what} took too long"),
    }
}

impl clerk_core::TransportError for Error {
    fn is_request_not_sent(&self) -> bool {
        matches!(
            self,
            Error::Timeout {
                connecting: true,
                ..
            } | Error::Connect { .. }
                | Error::Tls { .. }
                | Error::InsecureScheme { .. }
                | Error::InvalidRequest { .. }
        )
    }

    fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    fn is_permanent(&self) -> bool {
        matches!(
            self,
            Error::Tls { .. } | Error::InsecureScheme { .. } | Error::InvalidRequest { .. }
        )
    }
}

impl Error {
    /// Sorts a reqwest error; `deadline` is the transport's own request
    /// deadline, if it set one.
    pub(crate) fn from_reqwest(error: reqwest::Error, deadline: Option<Duration>) -> Self {
        let error = error.without_url();
        if error.is_timeout() {
            return Error::Timeout {
                connecting: error.is_connect(),
                after: deadline,
                source: Some(error),
            };
        }
        if error.is_connect() {
            if refused_certificate(&error) {
                return Error::Tls { source: error };
            }
            return Error::Connect { source: error };
        }
        match broken_exchange(&error) {
            Some(Broken::Protocol) => Error::Protocol {
                source: Box::new(error),
            },
            Some(Broken::Io) => Error::Io {
                source: Box::new(error),
            },
            None => Error::Other { source: error },
        }
    }

    /// Sorts an error met while reading a blocking body: reqwest puts its
    /// own error inside the `io::Error`.
    #[cfg(feature = "blocking")]
    pub(crate) fn from_body_read(error: io::Error, deadline: Option<Duration>) -> Self {
        if error.get_ref().is_some_and(|e| e.is::<reqwest::Error>()) {
            let inner = error
                .into_inner()
                .and_then(|e| e.downcast::<reqwest::Error>().ok());
            if let Some(inner) = inner {
                return Error::from_reqwest(*inner, deadline);
            }
            return Error::Io {
                source: "the body read failed".into(),
            };
        }
        if error.kind() == io::ErrorKind::TimedOut {
            return Error::Timeout {
                connecting: false,
                after: deadline,
                source: None,
            };
        }
        Error::Io {
            source: Box::new(error),
        }
    }
}

enum Broken {
    Protocol,
    Io,
}

/// What hyper (under reqwest) says went wrong after the connection opened.
fn broken_exchange(error: &reqwest::Error) -> Option<Broken> {
    let mut found = None;
    for cause in chain(error) {
        if let Some(h) = cause.downcast_ref::<hyper::Error>() {
            if h.is_parse() || h.is_parse_status() {
                return Some(Broken::Protocol);
            }
            found = Some(Broken::Io);
        }
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            // hyper's body decoder reports bad framing (a chunk size that
            // is not hexadecimal, a missing CRLF) as invalid input or data.
            if matches!(
                io.kind(),
                io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData
            ) {
                return Some(Broken::Protocol);
            }
            found = Some(Broken::Io);
        }
    }
    found
}

/// Whether rustls refused the peer's certificate somewhere below `error`.
#[cfg(feature = "rustls")]
fn refused_certificate(error: &reqwest::Error) -> bool {
    chain(error).any(|cause| {
        matches!(
            cause.downcast_ref::<rustls::Error>(),
            Some(rustls::Error::InvalidCertificate(_))
        )
    })
}

#[cfg(not(feature = "rustls"))]
fn refused_certificate(_: &reqwest::Error) -> bool {
    false
}

/// `error` and its causes. At an `io::Error` this steps into `get_ref()`,
/// where TLS and HTTP libraries put their error.
fn chain<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    let mut next = Some(error);
    let mut depth = 0;
    std::iter::from_fn(move || {
        let current = next?;
        depth += 1;
        next = if depth > 16 {
            None
        } else if let Some(io) = current.downcast_ref::<io::Error>() {
            io.get_ref().map(|inner| inner as &(dyn StdError + 'static))
        } else {
            current.source()
        };
        Some(current)
    })
}

#[cfg(test)]
mod tests {
    use clerk_core::TransportError;

    use super::*;

    /// The rows of the table in [`Error`]'s docs that need no reqwest error
    /// (those that do are met over loopback in `tests/`).
    #[test]
    fn what_each_kind_tells_the_retry_policy() {
        let io = || -> Box<dyn StdError + Send + Sync> { "reset".into() };
        // (error, not sent, timeout, permanent)
        let rows = [
            (
                Error::Timeout {
                    connecting: true,
                    after: None,
                    source: None,
                },
                true,
                true,
                false,
            ),
            (
                Error::Timeout {
                    connecting: false,
                    after: Some(Duration::from_secs(1)),
                    source: None,
                },
                false,
                true,
                false,
            ),
            (
                Error::InsecureScheme {
                    host: "h".to_owned(),
                },
                true,
                false,
                true,
            ),
            (Error::InvalidRequest { reason: "r" }, true, false, true),
            (Error::BodyTooLarge { limit: 1 }, false, false, false),
            (Error::Io { source: io() }, false, false, false),
            (Error::Protocol { source: io() }, false, false, false),
        ];
        for (error, not_sent, timeout, permanent) in rows {
            assert_eq!(error.is_request_not_sent(), not_sent, "{error:?}");
            assert_eq!(error.is_timeout(), timeout, "{error:?}");
            assert_eq!(error.is_permanent(), permanent, "{error:?}");
        }
    }

    #[test]
    fn a_timeout_says_which_deadline() {
        let after = Error::Timeout {
            connecting: false,
            after: Some(Duration::from_millis(1500)),
            source: None,
        };
        assert_eq!(
            after.to_string(),
            "timed out: the request took longer than 1.5s"
        );
        let connecting = Error::Timeout {
            connecting: true,
            after: None,
            source: None,
        };
        assert_eq!(
            connecting.to_string(),
            "timed out: connecting took too long"
        );
    }
}
