//! The table: every way a server misbehaves, and what each client must make
//! of it.
//!
//! | column | meaning |
//! |---|---|
//! | `op` | the call made: create (not idempotent) or revoke |
//! | `timeout` | the per-attempt deadline each client gets |
//! | `async_expect` | `Client` over `HyperTransport` |
//! | `blocking_expect` | `BlockingClient` over the std-only test transport |
//! | `reqwest_expect` | `Client` over clerk-reqwest's `ReqwestTransport` (the async expectation unless a row says why reqwest differs) |
//! | `cli_exit`, `cli_says` | the binary's exit code, and a phrase of its `error:` line |
//! | `connections`, `requests` | what the server must have seen: retries stop at the policy's limit, and a create is never resent after it may have arrived |
//! | `max_elapsed` | the bound on the whole call in process (the CLI gets its backoff and start-up on top) |
//!
//! Every hostile answer also echoes the `Authorization` it received (as a
//! header, as the trace id, and where there is a body, in it) and carries the
//! sentinel token and url, so that every case doubles as a secret-hygiene
//! case.

use std::time::Duration;

use rustls::pki_types::CertificateDer;

use super::outcome::{Cert, Expect};
use super::server::{Bystander, Conn, Request, Server, echo_and, head, whole};
use crate::certs::{self, Ca, HOST};
use crate::sentinel;

/// The deadline for cases where the server answers promptly.
pub const ANSWER_TIMEOUT: Duration = Duration::from_millis(800);
/// The deadline for cases that must time out.
pub const STALL_TIMEOUT: Duration = Duration::from_millis(400);
/// The default bound on a whole call made in process.
pub const MAX_ELAPSED: Duration = Duration::from_millis(1500);
/// The body cap every client under test uses (clerk-hyper's default).
pub const BODY_CAP: usize = 1024 * 1024;
/// The longest the CLI's default backoff can add for one retry, per retry
/// index: full jitter under 500 ms, then 1 s.
pub const CLI_BACKOFF: [Duration; 2] = [Duration::from_millis(500), Duration::from_secs(1)];

/// Which call a case makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `POST /sign_in_tokens` for `user_1`: retried only on 429 or not-sent.
    Create,
    /// `POST /sign_in_tokens/sit_hostile/revoke`: retried on 5xx and
    /// transport failures, never on permanent ones.
    Revoke,
}

/// The revoked id every revoke case uses.
pub const REVOKE_ID: &str = "sit_hostile";
/// The user every create case uses.
pub const USER_ID: &str = "user_1";

impl Op {
    /// The CLI arguments for this call.
    pub fn cli_args(self) -> Vec<&'static str> {
        match self {
            Op::Create => vec!["create", "--user-id", USER_ID],
            Op::Revoke => vec!["revoke", REVOKE_ID],
        }
    }
}

/// A started hostile setup.
pub struct Hostile {
    /// The misbehaving server.
    pub server: Server,
    /// A second listener, the target of redirects, that must see nothing.
    pub bystander: Option<Bystander>,
    /// The root an in-process TLS client should trust (the CLI cannot).
    pub trust: Option<CertificateDer<'static>>,
}

impl Hostile {
    fn plain(script: impl Fn(&mut Conn, &Request) + Send + Sync + 'static) -> Self {
        Self {
            server: Server::plain(script),
            bystander: None,
            trust: None,
        }
    }

    /// The base URL clients are pointed at.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }
}

