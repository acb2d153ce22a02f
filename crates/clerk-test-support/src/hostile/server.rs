//! A tiny raw server engine: accept on `127.0.0.1:0`, optionally complete a
//! TLS handshake, read one request, then hand the connection to a script that
//! misbehaves on purpose.
//!
//! Bounds: one thread per connection; every blocking read and write wakes up
//! every [`POLL`] to look at the stop flag, and no connection thread outlives
//! [`CONNECTION_LIFETIME`]. Dropping the [`Server`] raises the stop flag and
//! joins the accept thread.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How often a blocked read or write looks at the stop flag.
pub const POLL: Duration = Duration::from_millis(50);
/// No connection thread lives longer than this, whatever its script says.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(15);
/// The most request head the engine reads.
const MAX_REQUEST_HEAD: usize = 64 * 1024;
/// The most request body the engine reads.
const MAX_REQUEST_BODY: usize = 64 * 1024;

/// What the engine read of a request before the script runs.
#[derive(Debug, Clone)]
pub struct Request {
    /// `POST`, …
    pub method: String,
    /// The request target, e.g. `/v1/sign_in_tokens`.
    pub target: String,
    /// The `Host` header, as sent.
    pub host: String,
    /// The `Authorization` header, as sent.
    pub authorization: String,
    /// The body, as sent.
    pub body: Vec<u8>,
}

/// A script: what the server does once it has read the request.
pub type Script = dyn Fn(&mut Conn, &Request) + Send + Sync;

#[derive(Default)]
struct Stats {
    connections: AtomicUsize,
    handshakes: AtomicUsize,
    requests: AtomicUsize,
    authorizations: Mutex<Vec<String>>,
}

/// A running server; dropping it stops it.
pub struct Server {
    addr: SocketAddr,
    https: bool,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// A plain-TCP server running `script` on every request.
    pub fn plain(script: impl Fn(&mut Conn, &Request) + Send + Sync + 'static) -> Self {
        Self::start(None, Arc::new(script))
    }

    /// A TLS server with `config`, running `script` on every request that
    /// gets past the handshake.
    pub fn tls(
        config: Arc<rustls::ServerConfig>,
        script: impl Fn(&mut Conn, &Request) + Send + Sync + 'static,
    ) -> Self {
        Self::start(Some(config), Arc::new(script))
    }

    fn start(tls: Option<Arc<rustls::ServerConfig>>, script: Arc<Script>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let stats = Arc::new(Stats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let https = tls.is_some();
        let accept = {
            let (stats, stop) = (Arc::clone(&stats), Arc::clone(&stop));
            thread::Builder::new()
                .name(format!("hostile-accept-{}", addr.port()))
                .spawn(move || accept_loop(listener, tls, script, stats, stop))
                .expect("spawn the accept thread")
        };
        Self {
            addr,
            https,
            stats,
            stop,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The origin plus Clerk's `/v1` prefix: what a client's base URL is.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.origin())
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.stats.connections.load(Ordering::SeqCst)
    }

    /// TLS handshakes that succeeded so far.
    pub fn handshakes(&self) -> usize {
        self.stats.handshakes.load(Ordering::SeqCst)
    }

    /// Requests whose head (and body) the engine read so far.
    pub fn requests(&self) -> usize {
        self.stats.requests.load(Ordering::SeqCst)
    }

    /// The `Authorization` of every request read so far.
    pub fn authorizations(&self) -> Vec<String> {
        self.stats
            .authorizations
            .lock()
            .map(|a| a.clone())
            .unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn accept_loop(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    script: Arc<Script>,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        stats.connections.fetch_add(1, Ordering::SeqCst);
        let (tls, script, stats, stop) = (
            tls.clone(),
            Arc::clone(&script),
            Arc::clone(&stats),
            Arc::clone(&stop),
        );
        let _ = thread::Builder::new()
            .name("hostile-conn".into())
            .spawn(move || serve(stream, tls, &*script, &stats, stop));
    }
}

fn serve(
    tcp: TcpStream,
    tls: Option<Arc<rustls::ServerConfig>>,
    script: &Script,
    stats: &Stats,
    stop: Arc<AtomicBool>,
) {
    let born = Instant::now();
    let _ = tcp.set_nodelay(true);
    let _ = tcp.set_read_timeout(Some(POLL));
    let _ = tcp.set_write_timeout(Some(POLL));
    let stream = match tls {
        None => Stream::Plain(tcp),
        Some(config) => match handshake(tcp, config, &stop, born) {
            Some(tls) => {
                stats.handshakes.fetch_add(1, Ordering::SeqCst);
                Stream::Tls(Box::new(tls))
            }
            None => return,
        },
    };
    let mut conn = Conn {
        stream,
        stop,
        born,
        aborted: false,
    };
    let Some(request) = conn.read_request() else {
        return;
    };
    stats.requests.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut seen) = stats.authorizations.lock() {
        seen.push(request.authorization.clone());
    }
    script(&mut conn, &request);
    conn.close();
}

type TlsStream = rustls::StreamOwned<rustls::ServerConnection, TcpStream>;

fn handshake(
    mut tcp: TcpStream,
    config: Arc<rustls::ServerConfig>,
    stop: &AtomicBool,
    born: Instant,
) -> Option<TlsStream> {
    let mut tls = rustls::ServerConnection::new(config).ok()?;
    while tls.is_handshaking() {
        match tls.complete_io(&mut tcp) {
            Ok(_) => {}
            Err(e) if is_wait(&e) => {
                if stop.load(Ordering::SeqCst) || born.elapsed() > CONNECTION_LIFETIME {
                    return None;
                }
            }
            // The client refused the certificate (or hung up): that is what
            // the TLS cases are about.
            Err(_) => return None,
        }
    }
    Some(rustls::StreamOwned::new(tls, tcp))
}

fn is_wait(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(tls) => tls.get_ref(),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.read(buf),
            Stream::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.write(buf),
            Stream::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(tcp) => tcp.flush(),
            Stream::Tls(tls) => tls.flush(),
        }
    }
}

