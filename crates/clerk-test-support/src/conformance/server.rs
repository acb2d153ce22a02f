//! The servers the cases run against, one per case, on `127.0.0.1`, and what
//! each saw.
//!
//! std threads and blocking sockets (socket2 where a socket option must be
//! set before `listen`), so that the Rust runners, the JavaScript hosts and
//! the WASI host meet the very same servers: in process, or through
//! `conformance serve` and its admin endpoint. Every blocking read wakes up
//! every [`POLL`] to look at the stop flag; dropping [`Servers`] stops them.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use socket2::{Domain, Socket, Type};

use super::cases::{Case, Table};

/// How often a blocked read looks at the stop flag.
pub const POLL: Duration = Duration::from_millis(25);
/// No connection is held longer than this.
const HOLD_AT_MOST: Duration = Duration::from_secs(20);

/// What one case's server saw since it was last reset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// TCP connections accepted.
    pub connections: u64,
    /// Request heads read in full.
    pub requests: u64,
    /// Bytes read, from every connection.
    pub bytes_received: u64,
    /// Whether the secret key was among the bytes read.
    pub key_on_wire: bool,
    /// For a held connection: how long after its request head the client
    /// closed it (`None` while it is open, or when none was held).
    pub held_ms: Option<u64>,
    /// Connections the redirect's target saw.
    pub bystander_connections: u64,
}

#[derive(Default)]
struct Shared {
    stats: Mutex<Stats>,
}

impl Shared {
    fn stats(&self) -> MutexGuard<'_, Stats> {
        self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One case's server.
struct CaseServer {
    base_url: String,
    shared: Arc<Shared>,
    bystander: Option<TcpListener>,
}

/// Every case's server, running.
pub struct Servers {
    servers: BTreeMap<String, CaseServer>,
    stop: Arc<AtomicBool>,
    /// Sockets that must stay open while the servers run (the queue of the
    /// connect-stall listener).
    _keep: Vec<Socket>,
}

impl Servers {
    /// Starts a server for every case of `table`.
    pub fn start(table: &Table) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let mut servers = BTreeMap::new();
        let mut keep = Vec::new();
        for case in &table.cases {
            let settings = case.settings(&table.defaults);
            let server = start(case, &settings.scheme, &table.key, &stop, &mut keep);
            servers.insert(case.name.clone(), server);
        }
        Self {
            servers,
            stop,
            _keep: keep,
        }
    }

    /// The base URL a client is pointed at for `case`.
    pub fn base_url(&self, case: &str) -> String {
        self.servers
            .get(case)
            .map(|s| s.base_url.clone())
            .unwrap_or_else(|| panic!("no server for case {case}"))
    }

    /// What `case`'s server saw since it was last reset.
    pub fn stats(&self, case: &str) -> Stats {
        let Some(server) = self.servers.get(case) else {
            return Stats::default();
        };
        let mut stats = server.shared.stats().clone();
        if let Some(bystander) = &server.bystander {
            while let Ok((stream, _)) = bystander.accept() {
                drop(stream);
                server.shared.stats().bystander_connections += 1;
            }
            stats.bystander_connections = server.shared.stats().bystander_connections;
        }
        stats
    }

    /// Forgets what `case`'s server saw.
    pub fn reset(&self, case: &str) {
        if let Some(server) = self.servers.get(case) {
            if let Some(bystander) = &server.bystander {
                while let Ok((stream, _)) = bystander.accept() {
                    drop(stream);
                }
            }
            *server.shared.stats() = Stats::default();
        }
    }

