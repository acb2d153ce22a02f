//! [`SetTimeoutTimer`]: clerk-core's retry waits on the host's clock.

use std::future::Future;
use std::time::Duration;

use clerk_core::Timer;

/// A [`clerk_core::Timer`] over the host's global `setTimeout`, so the
/// client can wait between retries (backoff, and `Retry-After` on a 429)
/// inside WebAssembly.
///
/// Dropping a pending sleep clears its timer and settles its promise (so
/// nothing of it stays behind). Where there is no `setTimeout` (and on
/// targets other than `wasm32-unknown-unknown`)
/// [`can_sleep`](Timer::can_sleep) is `false`, and the client then makes a
/// single attempt instead of retrying without a pause.
///
/// It is also the host's clock and entropy for the client, which `std` does
/// not have on `wasm32-unknown-unknown`: [`now`](Timer::now) reads
/// `performance.now()` (the whole-call deadline), and
/// [`random_seed`](Timer::random_seed) reads `crypto.getRandomValues`, so
/// every instance of a module (every Worker isolate) draws its own retry
/// jitter instead of retrying in lockstep.
///
/// ```
/// use clerk_core::Timer;
/// let timer = clerk_fetch::SetTimeoutTimer;
/// // `true` inside a JavaScript host, `false` in a native build.
/// let _ = timer.can_sleep();
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetTimeoutTimer;

impl Timer for SetTimeoutTimer {
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> {
        #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
        {
            crate::js::sleep(duration)
        }
        #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
        {
            let _ = duration;
            std::future::ready(())
        }
    }

    fn can_sleep(&self) -> bool {
        #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
        {
            crate::js::has_set_timeout()
        }
        #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
        {
            false
        }
    }

    fn now(&self) -> Option<Duration> {
        #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
        {
            crate::js::now()
        }
        #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
        {
            None
        }
    }

    fn random_seed(&self) -> u64 {
        #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
        {
            crate::js::random_seed()
        }
        #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
        {
            clerk_core::NoTimer.random_seed()
        }
    }
}

#[cfg(all(test, not(all(target_arch = "wasm32", target_os = "unknown"))))]
mod tests {
    use super::*;

    #[test]
    fn without_javascript_the_timer_cannot_sleep() {
        assert!(!SetTimeoutTimer.can_sleep());
    }
}
