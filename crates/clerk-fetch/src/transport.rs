//! [`FetchTransport`] and its [`Builder`]: the settings, and the checks that
//! run before JavaScript is called.

use std::time::Duration;

use clerk_core::{
    BuildError, HttpRequest, HttpResponse, HttpTransport, SendError, TransportLimits,
};

/// A [`clerk_core::HttpTransport`] over the JavaScript host's global
/// `fetch`.
///
/// It works wherever `globalThis.fetch` exists: Cloudflare Workers (workerd),
/// Node 18 and later, Deno, Bun, and browser web workers. In a browser
/// *window* it refuses (kind [`Refused`](clerk_core::TransportErrorKind::Refused))
/// unless built with [`Builder::dangerously_allow_browser_window`].
///
/// Each request gets an `AbortSignal`: it fires after the attempt's
/// deadline ([`request_timeout`](Builder::request_timeout), 10 s by default,
/// or what is left of the client's whole-call deadline if that is shorter),
/// and when the future is dropped, so a dropped call never leaves a fetch or
/// its body stream running. Redirects are not followed (`redirect:
/// "manual"`), and at most [`max_body_bytes`](Builder::max_body_bytes)
/// (1 MiB by default) of body are read.
///
/// It holds only settings: cloning is free, and the transport is `Send` and
/// `Sync`. Its futures are not `Send` (JavaScript values live on one thread).
///
/// On targets other than `wasm32-unknown-unknown` there is no JavaScript, and
/// [`send`](HttpTransport::send) answers kind
/// [`Refused`](clerk_core::TransportErrorKind::Refused) ("no fetch to call").
///
/// ```
/// use clerk_fetch::FetchTransport;
///
/// let transport = FetchTransport::new();
/// assert_eq!(transport.max_body_bytes(), clerk_core::DEFAULT_MAX_BODY_BYTES);
/// assert_eq!(transport.request_timeout(), Some(clerk_core::DEFAULT_REQUEST_TIMEOUT));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchTransport {
    pub(crate) limits: TransportLimits,
    pub(crate) allow_browser_window: bool,
}

impl FetchTransport {
    /// A transport with clerk-core's defaults ([`TransportLimits`]): a 10 s
    /// deadline, a 1 MiB body cap, plain `http` only to loopback; refused in
    /// a browser window.
    ///
    /// ```
    /// let transport = clerk_fetch::FetchTransport::new();
    /// assert!(!transport.allows_browser_window());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts from the defaults and changes some.
    ///
    /// ```
    /// use std::time::Duration;
    /// let transport = clerk_fetch::FetchTransport::builder()
    ///     .request_timeout(Duration::from_secs(3))
    ///     .max_body_bytes(64 * 1024)
    ///     .build()?;
    /// assert_eq!(transport.request_timeout(), Some(Duration::from_secs(3)));
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn builder() -> Builder {
        Builder {
            transport: Self::default(),
        }
    }

    /// The deadline on each exchange; `None` when turned off.
    ///
    /// ```
    /// let t = clerk_fetch::FetchTransport::builder().request_timeout(None).build()?;
    /// assert_eq!(t.request_timeout(), None);
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn request_timeout(&self) -> Option<Duration> {
        self.limits.request_timeout
    }

    /// The cap on a response body, in bytes.
    ///
    /// ```
    /// assert_eq!(clerk_fetch::FetchTransport::new().max_body_bytes(), 1024 * 1024);
    /// ```
    pub fn max_body_bytes(&self) -> usize {
        self.limits.max_body_bytes
    }

    /// The limits this transport keeps (clerk-core's [`TransportLimits`];
    /// its `connect_timeout` is the host's business here, see [`Builder`]).
    ///
    /// ```
    /// assert!(!clerk_fetch::FetchTransport::new().limits().allow_insecure_http);
    /// ```
    pub fn limits(&self) -> &TransportLimits {
        &self.limits
    }

    /// Whether this transport sends from a browser window (the opt-in of
    /// [`Builder::dangerously_allow_browser_window`]).
    ///
    /// ```
    /// let t = clerk_fetch::FetchTransport::builder().dangerously_allow_browser_window().build()?;
    /// assert!(t.allows_browser_window());
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn allows_browser_window(&self) -> bool {
        self.allow_browser_window
    }
}

impl HttpTransport for FetchTransport {
    type Error = SendError;

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, SendError> {
        self.send_within(request, None).await
    }

    async fn send_within(
        &self,
        request: HttpRequest,
        remaining: Option<Duration>,
    ) -> Result<HttpResponse, SendError> {
        clerk_core::check_request(request.uri(), self.limits.allow_insecure_http)?;
        #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
        {
            crate::js::send(self, request, self.limits.attempt_timeout(remaining)).await
        }
        #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
        {
            drop((request, remaining));
            Err(crate::error::no_fetch())
        }
    }
}

