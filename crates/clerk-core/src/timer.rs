//! Waiting between retries without owning a runtime.

use std::future::Future;
use std::time::Duration;

/// Something the async client can wait on between retries.
///
/// clerk-core owns no runtime, so the caller supplies the clock: clerk-hyper
/// ships one for tokio, a browser host can wrap `setTimeout`. A client built
/// without a timer ([`NoTimer`]) never retries, since it cannot wait.
///
/// ```
/// use std::time::Duration;
/// use clerk_core::Timer;
///
/// /// Returns at once: useful in tests that only check which waits were asked for.
/// struct Instant;
/// impl Timer for Instant {
///     async fn sleep(&self, _duration: Duration) {}
/// }
/// futures_executor::block_on(Instant.sleep(Duration::from_secs(1)));
/// assert!(Instant.can_sleep());
/// ```
pub trait Timer {
    /// Resolves once `duration` has passed.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()>;

    /// Whether this timer can wait at all. When `false` the client makes one
    /// attempt per call and returns its error, whatever the retry policy says.
    fn can_sleep(&self) -> bool {
        true
    }
}

/// The absence of a timer: the async client does not retry.
///
/// ```
/// use clerk_core::{NoTimer, Timer};
/// assert!(!NoTimer.can_sleep());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoTimer;

impl Timer for NoTimer {
    fn sleep(&self, _duration: Duration) -> impl Future<Output = ()> {
        std::future::ready(())
    }

    fn can_sleep(&self) -> bool {
        false
    }
}

impl<T: Timer + ?Sized> Timer for &T {
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> {
        (**self).sleep(duration)
    }
    fn can_sleep(&self) -> bool {
        (**self).can_sleep()
    }
}

impl<T: Timer + ?Sized> Timer for std::sync::Arc<T> {
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> {
        (**self).sleep(duration)
    }
    fn can_sleep(&self) -> bool {
        (**self).can_sleep()
    }
}

/// A clock for the blocking client.
///
/// The default, [`ThreadSleep`], calls [`std::thread::sleep`].
///
/// ```
/// use std::time::Duration;
/// use clerk_core::{BlockingTimer, ThreadSleep};
/// ThreadSleep.sleep(Duration::from_millis(1));
/// ```
pub trait BlockingTimer {
    /// Blocks the calling thread for `duration`.
    fn sleep(&self, duration: Duration);
}

/// Blocks with [`std::thread::sleep`].
///
/// ```
/// use clerk_core::{BlockingTimer, ThreadSleep};
/// ThreadSleep.sleep(std::time::Duration::ZERO);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThreadSleep;

impl BlockingTimer for ThreadSleep {
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration)
    }
}

impl<F: Fn(Duration)> BlockingTimer for F {
    fn sleep(&self, duration: Duration) {
        self(duration)
    }
}
