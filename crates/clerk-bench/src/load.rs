//! A closed-loop load generator and the paired-round comparison behind the
//! end-to-end bench.
//!
//! A *round* runs one side for a fixed time: `in_flight` workers each send
//! one request, wait for the whole response, record its latency and send the
//! next. A *block* runs every side of a comparison twice, in mirrored order
//! (A B C C B A: "ABBA"), so a drift of the machine's speed during the block
//! lands on every side alike; each side's figures are then compared with
//! the baseline's (the first side) *within the block*. A *run* is a few
//! blocks over freshly built clients (new pools, new connections); its
//! paired ratio is the median of its blocks' ratios. The bench reports the
//! median and the range of the runs' ratios.
//!
//! The sides compared in the end-to-end bench, each for create or revoke:
//!
//! - [`ClerkSide`]: clerk-core's async [`Client`] over clerk-hyper's
//!   [`HyperTransport`] (build the request, send it, read the capped body,
//!   parse the SignInToken), with default timeouts and [`TokioTimer`].
//! - [`TransportSide`]: clerk-hyper's transport alone, sending the request
//!   clerk-core builds (cloned from a template) and not parsing the answer.
//! - [`RawSide`]: hyper-util's legacy pooled client, configured the same way
//!   (TCP_NODELAY, unlimited idle pool, HTTP/2 only for h2c), sending the
//!   identical request (same method, URI, headers, body, cloned from the one
//!   clerk-core builds) and collecting the response body, nothing more.
//! - [`BlockingSide`]s: the same three through clerk-core's
//!   [`BlockingClient`](clerk_core::BlockingClient), each call driven by
//!   `block_on` of a current-thread runtime the side owns.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clerk_core::{
    BlockingHttpTransport, Client, CreateSignInTokenRequest, HttpTransport, SecretKey,
};
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

/// Which operation every request of a side performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `POST /sign_in_tokens` with `{"user_id": ...}`.
    Create,
    /// `POST /sign_in_tokens/{id}/revoke`.
    Revoke,
}

impl Op {
    /// `create` or `revoke`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Revoke => "revoke",
        }
    }

    /// The request clerk-core builds for this operation against `base_url`.
    pub fn template(self, base_url: &str) -> clerk_core::HttpRequest {
        let config = fixtures::config_for(base_url);
        match self {
            Self::Create => {
                clerk_core::request::create_sign_in_token(&config, &fixtures::create_input())
            }
            Self::Revoke => clerk_core::request::revoke_sign_in_token(&config, fixtures::TOKEN_ID),
        }
        .expect("the bench request is valid")
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

    fn measure(server: Option<u32>, body: impl FnOnce(&mut Self)) -> Self {
        let client_before = CpuTime::this_thread();
        let server_before = server.and_then(CpuTime::main_thread_of);
        let busy_before = machine_busy_ns();
        let start = Instant::now();
        let mut out = Self::default();
        body(&mut out);
        out.elapsed = start.elapsed();
        if let (Some(before), Some(after)) = (client_before, CpuTime::this_thread()) {
            out.client_cpu = after.since(before);
        }
        if let (Some(before), Some(after)) =
            (server_before, server.and_then(CpuTime::main_thread_of))
        {
            out.server_cpu = after.since(before);
        }
        if let (Some(before), Some(after)) = (busy_before, machine_busy_ns()) {
            out.others_ns = after
                .saturating_sub(before)
                .saturating_sub(out.client_cpu.running_ns + out.server_cpu.running_ns);
        }
        out
    }
}

/// Something that sends one request and says whether it succeeded.
pub trait Side: Send + Sync + 'static {
    /// One request, start to finish.
    fn call(&self) -> impl Future<Output = bool> + Send;
}

/// Something that sends one request, blocking, and says whether it
/// succeeded.
pub trait BlockingSide {
    /// One request, start to finish.
    fn call(&self) -> bool;
}

