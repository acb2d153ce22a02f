//! End to end over loopback, in fixed-duration rounds paired ABBA (no
//! criterion: a closed loop at 64 in flight is a throughput measurement, not
//! a per-iteration time).
//!
//! 1. Client cost: clerk-core's `Client` over clerk-hyper's `HyperTransport`
//!    beside a raw hyper-util legacy client sending the identical request
//!    (and, between the two, clerk-hyper's transport alone sending that
//!    request, without clerk-core building it or parsing the answer), all
//!    against the `fixed` server (a minimal hyper server that returns the
//!    spec's `pending` SignInToken), for create and revoke, at 1 and 64
//!    requests in flight, over pooled HTTP/1.1 and over h2c (HTTP/2 prior
//!    knowledge); and the same three through clerk-core's `BlockingClient`
//!    (one request at a time, `block_on` per call). The async cases add a
//!    fourth side, raw hyper-util plus the per-call work any caller must do
//!    to hand back a parsed token (serialize the create body or format the
//!    revoke path, parse the answer into a plain derived struct), and pair
//!    the clerk client with it too: the floor for a typed client.
//! 2. Server cost: clerk-mock beside the `fixed` server, both driven by the
//!    raw client at 64 in flight, HTTP/1.1 and h2c.
//!
//! The servers run in `clerk-bench-server` child processes pinned to core 0
//! (`taskset -c 0`); this process pins itself to core 1 before it starts any
//! thread and drives everything from one current-thread tokio runtime.
//!
//! Each case is `CLERK_BENCH_RUNS` runs (default 5) over freshly built
//! clients. A run warms every side up (200 ms each), then runs
//! `CLERK_BENCH_BLOCKS` blocks (default 2) of rounds of
//! `CLERK_BENCH_ROUND_SECS` (default 0.5) in mirrored order, A B C C B A, and
//! compares each side with the first (raw hyper-util) within each block. A
//! block in which the rest of the machine used more than
//! `CLERK_BENCH_MAX_OTHERS` of a core (default 0.25, from `/proc/stat`) in
//! any round is discarded and run again, up to `CLERK_BENCH_RETRIES` times
//! (default 3); the output counts them. The ratios printed are the median and
//! the range over the runs of each run's paired ratio.
//!
//! ```text
//! cargo bench -p clerk-bench --bench end_to_end            # everything
//! cargo bench -p clerk-bench --bench end_to_end -- h2c     # names containing h2c
//! ```
//!
//! Without `--bench` (`cargo test --benches`) each case runs one block of
//! 30 ms rounds, unpinned, as a smoke test (a few seconds in all).
//!
//! Besides req/s and p50/p99 latency, each side's row has the CPU time per
//! request of the client's thread and of the server's (from
//! `/proc/*/schedstat`): other processes on the machine move throughput a
//! lot, CPU time per request much less.

use std::sync::Arc;
use std::time::Duration;

use clerk_bench::load::{
    self, AnySide, BlockingClerk, BlockingRaw, BlockingTransport, ClerkSide, Figures, Op, Protocol,
    Ratios, RawSide, RawTypedSide, RunResult, Schedule, TransportSide,
};
use clerk_bench::pin;
use clerk_bench::server::{ServerKind, ServerProcess};

const SERVER_EXE: &str = env!("CARGO_BIN_EXE_clerk-bench-server");

struct Plan {
    benching: bool,
    schedule: Schedule,
    runs: usize,
    filter: Option<String>,
}

