//! What a JavaScript host's failures mean, as clerk-core's
//! [`TransportErrorKind`]s: this module only says which kind a failure is;
//! what each kind means for a retry is clerk-core's table.

use std::time::Duration;

use clerk_core::{SendError, TransportErrorKind};

/// Longest JavaScript message kept, in bytes.
#[cfg_attr(
    not(all(target_arch = "wasm32", target_os = "unknown")),
    allow(dead_code)
)]
pub(crate) const MAX_MESSAGE_BYTES: usize = 300;

/// Refused before sending: this is a browser window, where anyone who opens
/// the page can read the secret key.
#[cfg_attr(
    not(all(target_arch = "wasm32", target_os = "unknown")),
    allow(dead_code)
)]
pub(crate) fn browser_window() -> SendError {
    SendError::new(
        TransportErrorKind::Refused,
        "refused to send the Clerk secret key from a browser window, where anyone who \
         opens the page can read it: call Clerk from a server, a Worker or a web worker \
         (or opt in with Builder::dangerously_allow_browser_window)",
    )
}

/// There is no `fetch` to call.
pub(crate) fn no_fetch() -> SendError {
    SendError::new(
        TransportErrorKind::Refused,
        "no fetch to call: the JavaScript global scope has no fetch function, or this \
         build is not for wasm32-unknown-unknown",
    )
}

/// A redirect the host hides (a browser's `opaqueredirect` response).
#[cfg_attr(
    not(all(target_arch = "wasm32", target_os = "unknown")),
    allow(dead_code)
)]
pub(crate) fn opaque_redirect() -> SendError {
    SendError::new(
        TransportErrorKind::Protocol,
        "the server answered with a redirect that the host hides (opaqueredirect); \
         redirects are not followed",
    )
}

/// `fetch` rejected with `message` (already scrubbed): not sent when the
/// host said the connection never opened.
#[cfg_attr(
    not(all(target_arch = "wasm32", target_os = "unknown")),
    allow(dead_code)
)]
pub(crate) fn fetch_failed(message: &str, not_sent: bool) -> SendError {
    let kind = if not_sent {
        TransportErrorKind::Connect
    } else {
        TransportErrorKind::Other
    };
    let before = if not_sent {
        " before the request was sent"
    } else {
        ""
    };
    SendError::new(kind, format!("fetch failed{before}: {message}"))
}

/// Reading the body failed with `message` (already scrubbed).
#[cfg_attr(
    not(all(target_arch = "wasm32", target_os = "unknown")),
    allow(dead_code)
)]
pub(crate) fn body_failed(message: &str) -> SendError {
    SendError::new(
        TransportErrorKind::Io,
        format!("reading the response body failed: {message}"),
    )
}

/// The host handed over a response HTTP cannot represent.
#[cfg_attr(
    not(all(target_arch = "wasm32", target_os = "unknown")),
    allow(dead_code)
)]
pub(crate) fn invalid_response(reason: &str) -> SendError {
    SendError::new(
        TransportErrorKind::Protocol,
        format!("invalid response: {reason}"),
    )
}

/// The attempt's deadline aborted the request.
#[cfg_attr(
    not(all(target_arch = "wasm32", target_os = "unknown")),
    allow(dead_code)
)]
pub(crate) fn timeout(after: Duration) -> SendError {
    SendError::timeout(Some(after))
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

/// Whether a host's error code says no connection was opened: Node's
/// (undici's) `ECONNREFUSED` and friends, Bun's `ConnectionRefused` and
/// friends.
#[cfg_attr(
    not(all(target_arch = "wasm32", target_os = "unknown")),
    allow(dead_code)
)]
pub(crate) fn is_not_sent_code(code: &str) -> bool {
    matches!(
        code,
        // Node (undici)
        "ECONNREFUSED" | "ENOTFOUND" | "EAI_AGAIN" | "EHOSTUNREACH" | "ENETUNREACH"
        // Bun
        | "ConnectionRefused" | "FailedToOpenSocket" | "ENOTFOUND_DNS"
    )
}

/// Whether a host's message says no connection was opened, for hosts that
/// give no code: Deno (`error sending request ... client error (Connect):
/// tcp connect error: Connection refused (os error 111)`, or a `dns error`).
/// Only phrases that name the connect step count: a connection that failed
/// later may have carried the request.
#[cfg_attr(
    not(all(target_arch = "wasm32", target_os = "unknown")),
    allow(dead_code)
)]
pub(crate) fn is_not_sent_message(message: &str) -> bool {
    message.contains("client error (Connect)")
        || message.contains("tcp connect error")
        || message.contains("dns error")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clerk_core::TransportError;

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
        let refused = fetch_failed("TypeError: fetch failed", true);
        assert!(refused.is_request_not_sent() && !refused.is_permanent());
        let lost = fetch_failed("TypeError: Network connection lost.", false);
        assert!(!lost.is_request_not_sent());
        assert!(timeout(Duration::from_millis(5)).is_timeout());
        for e in [browser_window(), no_fetch()] {
            assert!(e.is_request_not_sent() && e.is_permanent(), "{e}");
        }
        for e in [opaque_redirect(), body_failed("m"), invalid_response("r")] {
            assert!(!e.is_request_not_sent() && !e.is_permanent(), "{e}");
        }
        assert!(is_not_sent_code("ECONNREFUSED") && is_not_sent_code("ConnectionRefused"));
        assert!(!is_not_sent_code("ECONNRESET"));
    }

    /// Defect: Deno's refused connection has no code, so it was "maybe
    /// sent" there and "not sent" in Node and Bun. Its message names the
    /// connect step; a reset after connecting does not.
    #[test]
    fn deno_says_not_sent_in_words() {
        assert!(is_not_sent_message(
            "TypeError: error sending request for url (http://127.0.0.1:9/v1/sign_in_tokens): \
             client error (Connect): tcp connect error: Connection refused (os error 111)"
        ));
        assert!(is_not_sent_message(
            "TypeError: error sending request for url (https://api.clerk.invalid/v1): \
             client error (Connect): dns error: failed to lookup address information"
        ));
        assert!(!is_not_sent_message(
            "TypeError: error sending request for url (http://127.0.0.1:9/v1): \
             client error (SendRequest): connection closed before message completed"
        ));
    }

    #[test]
    fn display_names_the_opt_in() {
        let text = browser_window().to_string();
        assert!(text.contains("browser window"));
        assert!(text.contains("dangerously_allow_browser_window"));
        assert_eq!(
            timeout(Duration::from_millis(1500)).to_string(),
            "timed out: no whole response within 1500 ms"
        );
    }
}
