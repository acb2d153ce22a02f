//! What can go wrong while `fetch` moves a request, and whether it left.

use std::fmt;
use std::time::Duration;

use clerk_core::TransportError;

/// Why [`FetchTransport`](crate::FetchTransport) could not deliver a response.
///
/// Messages that come from JavaScript (a rejected `fetch`, a failed body
/// read) are kept, so the host's own words reach the user, but any copy of
/// the request's `Authorization` value is replaced with `[redacted]` first
/// and they are cut at 300 bytes. No variant holds a header or a body byte.
///
/// | variant | [`is_request_not_sent`] | [`is_timeout`] | [`is_permanent`] |
/// |---|---|---|---|
/// | [`Timeout`](Error::Timeout) | `false` | `true` | `false` |
/// | [`Fetch`](Error::Fetch) | when the host says so (Node: `ECONNREFUSED`, `ENOTFOUND`, ...) | `false` | `false` |
/// | [`Body`](Error::Body), [`BodyTooLarge`](Error::BodyTooLarge), [`InvalidResponse`](Error::InvalidResponse), [`OpaqueRedirect`](Error::OpaqueRedirect) | `false` | `false` | `false` |
/// | [`BrowserWindow`](Error::BrowserWindow), [`InsecureScheme`](Error::InsecureScheme), [`InvalidRequest`](Error::InvalidRequest), [`NoFetch`](Error::NoFetch) | `true` | `false` | `true` |
///
/// ```
/// use clerk_core::TransportError;
/// use clerk_fetch::Error;
///
/// fn advice(err: &Error) -> &'static str {
///     match err {
///         Error::BrowserWindow => "call Clerk from a server or a worker, not from a page",
///         Error::Timeout { .. } => "Clerk was slow; the client retries if it may",
///         e if e.is_request_not_sent() => "nothing left this process",
///         _ => "the request may have reached Clerk",
///     }
/// }
/// assert_eq!(advice(&Error::NoFetch), "nothing left this process");
/// ```
///
/// [`is_request_not_sent`]: clerk_core::TransportError::is_request_not_sent
/// [`is_timeout`]: clerk_core::TransportError::is_timeout
/// [`is_permanent`]: clerk_core::TransportError::is_permanent
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The per-request deadline ran out (sending, waiting for the head, or
    /// reading the body); the request was aborted through its `AbortSignal`.
    /// It may have reached the server.
    #[non_exhaustive]
    Timeout {
        /// The deadline, see
        /// [`Builder::request_timeout`](crate::Builder::request_timeout).
        after: Duration,
    },
    /// The host's `fetch` rejected: a network failure, a refused connection,
    /// a CORS refusal in a browser, a host rule (workerd refuses some
    /// addresses). Unless the host said that the connection never opened,
    /// the request may have been sent.
    #[non_exhaustive]
    Fetch {
        /// The JavaScript error's name and message, e.g.
        /// `TypeError: fetch failed (connect ECONNREFUSED 127.0.0.1:9)`.
        message: String,
        /// `true` when the host's error says no connection was opened.
        not_sent: bool,
    },
    /// Reading the response body failed after the head arrived.
    #[non_exhaustive]
    Body {
        /// The JavaScript error's name and message.
        message: String,
    },
    /// The response body is larger than the transport accepts; reading
    /// stopped there and the body was not kept.
    #[non_exhaustive]
    BodyTooLarge {
        /// The cap in bytes, see
        /// [`Builder::max_body_bytes`](crate::Builder::max_body_bytes).
        limit: usize,
    },
    /// The host handed over a response that HTTP cannot represent (a header
    /// name or value outside HTTP's grammar). The request was sent.
    #[non_exhaustive]
    InvalidResponse {
        /// What is wrong, in words.
        reason: &'static str,
    },
    /// The server answered with a redirect that the host hides (a browser's
    /// `opaqueredirect` response: no status, no headers). Redirects are never
    /// followed, so the secret key did not travel further.
    OpaqueRedirect,
    /// Refused before sending: this is a browser window (`window` and
    /// `document` exist), where anyone who opens the page can read the secret
    /// key. Call the API from a server, a Worker or a web worker, or opt in
    /// with
    /// [`Builder::dangerously_allow_browser_window`](crate::Builder::dangerously_allow_browser_window).
    BrowserWindow,
    /// Refused before sending: plain `http://` to a host that is not loopback,
    /// and [`Builder::allow_insecure_http`](crate::Builder::allow_insecure_http)
    /// is off. The secret key never left in cleartext.
    #[non_exhaustive]
    InsecureScheme {
        /// The host the request was for.
        host: String,
    },
    /// Refused before sending: the request cannot be expressed to `fetch` (a
    /// URI without scheme or host, a header value that is not visible ASCII,
    /// a scheme other than `http`/`https`).
    #[non_exhaustive]
    InvalidRequest {
        /// What is wrong, in words.
        reason: &'static str,
    },
    /// There is no `fetch` to call: the global scope has no `fetch` function,
    /// or this build is not for `wasm32-unknown-unknown` (the transport calls
    /// JavaScript and exists for JavaScript hosts only).
    NoFetch,
}

