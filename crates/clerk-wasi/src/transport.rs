//! The `wasi:http/outgoing-handler` transport.

use std::time::Duration;

use clerk_core::bytes::Bytes;
use clerk_core::http::{self, HeaderName, HeaderValue, StatusCode};
use clerk_core::{BlockingHttpTransport, HttpRequest, HttpResponse};
use wasi::clocks::monotonic_clock::{self, Instant};
use wasi::http::outgoing_handler;
use wasi::http::types::{
    self as wasi_http, Fields, FutureIncomingResponse, IncomingBody, IncomingResponse, Method,
    OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use wasi::io::error::Error as IoError;
use wasi::io::poll::{self, Pollable};
use wasi::io::streams::{InputStream, StreamError};

use crate::error::{Error, TimeoutPhase};
use crate::policy::{self, Refusal};
use crate::timer::nanos;

/// The default whole-exchange deadline: 10 seconds.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The default deadline the host is asked to keep for opening a connection:
/// 5 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The default cap on a response body: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The most a single `blocking-write-and-flush` may carry (`wasi:io` says 4096).
const WRITE_CHUNK: usize = 4096;
/// The most asked of one `read`.
const READ_CHUNK: u64 = 64 * 1024;

/// A [`BlockingHttpTransport`] over `wasi:http/outgoing-handler`: the host
/// (wasmtime, jco, Spin, wasmCloud, ...) opens the connection, speaks TLS and
/// HTTP; this transport builds the request, keeps the deadline and caps the
/// body.
///
/// - **Deadline**: [`request_timeout`] bounds the whole exchange on the
///   guest's own monotonic clock, whatever the host supports. The host is also
///   asked, through `request-options`, to keep [`connect_timeout`] and to give
///   up on the first byte and between bytes at [`request_timeout`]. A host
///   may decline these options; the guest's deadline holds either way. When
///   both run out together, the error is whichever came first: this crate's
///   [`Error::Timeout`], or the host's timeout code (`is_timeout()` is true
///   for both).
/// - **Body cap**: a response body longer than [`max_body_bytes`] (declared
///   or read) ends the call with [`Error::BodyTooLarge`].
/// - **Cleartext**: `http://` is refused before the host sees the request
///   unless the host is loopback or [`allow_insecure_http`] is set.
///
/// It is a plain value (settings only; every call makes its own host
/// resources), so it is `Send`, `Sync` and cheap to clone.
///
/// ```no_run
/// use std::time::Duration;
///
/// let transport = clerk_wasi::WasiTransport::builder()
///     .request_timeout(Duration::from_secs(5))
///     .max_body_bytes(64 * 1024)
///     .build();
/// let client = clerk_core::Client::builder(clerk_core::SecretKey::from_env()?)
///     .build_blocking(transport)?
///     .with_timer(clerk_wasi::WasiTimer);
/// let token = client.create_sign_in_token(&clerk_core::CreateSignInTokenRequest::new("user_1"))?;
/// # let _ = token;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`request_timeout`]: WasiTransportBuilder::request_timeout
/// [`connect_timeout`]: WasiTransportBuilder::connect_timeout
/// [`max_body_bytes`]: WasiTransportBuilder::max_body_bytes
/// [`allow_insecure_http`]: WasiTransportBuilder::allow_insecure_http
#[derive(Debug, Clone)]
pub struct WasiTransport {
    settings: WasiTransportBuilder,
}

impl Default for WasiTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl WasiTransport {
    /// A transport with the defaults: 10 s request timeout, 5 s connect
    /// timeout, 1 MiB body cap, `http://` only to loopback.
    ///
    /// ```
    /// let transport = clerk_wasi::WasiTransport::new();
    /// assert_eq!(transport.max_body_bytes(), clerk_wasi::DEFAULT_MAX_BODY_BYTES);
    /// ```
    pub fn new() -> Self {
        WasiTransportBuilder::default().build()
    }

    /// A builder starting from the defaults of [`new`](Self::new).
    ///
    /// ```
    /// let transport = clerk_wasi::WasiTransport::builder()
    ///     .connect_timeout(std::time::Duration::from_secs(2))
    ///     .build();
    /// # let _ = transport;
    /// ```
    pub fn builder() -> WasiTransportBuilder {
        WasiTransportBuilder::default()
    }

    /// The whole-exchange deadline, `None` when turned off.
    ///
    /// ```
    /// let t = clerk_wasi::WasiTransport::new();
    /// assert_eq!(t.request_timeout(), Some(clerk_wasi::DEFAULT_REQUEST_TIMEOUT));
    /// ```
    pub fn request_timeout(&self) -> Option<Duration> {
        self.settings.request_timeout
    }

    /// The connect deadline asked of the host, `None` when turned off.
    ///
    /// ```
    /// let t = clerk_wasi::WasiTransport::new();
    /// assert_eq!(t.connect_timeout(), Some(clerk_wasi::DEFAULT_CONNECT_TIMEOUT));
    /// ```
    pub fn connect_timeout(&self) -> Option<Duration> {
        self.settings.connect_timeout
    }

    /// The response body cap in bytes.
    ///
    /// ```
    /// let t = clerk_wasi::WasiTransport::builder().max_body_bytes(4096).build();
    /// assert_eq!(t.max_body_bytes(), 4096);
    /// ```
    pub fn max_body_bytes(&self) -> usize {
        self.settings.max_body_bytes
    }
}

/// Settings for a [`WasiTransport`]; see [`WasiTransport::builder`].
///
/// ```
/// use std::time::Duration;
/// let transport = clerk_wasi::WasiTransport::builder()
///     .request_timeout(Duration::from_secs(20))
///     .connect_timeout(Duration::from_secs(3))
///     .max_body_bytes(256 * 1024)
///     .allow_insecure_http(false)
///     .build();
/// # let _ = transport;
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct WasiTransportBuilder {
    request_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_body_bytes: usize,
    allow_insecure_http: bool,
}

impl Default for WasiTransportBuilder {
    fn default() -> Self {
        Self {
            request_timeout: Some(DEFAULT_REQUEST_TIMEOUT),
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            allow_insecure_http: false,
        }
    }
}

impl WasiTransportBuilder {
    /// The deadline for the whole exchange, from the call to the last body
    /// byte (default [`DEFAULT_REQUEST_TIMEOUT`]). `None` turns it off, and
    /// then only the host's own limits bound a call.
    ///
    /// ```
    /// let b = clerk_wasi::WasiTransport::builder().request_timeout(std::time::Duration::from_secs(3));
    /// # let _ = b;
    /// ```
    pub fn request_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.request_timeout = timeout.into();
        self
    }

    /// The connect deadline asked of the host through `request-options`
    /// (default [`DEFAULT_CONNECT_TIMEOUT`]; `None` leaves it to the host).
    /// A host that does not support the option ignores it.
    ///
    /// ```
    /// let b = clerk_wasi::WasiTransport::builder().connect_timeout(None);
    /// # let _ = b;
    /// ```
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// The largest response body accepted, in bytes (default
    /// [`DEFAULT_MAX_BODY_BYTES`]).
    ///
    /// ```
    /// let b = clerk_wasi::WasiTransport::builder().max_body_bytes(64 * 1024);
    /// # let _ = b;
    /// ```
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Allows plain `http://` to hosts that are not loopback (default off:
    /// the secret key would cross the network in cleartext).
    ///
    /// ```
    /// let b = clerk_wasi::WasiTransport::builder().allow_insecure_http(true);
    /// # let _ = b;
    /// ```
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The transport.
    ///
    /// ```
    /// let transport = clerk_wasi::WasiTransport::builder().build();
    /// # let _ = transport;
    /// ```
    pub fn build(self) -> WasiTransport {
        WasiTransport { settings: self }
    }
}

impl BlockingHttpTransport for WasiTransport {
    type Error = Error;

    fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        let deadline = self.settings.request_timeout.map(Deadline::starting_now);
        let (parts, body) = request.into_parts();

        let outgoing = self.outgoing_request(&parts, body.len())?;
        let outgoing_body = outgoing
            .body()
            .map_err(|()| invalid("the host gave no request body"))?;
        let future = outgoing_handler::handle(outgoing, Some(self.options()))?;
        let written = write_body(outgoing_body, &body);
        // When the body could not be written, the response future says why
        // (refused, reset) or holds an early answer; the write error is only
        // the symptom.
        let incoming = match (wait_for_response(&future, deadline.as_ref()), written) {
            (Ok(incoming), _) => incoming,
            (Err(Error::Timeout { .. }), Err(write)) => return Err(write),
            (Err(e), _) => return Err(e),
        };
        self.read_response(&incoming, deadline.as_ref())
    }
}