/// Settings for a [`FetchTransport`]; from [`FetchTransport::builder`].
///
/// `request_timeout`, `max_body_bytes` and `allow_insecure_http` are
/// clerk-core's [`TransportLimits`], under the names every adapter crate
/// uses. There is no `connect_timeout`: the host owns connecting (and TLS),
/// and `fetch` has no separate connect phase to bound; the request deadline
/// covers it.
///
/// ```
/// use std::time::Duration;
/// let transport = clerk_fetch::FetchTransport::builder()
///     .request_timeout(Duration::from_secs(5))
///     .build()?;
/// assert_eq!(transport.request_timeout(), Some(Duration::from_secs(5)));
/// # Ok::<(), clerk_core::BuildError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Builder {
    transport: FetchTransport,
}

impl Builder {
    /// The deadline on each exchange, from calling `fetch` to the last body
    /// byte (default [`DEFAULT_REQUEST_TIMEOUT`](clerk_core::DEFAULT_REQUEST_TIMEOUT),
    /// 10 s; the client's whole-call deadline can make an attempt's
    /// shorter). When it runs out the request is aborted, kind
    /// [`Timeout`](clerk_core::TransportErrorKind::Timeout). `None`: a request
    /// waits as long as the host lets it (a Worker's own limits still
    /// apply). Durations over about 24.8 days (JavaScript's timer limit) are
    /// cut to that.
    ///
    /// ```
    /// use std::time::Duration;
    /// let t = clerk_fetch::FetchTransport::builder().request_timeout(Duration::from_millis(800)).build()?;
    /// assert_eq!(t.request_timeout(), Some(Duration::from_millis(800)));
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn request_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.transport.limits.request_timeout = timeout.into();
        self
    }

    /// The most response body to read, in bytes (default
    /// [`DEFAULT_MAX_BODY_BYTES`](clerk_core::DEFAULT_MAX_BODY_BYTES)). Checked
    /// against `Content-Length` before reading and again while reading; over
    /// it, kind [`BodyTooLarge`](clerk_core::TransportErrorKind::BodyTooLarge).
    ///
    /// ```
    /// let t = clerk_fetch::FetchTransport::builder().max_body_bytes(4096).build()?;
    /// assert_eq!(t.max_body_bytes(), 4096);
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.transport.limits.max_body_bytes = limit;
        self
    }

    /// Whether plain `http://` may go to hosts other than loopback (default
    /// `false`). The secret key then crosses the network in cleartext: only
    /// behind a TLS-terminating proxy you trust.
    ///
    /// ```
    /// let t = clerk_fetch::FetchTransport::builder().allow_insecure_http(true).build()?;
    /// assert!(t.limits().allow_insecure_http);
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.transport.limits.allow_insecure_http = allow;
        self
    }

    /// Send even from a browser window (a page with `window` and
    /// `document`). **The secret key is then readable by anyone who opens
    /// the page**, in its source, its memory and its network log; it can
    /// create sign-in tokens for any user. Use it only for a page that never
    /// leaves a trusted machine (a local admin tool), with a development key.
    /// Workers, web workers and server runtimes need no opt-in.
    ///
    /// ```
    /// let t = clerk_fetch::FetchTransport::builder().dangerously_allow_browser_window().build()?;
    /// assert!(t.allows_browser_window());
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn dangerously_allow_browser_window(mut self) -> Self {
        self.transport.allow_browser_window = true;
        self
    }

    /// The transport. Never fails today; a `Result` like every adapter's
    /// `build`, with clerk-core's one [`BuildError`].
    ///
    /// ```
    /// let t = clerk_fetch::FetchTransport::builder().build()?;
    /// assert_eq!(t, clerk_fetch::FetchTransport::new());
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn build(self) -> Result<FetchTransport, BuildError> {
        Ok(self.transport)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clerk_core::TransportErrorKind;

    #[test]
    fn checks_run_before_any_javascript() {
        let transport = FetchTransport::new();
        let request = http::Request::post("http://api.clerk.com/v1/sign_in_tokens")
            .body(bytes::Bytes::new())
            .expect("request");
        let err = poll_once(transport.send(request)).expect_err("cleartext");
        assert_eq!(err.kind(), TransportErrorKind::InsecureScheme);
    }

    #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
    #[test]
    fn without_javascript_there_is_no_fetch() {
        let request = http::Request::post("https://api.clerk.com/v1/sign_in_tokens")
            .body(bytes::Bytes::new())
            .expect("request");
        let err = poll_once(FetchTransport::new().send(request)).expect_err("no js");
        assert_eq!(err.kind(), TransportErrorKind::Refused);
        assert!(err.to_string().starts_with("no fetch to call"));
    }

    /// Polls a future that never waits (the checks above resolve at once).
    fn poll_once<F: std::future::Future>(fut: F) -> F::Output {
        use std::task::{Context, Poll, Waker};
        let mut fut = std::pin::pin!(fut);
        match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(out) => out,
            Poll::Pending => panic!("the future waited"),
        }
    }
}
