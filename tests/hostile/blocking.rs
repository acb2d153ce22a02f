//! A small blocking HTTP/1.1 transport over `std::net::TcpStream` (rustls
//! for `https`), written to survive hostile servers, for the
//! `BlockingClient`.
//!
//! Its defences, each one a case in the hostile table:
//!
//! - **One deadline for the whole exchange**, connect to last byte. Socket
//!   read and write timeouts alone do not stop a server that trickles a byte
//!   just under the timeout forever; so before every read and write the
//!   socket timeout is set to what is left of the deadline.
//! - **Caps**: at most [`MAX_HEAD`] bytes of response head and
//!   [`MAX_HEADERS`] header lines, at most `max_body` bytes of body: a declared
//!   `Content-Length` or chunk size over the cap fails before it is read.
//! - **Strict framing**: chunk sizes must be hexadecimal, each chunk ends in
//!   CRLF, `Transfer-Encoding` other than `chunked` and
//!   `Transfer-Encoding` with `Content-Length` are refused, and conflicting
//!   `Content-Length`s too.
//! - **No redirects, no decoding**: whatever comes back is handed to
//!   clerk-core as it is.
//! - **Errors that never quote** headers or bodies.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clerk_core::http::{self, HeaderName, HeaderValue, Method, StatusCode};
use clerk_core::{BlockingHttpTransport, HttpRequest, HttpResponse, TransportError};
use clerk_hyper::rustls;
use rustls::pki_types::{CertificateDer, ServerName};

/// The most response head read, status line and headers together.
pub const MAX_HEAD: usize = 64 * 1024;
/// The most header lines in a response head.
pub const MAX_HEADERS: usize = 100;
/// The longest chunk-size or trailer line.
const MAX_LINE: usize = 4 * 1024;
/// How much is read from the socket at a time.
const READ_SIZE: usize = 16 * 1024;
/// How many interim (1xx) heads are skipped before giving up.
const MAX_INTERIM: usize = 4;

/// Why the transport could not deliver a response.
#[derive(Debug)]
pub enum StdError {
    /// The request cannot be sent as built; nothing was sent.
    Refused(&'static str),
    /// No connection; nothing was sent.
    Connect(io::Error),
    /// Connecting (TCP and TLS) took too long; nothing was sent.
    ConnectTimeout,
    /// The TLS handshake failed on the certificate or protocol; nothing was
    /// sent, and sending again cannot help.
    Tls(io::Error),
    /// The exchange outran the deadline; the request may have arrived.
    Timeout,
    /// The body is over the cap.
    BodyTooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The server broke HTTP/1.1.
    Protocol(&'static str),
    /// The connection failed mid-exchange.
    Io(io::Error),
}

impl fmt::Display for StdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StdError::Refused(why) => write!(f, "refused before connecting: {why}"),
            StdError::Connect(e) => write!(f, "could not connect: {e}"),
            StdError::ConnectTimeout => f.write_str("timed out while connecting"),
            StdError::Tls(e) => write!(f, "TLS handshake failed: {e}"),
            StdError::Timeout => f.write_str("timed out waiting for the response"),
            StdError::BodyTooLarge { limit } => {
                write!(f, "response body exceeds the cap of {limit} bytes")
            }
            StdError::Protocol(why) => write!(f, "the server broke HTTP/1.1: {why}"),
            StdError::Io(e) => write!(f, "the connection failed mid-exchange: {e}"),
        }
    }
}

impl std::error::Error for StdError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StdError::Connect(e) | StdError::Tls(e) | StdError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl TransportError for StdError {
    fn is_request_not_sent(&self) -> bool {
        matches!(
            self,
            StdError::Refused(_)
                | StdError::Connect(_)
                | StdError::ConnectTimeout
                | StdError::Tls(_)
        )
    }

    fn is_timeout(&self) -> bool {
        matches!(self, StdError::ConnectTimeout | StdError::Timeout)
    }

    fn is_permanent(&self) -> bool {
        matches!(self, StdError::Refused(_) | StdError::Tls(_))
    }
}