    /// Every case's base URL, by name.
    pub fn urls(&self) -> BTreeMap<String, String> {
        self.servers
            .iter()
            .map(|(name, s)| (name.clone(), s.base_url.clone()))
            .collect()
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn start(
    case: &Case,
    scheme: &str,
    key: &str,
    stop: &Arc<AtomicBool>,
    keep: &mut Vec<Socket>,
) -> CaseServer {
    let shared = Arc::new(Shared::default());
    let url = |addr: SocketAddr| format!("{scheme}://{addr}/v1");
    match case.server.as_str() {
        "none" => CaseServer {
            base_url: case
                .url
                .clone()
                .expect("a case without a server names its url"),
            shared,
            bystander: None,
        },
        "refused" => {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
            let addr = listener.local_addr().expect("addr");
            drop(listener);
            CaseServer {
                base_url: url(addr),
                shared,
                bystander: None,
            }
        }
        "connect_stall" => {
            // An accept queue of one, filled and never accepted: the
            // kernel drops every further SYN, so a client's connect hangs.
            let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
            socket
                .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
                .expect("bind");
            socket.listen(0).expect("listen");
            let addr = socket
                .local_addr()
                .expect("addr")
                .as_socket()
                .expect("inet");
            for _ in 0..2 {
                if let Ok(filler) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                    keep.push(Socket::from(filler));
                }
            }
            keep.push(socket);
            CaseServer {
                base_url: url(addr),
                shared,
                bystander: None,
            }
        }
        behaviour => {
            let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
            if behaviour == "upload_stall" {
                // A tiny receive window: a large body stops flowing at once.
                let _ = socket.set_recv_buffer_size(4096);
            }
            socket.set_reuse_address(true).expect("reuse");
            socket
                .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
                .expect("bind");
            socket.listen(128).expect("listen");
            let listener: TcpListener = socket.into();
            let addr = listener.local_addr().expect("addr");
            let bystander = (behaviour == "redirect").then(|| {
                let b = TcpListener::bind("127.0.0.1:0").expect("bind the bystander");
                b.set_nonblocking(true).expect("nonblocking");
                b
            });
            let script = Script {
                behaviour: behaviour.to_owned(),
                body_bytes: case.body_bytes,
                key: key.to_owned(),
                bystander: bystander
                    .as_ref()
                    .map(|b| format!("http://{}", b.local_addr().expect("addr"))),
            };
            let (shared2, stop2) = (Arc::clone(&shared), Arc::clone(stop));
            listener
                .set_nonblocking(true)
                .expect("nonblocking listener");
            thread::Builder::new()
                .name(format!("conformance-{}", case.name))
                .spawn(move || accept_loop(listener, script, shared2, stop2))
                .expect("spawn");
            CaseServer {
                base_url: url(addr),
                shared,
                bystander,
            }
        }
    }
}

/// What a server does with each connection.
#[derive(Clone)]
struct Script {
    behaviour: String,
    body_bytes: usize,
    key: String,
    bystander: Option<String>,
}

fn accept_loop(listener: TcpListener, script: Script, shared: Arc<Shared>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                shared.stats().connections += 1;
                let (script, shared, stop) =
                    (script.clone(), Arc::clone(&shared), Arc::clone(&stop));
                let _ = thread::Builder::new()
                    .name("conformance-conn".into())
                    .spawn(move || {
                        let mut conn = Conn {
                            stream,
                            shared,
                            stop,
                            key: script.key.clone(),
                            seen: Vec::new(),
                        };
                        let _ = conn.stream.set_nonblocking(false);
                        let _ = conn.stream.set_read_timeout(Some(POLL));
                        let _ = conn.stream.set_nodelay(true);
                        conn.run(&script);
                    });
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => thread::sleep(POLL),
            Err(_) => thread::sleep(POLL),
        }
    }
}

struct Conn {
    stream: TcpStream,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    key: String,
    /// The tail of what was read, to find the key across reads.
    seen: Vec<u8>,
}

/// A request head as read: its path, and its declared body length.
struct Head {
    path: String,
    content_length: usize,
}

