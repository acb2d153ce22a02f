//! Turning every failure into an exit status and one paragraph on stderr.

use std::error::Error as StdError;
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

use clerk_core::TransportErrorKind;
use clerk_core::{ApiError, Error, InvalidInput, SecretKeyError};
use clerk_hyper::{Error as HyperError, ProxyError, ProxyFailure};

use crate::ExitStatus;

/// A failed command: how to exit and what to say.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: ExitStatus,
    message: String,
}

impl Failure {
    pub(crate) fn new(status: ExitStatus, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// Removes every occurrence of `secret` from the message: a server that
    /// echoes the key must not get it printed, whatever shape it echoes.
    pub(crate) fn without(mut self, secret: &str) -> Self {
        if !secret.is_empty() && self.message.contains(secret) {
            self.message = self.message.replace(secret, "[redacted]");
        }
        self
    }

    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(ExitStatus::Usage, message)
    }

    pub(crate) fn no_answer(message: impl Into<String>) -> Self {
        Self::new(ExitStatus::NoAnswer, message)
    }

    /// Writes `error: …` as one line on stderr. Control characters (which a
    /// server's text could carry) are replaced, so the paragraph stays one
    /// line and cannot drive the terminal.
    pub(crate) fn print(&self) {
        let line = format!("error: {}\n", one_line(&self.message));
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// `text` with every control character replaced by a space (or `?` for
/// escapes), and runs of spaces squeezed.
pub(crate) fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '?',
            c => c,
        };
        if c == ' ' && out.ends_with(' ') {
            continue;
        }
        out.push(c);
    }
    out.trim().to_owned()
}

/// A problem with the secret key in the environment.
pub(crate) fn secret_key(e: &SecretKeyError) -> Failure {
    match e {
        SecretKeyError::EnvMissing { name } => Failure::usage(format!(
            "the environment variable {name} is not set: export your Clerk secret key \
             (sk_test_... or sk_live_...) in it, or try --mock; nothing was sent"
        )),
        other => Failure::usage(format!(
            "{}: {other}; nothing was sent",
            clerk_core::SECRET_KEY_ENV
        )),
    }
}

/// Input refused before anything was sent, named as on the command line.
pub(crate) fn invalid_input(e: &InvalidInput) -> Failure {
    let name = match e.field() {
        "user_id" => "--user-id",
        "org_id" => "--org-id",
        "expires_in_seconds" => "--expires-in-seconds",
        "sign_in_token_id" => "SIGN_IN_TOKEN_ID",
        "base_url" => "--api-url (or CLERK_API_URL)",
        "api_version" => "--api-version",
        other => other,
    };
    let problem = match e.field() {
        // clerk-core's text names its builder method; say it for the flag.
        "api_version" => "must be a version such as 2025-11-10: visible ASCII, no spaces",
        _ => e.problem(),
    };
    Failure::usage(format!("invalid {name}: {problem}; nothing was sent"))
}

/// The exit status and message for a failed call.
///
/// | clerk-core error | exit |
/// |---|---|
/// | `InvalidInput` | 2 |
/// | `Api` (Clerk's error body) | 1 |
/// | `UnexpectedResponse` (any status without a Clerk error body) | 3 |
/// | `Decode` (a success whose body does not fit) | 3 |
/// | `Transport` of kind `InsecureScheme` or `InvalidRequest` (refused before connecting) | 2 |
/// | `Transport` with a proxy `Misconfigured` or `CleartextOrigin` (refused before connecting) | 2 |
/// | `Transport` of any other kind (timeouts, connect, TLS, body too large, I/O, protocol) | 3 |
/// | `CallTimeout` (the whole-call deadline) | 3 |
pub(crate) fn call(err: &Error<HyperError>, base_url: &str, attempts: u32) -> Failure {
    let after = if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    };
    match err {
        Error::InvalidInput(e) => invalid_input(e),
        Error::Api(api) => {
            let mut message = api_error(api, err.retry_after_delay());
            if api.status().as_u16() == 404 && !has_path_prefix(base_url) {
                message.push_str(&format!(
                    ". Is --api-url missing its path prefix? Clerk's is {}, a mock-server's \
                     http://127.0.0.1:PORT/v1",
                    clerk_core::DEFAULT_BASE_URL
                ));
            }
            Failure::new(ExitStatus::ClerkError, format!("{message}{after}"))
        }
        Error::UnexpectedResponse(e) => {
            Failure::no_answer(format!("no valid answer from {base_url}: {e}{after}"))
        }
        Error::Decode(e) => {
            Failure::no_answer(format!("no valid answer from {base_url}: {e}{after}"))
        }
        Error::Transport(t) => {
            let e = t.get_ref();
            let proxy = e.find::<ProxyError>().map(ProxyError::failure);
            match (e.kind(), proxy) {
                (_, Some(ProxyFailure::Misconfigured | ProxyFailure::CleartextOrigin)) => {
                    Failure::usage(format!(
                        "cannot send to {base_url}: {}; nothing was sent",
                        with_sources(e)
                    ))
                }
                (TransportErrorKind::InsecureScheme, _) => Failure::usage(format!(
                    "refusing to send the secret key over plain http to `{}`, which is not a \
                     loopback host: use an https --api-url (or --allow-insecure-http behind a \
                     TLS-terminating proxy you trust); nothing was sent",
                    host_of(base_url)
                )),
                (TransportErrorKind::InvalidRequest, _) => {
                    Failure::usage(format!("cannot send to {base_url}: {e}; nothing was sent"))
                }
                _ => Failure::no_answer(format!(
                    "no answer from {base_url}: {}{after}",
                    with_sources(e)
                )),
            }
        }
        Error::CallTimeout(t) => {
            Failure::no_answer(format!("no answer from {base_url}: {}", with_sources(&**t)))
        }
        other => Failure::no_answer(format!("no valid answer from {base_url}: {other}{after}")),
    }
}

