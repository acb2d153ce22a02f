//! The transport over a tower service, and its builder.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::pin;
use std::time::Duration;

use bytes::{Buf as _, Bytes};
use clerk_core::{
    BodyBuffer, BuildError, HttpRequest, HttpResponse, HttpTransport, InvalidInput, SendError,
    Timer, TransportLimits,
};
use http_body::Body;
use http_body_util::{BodyExt, Full};
use tower_service::Service;

use crate::error::{BoxError, Step, classify, not_ready_in_time};

/// clerk-core's [`HttpTransport`] over a tower [`Service`]: any
/// `Service<http::Request<B>, Response = http::Response<impl Body>>`, your
/// layers included.
///
/// `S` is the service (cloned for each request, as tower services are), `T`
/// the [`Timer`] that keeps the attempt deadline, `B` the request body type
/// your service takes (anything made `From<Bytes>`: `Full<Bytes>`, the
/// default, axum's or reqwest's `Body`). Cheap to clone when the service is.
/// Its futures are `Send` when the service's future, its bodies and the
/// timer's sleep are (they are for hyper-util's client on tokio).
///
/// ```
/// use bytes::Bytes;
/// use clerk_core::HttpTransport;
/// use clerk_tower::TowerTransport;
/// use http_body_util::Full;
///
/// // Any service: here a closure that answers 204, as a stand-in for your stack.
/// let service = tower::service_fn(|_request: http::Request<Full<Bytes>>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::builder().status(204).body(Full::new(Bytes::new())).unwrap())
/// });
/// let transport = TowerTransport::new(service);
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// let request = http::Request::post("http://127.0.0.1:1/v1/x").body(Bytes::new())?;
/// let response = transport.send(request).await?;
/// assert_eq!(response.status(), 204);
/// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TowerTransport<S, T, B = Full<Bytes>> {
    service: S,
    timer: T,
    limits: TransportLimits,
    resends: bool,
    body: PhantomData<fn() -> B>,
}

/// Settings for a [`TowerTransport`]: clerk-core's [`TransportLimits`]
/// under the names every adapter crate uses, and the timer that keeps the
/// deadline. Finish with [`build`](Builder::build).
///
/// ```
/// use std::time::Duration;
/// use bytes::Bytes;
/// use http_body_util::Full;
///
/// let service = tower::service_fn(|_: http::Request<Full<Bytes>>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::new())))
/// });
/// let transport = clerk_tower::TowerTransport::builder(service)
///     .request_timeout(Duration::from_secs(5))
///     .max_body_bytes(64 * 1024)
///     .build()?;
/// assert_eq!(transport.limits().max_body_bytes, 64 * 1024);
/// # Ok::<(), clerk_core::BuildError>(())
/// ```
#[must_use]
pub struct Builder<S, T, B = Full<Bytes>> {
    service: S,
    timer: T,
    limits: TransportLimits,
    resends: bool,
    body: PhantomData<fn() -> B>,
}

#[cfg(feature = "tokio")]
impl<S, B> TowerTransport<S, clerk_tokio::TokioTimer, B>
where
    S: Service<http::Request<B>>,
{
    /// `service` with clerk-core's defaults ([`TransportLimits`]: a 10 s
    /// attempt deadline, the 1 MiB body cap, plain `http` to loopback only),
    /// the deadline kept on tokio's clock ([`TokioTimer`](crate::TokioTimer)).
    ///
    /// See [`TowerTransport`] for an example.
    pub fn new(service: S) -> Self {
        Self::builder(service).finish()
    }

    /// Settings for a transport over `service`, its deadline kept on
    /// tokio's clock; see [`Builder`].
    ///
    /// See [`Builder`] for an example.
    pub fn builder(service: S) -> Builder<S, clerk_tokio::TokioTimer, B> {
        Builder::with_timer(service, clerk_tokio::TokioTimer)
    }
}

