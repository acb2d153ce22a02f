//! The async transport over `reqwest::Client`, and the builder both
//! transports share.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use clerk_core::{
    BodyBuffer, BuildError, HttpRequest, HttpResponse, HttpTransport, SendError, TransportLimits,
};

use crate::error::from_reqwest;

/// Settings for [`ReqwestTransport`] (and, with feature `blocking`,
/// [`ReqwestBlockingTransport`]).
///
/// Its four settings are clerk-core's [`TransportLimits`], under the names
/// every adapter crate uses. The deadline, the body cap and the cleartext
/// rule apply to any client, yours or one built here; the connect deadline
/// only to a client built here ([`build`](Builder::build)), since a reqwest
/// client cannot be changed once built.
///
/// ```
/// use std::time::Duration;
///
/// let transport = clerk_reqwest::ReqwestTransport::builder()
///     .request_timeout(Duration::from_secs(5))
///     .max_body_bytes(64 * 1024)
///     .build_with(reqwest::Client::new());
/// assert_eq!(transport.max_body_bytes(), 64 * 1024);
/// assert_eq!(transport.request_timeout(), Some(Duration::from_secs(5)));
/// ```
#[cfg_attr(feature = "blocking", doc = "")]
#[cfg_attr(
    feature = "blocking",
    doc = "[`ReqwestBlockingTransport`]: crate::ReqwestBlockingTransport"
)]
// Without the feature the type does not exist: the link goes to the feature list.
#[cfg_attr(not(feature = "blocking"), doc = "")]
#[cfg_attr(
    not(feature = "blocking"),
    doc = "[`ReqwestBlockingTransport`]: crate#crate-features"
)]
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Builder {
    limits: TransportLimits,
}

