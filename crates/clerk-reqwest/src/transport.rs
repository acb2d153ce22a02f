//! The async transport over `reqwest::Client`, and the builder both
//! transports share.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use bytes::BytesMut;
use clerk_core::{HttpRequest, HttpResponse, HttpTransport};

use crate::Error;
use crate::policy::{DEFAULT_CONNECT_TIMEOUT, Policy};

/// A reqwest client could not be built (its TLS backend failed to start).
///
/// ```
/// let built = clerk_reqwest::ReqwestTransport::new();
/// assert!(built.is_ok());
/// ```
#[derive(Debug, thiserror::Error)]
#[error("could not build the reqwest client")]
pub struct BuildError {
    #[source]
    source: reqwest::Error,
}

/// Settings for [`ReqwestTransport`] (and, with feature `blocking`,
/// [`ReqwestBlockingTransport`]).
///
/// The deadline, the body cap and the cleartext rule apply to any client,
/// yours or one built here; the connect deadline only to a client built
/// here ([`build`](Builder::build)), since a reqwest client cannot be
/// changed once built.
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
#[derive(Debug, Clone)]
#[must_use]
pub struct Builder {
    policy: Policy,
    connect_timeout: Duration,
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            policy: Policy::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

impl Builder {
    /// The deadline on each whole exchange, from connecting to the last byte
    /// of the body (default [`DEFAULT_REQUEST_TIMEOUT`](crate::DEFAULT_REQUEST_TIMEOUT),
    /// 10 s). It is set on every request, so it replaces a `timeout` set on
    /// your client for these requests.
    ///
    /// ```
    /// let b = clerk_reqwest::ReqwestTransport::builder()
    ///     .request_timeout(std::time::Duration::from_secs(3));
    /// ```
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.policy.request_timeout = Some(timeout);
        self
    }

    /// Sets no deadline of this transport's own: only your client's
    /// `timeout` (if any) bounds a request. A server that never answers
    /// then holds the call forever unless your client has one.
    ///
    /// ```
    /// let t = clerk_reqwest::ReqwestTransport::builder()
    ///     .no_request_timeout()
    ///     .build_with(reqwest::Client::new());
    /// assert_eq!(t.request_timeout(), None);
    /// ```
    pub fn no_request_timeout(mut self) -> Self {
        self.policy.request_timeout = None;
        self
    }

    /// The deadline on connecting (TCP and TLS) for a client built by
    /// [`build`](Builder::build) (default
    /// [`DEFAULT_CONNECT_TIMEOUT`](crate::DEFAULT_CONNECT_TIMEOUT), 5 s).
    ///
    /// ```
    /// let b = clerk_reqwest::ReqwestTransport::builder()
    ///     .connect_timeout(std::time::Duration::from_secs(2));
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The most response body kept (default
    /// [`DEFAULT_MAX_BODY_BYTES`](crate::DEFAULT_MAX_BODY_BYTES), 1 MiB). A
    /// declared `Content-Length` over it fails before a byte is read; an
    /// undeclared body fails as soon as it passes it.
    ///
    /// ```
    /// let b = clerk_reqwest::ReqwestTransport::builder().max_body_bytes(64 * 1024);
    /// ```
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.policy.max_body_bytes = limit;
        self
    }

    /// Allows plain `http://` to hosts that are not loopback. Off by
    /// default: such a request is refused with [`Error::InsecureScheme`]
    /// before a connection is opened, so the secret key cannot leave in
    /// cleartext by accident.
    ///
    /// ```
    /// let b = clerk_reqwest::ReqwestTransport::builder().allow_insecure_http();
    /// ```
    pub fn allow_insecure_http(mut self) -> Self {
        self.policy.allow_insecure_http = true;
        self
    }