impl Plan {
    fn from_args() -> Self {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let benching = args.iter().any(|a| a == "--bench");
        let filter = args.iter().find(|a| !a.starts_with('-')).cloned();
        let env_f64 = |name: &str, default: f64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| *v >= 0.0)
                .unwrap_or(default)
        };
        let (schedule, runs) = if benching {
            (
                Schedule {
                    length: Duration::from_secs_f64(
                        env_f64("CLERK_BENCH_ROUND_SECS", 0.5).max(0.05),
                    ),
                    blocks: (env_f64("CLERK_BENCH_BLOCKS", 2.0) as usize).max(1),
                    warm_up: Duration::from_millis(200),
                    max_others: env_f64("CLERK_BENCH_MAX_OTHERS", 0.25),
                    retries: env_f64("CLERK_BENCH_RETRIES", 3.0) as usize,
                },
                (env_f64("CLERK_BENCH_RUNS", 5.0) as usize).max(1),
            )
        } else {
            (
                Schedule {
                    length: Duration::from_millis(30),
                    blocks: 1,
                    warm_up: Duration::from_millis(10),
                    max_others: f64::INFINITY,
                    retries: 0,
                },
                1,
            )
        };
        Self {
            benching,
            schedule,
            runs,
            filter,
        }
    }

    fn wants(&self, name: &str) -> bool {
        self.filter.as_deref().is_none_or(|f| name.contains(f))
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// A ratio's median and range over the runs, as `0.97x (0.95-0.99)`.
fn spread(values: &[f64]) -> String {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return "n/a".into();
    }
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{:.2}x ({lo:.2}-{hi:.2})", load::median(&finite))
}

/// What a case measured, for the closing summary table.
struct CaseResult {
    case: String,
    labels: Vec<&'static str>,
    runs: Vec<RunResult>,
}

impl CaseResult {
    fn ratios(&self, side: usize, f: fn(&Ratios) -> f64) -> Vec<f64> {
        self.runs.iter().map(|r| f(&r.ratios[side - 1])).collect()
    }

    /// Per run, side `side` paired with side `base`.
    fn paired(&self, side: usize, base: usize, f: fn(&Ratios) -> f64) -> Vec<f64> {
        self.runs.iter().map(|r| f(&r.paired(side, base))).collect()
    }

    fn figure(&self, side: usize, f: fn(&Figures) -> f64) -> f64 {
        load::median(
            &self
                .runs
                .iter()
                .map(|r| f(&r.figures[side]))
                .collect::<Vec<_>>(),
        )
    }

