//! Fixed-window rate limiting per secret key.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A rate limit: at most `max_requests` per `window`, counted per secret key.
///
/// The mock uses fixed windows: a key's window starts with its first request
/// and the count resets once the window has elapsed. A request over the limit
/// gets `429 too_many_requests` with `Retry-After` set to the whole seconds
/// (rounded up, at least 1) until the window ends. Rejected requests do not
/// count against the limit.
///
/// ```
/// use std::time::Duration;
/// use clerk_mock::RateLimit;
///
/// assert_eq!(RateLimit::default(), RateLimit::new(100, Duration::from_secs(10)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window (0 rejects every authenticated request).
    pub max_requests: u32,
    /// The window length; a zero window disables limiting.
    pub window: Duration,
}

impl RateLimit {
    /// Clerk's documented limit for development instances: 100 requests per 10 s.
    pub const CLERK_DEVELOPMENT: Self = Self {
        max_requests: 100,
        window: Duration::from_secs(10),
    };

    /// `max_requests` per `window`.
    pub const fn new(max_requests: u32, window: Duration) -> Self {
        Self {
            max_requests,
            window,
        }
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::CLERK_DEVELOPMENT
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    count: u32,
}

/// Per-key window state plus the limit in force.
#[derive(Debug)]
pub(crate) struct Limiter {
    limit: Option<RateLimit>,
    windows: HashMap<String, Window>,
}

impl Limiter {
    pub(crate) fn new(limit: Option<RateLimit>) -> Self {
        Self {
            limit,
            windows: HashMap::new(),
        }
    }

    /// Replaces the limit and forgets all windows.
    pub(crate) fn set_limit(&mut self, limit: Option<RateLimit>) {
        self.limit = limit;
        self.windows.clear();
    }

    /// Forgets all windows.
    pub(crate) fn reset(&mut self) {
        self.windows.clear();
    }

    /// Admits one request for `key` at `now`, or says how many seconds to wait.
    pub(crate) fn check(&mut self, key: &str, now: Instant) -> Result<(), u64> {
        let Some(limit) = self.limit else {
            return Ok(());
        };
        if limit.window.is_zero() {
            return Ok(());
        }
        let window = match self.windows.get_mut(key) {
            Some(w) => w,
            None => self.windows.entry(key.to_owned()).or_insert(Window {
                start: now,
                count: 0,
            }),
        };
        let elapsed = now.saturating_duration_since(window.start);
        if elapsed >= limit.window {
            window.start = now;
            window.count = 0;
        }
        if window.count >= limit.max_requests {
            let left = limit
                .window
                .saturating_sub(now.saturating_duration_since(window.start));
            let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            return Err(secs.max(1));
        }
        window.count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_window_limits_and_resets() {
        let mut l = Limiter::new(Some(RateLimit::new(2, Duration::from_secs(10))));
        let t0 = Instant::now();
        assert_eq!(l.check("a", t0), Ok(()));
        assert_eq!(l.check("a", t0), Ok(()));
        assert_eq!(l.check("a", t0 + Duration::from_millis(500)), Err(10));
        assert_eq!(l.check("b", t0), Ok(()), "keys are independent");
        assert_eq!(l.check("a", t0 + Duration::from_millis(9_999)), Err(1));
        assert_eq!(l.check("a", t0 + Duration::from_secs(10)), Ok(()));
    }

    #[test]
    fn disabled_limits_admit_everything() {
        let mut l = Limiter::new(None);
        let t0 = Instant::now();
        assert!((0..1000).all(|_| l.check("a", t0).is_ok()));
        l.set_limit(Some(RateLimit::new(0, Duration::from_secs(1))));
        assert_eq!(l.check("a", t0), Err(1));
        l.set_limit(Some(RateLimit::new(0, Duration::ZERO)));
        assert_eq!(l.check("a", t0), Ok(()));
    }
}
