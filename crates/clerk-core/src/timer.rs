//! Waiting between retries without owning a runtime.

use std::future::Future;
use std::time::Duration;

/// Something the async client can wait on between retries.
///
/// clerk-core owns no runtime, so the caller supplies the clock: clerk-hyper
/// ships one for tokio, a browser host can wrap `setTimeout`. The client
/// builder asks for one, or for an explicit
/// [`without_retries`](crate::ClientBuilder::without_retries).
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

    /// Whether this timer can wait at all. When `false` the client's retry
    /// policy is [`RetryPolicy::never`](crate::RetryPolicy::never): one attempt
    /// per call, and [`Client::retry_policy`](crate::Client::retry_policy)
    /// reports it.
    fn can_sleep(&self) -> bool {
        true
    }
}

/// The absence of a timer: the async client does not retry, and its retry
/// policy says so. [`ClientBuilder::without_retries`](crate::ClientBuilder::without_retries)
/// picks it.
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