/// Runs `in_flight` closed-loop workers against `side` for `duration`, on
/// the runtime `runtime` (a current-thread runtime: the client's CPU time is
/// read from the calling thread, which runs everything). `server` is the
/// server process's id, to read its CPU time too.
pub fn round<S: Side>(
    runtime: &tokio::runtime::Runtime,
    side: &Arc<S>,
    in_flight: usize,
    duration: Duration,
    server: Option<u32>,
) -> Round {
    Round::measure(server, |out| {
        runtime.block_on(async {
            let deadline = Instant::now() + duration;
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
            while let Some(joined) = workers.join_next().await {
                let (latencies, errors) = joined.expect("a load worker panicked");
                out.completed += latencies.len() as u64;
                out.errors += errors;
                out.latencies_ns.extend(latencies);
            }
        });
    })
}

/// One request at a time through `side` for `duration`, on the calling
/// thread. `server` is the server process's id, to read its CPU time too.
pub fn blocking_round<S: BlockingSide + ?Sized>(
    side: &S,
    duration: Duration,
    server: Option<u32>,
) -> Round {
    Round::measure(server, |out| {
        let deadline = Instant::now() + duration;
        loop {
            let sent = Instant::now();
            if sent >= deadline {
                break;
            }
            if side.call() {
                out.latencies_ns.push(sent.elapsed().as_nanos() as u64);
                out.completed += 1;
            } else {
                out.errors += 1;
            }
        }
    })
}

