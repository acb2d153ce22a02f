//! The host's `wasi:http` error codes, mapped onto clerk-core's
//! [`TransportErrorKind`]s. What each kind means for a retry is clerk-core's
//! table; this module only says which kind a code is.

use std::error::Error as StdError;
use std::fmt;

use clerk_core::{SendError, TransportErrorKind};
use wasi::http::types::ErrorCode;

/// The `wasi:http` error code the host reported: the source of an
/// [`Error`](crate::Error) that came from the host. Reach it with
/// [`find`](clerk_core::SendError::find).
///
/// Its `Display` and `Debug` name the code only: text a host attaches to a
/// code (`internal-error`'s message, a DNS `rcode`) stays out of them; read
/// it through [`code`](Self::code) if you need it.
///
/// ```
/// use clerk_wasi::{wasi::http::types::ErrorCode, HostError};
/// let err = clerk_wasi::host_error(ErrorCode::ConnectionRefused);
/// assert_eq!(err.to_string(), "wasi:http: connection-refused");
/// assert!(matches!(err.find::<HostError>().map(HostError::code), Some(ErrorCode::ConnectionRefused)));
/// assert!(clerk_core::TransportError::is_request_not_sent(&err));
/// ```
pub struct HostError {
    code: ErrorCode,
}

impl HostError {
    /// The code, as the host sent it.
    ///
    /// See [`HostError`] for an example.
    pub fn code(&self) -> &ErrorCode {
        &self.code
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wasi:http: {}", code_name(&self.code))
    }
}

// By hand: the derived form would print the host's free text in some codes.
impl fmt::Debug for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostError")
            .field("code", &code_name(&self.code))
            .finish()
    }
}

impl StdError for HostError {}

/// The transport's error for a code the host reported: its kind, a message
/// naming the code, and the code as the source ([`HostError`]).
///
/// See [`HostError`] for an example.
pub fn host_error(code: ErrorCode) -> SendError {
    let kind = kind_of(&code);
    SendError::new(kind, format!("wasi:http: {}", code_name(&code))).with_source(HostError { code })
}

/// Which kind each code is. Not sent only for codes that say the request
/// never reached a server: DNS failures, an unreachable, refused or
/// prohibited destination, a connect timeout, a TLS handshake failure, a
/// connection limit, or the host refusing the request as built.
fn kind_of(code: &ErrorCode) -> TransportErrorKind {
    use TransportErrorKind as K;
    match code {
        ErrorCode::DnsTimeout | ErrorCode::ConnectionTimeout => K::ConnectTimeout,
        ErrorCode::DnsError(_)
        | ErrorCode::DestinationNotFound
        | ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpUnroutable
        | ErrorCode::ConnectionRefused
        | ErrorCode::ConnectionLimitReached => K::Connect,
        ErrorCode::DestinationIpProhibited
        | ErrorCode::HttpRequestDenied
        | ErrorCode::ConfigurationError => K::Refused,
        ErrorCode::TlsProtocolError | ErrorCode::TlsAlertReceived(_) => K::Tls,
        ErrorCode::TlsCertificateError => K::Certificate,
        ErrorCode::HttpRequestMethodInvalid
        | ErrorCode::HttpRequestUriInvalid
        | ErrorCode::HttpRequestUriTooLong
        | ErrorCode::HttpRequestHeaderSectionSize(_)
        | ErrorCode::HttpRequestHeaderSize(_) => K::InvalidRequest,
        ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout => K::Timeout,
        ErrorCode::ConnectionTerminated | ErrorCode::HttpResponseIncomplete => K::Io,
        ErrorCode::HttpProtocolError
        | ErrorCode::HttpResponseHeaderSectionSize(_)
        | ErrorCode::HttpResponseHeaderSize(_)
        | ErrorCode::HttpResponseBodySize(_)
        | ErrorCode::HttpResponseTrailerSectionSize(_)
        | ErrorCode::HttpResponseTrailerSize(_)
        | ErrorCode::HttpResponseTransferCoding(_)
        | ErrorCode::HttpResponseContentCoding(_)
        | ErrorCode::HttpUpgradeFailed
        | ErrorCode::LoopDetected => K::Protocol,
        ErrorCode::HttpRequestLengthRequired
        | ErrorCode::HttpRequestBodySize(_)
        | ErrorCode::HttpRequestTrailerSectionSize(_)
        | ErrorCode::HttpRequestTrailerSize(_)
        | ErrorCode::InternalError(_) => K::Other,
    }
}

/// A failure of the host's own resources or streams, without a code.
pub(crate) fn stream(message: impl Into<String>) -> SendError {
    SendError::new(
        TransportErrorKind::Io,
        format!("body stream failed: {}", message.into()),
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
            assert!(host_error(code).is_request_not_sent());
        }
        for code in [
            ErrorCode::ConnectionTerminated,
            ErrorCode::ConnectionReadTimeout,
            ErrorCode::HttpResponseTimeout,
            ErrorCode::HttpProtocolError,
            ErrorCode::HttpResponseIncomplete,
            ErrorCode::InternalError(None),
        ] {
            let err = host_error(code);
            assert!(!err.is_request_not_sent(), "{err}");
        }
    }

    #[test]
    fn timeouts_and_permanent_codes() {
        assert!(host_error(ErrorCode::ConnectionTimeout).is_timeout());
        assert!(host_error(ErrorCode::ConnectionReadTimeout).is_timeout());
        assert!(!host_error(ErrorCode::ConnectionRefused).is_timeout());
        assert!(host_error(ErrorCode::TlsCertificateError).is_permanent());
        assert!(host_error(ErrorCode::HttpRequestDenied).is_permanent());
        assert!(!host_error(ErrorCode::ConnectionRefused).is_permanent());
        let alert = wasi::http::types::TlsAlertReceivedPayload {
            alert_id: Some(80),
            alert_message: None,
        };
        assert!(!host_error(ErrorCode::TlsAlertReceived(alert)).is_permanent());
    }

    #[test]
    fn host_text_stays_out_of_display_and_debug() {
        let err = host_error(ErrorCode::InternalError(Some(
            "https://x/sign-in?__clerk_ticket=SENTINEL".into(),
        )));
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("SENTINEL"), "{shown}");
        assert_eq!(err.to_string(), "wasi:http: internal-error");
        assert!(matches!(
            err.find::<HostError>().map(HostError::code),
            Some(ErrorCode::InternalError(Some(_)))
        ));
    }
}
