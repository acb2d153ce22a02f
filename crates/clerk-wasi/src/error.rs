//! What can go wrong while the host moves a request, and whether it left.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use wasi::http::types::ErrorCode;

/// Which of this transport's own deadlines ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// Waiting for the response head. The request may have reached the server.
    ResponseHead,
    /// Reading the response body. The server answered.
    Body,
}

/// Why [`WasiTransport`](crate::WasiTransport) could not deliver a response.
///
/// | variant | [`is_request_not_sent`] | [`is_timeout`] | [`is_permanent`] |
/// |---|---|---|---|
/// | [`Host`](Error::Host) | by the host's error code, see below | by code | by code |
/// | [`Timeout`](Error::Timeout) | `false` | `true` | `false` |
/// | [`BodyTooLarge`](Error::BodyTooLarge) | `false` | `false` | `false` |
/// | [`InsecureScheme`](Error::InsecureScheme) | `true` | `false` | `true` |
/// | [`InvalidRequest`](Error::InvalidRequest) | `true` | `false` | `true` |
/// | [`Stream`](Error::Stream) | `false` | `false` | `false` |
///
/// A [`Host`](Error::Host) error is known not to have been sent only when its
/// `wasi:http` error code says the request never reached a server: DNS
/// failures, an unreachable, refused or prohibited destination, a connect
/// timeout, a TLS handshake failure, a connection limit, or the host refusing
/// the request as built (`HTTP-request-denied`, an invalid method or URI,
/// oversized headers, a configuration error). Every other code may mean the
/// request was sent.
///
/// Messages name the failure and never quote request headers (the secret key
/// travels in `Authorization`), the URL or body bytes. Text the host attaches
/// to a code (`internal-error`'s message, a DNS `rcode`) stays out of
/// `Display` and `Debug`; read it through [`host_error_code`] if you need it.
///
/// ```
/// use clerk_core::TransportError;
/// use clerk_wasi::Error;
///
/// fn describe(err: &Error) -> String {
///     let retry = if err.is_request_not_sent() { "safe to retry" } else { "may have been sent" };
///     format!("{err} ({retry})")
/// }
/// let err = Error::from(clerk_wasi::wasi::http::types::ErrorCode::ConnectionRefused);
/// assert_eq!(describe(&err), "wasi:http: connection-refused (safe to retry)");
/// ```
///
/// [`is_request_not_sent`]: clerk_core::TransportError::is_request_not_sent
/// [`is_timeout`]: clerk_core::TransportError::is_timeout
/// [`is_permanent`]: clerk_core::TransportError::is_permanent
/// [`host_error_code`]: Error::host_error_code
#[non_exhaustive]
pub enum Error {
    /// The host reported a `wasi:http` error code.
    #[non_exhaustive]
    Host {
        /// The code, as the host sent it.
        code: ErrorCode,
    },
    /// This transport's deadline ([`request_timeout`]) ran out.
    ///
    /// [`request_timeout`]: crate::WasiTransportBuilder::request_timeout
    #[non_exhaustive]
    Timeout {
        /// What was being waited for.
        phase: TimeoutPhase,
        /// The deadline.
        after: Duration,
    },
    /// The response body is larger than the transport accepts. The request was
    /// sent and the server answered; the body was not kept.
    #[non_exhaustive]
    BodyTooLarge {
        /// The cap in bytes, see
        /// [`max_body_bytes`](crate::WasiTransportBuilder::max_body_bytes).
        limit: usize,
    },
    /// The request was for plain `http://` to a host that is not loopback and
    /// [`allow_insecure_http`](crate::WasiTransportBuilder::allow_insecure_http)
    /// is off. Refused before the host saw it, so the secret key never left in
    /// cleartext.
    #[non_exhaustive]
    InsecureScheme {
        /// The host the request was for.
        host: String,
    },
    /// The request cannot be expressed as a `wasi:http` request (no host in
    /// the URI, a scheme other than `http`/`https`, a header the host
    /// rejects), or the host refused a resource call while it was being built.
    /// Nothing was sent.
    #[non_exhaustive]
    InvalidRequest {
        /// What is wrong, in words.
        reason: &'static str,
    },
    /// A body stream failed without a `wasi:http` error code, or the host
    /// broke the protocol of its own resources (a body consumed twice, a
    /// response future that yields nothing). The request may have been sent.
    #[non_exhaustive]
    Stream {
        /// What failed, in words (the host's debug text of the stream error,
        /// which describes the stream and carries no request data).
        message: String,
    },
}

