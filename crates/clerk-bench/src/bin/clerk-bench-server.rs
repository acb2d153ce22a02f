//! `clerk-bench-server fixed|mock`: serves on 127.0.0.1 (an ephemeral port)
//! on a current-thread tokio runtime, prints `listening <addr>` on its first
//! line of stdout, and exits when its stdin is closed (end of file), so it
//! never outlives the bench that started it.
//!
//! - `fixed`: every request gets `200` and the spec's `pending` SignInToken.
//! - `mock`: clerk-mock, rate limit off.
//!
//! The end-to-end bench starts it under `taskset -c 0`.

use std::io::{Read, Write};

use bytes::Bytes;
use clerk_bench::fixtures::PENDING_JSON;
use clerk_bench::server::{ServerKind, serve_fixed};

fn main() -> std::io::Result<()> {
    let arg = std::env::args().nth(1).unwrap_or_default();
    let Some(kind) = ServerKind::parse(&arg) else {
        eprintln!("usage: clerk-bench-server fixed|mock");
        std::process::exit(2);
    };

    // Exit as soon as the parent closes our stdin (or dies).
    std::thread::spawn(|| {
        let mut sink = [0u8; 64];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        std::process::exit(0);
    });

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "listening {addr}")?;
            out.flush()?;
        }
        match kind {
            ServerKind::Fixed => {
                listener.set_nonblocking(true)?;
                let listener = tokio::net::TcpListener::from_std(listener)?;
                serve_fixed(listener, Bytes::from_static(PENDING_JSON.as_bytes())).await;
                Ok(())
            }
            ServerKind::Mock => {
                let config = clerk_mock::MockClerk::builder().no_rate_limit().build();
                clerk_mock::serve_until(listener, config, std::future::pending()).await
            }
        }
    })
}