/// The transport.
#[derive(Clone)]
pub struct StdTransport {
    timeout: Duration,
    max_body: usize,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl StdTransport {
    /// A transport with a whole-exchange `timeout`, a body cap, and, for
    /// `https`, `trust` as its only root.
    pub fn new(
        timeout: Duration,
        max_body: usize,
        trust: Option<&CertificateDer<'static>>,
    ) -> Self {
        let tls = trust.map(|root| {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(root.clone()).expect("a usable test root");
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("TLS versions")
                .with_root_certificates(roots)
                .with_no_client_auth();
            Arc::new(config)
        });
        Self {
            timeout,
            max_body,
            tls,
        }
    }

    fn exchange(&self, request: &HttpRequest) -> Result<HttpResponse, StdError> {
        let deadline = Instant::now() + self.timeout;
        let uri = request.uri();
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(StdError::Refused("the scheme is not http or https")),
        };
        let host = uri.host().ok_or(StdError::Refused("the URI has no host"))?;
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let bare_host = host.trim_start_matches('[').trim_end_matches(']');
        let addr = (bare_host, port)
            .to_socket_addrs()
            .map_err(StdError::Connect)?
            .next()
            .ok_or(StdError::Refused("the host resolves to no address"))?;
        let left = remaining(deadline).ok_or(StdError::ConnectTimeout)?;
        let tcp = TcpStream::connect_timeout(&addr, left).map_err(|e| {
            if is_timeout(&e) {
                StdError::ConnectTimeout
            } else {
                StdError::Connect(e)
            }
        })?;
        let _ = tcp.set_nodelay(true);
        let mut conn = Conn {
            tcp,
            tls: None,
            deadline,
            buf: Vec::new(),
            start: 0,
        };
        if https {
            let config = self
                .tls
                .clone()
                .ok_or(StdError::Refused("https without a trusted root"))?;
            let name = ServerName::try_from(bare_host.to_owned())
                .map_err(|_| StdError::Refused("the host is not a valid TLS name"))?;
            conn.handshake(config, name)?;
        }
        conn.write_all(&encode(request))?;
        let (status, headers) = read_final_head(&mut conn)?;
        let body = read_body(&mut conn, request.method(), status, &headers, self.max_body)?;
        let mut response = http::Response::new(Bytes::from(body));
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        Ok(response)
    }
}

impl BlockingHttpTransport for StdTransport {
    type Error = StdError;

    fn send(&self, request: HttpRequest) -> Result<HttpResponse, StdError> {
        self.exchange(&request)
    }
}

/// What is left until `deadline`, or `None` once it passed.
fn remaining(deadline: Instant) -> Option<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    (!left.is_zero()).then_some(left)
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Points `tcp`'s timeouts at what is left until `deadline`.
fn arm(tcp: &TcpStream, deadline: Instant) -> Result<(), StdError> {
    let left = remaining(deadline).ok_or(StdError::Timeout)?;
    tcp.set_read_timeout(Some(left))
        .and_then(|()| tcp.set_write_timeout(Some(left)))
        .map_err(StdError::Io)
}

