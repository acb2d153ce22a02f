//! The transport contract's conformance cases
//! (`crates/clerk-test-support/conformance/cases.json`), run by every Rust
//! transport: clerk-hyper pooled on tokio, clerk-hyper on smol without
//! tokio, clerk-reqwest async and blocking, clerk-tower over hyper-util
//! with tower's and tower-http's layers. One test per transport; each
//! runs the whole table against its own servers and fails on any case the
//! judge refuses. With `CONFORMANCE_RESULTS=DIR` each also writes its
//! observations to `DIR/<transport>.jsonl`, for `scripts/conformance.sh`'s
//! matrix.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use clerk_core::{
    ApiResponse, BlockingClient, Client, CreateSignInTokenRequest, Error, RetryPolicy, SecretKey,
    SendError, SignInToken, Timer,
};
use clerk_test_support::conformance::{
    Case, Observation, REVOKE_ID, Servers, Settings, Table, judge,
};

type Called = Result<ApiResponse<SignInToken>, Error<SendError>>;

fn ms(value: Option<u64>) -> Option<Duration> {
    value.map(Duration::from_millis)
}

fn retry_policy(settings: &Settings) -> RetryPolicy {
    RetryPolicy::default()
        .with_max_retries(settings.max_retries)
        .with_initial_backoff(Duration::from_millis(20))
        .with_max_backoff(Duration::from_millis(100))
        .with_retry_after_jitter(Duration::from_millis(20))
}

fn builder(table: &Table, settings: &Settings, base_url: &str) -> clerk_core::ClientBuilder {
    Client::builder(SecretKey::new(&table.key).expect("the table's key"))
        .base_url(base_url)
        .retry_policy(retry_policy(settings))
        .call_timeout(ms(settings.call_timeout_ms))
}

/// The call a case makes, through an async client.
async fn call_async<T: clerk_core::HttpTransport<Error = SendError>, S: Timer>(
    client: &Client<T, S>,
    settings: &Settings,
) -> Called {
    match settings.op.as_str() {
        "create" => {
            client
                .create_sign_in_token_with_http_info(&CreateSignInTokenRequest::new(
                    settings.user_id(),
                ))
                .await
        }
        _ => client.revoke_sign_in_token_with_http_info(REVOKE_ID).await,
    }
}

/// The call a case makes, through a blocking client.
fn call_blocking<T: clerk_core::BlockingHttpTransport<Error = SendError>>(
    client: &BlockingClient<T>,
    settings: &Settings,
) -> Called {
    match settings.op.as_str() {
        "create" => client.create_sign_in_token_with_http_info(&CreateSignInTokenRequest::new(
            settings.user_id(),
        )),
        _ => client.revoke_sign_in_token_with_http_info(REVOKE_ID),
    }
}

/// A transport that notes when the client first hands it a request: the
/// runner's clock starts there, as the deadlines do. Before it the client
/// only encodes the request, and this debug build encodes the 8 MiB body of
/// `deadline_upload_stalled` in about 320 ms (a release build, as the
/// JavaScript and WASI runners use, in a few): counted, it made that case's
/// time depend on the machine's load, not on the transport.
struct Stamped<T> {
    inner: T,
    first_send: Arc<OnceLock<Instant>>,
}

impl<T> Stamped<T> {
    fn new(inner: T) -> Self {
        Self {
            inner,
            first_send: Arc::default(),
        }
    }

    /// Where the first send's time will be.
    fn first_send(&self) -> Arc<OnceLock<Instant>> {
        Arc::clone(&self.first_send)
    }

    fn stamp(&self) {
        self.first_send.get_or_init(Instant::now);
    }
}

/// Runs `call`, and how long it took from the first send (from its start if
/// it never sent).
fn timed<R>(first_send: &OnceLock<Instant>, call: impl FnOnce() -> R) -> (R, Duration) {
    let started = Instant::now();
    let called = call();
    (called, first_send.get().unwrap_or(&started).elapsed())
}

