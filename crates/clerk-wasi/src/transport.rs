//! The `wasi:http/outgoing-handler` transport.

use std::time::Duration;

use clerk_core::bytes::Bytes;
use clerk_core::http::{self, HeaderName, HeaderValue, StatusCode};
use clerk_core::{
    BlockingHttpTransport, BodyBuffer, BuildError, HttpRequest, HttpResponse, SendError,
    TransportErrorKind, TransportLimits,
};
use wasi::clocks::monotonic_clock::{self, Instant};
use wasi::http::outgoing_handler;
use wasi::http::types::{
    self as wasi_http, Fields, FutureIncomingResponse, IncomingBody, IncomingResponse, Method,
    OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use wasi::io::error::Error as IoError;
use wasi::io::poll::{self, Pollable};
use wasi::io::streams::{InputStream, OutputStream, StreamError};

use crate::error::{host_error, stream};
use crate::policy;
use crate::timer::nanos;

/// The most asked of one `read`.
const READ_CHUNK: u64 = 64 * 1024;

/// A [`BlockingHttpTransport`] over `wasi:http/outgoing-handler`: the host
/// (wasmtime, jco, Spin, wasmCloud, ...) opens the connection, speaks TLS and
/// HTTP; this transport builds the request, keeps the deadline and caps the
/// body, as clerk-core's transport contract says.
///
/// - **Deadline**: the attempt's deadline ([`request_timeout`], or what is
///   left of the client's whole-call deadline when that is shorter) bounds
///   the whole exchange, writing the request body included, on the guest's
///   own monotonic clock, whatever the host supports. The host is also
///   asked, through `request-options`, to keep [`connect_timeout`] and to
///   give up on the first byte and between bytes at the attempt's deadline.
///   A host may decline these options; the guest's deadline holds either
///   way. When both run out together, the error is whichever came first
///   (kind `Timeout` or `ConnectTimeout` either way).
/// - **Body cap**: a response body longer than [`max_body_bytes`] (declared
///   or read, into [`clerk_core::BodyBuffer`]) ends the call, kind
///   `BodyTooLarge`.
/// - **Cleartext** ([`clerk_core::check_request`]): `http://` is refused
///   before the host sees the request unless the host is loopback or
///   [`allow_insecure_http`] is set; the host speaks `https` over TLS.
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
///     .build()?;
/// let client = clerk_core::Client::builder(clerk_core::SecretKey::from_env()?)
///     .build_blocking(transport)?
///     .with_timer(clerk_wasi::WasiTimer);
/// let token = client.create_sign_in_token(&clerk_core::CreateSignInTokenRequest::new("user_1"))?;
/// # let _ = token;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`request_timeout`]: Builder::request_timeout
/// [`connect_timeout`]: Builder::connect_timeout
/// [`max_body_bytes`]: Builder::max_body_bytes
/// [`allow_insecure_http`]: Builder::allow_insecure_http
#[derive(Debug, Clone, Default)]
pub struct WasiTransport {
    limits: TransportLimits,
}

impl WasiTransport {
    /// A transport with clerk-core's defaults ([`TransportLimits`]): 10 s
    /// request timeout, 5 s connect timeout, 1 MiB body cap, `http://` only
    /// to loopback.
    ///
    /// ```
    /// let transport = clerk_wasi::WasiTransport::new();
    /// assert_eq!(transport.max_body_bytes(), clerk_core::DEFAULT_MAX_BODY_BYTES);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder starting from the defaults of [`new`](Self::new).
    ///
    /// ```
    /// let transport = clerk_wasi::WasiTransport::builder().allow_insecure_http(true).build()?;
    /// # let _ = transport;
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The whole-exchange deadline, `None` when turned off.
    ///
    /// ```
    /// let t = clerk_wasi::WasiTransport::new();
    /// assert_eq!(t.request_timeout(), Some(clerk_core::DEFAULT_REQUEST_TIMEOUT));
    /// ```
    pub fn request_timeout(&self) -> Option<Duration> {
        self.limits.request_timeout
    }

    /// The connect deadline asked of the host, `None` when turned off.
    ///
    /// ```
    /// let t = clerk_wasi::WasiTransport::new();
    /// assert_eq!(t.connect_timeout(), Some(clerk_core::DEFAULT_CONNECT_TIMEOUT));
    /// ```
    pub fn connect_timeout(&self) -> Option<Duration> {
        self.limits.connect_timeout
    }

    /// The response body cap in bytes.
    ///
    /// ```
    /// let t = clerk_wasi::WasiTransport::builder().max_body_bytes(4096).build()?;
    /// assert_eq!(t.max_body_bytes(), 4096);
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn max_body_bytes(&self) -> usize {
        self.limits.max_body_bytes
    }

    /// The limits this transport keeps (clerk-core's [`TransportLimits`]).
    ///
    /// ```
    /// assert_eq!(clerk_wasi::WasiTransport::new().limits(), &clerk_core::TransportLimits::default());
    /// ```
    pub fn limits(&self) -> &TransportLimits {
        &self.limits
    }
}

/// Settings for a [`WasiTransport`]; see [`WasiTransport::builder`]. The
/// four settings are clerk-core's [`TransportLimits`], under the names every
/// adapter crate uses.
///
/// ```
/// use std::time::Duration;
/// let transport = clerk_wasi::WasiTransport::builder()
///     .request_timeout(Duration::from_secs(20))
///     .connect_timeout(Duration::from_secs(3))
///     .max_body_bytes(256 * 1024)
///     .allow_insecure_http(false)
///     .build()?;
/// # let _ = transport;
/// # Ok::<(), clerk_core::BuildError>(())
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Builder {
    limits: TransportLimits,
}

impl Builder {
    /// The deadline for the whole exchange, from the call to the last body
    /// byte (default [`DEFAULT_REQUEST_TIMEOUT`](clerk_core::DEFAULT_REQUEST_TIMEOUT)).
    /// `None` turns it off, and then only the host's own limits (and the
    /// client's whole-call deadline) bound a call.
    ///
    /// ```
    /// let b = clerk_wasi::WasiTransport::builder().request_timeout(std::time::Duration::from_secs(3));
    /// # let _ = b;
    /// ```
    pub fn request_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.limits.request_timeout = timeout.into();
        self
    }

    /// The connect deadline asked of the host through `request-options`
    /// (default [`DEFAULT_CONNECT_TIMEOUT`](clerk_core::DEFAULT_CONNECT_TIMEOUT);
    /// `None` leaves it to the host). A host that does not support the
    /// option ignores it.
    ///
    /// ```
    /// let b = clerk_wasi::WasiTransport::builder().connect_timeout(None);
    /// # let _ = b;
    /// ```
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.limits.connect_timeout = timeout.into();
        self
    }

    /// The largest response body accepted, in bytes (default
    /// [`DEFAULT_MAX_BODY_BYTES`](clerk_core::DEFAULT_MAX_BODY_BYTES)).
    ///
    /// ```
    /// let b = clerk_wasi::WasiTransport::builder().max_body_bytes(64 * 1024);
    /// # let _ = b;
    /// ```
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.limits.max_body_bytes = limit;
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
        self.limits.allow_insecure_http = allow;
        self
    }

    /// The transport. Never fails today; a `Result` like every adapter's
    /// `build`, with clerk-core's one [`BuildError`].
    ///
    /// ```
    /// let transport = clerk_wasi::WasiTransport::builder().build()?;
    /// # let _ = transport;
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn build(self) -> Result<WasiTransport, BuildError> {
        Ok(WasiTransport {
            limits: self.limits,
        })
    }
}