/// The request as HTTP/1.1 bytes: one request per connection.
fn encode(request: &HttpRequest) -> Vec<u8> {
    let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let authority = request.uri().authority().map_or("", |a| a.as_str());
    let mut out = format!(
        "{} {target} HTTP/1.1\r\nHost: {authority}\r\n",
        request.method()
    )
    .into_bytes();
    for (name, value) in request.headers() {
        if matches!(
            name.as_str(),
            "host" | "content-length" | "connection" | "transfer-encoding"
        ) {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(
        format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            request.body().len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(request.body());
    out
}

/// A connection with a deadline and a read buffer.
struct Conn {
    tcp: TcpStream,
    tls: Option<rustls::ClientConnection>,
    deadline: Instant,
    buf: Vec<u8>,
    /// Where unconsumed bytes start in `buf`.
    start: usize,
}

impl Conn {
    /// Points the socket's timeouts at what is left of the deadline.
    fn arm(&self) -> Result<(), StdError> {
        arm(&self.tcp, self.deadline)
    }

    fn handshake(
        &mut self,
        config: Arc<rustls::ClientConfig>,
        name: ServerName<'static>,
    ) -> Result<(), StdError> {
        let mut tls = rustls::ClientConnection::new(config, name)
            .map_err(|_| StdError::Refused("TLS cannot start"))?;
        while tls.is_handshaking() {
            self.arm().map_err(|_| StdError::ConnectTimeout)?;
            if let Err(e) = tls.complete_io(&mut self.tcp) {
                return Err(if is_timeout(&e) {
                    StdError::ConnectTimeout
                } else if e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) {
                    StdError::Tls(e)
                } else {
                    StdError::Connect(e)
                });
            }
        }
        self.tls = Some(tls);
        Ok(())
    }

    fn classify(e: io::Error) -> StdError {
        if is_timeout(&e) {
            StdError::Timeout
        } else {
            StdError::Io(e)
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), StdError> {
        let mut rest = bytes;
        while !rest.is_empty() {
            self.arm()?;
            let written = match &mut self.tls {
                Some(tls) => rustls::Stream::new(tls, &mut self.tcp).write(rest),
                None => self.tcp.write(rest),
            };
            match written {
                Ok(0) => return Err(StdError::Io(io::ErrorKind::WriteZero.into())),
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Self::classify(e)),
            }
        }
        if let Some(tls) = &mut self.tls {
            // Push out whatever rustls still holds.
            while tls.wants_write() {
                arm(&self.tcp, self.deadline)?;
                tls.write_tls(&mut self.tcp).map_err(Self::classify)?;
            }
        }
        Ok(())
    }

    /// Reads more bytes into the buffer; `Ok(false)` at the end of the stream.
    fn fill(&mut self) -> Result<bool, StdError> {
        // Forget what was consumed, so the buffer holds only unread bytes.
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let mut chunk = [0u8; READ_SIZE];
        loop {
            self.arm()?;
            let read = match &mut self.tls {
                Some(tls) => rustls::Stream::new(tls, &mut self.tcp).read(&mut chunk),
                None => self.tcp.read(&mut chunk),
            };
            match read {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Self::classify(e)),
            }
        }
    }

    fn unread(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Bytes up to and including the first `delimiter`, at most `max` of
    /// them (else `too_long`).
    fn read_through(
        &mut self,
        delimiter: &[u8],
        max: usize,
        too_long: &'static str,
    ) -> Result<Vec<u8>, StdError> {
        let mut searched = 0usize;
        loop {
            let unread = self.unread();
            let from = searched.saturating_sub(delimiter.len());
            if let Some(at) = unread[from..]
                .windows(delimiter.len())
                .position(|w| w == delimiter)
            {
                let end = from + at + delimiter.len();
                if end > max {
                    return Err(StdError::Protocol(too_long));
                }
                let out = unread[..end].to_vec();
                self.start += end;
                return Ok(out);
            }
            searched = unread.len();
            if searched > max {
                return Err(StdError::Protocol(too_long));
            }
            if !self.fill()? {
                return Err(StdError::Io(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection mid-response",
                )));
            }
        }
    }

    /// Exactly `n` more bytes.
    fn read_exact(&mut self, n: usize) -> Result<Vec<u8>, StdError> {
        while self.unread().len() < n {
            if !self.fill()? {
                return Err(StdError::Io(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection before the declared end of the body",
                )));
            }
        }
        let out = self.unread()[..n].to_vec();
        self.start += n;
        Ok(out)
    }

    /// Everything up to the end of the stream, at most `limit` bytes.
    fn read_to_end(&mut self, limit: usize) -> Result<Vec<u8>, StdError> {
        loop {
            if self.unread().len() > limit {
                return Err(StdError::BodyTooLarge { limit });
            }
            if !self.fill()? {
                let out = self.unread().to_vec();
                self.start = self.buf.len();
                return Ok(out);
            }
        }
    }
}

/// The first non-interim response head.
fn read_final_head(conn: &mut Conn) -> Result<(StatusCode, http::HeaderMap), StdError> {
    for _ in 0..=MAX_INTERIM {
        let raw = conn.read_through(b"\r\n\r\n", MAX_HEAD, "the response head is too large")?;
        let (status, headers) = parse_head(&raw)?;
        if !status.is_informational() || status == StatusCode::SWITCHING_PROTOCOLS {
            return Ok((status, headers));
        }
    }
    Err(StdError::Protocol("too many interim responses"))
}

