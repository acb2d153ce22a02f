//! # clerk-tokio
//!
//! [`TokioTimer`]: the [`clerk_core::Timer`] for clients that run on tokio.
//! It waits between retries on tokio's clock (so a test with paused time
//! controls it too), reads that clock for the whole-call deadline, and
//! seeds the retry jitter from the operating system's entropy.
//!
//! ## Why a crate of its own
//!
//! clerk-core owns no runtime. Both adapters that run on tokio,
//! clerk-hyper and clerk-reqwest, need the same timer; they re-export this
//! one (`clerk_hyper::TokioTimer` and `clerk_reqwest::TokioTimer` are this
//! type), so there is one implementation, and a service that uses both
//! adapters has one type. Its only dependencies are clerk-core and tokio's
//! `time` feature.
//!
//! ```
//! use clerk_core::{Client, SecretKey};
//! use clerk_tokio::TokioTimer;
//!
//! let client = Client::builder(SecretKey::new("sk_test_example")?)
//!     .timer(TokioTimer)
//!     .build(())?; // any transport
//! assert_eq!(client.retry_policy().max_retries(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

/// A [`clerk_core::Timer`] on tokio's clock, so the client can wait between
/// retries and keep its whole-call deadline. Its futures are `Send`.
///
/// The sleep is lazy: tokio's timer is looked up when it is first polled,
/// not when it is made, so a client can be built outside a runtime.
///
/// ```
/// use clerk_core::Timer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// clerk_tokio::TokioTimer.sleep(std::time::Duration::from_millis(1)).await;
/// assert!(clerk_tokio::TokioTimer.can_sleep());
/// assert!(clerk_tokio::TokioTimer.now().is_some());
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokioTimer;

impl clerk_core::Timer for TokioTimer {
    // `tokio::time::Sleep` is `Send`; say so for the client's futures.
    #[allow(refining_impl_trait, clippy::manual_async_fn)]
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        async move { tokio::time::sleep(duration).await }
    }

    /// tokio's clock (paused in tests that pause it), from the first time it
    /// is read.
    fn now(&self) -> Option<Duration> {
        static ORIGIN: OnceLock<tokio::time::Instant> = OnceLock::new();
        let origin = *ORIGIN.get_or_init(tokio::time::Instant::now);
        Some(tokio::time::Instant::now().saturating_duration_since(origin))
    }
}

#[cfg(test)]
mod tests {
    use clerk_core::Timer;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn paused_time_drives_the_clock_and_the_sleep() {
        let before = TokioTimer.now().expect("a clock");
        TokioTimer.sleep(Duration::from_secs(3600)).await;
        let after = TokioTimer.now().expect("a clock");
        assert!(after - before >= Duration::from_secs(3600));
    }

    #[test]
    fn seeds_differ() {
        assert_ne!(TokioTimer.random_seed(), TokioTimer.random_seed());
    }
}

/// The README's examples, compiled (and run, unless `no_run`) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