fn http_client(protocol: Protocol) -> LegacyClient<HttpConnector, Full<Bytes>> {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let mut builder = LegacyClient::builder(TokioExecutor::new());
    builder
        .timer(HyperTokioTimer::new())
        .pool_timer(HyperTokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(usize::MAX)
        .http2_only(protocol == Protocol::H2c);
    builder.build(connector)
}

fn clerk_transport(protocol: Protocol) -> HyperTransport {
    HyperTransport::builder()
        .http2_prior_knowledge(protocol == Protocol::H2c)
        .build()
        .expect("clerk-hyper transport")
}

fn key() -> SecretKey {
    SecretKey::new(fixtures::SECRET_KEY).expect("the bench key is well-formed")
}

/// clerk-core's client over clerk-hyper, creating or revoking a sign-in
/// token.
#[derive(Debug)]
pub struct ClerkSide {
    client: Client<HyperTransport, TokioTimer>,
    input: CreateSignInTokenRequest,
    op: Op,
}

impl ClerkSide {
    /// A client for `base_url` (a loopback `http://` server) that creates.
    pub fn new(base_url: &str, protocol: Protocol) -> Self {
        Self::with_op(base_url, protocol, Op::Create)
    }

    /// A client for `base_url` performing `op`.
    pub fn with_op(base_url: &str, protocol: Protocol, op: Op) -> Self {
        let client = Client::builder(key())
            .base_url(base_url)
            .timer(TokioTimer)
            .build(clerk_transport(protocol))
            .expect("clerk client");
        Self {
            client,
            input: fixtures::create_input(),
            op,
        }
    }
}

impl Side for ClerkSide {
    async fn call(&self) -> bool {
        match self.op {
            Op::Create => self.client.create_sign_in_token(&self.input).await.is_ok(),
            Op::Revoke => self
                .client
                .revoke_sign_in_token(fixtures::TOKEN_ID)
                .await
                .is_ok(),
        }
    }
}

/// A request template: the parts of the request clerk-core builds, cloned
/// for every call as a raw client would.
#[derive(Debug, Clone)]
struct Template {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

impl Template {
    fn new(base_url: &str, op: Op) -> Self {
        let (parts, body) = op.template(base_url).into_parts();
        Self {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body,
        }
    }

    fn request<B>(&self, body: B) -> Request<B> {
        let mut request = Request::new(body);
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }
}

/// clerk-hyper's [`HyperTransport`] alone, sending the request clerk-core
/// builds (cloned from a template, not rebuilt) and returning the collected
/// response, which is not parsed: the transport's share of [`ClerkSide`].
#[derive(Debug)]
pub struct TransportSide {
    transport: HyperTransport,
    template: Template,
}

impl TransportSide {
    /// A transport for `base_url`, configured as [`ClerkSide`]'s, creating.
    pub fn new(base_url: &str, protocol: Protocol) -> Self {
        Self::with_op(base_url, protocol, Op::Create)
    }

    /// The same, sending `op`'s request.
    pub fn with_op(base_url: &str, protocol: Protocol, op: Op) -> Self {
        Self {
            transport: clerk_transport(protocol),
            template: Template::new(base_url, op),
        }
    }

    /// clerk-hyper's wrapper (deadline, body cap, cleartext rule) around the
    /// very connector [`RawSide`] uses (`HttpConnector`, no TLS or proxy
    /// layer in the connection's I/O type), pooled with the same settings:
    /// what the wrapper alone adds.
    pub fn bare(base_url: &str, protocol: Protocol, op: Op) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Self {
            transport: HyperTransport::builder()
                .http2_prior_knowledge(protocol == Protocol::H2c)
                .build_with_connector(connector),
            template: Template::new(base_url, op),
        }
    }
}

impl Side for TransportSide {
    async fn call(&self) -> bool {
        let request = self.template.request(self.template.body.clone());
        match HttpTransport::send(&self.transport, request).await {
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
    template: Template,
}

impl RawSide {
    /// A client for `base_url` sending exactly the create request clerk-core
    /// builds for that base URL.
    pub fn new(base_url: &str, protocol: Protocol) -> Self {
        Self::with_op(base_url, protocol, Op::Create)
    }

    /// The same, sending `op`'s request.
    pub fn with_op(base_url: &str, protocol: Protocol, op: Op) -> Self {
        Self {
            client: http_client(protocol),
            template: Template::new(base_url, op),
        }
    }

    async fn exchange(&self) -> bool {
        let request = self.template.request(Full::new(self.template.body.clone()));
        let Ok(response) = self.client.request(request).await else {
            return false;
        };
        let ok = response.status() == http::StatusCode::OK;
        match response.into_body().collect().await {
            Ok(body) => ok && !body.to_bytes().is_empty(),
            Err(_) => false,
        }
    }
}

impl Side for RawSide {
    async fn call(&self) -> bool {
        self.exchange().await
    }
}

/// hyper-util's legacy client doing the per-call work every caller of the
/// API must do, and nothing more: serialize the create body for its user id
/// (or format the revoke path for its token id), send it, collect the body
/// and parse it into a plain derived struct ([`crate::baseline`]'s
/// `HandBuilt` and `parse_token`). No deadline, body cap, cleartext rule,
/// status or content-type checks, typed errors or retries: the floor under
/// any client that hands its caller a parsed token.
#[derive(Debug)]
pub struct RawTypedSide {
    client: LegacyClient<HttpConnector, Full<Bytes>>,
    hand: crate::baseline::HandBuilt,
    op: Op,
}

impl RawTypedSide {
    /// A client for `base_url` performing `op`.
    pub fn with_op(base_url: &str, protocol: Protocol, op: Op) -> Self {
        Self {
            client: http_client(protocol),
            hand: crate::baseline::HandBuilt::new(&fixtures::config_for(base_url)),
            op,
        }
    }
}

impl Side for RawTypedSide {
    async fn call(&self) -> bool {
        let request = match self.op {
            Op::Create => self.hand.create(fixtures::USER_ID),
            Op::Revoke => self.hand.revoke(fixtures::TOKEN_ID),
        }
        .map(Full::new);
        let Ok(response) = self.client.request(request).await else {
            return false;
        };
        if response.status() != http::StatusCode::OK {
            return false;
        }
        match response.into_body().collect().await {
            Ok(body) => {
                serde_json::from_slice::<crate::baseline::PlainSignInToken>(&body.to_bytes())
                    .is_ok()
            }
            Err(_) => false,
        }
    }
}

/// Any of the sides, so that a run can rotate through several of them.
// Made once per run and kept behind an `Arc`: the size of a variant does not
// matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum AnySide {
    /// [`RawSide`].
    Raw(RawSide),
    /// [`RawTypedSide`].
    RawTyped(RawTypedSide),
    /// [`TransportSide`].
    Transport(TransportSide),
    /// [`ClerkSide`].
    Clerk(ClerkSide),
}

impl Side for AnySide {
    async fn call(&self) -> bool {
        match self {
            Self::Raw(s) => s.call().await,
            Self::RawTyped(s) => s.call().await,
            Self::Transport(s) => s.call().await,
            Self::Clerk(s) => s.call().await,
        }
    }
}

/// A current-thread runtime for a blocking side's `block_on`.
fn own_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime")
}

/// [`RawSide`], blocking: `block_on` of its own current-thread runtime per
/// call.
#[derive(Debug)]
pub struct BlockingRaw {
    runtime: tokio::runtime::Runtime,
    side: RawSide,
}

impl BlockingRaw {
    /// A blocking raw client for `base_url` performing `op`.
    pub fn new(base_url: &str, protocol: Protocol, op: Op) -> Self {
        Self {
            runtime: own_runtime(),
            side: RawSide::with_op(base_url, protocol, op),
        }
    }
}

impl BlockingSide for BlockingRaw {
    fn call(&self) -> bool {
        self.runtime.block_on(self.side.exchange())
    }
}

/// A [`BlockingHttpTransport`] over [`HyperTransport`]: `block_on` of a
/// current-thread runtime it owns, as a user of the blocking client on top
/// of clerk-hyper would write it.
#[derive(Debug)]
pub struct BlockOnTransport {
    runtime: tokio::runtime::Runtime,
    transport: HyperTransport,
}

impl BlockOnTransport {
    /// Over a transport configured as [`ClerkSide`]'s.
    pub fn new(protocol: Protocol) -> Self {
        Self {
            runtime: own_runtime(),
            transport: clerk_transport(protocol),
        }
    }
}

impl BlockingHttpTransport for BlockOnTransport {
    type Error = clerk_hyper::Error;

    fn send(
        &self,
        request: clerk_core::HttpRequest,
    ) -> Result<clerk_core::HttpResponse, Self::Error> {
        self.runtime
            .block_on(HttpTransport::send(&self.transport, request))
    }
}

/// [`TransportSide`], blocking: [`BlockOnTransport`] alone, sending the
/// template request.
#[derive(Debug)]
pub struct BlockingTransport {
    transport: BlockOnTransport,
    template: Template,
}

impl BlockingTransport {
    /// For `base_url`, sending `op`'s request.
    pub fn new(base_url: &str, protocol: Protocol, op: Op) -> Self {
        Self {
            transport: BlockOnTransport::new(protocol),
            template: Template::new(base_url, op),
        }
    }
}

impl BlockingSide for BlockingTransport {
    fn call(&self) -> bool {
        let request = self.template.request(self.template.body.clone());
        match BlockingHttpTransport::send(&self.transport, request) {
            Ok(response) => {
                response.status() == http::StatusCode::OK && !response.body().is_empty()
            }
            Err(_) => false,
        }
    }
}

/// clerk-core's [`BlockingClient`](clerk_core::BlockingClient) over
/// [`BlockOnTransport`].
#[derive(Debug)]
pub struct BlockingClerk {
    client: clerk_core::BlockingClient<BlockOnTransport>,
    input: CreateSignInTokenRequest,
    op: Op,
}

impl BlockingClerk {
    /// For `base_url`, performing `op`.
    pub fn new(base_url: &str, protocol: Protocol, op: Op) -> Self {
        let client = Client::builder(key())
            .base_url(base_url)
            .build_blocking(BlockOnTransport::new(protocol))
            .expect("blocking clerk client");
        Self {
            client,
            input: fixtures::create_input(),
            op,
        }
    }
}

impl BlockingSide for BlockingClerk {
    fn call(&self) -> bool {
        match self.op {
            Op::Create => self.client.create_sign_in_token(&self.input).is_ok(),
            Op::Revoke => self.client.revoke_sign_in_token(fixtures::TOKEN_ID).is_ok(),
        }
    }
}

/// How a paired run goes: round length, blocks, warm-up, and how it deals
/// with a machine shared with other work.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Length of a measured round.
    pub length: Duration,
    /// ABBA blocks per run (each runs every side twice).
    pub blocks: usize,
    /// Length of the one warm-up round per side at the start of a run.
    pub warm_up: Duration,
    /// A block during which the rest of the machine used more than this
    /// share of a core ([`Round::others_share`]) in any round is discarded
    /// and run again…
    pub max_others: f64,
    /// …at most this many times per block; the last attempt is then kept
    /// whatever it saw (and counted in [`RunResult::kept_disturbed`]).
    pub retries: usize,
}

