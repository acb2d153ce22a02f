//! The retry policy, as a pure decision: given the operation, how many
//! retries were made and the error, either wait and try again, or stop.
//!
//! Create is not idempotent and Clerk has no idempotency key: a create that
//! may have reached Clerk is never sent twice. It is retried only on 429 (Clerk
//! did not act on it) and on transport failures known to have happened before
//! the request was sent. Revoke is retried on 408, 429, 500, 502, 503, 504 and
//! any transport failure.

use std::time::Duration;

use crate::error::Error;

/// Which operation failed; the policy treats them differently.
///
/// ```
/// assert!(!clerk_core::Operation::CreateSignInToken.is_idempotent());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `POST /sign_in_tokens`: not idempotent.
    CreateSignInToken,
    /// `POST /sign_in_tokens/{id}/revoke`: revoking twice changes nothing more.
    RevokeSignInToken,
}

impl Operation {
    /// Whether sending the request twice has the effect of sending it once.
    ///
    /// ```
    /// assert!(clerk_core::Operation::RevokeSignInToken.is_idempotent());
    /// ```
    pub fn is_idempotent(self) -> bool {
        matches!(self, Operation::RevokeSignInToken)
    }

    /// The operation's name, as in Clerk's SDKs.
    ///
    /// ```
    /// assert_eq!(clerk_core::Operation::CreateSignInToken.name(), "create_sign_in_token");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Operation::CreateSignInToken => "create_sign_in_token",
            Operation::RevokeSignInToken => "revoke_sign_in_token",
        }
    }
}

/// What to do after a failed attempt.
///
/// ```
/// use clerk_core::RetryDecision;
/// assert_ne!(RetryDecision::Stop, RetryDecision::Retry(std::time::Duration::ZERO));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryDecision {
    /// Wait this long, then send again.
    Retry(Duration),
    /// Return the error.
    Stop,
}

/// How the clients retry.
///
/// Default: 2 retries; exponential backoff with full jitter, starting at
/// 500 ms and capped at 30 s; a `Retry-After` is honoured up to 30 s, and a
/// longer one makes the client return the error at once rather than hang.
/// A `Retry-After` wait gets up to 500 ms added at random (never less than
/// the server asked): clients that met the same 429 do not all come back in
/// the same instant.
///
/// ```
/// use std::time::Duration;
/// use clerk_core::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .with_max_retries(4)
///     .with_max_retry_after(Duration::from_secs(10));
/// assert_eq!(policy.max_retries(), 4);
/// assert_eq!(RetryPolicy::never().max_retries(), 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    retry_after_jitter: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(30),
            retry_after_jitter: Duration::from_millis(500),
        }
    }
}

impl RetryPolicy {
    /// The default policy.
    ///
    /// ```
    /// assert_eq!(clerk_core::RetryPolicy::new().max_retries(), 2);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// A policy that never retries.
    ///
    /// ```
    /// assert_eq!(clerk_core::RetryPolicy::never().max_retries(), 0);
    /// ```
    pub fn never() -> Self {
        Self::default().with_max_retries(0)
    }

    /// How many times a call may be sent again after its first attempt.
    ///
    /// ```
    /// assert_eq!(clerk_core::RetryPolicy::new().with_max_retries(5).max_retries(), 5);
    /// ```
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// The backoff ceiling before the first retry; it doubles each retry.
    ///
    /// ```
    /// use std::time::Duration;
    /// let p = clerk_core::RetryPolicy::new().with_initial_backoff(Duration::from_millis(100));
    /// assert_eq!(p.initial_backoff(), Duration::from_millis(100));
    /// ```
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The largest backoff ceiling.
    ///
    /// ```
    /// use std::time::Duration;
    /// let p = clerk_core::RetryPolicy::new().with_max_backoff(Duration::from_secs(5));
    /// assert_eq!(p.max_backoff(), Duration::from_secs(5));
    /// ```
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest `Retry-After` the client will wait for; beyond it the error
    /// is returned at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// let p = clerk_core::RetryPolicy::new().with_max_retry_after(Duration::from_secs(2));
    /// assert_eq!(p.max_retry_after(), Duration::from_secs(2));
    /// ```
    pub fn with_max_retry_after(mut self, ceiling: Duration) -> Self {
        self.max_retry_after = ceiling;
        self
    }

    /// The most added at random to a `Retry-After` wait (default 500 ms;
    /// zero waits exactly what the server said).
    ///
    /// ```
    /// use std::time::Duration;
    /// let p = clerk_core::RetryPolicy::new().with_retry_after_jitter(Duration::ZERO);
    /// assert_eq!(p.retry_after_jitter(), Duration::ZERO);
    /// ```
    pub fn with_retry_after_jitter(mut self, jitter: Duration) -> Self {
        self.retry_after_jitter = jitter;
        self
    }

    /// See [`with_retry_after_jitter`](Self::with_retry_after_jitter).
    ///
    /// ```
    /// assert_eq!(clerk_core::RetryPolicy::default().retry_after_jitter().as_millis(), 500);
    /// ```
    pub fn retry_after_jitter(&self) -> Duration {
        self.retry_after_jitter
    }