impl Builder {
    /// The deadline on each whole exchange, from connecting to the last byte
    /// of the body (default
    /// [`DEFAULT_REQUEST_TIMEOUT`](clerk_core::DEFAULT_REQUEST_TIMEOUT), 10 s;
    /// the client's whole-call deadline can make an attempt's shorter). It
    /// is set on every request, so it replaces a `timeout` set on your client
    /// for these requests. `None` sets no deadline of this transport's own:
    /// only your client's `timeout` (if any) bounds a request then.
    ///
    /// ```
    /// let b = clerk_reqwest::ReqwestTransport::builder()
    ///     .request_timeout(std::time::Duration::from_secs(3));
    /// let t = clerk_reqwest::ReqwestTransport::builder()
    ///     .request_timeout(None)
    ///     .build_with(reqwest::Client::new());
    /// assert_eq!(t.request_timeout(), None);
    /// ```
    pub fn request_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.limits.request_timeout = timeout.into();
        self
    }

    /// The deadline on connecting (TCP and TLS) for a client built by
    /// [`build`](Builder::build) (default
    /// [`DEFAULT_CONNECT_TIMEOUT`](clerk_core::DEFAULT_CONNECT_TIMEOUT), 5 s;
    /// `None` for none). Your own client keeps its own.
    ///
    /// ```
    /// let b = clerk_reqwest::ReqwestTransport::builder()
    ///     .connect_timeout(std::time::Duration::from_secs(2));
    /// ```
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.limits.connect_timeout = timeout.into();
        self
    }

    /// The most response body kept (default
    /// [`DEFAULT_MAX_BODY_BYTES`](clerk_core::DEFAULT_MAX_BODY_BYTES), 1 MiB).
    /// A declared `Content-Length` over it fails before a byte is read; an
    /// undeclared body fails as soon as it passes it.
    ///
    /// ```
    /// let b = clerk_reqwest::ReqwestTransport::builder().max_body_bytes(64 * 1024);
    /// ```
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.limits.max_body_bytes = limit;
        self
    }

    /// Whether plain `http://` may go to hosts that are not loopback. Off by
    /// default: such a request is refused, kind
    /// [`InsecureScheme`](clerk_core::TransportErrorKind::InsecureScheme),
    /// before a connection is opened, so the secret key cannot leave in
    /// cleartext by accident ([`check_request`](clerk_core::check_request)).
    ///
    /// ```
    /// let b = clerk_reqwest::ReqwestTransport::builder().allow_insecure_http(true);
    /// ```
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.limits.allow_insecure_http = allow;
        self
    }

    /// A transport over a new reqwest client that follows no redirects and
    /// gives up connecting after the connect deadline. Proxies come from
    /// the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
    /// `NO_PROXY`), TLS and HTTP/2 from reqwest's enabled features.
    ///
    /// ```
    /// let transport = clerk_reqwest::ReqwestTransport::builder().build()?;
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn build(self) -> Result<ReqwestTransport, BuildError> {
        let mut client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
        if let Some(timeout) = self.limits.connect_timeout {
            client = client.connect_timeout(timeout);
        }
        let client = client.build().map_err(build_error)?;
        Ok(self.build_with(client))
    }

    /// A transport over your client, whose own settings (redirects,
    /// proxies, roots, default headers, TLS) stay as they
    /// are; see the crate documentation for what they decide.
    ///
    /// ```
    /// let mine = reqwest::Client::builder().build()?;
    /// let transport = clerk_reqwest::ReqwestTransport::builder().build_with(mine);
    /// # Ok::<(), reqwest::Error>(())
    /// ```
    pub fn build_with(self, client: reqwest::Client) -> ReqwestTransport {
        ReqwestTransport {
            client: Stack::Plain(client),
            limits: self.limits,
        }
    }

    /// A transport over your reqwest-middleware client (feature
    /// `middleware`): every request runs through your middleware, under
    /// this transport's deadline, body cap and cleartext rule; see
    /// [Middleware](crate#middleware) for what a middleware sees and how its
    /// failures are sorted.
    ///
    /// ```
    /// use clerk_reqwest::reqwest_middleware::ClientBuilder;
    ///
    /// let mine = ClientBuilder::new(reqwest::Client::new()).build(); // .with(your middleware)
    /// let transport = clerk_reqwest::ReqwestTransport::builder()
    ///     .request_timeout(std::time::Duration::from_secs(5))
    ///     .build_with_middleware(mine);
    /// assert!(transport.has_middleware());
    /// assert_eq!(transport.request_timeout(), Some(std::time::Duration::from_secs(5)));
    /// ```
    #[cfg(feature = "middleware")]
    #[cfg_attr(docsrs, doc(cfg(feature = "middleware")))]
    pub fn build_with_middleware(
        self,
        client: reqwest_middleware::ClientWithMiddleware,
    ) -> ReqwestTransport {
        ReqwestTransport {
            client: Stack::Middleware(crate::middleware::with_probe(client)),
            limits: self.limits,
        }
    }

    /// A blocking transport over a new `reqwest::blocking::Client`, set up
    /// like [`build`](Builder::build)'s. Call it outside any async runtime.
    ///
    /// ```
    /// let transport = clerk_reqwest::ReqwestTransport::builder().build_blocking()?;
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    #[cfg(feature = "blocking")]
    pub fn build_blocking(self) -> Result<crate::ReqwestBlockingTransport, BuildError> {
        let mut client =
            reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none());
        if let Some(timeout) = self.limits.connect_timeout {
            client = client.connect_timeout(timeout);
        }
        let client = client.build().map_err(build_error)?;
        Ok(self.build_blocking_with(client))
    }

    /// A blocking transport over your `reqwest::blocking::Client`.
    ///
    /// ```
    /// let mine = reqwest::blocking::Client::builder().build()?;
    /// let transport = clerk_reqwest::ReqwestTransport::builder().build_blocking_with(mine);
    /// # Ok::<(), reqwest::Error>(())
    /// ```
    #[cfg(feature = "blocking")]
    pub fn build_blocking_with(
        self,
        client: reqwest::blocking::Client,
    ) -> crate::ReqwestBlockingTransport {
        crate::ReqwestBlockingTransport::new_with(client, self.limits)
    }
}