/// One row of the table.
#[derive(Clone)]
pub struct Case {
    /// Short name; also the test's name.
    pub name: &'static str,
    /// What the server does.
    pub what: &'static str,
    /// The call.
    pub op: Op,
    /// The per-attempt deadline.
    pub timeout: Duration,
    /// What the async client over `HyperTransport` must return.
    pub async_expect: Expect,
    /// What the blocking client over the std-only transport must return.
    pub blocking_expect: Expect,
    /// What the async client over clerk-reqwest's transport must return.
    pub reqwest_expect: Expect,
    /// Why `reqwest_expect` differs from `async_expect`, when it does.
    pub reqwest_differs: Option<&'static str>,
    /// The CLI's exit code.
    pub cli_exit: i32,
    /// A phrase the CLI's `error:` line must hold (empty on success).
    pub cli_says: &'static str,
    /// TCP connections the server must have seen.
    pub connections: usize,
    /// Requests the server must have read (0 when TLS refused it).
    pub requests: usize,
    /// Requests the server must have read from the CLI, which trusts other
    /// roots than the in-process clients.
    pub cli_requests: usize,
    /// The bound on the whole in-process call.
    pub max_elapsed: Duration,
    /// Starts the server(s).
    pub start: fn() -> Hostile,
}

impl Case {
    fn new(name: &'static str, what: &'static str, op: Op, start: fn() -> Hostile) -> Self {
        Self {
            name,
            what,
            op,
            timeout: ANSWER_TIMEOUT,
            async_expect: Expect::Success,
            blocking_expect: Expect::Success,
            reqwest_expect: Expect::Success,
            reqwest_differs: None,
            cli_exit: 0,
            cli_says: "",
            connections: 1,
            requests: 1,
            cli_requests: 1,
            max_elapsed: MAX_ELAPSED,
            start,
        }
    }

    /// The same expectation for every in-process client.
    fn expect(mut self, expect: Expect) -> Self {
        self.async_expect = expect;
        self.blocking_expect = expect;
        self.reqwest_expect = expect;
        self
    }

    fn cli(mut self, exit: i32, says: &'static str) -> Self {
        self.cli_exit = exit;
        self.cli_says = says;
        self
    }

    fn stalls(mut self) -> Self {
        self.timeout = STALL_TIMEOUT;
        self
    }

    fn attempts(mut self, n: usize) -> Self {
        self.connections = n;
        self.requests = n;
        self.cli_requests = n;
        self
    }

    fn refused_by_tls(mut self) -> Self {
        self.requests = 0;
        self.cli_requests = 0;
        self
    }

    fn cli_refused_by_tls(mut self) -> Self {
        self.cli_requests = 0;
        self
    }

    /// The retries this case makes (attempts after the first).
    pub fn retries(&self) -> usize {
        self.connections.saturating_sub(1)
    }

    /// The bound on a whole CLI run: the in-process bound, the CLI's default
    /// backoff for each retry, and process start-up.
    pub fn cli_budget(&self) -> Duration {
        let backoff: Duration = CLI_BACKOFF.iter().take(self.retries()).sum();
        self.max_elapsed + backoff + Duration::from_millis(700)
    }

    /// Starts this case's servers.
    pub fn start(&self) -> Hostile {
        (self.start)()
    }
}

/// Calls `$callback!` with every case's name, in table order: the one list
/// that the table ([`ALL`]) and each client's test module are generated from.
///
/// ```text
/// macro_rules! my_cases { ($($name:ident),* $(,)?) => { /* one test per $name */ } }
/// clerk_test_support::with_hostile_cases!(my_cases);
/// ```
#[macro_export]
macro_rules! with_hostile_cases {
    ($callback:ident) => {
        $callback! {
            silent,
            status_then_stall,
            slowloris,
            ten_thousand_headers,
            one_mib_header,
            endless_chunked,
            content_length_over_cap,
            content_length_shorter,
            content_length_longer,
            invalid_chunk_framing,
            reset_mid_body,
            empty_200,
            lone_brace_200,
            wrong_shape_200,
            bom_200,
            html_200,
            gzip_200,
            redirect_301,
            redirect_307,
            redirect_308,
            retry_after_one_day,
            retry_after_far_date,
            retry_after_negative,
            retry_after_garbage,
            storm_503_revoke,
            storm_503_create,
            storm_502_html_revoke,
            tls_wrong_name,
            tls_expired,
            tls_self_signed,
            tls_valid,
        }
    };
}

macro_rules! case_table {
    ($($name:ident),* $(,)?) => {
        /// Every case, in table order.
        pub const ALL: &[fn() -> Case] = &[$($name),*];
    };
}
crate::with_hostile_cases!(case_table);

