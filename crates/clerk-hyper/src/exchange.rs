//! Pieces shared by every backend: the deadline and the capped body read.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use clerk_core::{BodyBuffer, SendError};
use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use hyper::rt::Timer;

/// Runs `fut` to completion, or gives up after `duration` of `timer`'s time.
///
/// `None` means the deadline passed first; `fut` is then dropped.
pub(crate) async fn deadline<F: Future + ?Sized>(
    timer: &(dyn Timer + Send + Sync),
    duration: Duration,
    fut: Pin<&mut F>,
) -> Option<F::Output> {
    let mut sleep = timer.sleep(duration);
    clerk_core::race_deadline(fut, sleep.as_mut()).await
}

/// Reads the whole body of `response` into clerk-core's [`BodyBuffer`],
/// which refuses more than `limit` bytes.
///
/// The declared length (hyper parses `Content-Length` into the body's exact
/// size hint, for HTTP/1.1 and HTTP/2 alike, and has already rejected an
/// invalid one) is checked before a byte is read; then every frame is
/// checked as it arrives, so an endless chunked body stops at the cap.
/// Trailers are ignored.
pub(crate) async fn read_capped(
    response: http::Response<Incoming>,
    limit: usize,
) -> Result<http::Response<Bytes>, SendError> {
    let (parts, body) = response.into_parts();
    let declared = body.size_hint().exact();
    let mut buffer = BodyBuffer::new(limit, declared)?;
    let mut body = pin!(body);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| crate::error::exchange_failed(Box::new(e)))?;
        if let Ok(data) = frame.into_data() {
            buffer.push(data)?;
        }
    }
    Ok(http::Response::from_parts(parts, buffer.finish()))
}

/// The per-request deadline's timer: tokio's own, from a pool of reusable
/// `Sleep`s (the ready-made transports), or any hyper [`Timer`] (a transport
/// on your runtime).
pub(crate) enum DeadlineTimer {
    /// tokio's timer, with reused `Sleep`s.
    #[cfg(feature = "tokio")]
    Tokio(SleepPool),
    /// A hyper timer: one new `Sleep` per request.
    Hyper(Arc<dyn Timer + Send + Sync>),
}

impl DeadlineTimer {
    /// Runs `fut` to completion, or gives up once `duration` has passed.
    ///
    /// `None` means the deadline passed first; `fut` is then dropped.
    pub(crate) async fn run<F: Future + ?Sized>(
        &self,
        duration: Duration,
        fut: Pin<&mut F>,
    ) -> Option<F::Output> {
        match self {
            #[cfg(feature = "tokio")]
            Self::Tokio(pool) => pool.run(duration, fut).await,
            Self::Hyper(timer) => deadline(&**timer, duration, fut).await,
        }
    }
}

/// Reusable tokio `Sleep`s for the per-request deadline.
///
/// A fresh `Sleep` per request costs a timer registration and, on drop, a
/// deregistration, each under the time driver's lock; worse, a deadline
/// earlier than the one the driver parked on makes tokio wake its driver
/// (an `eventfd` write and one more `epoll_wait`) on every request. A `Sleep`
/// kept registered between requests is not even reset per request: it stays
/// at the deadline of the request that last used it, which is earlier than
/// the new one, and only when that time comes round is it reset to the
/// current request's deadline (see [`until`]). The deadline itself is exactly
/// as before: the request fails when `duration` has passed on tokio's clock.
///
/// A `Sleep` belongs to the runtime that made it, so each kept one carries
/// that runtime's id and is reused only on the same runtime (which is then
/// alive: the request runs on it). An idle kept `Sleep` fires once at its last
/// deadline and is re-registered when next used.
#[cfg(feature = "tokio")]
#[derive(Default)]
pub(crate) struct SleepPool {
    idle: std::sync::Mutex<Vec<(tokio::runtime::Id, Pin<Box<tokio::time::Sleep>>)>>,
}

#[cfg(feature = "tokio")]
impl SleepPool {
    /// The most idle `Sleep`s kept: more requests in flight than this make
    /// (and drop) their own.
    const MAX_IDLE: usize = 1024;

    async fn run<F: Future + ?Sized>(
        &self,
        duration: Duration,
        fut: Pin<&mut F>,
    ) -> Option<F::Output> {
        let runtime = tokio::runtime::Handle::try_current().map(|h| h.id());
        let deadline = tokio::time::Instant::now().checked_add(duration);
        let (Ok(runtime), Some(deadline)) = (runtime, deadline) else {
            // Outside a runtime tokio's timer panics, as it always has for
            // this transport; a deadline beyond the clock's range is never.
            return match deadline {
                Some(_) => tokio::time::timeout(duration, fut).await.ok(),
                None => Some(fut.await),
            };
        };
        // A kept `Sleep` is left at an earlier request's deadline, which is
        // not later than this one's (the duration is the transport's): it is
        // moved on only if it fires first (see `until`), so most requests
        // never touch the timer wheel. One set later than this deadline (a
        // shorter duration than its last user's) is brought forward now.
        let mut sleep = match self.take(runtime) {
            Some(mut sleep) => {
                if sleep.deadline() > deadline {
                    sleep.as_mut().reset(deadline);
                }
                sleep
            }
            None => Box::pin(tokio::time::sleep_until(deadline)),
        };
        let out = until(fut, sleep.as_mut(), deadline).await;
        self.put(runtime, sleep);
        out
    }

