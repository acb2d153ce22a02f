//! The kinds of transport failure, and what each one tells the retry policy.
//!
//! This table is the one place where "was the request sent?", "was it a
//! timeout?" and "can sending again help?" are answered. Every adapter maps
//! its stack's errors onto a [`TransportErrorKind`]; none of them answers
//! those three questions on its own.

use std::fmt;

/// What kind of transport failure happened.
///
/// Each kind answers three questions once, for every transport:
///
/// | kind | not sent | timeout | permanent |
/// |---|---|---|---|
/// | [`InsecureScheme`](Self::InsecureScheme) | yes | no | yes |
/// | [`InvalidRequest`](Self::InvalidRequest) | yes | no | yes |
/// | [`Refused`](Self::Refused) | yes | no | yes |
/// | [`Connect`](Self::Connect) | yes | no | no |
/// | [`ConnectTimeout`](Self::ConnectTimeout) | yes | yes | no |
/// | [`Tls`](Self::Tls) | yes | no | no |
/// | [`Certificate`](Self::Certificate) | yes | no | yes |
/// | [`Proxy`](Self::Proxy) | yes | no | no |
/// | [`ProxyRejected`](Self::ProxyRejected) | yes | no | yes |
/// | [`Timeout`](Self::Timeout) | no | yes | no |
/// | [`Io`](Self::Io) | no | no | no |
/// | [`Protocol`](Self::Protocol) | no | no | no |
/// | [`BodyTooLarge`](Self::BodyTooLarge) | no | no | no |
/// | [`Other`](Self::Other) | no | no | no |
///
/// "Not sent" means no byte of the request reached the server, so even a
/// create (not idempotent) may be sent again. "Permanent" means the same
/// request fails the same way however often it is sent, so the client
/// returns at once.
///
/// ```
/// use clerk_core::TransportErrorKind;
///
/// assert!(TransportErrorKind::Connect.is_request_not_sent());
/// assert!(!TransportErrorKind::Timeout.is_request_not_sent());
/// assert!(TransportErrorKind::Certificate.is_permanent());
/// assert!(!TransportErrorKind::Tls.is_permanent());
/// assert_eq!(TransportErrorKind::BodyTooLarge.as_str(), "body_too_large");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The cleartext rule refused the request before a connection was
    /// opened: plain `http` to a host that is not loopback, or `https` over a
    /// stream that is not TLS. The secret key did not leave.
    InsecureScheme,
    /// The request cannot be sent as built (a relative URI, a scheme other
    /// than `http`/`https`, a header the stack cannot carry).
    InvalidRequest,
    /// A rule of the host or the transport refused to send it (a browser
    /// window holding the secret key, a host with no `fetch`, a host policy
    /// that denies the destination).
    Refused,
    /// No connection could be opened: the name did not resolve, the
    /// connection was refused, the network is unreachable.
    Connect,
    /// Opening the connection (TCP, the TLS handshake, an HTTP/2 handshake)
    /// took longer than the connect deadline.
    ConnectTimeout,
    /// The TLS handshake failed for a reason that may pass (an alert, a
    /// connection closed during the handshake).
    Tls,
    /// The peer's certificate was refused (expired, for another name, no
    /// trusted issuer).
    Certificate,
    /// The proxy failed before the request reached it (unreachable, closed,
    /// refused to open a tunnel).
    Proxy,
    /// The proxy will not carry the request as configured (it asked for
    /// credentials, or the proxy settings cannot be used).
    ProxyRejected,
    /// The request deadline passed after the connection was open: the
    /// request may have reached the server.
    Timeout,
    /// The connection failed during the exchange (reset, closed before the
    /// whole response): the request may have reached the server.
    Io,
    /// The server broke HTTP (an unparsable head, bad framing).
    Protocol,
    /// The response body is larger than the transport's cap.
    BodyTooLarge,
    /// Anything else: the request may have reached the server.
    Other,
}

impl TransportErrorKind {
    /// `true` when no byte of the request reached the server.
    ///
    /// See [`TransportErrorKind`] for the table.
    pub fn is_request_not_sent(self) -> bool {
        use TransportErrorKind::*;
        matches!(
            self,
            InsecureScheme
                | InvalidRequest
                | Refused
                | Connect
                | ConnectTimeout
                | Tls
                | Certificate
                | Proxy
                | ProxyRejected
        )
    }

    /// `true` for the two deadline kinds.
    ///
    /// ```
    /// assert!(clerk_core::TransportErrorKind::ConnectTimeout.is_timeout());
    /// ```
    pub fn is_timeout(self) -> bool {
        matches!(self, Self::ConnectTimeout | Self::Timeout)
    }

    /// `true` when sending the same request again cannot help.
    ///
    /// See [`TransportErrorKind`] for the table.
    pub fn is_permanent(self) -> bool {
        use TransportErrorKind::*;
        matches!(
            self,
            InsecureScheme | InvalidRequest | Refused | Certificate | ProxyRejected
        )
    }

    /// A short, stable, secret-free label for logs and metrics.
    ///
    /// ```
    /// assert_eq!(clerk_core::TransportErrorKind::ConnectTimeout.as_str(), "connect_timeout");
    /// ```
    pub fn as_str(self) -> &'static str {
        use TransportErrorKind::*;
        match self {
            InsecureScheme => "insecure_scheme",
            InvalidRequest => "invalid_request",
            Refused => "refused",
            Connect => "connect",
            ConnectTimeout => "connect_timeout",
            Tls => "tls",
            Certificate => "certificate",
            Proxy => "proxy",
            ProxyRejected => "proxy_rejected",
            Timeout => "timeout",
            Io => "io",
            Protocol => "protocol",
            BodyTooLarge => "body_too_large",
            Other => "other",
        }
    }

    /// Every kind, in the order of the table.
    ///
    /// ```
    /// assert_eq!(clerk_core::TransportErrorKind::ALL.len(), 14);
    /// ```
    pub const ALL: [TransportErrorKind; 14] = {
        use TransportErrorKind::*;
        [
            InsecureScheme,
            InvalidRequest,
            Refused,
            Connect,
            ConnectTimeout,
            Tls,
            Certificate,
            Proxy,
            ProxyRejected,
            Timeout,
            Io,
            Protocol,
            BodyTooLarge,
            Other,
        ]
    };
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permanent_and_timeout_kinds_are_consistent() {
        for kind in TransportErrorKind::ALL {
            // Refused before anything left, or never retried: a permanent
            // failure is always one that did not reach the server.
            if kind.is_permanent() {
                assert!(kind.is_request_not_sent(), "{kind}");
                assert!(!kind.is_timeout(), "{kind}");
            }
        }
        let labels: std::collections::HashSet<_> =
            TransportErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(labels.len(), TransportErrorKind::ALL.len());
    }
}