impl<S, T, B> Builder<S, T, B> {
    /// Settings for a transport over `service` whose deadline is kept with
    /// `timer`: any clerk-core [`Timer`] (your runtime's), with or without
    /// the `tokio` feature.
    ///
    /// ```
    /// use std::time::Duration;
    /// use bytes::Bytes;
    /// use http_body_util::Full;
    ///
    /// struct MyTimer; // your runtime's sleep
    /// impl clerk_core::Timer for MyTimer {
    ///     async fn sleep(&self, duration: Duration) {
    ///         tokio::time::sleep(duration).await
    ///     }
    /// }
    /// let service = tower::service_fn(|_: http::Request<Full<Bytes>>| async {
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::new())))
    /// });
    /// let transport = clerk_tower::Builder::with_timer(service, MyTimer).build()?;
    /// # let _ = transport;
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn with_timer(service: S, timer: T) -> Self
    where
        S: Service<http::Request<B>>,
    {
        Self {
            service,
            timer,
            limits: TransportLimits::default(),
            resends: false,
            body: PhantomData,
        }
    }

    /// The deadline on each attempt, from asking the service for readiness
    /// to the last body byte (default
    /// [`DEFAULT_REQUEST_TIMEOUT`](clerk_core::DEFAULT_REQUEST_TIMEOUT), 10 s;
    /// the client's whole-call deadline can make an attempt's shorter).
    /// `None` sets none of this transport's own: only the whole-call deadline
    /// and your stack's layers bound an attempt then.
    ///
    /// ```
    /// # use bytes::Bytes; use http_body_util::Full;
    /// # let service = tower::service_fn(|_: http::Request<Full<Bytes>>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::new())))
    /// # });
    /// let t = clerk_tower::TowerTransport::builder(service).request_timeout(None).build()?;
    /// assert_eq!(t.limits().request_timeout, None);
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn request_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.limits.request_timeout = timeout.into();
        self
    }

    /// The most response body kept (default
    /// [`DEFAULT_MAX_BODY_BYTES`](clerk_core::DEFAULT_MAX_BODY_BYTES), 1 MiB).
    /// A declared length (the body's exact size hint: `Content-Length` for
    /// hyper's bodies) over it fails before a byte is read; any body fails as
    /// soon as it passes it.
    ///
    /// See [`Builder`] for an example.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.limits.max_body_bytes = limit;
        self
    }

    /// Whether plain `http://` may go to hosts that are not loopback. Off by
    /// default: such a request is refused, kind
    /// [`InsecureScheme`](clerk_core::TransportErrorKind::InsecureScheme),
    /// before the service sees it ([`check_request`](clerk_core::check_request)).
    ///
    /// ```
    /// # use bytes::Bytes; use http_body_util::Full;
    /// # let service = tower::service_fn(|_: http::Request<Full<Bytes>>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::new())))
    /// # });
    /// let t = clerk_tower::TowerTransport::builder(service).allow_insecure_http(true).build()?;
    /// assert!(t.limits().allow_insecure_http);
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.limits.allow_insecure_http = allow;
        self
    }

    /// Say `true` when your service may send one request more than once: a
    /// retry or hedge layer of your own. Its error then describes only its
    /// last attempt, so no failure of the service's call is read as "not
    /// sent" (a refused connection becomes kind `Other`, a connect timeout
    /// `Timeout`), and clerk-core does not send a create again after it.
    /// Default `false`. Failures this transport sees before handing the
    /// request over (the cleartext rule, a service that was not ready) stay
    /// "not sent".
    ///
    /// ```
    /// # use bytes::Bytes; use http_body_util::Full;
    /// # let service = tower::service_fn(|_: http::Request<Full<Bytes>>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::new())))
    /// # });
    /// let t = clerk_tower::TowerTransport::builder(service).service_resends(true).build()?;
    /// assert!(t.service_resends());
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn service_resends(mut self, resends: bool) -> Self {
        self.resends = resends;
        self
    }

    /// Keeps the deadline with `timer` instead.
    ///
    /// ```
    /// # use bytes::Bytes; use http_body_util::Full;
    /// # let service = tower::service_fn(|_: http::Request<Full<Bytes>>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::new())))
    /// # });
    /// // A timer that cannot sleep cannot keep a deadline: only without one.
    /// let refused = clerk_tower::TowerTransport::builder(service.clone()).timer(clerk_core::NoTimer).build();
    /// assert_eq!(refused.unwrap_err().invalid_input().unwrap().field(), "timer");
    /// let t = clerk_tower::TowerTransport::builder(service)
    ///     .timer(clerk_core::NoTimer)
    ///     .request_timeout(None)
    ///     .build()?;
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn timer<T2>(self, timer: T2) -> Builder<S, T2, B> {
        Builder {
            service: self.service,
            timer,
            limits: self.limits,
            resends: self.resends,
            body: PhantomData,
        }
    }

    fn finish(self) -> TowerTransport<S, T, B> {
        TowerTransport {
            service: self.service,
            timer: self.timer,
            limits: self.limits,
            resends: self.resends,
            body: PhantomData,
        }
    }
}