/// Longest JavaScript message kept, in bytes.
#[cfg_attr(
    not(all(target_arch = "wasm32", target_os = "unknown")),
    allow(dead_code)
)]
pub(crate) const MAX_MESSAGE_BYTES: usize = 300;

impl Error {
    /// A short, stable, secret-free label, for logs and metrics.
    ///
    /// ```
    /// assert_eq!(clerk_fetch::Error::BrowserWindow.kind(), "browser_window");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Timeout { .. } => "timeout",
            Error::Fetch { .. } => "fetch",
            Error::Body { .. } => "body",
            Error::BodyTooLarge { .. } => "body_too_large",
            Error::InvalidResponse { .. } => "invalid_response",
            Error::OpaqueRedirect => "opaque_redirect",
            Error::BrowserWindow => "browser_window",
            Error::InsecureScheme { .. } => "insecure_scheme",
            Error::InvalidRequest { .. } => "invalid_request",
            Error::NoFetch => "no_fetch",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Timeout { after } => write!(
                f,
                "the request was aborted after its {} ms deadline",
                after.as_millis()
            ),
            Error::Fetch { message, .. } => write!(f, "fetch failed: {message}"),
            Error::Body { message } => write!(f, "reading the response body failed: {message}"),
            Error::BodyTooLarge { limit } => {
                write!(f, "the response body is larger than {limit} bytes")
            }
            Error::InvalidResponse { reason } => write!(f, "invalid response: {reason}"),
            Error::OpaqueRedirect => f.write_str(
                "the server answered with a redirect that the host hides (opaqueredirect); \
                 redirects are not followed",
            ),
            Error::BrowserWindow => f.write_str(
                "refused to send the Clerk secret key from a browser window, where anyone who \
                 opens the page can read it: call Clerk from a server, a Worker or a web worker \
                 (or opt in with Builder::dangerously_allow_browser_window)",
            ),
            Error::InsecureScheme { host } => write!(
                f,
                "refused to send the secret key over plain http to {host}: use https, or http \
                 to a loopback host only"
            ),
            Error::InvalidRequest { reason } => write!(f, "invalid request: {reason}"),
            Error::NoFetch => f.write_str(
                "no fetch to call: the JavaScript global scope has no fetch function, or this \
                 build is not for wasm32-unknown-unknown",
            ),
        }
    }
}

impl std::error::Error for Error {}

impl TransportError for Error {
    fn is_request_not_sent(&self) -> bool {
        match self {
            Error::Fetch { not_sent, .. } => *not_sent,
            Error::BrowserWindow
            | Error::InsecureScheme { .. }
            | Error::InvalidRequest { .. }
            | Error::NoFetch => true,
            Error::Timeout { .. }
            | Error::Body { .. }
            | Error::BodyTooLarge { .. }
            | Error::InvalidResponse { .. }
            | Error::OpaqueRedirect => false,
        }
    }

    fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    fn is_permanent(&self) -> bool {
        matches!(
            self,
            Error::BrowserWindow
                | Error::InsecureScheme { .. }
                | Error::InvalidRequest { .. }
                | Error::NoFetch
        )
    }
}