impl BlockingHttpTransport for WasiTransport {
    type Error = SendError;

    fn send(&self, request: HttpRequest) -> Result<HttpResponse, SendError> {
        self.send_within(request, None)
    }

    fn send_within(
        &self,
        request: HttpRequest,
        remaining: Option<Duration>,
    ) -> Result<HttpResponse, SendError> {
        let attempt = self.limits.attempt_timeout(remaining);
        let deadline = attempt.map(Deadline::starting_now);
        let (parts, body) = request.into_parts();

        let outgoing = self.outgoing_request(&parts, body.len())?;
        let outgoing_body = outgoing
            .body()
            .map_err(|()| invalid("the host gave no request body"))?;
        let future =
            outgoing_handler::handle(outgoing, Some(self.options(attempt))).map_err(host_error)?;
        // A deadline met while writing the body is the call's answer. Any
        // other write failure is a symptom: the response future says why
        // (refused, reset, the host's own timeout closing the stream) or
        // holds an early answer, and if it says nothing before the
        // deadline, the deadline is the answer.
        if let Err(e) = write_body(outgoing_body, &body, deadline.as_ref()) {
            if e.kind() == TransportErrorKind::Timeout {
                return Err(e);
            }
        }
        let incoming = wait_for_response(&future, deadline.as_ref())?;
        self.read_response(&incoming, deadline.as_ref())
    }
}