/// Every case's name, in table order.
pub fn names() -> Vec<&'static str> {
    ALL.iter().map(|case| case().name).collect()
}

// ----- no answer, or an answer too slow ---------------------------------------

/// Accepts, reads the request, never answers.
pub fn silent() -> Case {
    Case::new("silent", "accepts and never answers", Op::Create, || {
        Hostile::plain(|conn, _| conn.hold())
    })
    .stalls()
    .expect(Expect::Timeout)
    .cli(3, "timed out")
}

/// Sends the status line, then nothing.
pub fn status_then_stall() -> Case {
    Case::new(
        "status_then_stall",
        "answers the status line, then stalls",
        Op::Create,
        || {
            Hostile::plain(|conn, _| {
                if conn.send(b"HTTP/1.1 200 OK\r\n") {
                    conn.hold();
                }
            })
        },
    )
    .stalls()
    .expect(Expect::Timeout)
    .cli(3, "timed out")
}

/// Trickles a response head one byte per 100 ms.
pub fn slowloris() -> Case {
    Case::new(
        "slowloris",
        "trickles the headers one byte per 100 ms",
        Op::Create,
        || {
            Hostile::plain(|conn, request| {
                let padding = "a".repeat(200);
                let bytes = head(
                    "200 OK",
                    &echo_and(
                        request,
                        &[("Content-Type", "application/json"), ("X-Pad", &padding)],
                    ),
                );
                conn.trickle(&bytes, Duration::from_millis(100));
            })
        },
    )
    .stalls()
    .expect(Expect::Timeout)
    .cli(3, "timed out")
}

// ----- heads too big ---------------------------------------------------------

/// 10,000 short headers (60 kB in all).
pub fn ten_thousand_headers() -> Case {
    Case::new(
        "ten_thousand_headers",
        "sends 10,000 headers",
        Op::Create,
        || {
            Hostile::plain(|conn, request| {
                let mut bytes = b"HTTP/1.1 200 OK\r\n".to_vec();
                for _ in 0..10_000 {
                    bytes.extend_from_slice(b"a: 1\r\n");
                }
                let body = sentinel::pending_token_json();
                bytes.extend_from_slice(&whole_tail(request, "application/json", body.as_bytes()));
                conn.send(&bytes);
            })
        },
    )
    .expect(Expect::Protocol)
    .cli(3, "broke the HTTP protocol")
}

/// One header whose value is 1 MiB.
pub fn one_mib_header() -> Case {
    Case::new("one_mib_header", "sends a 1 MiB header", Op::Create, || {
        Hostile::plain(|conn, request| {
            let mut bytes = b"HTTP/1.1 200 OK\r\nX-Huge: ".to_vec();
            bytes.resize(bytes.len() + 1024 * 1024, b'a');
            bytes.extend_from_slice(b"\r\n");
            let body = sentinel::pending_token_json();
            bytes.extend_from_slice(&whole_tail(request, "application/json", body.as_bytes()));
            conn.send(&bytes);
        })
    })
    .expect(Expect::Protocol)
    .cli(3, "broke the HTTP protocol")
}

/// The rest of a response after extra header lines: the echo, a content
/// type, a true length, the blank line and the body.
fn whole_tail(request: &Request, content_type: &str, body: &[u8]) -> Vec<u8> {
    let full = whole(
        "200 OK",
        &echo_and(request, &[("Content-Type", content_type)]),
        body,
    );
    // Drop the status line `whole` starts with.
    let at = full
        .windows(2)
        .position(|w| w == b"\r\n")
        .map_or(0, |i| i + 2);
    full[at..].to_vec()
}

// ----- bodies that lie --------------------------------------------------------

