//! [`SetTimeoutTimer`]: clerk-core's retry waits on the host's clock.

use std::future::Future;
use std::time::Duration;

use clerk_core::Timer;

/// A [`clerk_core::Timer`] over the host's global `setTimeout`, so the
/// client can wait between retries (backoff, and `Retry-After` on a 429)
/// inside WebAssembly.
///
/// Dropping a pending sleep clears its timer. Where there is no
/// `setTimeout` (and on targets other than `wasm32-unknown-unknown`)
/// [`can_sleep`](Timer::can_sleep) is `false`, and the client then makes a
/// single attempt instead of retrying without a pause.
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
}

#[cfg(all(test, not(all(target_arch = "wasm32", target_os = "unknown"))))]
mod tests {
    use super::*;

    #[test]
    fn without_javascript_the_timer_cannot_sleep() {
        assert!(!SetTimeoutTimer.can_sleep());
    }
}
