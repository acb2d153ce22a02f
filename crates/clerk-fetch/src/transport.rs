//! [`FetchTransport`] and its [`Builder`]: the settings, and the checks that
//! run before JavaScript is called.

use std::time::Duration;

use clerk_core::{HttpRequest, HttpResponse, HttpTransport};

use crate::error::Error;
use crate::policy;

/// The default deadline on a whole exchange, from calling `fetch` to the last
/// body byte: 10 s, as in clerk-hyper.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The default cap on a response body: 1 MiB, as in clerk-hyper. Clerk's
/// answers are a few hundred bytes.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// A [`clerk_core::HttpTransport`] over the JavaScript host's global
/// `fetch`.
///
/// It works wherever `globalThis.fetch` exists: Cloudflare Workers (workerd),
/// Node 18 and later, Deno, Bun, and browser web workers. In a browser
/// *window* it refuses with [`Error::BrowserWindow`] unless built with
/// [`Builder::dangerously_allow_browser_window`].
///
/// Each request gets an `AbortSignal` that fires after the
/// [deadline](Builder::request_timeout) (10 s by default), redirects are not
/// followed (`redirect: "manual"`), and at most
/// [`max_body_bytes`](Builder::max_body_bytes) (1 MiB by default) of body are
/// read. Dropping the future aborts the request.
///
/// It holds only settings: cloning is free, and the transport is `Send` and
/// `Sync`. Its futures are not `Send` (JavaScript values live on one thread).
///
/// On targets other than `wasm32-unknown-unknown` there is no JavaScript, and
/// [`send`](HttpTransport::send) answers [`Error::NoFetch`].
///
/// ```
/// use clerk_fetch::FetchTransport;
///
/// let transport = FetchTransport::new();
/// assert_eq!(transport.max_body_bytes(), clerk_fetch::DEFAULT_MAX_BODY_BYTES);
/// assert_eq!(transport.request_timeout(), Some(clerk_fetch::DEFAULT_REQUEST_TIMEOUT));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchTransport {
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) max_body_bytes: usize,
    pub(crate) allow_insecure_http: bool,
    pub(crate) allow_browser_window: bool,
}

impl Default for FetchTransport {
    fn default() -> Self {
        Self {
            request_timeout: Some(DEFAULT_REQUEST_TIMEOUT),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            allow_insecure_http: false,
            allow_browser_window: false,
        }
    }
}

impl FetchTransport {
    /// A transport with the defaults: a 10 s deadline, a 1 MiB body cap,
    /// plain `http` only to loopback, refused in a browser window.
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
    ///     .build();
    /// assert_eq!(transport.request_timeout(), Some(Duration::from_secs(3)));
    /// ```
    pub fn builder() -> Builder {
        Builder {
            transport: Self::default(),
        }
    }

    /// The deadline on each exchange; `None` when turned off.
    ///
    /// ```
    /// let t = clerk_fetch::FetchTransport::builder().without_request_timeout().build();
    /// assert_eq!(t.request_timeout(), None);
    /// ```
    pub fn request_timeout(&self) -> Option<Duration> {
        self.request_timeout
    }

    /// The cap on a response body, in bytes.
    ///
    /// ```
    /// assert_eq!(clerk_fetch::FetchTransport::new().max_body_bytes(), 1024 * 1024);
    /// ```
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// Whether this transport sends from a browser window (the opt-in of
    /// [`Builder::dangerously_allow_browser_window`]).
    ///
    /// ```
    /// let t = clerk_fetch::FetchTransport::builder().dangerously_allow_browser_window().build();
    /// assert!(t.allows_browser_window());
    /// ```
    pub fn allows_browser_window(&self) -> bool {
        self.allow_browser_window
    }
}

impl HttpTransport for FetchTransport {
    type Error = Error;

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        policy::check_uri(request.uri(), self.allow_insecure_http)?;
        #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
        {
            crate::js::send(self, request).await
        }
        #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
        {
            drop(request);
            Err(Error::NoFetch)
        }
    }
}

/// Settings for a [`FetchTransport`]; from [`FetchTransport::builder`].
///
/// ```
/// use std::time::Duration;
/// let transport = clerk_fetch::FetchTransport::builder()
///     .request_timeout(Duration::from_secs(5))
///     .build();
/// assert_eq!(transport.request_timeout(), Some(Duration::from_secs(5)));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Builder {
    transport: FetchTransport,
}

impl Builder {
    /// The deadline on each exchange, from calling `fetch` to the last body
    /// byte (default [`DEFAULT_REQUEST_TIMEOUT`]). When it runs out the
    /// request is aborted and [`Error::Timeout`] returned. Durations over
    /// about 24.8 days (JavaScript's timer limit) are cut to that.
    ///
    /// ```
    /// use std::time::Duration;
    /// let t = clerk_fetch::FetchTransport::builder().request_timeout(Duration::from_millis(800)).build();
    /// assert_eq!(t.request_timeout(), Some(Duration::from_millis(800)));
    /// ```
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.transport.request_timeout = Some(timeout);
        self
    }

    /// No deadline: a request waits as long as the host lets it (a Worker's
    /// own limits still apply).
    ///
    /// ```
    /// let t = clerk_fetch::FetchTransport::builder().without_request_timeout().build();
    /// assert!(t.request_timeout().is_none());
    /// ```
    pub fn without_request_timeout(mut self) -> Self {
        self.transport.request_timeout = None;
        self
    }

    /// The most response body to read, in bytes (default
    /// [`DEFAULT_MAX_BODY_BYTES`]). Checked against `Content-Length` before
    /// reading and again while reading; over it, [`Error::BodyTooLarge`].
    ///
    /// ```
    /// let t = clerk_fetch::FetchTransport::builder().max_body_bytes(4096).build();
    /// assert_eq!(t.max_body_bytes(), 4096);
    /// ```
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.transport.max_body_bytes = limit;
        self
    }

    /// Allow plain `http://` to hosts other than loopback. The secret key
    /// then crosses the network in cleartext: only behind a TLS-terminating
    /// proxy you trust.
    ///
    /// ```
    /// let t = clerk_fetch::FetchTransport::builder().allow_insecure_http().build();
    /// # let _ = t;
    /// ```
    pub fn allow_insecure_http(mut self) -> Self {
        self.transport.allow_insecure_http = true;
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
    /// let t = clerk_fetch::FetchTransport::builder().dangerously_allow_browser_window().build();
    /// assert!(t.allows_browser_window());
    /// ```
    pub fn dangerously_allow_browser_window(mut self) -> Self {
        self.transport.allow_browser_window = true;
        self
    }

    /// The transport.
    ///
    /// ```
    /// let t = clerk_fetch::FetchTransport::builder().build();
    /// assert_eq!(t, clerk_fetch::FetchTransport::new());
    /// ```
    pub fn build(self) -> FetchTransport {
        self.transport
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_run_before_any_javascript() {
        let transport = FetchTransport::new();
        let request = http::Request::post("http://api.clerk.com/v1/sign_in_tokens")
            .body(bytes::Bytes::new())
            .expect("request");
        let err = poll_once(transport.send(request)).expect_err("cleartext");
        assert!(matches!(err, Error::InsecureScheme { .. }));
    }

    #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
    #[test]
    fn without_javascript_there_is_no_fetch() {
        let request = http::Request::post("https://api.clerk.com/v1/sign_in_tokens")
            .body(bytes::Bytes::new())
            .expect("request");
        let err = poll_once(FetchTransport::new().send(request)).expect_err("no js");
        assert_eq!(err, Error::NoFetch);
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