impl Error {
    /// The `wasi:http` error code the host reported, if this is a
    /// [`Host`](Error::Host) error.
    ///
    /// ```
    /// use clerk_wasi::{wasi::http::types::ErrorCode, Error};
    /// let err = Error::from(ErrorCode::DnsTimeout);
    /// assert!(matches!(err.host_error_code(), Some(ErrorCode::DnsTimeout)));
    /// ```
    pub fn host_error_code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Host { code } => Some(code),
            _ => None,
        }
    }

    /// A short, stable name for the failure: `timeout`, `body_too_large`,
    /// `insecure_scheme`, `invalid_request`, `stream`, or the host's error
    /// code in `wasi:http`'s own spelling (`connection-refused`, ...).
    ///
    /// ```
    /// let err = clerk_wasi::Error::from(clerk_wasi::wasi::http::types::ErrorCode::HttpResponseTimeout);
    /// assert_eq!(err.kind_str(), "HTTP-response-timeout");
    /// ```
    pub fn kind_str(&self) -> &'static str {
        match self {
            Error::Host { code } => code_name(code),
            Error::Timeout { .. } => "timeout",
            Error::BodyTooLarge { .. } => "body_too_large",
            Error::InsecureScheme { .. } => "insecure_scheme",
            Error::InvalidRequest { .. } => "invalid_request",
            Error::Stream { .. } => "stream",
        }
    }
}

impl From<ErrorCode> for Error {
    fn from(code: ErrorCode) -> Self {
        Error::Host { code }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Host { code } => write!(f, "wasi:http: {}", code_name(code)),
            Error::Timeout { phase, after } => {
                let what = match phase {
                    TimeoutPhase::ResponseHead => "no response head",
                    TimeoutPhase::Body => "the response body did not complete",
                };
                write!(f, "timed out: {what} within {}", Whole(*after))
            }
            Error::BodyTooLarge { limit } => {
                write!(f, "the response body is larger than the {limit}-byte cap")
            }
            Error::InsecureScheme { host } => write!(
                f,
                "refusing to send the secret key over plain http to {host}: use https, \
                 or opt in with allow_insecure_http(true)"
            ),
            Error::InvalidRequest { reason } => write!(f, "invalid request: {reason}"),
            Error::Stream { message } => write!(f, "body stream failed: {message}"),
        }
    }
}

/// A deadline in whole units (`10 s`, `250 ms`, `1500 us`), printed with
/// integer formatting only: `Duration`'s own `Debug` brings float-style
/// decimal formatting into every WebAssembly module that can print this error.
struct Whole(Duration);

impl fmt::Display for Whole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (secs, nanos) = (self.0.as_secs(), self.0.subsec_nanos());
        if nanos == 0 {
            write!(f, "{secs} s")
        } else if nanos % 1_000_000 == 0 {
            write!(
                f,
                "{} ms",
                secs.saturating_mul(1000)
                    .saturating_add(u64::from(nanos / 1_000_000))
            )
        } else {
            let micros = secs
                .saturating_mul(1_000_000)
                .saturating_add(u64::from(nanos / 1000));
            write!(f, "{micros} us")
        }
    }
}

// By hand: the derived form would print the host's free text in some codes.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Host { code } => f
                .debug_struct("Host")
                .field("code", &code_name(code))
                .finish(),
            Error::Timeout { phase, after } => f
                .debug_struct("Timeout")
                .field("phase", phase)
                .field("after", after)
                .finish(),
            Error::BodyTooLarge { limit } => f
                .debug_struct("BodyTooLarge")
                .field("limit", limit)
                .finish(),
            Error::InsecureScheme { host } => f
                .debug_struct("InsecureScheme")
                .field("host", host)
                .finish(),
            Error::InvalidRequest { reason } => f
                .debug_struct("InvalidRequest")
                .field("reason", reason)
                .finish(),
            Error::Stream { message } => {
                f.debug_struct("Stream").field("message", message).finish()
            }
        }
    }
}

impl StdError for Error {}

impl clerk_core::TransportError for Error {
    fn is_request_not_sent(&self) -> bool {
        match self {
            Error::Host { code } => code_not_sent(code),
            Error::InsecureScheme { .. } | Error::InvalidRequest { .. } => true,
            Error::Timeout { .. } | Error::BodyTooLarge { .. } | Error::Stream { .. } => false,
        }
    }

