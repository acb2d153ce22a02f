//! Waiting between retries without owning a runtime, and the two other
//! things only the platform has: a clock and entropy.

use std::future::Future;
use std::time::Duration;

/// The runtime's time and randomness, as the async client needs them.
///
/// clerk-core owns no runtime, so the caller supplies:
///
/// - **a sleep** to wait between retries (required);
/// - **a monotonic clock** ([`now`](Self::now)), to hold a call to its
///   whole-call deadline and not start a wait that would outlast it. The
///   default reads `std::time::Instant`, except on `wasm32-unknown-unknown`,
///   where `std` has no clock and the default is `None`: then each attempt
///   is still bound by the whole-call deadline, but not the call as a whole
///   (every timer this workspace ships has a clock);
/// - **entropy** ([`random_seed`](Self::random_seed)), which seeds the
///   retry jitter so that clients that failed together do not come back
///   together. The default is seeded by the operating system, except on
///   `wasm32-unknown-unknown`, where `std` has no entropy: every instance of
///   a module would draw the same waits. A timer for such a host overrides
///   it (clerk-fetch's `SetTimeoutTimer` uses `crypto.getRandomValues`).
///
/// clerk-tokio ships one for tokio (re-exported by clerk-hyper and
/// clerk-reqwest), clerk-fetch one over `setTimeout`. The client builder
/// asks for one, or for an explicit
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

    /// The time on a monotonic clock, from any fixed origin; `None` where
    /// there is no clock. Default: `std::time::Instant` (not on
    /// `wasm32-unknown-unknown`).
    fn now(&self) -> Option<Duration> {
        std_now()
    }

    /// A random `u64` from the platform's entropy, read once when a client is
    /// built, to seed its retry jitter. Default: the operating system's,
    /// through the standard library (a fixed value on
    /// `wasm32-unknown-unknown`).
    fn random_seed(&self) -> u64 {
        std_seed()
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

macro_rules! forward_timers {
    ($($ptr:ty),*) => {$(
        impl<T: Timer + ?Sized> Timer for $ptr {
            fn sleep(&self, duration: Duration) -> impl Future<Output = ()> {
                (**self).sleep(duration)
            }
            fn can_sleep(&self) -> bool {
                (**self).can_sleep()
            }
            fn now(&self) -> Option<Duration> {
                (**self).now()
            }
            fn random_seed(&self) -> u64 {
                (**self).random_seed()
            }
        }
    )*};
}

forward_timers!(&T, std::sync::Arc<T>);

/// The time and randomness the blocking client needs: a way to block between
/// retries, and (as for [`Timer`]) a monotonic clock and entropy.
///
/// The default, [`ThreadSleep`], calls [`std::thread::sleep`]; a closure
/// `Fn(Duration)` is one too, with the default clock and entropy.
///
/// ```
/// use std::time::Duration;
/// use clerk_core::{BlockingTimer, ThreadSleep};
/// ThreadSleep.sleep(Duration::from_millis(1));
/// ```
pub trait BlockingTimer {
    /// Blocks the calling thread for `duration`.
    fn sleep(&self, duration: Duration);

    /// See [`Timer::now`].
    ///
    /// ```
    /// use clerk_core::{BlockingTimer, ThreadSleep};
    /// let (a, b) = (ThreadSleep.now().unwrap(), ThreadSleep.now().unwrap());
    /// assert!(b >= a);
    /// ```
    fn now(&self) -> Option<Duration> {
        std_now()
    }

    /// See [`Timer::random_seed`].
    ///
    /// ```
    /// use clerk_core::{BlockingTimer, ThreadSleep};
    /// let _seed: u64 = ThreadSleep.random_seed();
    /// ```
    fn random_seed(&self) -> u64 {
        std_seed()
    }
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

/// `std::time::Instant`, measured from the first time it is asked for.
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub(crate) fn std_now() -> Option<Duration> {
    static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    Some(ORIGIN.get_or_init(std::time::Instant::now).elapsed())
}

/// `wasm32-unknown-unknown` has no clock in `std` (`Instant::now` panics).
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub(crate) fn std_now() -> Option<Duration> {
    None
}

/// A seed from the standard library's per-process hash keys (the operating
/// system's entropy where it has some), mixed with a counter and a stack
/// address so that two draws in one process differ.
pub(crate) fn std_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static DRAWS: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(DRAWS.fetch_add(1, Ordering::Relaxed));
    hasher.write_usize(&hasher as *const _ as usize);
    hasher.finish()
}

/// `fut`'s output, or `None` when `deadline` (a sleep) completes first; the
/// one race every async transport runs for its attempt deadline. Both stay
/// pinned where the caller keeps them (a request future is a few hundred
/// bytes, not worth moving), and `fut` is polled first, so an answer that
/// is ready when the deadline fires still wins.
///
/// ```
/// use std::pin::pin;
/// let answer = pin!(async { 42 });
/// let never = pin!(std::future::pending::<()>());
/// let out = futures_executor::block_on(clerk_core::race_deadline(answer, never));
/// assert_eq!(out, Some(42));
///
/// let stuck = pin!(std::future::pending::<u8>());
/// let fired = pin!(async {});
/// assert_eq!(futures_executor::block_on(clerk_core::race_deadline(stuck, fired)), None);
/// ```
pub async fn race_deadline<F: Future + ?Sized, D: Future + ?Sized>(
    mut fut: std::pin::Pin<&mut F>,
    mut deadline: std::pin::Pin<&mut D>,
) -> Option<F::Output> {
    std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(out) = fut.as_mut().poll(cx) {
            return std::task::Poll::Ready(Some(out));
        }
        if deadline.as_mut().poll(cx).is_ready() {
            return std::task::Poll::Ready(None);
        }
        std::task::Poll::Pending
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_clock_moves_forward_and_seeds_differ() {
        let a = ThreadSleep.now().expect("a clock on this target");
        std::thread::sleep(Duration::from_millis(2));
        let b = Timer::now(&NoTimer).expect("a clock on this target");
        assert!(b > a);
        assert_ne!(std_seed(), std_seed());
    }
}
