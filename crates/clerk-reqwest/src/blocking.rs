//! The blocking transport over `reqwest::blocking::Client` (feature
//! `blocking`), for clerk-core's `BlockingClient`.

use std::fmt;
use std::io::Read;
use std::time::Duration;

use clerk_core::{BlockingHttpTransport, HttpRequest, HttpResponse};

use crate::policy::Policy;
use crate::{BuildError, Builder, Error};

/// clerk-core's [`BlockingHttpTransport`] over a
/// `reqwest::blocking::Client`, with the same deadline, body cap and
/// cleartext rule as [`ReqwestTransport`](crate::ReqwestTransport).
///
/// reqwest's blocking client runs its own runtime on a thread of its own:
/// create, use and drop it outside any async runtime.
///
/// ```no_run
/// use clerk_core::{Client, SecretKey};
///
/// let transport = clerk_reqwest::ReqwestBlockingTransport::new()?;
/// let client = Client::builder(SecretKey::new(std::env::var("CLERK_SECRET_KEY")?)?)
///     .build_blocking(transport)?;
/// let revoked = client.revoke_sign_in_token("sit_123")?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ReqwestBlockingTransport {
    client: reqwest::blocking::Client,
    policy: Policy,
}

impl ReqwestBlockingTransport {
    pub(crate) fn new_with(client: reqwest::blocking::Client, policy: Policy) -> Self {
        Self { client, policy }
    }

    /// A transport over a new blocking client with the defaults (see
    /// [`ReqwestTransport::new`](crate::ReqwestTransport::new)).
    ///
    /// ```
    /// let transport = clerk_reqwest::ReqwestBlockingTransport::new()?;
    /// # Ok::<(), clerk_reqwest::BuildError>(())
    /// ```
    pub fn new() -> Result<Self, BuildError> {
        Builder::default().build_blocking()
    }

    /// The reqwest client underneath.
    ///
    /// ```
    /// let t = clerk_reqwest::ReqwestBlockingTransport::from(reqwest::blocking::Client::new());
    /// let _client: &reqwest::blocking::Client = t.client();
    /// ```
    pub fn client(&self) -> &reqwest::blocking::Client {
        &self.client
    }

    /// The deadline set on each request, if any.
    ///
    /// ```
    /// let t = clerk_reqwest::ReqwestBlockingTransport::from(reqwest::blocking::Client::new());
    /// assert_eq!(t.request_timeout(), Some(clerk_reqwest::DEFAULT_REQUEST_TIMEOUT));
    /// ```
    pub fn request_timeout(&self) -> Option<Duration> {
        self.policy.request_timeout
    }

    /// The body cap in bytes.
    ///
    /// ```
    /// let t = clerk_reqwest::ReqwestBlockingTransport::from(reqwest::blocking::Client::new());
    /// assert_eq!(t.max_body_bytes(), clerk_reqwest::DEFAULT_MAX_BODY_BYTES);
    /// ```
    pub fn max_body_bytes(&self) -> usize {
        self.policy.max_body_bytes
    }
}

impl From<reqwest::blocking::Client> for ReqwestBlockingTransport {
    /// Wraps your client with the default deadline, body cap and cleartext
    /// rule ([`Builder::build_blocking_with`] to change them).
    fn from(client: reqwest::blocking::Client) -> Self {
        Builder::default().build_blocking_with(client)
    }
}

impl BlockingHttpTransport for ReqwestBlockingTransport {
    type Error = Error;

    fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        let policy = self.policy;
        policy.check(request.uri())?;
        let mut request =
            reqwest::blocking::Request::try_from(request).map_err(|_| Error::InvalidRequest {
                reason: "the request URI is not a URL reqwest accepts",
            })?;
        if let Some(deadline) = policy.request_timeout {
            *request.timeout_mut() = Some(deadline);
        }
        let mut response = self
            .client
            .execute(request)
            .map_err(|e| Error::from_reqwest(e, policy.request_timeout))?;
        let declared = response.content_length();
        policy.check_length(declared)?;
        let mut out = http::Response::new(bytes::Bytes::new());
        *out.status_mut() = response.status();
        *out.version_mut() = response.version();
        *out.headers_mut() = std::mem::take(response.headers_mut());
        // One byte past the cap tells "at the cap" from "over it".
        let mut body = Vec::with_capacity(policy.initial_capacity(declared));
        let cap = u64::try_from(policy.max_body_bytes).unwrap_or(u64::MAX);
        response
            .take(cap.saturating_add(1))
            .read_to_end(&mut body)
            .map_err(|e| Error::from_body_read(e, policy.request_timeout))?;
        if body.len() > policy.max_body_bytes {
            return Err(policy.too_large());
        }
        *out.body_mut() = body.into();
        Ok(out)
    }
}

impl fmt::Debug for ReqwestBlockingTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestBlockingTransport")
            .field("request_timeout", &self.policy.request_timeout)
            .field("max_body_bytes", &self.policy.max_body_bytes)
            .field("allow_insecure_http", &self.policy.allow_insecure_http)
            .finish_non_exhaustive()
    }
}