fn parse_head(raw: &[u8]) -> Result<(StatusCode, http::HeaderMap), StdError> {
    let text = raw.strip_suffix(b"\r\n\r\n").unwrap_or(raw);
    let mut lines = text
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let status_line = lines.next().unwrap_or_default();
    let rest = status_line
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| status_line.strip_prefix(b"HTTP/1.0 "))
        .ok_or(StdError::Protocol("the status line is not HTTP/1.x"))?;
    let code = rest
        .get(..3)
        .filter(|c| c.iter().all(u8::is_ascii_digit))
        .and_then(|c| StatusCode::from_bytes(c).ok())
        .ok_or(StdError::Protocol("the status code is not three digits"))?;
    if rest.len() > 3 && rest[3] != b' ' {
        return Err(StdError::Protocol("the status code is not three digits"));
    }
    let mut headers = http::HeaderMap::new();
    for (count, line) in lines.enumerate() {
        if count >= MAX_HEADERS {
            return Err(StdError::Protocol("too many header lines"));
        }
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            return Err(StdError::Protocol("obsolete line folding in a header"));
        }
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or(StdError::Protocol("a header line without a colon"))?;
        let name = HeaderName::from_bytes(&line[..colon])
            .map_err(|_| StdError::Protocol("an invalid header name"))?;
        let value = line[colon + 1..].trim_ascii();
        let value = HeaderValue::from_bytes(value)
            .map_err(|_| StdError::Protocol("an invalid header value"))?;
        headers.append(name, value);
    }
    Ok((code, headers))
}

fn read_body(
    conn: &mut Conn,
    method: &Method,
    status: StatusCode,
    headers: &http::HeaderMap,
    limit: usize,
) -> Result<Vec<u8>, StdError> {
    if method == Method::HEAD
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        return Ok(Vec::new());
    }
    let transfer_encoding = headers.get_all(http::header::TRANSFER_ENCODING);
    let lengths: Vec<&HeaderValue> = headers
        .get_all(http::header::CONTENT_LENGTH)
        .iter()
        .collect();
    if transfer_encoding.iter().next().is_some() {
        if !lengths.is_empty() {
            return Err(StdError::Protocol(
                "both Transfer-Encoding and Content-Length",
            ));
        }
        let codings: Vec<String> = transfer_encoding
            .iter()
            .flat_map(|v| v.to_str().unwrap_or("?").split(','))
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        if codings != ["chunked"] {
            return Err(StdError::Protocol("a Transfer-Encoding other than chunked"));
        }
        return read_chunked(conn, limit);
    }
    if let Some(first) = lengths.first() {
        if lengths.iter().any(|v| v != first) {
            return Err(StdError::Protocol("conflicting Content-Length headers"));
        }
        let declared = first
            .to_str()
            .ok()
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or(StdError::Protocol("an invalid Content-Length"))?;
        let length = usize::try_from(declared)
            .ok()
            .filter(|n| *n <= limit)
            .ok_or(StdError::BodyTooLarge { limit })?;
        return conn.read_exact(length);
    }
    conn.read_to_end(limit)
}

fn read_chunked(conn: &mut Conn, limit: usize) -> Result<Vec<u8>, StdError> {
    let mut body = Vec::new();
    loop {
        let line = conn.read_through(b"\r\n", MAX_LINE, "a chunk size line is too long")?;
        let line = &line[..line.len() - 2];
        let size = line
            .split(|&b| b == b';')
            .next()
            .unwrap_or_default()
            .trim_ascii();
        if size.is_empty() || size.len() > 15 || !size.iter().all(u8::is_ascii_hexdigit) {
            return Err(StdError::Protocol("an invalid chunk size"));
        }
        let size = std::str::from_utf8(size)
            .ok()
            .and_then(|s| usize::from_str_radix(s, 16).ok())
            .ok_or(StdError::Protocol("an invalid chunk size"))?;
        if size == 0 {
            // Trailers, ignored, then the blank line.
            let mut trailer_bytes = 0;
            loop {
                let trailer = conn.read_through(b"\r\n", MAX_LINE, "a trailer line is too long")?;
                trailer_bytes += trailer.len();
                if trailer == b"\r\n" {
                    return Ok(body);
                }
                if trailer_bytes > MAX_HEAD {
                    return Err(StdError::Protocol("the trailers are too large"));
                }
            }
        }
        if body.len().saturating_add(size) > limit {
            return Err(StdError::BodyTooLarge { limit });
        }
        body.extend_from_slice(&conn.read_exact(size)?);
        if conn.read_exact(2)? != b"\r\n" {
            return Err(StdError::Protocol("a chunk is not followed by CRLF"));
        }
    }
}
