//! End to end over loopback, in fixed-duration rounds (no criterion: a
//! closed loop at 64 in flight is a throughput measurement, not a
//! per-iteration time).
//!
//! 1. Client cost: clerk-core's `Client` over clerk-hyper's `HyperTransport`
//!    beside a raw hyper-util legacy client sending the identical create
//!    request (and, between the two, clerk-hyper's transport alone sending
//!    that request, without clerk-core building it or parsing the answer),
//!    all against the `fixed` server (a minimal hyper server that returns the
//!    spec's `pending` SignInToken), at 1 and 64 requests in flight, over
//!    pooled HTTP/1.1 and over h2c (HTTP/2 prior knowledge).
//! 2. Server cost: clerk-mock beside the `fixed` server, both driven by the
//!    raw client at 64 in flight, HTTP/1.1 and h2c.
//!
//! The servers run in `clerk-bench-server` child processes pinned to core 0
//! (`taskset -c 0`); this process pins itself to core 1 before it starts any
//! thread and drives everything from one current-thread tokio runtime. The
//! sides of each comparison take turns round by round in the same run.
//!
//! ```text
//! cargo bench -p clerk-bench --bench end_to_end            # everything
//! cargo bench -p clerk-bench --bench end_to_end -- h2c     # names containing h2c
//! ```
//!
//! `CLERK_BENCH_ROUND_SECS` (default 2) and `CLERK_BENCH_ROUNDS` (default 3)
//! set the length and number of measured rounds per side, after a 0.5 s
//! warm-up per side. The machine may be shared: a round during which the
//! rest of the machine used more than `CLERK_BENCH_MAX_OTHERS` of a core
//! (default 0.25, from `/proc/stat`) is run again, up to
//! `CLERK_BENCH_RETRIES` times (default 3) per round. Without `--bench`
//! (`cargo test --benches`) each case runs one 100 ms round, unpinned, as a
//! smoke test.
//!
//! Besides req/s and p50/p99 latency, each side's row has the CPU time per
//! request of the client's thread and of the server's (from
//! `/proc/*/schedstat`): other processes on the machine move throughput a
//! lot, CPU time per request much less.

use std::sync::Arc;
use std::time::Duration;

use clerk_bench::load::{
    self, AnySide, ClerkSide, Protocol, RawSide, Schedule, Summary, TransportSide,
};
use clerk_bench::pin;
use clerk_bench::server::{ServerKind, ServerProcess};

const SERVER_EXE: &str = env!("CARGO_BIN_EXE_clerk-bench-server");

