//! Allocations per operation, counted by a global allocator (not timed).
//!
//! 1. The four sans-IO operations, clerk-core beside the hand-written
//!    baseline: heap allocations (`alloc` + `realloc` calls), of which
//!    reallocations, and bytes requested. `tests/allocations.rs` asserts the
//!    same counts against their ceilings.
//! 2. One create request over loopback, per request, on the client's thread
//!    (a current-thread runtime, so hyper's connection tasks are counted
//!    too): raw hyper-util, clerk-hyper's transport alone, and clerk-core's
//!    client over it, against the fixed-body server running on another
//!    thread (whose allocations are not counted). Hyper's buffers make these
//!    averages rather than exact counts.
//!
//! `cargo bench -p clerk-bench --bench allocations`

use std::sync::Arc;

use clerk_bench::alloc_count::{self, CountingAlloc, Counts};
use clerk_bench::fixtures::PENDING_JSON;
use clerk_bench::load::{AnySide, ClerkSide, Protocol, RawSide, Side, TransportSide};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn cell(c: Counts) -> String {
    format!("{} ({}) {}", c.total(), c.reallocs, c.bytes)
}

fn sans_io(iterations: u64) {
    println!("1. sans-IO: allocations per call ({iterations} calls each)");
    println!(
        "{:<18} {:>18} {:>18}",
        "operation", "clerk-core", "baseline"
    );
    println!(
        "{:<18} {:>18} {:>18}",
        "", "allocs (re) bytes", "allocs (re) bytes"
    );
    for op in alloc_count::measure_operations(iterations) {
        println!(
            "{:<18} {:>18} {:>18}",
            op.name,
            cell(op.clerk_core),
            cell(op.baseline)
        );
    }
}

/// Starts the fixed-body server on its own thread and runtime; returns its
/// base URL. The thread lives as long as the process.
fn fixed_server() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind loopback");
            tx.send(listener.local_addr().expect("address"))
                .expect("report the address");
            clerk_bench::server::serve_fixed(
                listener,
                bytes::Bytes::from_static(PENDING_JSON.as_bytes()),
            )
            .await;
        });
    });
    format!("http://{}/v1", rx.recv().expect("the server's address"))
}

fn end_to_end(requests: u64) {
    let base = fixed_server();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    println!();
    println!(
        "2. one create over loopback: allocations per request on the client's thread ({requests} sequential requests after 100 to warm up)"
    );
    println!(
        "{:<8} {:>18} {:>18} {:>18}",
        "", "raw hyper-util", "clerk-hyper only", "clerk client"
    );
    println!(
        "{:<8} {:>18} {:>18} {:>18}",
        "", "allocs (re) bytes", "allocs (re) bytes", "allocs (re) bytes"
    );
    for protocol in [Protocol::Http1, Protocol::H2c] {
        let sides = [
            Arc::new(AnySide::Raw(RawSide::new(&base, protocol))),
            Arc::new(AnySide::Transport(TransportSide::new(&base, protocol))),
            Arc::new(AnySide::Clerk(ClerkSide::new(&base, protocol))),
        ];
        let counts: Vec<Counts> = sides
            .iter()
            .map(|side| {
                runtime.block_on(async {
                    for _ in 0..100 {
                        assert!(side.call().await, "warm-up request failed");
                    }
                    let before = alloc_count::snapshot();
                    for _ in 0..requests {
                        assert!(side.call().await, "request failed");
                    }
                    let spent = alloc_count::snapshot() - before;
                    Counts {
                        allocs: spent.allocs / requests,
                        reallocs: spent.reallocs / requests,
                        bytes: spent.bytes / requests,
                    }
                })
            })
            .collect();
        println!(
            "{:<8} {:>18} {:>18} {:>18}",
            protocol.as_str(),
            cell(counts[0]),
            cell(counts[1]),
            cell(counts[2])
        );
    }
}

fn main() {
    assert!(
        alloc_count::is_installed(),
        "the counting allocator is not in use"
    );
    let benching = std::env::args().any(|a| a == "--bench");
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!("allocations ({profile} build)");
    sans_io(if benching { 10_000 } else { 10 });
    end_to_end(if benching { 2_000 } else { 20 });
}