/// The host of `base_url`, for messages.
fn host_of(base_url: &str) -> String {
    base_url
        .parse::<clerk_core::http::Uri>()
        .ok()
        .and_then(|uri| uri.host().map(str::to_owned))
        .unwrap_or_else(|| base_url.to_owned())
}

/// Whether `base_url` (as clerk-core normalised it: `scheme://authority`
/// and a prefix without a trailing slash) has a path prefix such as `/v1`.
fn has_path_prefix(base_url: &str) -> bool {
    let after_scheme = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    after_scheme.contains('/')
}

/// Clerk's error: status, every code with its message, and the trace id.
fn api_error(api: &ApiError, retry_after: Option<Duration>) -> String {
    let status = api.status();
    let mut out = format!("Clerk answered {}", status.as_u16());
    if let Some(reason) = status.canonical_reason() {
        let _ = write!(out, " {reason}");
    }
    if api.errors().is_empty() {
        out.push_str(" with no error details");
    }
    for (i, e) in api.errors().iter().enumerate() {
        out.push_str(if i == 0 { ": " } else { "; " });
        out.push_str(if e.code.is_empty() {
            "(no code)"
        } else {
            &e.code
        });
        let long = e.long_message.as_deref().unwrap_or("").trim();
        let short = e.message.trim();
        match (short.is_empty(), long.is_empty()) {
            (false, false) if !short.eq_ignore_ascii_case(long) => {
                let _ = write!(out, ": {short} - {long}");
            }
            (false, _) => {
                let _ = write!(out, ": {short}");
            }
            (true, false) => {
                let _ = write!(out, ": {long}");
            }
            (true, true) => {}
        }
    }
    match api.clerk_trace_id() {
        Some(id) => {
            let _ = write!(out, " (trace id {id})");
        }
        None => out.push_str(" (no trace id)"),
    }
    match status.as_u16() {
        401 | 403 => {
            out.push_str(". Check that CLERK_SECRET_KEY holds a valid key for this instance")
        }
        429 => {
            if let Some(wait) = retry_after {
                let _ = write!(out, ". Clerk asked to wait {}s", wait.as_secs());
            }
        }
        _ => {}
    }
    out
}

/// `err: its source: that source's source…`, skipping repeats. Transport
/// errors never quote headers or bodies, so their chain is safe to show.
pub(crate) fn with_sources(err: &(dyn StdError + 'static)) -> String {
    let mut out = err.to_string();
    let mut last = out.clone();
    let mut next = err.source();
    let mut depth = 0;
    while let Some(e) = next {
        depth += 1;
        if depth > 8 {
            break;
        }
        let text = e.to_string();
        if !text.is_empty() && text != last && !last.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        last = text;
        next = e.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_prefixes() {
        assert!(has_path_prefix("https://api.clerk.com/v1"));
        assert!(!has_path_prefix("http://127.0.0.1:4010"));
    }

    #[test]
    fn one_line_flattens_and_defuses() {
        assert_eq!(one_line("a\nb\r\n  c\x1b[31m"), "a b c?[31m");
    }
}