/// Figures of one side over a set of rounds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Figures {
    /// Successful requests per second (all requests over all wall time).
    pub rps: f64,
    /// Client CPU time per request.
    pub client_cpu: Duration,
    /// Server CPU time per request.
    pub server_cpu: Duration,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// Successful requests.
    pub requests: u64,
    /// Failed requests.
    pub errors: u64,
}

impl Figures {
    /// Pools `rounds`.
    pub fn of<'a>(rounds: impl IntoIterator<Item = &'a Round>) -> Self {
        let mut completed = 0u64;
        let mut errors = 0u64;
        let mut wall = Duration::ZERO;
        let mut client = 0u64;
        let mut server = 0u64;
        let mut all: Vec<u64> = Vec::new();
        for r in rounds {
            completed += r.completed;
            errors += r.errors;
            wall += r.elapsed;
            client += r.client_cpu.running_ns;
            server += r.server_cpu.running_ns;
            all.extend_from_slice(&r.latencies_ns);
        }
        all.sort_unstable();
        let pct = |p: usize| {
            if all.is_empty() {
                Duration::ZERO
            } else {
                Duration::from_nanos(all[(all.len() * p / 100).min(all.len() - 1)])
            }
        };
        let per = completed.max(1);
        Self {
            rps: completed as f64 / wall.as_secs_f64().max(1e-9),
            client_cpu: Duration::from_nanos(client / per),
            server_cpu: Duration::from_nanos(server / per),
            p50: pct(50),
            p99: pct(99),
            requests: completed,
            errors,
        }
    }

    /// `self` over `base`, figure by figure.
    pub fn ratio(&self, base: &Self) -> Ratios {
        let r = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        Ratios {
            rps: r(self.rps, base.rps),
            client_cpu: r(self.client_cpu.as_secs_f64(), base.client_cpu.as_secs_f64()),
            p50: r(self.p50.as_secs_f64(), base.p50.as_secs_f64()),
            p99: r(self.p99.as_secs_f64(), base.p99.as_secs_f64()),
        }
    }
}

