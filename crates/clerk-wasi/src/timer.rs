//! Waiting between retries on the host's monotonic clock.

use std::time::Duration;

use wasi::clocks::monotonic_clock;

/// A [`clerk_core::BlockingTimer`] on `wasi:clocks/monotonic-clock`: it
/// subscribes to the clock for the wait and blocks on the pollable, so the
/// blocking client can back off and honour `Retry-After` inside a component.
/// It is the client's clock too (the whole-call deadline), and its entropy:
/// `wasi:random` seeds the retry jitter, so instances of a component do not
/// retry in lockstep.
///
/// ```
/// use clerk_core::BlockingTimer;
///
/// clerk_wasi::WasiTimer.sleep(std::time::Duration::from_millis(5));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WasiTimer;

impl clerk_core::BlockingTimer for WasiTimer {
    fn sleep(&self, duration: Duration) {
        if duration.is_zero() {
            return;
        }
        monotonic_clock::subscribe_duration(nanos(duration)).block();
    }

    fn now(&self) -> Option<Duration> {
        Some(Duration::from_nanos(monotonic_clock::now()))
    }

    fn random_seed(&self) -> u64 {
        wasi::random::random::get_random_u64()
    }
}

/// `duration` in the clock's nanoseconds, saturating (about 584 years).
pub(crate) fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}