/// A chunked body that never ends.
pub fn endless_chunked() -> Case {
    Case::new(
        "endless_chunked",
        "sends an endless chunked body",
        Op::Create,
        || {
            Hostile::plain(|conn, request| {
                let bytes = head(
                    "200 OK",
                    &echo_and(
                        request,
                        &[
                            ("Content-Type", "application/json"),
                            ("Transfer-Encoding", "chunked"),
                        ],
                    ),
                );
                if !conn.send(&bytes) {
                    return;
                }
                let filler = sentinel::pending_token_json().repeat(64);
                let mut chunk = format!("{:x}\r\n", filler.len()).into_bytes();
                chunk.extend_from_slice(filler.as_bytes());
                chunk.extend_from_slice(b"\r\n");
                conn.endless(&chunk);
            })
        },
    )
    .expect(Expect::BodyTooLarge)
    .cli(3, "larger than the")
}

/// Declares 2 MiB (over the 1 MiB cap), then sends nothing: a client that
/// waited for the body would time out instead of refusing at once.
pub fn content_length_over_cap() -> Case {
    Case::new(
        "content_length_over_cap",
        "declares a Content-Length over the cap",
        Op::Create,
        || {
            Hostile::plain(|conn, request| {
                let length = (2 * BODY_CAP).to_string();
                let bytes = head(
                    "200 OK",
                    &echo_and(
                        request,
                        &[
                            ("Content-Type", "application/json"),
                            ("Content-Length", &length),
                        ],
                    ),
                );
                if conn.send(&bytes) {
                    conn.hold();
                }
            })
        },
    )
    .expect(Expect::BodyTooLarge)
    .cli(3, "larger than the")
}

/// `Content-Length: 40` before a whole token: the client must stop at 40.
pub fn content_length_shorter() -> Case {
    Case::new(
        "content_length_shorter",
        "Content-Length shorter than the body",
        Op::Create,
        || Hostile::plain(|conn, request| lying_length(conn, request, |len| len.min(40))),
    )
    .expect(Expect::Decode(200, "ends too early"))
    .cli(3, "did not decode")
}

/// `Content-Length` 100 more than the body, then a clean close.
pub fn content_length_longer() -> Case {
    Case::new(
        "content_length_longer",
        "Content-Length longer than the body, then close",
        Op::Create,
        || Hostile::plain(|conn, request| lying_length(conn, request, |len| len + 100)),
    )
    .expect(Expect::Io)
    .cli(3, "connection failed during the exchange")
}

fn lying_length(conn: &mut Conn, request: &Request, declare: fn(usize) -> usize) {
    let body = sentinel::pending_token_json();
    let length = declare(body.len()).to_string();
    let mut bytes = head(
        "200 OK",
        &echo_and(
            request,
            &[
                ("Content-Type", "application/json"),
                ("Content-Length", &length),
                ("Connection", "close"),
            ],
        ),
    );
    bytes.extend_from_slice(body.as_bytes());
    conn.send(&bytes);
}

/// A chunk size line that is not hexadecimal.
pub fn invalid_chunk_framing() -> Case {
    Case::new(
        "invalid_chunk_framing",
        "invalid chunk framing",
        Op::Create,
        || {
            Hostile::plain(|conn, request| {
                let body = sentinel::pending_token_json();
                let mut bytes = head(
                    "200 OK",
                    &echo_and(
                        request,
                        &[
                            ("Content-Type", "application/json"),
                            ("Transfer-Encoding", "chunked"),
                        ],
                    ),
                );
                bytes.extend_from_slice(format!("zz\r\n{body}\r\n0\r\n\r\n").as_bytes());
                conn.send(&bytes);
            })
        },
    )
    .expect(Expect::Protocol)
    .cli(3, "broke the HTTP protocol")
}

/// Half the declared body, a pause, then a TCP RST.
pub fn reset_mid_body() -> Case {
    Case::new(
        "reset_mid_body",
        "resets the connection mid-body (SO_LINGER 0)",
        Op::Create,
        || {
            Hostile::plain(|conn, request| {
                let body = sentinel::pending_token_json();
                let length = (body.len() * 2).to_string();
                let mut bytes = head(
                    "200 OK",
                    &echo_and(
                        request,
                        &[
                            ("Content-Type", "application/json"),
                            ("Content-Length", &length),
                        ],
                    ),
                );
                bytes.extend_from_slice(body.as_bytes());
                if conn.send(&bytes) && conn.pause(Duration::from_millis(100)) {
                    conn.reset();
                }
            })
        },
    )
    .expect(Expect::Io)
    .cli(3, "connection failed during the exchange")
}