/// One side's figures over the baseline's.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ratios {
    /// Requests per second.
    pub rps: f64,
    /// Client CPU time per request.
    pub client_cpu: f64,
    /// Median latency.
    pub p50: f64,
    /// 99th percentile latency.
    pub p99: f64,
}

/// The median of `values` (NaN when empty).
pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// What one paired run measured.
#[derive(Debug, Clone, Default)]
pub struct RunResult {
    /// Each side's figures over the run's kept rounds.
    pub figures: Vec<Figures>,
    /// For each side after the first: its paired ratios to the first side,
    /// req/s and CPU as the median of the blocks' ratios, p50 and p99 from
    /// the run's pooled latencies.
    pub ratios: Vec<Ratios>,
    /// Each kept block's figures, side by side (`block_figures[b][i]`: side
    /// `i` in block `b`), for pairing any two sides ([`RunResult::paired`]).
    pub block_figures: Vec<Vec<Figures>>,
    /// Blocks kept.
    pub blocks: usize,
    /// Blocks discarded because other processes used the machine meanwhile.
    pub discarded: usize,
    /// Blocks kept although disturbed (retries exhausted).
    pub kept_disturbed: usize,
    /// The most the rest of the machine used during a kept round, as a share
    /// of one core.
    pub max_others: f64,
}