impl Conn {
    fn run(&mut self, script: &Script) {
        match script.behaviour.as_str() {
            "plaintext" => {
                // Whatever arrives (a TLS ClientHello, or a request in
                // cleartext), then a plain HTTP answer and the end.
                let mut buf = [0u8; 4096];
                let _ = self.read_some(&mut buf, Duration::from_millis(500));
                let _ = self.stream.write_all(
                    b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
                self.linger_close();
            }
            "tls_stall" => {
                // Reads the ClientHello and never answers.
                self.hold(None);
            }
            "upload_stall" => {
                // The head, then nothing more is read.
                if self.read_head().is_some() {
                    self.pause(HOLD_AT_MOST);
                }
            }
            behaviour => {
                let Some(head) = self.read_head() else { return };
                self.read_body(head.content_length);
                self.answer(behaviour, script, &head);
            }
        }
    }

    fn answer(&mut self, behaviour: &str, script: &Script, head: &Head) {
        let status = if head.path.ends_with("/revoke") {
            "revoked"
        } else {
            "pending"
        };
        match behaviour {
            "head_stall" => {
                let read_at = Instant::now();
                self.hold(Some(read_at));
            }
            "body_stall" => {
                let _ = self
                    .stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"object\":");
                let read_at = Instant::now();
                self.hold(Some(read_at));
            }
            "body_sized" | "body_chunked" => {
                let body = token_json(status, script.body_bytes);
                let mut out = Vec::new();
                if behaviour == "body_sized" {
                    out.extend_from_slice(
                        format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                            body.len()
                        )
                        .as_bytes(),
                    );
                    out.extend_from_slice(&body);
                } else {
                    out.extend_from_slice(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n");
                    for piece in body.chunks(1000) {
                        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                        out.extend_from_slice(piece);
                        out.extend_from_slice(b"\r\n");
                    }
                    out.extend_from_slice(b"0\r\n\r\n");
                }
                let _ = self.stream.write_all(&out);
                self.linger_close();
            }
            "redirect" => {
                let location = format!(
                    "{}{}",
                    script.bystander.as_deref().unwrap_or("http://127.0.0.1:9"),
                    head.path
                );
                let _ = self.stream.write_all(
                    format!(
                        "HTTP/1.1 307 Temporary Redirect\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    )
                    .as_bytes(),
                );
                self.linger_close();
            }
            "reset" => {
                let socket = socket2::SockRef::from(&self.stream);
                let _ = socket.set_linger(Some(Duration::ZERO));
                // Dropping the stream now sends a RST.
            }
            "echo_401" => {
                let auth = format!("Bearer {}", script.key);
                let body = serde_json::json!({
                    "errors": [{
                        "message": format!("bad key {auth}"),
                        "long_message": format!("{auth} is not a valid key; {}", script.key),
                        "code": "authorization_invalid",
                        "meta": {"echo": auth},
                    }],
                    "meta": {"echo": script.key},
                    "clerk_trace_id": auth,
                })
                .to_string();
                let _ = self.stream.write_all(
                    format!(
                        "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\nx-echo-authorization: {auth}\r\nclerk-trace-id: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        script.key,
                        body.len()
                    )
                    .as_bytes(),
                );
                self.linger_close();
            }
            other => panic!("unknown server behaviour {other}"),
        }
    }

    /// Reads, recording what arrives; `Ok(0)` at the end of the stream.
    fn read_some(&mut self, buf: &mut [u8], at_most: Duration) -> io::Result<usize> {
        let until = Instant::now() + at_most;
        loop {
            match self.stream.read(buf) {
                Ok(n) => {
                    self.record(&buf[..n]);
                    return Ok(n);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if self.stop.load(Ordering::SeqCst) || Instant::now() >= until {
                        return Err(io::ErrorKind::TimedOut.into());
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn record(&mut self, bytes: &[u8]) {
        self.seen.extend_from_slice(bytes);
        let key = self.key.as_bytes();
        let found = self.seen.windows(key.len()).any(|w| w == key);
        let mut stats = self.shared.stats();
        stats.bytes_received += bytes.len() as u64;
        stats.key_on_wire |= found;
        drop(stats);
        // Keep only a tail long enough to find a key split across reads.
        if self.seen.len() > 64 * 1024 {
            let cut = self.seen.len() - key.len();
            self.seen.drain(..cut);
        }
    }

    fn read_head(&mut self) -> Option<Head> {
        let mut data = Vec::new();
        let mut buf = [0u8; 1];
        // Byte by byte: nothing of the body is read with the head.
        loop {
            if data.ends_with(b"\r\n\r\n") {
                break;
            }
            if data.len() > 64 * 1024 {
                return None;
            }
            match self.read_some(&mut buf, HOLD_AT_MOST) {
                Ok(1) => data.push(buf[0]),
                _ => return None,
            }
        }
        self.shared.stats().requests += 1;
        let text = String::from_utf8_lossy(&data);
        let path = text
            .lines()
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .unwrap_or("/")
            .to_owned();
        let content_length = text
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(0);
        Some(Head {
            path,
            content_length,
        })
    }

    fn read_body(&mut self, mut left: usize) {
        let mut buf = [0u8; 16 * 1024];
        while left > 0 {
            let want = left.min(buf.len());
            match self.read_some(&mut buf[..want], Duration::from_secs(5)) {
                Ok(0) | Err(_) => return,
                Ok(n) => left -= n,
            }
        }
    }

    /// Reads until the client closes (recording when, after `since`) or
    /// the server stops; answers nothing.
    fn hold(&mut self, since: Option<Instant>) {
        let mut buf = [0u8; 4096];
        let started = Instant::now();
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => self.record(&buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if self.stop.load(Ordering::SeqCst) || started.elapsed() > HOLD_AT_MOST {
                        return;
                    }
                }
                // Reset by the client: closed too.
                Err(_) => break,
            }
        }
        if let Some(since) = since {
            let held = u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.shared.stats().held_ms = Some(held);
        }
    }

    fn pause(&self, at_most: Duration) {
        let until = Instant::now() + at_most;
        while Instant::now() < until && !self.stop.load(Ordering::SeqCst) {
            thread::sleep(POLL);
        }
    }

    /// A clean end: FIN, then a short drain so that unread bytes do not
    /// turn the close into a RST.
    fn linger_close(&mut self) {
        let _ = self.stream.flush();
        let _ = self.stream.shutdown(Shutdown::Write);
        let mut buf = [0u8; 4096];
        let _ = self.read_some(&mut buf, Duration::from_millis(300));
    }
}

/// A sign-in token as Clerk returns it, padded with trailing spaces (still
/// valid JSON) to exactly `size` bytes when that is larger.
pub fn token_json(status: &str, size: usize) -> Vec<u8> {
    let mut body = format!(
        r#"{{"object":"sign_in_token","id":"sit_conformance","status":"{status}","user_id":"user_conformance","token":"eyJhbGciOiJSUzI1NiJ9.e30.c2ln","url":"https://accounts.example/sign-in?__clerk_ticket=eyJhbGciOiJSUzI1NiJ9.e30.c2ln","created_at":1700000000000,"updated_at":1700000000000}}"#
    )
    .into_bytes();
    if body.len() < size {
        body.resize(size, b' ');
    }
    body
}

/// Serves `servers`' stats over HTTP on `127.0.0.1:0`, for the runners
/// outside this process: `GET /urls`, `GET /stats/CASE`, `POST /reset/CASE`.
/// Returns the admin origin; serves until the process ends.
pub fn serve_admin(servers: Arc<Servers>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the admin endpoint");
    let origin = format!("http://{}", listener.local_addr().expect("addr"));
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let servers = Arc::clone(&servers);
            thread::spawn(move || admin(stream, &servers));
        }
    });
    origin
}

fn admin(mut stream: TcpStream, servers: &Servers) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut data = Vec::new();
    let mut buf = [0u8; 1024];
    while !data.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&data);
    let mut line = text.lines().next().unwrap_or_default().split(' ');
    let (method, path) = (line.next().unwrap_or(""), line.next().unwrap_or(""));
    let body = match (method, path.split('/').nth(1), path.split('/').nth(2)) {
        ("GET", Some("urls"), _) => serde_json::to_string(&servers.urls()).ok(),
        ("GET", Some("stats"), Some(case)) => serde_json::to_string(&servers.stats(case)).ok(),
        ("POST", Some("reset"), Some(case)) => {
            servers.reset(case);
            Some("{}".to_owned())
        }
        _ => None,
    };
    let (status, body) = match body {
        Some(body) => ("200 OK", body),
        None => ("404 Not Found", "{}".to_owned()),
    };
    let _ = stream.write_all(
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
}
