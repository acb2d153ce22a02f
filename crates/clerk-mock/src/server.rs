//! The listener, the connection tasks and the [`MockServer`] handle.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use http::StatusCode;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::MockClerk;
use crate::faults::{Failure, Fault, RequestCounts};
use crate::handler::{Inner, handle, lock};
use crate::ratelimit::RateLimit;
use crate::store::{SignInTokenSnapshot, now_ms};

/// A running mock Clerk.
///
/// Dropping the handle stops the server (for a server started with
/// [`MockServer::start_blocking`] the drop also waits for its thread to
/// finish); [`MockServer::shutdown`] stops it gracefully and waits.
///
/// All test helpers and fault-injection methods are synchronous and take
/// effect for the next request that arrives.
///
/// ```
/// use std::io::{Read, Write};
/// use std::net::TcpStream;
///
/// let server = clerk_mock::MockServer::start_blocking(Default::default())?;
/// let body = r#"{"user_id":"user_123"}"#;
/// let mut stream = TcpStream::connect(server.addr())?;
/// write!(
///     stream,
///     "POST /v1/sign_in_tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test_abc\r\n\
///      Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
///     body.len()
/// )?;
/// let mut response = String::new();
/// stream.read_to_string(&mut response)?;
/// assert!(response.starts_with("HTTP/1.1 200 OK"));
///
/// let tokens = server.tokens();
/// assert_eq!(tokens.len(), 1);
/// assert_eq!(tokens[0].user_id, "user_123");
/// assert!(server.mark_accepted(&tokens[0].id));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct MockServer {
    inner: Arc<Inner>,
    addr: SocketAddr,
    shutdown_tx: watch::Sender<bool>,
    done_rx: watch::Receiver<bool>,
    thread: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Binds `config`'s address and serves on the current tokio runtime.
    pub async fn start(config: MockClerk) -> io::Result<Self> {
        let listener = TcpListener::bind(config.addr).await?;
        Self::spawn_on_current(listener, config)
    }

    /// Serves on an already bound standard listener (on the current tokio runtime).
    pub async fn start_with_listener(
        listener: std::net::TcpListener,
        config: MockClerk,
    ) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener)?;
        Self::spawn_on_current(listener, config)
    }

    fn spawn_on_current(listener: TcpListener, config: MockClerk) -> io::Result<Self> {
        let addr = listener.local_addr()?;
        let inner = Arc::new(Inner::new(&config));
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (done_tx, done_rx) = watch::channel(false);
        let task_inner = Arc::clone(&inner);
        tokio::spawn(async move {
            serve(
                listener,
                task_inner,
                config.shutdown_grace,
                wait_true(shutdown_rx),
            )
            .await;
            done_tx.send_replace(true);
        });
        Ok(Self {
            inner,
            addr,
            shutdown_tx,
            done_rx,
            thread: None,
        })
    }

    /// Starts the server on a dedicated thread with its own tokio runtime
    /// (current-thread, or multi-thread if
    /// [`worker_threads`](crate::MockClerkBuilder::worker_threads) > 1).
    /// Works from synchronous code; dropping the handle stops the server and
    /// joins the thread.
    pub fn start_blocking(config: MockClerk) -> io::Result<Self> {
        let inner = Arc::new(Inner::new(&config));
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (done_tx, done_rx) = watch::channel(false);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<SocketAddr>>();
        let task_inner = Arc::clone(&inner);
        let thread = std::thread::Builder::new()
            .name("clerk-mock".to_owned())
            .spawn(move || {
                let runtime = if config.worker_threads > 1 {
                    tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(config.worker_threads)
                        .enable_all()
                        .build()
                } else {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                };
                let runtime = match runtime {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let bound = TcpListener::bind(config.addr)
                        .await
                        .and_then(|l| l.local_addr().map(|a| (l, a)));
                    let listener = match bound {
                        Ok((listener, addr)) => {
                            let _ = ready_tx.send(Ok(addr));
                            listener
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    serve(
                        listener,
                        task_inner,
                        config.shutdown_grace,
                        wait_true(shutdown_rx),
                    )
                    .await;
                });
                drop(runtime);
                done_tx.send_replace(true);
            })?;
        let addr = match ready_rx.recv() {
            Ok(Ok(addr)) => addr,
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(io::Error::other(
                    "clerk-mock: server thread exited before binding",
                ));
            }
        };
        Ok(Self {
            inner,
            addr,
            shutdown_tx,
            done_rx,
            thread: Some(thread),
        })
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>` (an unspecified bind address is shown as loopback).
    pub fn origin(&self) -> String {
        let ip = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}", SocketAddr::new(ip, self.addr.port()))
    }

    /// The base URL to give a client, ending in `/v1`, e.g. `http://127.0.0.1:40123/v1`.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.origin())
    }

    // ----- fault injection -------------------------------------------------

    /// Delays every response by `delay` (after the request has been processed)
    /// until changed; `Duration::ZERO` turns the delay off.
    pub fn set_delay(&self, delay: Duration) {
        lock(&self.inner.faults).delay = delay;
    }

    /// Fails the next `n` requests with `status` and the default Clerk error
    /// for it (`internal_error` for 5xx). The requests are not processed.
    /// Calls queue up: `fail_next(1, 503)` then `fail_next(1, 429)` fails one
    /// request with each, in that order.
    pub fn fail_next(&self, n: u64, status: StatusCode) {
        self.fail_next_with(n, Failure::new(status));
    }

    /// Fails the next `n` requests with `failure` (queued after any earlier
    /// faults: each request takes at most one).
    pub fn fail_next_with(&self, n: u64, failure: Failure) {
        lock(&self.inner.faults).arm(Fault {
            failure: Some(failure),
            ..Fault::next(n)
        });
    }

    /// For the next `n` requests, processes the request as usual, then sends
    /// the headers (with the full `Content-Length`) and only the first half of
    /// the body before closing the connection. Over HTTP/2 the stream is reset
    /// instead. Adds to any drops still pending; a drop combines with any
    /// other fault, so `fail_next(1, 503)` with `drop_next(1)` sends half of
    /// a 503.
    pub fn drop_next(&self, n: u64) {
        let mut faults = lock(&self.inner.faults);
        faults.drops = faults.drops.saturating_add(n);
    }

    /// Removes the delay and every queued fault (failures, drops, and those
    /// armed through the admin interface).
    pub fn clear_faults(&self) {
        lock(&self.inner.faults).clear();
    }

    /// Replaces the rate limit (`None` turns it off) and forgets all windows.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        lock(&self.inner.limiter).set_limit(limit);
    }

    /// Forgets every key's rate-limit window.
    pub fn reset_rate_limits(&self) {
        lock(&self.inner.limiter).reset();
    }

    // ----- accounting ------------------------------------------------------

    /// How many requests have arrived (including failed and rejected ones).
    pub fn request_count(&self) -> u64 {
        self.inner.counts.total()
    }

    /// Request counts, total and per operation.
    pub fn request_counts(&self) -> RequestCounts {
        self.inner.counts.snapshot()
    }

    /// Sets all request counts back to zero.
    pub fn reset_request_counts(&self) {
        self.inner.counts.reset();
    }

    // ----- token store -----------------------------------------------------

    /// A copy of the token with this id.
    pub fn token(&self, id: &str) -> Option<SignInTokenSnapshot> {
        lock(&self.inner.store).get(id, now_ms())
    }

    /// Copies of all tokens, oldest first.
    pub fn tokens(&self) -> Vec<SignInTokenSnapshot> {
        lock(&self.inner.store).all(now_ms())
    }

    /// Simulates a user consuming the token: a pending, unexpired token becomes
    /// `accepted`. Returns whether it did.
    pub fn mark_accepted(&self, id: &str) -> bool {
        lock(&self.inner.store).accept(id, now_ms())
    }

    /// Makes the token expire now. An expired token keeps the status
    /// `pending` (the API has no `expired` status) but can no longer be
    /// revoked or accepted: revoking answers `400
    /// sign_in_token_cannot_be_revoked_code` with "...its status is expired...".
    /// Returns whether the token exists.
    pub fn expire(&self, id: &str) -> bool {
        lock(&self.inner.store).expire(id, now_ms())
    }

    /// Deletes every token.
    pub fn clear_tokens(&self) {
        lock(&self.inner.store).clear();
    }

    // ----- lifecycle -------------------------------------------------------

    /// Stops accepting connections, lets in-flight requests finish (up to the
    /// configured grace period) and waits until the server has stopped.
    pub async fn shutdown(mut self) {
        self.shutdown_tx.send_replace(true);
        let _ = self.done_rx.wait_for(|done| *done).await;
    }

    /// Serves until `signal` completes, then shuts down gracefully.
    pub async fn run_until<F: Future<Output = ()>>(self, signal: F) {
        signal.await;
        self.shutdown().await;
    }

    /// Serves until Ctrl-C (SIGINT), then shuts down gracefully.
    pub async fn run_until_ctrl_c(self) -> io::Result<()> {
        let result = tokio::signal::ctrl_c().await;
        self.shutdown().await;
        result
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.shutdown_tx.send_replace(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serves `config` on `listener` (on the current tokio runtime) until
/// `shutdown` completes, then stops gracefully. For a standalone server
/// process; tests usually want [`MockServer`] and its helpers instead.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let listener = std::net::TcpListener::bind("127.0.0.1:8080")?;
/// println!("listening on http://{}/v1", listener.local_addr()?);
/// clerk_mock::serve_until(listener, Default::default(), async {
///     let _ = tokio::signal::ctrl_c().await;
/// })
/// .await
/// # }
/// ```
pub async fn serve_until<F>(
    listener: std::net::TcpListener,
    config: MockClerk,
    shutdown: F,
) -> io::Result<()>
where
    F: Future<Output = ()>,
{
    listener.set_nonblocking(true)?;
    let listener = TcpListener::from_std(listener)?;
    let inner = Arc::new(Inner::new(&config));
    serve(listener, inner, config.shutdown_grace, shutdown).await;
    Ok(())
}

/// Completes once the watched flag is true or its sender is gone.
async fn wait_true(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

/// The accept loop: one task per connection, HTTP/1.1 or HTTP/2 (prior
/// knowledge) chosen per connection.
async fn serve<F>(listener: TcpListener, inner: Arc<Inner>, grace: Duration, shutdown: F)
where
    F: Future<Output = ()>,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new());
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let (closing_tx, closing_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _peer)) => stream,
                    Err(_) => {
                        // Out of descriptors or a connection reset before accept:
                        // back off briefly instead of spinning.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let builder = Arc::clone(&builder);
                let inner = Arc::clone(&inner);
                let closing = closing_rx.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req| handle(Arc::clone(&inner), req));
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    let mut conn = std::pin::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        () = wait_true(closing) => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }

    drop(listener);
    closing_tx.send_replace(true);
    let drain = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(grace, drain).await;
    connections.shutdown().await;
}
