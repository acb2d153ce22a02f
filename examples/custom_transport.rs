//! Bring your own transport: no tokio, no hyper on the client side.
//!
//! ```sh
//! cargo run --example custom_transport
//! ```
//!
//! `TcpTransport` below speaks just enough HTTP/1.1 over a
//! `std::net::TcpStream` to talk to a plain-`http` server: one request per
//! connection (`Connection: close`), bodies framed by `Content-Length` or by
//! the end of the connection. It implements
//! [`BlockingHttpTransport`], so the [`BlockingClient`] drives it; and, handed
//! to a helper thread, it becomes an async [`transport_fn`] that a plain
//! `futures_executor::block_on` drives, with a runtime-free [`Timer`] so that
//! the async client can retry.
//!
//! Both run against the mock Clerk, started on its own thread with
//! `MockServer::start_blocking` (the mock uses tokio inside; the client side
//! does not). It has no TLS, so it is for loopback and for learning: use
//! `clerk-hyper`, or your own HTTPS stack, for Clerk itself.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use clerk_core::bytes::Bytes;
use clerk_core::http::{self, HeaderName, HeaderValue, StatusCode, header};
use clerk_core::{
    BlockingHttpTransport, Client, CreateSignInTokenRequest, HttpRequest, HttpResponse,
    RetryPolicy, Revocation, SecretKey, SignInToken, Timer, TransportError, TransportErrorKind,
    transport_fn,
};
use clerk_mock::{MockClerk, MockServer};

/// Largest response head or body this transport reads.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("custom_transport failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn StdError>> {
    let server: MockServer = MockClerk::builder().build().start_blocking()?;
    println!("mock Clerk on its own thread at {}", server.base_url());
    let key = SecretKey::new("sk_test_custom_transport_demo")?;

    // 1. Blocking: the transport as it is, under the blocking client.
    let blocking = Client::builder(key.clone())
        .base_url(server.base_url())
        .build_blocking(TcpTransport::new())?;
    println!("\n[blocking] BlockingClient over TcpTransport");
    let created = blocking.create_sign_in_token(&CreateSignInTokenRequest::new("user_blocking"))?;
    show("created", &created);
    let revoked = blocking.revoke_sign_in_token(&created.id)?;
    show_revocation(&revoked);
    match blocking.revoke_sign_in_token(&created.id) {
        Ok(again) => return Err(format!("revoking twice succeeded: {}", again.status()).into()),
        Err(e) => println!(
            "  revoking it again is refused, as it should be: {} {:?}",
            e.status().map_or(0, |s| s.as_u16()),
            e.codes().collect::<Vec<_>>()
        ),
    }

    // 2. Async: the same transport on a helper thread per request, as a
    //    future any executor can poll; a thread-backed timer paces retries.
    let transport = TcpTransport::new();
    let async_transport = transport_fn(move |request: HttpRequest| {
        let transport = transport.clone();
        on_thread(move || transport.send(request))
    });
    let client = Client::builder(key)
        .base_url(server.base_url())
        .retry_policy(RetryPolicy::default().with_initial_backoff(Duration::from_millis(50)))
        .timer(ThreadTimer)
        .build(async_transport)?;
    println!("\n[async] Client over transport_fn, driven by futures_executor::block_on");
    futures_executor::block_on(async {
        let request = CreateSignInTokenRequest::new("user_async").expires_in_seconds(300);
        let info = client.create_sign_in_token_with_http_info(&request).await?;
        println!(
            "  HTTP {} with clerk-trace-id {}",
            info.status.as_u16(),
            info.headers
                .get(clerk_core::CLERK_TRACE_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("(none)")
        );
        show("created", &info.data);

        // Make Clerk fail the next request once: revoke is safe to repeat,
        // so the client waits a little and sends it again.
        let before = server.request_counts().revoke;
        server.fail_next(1, StatusCode::SERVICE_UNAVAILABLE);
        let revoked = client.revoke_sign_in_token(&info.data.id).await?;
        show_revocation(&revoked);
        println!(
            "  after a 503 the revoke was retried: {} revoke requests reached the mock",
            server.request_counts().revoke - before
        );
        Ok::<_, Box<dyn StdError>>(())
    })?;

    println!(
        "\nThe mock served {} requests in all.",
        server.request_count()
    );
    // Dropping the server stops its thread.
    drop(server);
    Ok(())
}

fn show(label: &str, token: &SignInToken) {
    println!(
        "  {label}: {} status={} user_id={} token={} url={}",
        token.id,
        token.status,
        token.user_id,
        presence(token.token.is_some()),
        presence(token.url.is_some()),
    );
}