// ----- 200, but not a token -------------------------------------------------

fn answer_200(content_type: &'static str, body: fn(&Request) -> Vec<u8>) -> Hostile {
    answer_with(content_type, None, body)
}

fn answer_with(
    content_type: &'static str,
    encoding: Option<&'static str>,
    body: fn(&Request) -> Vec<u8>,
) -> Hostile {
    Hostile::plain(move |conn, request| {
        let mut headers = echo_and(request, &[("Content-Type", content_type)]);
        if let Some(encoding) = encoding {
            headers.push(("Content-Encoding", encoding));
        }
        conn.send(&whole("200 OK", &headers, &body(request)));
    })
}

/// 200 with no body at all.
pub fn empty_200() -> Case {
    Case::new("empty_200", "200 with an empty body", Op::Create, || {
        answer_200("application/json", |_| Vec::new())
    })
    .expect(Expect::Unexpected(200, "empty body"))
    .cli(3, "empty body")
}

/// 200 with `{`.
pub fn lone_brace_200() -> Case {
    Case::new("lone_brace_200", "200 with `{`", Op::Create, || {
        answer_200("application/json", |_| b"{".to_vec())
    })
    .expect(Expect::Decode(200, "ends too early"))
    .cli(3, "did not decode")
}

/// 200 with an array holding the token instead of the token.
pub fn wrong_shape_200() -> Case {
    Case::new(
        "wrong_shape_200",
        "200 with JSON of the wrong shape",
        Op::Create,
        || {
            answer_200("application/json", |_| {
                format!("[{}]", sentinel::pending_token_json()).into_bytes()
            })
        },
    )
    .expect(Expect::Decode(200, "expected a JSON object"))
    .cli(3, "did not decode")
}

/// 200 with a UTF-8 byte order mark before a good token: accepted.
pub fn bom_200() -> Case {
    Case::new("bom_200", "200 with a UTF-8 BOM", Op::Create, || {
        answer_200("application/json", |_| {
            let mut body = b"\xEF\xBB\xBF".to_vec();
            body.extend_from_slice(sentinel::pending_token_json().as_bytes());
            body
        })
    })
    .expect(Expect::Success)
    .cli(0, "")
}

/// 200 with an HTML page that quotes the key and the token.
pub fn html_200() -> Case {
    Case::new(
        "html_200",
        "200 with Content-Type: text/html",
        Op::Create,
        || answer_200("text/html; charset=utf-8", html_page),
    )
    .expect(Expect::Unexpected(200, "without a JSON body"))
    .cli(3, "without a JSON body")
}

fn html_page(request: &Request) -> Vec<u8> {
    format!(
        "<html><head><title>Gateway</title></head><body><p>You sent {}</p><pre>{}</pre></body></html>",
        request.authorization,
        sentinel::pending_token_json()
    )
    .into_bytes()
}

/// 200 with `Content-Encoding: gzip` that nobody asked for (a real gzip
/// stream, stored blocks, so the token is readable inside it).
pub fn gzip_200() -> Case {
    Case::new(
        "gzip_200",
        "200 with a Content-Encoding: gzip body",
        Op::Create,
        || {
            answer_with("application/json", Some("gzip"), |_| {
                gzip_stored(sentinel::pending_token_json().as_bytes())
            })
        },
    )
    .expect(Expect::Unexpected(200, "content encoding"))
    .cli(3, "content encoding")
}

/// `data` as a gzip member made of one stored (uncompressed) deflate block.
pub fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let len = u16::try_from(data.len()).expect("one stored block holds 64 KiB");
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.push(1); // BFINAL, BTYPE = stored
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

// ----- redirects -------------------------------------------------------------

