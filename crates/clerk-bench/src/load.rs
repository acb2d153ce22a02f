//! A closed-loop load generator: `in_flight` workers each send one request,
//! wait for the whole response, record its latency and send the next, until
//! a fixed deadline. Throughput is completed requests over the round's wall
//! time; latency percentiles are taken over every request of every round.
//!
//! The sides compared in the end-to-end bench:
//!
//! - [`ClerkSide`]: clerk-core's async [`Client`] over clerk-hyper's
//!   [`HyperTransport`] (build the request, send it, read the capped body,
//!   parse the SignInToken), with default timeouts and [`TokioTimer`].
//! - [`TransportSide`]: clerk-hyper's transport alone, sending the same
//!   request and not parsing the answer.
//! - [`RawSide`]: hyper-util's legacy pooled client, configured the same way
//!   (TCP_NODELAY, unlimited idle pool, HTTP/2 only for h2c), sending the
//!   identical request (same method, URI, headers, body, cloned from the one
//!   clerk-core builds) and collecting the response body, nothing more.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clerk_core::{Client, CreateSignInTokenRequest, SecretKey};
use clerk_hyper::{HyperTransport, TokioTimer};
use http::{HeaderMap, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as LegacyClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer as HyperTokioTimer};

use crate::fixtures;

/// HTTP/1.1 over a pool of connections, or HTTP/2 by prior knowledge (h2c)
/// over one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// HTTP/1.1, pooled: one connection per request in flight.
    Http1,
    /// HTTP/2 cleartext by prior knowledge: every request on one connection.
    H2c,
}

impl Protocol {
    /// `http1` or `h2c`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http1 => "http1",
            Self::H2c => "h2c",
        }
    }
}

/// On-CPU time of one thread, from `/proc/.../schedstat` (nanoseconds,
/// Linux only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTime {
    /// Time spent running (user and kernel, including the loopback network
    /// stack's work done on the thread's behalf).
    pub running_ns: u64,
}

impl CpuTime {
    fn read(path: &str) -> Option<Self> {
        let text = std::fs::read_to_string(path).ok()?;
        let running_ns = text.split_whitespace().next()?.parse().ok()?;
        Some(Self { running_ns })
    }

    /// The calling thread's.
    pub fn this_thread() -> Option<Self> {
        Self::read("/proc/thread-self/schedstat")
    }

    /// The main thread of process `pid` (a server's runtime thread).
    pub fn main_thread_of(pid: u32) -> Option<Self> {
        Self::read(&format!("/proc/{pid}/task/{pid}/schedstat"))
    }

    fn since(self, earlier: Self) -> Self {
        Self {
            running_ns: self.running_ns.saturating_sub(earlier.running_ns),
        }
    }
}

/// Busy time of the whole machine, all cores, from the first line of
/// `/proc/stat` (user, nice, system, irq, softirq and steal ticks, taken as
/// the usual 100 per second).
pub fn machine_busy_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().next()?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal
    let busy: u64 = [0, 1, 2, 5, 6, 7]
        .iter()
        .map(|&i| ticks.get(i).copied().unwrap_or(0))
        .sum();
    Some(busy * 10_000_000)
}

/// What one round measured.
#[derive(Debug, Clone, Default)]
pub struct Round {
    /// Requests that completed successfully.
    pub completed: u64,
    /// Requests that failed (any error or non-200).
    pub errors: u64,
    /// From the first request to the last response.
    pub elapsed: Duration,
    /// Latency of every successful request, in nanoseconds.
    pub latencies_ns: Vec<u64>,
    /// CPU time of the client's thread (the whole client: a current-thread
    /// runtime) during the round.
    pub client_cpu: CpuTime,
    /// CPU time of the server's runtime thread during the round.
    pub server_cpu: CpuTime,
    /// CPU time the rest of the machine (other processes, kernel threads)
    /// used during the round, all cores together.
    pub others_ns: u64,
}

impl Round {
    /// CPU the rest of the machine used during the round, as a share of one
    /// core.
    pub fn others_share(&self) -> f64 {
        self.others_ns as f64 / self.elapsed.as_nanos().max(1) as f64
    }

    /// Successful requests per second.
    pub fn rps(&self) -> f64 {
        self.completed as f64 / self.elapsed.as_secs_f64()
    }
}

/// Figures over several rounds of one side.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    /// Median of the rounds' requests per second.
    pub rps: f64,
    /// Median latency over every request of every round.
    pub p50: Duration,
    /// 99th percentile latency over every request of every round.
    pub p99: Duration,
    /// Requests counted.
    pub requests: u64,
    /// Failed requests.
    pub errors: u64,
    /// Client CPU time per request: noise from other processes barely moves
    /// it, unlike req/s.
    pub client_cpu_per_request: Duration,
    /// Server CPU time per request.
    pub server_cpu_per_request: Duration,
    /// CPU the rest of the machine used while the rounds ran, as a share of
    /// one core: other processes, kernel threads. A few percent on a quiet
    /// machine; tens of percent mean the figures were disturbed.
    pub others: f64,
    /// Rounds thrown away and run again because other processes used the
    /// machine meanwhile.
    pub redone: usize,
}