    fn print(&self) {
        let blocks: usize = self.runs.iter().map(|r| r.blocks).sum();
        let discarded: usize = self.runs.iter().map(|r| r.discarded).sum();
        let disturbed: usize = self.runs.iter().map(|r| r.kept_disturbed).sum();
        let others = self.runs.iter().map(|r| r.max_others).fold(0.0, f64::max);
        let errors: u64 = self
            .runs
            .iter()
            .flat_map(|r| r.figures.iter().map(|f| f.errors))
            .sum();
        println!(
            "{}: {} run(s), {blocks} blocks kept, {discarded} discarded as disturbed, {disturbed} kept disturbed (retries exhausted); others at most {:.1}% of a core in a kept round; {errors} failed requests",
            self.case,
            self.runs.len(),
            others * 100.0
        );
        println!(
            "  {:<18} {:>9} {:>9} {:>9} {:>9} {:>9}   (medians over runs)",
            "side", "req/s", "p50 µs", "p99 µs", "cli µs", "srv µs"
        );
        for (i, label) in self.labels.iter().enumerate() {
            println!(
                "  {label:<18} {:>9.0} {:>9.1} {:>9.1} {:>9.2} {:>9.2}",
                self.figure(i, |f| f.rps),
                self.figure(i, |f| micros(f.p50)),
                self.figure(i, |f| micros(f.p99)),
                self.figure(i, |f| micros(f.client_cpu)),
                self.figure(i, |f| micros(f.server_cpu)),
            );
        }
        for (i, label) in self.labels.iter().enumerate().skip(1) {
            println!(
                "  {label} / {}: req/s {}, client CPU/req {}, p99 {}, p50 {}",
                self.labels[0],
                spread(&self.ratios(i, |r| r.rps)),
                spread(&self.ratios(i, |r| r.client_cpu)),
                spread(&self.ratios(i, |r| r.p99)),
                spread(&self.ratios(i, |r| r.p50)),
            );
            let per_run: Vec<String> = self
                .ratios(i, |r| r.rps)
                .iter()
                .map(|v| format!("{v:.3}"))
                .collect();
            println!("    req/s ratio per run: {}", per_run.join(" "));
        }
        if self.labels.len() > RAW_TYPED {
            println!(
                "  {} / {}: req/s {}, client CPU/req {}, p99 {}, p50 {}",
                self.labels[CLERK],
                self.labels[RAW_TYPED],
                spread(&self.paired(CLERK, RAW_TYPED, |r| r.rps)),
                spread(&self.paired(CLERK, RAW_TYPED, |r| r.client_cpu)),
                spread(&self.paired(CLERK, RAW_TYPED, |r| r.p99)),
                spread(&self.paired(CLERK, RAW_TYPED, |r| r.p50)),
            );
        }
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// `VmRSS` of process `pid`.
fn resident(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .map(|v| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

const CLIENT_LABELS: [&str; 3] = ["raw hyper-util", "clerk-hyper only", "clerk client"];
/// The async cases add a fourth side: raw hyper-util doing the per-call work
/// any caller must do to hand back a parsed token (`RawTypedSide`).
const ASYNC_LABELS: [&str; 4] = [
    "raw hyper-util",
    "clerk-hyper only",
    "clerk client",
    "raw + typed",
];
/// Where the clerk client and the typed raw side sit in `ASYNC_LABELS`.
const CLERK: usize = 2;
const RAW_TYPED: usize = 3;

fn async_case(
    plan: &Plan,
    runtime: &tokio::runtime::Runtime,
    server: &ServerProcess,
    protocol: Protocol,
    in_flight: usize,
    op: Op,
) -> CaseResult {
    let base = server.base_url();
    let pid = Some(server.pid());
    let mut runs = Vec::new();
    for _ in 0..plan.runs {
        let raw = Arc::new(AnySide::Raw(RawSide::with_op(&base, protocol, op)));
        let hyper = Arc::new(AnySide::Transport(TransportSide::with_op(
            &base, protocol, op,
        )));
        let clerk = Arc::new(AnySide::Clerk(ClerkSide::with_op(&base, protocol, op)));
        let typed = Arc::new(AnySide::RawTyped(RawTypedSide::with_op(
            &base, protocol, op,
        )));
        let mut a = |d| load::round(runtime, &raw, in_flight, d, pid);
        let mut b = |d| load::round(runtime, &hyper, in_flight, d, pid);
        let mut c = |d| load::round(runtime, &clerk, in_flight, d, pid);
        let mut t = |d| load::round(runtime, &typed, in_flight, d, pid);
        runs.push(load::paired_run(
            &mut [&mut a, &mut b, &mut c, &mut t],
            plan.schedule,
        ));
    }
    CaseResult {
        case: format!("{}/{in_flight}/{}", protocol.as_str(), op.as_str()),
        labels: ASYNC_LABELS.to_vec(),
        runs,
    }
}

fn blocking_case(plan: &Plan, server: &ServerProcess, protocol: Protocol, op: Op) -> CaseResult {
    let base = server.base_url();
    let pid = Some(server.pid());
    let mut runs = Vec::new();
    for _ in 0..plan.runs {
        let raw = BlockingRaw::new(&base, protocol, op);
        let hyper = BlockingTransport::new(&base, protocol, op);
        let clerk = BlockingClerk::new(&base, protocol, op);
        let mut a = |d| load::blocking_round(&raw, d, pid);
        let mut b = |d| load::blocking_round(&hyper, d, pid);
        let mut c = |d| load::blocking_round(&clerk, d, pid);
        runs.push(load::paired_run(
            &mut [&mut a, &mut b, &mut c],
            plan.schedule,
        ));
    }
    CaseResult {
        case: format!("{}/blocking/{}", protocol.as_str(), op.as_str()),
        labels: CLIENT_LABELS.to_vec(),
        runs,
    }
}

fn mock_case(
    plan: &Plan,
    runtime: &tokio::runtime::Runtime,
    fixed: &ServerProcess,
    mock: &ServerProcess,
    protocol: Protocol,
) -> CaseResult {
    let mut runs = Vec::new();
    for _ in 0..plan.runs {
        let f = Arc::new(AnySide::Raw(RawSide::new(&fixed.base_url(), protocol)));
        let m = Arc::new(AnySide::Raw(RawSide::new(&mock.base_url(), protocol)));
        let mut a = |d| load::round(runtime, &f, 64, d, Some(fixed.pid()));
        let mut b = |d| load::round(runtime, &m, 64, d, Some(mock.pid()));
        runs.push(load::paired_run(&mut [&mut a, &mut b], plan.schedule));
    }
    CaseResult {
        case: format!("mock/{}/64", protocol.as_str()),
        labels: vec!["fixed server", "clerk-mock"],
        runs,
    }
}

fn summary_table(results: &[CaseResult]) {
    println!(
        "| case | clerk/raw req/s | CPU/req | p99 | clerk-hyper/raw req/s | CPU/req | p99 | clerk/raw+typed req/s | CPU/req | p99 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in results.iter().filter(|r| r.labels.len() >= 3) {
        let typed = |f: fn(&Ratios) -> f64| {
            if r.labels.len() > RAW_TYPED {
                spread(&r.paired(CLERK, RAW_TYPED, f))
            } else {
                "-".to_owned()
            }
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.case,
            spread(&r.ratios(CLERK, |x| x.rps)),
            spread(&r.ratios(CLERK, |x| x.client_cpu)),
            spread(&r.ratios(CLERK, |x| x.p99)),
            spread(&r.ratios(1, |x| x.rps)),
            spread(&r.ratios(1, |x| x.client_cpu)),
            spread(&r.ratios(1, |x| x.p99)),
            typed(|x| x.rps),
            typed(|x| x.client_cpu),
            typed(|x| x.p99),
        );
    }
}

fn main() -> std::io::Result<()> {
    let plan = Plan::from_args();
    // Pin only when measuring: a smoke run under `cargo test` shares the
    // machine with other tests.
    let pinned = plan.benching && pin::pin_self(pin::CLIENT_CORE);
    let fixed = ServerProcess::start(SERVER_EXE, ServerKind::Fixed, pinned)?;
    let mock = ServerProcess::start(SERVER_EXE, ServerKind::Mock, pinned)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;

    println!(
        "end_to_end: {} run(s) per case, each {} ABBA block(s) of {:?} rounds after a {:?} warm-up per side; client on core {}, servers on core {} ({})",
        plan.runs,
        plan.schedule.blocks,
        plan.schedule.length,
        plan.schedule.warm_up,
        pin::CLIENT_CORE,
        pin::SERVER_CORE,
        if pinned {
            "pinned with taskset"
        } else {
            "NOT pinned"
        },
    );
    println!(
        "ratios: median (min-max) over runs of each run's paired ratio (req/s and CPU: median"
    );
    println!(
        "of its blocks' ratios; p50/p99: over the run's pooled latencies); cli/srv µs: CPU time"
    );
    println!("per request of the client's and the server's thread (/proc/*/schedstat). A block in");
    println!(
        "which other processes used more than {:.0}% of a core is discarded and run again.",
        plan.schedule.max_others * 100.0
    );
    println!("load average at start: {}", load_average());
    println!();

    let mut results = Vec::new();
    for op in [Op::Create, Op::Revoke] {
        for protocol in [Protocol::Http1, Protocol::H2c] {
            for in_flight in [1, 64] {
                let case = format!("{}/{in_flight}/{}", protocol.as_str(), op.as_str());
                if !plan.wants(&case) {
                    continue;
                }
                let got = async_case(&plan, &runtime, &fixed, protocol, in_flight, op);
                got.print();
                results.push(got);
            }
            let case = format!("{}/blocking/{}", protocol.as_str(), op.as_str());
            if plan.wants(&case) {
                let got = blocking_case(&plan, &fixed, protocol, op);
                got.print();
                results.push(got);
            }
        }
    }
    for protocol in [Protocol::Http1, Protocol::H2c] {
        if plan.wants(&format!("mock/{}/64", protocol.as_str())) {
            let got = mock_case(&plan, &runtime, &fixed, &mock, protocol);
            got.print();
            results.push(got);
        }
    }
    println!();
    summary_table(&results);
    println!(
        "resident memory after the run: fixed server {}, clerk-mock {}",
        resident(fixed.pid()),
        resident(mock.pid())
    );
    println!("load average at end: {}", load_average());
    drop(runtime);
    drop((fixed, mock));
    Ok(())
}