impl<S, T: Timer, B> Builder<S, T, B> {
    /// The transport. Fails only when a request deadline is set and the
    /// timer cannot sleep ([`NoTimer`](clerk_core::NoTimer)): the deadline
    /// could not be kept.
    ///
    /// See [`Builder::timer`] for an example.
    pub fn build(self) -> Result<TowerTransport<S, T, B>, BuildError> {
        if self.limits.request_timeout.is_some() && !self.timer.can_sleep() {
            return Err(InvalidInput::new(
                "timer",
                "cannot sleep, so it cannot keep the request deadline: give a timer that can, \
                 or request_timeout(None)",
            )
            .into());
        }
        Ok(self.finish())
    }
}

impl<S, T, B> TowerTransport<S, T, B> {
    /// The limits this transport keeps (clerk-core's [`TransportLimits`];
    /// its `connect_timeout` is not used: your service owns connecting).
    ///
    /// See [`Builder`] for an example.
    pub fn limits(&self) -> &TransportLimits {
        &self.limits
    }

    /// Whether the service was declared to send requests more than once
    /// ([`Builder::service_resends`]).
    ///
    /// See [`Builder::service_resends`] for an example.
    pub fn service_resends(&self) -> bool {
        self.resends
    }

    /// The service underneath.
    ///
    /// ```
    /// # use bytes::Bytes; use http_body_util::Full;
    /// let service = tower::service_fn(|_: http::Request<Full<Bytes>>| async {
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::new())))
    /// });
    /// let transport = clerk_tower::TowerTransport::new(service);
    /// let _yours = transport.service();
    /// ```
    pub fn service(&self) -> &S {
        &self.service
    }
}

impl<S, T, B, ResBody> TowerTransport<S, T, B>
where
    S: Service<http::Request<B>, Response = http::Response<ResBody>> + Clone,
    S::Error: Into<BoxError>,
    ResBody: Body,
    ResBody::Error: Into<BoxError>,
    B: From<Bytes>,
    T: Timer,
{
    /// One attempt: the cleartext rule, then readiness, the call and the
    /// capped body read, all within the attempt's deadline.
    pub(crate) async fn exchange(
        &self,
        request: HttpRequest,
        remaining: Option<Duration>,
    ) -> Result<HttpResponse, SendError> {
        let limits = &self.limits;
        clerk_core::check_request(request.uri(), limits.allow_insecure_http)?;
        // A timer that cannot sleep keeps no deadline (`build` refused one
        // of our own; the client's whole-call deadline is then not kept per
        // attempt).
        let deadline = limits
            .attempt_timeout(remaining)
            .filter(|_| self.timer.can_sleep());
        let mut sleep = pin!(async {
            match deadline {
                Some(after) => self.timer.sleep(after).await,
                None => std::future::pending().await,
            }
        });
        let mut service = self.service.clone();
        {
            // Readiness (a concurrency limit's permit, a buffer's slot): the
            // request is not the service's yet.
            let ready = pin!(std::future::poll_fn(|cx| service.poll_ready(cx)));
            match clerk_core::race_deadline(ready, sleep.as_mut()).await {
                None => return Err(not_ready_in_time(deadline.unwrap_or_default())),
                Some(Err(e)) => return Err(classify(e.into(), Step::Ready, false)),
                Some(Ok(())) => {}
            }
        }
        let request = request.map(B::from);
        let limit = limits.max_body_bytes;
        let resends = self.resends;
        let whole = pin!(async move {
            let response = service
                .call(request)
                .await
                .map_err(|e| classify(e.into(), Step::Call, resends))?;
            read_capped(response, limit).await
        });
        match clerk_core::race_deadline(whole, sleep).await {
            Some(answer) => answer,
            None => Err(SendError::timeout(deadline)),
        }
    }
}

