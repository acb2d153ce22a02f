//! The CLI's transport: clerk-hyper's, plus one stderr line per attempt with
//! `-v`.

use std::cell::Cell;
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Duration, Instant};

use clerk_core::{CLERK_TRACE_ID, HttpRequest, HttpResponse, HttpTransport};
use clerk_hyper::{Error as HyperError, HyperTransport};

/// Wraps [`HyperTransport`]: counts attempts and logs each one with `-v`.
///
/// The log line holds the method, the path, the status, the duration and the
/// `Clerk-Trace-Id`: never a header of the request (the key travels in
/// `Authorization`) nor a byte of a body (a created token's body holds the
/// token and its url).
pub(crate) struct LoggingTransport {
    inner: HyperTransport,
    verbose: bool,
    attempts: Cell<u32>,
}

impl LoggingTransport {
    /// Wraps `inner`.
    pub(crate) fn new(inner: HyperTransport, verbose: bool) -> Self {
        Self {
            inner,
            verbose,
            attempts: Cell::new(0),
        }
    }

    /// How many requests were handed to the transport.
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts.get()
    }
}

impl HttpTransport for LoggingTransport {
    type Error = HyperError;

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HyperError> {
        let attempt = self.attempts.get().saturating_add(1);
        self.attempts.set(attempt);
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let started = Instant::now();
        let result = self.inner.send(request).await;
        let elapsed = started.elapsed();
        if self.verbose {
            let mut line = format!("attempt {attempt}: {method} {path} -> ");
            match &result {
                Ok(response) => {
                    let status = response.status();
                    let _ = write!(line, "{}", status.as_u16());
                    if let Some(reason) = status.canonical_reason() {
                        let _ = write!(line, " {reason}");
                    }
                    let trace = response
                        .headers()
                        .get(&CLERK_TRACE_ID)
                        .map(|v| loggable_trace_id(v.as_bytes()));
                    let _ = write!(
                        line,
                        ", {}, trace id {}",
                        millis(elapsed),
                        trace.as_deref().unwrap_or("-")
                    );
                }
                Err(e) => {
                    let _ = write!(
                        line,
                        "no response ({}), {}, trace id -",
                        e.kind(),
                        millis(elapsed)
                    );
                }
            }
            line.push('\n');
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        }
        result
    }
}

fn millis(d: Duration) -> String {
    format!("{:.1}ms", d.as_secs_f64() * 1000.0)
}

/// A trace id as the server sent it, made safe for a log line: visible ASCII
/// only, at most 128 characters, and never anything shaped like a secret key.
fn loggable_trace_id(raw: &[u8]) -> String {
    let text: String = raw
        .iter()
        .take(128)
        .map(|&b| {
            if b.is_ascii_graphic() {
                char::from(b)
            } else {
                '?'
            }
        })
        .collect();
    if text.contains("sk_test_") || text.contains("sk_live_") || text.contains("__clerk_ticket") {
        "[redacted]".to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_ids_are_made_safe() {
        assert_eq!(loggable_trace_id(b"abc-123"), "abc-123");
        assert_eq!(loggable_trace_id(b"a b\x1b"), "a?b?");
        assert_eq!(loggable_trace_id(b"x sk_live_abc"), "[redacted]");
        assert_eq!(loggable_trace_id(&[b'a'; 500]).len(), 128);
    }
}
