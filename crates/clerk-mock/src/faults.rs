//! Fault injection and request accounting.

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
    /// Whether an armed fault (not just the standing delay) applied.
    pub(crate) faulted: bool,
}

/// Which requests a fault applies to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Filter {
    /// The exact path, or a prefix when it ends in `*`.
    pub(crate) path: Option<String>,
    pub(crate) operation: Option<Operation>,
}

impl Filter {
    fn matches(&self, path: &str, operation: Operation) -> bool {
        let path_matches = match self.path.as_deref() {
            None => true,
            Some(p) => match p.strip_suffix('*') {
                Some(prefix) => path.starts_with(prefix),
                None => path == p,
            },
        };
        path_matches && self.operation.is_none_or(|op| op == operation)
    }
}

/// Parts per million: the unit of a fault's share.
pub(crate) const PPM: u64 = 1_000_000;

/// One armed fault: what it does, to which requests, how often.
#[derive(Debug, Clone)]
pub(crate) struct Fault {
    pub(crate) filter: Filter,
    /// Answer with this error instead of processing the request.
    pub(crate) failure: Option<Failure>,
    /// Added to the standing delay.
    pub(crate) delay: Duration,
    /// Cut the response short after half its body.
    pub(crate) drop_connection: bool,
    /// How many more times it fires; `None`: until removed.
    pub(crate) remaining: Option<u64>,
    /// Fires for this share of the matching requests, in parts per million
    /// ([`PPM`] is every one), spread evenly: exactly `floor(n * share)` of
    /// the first `n` matching requests.
    pub(crate) share_ppm: u64,
    /// Matching requests seen.
    pub(crate) matched: u64,
    /// Times it fired.
    pub(crate) fired: u64,
}

impl Fault {
    /// A fault that fires for the next `n` requests, whatever their path.
    pub(crate) fn next(n: u64) -> Self {
        Self {
            filter: Filter::default(),
            failure: None,
            delay: Duration::ZERO,
            drop_connection: false,
            remaining: Some(n),
            share_ppm: PPM,
            matched: 0,
            fired: 0,
        }
    }

    /// Counts a matching request and says whether the fault fires for it.
    fn fires(&mut self) -> bool {
        self.matched += 1;
        let due = |n: u64| u128::from(n) * u128::from(self.share_ppm) / u128::from(PPM);
        let fires = due(self.matched) > due(self.matched - 1);
        if fires {
            self.fired += 1;
            if let Some(left) = &mut self.remaining {
                *left = left.saturating_sub(1);
            }
        }
        fires
    }
}

/// The standing delay, the armed faults in the order they were armed, and
/// the pending drops of [`MockServer::drop_next`](crate::MockServer::drop_next).
#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub(crate) delay: Duration,
    pub(crate) armed: Vec<Fault>,
    /// Requests still to be cut short whatever else applies to them.
    pub(crate) drops: u64,
}

impl Faults {
    /// Arms `fault` after the others (a fault that would never fire is
    /// ignored).
    pub(crate) fn arm(&mut self, fault: Fault) {
        if fault.remaining != Some(0) && fault.share_ppm > 0 {
            self.armed.push(fault);
        }
    }

    /// Removes the standing delay and every armed fault.
    pub(crate) fn clear(&mut self) {
        self.delay = Duration::ZERO;
        self.armed.clear();
        self.drops = 0;
    }

    /// The plan for a request to `path` arriving now: the first armed fault
    /// that matches it and fires applies (faults after it are not
    /// consulted), on top of the standing delay; a pending drop applies on
    /// top of that.
    pub(crate) fn take(&mut self, path: &str, operation: Operation) -> Plan {
        let mut plan = Plan {
            delay: self.delay,
            ..Plan::default()
        };
        let fired = self
            .armed
            .iter_mut()
            .position(|f| f.filter.matches(path, operation) && f.fires());
        if let Some(index) = fired {
            let fault = &self.armed[index];
            plan.failure = fault.failure.clone();
            plan.delay = plan.delay.saturating_add(fault.delay);
            plan.drop_connection = fault.drop_connection;
            plan.faulted = true;
            if fault.remaining == Some(0) {
                self.armed.remove(index);
            }
        }
        if self.drops > 0 {
            self.drops -= 1;
            plan.drop_connection = true;
            plan.faulted = true;
        }
        plan
    }
}