/// Reads the whole body of `response` into clerk-core's [`BodyBuffer`]: the
/// declared length (the body's exact size hint) first, then every frame as
/// it arrives. Trailers are ignored.
async fn read_capped<ResBody>(
    response: http::Response<ResBody>,
    limit: usize,
) -> Result<HttpResponse, SendError>
where
    ResBody: Body,
    ResBody::Error: Into<BoxError>,
{
    let (parts, body) = response.into_parts();
    let mut buffer = BodyBuffer::new(limit, body.size_hint().exact())?;
    let mut body = pin!(body);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| classify(e.into(), Step::Body, false))?;
        if let Ok(mut data) = frame.into_data() {
            buffer.push(data.copy_to_bytes(data.remaining()))?;
        }
    }
    Ok(http::Response::from_parts(parts, buffer.finish()))
}

impl<S, T, B, ResBody> HttpTransport for TowerTransport<S, T, B>
where
    S: Service<http::Request<B>, Response = http::Response<ResBody>> + Clone,
    S::Error: Into<BoxError>,
    ResBody: Body,
    ResBody::Error: Into<BoxError>,
    B: From<Bytes>,
    T: Timer,
{
    type Error = SendError;

    fn send(&self, request: HttpRequest) -> impl Future<Output = Result<HttpResponse, SendError>> {
        self.exchange(request, None)
    }

    fn send_within(
        &self,
        request: HttpRequest,
        remaining: Option<Duration>,
    ) -> impl Future<Output = Result<HttpResponse, SendError>> {
        self.exchange(request, remaining)
    }
}

impl<S: Clone, T: Clone, B> Clone for TowerTransport<S, T, B> {
    fn clone(&self) -> Self {
        Self {
            service: self.service.clone(),
            timer: self.timer.clone(),
            limits: self.limits,
            resends: self.resends,
            body: PhantomData,
        }
    }
}

// Not the service's own Debug: a layer may hold credentials of yours (a
// header it sets, say).
impl<S, T, B> fmt::Debug for TowerTransport<S, T, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TowerTransport")
            .field("limits", &self.limits)
            .field("service_resends", &self.resends)
            .finish_non_exhaustive()
    }
}

impl<S, T, B> fmt::Debug for Builder<S, T, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("limits", &self.limits)
            .field("service_resends", &self.resends)
            .finish_non_exhaustive()
    }
}

/// On tokio, with a thread-safe service, a transport chosen at run time:
/// `Arc<dyn SendDynHttpTransport + Send + Sync>`,
/// whose client's futures are `Send`.
///
/// ```
/// use std::sync::Arc;
/// use bytes::Bytes;
/// use clerk_core::SendDynHttpTransport;
/// use http_body_util::Full;
///
/// let service = tower::service_fn(|_: http::Request<Full<Bytes>>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::new())))
/// });
/// let shared: Arc<dyn SendDynHttpTransport + Send + Sync> =
///     Arc::new(clerk_tower::TowerTransport::new(service));
/// # let _ = shared;
/// ```
#[cfg(feature = "tokio")]
impl<S, B, ResBody> clerk_core::SendDynHttpTransport
    for TowerTransport<S, clerk_tokio::TokioTimer, B>
where
    S: Service<http::Request<B>, Response = http::Response<ResBody>> + Clone + Send + Sync,
    S::Future: Send,
    S::Error: Into<BoxError>,
    ResBody: Body + Send + 'static,
    ResBody::Data: Send,
    ResBody::Error: Into<BoxError>,
    B: From<Bytes> + Send,
{
    fn send_boxed(&self, request: HttpRequest) -> clerk_core::BoxedSendResponseFuture<'_> {
        Box::pin(self.exchange(request, None))
    }

    fn send_within_boxed(
        &self,
        request: HttpRequest,
        remaining: Option<Duration>,
    ) -> clerk_core::BoxedSendResponseFuture<'_> {
        Box::pin(self.exchange(request, remaining))
    }
}