impl<T: clerk_core::HttpTransport> clerk_core::HttpTransport for Stamped<T> {
    type Error = T::Error;

    fn send(
        &self,
        request: clerk_core::HttpRequest,
    ) -> impl Future<Output = Result<clerk_core::HttpResponse, T::Error>> {
        self.send_within(request, None)
    }

    fn send_within(
        &self,
        request: clerk_core::HttpRequest,
        remaining: Option<Duration>,
    ) -> impl Future<Output = Result<clerk_core::HttpResponse, T::Error>> {
        self.stamp();
        self.inner.send_within(request, remaining)
    }
}

impl<T: clerk_core::BlockingHttpTransport> clerk_core::BlockingHttpTransport for Stamped<T> {
    type Error = T::Error;

    fn send(&self, request: clerk_core::HttpRequest) -> Result<clerk_core::HttpResponse, T::Error> {
        self.send_within(request, None)
    }

    fn send_within(
        &self,
        request: clerk_core::HttpRequest,
        remaining: Option<Duration>,
    ) -> Result<clerk_core::HttpResponse, T::Error> {
        self.stamp();
        self.inner.send_within(request, remaining)
    }
}

#[path = "../crates/clerk-test-support/conformance/outcome.rs"]
mod outcome;

/// `called` in the table's words (`None`: cancelled), and what it shows.
fn observe(called: Option<&Called>) -> (String, Option<bool>, String) {
    match called {
        None => ("cancelled".to_owned(), None, String::new()),
        Some(called) => outcome::outcome(called),
    }
}

