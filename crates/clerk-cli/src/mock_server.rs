//! `mock-server`: clerk-mock as a standalone process.

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use clerk_mock::MockClerk;

use crate::cli::MockServerArgs;
use crate::failure::Failure;

/// The rate-limit window of `--rate-limit`.
const WINDOW: Duration = Duration::from_secs(10);

/// Serves until SIGINT or SIGTERM. The signal handlers are installed before
/// the `listening on` line is printed and the port file written, so a signal
/// sent as soon as either is seen stops the server gracefully instead of
/// killing it.
pub(crate) async fn serve(args: MockServerArgs) -> Result<(), Failure> {
    let stop = stop_signal()
        .map_err(|e| Failure::no_answer(format!("cannot install signal handlers: {e}")))?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| Failure::no_answer(format!("cannot listen on {addr}: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Failure::no_answer(format!("cannot read the bound address: {e}")))?;

    let mut config = MockClerk::builder()
        .shutdown_grace(Duration::from_millis(args.shutdown_grace_ms))
        .max_tokens(args.max_tokens)
        .expired_retention(Duration::from_secs(args.keep_expired_secs))
        .admin(!args.no_admin)
        .request_log_capacity(args.max_logged_requests);
    config = match args.rate_limit {
        None => config,
        Some(0) => config.no_rate_limit(),
        Some(n) => config.rate_limit(n, WINDOW),
    };
    if let Some(origin) = args.cors {
        config = config.cors_origin(origin);
    }

    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{bound}")
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::no_answer(format!("cannot write to stdout: {e}")))?;
    drop(stdout);
    if let Some(path) = &args.port_file {
        write_port_file(path, bound.port()).map_err(|e| {
            Failure::no_answer(format!(
                "cannot write the port file {}: {e}",
                path.display()
            ))
        })?;
    }
    let admin = if args.no_admin {
        ""
    } else {
        "; admin interface under /__mock/"
    };
    let _ = writeln!(
        std::io::stderr(),
        "clients: --api-url http://{bound}/v1 (any sk_test_ key){admin}; stop with Ctrl-C or SIGTERM"
    );

    let served = clerk_mock::serve_until(listener, config.build(), stop)
        .await
        .map_err(|e| Failure::no_answer(format!("cannot serve on {bound}: {e}")));
    // A stopped server leaves no port file behind for the next run to misread.
    if let Some(path) = &args.port_file {
        let _ = std::fs::remove_file(path);
    }
    served
}

/// Writes `port` and a newline to a temporary file next to `path`, then
/// renames it over `path`: a reader sees no file or the whole port, never a
/// partial one. The file is removed when the server stops.
fn write_port_file(path: &Path, port: u16) -> std::io::Result<()> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_owned();
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written =
        std::fs::write(&tmp, format!("{port}\n")).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
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