impl WasiTransport {
    fn outgoing_request(
        &self,
        parts: &http::request::Parts,
        body_len: usize,
    ) -> Result<OutgoingRequest, Error> {
        let target =
            policy::target(&parts.uri, self.settings.allow_insecure_http).map_err(|refusal| {
                match refusal {
                    Refusal::Insecure(host) => Error::InsecureScheme { host },
                    Refusal::Invalid(reason) => Error::InvalidRequest { reason },
                }
            })?;

        let headers = Fields::new();
        for (name, value) in &parts.headers {
            if policy::is_forwarded_header(name.as_str()) {
                headers
                    .append(name.as_str(), value.as_bytes())
                    .map_err(|_| invalid("the host rejected a request header"))?;
            }
        }
        // The length is known, so say it: without it the host streams the
        // body chunked, which some servers and proxies refuse.
        let bodiless = matches!(parts.method, http::Method::GET | http::Method::HEAD);
        let declared = parts.headers.contains_key(http::header::CONTENT_LENGTH);
        if !declared && (body_len > 0 || !bodiless) {
            headers
                .append("content-length", body_len.to_string().as_bytes())
                .map_err(|_| invalid("the host rejected the content-length header"))?;
        }
        let request = OutgoingRequest::new(headers);
        request
            .set_method(&method(&parts.method))
            .map_err(|()| invalid("the host rejected the method"))?;
        let scheme = if target.https {
            Scheme::Https
        } else {
            Scheme::Http
        };
        request
            .set_scheme(Some(&scheme))
            .map_err(|()| invalid("the host rejected the scheme"))?;
        request
            .set_authority(Some(target.authority))
            .map_err(|()| invalid("the host rejected the authority"))?;
        request
            .set_path_with_query(Some(target.path_and_query))
            .map_err(|()| invalid("the host rejected the path"))?;
        Ok(request)
    }