/// Which operation a request addressed, for accounting and fault filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Create,
    Revoke,
    Other,
}

impl Operation {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Revoke => "revoke",
            Self::Other => "other",
        }
    }
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

    fn failing(n: u64, status: StatusCode) -> Fault {
        Fault {
            failure: Some(Failure::new(status)),
            ..Fault::next(n)
        }
    }

    fn statuses(faults: &mut Faults, path: &str, op: Operation, n: usize) -> Vec<Option<u16>> {
        (0..n)
            .map(|_| faults.take(path, op).failure.map(|f| f.status().as_u16()))
            .collect()
    }

    #[test]
    fn faults_apply_in_order_one_per_request() {
        let mut faults = Faults::default();
        faults.arm(failing(2, StatusCode::SERVICE_UNAVAILABLE));
        faults.arm(failing(1, StatusCode::TOO_MANY_REQUESTS));
        faults.arm(Fault {
            drop_connection: true,
            ..Fault::next(1)
        });
        faults.arm(Fault::next(0));
        let got = statuses(&mut faults, "/", Operation::Other, 3);
        assert_eq!(got, [Some(503), Some(503), Some(429)]);
        let plan = faults.take("/", Operation::Other);
        assert!(plan.drop_connection && plan.faulted && plan.failure.is_none());
        assert!(!faults.take("/", Operation::Other).faulted);
        assert!(faults.armed.is_empty());
        // Pending drops combine with whatever fault applies.
        faults.arm(failing(1, StatusCode::SERVICE_UNAVAILABLE));
        faults.drops = 1;
        let plan = faults.take("/", Operation::Other);
        assert!(plan.drop_connection && plan.failure.is_some());
        assert!(!faults.take("/", Operation::Other).faulted);
    }

    #[test]
    fn filters_pick_paths_and_operations() {
        let mut faults = Faults::default();
        faults.arm(Fault {
            filter: Filter {
                path: None,
                operation: Some(Operation::Revoke),
            },
            ..failing(1, StatusCode::BAD_GATEWAY)
        });
        faults.arm(Fault {
            filter: Filter {
                path: Some("/v1/sign_in_tokens/*".to_owned()),
                operation: None,
            },
            ..failing(5, StatusCode::GATEWAY_TIMEOUT)
        });
        faults.arm(Fault {
            filter: Filter {
                path: Some("/v1/sign_in_tokens".to_owned()),
                operation: None,
            },
            delay: Duration::from_secs(1),
            ..Fault::next(1)
        });
        assert_eq!(faults.take("/v1/x", Operation::Other).failure, None);
        let create = faults.take("/v1/sign_in_tokens", Operation::Create);
        assert_eq!(
            (create.failure, create.delay),
            (None, Duration::from_secs(1))
        );
        let revoke = "/v1/sign_in_tokens/sit_1/revoke";
        let got = statuses(&mut faults, revoke, Operation::Revoke, 2);
        assert_eq!(got, [Some(502), Some(504)]);
    }

    #[test]
    fn a_share_fires_evenly_and_exactly() {
        let mut faults = Faults::default();
        faults.arm(Fault {
            share_ppm: 300_000,
            remaining: None,
            ..failing(0, StatusCode::INTERNAL_SERVER_ERROR)
        });
        let fired: Vec<usize> = (1..=20)
            .filter(|_| faults.take("/", Operation::Create).faulted)
            .collect();
        assert_eq!(fired, [4, 7, 10, 14, 17, 20]);
        // A share with a count stops after that many.
        let mut faults = Faults::default();
        faults.arm(Fault {
            share_ppm: PPM / 2,
            ..failing(2, StatusCode::INTERNAL_SERVER_ERROR)
        });
        let got = statuses(&mut faults, "/", Operation::Create, 6);
        assert_eq!(got, [None, Some(500), None, Some(500), None, None]);
        assert!(faults.armed.is_empty());
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