    fn is_timeout(&self) -> bool {
        match self {
            Error::Host { code } => matches!(
                code,
                ErrorCode::DnsTimeout
                    | ErrorCode::ConnectionTimeout
                    | ErrorCode::ConnectionReadTimeout
                    | ErrorCode::ConnectionWriteTimeout
                    | ErrorCode::HttpResponseTimeout
            ),
            Error::Timeout { .. } => true,
            _ => false,
        }
    }

    fn is_permanent(&self) -> bool {
        match self {
            Error::Host { code } => matches!(
                code,
                ErrorCode::DestinationIpProhibited
                    | ErrorCode::TlsCertificateError
                    | ErrorCode::HttpRequestDenied
                    | ErrorCode::HttpRequestMethodInvalid
                    | ErrorCode::HttpRequestUriInvalid
                    | ErrorCode::HttpRequestUriTooLong
                    | ErrorCode::HttpRequestHeaderSectionSize(_)
                    | ErrorCode::HttpRequestHeaderSize(_)
                    | ErrorCode::ConfigurationError
            ),
            Error::InsecureScheme { .. } | Error::InvalidRequest { .. } => true,
            _ => false,
        }
    }
}

/// Codes that say no byte of the request reached a server.
fn code_not_sent(code: &ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::DnsTimeout
            | ErrorCode::DnsError(_)
            | ErrorCode::DestinationNotFound
            | ErrorCode::DestinationUnavailable
            | ErrorCode::DestinationIpProhibited
            | ErrorCode::DestinationIpUnroutable
            | ErrorCode::ConnectionRefused
            | ErrorCode::ConnectionTimeout
            | ErrorCode::ConnectionLimitReached
            | ErrorCode::TlsProtocolError
            | ErrorCode::TlsCertificateError
            | ErrorCode::TlsAlertReceived(_)
            | ErrorCode::HttpRequestDenied
            | ErrorCode::HttpRequestMethodInvalid
            | ErrorCode::HttpRequestUriInvalid
            | ErrorCode::HttpRequestUriTooLong
            | ErrorCode::HttpRequestHeaderSectionSize(_)
            | ErrorCode::HttpRequestHeaderSize(_)
            | ErrorCode::ConfigurationError
    )
}

/// The code's name as `wasi:http/types` spells it.
fn code_name(code: &ErrorCode) -> &'static str {
    match code {
        ErrorCode::DnsTimeout => "DNS-timeout",
        ErrorCode::DnsError(_) => "DNS-error",
        ErrorCode::DestinationNotFound => "destination-not-found",
        ErrorCode::DestinationUnavailable => "destination-unavailable",
        ErrorCode::DestinationIpProhibited => "destination-IP-prohibited",
        ErrorCode::DestinationIpUnroutable => "destination-IP-unroutable",
        ErrorCode::ConnectionRefused => "connection-refused",
        ErrorCode::ConnectionTerminated => "connection-terminated",
        ErrorCode::ConnectionTimeout => "connection-timeout",
        ErrorCode::ConnectionReadTimeout => "connection-read-timeout",
        ErrorCode::ConnectionWriteTimeout => "connection-write-timeout",
        ErrorCode::ConnectionLimitReached => "connection-limit-reached",
        ErrorCode::TlsProtocolError => "TLS-protocol-error",
        ErrorCode::TlsCertificateError => "TLS-certificate-error",
        ErrorCode::TlsAlertReceived(_) => "TLS-alert-received",
        ErrorCode::HttpRequestDenied => "HTTP-request-denied",
        ErrorCode::HttpRequestLengthRequired => "HTTP-request-length-required",
        ErrorCode::HttpRequestBodySize(_) => "HTTP-request-body-size",
        ErrorCode::HttpRequestMethodInvalid => "HTTP-request-method-invalid",
        ErrorCode::HttpRequestUriInvalid => "HTTP-request-URI-invalid",
        ErrorCode::HttpRequestUriTooLong => "HTTP-request-URI-too-long",
        ErrorCode::HttpRequestHeaderSectionSize(_) => "HTTP-request-header-section-size",
        ErrorCode::HttpRequestHeaderSize(_) => "HTTP-request-header-size",
        ErrorCode::HttpRequestTrailerSectionSize(_) => "HTTP-request-trailer-section-size",
        ErrorCode::HttpRequestTrailerSize(_) => "HTTP-request-trailer-size",
        ErrorCode::HttpResponseIncomplete => "HTTP-response-incomplete",
        ErrorCode::HttpResponseHeaderSectionSize(_) => "HTTP-response-header-section-size",
        ErrorCode::HttpResponseHeaderSize(_) => "HTTP-response-header-size",
        ErrorCode::HttpResponseBodySize(_) => "HTTP-response-body-size",
        ErrorCode::HttpResponseTrailerSectionSize(_) => "HTTP-response-trailer-section-size",
        ErrorCode::HttpResponseTrailerSize(_) => "HTTP-response-trailer-size",
        ErrorCode::HttpResponseTransferCoding(_) => "HTTP-response-transfer-coding",
        ErrorCode::HttpResponseContentCoding(_) => "HTTP-response-content-coding",
        ErrorCode::HttpResponseTimeout => "HTTP-response-timeout",
        ErrorCode::HttpUpgradeFailed => "HTTP-upgrade-failed",
        ErrorCode::HttpProtocolError => "HTTP-protocol-error",
        ErrorCode::LoopDetected => "loop-detected",
        ErrorCode::ConfigurationError => "configuration-error",
        ErrorCode::InternalError(_) => "internal-error",
    }
}