    /// The host-side timeouts. Each is a request: a host that declines one
    /// answers `Err`, and the guest's own deadline still holds.
    fn options(&self) -> RequestOptions {
        let options = RequestOptions::new();
        let _ = options.set_connect_timeout(self.settings.connect_timeout.map(nanos));
        if let Some(after) = self.settings.request_timeout {
            let _ = options.set_first_byte_timeout(Some(nanos(after)));
            let _ = options.set_between_bytes_timeout(Some(nanos(after)));
        }
        options
    }

    fn read_response(
        &self,
        incoming: &IncomingResponse,
        deadline: Option<&Deadline>,
    ) -> Result<HttpResponse, Error> {
        let limit = self.settings.max_body_bytes;
        let status = StatusCode::from_u16(incoming.status()).map_err(|_| Error::Stream {
            message: "the host returned a status outside 100-999".to_owned(),
        })?;

        let mut response = http::Response::new(Bytes::new());
        *response.status_mut() = status;
        {
            // A child of `incoming`: dropped at the end of this block.
            let fields = incoming.headers();
            let headers = response.headers_mut();
            for (name, value) in fields.entries() {
                let (Ok(name), Ok(value)) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_bytes(&value),
                ) else {
                    return Err(Error::Stream {
                        message: "the host returned a malformed response header".to_owned(),
                    });
                };
                if name == http::header::CONTENT_LENGTH
                    && policy::declared_length(value.as_bytes()).is_some_and(|n| n > limit as u64)
                {
                    return Err(Error::BodyTooLarge { limit });
                }
                headers.append(name, value);
            }
        }

        let body = incoming
            .consume()
            .map_err(|()| stream("the response body was already taken"))?;
        let bytes = {
            let stream = body
                .stream()
                .map_err(|()| self::stream("the response body stream was already taken"))?;
            read_capped(&stream, limit, deadline)?
        };
        // Trailers are not read; dropping the future releases them.
        drop(IncomingBody::finish(body));
        *response.body_mut() = Bytes::from(bytes);
        Ok(response)
    }
}