impl WasiTransport {
    fn outgoing_request(
        &self,
        parts: &http::request::Parts,
        body_len: usize,
    ) -> Result<OutgoingRequest, SendError> {
        let to = clerk_core::check_request(&parts.uri, self.limits.allow_insecure_http)?;

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
        let scheme = if to.is_https() {
            Scheme::Https
        } else {
            Scheme::Http
        };
        request
            .set_scheme(Some(&scheme))
            .map_err(|()| invalid("the host rejected the scheme"))?;
        request
            .set_authority(Some(to.authority()))
            .map_err(|()| invalid("the host rejected the authority"))?;
        request
            .set_path_with_query(Some(to.path_and_query()))
            .map_err(|()| invalid("the host rejected the path"))?;
        Ok(request)
    }

    /// The host-side timeouts. Each is a request: a host that declines one
    /// answers `Err`, and the guest's own deadline still holds.
    fn options(&self, attempt: Option<Duration>) -> RequestOptions {
        let options = RequestOptions::new();
        let connect = match (self.limits.connect_timeout, attempt) {
            (Some(c), Some(a)) => Some(c.min(a)),
            (c, a) => c.or(a),
        };
        let _ = options.set_connect_timeout(connect.map(nanos));
        if let Some(after) = attempt {
            let _ = options.set_first_byte_timeout(Some(nanos(after)));
            let _ = options.set_between_bytes_timeout(Some(nanos(after)));
        }
        options
    }

    fn read_response(
        &self,
        incoming: &IncomingResponse,
        deadline: Option<&Deadline>,
    ) -> Result<HttpResponse, SendError> {
        let limit = self.limits.max_body_bytes;
        let status = StatusCode::from_u16(incoming.status())
            .map_err(|_| stream("the host returned a status outside 100-999"))?;

        let mut response = http::Response::new(Bytes::new());
        *response.status_mut() = status;
        let mut declared = None;
        {
            // A child of `incoming`: dropped at the end of this block.
            let fields = incoming.headers();
            let headers = response.headers_mut();
            for (name, value) in fields.entries() {
                let (Ok(name), Ok(value)) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_bytes(&value),
                ) else {
                    return Err(stream("the host returned a malformed response header"));
                };
                if name == http::header::CONTENT_LENGTH {
                    declared = policy::declared_length(value.as_bytes());
                }
                headers.append(name, value);
            }
        }
        let mut buffer = BodyBuffer::new(limit, declared)?;