    /// See [`with_max_retries`](Self::with_max_retries).
    ///
    /// ```
    /// assert_eq!(clerk_core::RetryPolicy::default().max_retries(), 2);
    /// ```
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// See [`with_initial_backoff`](Self::with_initial_backoff).
    ///
    /// ```
    /// assert_eq!(clerk_core::RetryPolicy::default().initial_backoff().as_millis(), 500);
    /// ```
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// See [`with_max_backoff`](Self::with_max_backoff).
    ///
    /// ```
    /// assert_eq!(clerk_core::RetryPolicy::default().max_backoff().as_secs(), 30);
    /// ```
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// See [`with_max_retry_after`](Self::with_max_retry_after).
    ///
    /// ```
    /// assert_eq!(clerk_core::RetryPolicy::default().max_retry_after().as_secs(), 30);
    /// ```
    pub fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// The backoff ceiling before retry number `retries_done + 1`:
    /// `initial * 2^retries_done`, capped.
    ///
    /// ```
    /// use std::time::Duration;
    /// let p = clerk_core::RetryPolicy::default();
    /// assert_eq!(p.backoff_ceiling(0), Duration::from_millis(500));
    /// assert_eq!(p.backoff_ceiling(2), Duration::from_secs(2));
    /// assert_eq!(p.backoff_ceiling(40), Duration::from_secs(30));
    /// ```
    pub fn backoff_ceiling(&self, retries_done: u32) -> Duration {
        let factor = 1u32.checked_shl(retries_done).unwrap_or(u32::MAX);
        self.initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }

    /// Decides what follows a failed attempt, `retries_done` retries into the
    /// call. `random` is any uniformly random `u64`; it picks the jittered
    /// wait in `0..=ceiling` (full jitter), or, after a `Retry-After`, the
    /// extra in `0..=retry_after_jitter` added to it, so that many clients
    /// that failed together do not come back together.
    ///
    /// ```
    /// use std::time::Duration;
    /// use clerk_core::{response, Error, Operation, RetryDecision, RetryPolicy};
    ///
    /// let reply = http::Response::builder()
    ///     .status(429)
    ///     .header("retry-after", "3")
    ///     .body(r#"{"errors":[{"message":"Too many requests","long_message":"Too many requests","code":"too_many_requests"}]}"#)
    ///     .unwrap();
    /// let err: Error = response::sign_in_token(&reply).unwrap_err();
    /// let policy = RetryPolicy::default();
    /// assert_eq!(
    ///     policy.decide(Operation::CreateSignInToken, 0, &err, 0),
    ///     RetryDecision::Retry(Duration::from_secs(3))
    /// );
    /// assert_eq!(policy.decide(Operation::CreateSignInToken, 2, &err, 0), RetryDecision::Stop);
    /// ```
    pub fn decide<E>(
        &self,
        operation: Operation,
        retries_done: u32,
        error: &Error<E>,
        random: u64,
    ) -> RetryDecision {
        if retries_done >= self.max_retries || !error.is_retryable() {
            return RetryDecision::Stop;
        }
        let allowed = match operation {
            Operation::RevokeSignInToken => true,
            Operation::CreateSignInToken => {
                error.status().is_some_and(|s| s.as_u16() == 429) || error.is_request_not_sent()
            }
        };
        if !allowed {
            return RetryDecision::Stop;
        }
        if let Some(wait) = error.retry_after_delay() {
            return if wait > self.max_retry_after {
                RetryDecision::Stop
            } else {
                RetryDecision::Retry(wait.saturating_add(uniform(self.retry_after_jitter, random)))
            };
        }
        RetryDecision::Retry(uniform(self.backoff_ceiling(retries_done), random))
    }
}

/// A duration in `0..=ceiling` (to the microsecond) picked by `random`.
fn uniform(ceiling: Duration, random: u64) -> Duration {
    let ceiling_micros = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
    let micros = match ceiling_micros.checked_add(1) {
        Some(span) => random % span,
        None => random,
    };
    Duration::from_micros(micros)
}

/// A small, lock-free source of jitter: splitmix64 over an atomic counter,
/// seeded from the platform's entropy (the timer's
/// [`random_seed`](crate::Timer::random_seed)). Not for cryptography; only
/// to spread retries apart.
#[derive(Debug)]
pub(crate) struct Jitter(std::sync::atomic::AtomicU64);

impl Jitter {
    pub(crate) fn seeded(seed: u64) -> Self {
        Self(std::sync::atomic::AtomicU64::new(seed))
    }

    pub(crate) fn next(&self) -> u64 {
        let mut z = self
            .0
            .fetch_add(0x9E37_79B9_7F4A_7C15, std::sync::atomic::Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Clone for Jitter {
    /// A clone draws its own sequence: the next value of this one seeds it.
    fn clone(&self) -> Self {
        Self::seeded(self.next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn different_seeds_draw_different_waits() {
        let (a, b) = (Jitter::seeded(1), Jitter::seeded(2));
        let a: Vec<u64> = (0..4).map(|_| a.next()).collect();
        let b: Vec<u64> = (0..4).map(|_| b.next()).collect();
        assert_ne!(a, b);
        let c = Jitter::seeded(1);
        assert_eq!(a, (0..4).map(|_| c.next()).collect::<Vec<_>>());
    }
}