/// The instant a call must be over by, on the monotonic clock.
struct Deadline {
    after: Duration,
    at: Instant,
}

impl Deadline {
    fn starting_now(after: Duration) -> Self {
        Self {
            after,
            at: monotonic_clock::now().saturating_add(nanos(after)),
        }
    }

    /// Blocks until `ready` is ready or the deadline passes; `Err` in the
    /// second case.
    fn wait(&self, ready: &Pollable, phase: TimeoutPhase) -> Result<(), Error> {
        let timer = monotonic_clock::subscribe_instant(self.at);
        let woken = poll::poll(&[ready, &timer]);
        if woken.contains(&0) {
            Ok(())
        } else {
            Err(Error::Timeout {
                phase,
                after: self.after,
            })
        }
    }
}

fn wait(ready: &Pollable, deadline: Option<&Deadline>, phase: TimeoutPhase) -> Result<(), Error> {
    match deadline {
        Some(deadline) => deadline.wait(ready, phase),
        None => {
            ready.block();
            Ok(())
        }
    }
}

fn write_body(outgoing_body: OutgoingBody, body: &[u8]) -> Result<(), Error> {
    {
        // A child of `outgoing_body`: dropped before `finish`.
        let stream = outgoing_body
            .write()
            .map_err(|()| invalid("the host gave no request body stream"))?;
        for chunk in body.chunks(WRITE_CHUNK) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(stream_error)?;
        }
    }
    OutgoingBody::finish(outgoing_body, None)?;
    Ok(())
}

fn wait_for_response(
    future: &FutureIncomingResponse,
    deadline: Option<&Deadline>,
) -> Result<IncomingResponse, Error> {
    loop {
        match future.get() {
            Some(Ok(Ok(response))) => return Ok(response),
            Some(Ok(Err(code))) => return Err(code.into()),
            Some(Err(())) => return Err(stream("the response was already taken")),
            None => {
                let ready = future.subscribe();
                wait(&ready, deadline, TimeoutPhase::ResponseHead)?;
            }
        }
    }
}

fn read_capped(
    stream: &InputStream,
    limit: usize,
    deadline: Option<&Deadline>,
) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    loop {
        // One byte past the cap is enough to know it is exceeded.
        let room = (limit - bytes.len()) as u64 + 1;
        match stream.read(room.min(READ_CHUNK)) {
            Ok(chunk) if chunk.is_empty() => {
                let ready = stream.subscribe();
                wait(&ready, deadline, TimeoutPhase::Body)?;
            }
            Ok(chunk) => {
                if chunk.len() > limit - bytes.len() {
                    return Err(Error::BodyTooLarge { limit });
                }
                bytes.extend_from_slice(&chunk);
            }
            Err(StreamError::Closed) => return Ok(bytes),
            Err(StreamError::LastOperationFailed(e)) => return Err(io_error(&e)),
        }
    }
}

fn method(method: &http::Method) -> Method {
    match *method {
        http::Method::GET => Method::Get,
        http::Method::HEAD => Method::Head,
        http::Method::POST => Method::Post,
        http::Method::PUT => Method::Put,
        http::Method::DELETE => Method::Delete,
        http::Method::CONNECT => Method::Connect,
        http::Method::OPTIONS => Method::Options,
        http::Method::TRACE => Method::Trace,
        http::Method::PATCH => Method::Patch,
        ref other => Method::Other(other.as_str().to_owned()),
    }
}

fn stream_error(e: StreamError) -> Error {
    match e {
        StreamError::Closed => stream("the request body stream was closed by the host"),
        StreamError::LastOperationFailed(e) => io_error(&e),
    }
}

/// A stream failure: the `wasi:http` code when the host attached one.
fn io_error(e: &IoError) -> Error {
    match wasi_http::http_error_code(e) {
        Some(code) => Error::Host { code },
        None => Error::Stream {
            message: e.to_debug_string(),
        },
    }
}

fn invalid(reason: &'static str) -> Error {
    Error::InvalidRequest { reason }
}

fn stream(message: &str) -> Error {
    Error::Stream {
        message: message.to_owned(),
    }
}