/// A revoke's outcome: Clerk's answer, or the earlier attempt that did it.
fn show_revocation(revocation: &Revocation) {
    match revocation.sign_in_token() {
        Some(token) => show("revoked", token),
        None => println!(
            "  revoked: {} (by an earlier attempt whose answer was lost)",
            revocation.sign_in_token_id()
        ),
    }
}

fn presence(present: bool) -> &'static str {
    if present { "present" } else { "absent" }
}

// ----- the transport ----------------------------------------------------------

/// Minimal HTTP/1.1 over `std::net::TcpStream`, one connection per request.
#[derive(Debug, Clone)]
struct TcpTransport {
    connect_timeout: Duration,
    io_timeout: Duration,
}

impl TcpTransport {
    fn new() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            io_timeout: Duration::from_secs(10),
        }
    }

    fn connect(&self, host: &str, port: u16) -> Result<TcpStream, TcpError> {
        let addrs: Vec<SocketAddr> = (host, port)
            .to_socket_addrs()
            .map_err(TcpError::Connect)?
            .collect();
        let mut last = io::Error::new(io::ErrorKind::NotFound, "the host has no address");
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, self.connect_timeout) {
                Ok(stream) => {
                    // A failure to set these leaves the defaults: no timeout.
                    let _ = stream.set_read_timeout(Some(self.io_timeout));
                    let _ = stream.set_write_timeout(Some(self.io_timeout));
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
                }
                Err(e) => last = e,
            }
        }
        Err(TcpError::Connect(last))
    }
}

impl BlockingHttpTransport for TcpTransport {
    type Error = TcpError;

    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TcpError> {
        let uri = request.uri();
        if uri.scheme_str() != Some("http") {
            return Err(TcpError::Refused("only plain http:// is supported"));
        }
        let host = uri.host().ok_or(TcpError::Refused("the url has no host"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = uri.port_u16().unwrap_or(80);
        let head = request_head(&request)?;

        let mut stream = self.connect(host, port)?;
        // From here on the server may have seen (part of) the request.
        stream.write_all(&head).map_err(TcpError::Exchange)?;
        stream
            .write_all(request.body())
            .map_err(TcpError::Exchange)?;
        stream.flush().map_err(TcpError::Exchange)?;

        let mut raw = Vec::new();
        (&mut stream)
            .take(2 * MAX_RESPONSE_BYTES as u64 + 1)
            .read_to_end(&mut raw)
            .map_err(TcpError::Exchange)?;
        parse_response(&raw)
    }
}

/// `POST /v1/sign_in_tokens HTTP/1.1`, the request's headers, then our own
/// `Host`, `Content-Length` and `Connection: close`.
fn request_head(request: &HttpRequest) -> Result<Vec<u8>, TcpError> {
    let uri = request.uri();
    let target = uri.path_and_query().map_or("/", |p| p.as_str());
    let authority = uri
        .authority()
        .ok_or(TcpError::Refused("the url has no host"))?;
    let mut head = Vec::with_capacity(512);
    head.extend_from_slice(request.method().as_str().as_bytes());
    head.push(b' ');
    head.extend_from_slice(target.as_bytes());
    head.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    head.extend_from_slice(authority.as_str().as_bytes());
    head.extend_from_slice(b"\r\n");
    for (name, value) in request.headers() {
        if name == header::HOST || name == header::CONTENT_LENGTH || name == header::CONNECTION {
            continue;
        }
        // `Authorization` goes on the wire here, and nowhere else: never log it.
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(format!("Content-Length: {}\r\n", request.body().len()).as_bytes());
    head.extend_from_slice(b"Connection: close\r\n\r\n");
    Ok(head)
}

/// Reads a whole `HTTP/1.x` response off the bytes of a closed connection.
fn parse_response(raw: &[u8]) -> Result<HttpResponse, TcpError> {
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or(TcpError::Malformed(
            "the connection closed before the response head ended",
        ))?;
    if head_end > MAX_RESPONSE_BYTES {
        return Err(TcpError::TooLarge);
    }
    let head = std::str::from_utf8(&raw[..head_end])
        .map_err(|_| TcpError::Malformed("the response head is not text"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = match parts.next() {
        Some("HTTP/1.1") => http::Version::HTTP_11,
        Some("HTTP/1.0") => http::Version::HTTP_10,
        _ => return Err(TcpError::Malformed("not an HTTP/1.x status line")),
    };
    let status = parts
        .next()
        .and_then(|code| StatusCode::from_bytes(code.as_bytes()).ok())
        .ok_or(TcpError::Malformed("no valid status code"))?;

    let mut response = http::Response::new(Bytes::new());
    *response.status_mut() = status;
    *response.version_mut() = version;
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or(TcpError::Malformed("a header line without a colon"))?;
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| TcpError::Malformed("an invalid header name"))?;
        let value = HeaderValue::from_str(value.trim())
            .map_err(|_| TcpError::Malformed("an invalid header value"))?;
        response.headers_mut().append(name, value);
    }
    if response.headers().contains_key(header::TRANSFER_ENCODING) {
        return Err(TcpError::Malformed(
            "chunked bodies are not supported by this small transport",
        ));
    }

    let rest = &raw[head_end + 4..];
    let body = match response.headers().get(header::CONTENT_LENGTH) {
        Some(value) => {
            let declared: usize = value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .ok_or(TcpError::Malformed("an invalid Content-Length"))?;
            if declared > MAX_RESPONSE_BYTES {
                return Err(TcpError::TooLarge);
            }
            if rest.len() < declared {
                return Err(TcpError::Truncated {
                    got: rest.len(),
                    declared,
                });
            }
            &rest[..declared]
        }
        // No length: the body runs to the end of the connection.
        None if rest.len() > MAX_RESPONSE_BYTES => return Err(TcpError::TooLarge),
        None => rest,
    };
    *response.body_mut() = Bytes::copy_from_slice(body);
    Ok(response)
}

/// What can go wrong, and whether the request can have reached the server.
#[derive(Debug)]
enum TcpError {
    /// Refused before connecting (unsupported url).
    Refused(&'static str),
    /// No connection: nothing was sent.
    Connect(io::Error),
    /// Reading or writing failed once connected: the request may have arrived.
    Exchange(io::Error),
    /// The response ended before its `Content-Length`.
    Truncated { got: usize, declared: usize },
    /// The response is not HTTP/1.x as this transport understands it.
    Malformed(&'static str),
    /// The response is larger than `MAX_RESPONSE_BYTES`.
    TooLarge,
}

impl fmt::Display for TcpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TcpError::Refused(why) => write!(f, "request refused before connecting: {why}"),
            TcpError::Connect(e) => write!(f, "could not connect: {e}"),
            TcpError::Exchange(e) => write!(f, "the connection failed during the exchange: {e}"),
            TcpError::Truncated { got, declared } => write!(
                f,
                "the connection closed after {got} of {declared} body bytes"
            ),
            TcpError::Malformed(why) => write!(f, "malformed response: {why}"),
            TcpError::TooLarge => write!(f, "response larger than {MAX_RESPONSE_BYTES} bytes"),
        }
    }
}

impl StdError for TcpError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            TcpError::Connect(e) | TcpError::Exchange(e) => Some(e),
            _ => None,
        }
    }
}

