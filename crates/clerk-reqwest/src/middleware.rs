//! [`ReqwestTransport`](crate::ReqwestTransport) over reqwest-middleware's
//! `ClientWithMiddleware` (feature `middleware`): the same exchange as over
//! a plain client, plus what a stack of middleware makes necessary:
//!
//! - one deadline over the middleware's whole work, since a retrying
//!   middleware sends the request (with reqwest's per-request deadline)
//!   more than once;
//! - a probe, appended as the innermost middleware, that watches what
//!   reqwest itself did, because a middleware's error alone cannot prove
//!   that no attempt reached the server (a retry middleware reports the
//!   last attempt's failure, a refused connection, after an earlier one
//!   timed out at the server).

use std::error::Error as StdError;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clerk_core::{HttpResponse, SendError, TransportErrorKind, error_chain};
use http::Extensions;
use reqwest_middleware::{ClientWithMiddleware, Next};

use crate::error::{from_reqwest, sort};

/// What the probe saw reqwest do during one call of the transport.
struct Seen {
    /// The attempt deadline, for the messages of sorted failures.
    deadline: Option<Duration>,
    /// Requests reqwest was asked to send.
    attempts: AtomicU32,
    /// Whether any of them may have reached the server.
    maybe_sent: AtomicBool,
    /// How the last of them failed, sorted (if it failed).
    last_failure: Mutex<Option<SendError>>,
}

impl Seen {
    /// Proven unsent: the probe saw at least one attempt, and each failed
    /// before a byte reached the server. With no attempt seen, nothing is
    /// proven (a middleware may have sent the request with extensions of
    /// its own, out of the probe's sight).
    fn proven_not_sent(&self) -> bool {
        self.attempts.load(Ordering::SeqCst) > 0 && !self.maybe_sent.load(Ordering::SeqCst)
    }
}

/// The probe's handle in a request's [`Extensions`] (private: no
/// middleware can forge one).
#[derive(Clone)]
struct Probe(Arc<Seen>);

/// `client` with the probe appended: it runs last, next to reqwest, on
/// every attempt your middleware makes.
pub(crate) fn with_probe(client: ClientWithMiddleware) -> ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::from_client(client)
        .with(probe)
        .build()
}

/// What a middleware returns (reqwest-middleware's `BoxFuture`, which it
/// does not export).
type Answer<'a> = std::pin::Pin<
    Box<
        dyn std::future::Future<Output = reqwest_middleware::Result<reqwest::Response>> + Send + 'a,
    >,
>;

/// The innermost middleware: passes each request to reqwest and notes
/// whether it may have reached the server.
fn probe<'a>(
    request: reqwest::Request,
    extensions: &'a mut Extensions,
    next: Next<'a>,
) -> Answer<'a> {
    let seen = extensions.get::<Probe>().map(|p| Arc::clone(&p.0));
    Box::pin(async move {
        let result = next.run(request, extensions).await;
        if let Some(seen) = seen {
            seen.attempts.fetch_add(1, Ordering::SeqCst);
            let failure = match &result {
                Err(reqwest_middleware::Error::Reqwest(e)) => Some(sort(e, seen.deadline)),
                // Only reqwest runs below the probe; anything else may
                // have sent the request.
                Err(reqwest_middleware::Error::Middleware(_)) => Some(SendError::new(
                    TransportErrorKind::Other,
                    "the request failed",
                )),
                Ok(_) => None,
            };
            if !failure
                .as_ref()
                .is_some_and(|f| f.kind().is_request_not_sent())
            {
                seen.maybe_sent.store(true, Ordering::SeqCst);
            }
            if let Ok(mut last) = seen.last_failure.lock() {
                *last = failure;
            }
        }
        result
    })
}

/// One exchange through the middleware and the reading of its answer, all
/// within `deadline`.
pub(crate) async fn exchange(
    client: &ClientWithMiddleware,
    request: reqwest::Request,
    max_body_bytes: usize,
    deadline: Option<Duration>,
) -> Result<HttpResponse, SendError> {
    let exchange = async {
        let response = execute(client, request, deadline).await?;
        crate::transport::read(response, max_body_bytes, deadline).await
    };
    match deadline {
        Some(deadline) => tokio::time::timeout(deadline, exchange)
            .await
            .unwrap_or_else(|_| Err(SendError::timeout(Some(deadline)))),
        None => exchange.await,
    }
}