/// Summarises `rounds`.
pub fn summarize(rounds: &[Round]) -> Summary {
    let mut rps: Vec<f64> = rounds.iter().map(Round::rps).collect();
    rps.sort_by(f64::total_cmp);
    let mut all: Vec<u64> = rounds
        .iter()
        .flat_map(|r| r.latencies_ns.iter().copied())
        .collect();
    all.sort_unstable();
    let pct = |p: usize| {
        if all.is_empty() {
            Duration::ZERO
        } else {
            Duration::from_nanos(all[(all.len() * p / 100).min(all.len() - 1)])
        }
    };
    let completed: u64 = rounds.iter().map(|r| r.completed).sum::<u64>().max(1);
    let wall_ns: u64 = rounds
        .iter()
        .map(|r| r.elapsed.as_nanos() as u64)
        .sum::<u64>()
        .max(1);
    let client: u64 = rounds.iter().map(|r| r.client_cpu.running_ns).sum();
    let server: u64 = rounds.iter().map(|r| r.server_cpu.running_ns).sum();
    let others: u64 = rounds.iter().map(|r| r.others_ns).sum();
    Summary {
        client_cpu_per_request: Duration::from_nanos(client / completed),
        server_cpu_per_request: Duration::from_nanos(server / completed),
        others: others as f64 / wall_ns as f64,
        redone: 0,
        rps: if rps.is_empty() {
            0.0
        } else {
            rps[rps.len() / 2]
        },
        p50: pct(50),
        p99: pct(99),
        requests: all.len() as u64,
        errors: rounds.iter().map(|r| r.errors).sum(),
    }
}

/// Something that sends one request and says whether it succeeded.
pub trait Side: Send + Sync + 'static {
    /// One request, start to finish.
    fn call(&self) -> impl Future<Output = bool> + Send;
}

/// Runs `in_flight` closed-loop workers against `side` for `duration`. Must
/// run inside a current-thread tokio runtime (the client's CPU time is read
/// from the calling thread). `server` is the server process's id, to read its
/// CPU time too.
pub async fn round<S: Side>(
    side: &Arc<S>,
    in_flight: usize,
    duration: Duration,
    server: Option<u32>,
) -> Round {
    let client_before = CpuTime::this_thread();
    let server_before = server.and_then(CpuTime::main_thread_of);
    let busy_before = machine_busy_ns();
    let start = Instant::now();
    let deadline = start + duration;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..in_flight {
        let side = Arc::clone(side);
        workers.spawn(async move {
            let mut latencies = Vec::with_capacity(4096);
            let mut errors = 0u64;
            loop {
                let sent = Instant::now();
                if sent >= deadline {
                    break;
                }
                if side.call().await {
                    latencies.push(sent.elapsed().as_nanos() as u64);
                } else {
                    errors += 1;
                }
            }
            (latencies, errors)
        });
    }
    let mut out = Round::default();
    while let Some(joined) = workers.join_next().await {
        let (latencies, errors) = joined.expect("a load worker panicked");
        out.completed += latencies.len() as u64;
        out.errors += errors;
        out.latencies_ns.extend(latencies);
    }
    out.elapsed = start.elapsed();
    if let (Some(before), Some(after)) = (client_before, CpuTime::this_thread()) {
        out.client_cpu = after.since(before);
    }
    if let (Some(before), Some(after)) = (server_before, server.and_then(CpuTime::main_thread_of)) {
        out.server_cpu = after.since(before);
    }
    if let (Some(before), Some(after)) = (busy_before, machine_busy_ns()) {
        out.others_ns = after
            .saturating_sub(before)
            .saturating_sub(out.client_cpu.running_ns + out.server_cpu.running_ns);
    }
    out
}

/// clerk-core's client over clerk-hyper, creating a sign-in token.
#[derive(Debug)]
pub struct ClerkSide {
    client: Client<HyperTransport, TokioTimer>,
    input: CreateSignInTokenRequest,
}

impl ClerkSide {
    /// A client for `base_url` (a loopback `http://` server).
    pub fn new(base_url: &str, protocol: Protocol) -> Self {
        let transport = HyperTransport::builder()
            .http2_prior_knowledge(protocol == Protocol::H2c)
            .build()
            .expect("clerk-hyper transport");
        let client = Client::builder(SecretKey::new(fixtures::SECRET_KEY).expect("key"))
            .base_url(base_url)
            .timer(TokioTimer)
            .build(transport)
            .expect("clerk client");
        Self {
            client,
            input: fixtures::create_input(),
        }
    }
}

impl Side for ClerkSide {
    async fn call(&self) -> bool {
        self.client.create_sign_in_token(&self.input).await.is_ok()
    }
}

/// clerk-hyper's [`HyperTransport`] alone, sending the request clerk-core
/// builds (cloned from a template, not rebuilt) and returning the collected
/// response, which is not parsed: the transport's share of [`ClerkSide`].
#[derive(Debug)]
pub struct TransportSide {
    transport: HyperTransport,
    template: clerk_core::HttpRequest,
}

