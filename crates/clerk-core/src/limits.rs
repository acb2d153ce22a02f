//! The limits every transport keeps, their defaults, and the deadline of one
//! attempt.
//!
//! Each adapter crate's builder holds a [`TransportLimits`] and offers the
//! same four settings under the same names (`request_timeout`,
//! `connect_timeout`, `max_body_bytes`, `allow_insecure_http`); the values
//! and their meaning are defined here, once.

use std::time::Duration;

#[cfg(doc)]
use crate::transport::HttpTransport;

/// The default deadline on one attempt, from the start of connecting to the
/// last body byte: 10 s. Clerk answers in well under a second; ten leaves room
/// for a slow network without holding a caller for long.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The default deadline on opening a connection (TCP, TLS handshake, HTTP/2
/// handshake): 5 s. A host that cannot be reached fails fast, and as "not
/// sent", so even a create may be retried.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The default cap on a response body: 1 MiB. A Clerk answer is about 1 KiB;
/// anything near the cap is not Clerk.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The default deadline on a whole call, attempts and the waits between them
/// together: 30 s.
///
/// Why 30 s: it holds two whole attempts at the default 10 s request
/// deadline with the default backoff between them (10 + 0.5 + 10 s) and
/// leaves the rest for a third attempt or a short `Retry-After`, while a
/// call made from a request handler still ends before the 30 s that common
/// front proxies and platforms give a request (Heroku's router, Cloud Run's
/// and many load balancers' defaults are 30 to 60 s). Without it, the
/// defaults allowed three attempts of 10 s plus two waits of up to 30 s: more
/// than a minute and a half.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// What a transport enforces on every request: the deadlines, the body cap
/// and whether plain `http` may leave this machine.
///
/// Every adapter crate's `Builder` keeps one and sets it through methods of
/// the same names; [`TransportLimits::default`] holds the defaults above.
///
/// ```
/// use std::time::Duration;
/// use clerk_core::TransportLimits;
///
/// let limits = TransportLimits::default();
/// assert_eq!(limits.request_timeout, Some(Duration::from_secs(10)));
/// assert_eq!(limits.connect_timeout, Some(Duration::from_secs(5)));
/// assert_eq!(limits.max_body_bytes, 1024 * 1024);
/// assert!(!limits.allow_insecure_http);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportLimits {
    /// The deadline on one attempt, connecting to the last body byte; `None`
    /// for none (default [`DEFAULT_REQUEST_TIMEOUT`]).
    pub request_timeout: Option<Duration>,
    /// The deadline on opening a connection; `None` leaves only the request
    /// deadline (default [`DEFAULT_CONNECT_TIMEOUT`]). A transport whose host
    /// owns connecting (a JavaScript `fetch`) cannot apply it.
    pub connect_timeout: Option<Duration>,
    /// The most response body read, in bytes (default
    /// [`DEFAULT_MAX_BODY_BYTES`]).
    pub max_body_bytes: usize,
    /// Whether plain `http` may go to hosts that are not loopback (default
    /// `false`). See [`check_request`](crate::check_request).
    pub allow_insecure_http: bool,
}

impl Default for TransportLimits {
    fn default() -> Self {
        Self {
            request_timeout: Some(DEFAULT_REQUEST_TIMEOUT),
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            allow_insecure_http: false,
        }
    }
}

impl TransportLimits {
    /// The defaults.
    ///
    /// ```
    /// assert_eq!(clerk_core::TransportLimits::new(), clerk_core::TransportLimits::default());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The deadline for an attempt that has `remaining` of the call's
    /// whole deadline left (what [`HttpTransport::send_within`] is given):
    /// the shorter of the two. `None` when neither is set.
    ///
    /// ```
    /// use std::time::Duration;
    /// use clerk_core::TransportLimits;
    ///
    /// let limits = TransportLimits::default();
    /// assert_eq!(limits.attempt_timeout(None), Some(Duration::from_secs(10)));
    /// assert_eq!(limits.attempt_timeout(Some(Duration::from_secs(3))), Some(Duration::from_secs(3)));
    /// ```
    pub fn attempt_timeout(&self, remaining: Option<Duration>) -> Option<Duration> {
        match (self.request_timeout, remaining) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