async fn execute(
    client: &ClientWithMiddleware,
    request: reqwest::Request,
    deadline: Option<Duration>,
) -> Result<reqwest::Response, SendError> {
    let seen = Arc::new(Seen {
        deadline,
        attempts: AtomicU32::new(0),
        maybe_sent: AtomicBool::new(false),
        last_failure: Mutex::new(None),
    });
    let mut extensions = Extensions::new();
    extensions.insert(Probe(Arc::clone(&seen)));
    client
        .execute_with_extensions(request, &mut extensions)
        .await
        .map_err(|e| from_middleware(e, deadline, &seen))
}

/// Sorts what the middleware stack returned. A reqwest error (returned as
/// is, or found inside a middleware's error) is sorted as over a plain
/// client; failing that, the last failure the probe saw; failing that, the
/// failure is the middleware's own, kind
/// [`Other`](TransportErrorKind::Other). A kind that says "not sent" is
/// kept only when the probe proves it; otherwise the request may have been
/// sent by an earlier attempt of the middleware's, and it becomes
/// [`Timeout`](TransportErrorKind::Timeout) (for a connect deadline) or
/// [`Other`](TransportErrorKind::Other): a create is then not sent again.
fn from_middleware(
    error: reqwest_middleware::Error,
    deadline: Option<Duration>,
    seen: &Seen,
) -> SendError {
    let sorted = match error {
        reqwest_middleware::Error::Reqwest(e) => from_reqwest(e, deadline),
        reqwest_middleware::Error::Middleware(e) => {
            let sorted = match find_reqwest(&*e, 0) {
                Some(found) => Some(sort(found, deadline)),
                None => seen
                    .last_failure
                    .lock()
                    .ok()
                    .and_then(|mut last| last.take()),
            };
            sorted
                .unwrap_or_else(|| {
                    SendError::new(TransportErrorKind::Other, "a middleware failed the request")
                })
                .with_source(MiddlewareError(e.into()))
        }
    };
    if !sorted.kind().is_request_not_sent() || seen.proven_not_sent() {
        return sorted;
    }
    let kind = if sorted.kind() == TransportErrorKind::ConnectTimeout {
        TransportErrorKind::Timeout
    } else {
        TransportErrorKind::Other
    };
    let message = format!(
        "{} (after middleware that may have sent the request before)",
        sorted.message()
    );
    let source = StdError::source(&sorted).is_some();
    let demoted = SendError::new(kind, message);
    if source {
        // Keep the cause: `SendError` gives its source up only by value.
        demoted.with_source(sorted)
    } else {
        demoted
    }
}

/// The first reqwest error in `error`'s chain: as a cause of its own, or
/// inside a reqwest-middleware error met on the way (whose `source`
/// skips the error it wraps).
fn find_reqwest<'a>(
    error: &'a (dyn StdError + 'static),
    depth: usize,
) -> Option<&'a reqwest::Error> {
    if depth > 8 {
        return None;
    }
    for cause in error_chain(error) {
        if let Some(found) = cause.downcast_ref::<reqwest::Error>() {
            return Some(found);
        }
        match cause.downcast_ref::<reqwest_middleware::Error>() {
            Some(reqwest_middleware::Error::Reqwest(found)) => return Some(found),
            Some(reqwest_middleware::Error::Middleware(inner)) => {
                return find_reqwest(&**inner, depth + 1);
            }
            None => {}
        }
    }
    None
}

/// A middleware's own error, kept as the [source](StdError::source) of the
/// [`SendError`](crate::Error) it caused, and reached with
/// [`find`](clerk_core::SendError::find).
///
/// Its `Display` and `Debug` do not quote it: a middleware's error often
/// holds reqwest's error, with the request's URL, or text of the
/// middleware's own making. Read it on purpose with
/// [`get_ref`](Self::get_ref).
///
/// ```
/// fn middleware_said(error: &clerk_reqwest::Error) -> Option<String> {
///     let theirs = error.find::<clerk_reqwest::MiddlewareError>()?;
///     Some(theirs.get_ref().to_string())
/// }
///
/// let plain = clerk_core::SendError::new(clerk_core::TransportErrorKind::Io, "reset");
/// assert_eq!(middleware_said(&plain), None);
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "middleware")))]
pub struct MiddlewareError(Box<dyn StdError + Send + Sync>);

impl MiddlewareError {
    /// The middleware's error, as it returned it (inside
    /// `reqwest_middleware::Error::Middleware`).
    ///
    /// See [`MiddlewareError`] for an example.
    pub fn get_ref(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.0
    }
}

impl fmt::Display for MiddlewareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a middleware's error (not quoted; MiddlewareError::get_ref has it)")
    }
}

impl fmt::Debug for MiddlewareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MiddlewareError").finish_non_exhaustive()
    }
}

impl StdError for MiddlewareError {}