    /// A transport over a new reqwest client that follows no redirects and
    /// gives up connecting after the connect deadline. Proxies come from
    /// the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
    /// `NO_PROXY`), TLS and HTTP/2 from reqwest's enabled features.
    ///
    /// ```
    /// let transport = clerk_reqwest::ReqwestTransport::builder().build()?;
    /// # Ok::<(), clerk_reqwest::BuildError>(())
    /// ```
    pub fn build(self) -> Result<ReqwestTransport, BuildError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.connect_timeout)
            .build()
            .map_err(|source| BuildError {
                source: source.without_url(),
            })?;
        Ok(self.build_with(client))
    }

    /// A transport over your client, whose own settings (redirects,
    /// proxies, roots, default headers, middleware-free TLS) stay as they
    /// are; see the crate documentation for what they decide.
    ///
    /// ```
    /// let mine = reqwest::Client::builder().build()?;
    /// let transport = clerk_reqwest::ReqwestTransport::builder().build_with(mine);
    /// # Ok::<(), reqwest::Error>(())
    /// ```
    pub fn build_with(self, client: reqwest::Client) -> ReqwestTransport {
        ReqwestTransport {
            client,
            policy: self.policy,
        }
    }

    /// A blocking transport over a new `reqwest::blocking::Client`, set up
    /// like [`build`](Builder::build)'s. Call it outside any async runtime.
    ///
    /// ```
    /// let transport = clerk_reqwest::ReqwestTransport::builder().build_blocking()?;
    /// # Ok::<(), clerk_reqwest::BuildError>(())
    /// ```
    #[cfg(feature = "blocking")]
    pub fn build_blocking(self) -> Result<crate::ReqwestBlockingTransport, BuildError> {
        let client = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.connect_timeout)
            .build()
            .map_err(|source| BuildError {
                source: source.without_url(),
            })?;
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
        crate::ReqwestBlockingTransport::new_with(client, self.policy)
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
    client: reqwest::Client,
    policy: Policy,
}

impl ReqwestTransport {
    /// A transport over a new client with the defaults: a 10 s request
    /// deadline, a 5 s connect deadline, a 1 MiB body cap, no redirects,
    /// plain `http` to loopback only.
    ///
    /// ```
    /// let transport = clerk_reqwest::ReqwestTransport::new()?;
    /// assert_eq!(transport.max_body_bytes(), clerk_reqwest::DEFAULT_MAX_BODY_BYTES);
    /// # Ok::<(), clerk_reqwest::BuildError>(())
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

    /// The reqwest client underneath.
    ///
    /// ```
    /// let mine = reqwest::Client::new();
    /// let transport = clerk_reqwest::ReqwestTransport::from(mine.clone());
    /// let _same_pool: &reqwest::Client = transport.client();
    /// ```
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The deadline set on each request, if any.
    ///
    /// ```
    /// let t = clerk_reqwest::ReqwestTransport::from(reqwest::Client::new());
    /// assert_eq!(t.request_timeout(), Some(clerk_reqwest::DEFAULT_REQUEST_TIMEOUT));
    /// ```
    pub fn request_timeout(&self) -> Option<Duration> {
        self.policy.request_timeout
    }

    /// The body cap in bytes.
    ///
    /// ```
    /// let t = clerk_reqwest::ReqwestTransport::from(reqwest::Client::new());
    /// assert_eq!(t.max_body_bytes(), 1024 * 1024);
    /// ```
    pub fn max_body_bytes(&self) -> usize {
        self.policy.max_body_bytes
    }

    async fn exchange(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        let policy = self.policy;
        policy.check(request.uri())?;
        let mut request =
            reqwest::Request::try_from(request).map_err(|_| Error::InvalidRequest {
                reason: "the request URI is not a URL reqwest accepts",
            })?;
        if let Some(deadline) = policy.request_timeout {
            *request.timeout_mut() = Some(deadline);
        }
        let failed = |e| Error::from_reqwest(e, policy.request_timeout);
        let mut response = self.client.execute(request).await.map_err(failed)?;
        policy.check_length(response.content_length())?;
        let mut body = BytesMut::with_capacity(policy.initial_capacity(response.content_length()));
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            if chunk.len() > policy.max_body_bytes - body.len() {
                return Err(policy.too_large());
            }
            body.extend_from_slice(&chunk);
        }
        let mut out = http::Response::new(body.freeze());
        *out.status_mut() = response.status();
        *out.version_mut() = response.version();
        *out.headers_mut() = std::mem::take(response.headers_mut());
        Ok(out)
    }
}

impl From<reqwest::Client> for ReqwestTransport {
    /// Wraps your client with the default deadline, body cap and cleartext
    /// rule ([`Builder::build_with`] to change them).
    fn from(client: reqwest::Client) -> Self {
        Builder::default().build_with(client)
    }
}

impl HttpTransport for ReqwestTransport {
    type Error = Error;

    // reqwest's futures are `Send`; say so for the client's futures.
    #[allow(refining_impl_trait, clippy::manual_async_fn)]
    fn send(
        &self,
        request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, Self::Error>> + Send {
        async move { self.exchange(request).await }
    }
}

impl fmt::Debug for ReqwestTransport {
    // Not the client's own Debug: it prints default headers, which may hold
    // credentials of yours.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestTransport")
            .field("request_timeout", &self.policy.request_timeout)
            .field("max_body_bytes", &self.policy.max_body_bytes)
            .field("allow_insecure_http", &self.policy.allow_insecure_http)
            .finish_non_exhaustive()
    }
}
