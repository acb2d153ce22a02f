//! `clerk-bench-calls <side> <protocol> <op> <count> <base-url>`: `count`
//! sequential requests by one side of the end-to-end bench, after 200 to warm
//! up, on a current-thread runtime; for instruction counts and syscall
//! counts of one side at a time under a profiler:
//!
//! ```text
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*measured*' \
//!     target/release/clerk-bench-calls clerk http1 create 2000 http://127.0.0.1:PORT/v1
//! ```
//!
//! - `side`: `raw`, `hyper` (clerk-hyper alone), `clerk`, or their blocking
//!   forms `blocking-raw`, `blocking-hyper`, `blocking-clerk`; `hyper-bare` is
//!   clerk-hyper around raw's own hyper-util client (no TLS-capable or proxy
//!   layer in the connection), to split the transport's cost in two;
//!   `raw-typed` is raw plus the per-call work any caller must do (serialize
//!   the body or format the path, parse the answer into a plain struct).
//! - `protocol`: `http1` or `h2c`; `op`: `create` or `revoke`.
//!
//! `CLERK_BENCH_IN_FLIGHT=n` keeps n async calls in flight at a time (n
//! tasks, each making its share of `count` one after another; default 1).
//!
//! Start a server with `clerk-bench-server fixed` (it prints its address).

use std::sync::Arc;

use clerk_bench::load::{
    AnySide, BlockingClerk, BlockingRaw, BlockingSide, BlockingTransport, ClerkSide, Op, Protocol,
    RawSide, RawTypedSide, Side, TransportSide,
};

fn usage() -> ! {
    eprintln!(
        "usage: clerk-bench-calls raw|raw-typed|hyper|hyper-bare|clerk|blocking-raw|blocking-hyper|blocking-clerk http1|h2c create|revoke COUNT BASE_URL"
    );
    std::process::exit(2)
}

/// The measured calls (the profiler's toggle point).
#[inline(never)]
fn measured_blocking(side: &dyn BlockingSide, count: u64) -> u64 {
    (0..count).filter(|_| !side.call()).count() as u64
}

/// The measured calls (the profiler's toggle point): `count` calls split
/// over `in_flight` tasks, each making its share one after another.
#[inline(never)]
fn measured_async(
    runtime: &tokio::runtime::Runtime,
    side: &Arc<AnySide>,
    count: u64,
    in_flight: u64,
) -> u64 {
    let in_flight = in_flight.clamp(1, count.max(1));
    let tasks: Vec<_> = (0..in_flight)
        .map(|i| {
            let side = Arc::clone(side);
            // The first `count % in_flight` tasks make one call more.
            let share = count / in_flight + u64::from(i < count % in_flight);
            runtime.spawn(async move {
                let mut failed = 0;
                for _ in 0..share {
                    if !side.call().await {
                        failed += 1;
                    }
                }
                failed
            })
        })
        .collect();
    runtime.block_on(async {
        let mut failed = 0;
        for task in tasks {
            failed += task.await.expect("a measured task panicked");
        }
        failed
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [side, protocol, op, count, base] = args.as_slice() else {
        usage()
    };
    let protocol = match protocol.as_str() {
        "http1" => Protocol::Http1,
        "h2c" => Protocol::H2c,
        _ => usage(),
    };
    let op = match op.as_str() {
        "create" => Op::Create,
        "revoke" => Op::Revoke,
        _ => usage(),
    };
    let Ok(count) = count.parse::<u64>() else {
        usage()
    };
    let failed = if let Some(kind) = side.strip_prefix("blocking-") {
        let side: Box<dyn BlockingSide> = match kind {
            "raw" => Box::new(BlockingRaw::new(base, protocol, op)),
            "hyper" => Box::new(BlockingTransport::new(base, protocol, op)),
            "clerk" => Box::new(BlockingClerk::new(base, protocol, op)),
            _ => usage(),
        };
        measured_blocking(&*side, 200);
        measured_blocking(&*side, count)
    } else {
        let side = Arc::new(match side.as_str() {
            "raw" => AnySide::Raw(RawSide::with_op(base, protocol, op)),
            "raw-typed" => AnySide::RawTyped(RawTypedSide::with_op(base, protocol, op)),
            "hyper" => AnySide::Transport(TransportSide::with_op(base, protocol, op)),
            "hyper-bare" => AnySide::Transport(TransportSide::bare(base, protocol, op)),
            "clerk" => AnySide::Clerk(ClerkSide::with_op(base, protocol, op)),
            _ => usage(),
        });
        // `CLERK_BENCH_WORKERS=n`: a multi-threaded runtime with n workers
        // (what `#[tokio::main]` gives), instead of a current-thread one.
        let workers = std::env::var("CLERK_BENCH_WORKERS")
            .ok()
            .and_then(|w| w.parse::<usize>().ok());
        let runtime = match workers {
            Some(n) => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(n.max(1))
                .enable_all()
                .build(),
            None => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build(),
        }
        .expect("runtime");
        // `CLERK_BENCH_IN_FLIGHT=n`: n calls in flight at a time (default 1).
        let in_flight = std::env::var("CLERK_BENCH_IN_FLIGHT")
            .ok()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(1);
        measured_async(&runtime, &side, 200, in_flight);
        measured_async(&runtime, &side, count, in_flight)
    };
    if failed > 0 {
        eprintln!("{failed} of {count} calls failed");
        std::process::exit(1);
    }
}
