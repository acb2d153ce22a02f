//! Fault injection and request accounting.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::StatusCode;

/// A failure to inject into upcoming responses, with a Clerk-shaped error body.
///
/// The default error `code` depends on the status: `internal_error` for 5xx,
/// `too_many_requests` for 429, `resource_not_found` for 404,
/// `authorization_invalid` for 401/403, `bad_request` for 400 and
/// `injected_error` otherwise. Statuses below 400 are not failures and are
/// replaced by 500.
///
/// ```
/// use std::time::Duration;
/// use clerk_mock::Failure;
/// use http::StatusCode;
///
/// let f = Failure::new(StatusCode::SERVICE_UNAVAILABLE)
///     .with_retry_after(Duration::from_secs(2))
///     .with_code("service_unavailable");
/// assert_eq!(f.status(), StatusCode::SERVICE_UNAVAILABLE);
/// assert_eq!(f.retry_after_secs(), Some(2));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    status: StatusCode,
    retry_after: Option<u64>,
    code: Option<String>,
    message: Option<String>,
    long_message: Option<String>,
}

impl Failure {
    /// A failure answering with `status` and the default Clerk error for it.
    pub fn new(status: StatusCode) -> Self {
        let status = if status.as_u16() < 400 {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            status
        };
        Self {
            status,
            retry_after: None,
            code: None,
            message: None,
            long_message: None,
        }
    }

    /// Adds a `Retry-After` header; the value is sent in whole seconds, rounded
    /// up, and at least 1.
    #[must_use]
    pub fn with_retry_after(mut self, after: Duration) -> Self {
        let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
        self.retry_after = Some(secs.max(1));
        self
    }

    /// Replaces the error `code`.
    #[must_use]
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Replaces the error `message` and `long_message`.
    #[must_use]
    pub fn with_messages(
        mut self,
        message: impl Into<String>,
        long_message: impl Into<String>,
    ) -> Self {
        self.message = Some(message.into());
        self.long_message = Some(long_message.into());
        self
    }

    /// The HTTP status this failure answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `Retry-After` value in seconds, if any.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after
    }

    pub(crate) fn code_override(&self) -> Option<&str> {
        self.code.as_deref()
    }

    pub(crate) fn message_override(&self) -> Option<&str> {
        self.message.as_deref()
    }

    pub(crate) fn long_message_override(&self) -> Option<&str> {
        self.long_message.as_deref()
    }
}

impl From<StatusCode> for Failure {
    fn from(status: StatusCode) -> Self {
        Self::new(status)
    }
}

/// What the fault plan says about one request.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub(crate) delay: Duration,
    pub(crate) failure: Option<Failure>,
    pub(crate) drop_connection: bool,
}

/// The currently armed faults.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub(crate) delay: Duration,
    /// Queued failures: each entry fails its count of requests, in order.
    pub(crate) failures: VecDeque<(u64, Failure)>,
    pub(crate) drops: u64,
}

impl Faults {
    /// Consumes the faults that apply to the request arriving now.
    pub(crate) fn take(&mut self) -> Plan {
        let failure = match self.failures.front_mut() {
            Some((remaining, failure)) => {
                let f = failure.clone();
                *remaining -= 1;
                if *remaining == 0 {
                    self.failures.pop_front();
                }
                Some(f)
            }
            None => None,
        };
        let drop_connection = self.drops > 0;
        if drop_connection {
            self.drops -= 1;
        }
        Plan {
            delay: self.delay,
            failure,
            drop_connection,
        }
    }
}

/// Which operation a request addressed, for accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Create,
    Revoke,
    Other,
}

/// Counts of requests the server has received.
///
/// Every request is counted when it arrives, before fault injection,
/// authentication or rate limiting; `create` and `revoke` count `POST`s to
/// those operations' paths and `other` counts everything else (unknown paths
/// and wrong methods).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestCounts {
    /// All requests.
    pub total: u64,
    /// `POST /v1/sign_in_tokens`.
    pub create: u64,
    /// `POST /v1/sign_in_tokens/{id}/revoke`.
    pub revoke: u64,
    /// Anything else.
    pub other: u64,
}

/// Lock-free request counters.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    total: AtomicU64,
    create: AtomicU64,
    revoke: AtomicU64,
    other: AtomicU64,
}

impl Counters {
    pub(crate) fn record(&self, op: Operation) {
        self.total.fetch_add(1, Ordering::Relaxed);
        let counter = match op {
            Operation::Create => &self.create,
            Operation::Revoke => &self.revoke,
            Operation::Other => &self.other,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    pub(crate) fn snapshot(&self) -> RequestCounts {
        RequestCounts {
            total: self.total.load(Ordering::Relaxed),
            create: self.create.load(Ordering::Relaxed),
            revoke: self.revoke.load(Ordering::Relaxed),
            other: self.other.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn reset(&self) {
        for c in [&self.total, &self.create, &self.revoke, &self.other] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_consumed_in_order() {
        let mut faults = Faults::default();
        faults
            .failures
            .push_back((2, Failure::new(StatusCode::SERVICE_UNAVAILABLE)));
        faults
            .failures
            .push_back((1, Failure::new(StatusCode::TOO_MANY_REQUESTS)));
        faults.drops = 1;
        let statuses: Vec<_> = (0..4)
            .map(|_| faults.take().failure.map(|f| f.status().as_u16()))
            .collect();
        assert_eq!(statuses, [Some(503), Some(503), Some(429), None]);
        assert_eq!(faults.drops, 0);
    }

    #[test]
    fn non_error_statuses_become_500() {
        assert_eq!(
            Failure::new(StatusCode::OK).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            Failure::new(StatusCode::OK)
                .with_retry_after(Duration::from_millis(1))
                .retry_after_secs(),
            Some(1)
        );
    }
}