    fn take(&self, runtime: tokio::runtime::Id) -> Option<Pin<Box<tokio::time::Sleep>>> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let at = idle.iter().rposition(|(id, _)| *id == runtime)?;
        Some(idle.swap_remove(at).1)
    }

    fn put(&self, runtime: tokio::runtime::Id, sleep: Pin<Box<tokio::time::Sleep>>) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < Self::MAX_IDLE {
            idle.push((runtime, sleep));
        }
    }
}

/// `fut`, unless `deadline` passes first (`None`). `sleep` may be set to an
/// earlier deadline: when that one fires, it is reset to `deadline` and
/// waited on again.
#[cfg(feature = "tokio")]
async fn until<F: Future + ?Sized>(
    mut fut: Pin<&mut F>,
    mut sleep: Pin<&mut tokio::time::Sleep>,
    deadline: tokio::time::Instant,
) -> Option<F::Output> {
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = fut.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        while sleep.as_mut().poll(cx).is_ready() {
            if sleep.deadline() >= deadline {
                return Poll::Ready(None);
            }
            sleep.as_mut().reset(deadline);
        }
        Poll::Pending
    })
    .await
}

#[cfg(all(test, feature = "tokio"))]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    async fn run<F: Future>(pool: &SleepPool, after: Duration, fut: F) -> Option<F::Output> {
        pool.run(after, pin!(fut)).await
    }

    #[test]
    fn a_reused_sleep_still_fires_at_an_earlier_deadline() {
        let pool = SleepPool::default();
        runtime().block_on(async {
            // Leaves a Sleep armed 60 s out in the pool...
            assert_eq!(
                run(&pool, Duration::from_secs(60), async { 1 }).await,
                Some(1)
            );
            // ...which must not delay a shorter deadline.
            assert_eq!(
                run(
                    &pool,
                    Duration::from_millis(20),
                    std::future::pending::<()>()
                )
                .await,
                None
            );
            // And again, reused after it fired.
            assert_eq!(
                run(
                    &pool,
                    Duration::from_millis(20),
                    std::future::pending::<()>()
                )
                .await,
                None
            );
            assert_eq!(
                run(&pool, Duration::from_secs(60), async { 2 }).await,
                Some(2)
            );
        });
    }

    #[test]
    fn a_kept_sleep_at_an_earlier_deadline_does_not_cut_a_request_short() {
        let pool = SleepPool::default();
        runtime().block_on(async {
            // Leaves a Sleep in the pool at about 200 ms from now...
            let window = Duration::from_millis(200);
            assert_eq!(run(&pool, window, async { 1 }).await, Some(1));
            tokio::time::sleep(Duration::from_millis(100)).await;
            // ...which fires halfway through this request's own 200 ms: the
            // request goes on, and finishes at 150 ms.
            let slow = async {
                tokio::time::sleep(Duration::from_millis(150)).await;
                2
            };
            assert_eq!(run(&pool, window, slow).await, Some(2));
            // The same again, for a request that never finishes: it fails at
            // its own deadline, not the kept Sleep's.
            tokio::time::sleep(Duration::from_millis(100)).await;
            let started = tokio::time::Instant::now();
            assert_eq!(run(&pool, window, std::future::pending::<()>()).await, None);
            assert!(started.elapsed() >= window, "{:?}", started.elapsed());
        });
    }

    #[test]
    fn sleeps_are_reused_only_on_their_own_runtime() {
        let pool = SleepPool::default();
        let first = runtime();
        first.block_on(async {
            assert_eq!(
                run(&pool, Duration::from_secs(60), async { 1 }).await,
                Some(1)
            );
        });
        drop(first);
        // The kept Sleep belongs to a runtime that is gone: using it would
        // panic. Another runtime makes its own.
        runtime().block_on(async {
            assert_eq!(
                run(&pool, Duration::from_secs(60), async { 2 }).await,
                Some(2)
            );
            assert_eq!(
                run(
                    &pool,
                    Duration::from_millis(20),
                    std::future::pending::<()>()
                )
                .await,
                None
            );
        });
    }

    #[test]
    fn a_deadline_beyond_the_clock_waits_forever() {
        let pool = SleepPool::default();
        runtime().block_on(async {
            assert_eq!(run(&pool, Duration::MAX, async { 3 }).await, Some(3));
        });
    }
}