/// clerk-core's [`HttpTransport`] over a `reqwest::Client`.
///
/// Cheap to clone (clones share the client's pool); its futures are `Send`.
/// See the [crate documentation](crate) for what it owns and what your
/// client decides.
///
/// ```no_run
/// use clerk_core::{Client, CreateSignInTokenRequest, SecretKey};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let mine = reqwest::Client::builder()
///     .redirect(reqwest::redirect::Policy::none())
///     .build()?;
/// let client = Client::builder(SecretKey::new(std::env::var("CLERK_SECRET_KEY")?)?)
///     .timer(clerk_reqwest::TokioTimer)
///     .build(clerk_reqwest::ReqwestTransport::from(mine))?;
/// let token = client
///     .create_sign_in_token(&CreateSignInTokenRequest::new("user_123"))
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ReqwestTransport {
    client: Stack,
    limits: TransportLimits,
}

/// What moves the bytes: your client, or your client behind your
/// middleware (with this crate's probe appended as the innermost one).
#[derive(Clone)]
enum Stack {
    Plain(reqwest::Client),
    #[cfg(feature = "middleware")]
    Middleware(reqwest_middleware::ClientWithMiddleware),
}

/// A reqwest client that could not start, without its URL.
fn build_error(source: reqwest::Error) -> BuildError {
    BuildError::new("could not build the reqwest client").with_source(source.without_url())
}

impl ReqwestTransport {
    /// A transport over a new client with clerk-core's defaults
    /// ([`TransportLimits`]): a 10 s request deadline, a 5 s connect
    /// deadline, a 1 MiB body cap, plain `http` to loopback only; and no
    /// redirects.
    ///
    /// ```
    /// let transport = clerk_reqwest::ReqwestTransport::new()?;
    /// assert_eq!(transport.max_body_bytes(), clerk_core::DEFAULT_MAX_BODY_BYTES);
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn new() -> Result<Self, BuildError> {
        Builder::default().build()
    }

    /// Settings for a transport; see [`Builder`].
    ///
    /// ```
    /// let b = clerk_reqwest::ReqwestTransport::builder();
    /// ```
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The reqwest client underneath (with feature `middleware`, the one
    /// under your middleware).
    ///
    /// ```
    /// let mine = reqwest::Client::new();
    /// let transport = clerk_reqwest::ReqwestTransport::from(mine.clone());
    /// let _same_pool: &reqwest::Client = transport.client();
    /// ```
    pub fn client(&self) -> &reqwest::Client {
        match &self.client {
            Stack::Plain(client) => client,
            #[cfg(feature = "middleware")]
            Stack::Middleware(client) => client.as_ref(),
        }
    }

    /// Whether requests run through a reqwest-middleware client
    /// (`Builder::build_with_middleware`, feature `middleware`).
    ///
    /// ```
    /// let t = clerk_reqwest::ReqwestTransport::from(reqwest::Client::new());
    /// assert!(!t.has_middleware());
    /// ```
    pub fn has_middleware(&self) -> bool {
        match &self.client {
            Stack::Plain(_) => false,
            #[cfg(feature = "middleware")]
            Stack::Middleware(_) => true,
        }
    }

    /// The deadline set on each request, if any.
    ///
    /// ```
    /// let t = clerk_reqwest::ReqwestTransport::from(reqwest::Client::new());
    /// assert_eq!(t.request_timeout(), Some(clerk_core::DEFAULT_REQUEST_TIMEOUT));
    /// ```
    pub fn request_timeout(&self) -> Option<Duration> {
        self.limits.request_timeout
    }

    /// The body cap in bytes.
    ///
    /// ```
    /// let t = clerk_reqwest::ReqwestTransport::from(reqwest::Client::new());
    /// assert_eq!(t.max_body_bytes(), 1024 * 1024);
    /// ```
    pub fn max_body_bytes(&self) -> usize {
        self.limits.max_body_bytes
    }

    /// The limits this transport keeps (clerk-core's [`TransportLimits`]).
    ///
    /// ```
    /// let t = clerk_reqwest::ReqwestTransport::from(reqwest::Client::new());
    /// assert_eq!(t.limits(), &clerk_core::TransportLimits::default());
    /// ```
    pub fn limits(&self) -> &TransportLimits {
        &self.limits
    }

    async fn exchange(
        &self,
        request: HttpRequest,
        remaining: Option<Duration>,
    ) -> Result<HttpResponse, SendError> {
        let limits = &self.limits;
        clerk_core::check_request(request.uri(), limits.allow_insecure_http)?;
        let deadline = limits.attempt_timeout(remaining);
        let mut request = reqwest::Request::try_from(request).map_err(|_| {
            SendError::invalid_request("the request URI is not a URL reqwest accepts")
        })?;
        if let Some(deadline) = deadline {
            *request.timeout_mut() = Some(deadline);
        }
        match &self.client {
            Stack::Plain(client) => {
                let response = client
                    .execute(request)
                    .await
                    .map_err(|e| from_reqwest(e, deadline))?;
                read(response, limits.max_body_bytes, deadline).await
            }
            #[cfg(feature = "middleware")]
            Stack::Middleware(client) => {
                crate::middleware::exchange(client, request, limits.max_body_bytes, deadline).await
            }
        }
    }
}

/// Reads `response` whole into clerk-core's [`BodyBuffer`] (the body cap,
/// by `Content-Length` and while reading): the one way both stacks answer.
pub(crate) async fn read(
    mut response: reqwest::Response,
    max_body_bytes: usize,
    deadline: Option<Duration>,
) -> Result<HttpResponse, SendError> {
    let mut body = BodyBuffer::new(max_body_bytes, response.content_length())?;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| from_reqwest(e, deadline))?
    {
        body.push(chunk)?;
    }
    let mut out = http::Response::new(body.finish());
    *out.status_mut() = response.status();
    *out.version_mut() = response.version();
    *out.headers_mut() = std::mem::take(response.headers_mut());
    Ok(out)
}