impl RunResult {
    /// Side `side` over side `base`, paired as [`RunResult::ratios`] pairs
    /// every side with the first: req/s and CPU as the median of the blocks'
    /// ratios, p50 and p99 from the run's pooled latencies.
    pub fn paired(&self, side: usize, base: usize) -> Ratios {
        let blocks: Vec<Ratios> = self
            .block_figures
            .iter()
            .map(|b| b[side].ratio(&b[base]))
            .collect();
        let pick = |f: fn(&Ratios) -> f64| median(&blocks.iter().map(f).collect::<Vec<_>>());
        let pooled = self.figures[side].ratio(&self.figures[base]);
        Ratios {
            rps: pick(|r| r.rps),
            client_cpu: pick(|r| r.client_cpu),
            p50: pooled.p50,
            p99: pooled.p99,
        }
    }
}

/// One paired run over `sides` (`sides[0]` is the baseline): a warm-up
/// round each, then `schedule.blocks` ABBA blocks. `sides[i](d)` runs side
/// `i` for one round of length `d` and returns what it measured.
pub fn paired_run(
    sides: &mut [&mut dyn FnMut(Duration) -> Round],
    schedule: Schedule,
) -> RunResult {
    let n = sides.len();
    for side in sides.iter_mut() {
        side(schedule.warm_up);
    }
    let mut kept: Vec<Vec<Round>> = vec![Vec::new(); n];
    let mut block_ratios: Vec<Vec<Ratios>> = vec![Vec::new(); n];
    let mut out = RunResult::default();
    let order: Vec<usize> = (0..n).chain((0..n).rev()).collect();
    for _ in 0..schedule.blocks {
        let mut attempt = 0;
        loop {
            let mut got: Vec<Vec<Round>> = vec![Vec::new(); n];
            for &i in &order {
                got[i].push(sides[i](schedule.length));
            }
            let disturbed = got
                .iter()
                .flatten()
                .map(Round::others_share)
                .fold(0.0, f64::max);
            if disturbed > schedule.max_others && attempt < schedule.retries {
                attempt += 1;
                out.discarded += 1;
                continue;
            }
            if disturbed > schedule.max_others {
                out.kept_disturbed += 1;
            }
            out.max_others = out.max_others.max(disturbed);
            out.blocks += 1;
            let figures: Vec<Figures> = got.iter().map(Figures::of).collect();
            for i in 1..n {
                block_ratios[i].push(figures[i].ratio(&figures[0]));
            }
            out.block_figures.push(figures);
            for (k, rounds) in kept.iter_mut().zip(got) {
                k.extend(rounds);
            }
            break;
        }
    }
    out.figures = kept.iter().map(Figures::of).collect();
    out.ratios = (1..n)
        .map(|i| {
            let pooled = out.figures[i].ratio(&out.figures[0]);
            let pick =
                |f: fn(&Ratios) -> f64| median(&block_ratios[i].iter().map(f).collect::<Vec<_>>());
            Ratios {
                rps: pick(|r| r.rps),
                client_cpu: pick(|r| r.client_cpu),
                p50: pooled.p50,
                p99: pooled.p99,
            }
        })
        .collect();
    out
}
