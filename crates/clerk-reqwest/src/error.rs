//! reqwest's errors, mapped onto clerk-core's [`TransportErrorKind`]s. What
//! each kind means for a retry is clerk-core's table; this module only says
//! which kind a failure is.

use std::io;
use std::time::Duration;

use clerk_core::{SendError, TransportErrorKind, error_chain};

/// Sorts a reqwest error; `deadline` is the attempt's deadline this
/// transport set, if it set one. The error is kept as the source, without
/// its URL.
pub(crate) fn from_reqwest(error: reqwest::Error, deadline: Option<Duration>) -> SendError {
    let error = error.without_url();
    sort(&error, deadline).with_source(error)
}

/// The kind and message [`from_reqwest`] gives `error`, without a source:
/// for an error only seen by reference (inside a middleware's error, or on
/// its way through the innermost middleware).
pub(crate) fn sort(error: &reqwest::Error, deadline: Option<Duration>) -> SendError {
    if error.is_timeout() {
        return if error.is_connect() {
            SendError::connect_timeout(None)
        } else {
            SendError::timeout(deadline)
        };
    }
    if error.is_connect() {
        return match tls_kind(error) {
            Some(TransportErrorKind::Certificate) => SendError::new(
                TransportErrorKind::Certificate,
                "the TLS handshake failed: the server's certificate was refused",
            ),
            Some(kind) => SendError::new(kind, "the TLS handshake with the server failed"),
            None => SendError::new(
                TransportErrorKind::Connect,
                "could not connect to the server",
            ),
        };
    }
    match broken_exchange(error) {
        Some(TransportErrorKind::Protocol) => SendError::new(
            TransportErrorKind::Protocol,
            "the server broke the HTTP protocol",
        ),
        Some(kind) => SendError::new(kind, "the connection failed during the exchange"),
        None => SendError::new(TransportErrorKind::Other, "the request failed"),
    }
}

/// Sorts an error met while reading a blocking body: reqwest puts its own
/// error inside the `io::Error`.
#[cfg(feature = "blocking")]
pub(crate) fn from_body_read(error: io::Error, deadline: Option<Duration>) -> SendError {
    if error.get_ref().is_some_and(|e| e.is::<reqwest::Error>()) {
        if let Some(inner) = error
            .into_inner()
            .and_then(|e| e.downcast::<reqwest::Error>().ok())
        {
            return from_reqwest(*inner, deadline);
        }
        return SendError::new(TransportErrorKind::Io, "the body read failed");
    }
    if error.kind() == io::ErrorKind::TimedOut {
        return SendError::timeout(deadline).with_source(error);
    }
    SendError::new(
        TransportErrorKind::Io,
        "the connection failed during the exchange",
    )
    .with_source(error)
}

/// What hyper (under reqwest) says went wrong after the connection opened:
/// [`Protocol`](TransportErrorKind::Protocol) or
/// [`Io`](TransportErrorKind::Io).
fn broken_exchange(error: &reqwest::Error) -> Option<TransportErrorKind> {
    let mut found = None;
    for cause in error_chain(error) {
        if let Some(h) = cause.downcast_ref::<hyper::Error>() {
            if h.is_parse() || h.is_parse_status() {
                return Some(TransportErrorKind::Protocol);
            }
            found = Some(TransportErrorKind::Io);
        }
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            // hyper's body decoder reports bad framing (a chunk size that
            // is not hexadecimal, a missing CRLF) as invalid input or data.
            if matches!(
                io.kind(),
                io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData
            ) {
                return Some(TransportErrorKind::Protocol);
            }
            found = Some(TransportErrorKind::Io);
        }
    }
    found
}

/// rustls's verdict below `error`: a refused certificate is
/// [`Certificate`](TransportErrorKind::Certificate), any other rustls error
/// [`Tls`](TransportErrorKind::Tls), as in clerk-hyper.
#[cfg(feature = "rustls")]
fn tls_kind(error: &reqwest::Error) -> Option<TransportErrorKind> {
    error_chain(error).find_map(|cause| match cause.downcast_ref::<rustls::Error>()? {
        rustls::Error::InvalidCertificate(_) => Some(TransportErrorKind::Certificate),
        _ => Some(TransportErrorKind::Tls),
    })
}

#[cfg(not(feature = "rustls"))]
fn tls_kind(_: &reqwest::Error) -> Option<TransportErrorKind> {
    None
}