struct Plan {
    benching: bool,
    schedule: Schedule,
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
        let schedule = if benching {
            Schedule {
                length: Duration::from_secs_f64(env_f64("CLERK_BENCH_ROUND_SECS", 2.0).max(0.1)),
                rounds: (env_f64("CLERK_BENCH_ROUNDS", 3.0) as usize).max(1),
                warm_up: Duration::from_millis(500),
                max_others: env_f64("CLERK_BENCH_MAX_OTHERS", 0.25),
                retries: env_f64("CLERK_BENCH_RETRIES", 3.0) as usize,
            }
        } else {
            Schedule {
                length: Duration::from_millis(100),
                rounds: 1,
                warm_up: Duration::from_millis(20),
                max_others: f64::INFINITY,
                retries: 0,
            }
        };
        Self {
            benching,
            schedule,
            filter,
        }
    }

    async fn compare(
        &self,
        sides: &[Arc<AnySide>],
        servers: &[u32],
        in_flight: usize,
    ) -> Vec<Summary> {
        load::compare(sides, servers, in_flight, self.schedule).await
    }

    fn wants(&self, name: &str) -> bool {
        self.filter.as_deref().is_none_or(|f| name.contains(f))
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn row(case: &str, side: &str, s: &Summary) {
    println!(
        "{case:<14} {side:<16} {:>8.0} {:>8.1} {:>8.1} {:>8.2} {:>8.2} {:>8} {:>4} {:>5.1}% {:>4}",
        s.rps,
        micros(s.p50),
        micros(s.p99),
        micros(s.client_cpu_per_request),
        micros(s.server_cpu_per_request),
        s.requests,
        s.errors,
        s.others * 100.0,
        s.redone
    );
}

fn ratio_row(case: &str, label: &str, a: &Summary, b: &Summary) {
    let r = |x: f64, y: f64| x / y;
    println!(
        "{case:<14} {label:<16} {:>7.2}x {:>7.2}x {:>7.2}x {:>7.2}x {:>7.2}x",
        r(a.rps, b.rps),
        r(a.p50.as_secs_f64(), b.p50.as_secs_f64()),
        r(a.p99.as_secs_f64(), b.p99.as_secs_f64()),
        r(
            a.client_cpu_per_request.as_secs_f64(),
            b.client_cpu_per_request.as_secs_f64()
        ),
        r(
            a.server_cpu_per_request.as_secs_f64(),
            b.server_cpu_per_request.as_secs_f64()
        ),
    );
}

fn header(first: &str) {
    println!(
        "{first:<14} {:<16} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>4} {:>6} {:>4}",
        "side",
        "req/s",
        "p50 µs",
        "p99 µs",
        "cli µs",
        "srv µs",
        "requests",
        "err",
        "others",
        "redo"
    );
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

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
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
        "end_to_end: {} round(s) of {:?} per side after a {:?} warm-up; client on core {}, servers on core {} ({})",
        plan.schedule.rounds,
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
    println!("p50/p99 over every request of every round; req/s is the median round;");
    println!("cli/srv µs: CPU time per request of the client's and the server's thread");
    println!("(/proc/*/schedstat); others: CPU the rest of the machine used meanwhile, in % of");
    println!(
        "one core (/proc/stat); redo: rounds run again because others exceeded {:.0}%",
        plan.schedule.max_others * 100.0
    );
    println!("load average at start: {}", load_average());

    println!();
    println!("1. client: clerk-core + clerk-hyper vs raw hyper-util, against the fixed server");
    header("case");
    for protocol in [Protocol::Http1, Protocol::H2c] {
        for in_flight in [1, 64] {
            let case = format!("{}/{in_flight}", protocol.as_str());
            if !plan.wants(&case) {
                continue;
            }
            let base = fixed.base_url();
            let sides = [
                Arc::new(AnySide::Raw(RawSide::new(&base, protocol))),
                Arc::new(AnySide::Transport(TransportSide::new(&base, protocol))),
                Arc::new(AnySide::Clerk(ClerkSide::new(&base, protocol))),
            ];
            let got = runtime.block_on(plan.compare(&sides, &[fixed.pid(); 3], in_flight));
            let (r, t, c) = (got[0], got[1], got[2]);
            row(&case, "raw hyper-util", &r);
            row(&case, "clerk-hyper only", &t);
            row(&case, "clerk client", &c);
            ratio_row(&case, "clerk/raw", &c, &r);
            ratio_row(&case, "clerk-hyper/raw", &t, &r);
        }
    }

    println!();
    println!("2. server: clerk-mock vs the fixed hyper server, raw client, 64 in flight");
    header("case");
    for protocol in [Protocol::Http1, Protocol::H2c] {
        let case = format!("mock/{}/64", protocol.as_str());
        if !plan.wants(&case) {
            continue;
        }
        let sides = [
            Arc::new(AnySide::Raw(RawSide::new(&fixed.base_url(), protocol))),
            Arc::new(AnySide::Raw(RawSide::new(&mock.base_url(), protocol))),
        ];
        let got = runtime.block_on(plan.compare(&sides, &[fixed.pid(), mock.pid()], 64));
        let (f, m) = (got[0], got[1]);
        row(&case, "fixed server", &f);
        row(&case, "clerk-mock", &m);
        ratio_row(&case, "mock/fixed", &m, &f);
    }
    println!(
        "resident memory after the run: fixed server {}, clerk-mock {}",
        resident(fixed.pid()),
        resident(mock.pid())
    );
    println!();
    println!("load average at end: {}", load_average());
    drop(runtime);
    drop((fixed, mock));
    Ok(())
}