impl From<reqwest::Client> for ReqwestTransport {
    /// Wraps your client with the default deadline, body cap and cleartext
    /// rule ([`Builder::build_with`] to change them).
    fn from(client: reqwest::Client) -> Self {
        Builder::default().build_with(client)
    }
}

#[cfg(feature = "middleware")]
#[cfg_attr(docsrs, doc(cfg(feature = "middleware")))]
impl From<reqwest_middleware::ClientWithMiddleware> for ReqwestTransport {
    /// Wraps your middleware client with the default deadline, body cap and
    /// cleartext rule ([`Builder::build_with_middleware`] to change them).
    ///
    /// ```
    /// let mine = clerk_reqwest::reqwest_middleware::ClientWithMiddleware::from(reqwest::Client::new());
    /// let transport = clerk_reqwest::ReqwestTransport::from(mine);
    /// assert!(transport.has_middleware());
    /// assert_eq!(transport.limits(), &clerk_core::TransportLimits::default());
    /// ```
    fn from(client: reqwest_middleware::ClientWithMiddleware) -> Self {
        Builder::default().build_with_middleware(client)
    }
}

impl HttpTransport for ReqwestTransport {
    type Error = SendError;

    // reqwest's futures are `Send`; say so for the client's futures.
    #[allow(refining_impl_trait, clippy::manual_async_fn)]
    fn send(
        &self,
        request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, Self::Error>> + Send {
        async move { self.exchange(request, None).await }
    }

    #[allow(refining_impl_trait, clippy::manual_async_fn)]
    fn send_within(
        &self,
        request: HttpRequest,
        remaining: Option<Duration>,
    ) -> impl Future<Output = Result<HttpResponse, Self::Error>> + Send {
        async move { self.exchange(request, remaining).await }
    }
}

/// A transport chosen at run time, used across threads:
/// `Arc<dyn SendDynHttpTransport + Send + Sync>`, whose client's futures are
/// `Send` (`tokio::spawn`, an axum handler).
///
/// ```
/// use std::sync::Arc;
/// use clerk_core::SendDynHttpTransport;
///
/// let shared: Arc<dyn SendDynHttpTransport + Send + Sync> =
///     Arc::new(clerk_reqwest::ReqwestTransport::new()?);
/// # let _ = shared;
/// # Ok::<(), clerk_core::BuildError>(())
/// ```
impl clerk_core::SendDynHttpTransport for ReqwestTransport {
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

impl fmt::Debug for ReqwestTransport {
    // Not the client's own Debug: it prints default headers, which may hold
    // credentials of yours.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestTransport")
            .field("limits", &self.limits)
            .field("middleware", &self.has_middleware())
            .finish_non_exhaustive()
    }
}