#[cfg(test)]
mod tests {
    use clerk_core::TransportError;
    use wasi::http::types::{DnsErrorPayload, ErrorCode};

    use super::*;

    #[test]
    fn not_sent_only_when_the_code_says_so() {
        let dns = ErrorCode::DnsError(DnsErrorPayload {
            rcode: Some("NXDOMAIN".into()),
            info_code: None,
        });
        for code in [
            ErrorCode::ConnectionRefused,
            ErrorCode::DnsTimeout,
            dns,
            ErrorCode::ConnectionTimeout,
        ] {
            assert!(Error::from(code).is_request_not_sent());
        }
        for code in [
            ErrorCode::ConnectionTerminated,
            ErrorCode::ConnectionReadTimeout,
            ErrorCode::HttpResponseTimeout,
            ErrorCode::HttpProtocolError,
            ErrorCode::HttpResponseIncomplete,
            ErrorCode::InternalError(None),
        ] {
            let err = Error::from(code);
            assert!(!err.is_request_not_sent(), "{err}");
        }
        let timeout = Error::Timeout {
            phase: TimeoutPhase::ResponseHead,
            after: Duration::from_secs(1),
        };
        assert!(timeout.is_timeout() && !timeout.is_request_not_sent());
        assert!(!Error::BodyTooLarge { limit: 1 }.is_request_not_sent());
        let insecure = Error::InsecureScheme {
            host: "api.clerk.com".into(),
        };
        assert!(insecure.is_request_not_sent() && insecure.is_permanent());
    }

    #[test]
    fn timeout_messages_give_the_deadline_in_whole_units() {
        let shown = |phase, after| Error::Timeout { phase, after }.to_string();
        assert_eq!(
            shown(TimeoutPhase::ResponseHead, Duration::from_secs(10)),
            "timed out: no response head within 10 s"
        );
        assert_eq!(
            shown(TimeoutPhase::Body, Duration::from_millis(1500)),
            "timed out: the response body did not complete within 1500 ms"
        );
        assert_eq!(
            shown(TimeoutPhase::Body, Duration::from_micros(2_500)),
            "timed out: the response body did not complete within 2500 us"
        );
        assert_eq!(
            shown(TimeoutPhase::ResponseHead, Duration::MAX),
            format!("timed out: no response head within {} us", u64::MAX)
        );
    }

    #[test]
    fn timeouts_and_permanent_codes() {
        assert!(Error::from(ErrorCode::ConnectionTimeout).is_timeout());
        assert!(Error::from(ErrorCode::ConnectionReadTimeout).is_timeout());
        assert!(!Error::from(ErrorCode::ConnectionRefused).is_timeout());
        assert!(Error::from(ErrorCode::TlsCertificateError).is_permanent());
        assert!(Error::from(ErrorCode::HttpRequestDenied).is_permanent());
        assert!(!Error::from(ErrorCode::ConnectionRefused).is_permanent());
    }

    #[test]
    fn host_text_stays_out_of_display_and_debug() {
        let err = Error::from(ErrorCode::InternalError(Some(
            "https://x/sign-in?__clerk_ticket=SENTINEL".into(),
        )));
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("SENTINEL"), "{shown}");
        assert_eq!(err.to_string(), "wasi:http: internal-error");
        assert!(matches!(
            err.host_error_code(),
            Some(ErrorCode::InternalError(Some(_)))
        ));
    }
}
