//! The servers the end-to-end bench talks to, and the child process that
//! hosts them on their own core.
//!
//! - [`serve_fixed`]: a minimal hyper server (hyper-util's `auto` builder,
//!   HTTP/1.1 and h2c by prior knowledge, the same stack clerk-mock uses) that
//!   reads each request body to its end (as any real server does; over h2 a
//!   server that answers first resets the stream, which fails some requests)
//!   and answers `200` with one fixed SignInToken body, looking at nothing
//!   else. It is the floor a server can reach on this machine.
//! - clerk-mock, with no rate limit, which routes, authenticates, parses the
//!   create body, mints a token, stores it and serialises it.
//!
//! Both run in the `clerk-bench-server` binary on a current-thread tokio
//! runtime; [`ServerProcess`] starts it under `taskset -c 0`.

use std::convert::Infallible;
use std::io::{self, BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

use crate::pin;

/// Which server the child process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// [`serve_fixed`] with [`crate::fixtures::PENDING_JSON`].
    Fixed,
    /// clerk-mock, rate limit off.
    Mock,
}

impl ServerKind {
    /// The argument the `clerk-bench-server` binary takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::Mock => "mock",
        }
    }

    /// Reads the binary's argument.
    pub fn parse(arg: &str) -> Option<Self> {
        match arg {
            "fixed" => Some(Self::Fixed),
            "mock" => Some(Self::Mock),
            _ => None,
        }
    }
}

/// Reads each request's body, then serves `body` as `200 application/json`,
/// on every connection `listener` accepts, HTTP/1.1 or h2c, until the runtime
/// ends.
pub async fn serve_fixed(listener: TcpListener, body: Bytes) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new());
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let builder = Arc::clone(&builder);
        let body = body.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: http::Request<Incoming>| {
                let body = body.clone();
                async move {
                    let _ = request.into_body().collect().await;
                    let mut response = Response::new(Full::new(body));
                    response
                        .headers_mut()
                        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = builder
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The `clerk-bench-server` child process: started pinned to
/// [`pin::SERVER_CORE`], stopped when dropped (its stdin is closed, which it
/// takes as the signal to exit; it is killed if it has not gone 2 s later).
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    kind: ServerKind,
}

impl ServerProcess {
    /// Starts `exe kind` (pinned to [`pin::SERVER_CORE`] if `pinned`) and
    /// waits for the address it prints.
    pub fn start(exe: &str, kind: ServerKind, pinned: bool) -> io::Result<Self> {
        let mut command = if pinned {
            pin::pinned_command(pin::SERVER_CORE, exe)
        } else {
            std::process::Command::new(exe)
        };
        let mut child = command
            .arg(kind.as_str())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let addr = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|a| a.parse().ok());
        match addr {
            Some(addr) => Ok(Self { child, addr, kind }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(io::Error::other(format!(
                    "clerk-bench-server {}: unexpected first line {line:?}",
                    kind.as_str()
                )))
            }
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>/v1`, the base URL to give a client.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The child's process id. Under `taskset` this is still the server's:
    /// `taskset` execs the program in place.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Which server it is.
    pub fn kind(&self) -> ServerKind {
        self.kind
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