fn redirect(status: &'static str) -> Hostile {
    let bystander = Bystander::new();
    let target = format!("{}/v1/sign_in_tokens", bystander.origin());
    let server = Server::plain(move |conn, request| {
        let location = format!("{target}?authorization={}", request.authorization);
        let headers = echo_and(
            request,
            &[("Location", &location), ("Content-Type", "text/html")],
        );
        conn.send(&whole(status, &headers, &html_page(request)));
    });
    Hostile {
        server,
        bystander: Some(bystander),
        trust: None,
    }
}

/// 301 to another host.
pub fn redirect_301() -> Case {
    Case::new("redirect_301", "301 to another host", Op::Create, || {
        redirect("301 Moved Permanently")
    })
    .expect(Expect::Unexpected(301, "redirect"))
    .cli(3, "redirect")
}

/// 307 to another host.
pub fn redirect_307() -> Case {
    Case::new("redirect_307", "307 to another host", Op::Create, || {
        redirect("307 Temporary Redirect")
    })
    .expect(Expect::Unexpected(307, "redirect"))
    .cli(3, "redirect")
}

/// 308 to another host, on the idempotent call.
pub fn redirect_308() -> Case {
    Case::new("redirect_308", "308 to another host", Op::Revoke, || {
        redirect("308 Permanent Redirect")
    })
    .expect(Expect::Unexpected(308, "redirect"))
    .cli(3, "redirect")
}

// ----- rate limits and storms -----------------------------------------------

fn clerk_error(
    status: &'static str,
    code: &'static str,
    retry_after: Option<&'static str>,
) -> Hostile {
    Hostile::plain(move |conn, request| {
        let mut headers = echo_and(request, &[("Content-Type", "application/json")]);
        if let Some(value) = retry_after {
            headers.push(("Retry-After", value));
        }
        let body = sentinel::clerk_error_json(code, &request.authorization);
        conn.send(&whole(status, &headers, body.as_bytes()));
    })
}

/// 429 asking to come back in a day: the client fails at once.
pub fn retry_after_one_day() -> Case {
    Case::new(
        "retry_after_one_day",
        "429 with Retry-After: 86400",
        Op::Create,
        || clerk_error("429 Too Many Requests", "too_many_requests", Some("86400")),
    )
    .expect(Expect::Api(429, "too_many_requests"))
    .cli(1, "429")
}

/// 429 asking to come back in the year 9999: fails at once too.
pub fn retry_after_far_date() -> Case {
    Case::new(
        "retry_after_far_date",
        "429 with Retry-After: an HTTP-date in 9999",
        Op::Create,
        || {
            clerk_error(
                "429 Too Many Requests",
                "too_many_requests",
                Some("Fri, 31 Dec 9999 23:59:59 GMT"),
            )
        },
    )
    .expect(Expect::Api(429, "too_many_requests"))
    .cli(1, "429")
}

/// 429 with a negative Retry-After: ignored, so backoff applies and the
/// retries run out.
pub fn retry_after_negative() -> Case {
    Case::new(
        "retry_after_negative",
        "429 with Retry-After: -5 (falls back to backoff)",
        Op::Create,
        || clerk_error("429 Too Many Requests", "too_many_requests", Some("-5")),
    )
    .expect(Expect::Api(429, "too_many_requests"))
    .cli(1, "429")
    .attempts(3)
}

/// 429 with a Retry-After that is neither a number nor a date.
pub fn retry_after_garbage() -> Case {
    Case::new(
        "retry_after_garbage",
        "429 with Retry-After: soon (falls back to backoff)",
        Op::Create,
        || {
            clerk_error(
                "429 Too Many Requests",
                "too_many_requests",
                Some("soon, maybe"),
            )
        },
    )
    .expect(Expect::Api(429, "too_many_requests"))
    .cli(1, "429")
    .attempts(3)
}

/// Nothing but 503s, on revoke: 1 attempt + the policy's 2 retries.
pub fn storm_503_revoke() -> Case {
    Case::new(
        "storm_503_revoke",
        "a 503 storm on revoke (retried up to the limit)",
        Op::Revoke,
        || clerk_error("503 Service Unavailable", "service_unavailable", None),
    )
    .expect(Expect::Api(503, "service_unavailable"))
    .cli(1, "503")
    .attempts(3)
}