/// Runs every case of the table through `run`, which makes the call (given
/// the case, its settings and its base URL) and returns it with how long it
/// took (`None`: cancelled). Judges each, writes the observations, and
/// fails listing every refused case.
fn run_table(transport: &str, run: impl Fn(&Case, &Settings, &str) -> (Option<Called>, Duration)) {
    let table = Table::load();
    let servers = Servers::start(&table);
    let mut observations = Vec::new();
    let mut problems = Vec::new();
    for case in &table.cases {
        let mut o = Observation {
            transport: transport.to_owned(),
            case: case.name.clone(),
            ..Observation::default()
        };
        if let Some(reason) = case.na(transport) {
            o.na = Some(reason.to_owned());
        } else {
            let settings = case.settings(&table.defaults);
            servers.reset(&case.name);
            let (called, elapsed) = run(case, &settings, &servers.base_url(&case.name));
            let (outcome, not_sent, shown) = observe(called.as_ref());
            o.outcome = outcome;
            o.not_sent = not_sent;
            o.error_text = shown;
            o.elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
            // A dropped call's connection closes a moment later: give the
            // server the case's window to see it.
            let wait = case
                .expect
                .closed_within_ms
                .map_or(Duration::ZERO, Duration::from_millis);
            let until = Instant::now() + wait;
            o.server = servers.stats(&case.name);
            while o.server.held_ms.is_none() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(20));
                o.server = servers.stats(&case.name);
            }
        }
        let refused = judge(&table, case, &o);
        eprintln!(
            "{transport:>16} | {:<44} | {:<16} | {:>5} ms | {}",
            case.name,
            o.na.as_ref().map_or(o.outcome.as_str(), |_| "n/a"),
            o.elapsed_ms,
            if refused.is_empty() {
                "pass".to_owned()
            } else {
                refused.join("; ")
            }
        );
        if !refused.is_empty() {
            problems.push(format!("{}: {}", case.name, refused.join("; ")));
        }
        observations.push(o);
    }
    if let Ok(dir) = std::env::var("CONFORMANCE_RESULTS") {
        std::fs::create_dir_all(&dir).expect("the results folder");
        let lines: Vec<String> = observations
            .iter()
            .map(|o| serde_json::to_string(o).expect("an observation"))
            .collect();
        std::fs::write(format!("{dir}/{transport}.jsonl"), lines.join("\n") + "\n")
            .expect("write the observations");
    }
    assert!(
        problems.is_empty(),
        "{transport}: {} case(s) refused:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

/// A case through `transport` on the async client with tokio's timer,
/// timed from the client's first send.
fn call_on_tokio<T: clerk_core::HttpTransport<Error = SendError>>(
    runtime: &tokio::runtime::Runtime,
    settings: &Settings,
    base_url: &str,
    transport: T,
) -> (Option<Called>, Duration) {
    let transport = Stamped::new(transport);
    let first_send = transport.first_send();
    let client = builder(&Table::load(), settings, base_url)
        .timer(clerk_hyper::TokioTimer)
        .build(transport)
        .expect("the client");
    timed_tokio(
        runtime,
        settings,
        &first_send,
        call_async(&client, settings),
    )
}

/// Runs `call` on `runtime`, dropping it after the case's `cancel_after_ms`.
fn timed_tokio<F: Future<Output = Called>>(
    runtime: &tokio::runtime::Runtime,
    settings: &Settings,
    first_send: &OnceLock<Instant>,
    call: F,
) -> (Option<Called>, Duration) {
    timed(first_send, || {
        runtime.block_on(async {
            match settings.cancel_after_ms {
                Some(after) => tokio::time::timeout(Duration::from_millis(after), call)
                    .await
                    .ok(),
                None => Some(call.await),
            }
        })
    })
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

#[test]
fn hyper() {
    use clerk_hyper::hyper_util::client::legacy::connect::HttpConnector;
    use clerk_hyper::{HyperTransport, ProxyConfig};

    let runtime = tokio_runtime();
    run_table("hyper", |_case, settings, base_url| {
        let limits = HyperTransport::builder()
            .request_timeout(ms(settings.request_timeout_ms))
            .connect_timeout(ms(settings.connect_timeout_ms))
            .max_body_bytes(settings.max_body_bytes)
            .proxy(ProxyConfig::none());
        let transport = if settings.connector == "plain" {
            // A user's plain connector that lets https URIs through.
            let mut connector = HttpConnector::new();
            connector.enforce_http(false);
            limits.build_with_connector(connector)
        } else {
            limits.build().expect("the transport")
        };
        call_on_tokio(&runtime, settings, base_url, transport)
    });
}

#[test]
fn reqwest() {
    use clerk_reqwest::ReqwestTransport;

    let runtime = tokio_runtime();
    run_table("reqwest", |_case, settings, base_url| {
        let transport = runtime.block_on(async {
            ReqwestTransport::builder()
                .request_timeout(ms(settings.request_timeout_ms))
                .connect_timeout(ms(settings.connect_timeout_ms))
                .max_body_bytes(settings.max_body_bytes)
                .build_with(
                    clerk_reqwest::reqwest::Client::builder()
                        .redirect(clerk_reqwest::reqwest::redirect::Policy::none())
                        .connect_timeout(
                            ms(settings.connect_timeout_ms).unwrap_or(Duration::from_secs(30)),
                        )
                        .no_proxy()
                        .build()
                        .expect("a reqwest client"),
                )
        });
        call_on_tokio(&runtime, settings, base_url, transport)
    });
}

/// clerk-tower over a user's stack: hyper-util's pooled client on a
/// hyper-rustls connector (plain TCP for http, TLS for https) whose
/// connecting (TCP and the TLS handshake) is bounded by tower's timeout,
/// under tower-http's `TraceLayer` and tower's `ConcurrencyLimitLayer`.
#[test]
fn tower() {
    use clerk_hyper::hyper_util::client::legacy::Client as HyperClient;
    use clerk_hyper::hyper_util::client::legacy::connect::HttpConnector;
    use clerk_hyper::hyper_util::rt::TokioExecutor;
    use clerk_tower::TowerTransport;
    use http_body_util::Full;
    use tower::ServiceBuilder;

    let runtime = tokio_runtime();
    run_table("tower", |_case, settings, base_url| {
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        })
        .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        // The connect deadline is the stack's: tower's timeout around the
        // connector (boxed: hyper-util wants an `Unpin` connect future).
        let connector = ServiceBuilder::new()
            .map_future(Box::pin)
            .timeout(ms(settings.connect_timeout_ms).unwrap_or(Duration::from_secs(3600)))
            .service(https);
        let stack = runtime.block_on(async {
            let hyper = HyperClient::builder(TokioExecutor::new())
                .build::<_, Full<bytes::Bytes>>(connector);
            ServiceBuilder::new()
                .layer(tower_http::trace::TraceLayer::new_for_http())
                .concurrency_limit(4)
                .service(hyper)
        });
        let transport = TowerTransport::builder(stack)
            .request_timeout(ms(settings.request_timeout_ms))
            .max_body_bytes(settings.max_body_bytes)
            .build()
            .expect("the transport");
        call_on_tokio(&runtime, settings, base_url, transport)
    });
}