        let body = incoming
            .consume()
            .map_err(|()| stream("the response body was already taken"))?;
        {
            let input = body
                .stream()
                .map_err(|()| stream("the response body stream was already taken"))?;
            read_capped(&input, &mut buffer, deadline)?;
        }
        // Trailers are not read; dropping the future releases them.
        drop(IncomingBody::finish(body));
        *response.body_mut() = buffer.finish();
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
    fn wait(&self, ready: &Pollable) -> Result<(), SendError> {
        let timer = monotonic_clock::subscribe_instant(self.at);
        let woken = poll::poll(&[ready, &timer]);
        if woken.contains(&0) {
            Ok(())
        } else {
            Err(SendError::timeout(Some(self.after)))
        }
    }
}

fn wait(ready: &Pollable, deadline: Option<&Deadline>) -> Result<(), SendError> {
    match deadline {
        Some(deadline) => deadline.wait(ready),
        None => {
            ready.block();
            Ok(())
        }
    }
}

/// Writes the request body under the deadline: as much as the stream
/// takes (`check-write`), waiting on its pollable in between, then flushes.
/// A peer that stops reading holds the call only until the deadline.
fn write_body(
    outgoing_body: OutgoingBody,
    body: &[u8],
    deadline: Option<&Deadline>,
) -> Result<(), SendError> {
    {
        // A child of `outgoing_body`: dropped before `finish`.
        let out = outgoing_body
            .write()
            .map_err(|()| invalid("the host gave no request body stream"))?;
        let mut rest = body;
        while !rest.is_empty() {
            let room = writable(&out, deadline)?;
            let n = rest.len().min(usize::try_from(room).unwrap_or(usize::MAX));
            out.write(&rest[..n]).map_err(stream_error)?;
            rest = &rest[n..];
        }
        out.flush().map_err(stream_error)?;
        // The flush is done once the stream can take writes again.
        writable(&out, deadline)?;
    }
    OutgoingBody::finish(outgoing_body, None).map_err(host_error)?;
    Ok(())
}

/// How many bytes `out` takes now, waiting (under the deadline) until that
/// is at least one.
fn writable(out: &OutputStream, deadline: Option<&Deadline>) -> Result<u64, SendError> {
    loop {
        match out.check_write().map_err(stream_error)? {
            0 => wait(&out.subscribe(), deadline)?,
            room => return Ok(room),
        }
    }
}

fn wait_for_response(
    future: &FutureIncomingResponse,
    deadline: Option<&Deadline>,
) -> Result<IncomingResponse, SendError> {
    loop {
        match future.get() {
            Some(Ok(Ok(response))) => return Ok(response),
            Some(Ok(Err(code))) => return Err(host_error(code)),
            Some(Err(())) => return Err(stream("the response was already taken")),
            None => {
                let ready = future.subscribe();
                wait(&ready, deadline)?;
            }
        }
    }
}

fn read_capped(
    input: &InputStream,
    buffer: &mut BodyBuffer,
    deadline: Option<&Deadline>,
) -> Result<(), SendError> {
    loop {
        // One byte past the cap is enough to know it is exceeded.
        let room = u64::try_from(buffer.room())
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        match input.read(room.min(READ_CHUNK)) {
            Ok(chunk) if chunk.is_empty() => {
                let ready = input.subscribe();
                wait(&ready, deadline)?;
            }
            Ok(chunk) => buffer.push(Bytes::from(chunk))?,
            Err(StreamError::Closed) => return Ok(()),
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

fn stream_error(e: StreamError) -> SendError {
    match e {
        StreamError::Closed => stream("the request body stream was closed by the host"),
        StreamError::LastOperationFailed(e) => io_error(&e),
    }
}

/// A stream failure: the `wasi:http` code when the host attached one.
fn io_error(e: &IoError) -> SendError {
    match wasi_http::http_error_code(e) {
        Some(code) => host_error(code),
        None => stream(e.to_debug_string()),
    }
}

fn invalid(reason: &'static str) -> SendError {
    SendError::invalid_request(reason)
}