impl TransportSide {
    /// A transport for `base_url`, configured as [`ClerkSide`]'s.
    pub fn new(base_url: &str, protocol: Protocol) -> Self {
        let transport = HyperTransport::builder()
            .http2_prior_knowledge(protocol == Protocol::H2c)
            .build()
            .expect("clerk-hyper transport");
        let template = clerk_core::request::create_sign_in_token(
            &fixtures::config_for(base_url),
            &fixtures::create_input(),
        )
        .expect("create request");
        Self {
            transport,
            template,
        }
    }
}

impl Side for TransportSide {
    async fn call(&self) -> bool {
        use clerk_core::HttpTransport;
        let mut request = http::Request::new(self.template.body().clone());
        *request.method_mut() = self.template.method().clone();
        *request.uri_mut() = self.template.uri().clone();
        *request.headers_mut() = self.template.headers().clone();
        match self.transport.send(request).await {
            Ok(response) => {
                response.status() == http::StatusCode::OK && !response.body().is_empty()
            }
            Err(_) => false,
        }
    }
}

/// hyper-util's legacy client sending a fixed request.
#[derive(Debug)]
pub struct RawSide {
    client: LegacyClient<HttpConnector, Full<Bytes>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

impl RawSide {
    /// A client for `base_url` sending exactly the create request clerk-core
    /// builds for that base URL.
    pub fn new(base_url: &str, protocol: Protocol) -> Self {
        let template = clerk_core::request::create_sign_in_token(
            &fixtures::config_for(base_url),
            &fixtures::create_input(),
        )
        .expect("create request");
        let (parts, body) = template.into_parts();
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let mut builder = LegacyClient::builder(TokioExecutor::new());
        builder
            .timer(HyperTokioTimer::new())
            .pool_timer(HyperTokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(usize::MAX)
            .http2_only(protocol == Protocol::H2c);
        Self {
            client: builder.build(connector),
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body,
        }
    }

    fn request(&self) -> Request<Full<Bytes>> {
        let mut request = Request::new(Full::new(self.body.clone()));
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }
}

impl Side for RawSide {
    async fn call(&self) -> bool {
        let Ok(response) = self.client.request(self.request()).await else {
            return false;
        };
        let ok = response.status() == http::StatusCode::OK;
        match response.into_body().collect().await {
            Ok(body) => ok && !body.to_bytes().is_empty(),
            Err(_) => false,
        }
    }
}

/// Any of the sides, so that a run can rotate through several of them.
// Made once per case and kept behind an `Arc`: the size of a variant does not
// matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum AnySide {
    /// [`RawSide`].
    Raw(RawSide),
    /// [`TransportSide`].
    Transport(TransportSide),
    /// [`ClerkSide`].
    Clerk(ClerkSide),
}

impl Side for AnySide {
    async fn call(&self) -> bool {
        match self {
            Self::Raw(s) => s.call().await,
            Self::Transport(s) => s.call().await,
            Self::Clerk(s) => s.call().await,
        }
    }
}

/// How [`compare`] runs: round length and count, warm-up, and how it deals
/// with a machine shared with other work.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Length of a measured round.
    pub length: Duration,
    /// Measured rounds per side.
    pub rounds: usize,
    /// Length of the one warm-up round per side.
    pub warm_up: Duration,
    /// A round during which the rest of the machine used more than this
    /// share of a core ([`Round::others_share`]) is run again…
    pub max_others: f64,
    /// …at most this many times; the last attempt is kept whatever it saw.
    pub retries: usize,
}

/// Warms every side up (one short round each, which also opens the
/// connections), then runs the measured rounds, rotating which side goes
/// first in each round so that none always runs on a warmer or colder
/// machine. A round disturbed by other processes is run again (see
/// [`Schedule`]). Returns one summary per side, in `sides`' order.
/// `servers[i]` is the process id of the server `sides[i]` talks to.
pub async fn compare(
    sides: &[Arc<AnySide>],
    servers: &[u32],
    in_flight: usize,
    schedule: Schedule,
) -> Vec<Summary> {
    for side in sides {
        round(side, in_flight, schedule.warm_up, None).await;
    }
    let mut results: Vec<Vec<Round>> = vec![Vec::new(); sides.len()];
    let mut redone = vec![0usize; sides.len()];
    for r in 0..schedule.rounds {
        for k in 0..sides.len() {
            let i = (r + k) % sides.len();
            let server = servers.get(i).copied();
            let mut attempt = 0;
            loop {
                let got = round(&sides[i], in_flight, schedule.length, server).await;
                if got.others_share() <= schedule.max_others || attempt >= schedule.retries {
                    results[i].push(got);
                    break;
                }
                attempt += 1;
                redone[i] += 1;
            }
        }
    }
    results
        .iter()
        .zip(redone)
        .map(|(r, redone)| Summary {
            redone,
            ..summarize(r)
        })
        .collect()
}