#[test]
fn reqwest_blocking() {
    use clerk_reqwest::ReqwestTransport;

    run_table("reqwest-blocking", |_case, settings, base_url| {
        let table = Table::load();
        let transport = ReqwestTransport::builder()
            .request_timeout(ms(settings.request_timeout_ms))
            .connect_timeout(ms(settings.connect_timeout_ms))
            .max_body_bytes(settings.max_body_bytes)
            .build_blocking_with(
                clerk_reqwest::reqwest::blocking::Client::builder()
                    .redirect(clerk_reqwest::reqwest::redirect::Policy::none())
                    .connect_timeout(
                        ms(settings.connect_timeout_ms).unwrap_or(Duration::from_secs(30)),
                    )
                    .no_proxy()
                    .build()
                    .expect("a reqwest client"),
            );
        let transport = Stamped::new(transport);
        let first_send = transport.first_send();
        let client = builder(&table, settings, base_url)
            .build_blocking(transport)
            .expect("the client");
        timed(&first_send, || Some(call_blocking(&client, settings)))
    });
}

#[test]
fn hyper_smol() {
    use clerk_hyper::HyperTransport;

    run_table("hyper-smol", |_case, settings, base_url| {
        let table = Table::load();
        let connector = on_smol::connector(settings.connector == "plain");
        let transport = HyperTransport::builder()
            .request_timeout(ms(settings.request_timeout_ms))
            .connect_timeout(ms(settings.connect_timeout_ms))
            .max_body_bytes(settings.max_body_bytes)
            .build_with_runtime(connector, on_smol::Executor, on_smol::SmolTimer);
        let transport = Stamped::new(transport);
        let first_send = transport.first_send();
        let client = builder(&table, settings, base_url)
            .timer(on_smol::SmolTimer)
            .build(transport)
            .expect("the client");
        timed(&first_send, || {
            smol::block_on(async {
                let call = call_async(&client, settings);
                match settings.cancel_after_ms {
                    Some(after) => on_smol::within(Duration::from_millis(after), call).await,
                    None => Some(call.await),
                }
            })
        })
    });
}

/// clerk-hyper's runtime path on smol: a connector (plain TCP, and TLS by
/// futures-rustls for https unless told to stay plain), an executor and
/// timers. No tokio anywhere in it.
mod on_smol {
    use std::future::Future;
    use std::io;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::task::{Context, Poll};
    use std::time::{Duration, Instant};

    use clerk_hyper::{BoxFuture, ConnectFn, IsTls, connect_fn};
    use futures_rustls::TlsConnector;
    use futures_rustls::rustls::pki_types::ServerName;
    use hyper::rt::ReadBufCursor;
    use smol::io::{AsyncRead, AsyncWrite};

    /// A smol TCP stream, or TLS over one.
    pub enum Stream {
        Plain(smol::net::TcpStream),
        Tls(Box<futures_rustls::client::TlsStream<smol::net::TcpStream>>),
    }

