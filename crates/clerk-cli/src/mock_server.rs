//! `mock-server`: clerk-mock as a standalone process.

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use clerk_mock::MockClerk;

use crate::failure::Failure;

/// The rate-limit window of `--rate-limit`.
const WINDOW: Duration = Duration::from_secs(10);

/// Serves until SIGINT or SIGTERM. The signal handlers are installed before
/// the `listening on` line is printed, so a signal sent as soon as that line
/// is read stops the server gracefully instead of killing it.
pub(crate) async fn serve(port: u16, rate_limit: Option<u32>) -> Result<(), Failure> {
    let stop = stop_signal()
        .map_err(|e| Failure::no_answer(format!("cannot install signal handlers: {e}")))?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| Failure::no_answer(format!("cannot listen on {addr}: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Failure::no_answer(format!("cannot read the bound address: {e}")))?;

    let mut config = MockClerk::builder().shutdown_grace(Duration::from_secs(2));
    config = match rate_limit {
        None => config,
        Some(0) => config.no_rate_limit(),
        Some(n) => config.rate_limit(n, WINDOW),
    };

    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{bound}")
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::no_answer(format!("cannot write to stdout: {e}")))?;
    drop(stdout);
    let _ = writeln!(
        std::io::stderr(),
        "clients: --api-url http://{bound}/v1 (any sk_test_ key); stop with Ctrl-C or SIGTERM"
    );

    clerk_mock::serve_until(listener, config.build(), stop)
        .await
        .map_err(|e| Failure::no_answer(format!("cannot serve on {bound}: {e}")))
}

/// A future that completes on the first SIGINT or SIGTERM.
#[cfg(unix)]
fn stop_signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(std::future::poll_fn(move |cx| {
        if interrupt.poll_recv(cx).is_ready() || terminate.poll_recv(cx).is_ready() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    }))
}

/// A future that completes on Ctrl-C.
#[cfg(not(unix))]
fn stop_signal() -> std::io::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
