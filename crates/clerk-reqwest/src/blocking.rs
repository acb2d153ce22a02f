//! The blocking transport over `reqwest::blocking::Client` (feature
//! `blocking`), for clerk-core's `BlockingClient`.

use std::fmt;
use std::io::Read;
use std::time::Duration;

use clerk_core::{
    BlockingHttpTransport, BodyBuffer, BuildError, HttpRequest, HttpResponse, SendError,
    TransportLimits,
};

use crate::Builder;
use crate::error::{from_body_read, from_reqwest};

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
    limits: TransportLimits,
}

impl ReqwestBlockingTransport {
    pub(crate) fn new_with(client: reqwest::blocking::Client, limits: TransportLimits) -> Self {
        Self { client, limits }
    }

    /// A transport over a new blocking client with the defaults (see
    /// [`ReqwestTransport::new`](crate::ReqwestTransport::new)).
    ///
    /// ```
    /// let transport = clerk_reqwest::ReqwestBlockingTransport::new()?;
    /// # Ok::<(), clerk_core::BuildError>(())
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
    /// assert_eq!(t.request_timeout(), Some(clerk_core::DEFAULT_REQUEST_TIMEOUT));
    /// ```
    pub fn request_timeout(&self) -> Option<Duration> {
        self.limits.request_timeout
    }

    /// The body cap in bytes.
    ///
    /// ```
    /// let t = clerk_reqwest::ReqwestBlockingTransport::from(reqwest::blocking::Client::new());
    /// assert_eq!(t.max_body_bytes(), clerk_core::DEFAULT_MAX_BODY_BYTES);
    /// ```
    pub fn max_body_bytes(&self) -> usize {
        self.limits.max_body_bytes
    }

    /// The limits this transport keeps (clerk-core's [`TransportLimits`]).
    ///
    /// ```
    /// let t = clerk_reqwest::ReqwestBlockingTransport::from(reqwest::blocking::Client::new());
    /// assert_eq!(t.limits(), &clerk_core::TransportLimits::default());
    /// ```
    pub fn limits(&self) -> &TransportLimits {
        &self.limits
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
    type Error = SendError;

    fn send(&self, request: HttpRequest) -> Result<HttpResponse, SendError> {
        self.send_within(request, None)
    }

    fn send_within(
        &self,
        request: HttpRequest,
        remaining: Option<Duration>,
    ) -> Result<HttpResponse, SendError> {
        let limits = &self.limits;
        clerk_core::check_request(request.uri(), limits.allow_insecure_http)?;
        let deadline = limits.attempt_timeout(remaining);
        let mut request = reqwest::blocking::Request::try_from(request).map_err(|_| {
            SendError::invalid_request("the request URI is not a URL reqwest accepts")
        })?;
        if let Some(deadline) = deadline {
            *request.timeout_mut() = Some(deadline);
        }
        let mut response = self
            .client
            .execute(request)
            .map_err(|e| from_reqwest(e, deadline))?;
        let mut body = BodyBuffer::new(limits.max_body_bytes, response.content_length())?;
        let mut out = http::Response::new(bytes::Bytes::new());
        *out.status_mut() = response.status();
        *out.version_mut() = response.version();
        *out.headers_mut() = std::mem::take(response.headers_mut());
        // On the stack, as `std::io::copy` does: no allocation per call
        // beyond the body's own.
        let mut chunk = [0u8; 8 * 1024];
        loop {
            // One byte past the room tells "at the cap" from "over it".
            let want = chunk.len().min(body.room().saturating_add(1));
            let n = response
                .read(&mut chunk[..want])
                .map_err(|e| from_body_read(e, deadline))?;
            if n == 0 {
                break;
            }
            body.push_slice(&chunk[..n])?;
        }
        *out.body_mut() = body.finish();
        Ok(out)
    }
}

impl fmt::Debug for ReqwestBlockingTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestBlockingTransport")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}