/// Nothing but 503s, on create: it may have run, so it is sent once.
pub fn storm_503_create() -> Case {
    Case::new(
        "storm_503_create",
        "a 503 storm on create (never resent)",
        Op::Create,
        || clerk_error("503 Service Unavailable", "service_unavailable", None),
    )
    .expect(Expect::Api(503, "service_unavailable"))
    .cli(1, "503")
}

/// A proxy's HTML 502 over and over, on revoke.
pub fn storm_502_html_revoke() -> Case {
    Case::new(
        "storm_502_html_revoke",
        "a storm of HTML 502s from a proxy on revoke",
        Op::Revoke,
        || {
            Hostile::plain(|conn, request| {
                let headers = echo_and(request, &[("Content-Type", "text/html")]);
                conn.send(&whole("502 Bad Gateway", &headers, &html_page(request)));
            })
        },
    )
    .expect(Expect::Unexpected(502, "without a Clerk error body"))
    .cli(3, "502")
    .attempts(3)
}

// ----- TLS -------------------------------------------------------------------

/// Answers a create with the pending token, a revoke with the revoked one.
pub fn answer_token(conn: &mut Conn, request: &Request) {
    let body = if request.target.ends_with("/revoke") {
        sentinel::revoked_token_json()
    } else {
        sentinel::pending_token_json()
    };
    let headers = [("Content-Type", "application/json")];
    conn.send(&whole("200 OK", &headers, body.as_bytes()));
}

fn tls(leaf: certs::Leaf, trust: CertificateDer<'static>) -> Hostile {
    Hostile {
        server: Server::tls(leaf.server_config(), answer_token),
        bystander: None,
        trust: Some(trust),
    }
}

/// A certificate from a trusted CA, for another name; on revoke, which
/// would be retried if the failure were not permanent.
pub fn tls_wrong_name() -> Case {
    Case::new(
        "tls_wrong_name",
        "TLS: a certificate for another name",
        Op::Revoke,
        || {
            let ca = Ca::new("hostile test CA");
            let leaf = ca.leaf(&["wrong.example.test"]);
            tls(leaf, ca.cert.clone())
        },
    )
    .expect(Expect::Tls(Cert::WrongName))
    .cli(3, "TLS")
    .refused_by_tls()
}

/// A certificate from a trusted CA for the right name, expired in 2001.
pub fn tls_expired() -> Case {
    Case::new(
        "tls_expired",
        "TLS: an expired certificate",
        Op::Revoke,
        || {
            let ca = Ca::new("hostile test CA");
            let leaf = ca.expired_leaf(&[HOST]);
            tls(leaf, ca.cert.clone())
        },
    )
    .expect(Expect::Tls(Cert::Expired))
    .cli(3, "TLS")
    .refused_by_tls()
}

/// A self-signed certificate for the right name; the client trusts an
/// unrelated CA.
pub fn tls_self_signed() -> Case {
    Case::new(
        "tls_self_signed",
        "TLS: a self-signed certificate",
        Op::Revoke,
        || {
            let unrelated = Ca::new("unrelated test CA");
            tls(certs::self_signed(&[HOST]), unrelated.cert.clone())
        },
    )
    .expect(Expect::Tls(Cert::UnknownIssuer))
    .cli(3, "TLS")
    .refused_by_tls()
}

/// The control: a good certificate from the CA the in-process clients
/// trust. The CLI trusts only Mozilla's roots, so it refuses this one too.
pub fn tls_valid() -> Case {
    Case::new(
        "tls_valid",
        "TLS: a valid certificate from the trusted test CA (control)",
        Op::Create,
        || {
            let ca = Ca::new("hostile test CA");
            let leaf = ca.leaf(&[HOST]);
            tls(leaf, ca.cert.clone())
        },
    )
    .expect(Expect::Success)
    .cli(3, "TLS")
    .cli_refused_by_tls()
}