/// One accepted connection, as a script sees it.
pub struct Conn {
    stream: Stream,
    stop: Arc<AtomicBool>,
    born: Instant,
    aborted: bool,
}

impl Conn {
    /// Whether the server is stopping or this connection has lived too long.
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || self.born.elapsed() > CONNECTION_LIFETIME
    }

    /// Reads some bytes, waiting through poll timeouts; `Ok(0)` at the end of
    /// the stream, `Err` when the peer failed or the connection must stop.
    fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.stream.read(buf) {
                Err(e) if is_wait(&e) => {
                    if self.stopping() {
                        return Err(io::ErrorKind::TimedOut.into());
                    }
                }
                other => return other,
            }
        }
    }

    /// Reads the request head and its `Content-Length` body.
    fn read_request(&mut self) -> Option<Request> {
        let mut data = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            if data.len() > MAX_REQUEST_HEAD {
                return None;
            }
            match self.read_some(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => data.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or_default().split(' ');
        let method = request_line.next().unwrap_or_default().to_owned();
        let target = request_line.next().unwrap_or_default().to_owned();
        let mut authorization = String::new();
        let mut host = String::new();
        let mut length = 0usize;
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            if name.eq_ignore_ascii_case("authorization") {
                authorization = value.trim().to_owned();
            } else if name.eq_ignore_ascii_case("host") {
                host = value.trim().to_owned();
            } else if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0).min(MAX_REQUEST_BODY);
            }
        }
        let mut body = data.split_off(head_end);
        while body.len() < length {
            match self.read_some(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => body.extend_from_slice(&chunk[..n]),
            }
        }
        body.truncate(length);
        Some(Request {
            method,
            target,
            host,
            authorization,
            body,
        })
    }

    /// Writes all of `bytes`, waiting through poll timeouts; `false` when the
    /// peer went away or the connection must stop.
    pub fn send(&mut self, bytes: &[u8]) -> bool {
        let mut rest = bytes;
        while !rest.is_empty() {
            match self.stream.write(rest) {
                Ok(0) => return false,
                Ok(n) => rest = &rest[n..],
                Err(e) if is_wait(&e) => {
                    if self.stopping() {
                        return false;
                    }
                }
                Err(_) => return false,
            }
        }
        loop {
            match self.stream.flush() {
                Ok(()) => return true,
                Err(e) if is_wait(&e) && !self.stopping() => {}
                Err(_) => return false,
            }
        }
    }

    /// Says nothing more until the peer hangs up (or the server stops).
    pub fn hold(&mut self) {
        let mut sink = [0u8; 1024];
        while let Ok(n) = self.read_some(&mut sink) {
            if n == 0 {
                return;
            }
        }
    }

    /// Sends `bytes` one at a time, `every` apart, until done or the peer
    /// goes away; `false` in the latter case.
    pub fn trickle(&mut self, bytes: &[u8], every: Duration) -> bool {
        for byte in bytes {
            if !self.send(std::slice::from_ref(byte)) || !self.pause(every) {
                return false;
            }
        }
        true
    }

    /// Sends `piece` over and over until the peer goes away or the server
    /// stops. Returns how many bytes went out.
    pub fn endless(&mut self, piece: &[u8]) -> usize {
        let mut sent = 0usize;
        while self.send(piece) {
            sent = sent.saturating_add(piece.len());
        }
        sent
    }

    /// Sleeps `for_how_long` in poll-sized steps; `false` if stopping.
    pub fn pause(&self, for_how_long: Duration) -> bool {
        let until = Instant::now() + for_how_long;
        while Instant::now() < until {
            if self.stopping() {
                return false;
            }
            thread::sleep(POLL.min(until.saturating_duration_since(Instant::now())));
        }
        true
    }

    /// Aborts the connection: `SO_LINGER` 0, so that closing it sends the
    /// peer a TCP RST instead of a clean end of stream. Nothing more is sent.
    pub fn reset(&mut self) {
        // Socket options belong to the socket, not the descriptor: setting
        // the linger through a duplicate applies to the connection.
        if let Ok(duplicate) = self.stream.tcp().try_clone() {
            let socket = tokio::net::TcpSocket::from_std_stream(duplicate);
            let _ = socket.set_zero_linger();
        }
        self.aborted = true;
    }

    /// Ends the connection cleanly: close_notify for TLS, a FIN, then a short
    /// drain so that unread request bytes do not turn the close into a RST.
    fn close(mut self) {
        if self.aborted {
            return; // dropping the socket sends the RST
        }
        if let Stream::Tls(tls) = &mut self.stream {
            tls.conn.send_close_notify();
            let _ = self.stream.flush();
        }
        let _ = self.stream.tcp().shutdown(Shutdown::Write);
        let until = Instant::now() + Duration::from_millis(500);
        let mut sink = [0u8; 4096];
        let mut tcp = self.stream.tcp();
        while Instant::now() < until {
            match tcp.read(&mut sink) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if is_wait(&e) => {
                    if self.stop.load(Ordering::SeqCst) {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
    }
}

/// A listener nobody serves: the target of redirects. Anything that connects
/// to it stays in its backlog, where [`Bystander::connections`] finds it.
pub struct Bystander {
    listener: TcpListener,
}

impl Bystander {
    /// Binds `127.0.0.1:0`.
    pub fn new() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the bystander");
        listener
            .set_nonblocking(true)
            .expect("nonblocking bystander");
        Self { listener }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!(
            "http://{}",
            self.listener.local_addr().expect("bystander addr")
        )
    }

    /// How many connections reached it (each is taken off the backlog).
    pub fn connections(&self) -> usize {
        let mut count = 0;
        while let Ok((stream, _)) = self.listener.accept() {
            drop(stream);
            count += 1;
        }
        count
    }
}

impl Default for Bystander {
    fn default() -> Self {
        Self::new()
    }
}

/// A response head: the status line and `headers`, then the blank line.
pub fn head(status: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// A whole response that closes the connection, with a true
/// `Content-Length`, after `headers`.
pub fn whole(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let length = body.len().to_string();
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    all.push(("Content-Length", &length));
    all.push(("Connection", "close"));
    let mut out = head(status, &all);
    out.extend_from_slice(body);
    out
}

/// The headers a hostile server adds to everything it sends: the
/// `Authorization` it received, echoed back as a header of its own and as
/// the trace id.
pub fn echo(request: &Request) -> [(&'static str, &str); 2] {
    [
        ("X-Echo-Authorization", request.authorization.as_str()),
        ("Clerk-Trace-Id", request.authorization.as_str()),
    ]
}

/// `echo` plus `extra`, as one header list.
pub fn echo_and<'a>(request: &'a Request, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = echo(request).to_vec();
    all.extend_from_slice(extra);
    all
}