    impl IsTls for Stream {
        fn is_tls(&self) -> bool {
            matches!(self, Stream::Tls(_))
        }
    }

    impl hyper::rt::Read for Stream {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            mut buf: ReadBufCursor<'_>,
        ) -> Poll<io::Result<()>> {
            let mut scratch = [0u8; 8 * 1024];
            let want = buf.remaining().min(scratch.len());
            let polled = match self.get_mut() {
                Stream::Plain(s) => Pin::new(s).poll_read(cx, &mut scratch[..want]),
                Stream::Tls(s) => Pin::new(&mut **s).poll_read(cx, &mut scratch[..want]),
            };
            polled.map_ok(|n| buf.put_slice(&scratch[..n]))
        }
    }

    impl hyper::rt::Write for Stream {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            match self.get_mut() {
                Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
                Stream::Tls(s) => Pin::new(&mut **s).poll_write(cx, buf),
            }
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            match self.get_mut() {
                Stream::Plain(s) => Pin::new(s).poll_flush(cx),
                Stream::Tls(s) => Pin::new(&mut **s).poll_flush(cx),
            }
        }

        fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            match self.get_mut() {
                Stream::Plain(s) => Pin::new(s).poll_close(cx),
                Stream::Tls(s) => Pin::new(&mut **s).poll_close(cx),
            }
        }
    }

    type Connecting = Pin<Box<dyn Future<Output = io::Result<Stream>> + Send>>;

    /// Plain TCP; TLS (Mozilla's roots) for https unless `plain_only`.
    pub fn connector(
        plain_only: bool,
    ) -> ConnectFn<impl Fn(http::Uri) -> Connecting + Send + Sync + 'static> {
        let roots = futures_rustls::rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let config = futures_rustls::rustls::ClientConfig::builder_with_provider(Arc::new(
            futures_rustls::rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        let tls = TlsConnector::from(Arc::new(config));
        connect_fn(move |uri: http::Uri| -> Connecting {
            let tls = tls.clone();
            Box::pin(async move {
                let host = uri
                    .host()
                    .unwrap_or_default()
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_owned();
                let port = clerk_hyper::default_port(&uri);
                let tcp = smol::net::TcpStream::connect((host.as_str(), port)).await?;
                if plain_only || uri.scheme_str() != Some("https") {
                    return Ok(Stream::Plain(tcp));
                }
                let name = ServerName::try_from(host)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                Ok(Stream::Tls(Box::new(tls.connect(name, tcp).await?)))
            })
        })
    }

    pub struct Executor;

    impl hyper::rt::Executor<BoxFuture> for Executor {
        fn execute(&self, fut: BoxFuture) {
            smol::spawn(fut).detach();
        }
    }

    #[derive(Clone, Copy)]
    pub struct SmolTimer;

    struct Sleep(smol::Timer);

    impl Future for Sleep {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            Pin::new(&mut self.0).poll(cx).map(|_| ())
        }
    }

    impl hyper::rt::Sleep for Sleep {}

    impl hyper::rt::Timer for SmolTimer {
        fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
            Box::pin(Sleep(smol::Timer::after(duration)))
        }
        fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
            Box::pin(Sleep(smol::Timer::at(deadline)))
        }
    }

    impl clerk_core::Timer for SmolTimer {
        async fn sleep(&self, duration: Duration) {
            smol::Timer::after(duration).await;
        }
    }

    /// `fut`, dropped unless it completes within `after`.
    pub async fn within<F: Future>(after: Duration, fut: F) -> Option<F::Output> {
        let mut fut = std::pin::pin!(fut);
        let mut timer = smol::Timer::after(after);
        std::future::poll_fn(|cx| {
            if let Poll::Ready(out) = fut.as_mut().poll(cx) {
                return Poll::Ready(Some(out));
            }
            Pin::new(&mut timer).poll(cx).map(|_| None)
        })
        .await
    }
}
