//! `clerk-bench-creates <base_url> <count> [in_flight]`: sends `count`
//! creates to `base_url` as fast as the server answers them, `in_flight`
//! (default 64) at a time, through clerk-core's client over clerk-hyper
//! (HTTP/1.1, pooled), on one thread. Prints one line: how many succeeded,
//! how many failed, the wall time and the rate. Exits 1 if any failed.
//!
//! `scripts/mock-rss.sh` uses it to load `clerk-sign-in-tokens mock-server`
//! while it reads the server's resident memory.

use std::rc::Rc;
use std::time::Instant;

use clerk_bench::load::{ClerkSide, Protocol, Side as _};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [url, count] => count.parse().ok().map(|c| (url, c, 64)),
        [url, count, in_flight] => count
            .parse()
            .ok()
            .zip(in_flight.parse().ok())
            .map(|(c, f)| (url, c, f)),
        _ => None,
    };
    let Some((base_url, count, in_flight)) = parsed else {
        eprintln!("usage: clerk-bench-creates <base_url> <count> [in_flight]");
        std::process::exit(2);
    };
    let in_flight: usize = in_flight.max(1);
    let count: usize = count;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let failed = runtime.block_on(async move {
        let side = Rc::new(ClerkSide::new(base_url, Protocol::Http1));
        let started = Instant::now();
        let local = tokio::task::LocalSet::new();
        let workers: Vec<_> = (0..in_flight)
            .map(|w| {
                let side = Rc::clone(&side);
                // Worker w sends calls w, w + in_flight, ...
                let calls = count / in_flight + usize::from(w < count % in_flight);
                local.spawn_local(async move {
                    let mut failed = 0usize;
                    for _ in 0..calls {
                        failed += usize::from(!side.call().await);
                    }
                    failed
                })
            })
            .collect();
        let failed = local
            .run_until(async {
                let mut failed = 0;
                for w in workers {
                    failed += w.await.expect("worker");
                }
                failed
            })
            .await;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{} creates: {} ok, {failed} failed, {secs:.2} s, {:.0} creates/s",
            count,
            count - failed,
            count as f64 / secs
        );
        failed
    });
    std::process::exit(i32::from(failed > 0));
}