impl TransportError for TcpError {
    // The kind is all the retry policy reads: clerk-core's table says which
    // kinds were not sent (a create is sent again only then), which are
    // timeouts, and which are permanent.
    fn kind(&self) -> TransportErrorKind {
        let timed_out = |e: &io::Error| {
            matches!(
                e.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            )
        };
        match self {
            TcpError::Refused(_) => TransportErrorKind::InvalidRequest,
            TcpError::Connect(e) if timed_out(e) => TransportErrorKind::ConnectTimeout,
            TcpError::Connect(_) => TransportErrorKind::Connect,
            TcpError::Exchange(e) if timed_out(e) => TransportErrorKind::Timeout,
            TcpError::Exchange(_) | TcpError::Truncated { .. } => TransportErrorKind::Io,
            TcpError::Malformed(_) => TransportErrorKind::Protocol,
            TcpError::TooLarge => TransportErrorKind::BodyTooLarge,
        }
    }
}

// ----- async without a runtime ---------------------------------------------------

/// Runs `work` on a new thread; the future completes, and wakes whoever polls
/// it, when the thread is done. No reactor, no runtime.
fn on_thread<T, F>(work: F) -> ThreadFuture<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let shared = Arc::new(Mutex::new(Slot {
        result: None,
        waker: None,
    }));
    let remote = Arc::clone(&shared);
    std::thread::spawn(move || {
        let result = work();
        let waker = {
            let mut slot = lock(&remote);
            slot.result = Some(result);
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    });
    ThreadFuture { shared }
}

struct Slot<T> {
    result: Option<T>,
    waker: Option<Waker>,
}

struct ThreadFuture<T> {
    shared: Arc<Mutex<Slot<T>>>,
}

impl<T> Future for ThreadFuture<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = lock(&self.shared);
        match slot.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panicking worker thread leaves no half-written slot behind.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A [`Timer`] for the async client that sleeps on a helper thread.
#[derive(Debug, Clone, Copy)]
struct ThreadTimer;

impl Timer for ThreadTimer {
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> {
        on_thread(move || std::thread::sleep(duration))
    }
}