/// A JavaScript message made safe to keep: every occurrence of each of
/// `secrets` (non-empty ones) replaced with `[redacted]`, control characters
/// replaced with spaces, cut at [`MAX_MESSAGE_BYTES`] on a character
/// boundary.
#[cfg_attr(
    not(all(target_arch = "wasm32", target_os = "unknown")),
    allow(dead_code)
)]
pub(crate) fn scrub<S: AsRef<str>>(message: &str, secrets: &[S]) -> String {
    let mut out = message.to_owned();
    for secret in secrets.iter().map(AsRef::as_ref).filter(|s| !s.is_empty()) {
        if out.contains(secret) {
            out = out.replace(secret, "[redacted]");
        }
    }
    let mut out: String = out
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if out.len() > MAX_MESSAGE_BYTES {
        let mut end = MAX_MESSAGE_BYTES;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        out.push('…');
    }
    out
}

/// Node's (undici's) codes for a connection that never opened.
#[cfg_attr(
    not(all(target_arch = "wasm32", target_os = "unknown")),
    allow(dead_code)
)]
pub(crate) fn is_not_sent_code(code: &str) -> bool {
    matches!(
        code,
        "ECONNREFUSED" | "ENOTFOUND" | "EAI_AGAIN" | "EHOSTUNREACH" | "ENETUNREACH"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENTINEL: &str = "sk_test_SENTINEL_dont_leak_42";

    #[test]
    fn scrub_removes_every_copy_of_a_secret() {
        let message = format!("Headers.append: \"Bearer {SENTINEL}\" is invalid; {SENTINEL}");
        let out = scrub(&message, &[&format!("Bearer {SENTINEL}"), SENTINEL, ""]);
        assert!(!out.contains(SENTINEL), "{out}");
        assert!(out.contains("[redacted]"));
    }

    #[test]
    fn scrub_cuts_long_messages_on_a_char_boundary() {
        let long = "é".repeat(400);
        let out = scrub::<&str>(&long, &[]);
        assert!(out.len() <= MAX_MESSAGE_BYTES + '…'.len_utf8());
        assert!(out.ends_with('…'));
        assert_eq!(scrub::<&str>("a\nb\u{7}c", &[]), "a b c");
    }

    #[test]
    fn classification() {
        let refused = Error::Fetch {
            message: "TypeError: fetch failed".into(),
            not_sent: true,
        };
        assert!(refused.is_request_not_sent() && !refused.is_permanent());
        let lost = Error::Fetch {
            message: "TypeError: Network connection lost.".into(),
            not_sent: false,
        };
        assert!(!lost.is_request_not_sent());
        let timeout = Error::Timeout {
            after: Duration::from_millis(5),
        };
        assert!(timeout.is_timeout() && !timeout.is_request_not_sent());
        for e in [
            Error::BrowserWindow,
            Error::NoFetch,
            Error::InsecureScheme { host: "x".into() },
            Error::InvalidRequest { reason: "r" },
        ] {
            assert!(e.is_request_not_sent() && e.is_permanent(), "{e}");
        }
        for e in [
            Error::BodyTooLarge { limit: 1 },
            Error::OpaqueRedirect,
            Error::Body {
                message: "m".into(),
            },
        ] {
            assert!(!e.is_request_not_sent() && !e.is_permanent(), "{e}");
        }
        assert!(is_not_sent_code("ECONNREFUSED"));
        assert!(!is_not_sent_code("ECONNRESET"));
    }

    #[test]
    fn display_names_the_opt_in() {
        let text = Error::BrowserWindow.to_string();
        assert!(text.contains("browser window"));
        assert!(text.contains("dangerously_allow_browser_window"));
        assert_eq!(
            Error::Timeout {
                after: Duration::from_millis(1500)
            }
            .to_string(),
            "the request was aborted after its 1500 ms deadline"
        );
        for after in [
            Duration::ZERO,
            Duration::from_micros(999),
            Duration::from_millis(7),
            Duration::from_millis(1000),
            Duration::from_millis(10_005),
            Duration::from_secs(86_400),
            Duration::MAX,
        ] {
            assert_eq!(
                Error::Timeout { after }.to_string(),
                format!(
                    "the request was aborted after its {} ms deadline",
                    after.as_millis()
                )
            );
        }
    }
}
