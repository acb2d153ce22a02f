//! `TowerTransport` over a hyper-util client wrapped in `tower-http`'s
//! `TraceLayer` and tower's `ConcurrencyLimitLayer`, against clerk-mock over
//! loopback; and what the transport keeps around any service.
#![cfg(feature = "tokio")]

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clerk_core::{
    Client, CreateSignInTokenRequest, HttpTransport, SignInTokenStatus, TransportError,
    TransportErrorKind,
};
use clerk_mock::MockClerk;
use clerk_test_support::e2e::bounded;
use clerk_test_support::log_capture::LogCapture;
use clerk_test_support::sentinel;
use clerk_tower::{TokioTimer, TowerTransport};
use http_body_util::Full;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tower::ServiceBuilder;
use tower_http::trace::{DefaultMakeSpan, DefaultOnRequest, DefaultOnResponse, TraceLayer};
use tracing::instrument::WithSubscriber;

/// Everything, from every crate, at every level, into `output`.
fn dispatch(output: &LogCapture) -> tracing::Dispatch {
    tracing::Dispatch::new(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(output.clone())
            .finish(),
    )
}

/// How many requests were inside the limit at once, at most: each holds its
/// place for `hold`, so that requests made together overlap unless the
/// limit keeps them apart.
#[derive(Clone, Default)]
struct InFlight {
    now: Arc<AtomicUsize>,
    max: Arc<AtomicUsize>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traced_and_limited_hyper_util_creates_and_revokes_against_the_mock() {
    bounded(async {
        let server = MockClerk::builder()
            .no_rate_limit()
            .build()
            .start()
            .await
            .expect("mock");
        let hyper = HyperClient::builder(TokioExecutor::new())
            .build::<_, Full<Bytes>>(HttpConnector::new());
        let in_flight = InFlight::default();
        let counter = in_flight.clone();
        let hold = Duration::from_millis(40);
        let stack = ServiceBuilder::new()
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(
                        DefaultMakeSpan::new()
                            .level(tracing::Level::INFO)
                            .include_headers(true),
                    )
                    .on_request(DefaultOnRequest::new().level(tracing::Level::INFO))
                    .on_response(
                        DefaultOnResponse::new()
                            .level(tracing::Level::INFO)
                            .include_headers(true),
                    ),
            )
            .concurrency_limit(1)
            .map_future(move |answer| {
                let counter = counter.clone();
                async move {
                    let inside = counter.now.fetch_add(1, Ordering::SeqCst) + 1;
                    counter.max.fetch_max(inside, Ordering::SeqCst);
                    tokio::time::sleep(hold).await;
                    let answer = answer.await;
                    counter.now.fetch_sub(1, Ordering::SeqCst);
                    answer
                }
            })
            .service(hyper);
        let client = Arc::new(
            Client::builder(clerk_core::SecretKey::new(sentinel::KEY).expect("key"))
                .base_url(server.base_url())
                .timer(TokioTimer)
                .build(TowerTransport::new(stack))
                .expect("client"),
        );

        let output = LogCapture::default();
        let dispatch = dispatch(&output);
        let started = Instant::now();
        let calls: Vec<_> = (0..4)
            .map(|i| {
                let client = Arc::clone(&client);
                // Spawned: the client's futures over this stack are `Send`.
                tokio::spawn(
                    async move {
                        let token = client
                            .create_sign_in_token(&CreateSignInTokenRequest::new(format!(
                                "user_tower_{i}"
                            )))
                            .await
                            .expect("create");
                        assert_eq!(token.status, SignInTokenStatus::Pending);
                        let revoked = client
                            .revoke_sign_in_token(&token.id)
                            .await
                            .expect("revoke");
                        assert_eq!(revoked.status(), SignInTokenStatus::Revoked);
                        token
                    }
                    .with_subscriber(dispatch.clone()),
                )
            })
            .collect();
        let mut tokens = Vec::new();
        for call in calls {
            tokens.push(call.await.expect("the call's task"));
        }

        // The limit held: four calls made together went through one at a
        // time, each holding its place for `hold`, twice (create, revoke).
        assert_eq!(in_flight.max.load(Ordering::SeqCst), 1);
        assert!(started.elapsed() >= hold * 8, "{:?}", started.elapsed());
        assert_eq!(server.request_count(), 8);

        // The trace layer ran for every request, and saw no secret: the key
        // is marked sensitive, and no layer reads a body.
        let text = output.text();
        assert_eq!(
            text.matches("started processing request").count(),
            8,
            "{text}"
        );
        assert_eq!(
            text.matches("finished processing request").count(),
            8,
            "{text}"
        );
        assert!(text.contains(r#""authorization": Sensitive"#), "{text}");
        assert!(sentinel::leaked(&text).is_empty(), "{text}");
        for token in &tokens {
            let secret = token.token.as_ref().expect("a pending token has one");
            assert!(!text.contains(secret.expose_secret()), "{text}");
            let url = token.url.as_ref().expect("a pending token has a url");
            assert!(!text.contains(url.expose_secret()), "{text}");
        }
        server.shutdown().await;
    })
    .await;
}

/// A service that counts its calls and answers `body` (or never answers).
fn counting(
    calls: Arc<AtomicUsize>,
    body: Option<&'static [u8]>,
) -> impl tower::Service<
    http::Request<Full<Bytes>>,
    Response = http::Response<Full<Bytes>>,
    Error = io::Error,
    Future = impl Future<Output = Result<http::Response<Full<Bytes>>, io::Error>> + Send,
> + Clone
+ Send
+ Sync {
    tower::service_fn(move |_request: http::Request<Full<Bytes>>| {
        calls.fetch_add(1, Ordering::SeqCst);
        async move {
            match body {
                Some(body) => Ok(http::Response::new(Full::new(Bytes::from_static(body)))),
                None => std::future::pending().await,
            }
        }
    })
}

fn request(uri: &str) -> clerk_core::HttpRequest {
    http::Request::post(uri)
        .body(Bytes::from_static(b"{}"))
        .expect("request")
}

#[tokio::test]
async fn the_cleartext_rule_refuses_before_the_service_sees_the_request() {
    let calls = Arc::new(AtomicUsize::new(0));
    let transport = TowerTransport::new(counting(calls.clone(), Some(b"{}")));
    let err = transport
        .send(request("http://api.clerk.invalid/v1/sign_in_tokens"))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), TransportErrorKind::InsecureScheme);
    assert!(err.is_request_not_sent());
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    // Loopback is allowed, and so is any host once opted in.
    assert!(
        transport
            .send(request("http://127.0.0.1:9/v1"))
            .await
            .is_ok()
    );
    let open = TowerTransport::builder(counting(calls.clone(), Some(b"{}")))
        .allow_insecure_http(true)
        .build()
        .expect("transport");
    assert!(
        open.send(request("http://api.clerk.invalid/v1"))
            .await
            .is_ok()
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_body_cap_holds_at_the_declared_length() {
    let calls = Arc::new(AtomicUsize::new(0));
    for (cap, ok) in [(5, true), (4, false)] {
        let transport = TowerTransport::builder(counting(calls.clone(), Some(b"12345")))
            .max_body_bytes(cap)
            .build()
            .expect("transport");
        let answer = transport.send(request("http://127.0.0.1:9/v1")).await;
        match answer {
            Ok(response) => {
                assert!(ok);
                assert_eq!(response.body().as_ref(), b"12345");
            }
            Err(e) => {
                assert!(!ok);
                assert_eq!(e.kind(), TransportErrorKind::BodyTooLarge);
            }
        }
    }
}

#[tokio::test]
async fn the_deadline_ends_a_stalled_call_and_a_wait_for_readiness() {
    let calls = Arc::new(AtomicUsize::new(0));
    let limited = ServiceBuilder::new()
        .concurrency_limit(1)
        .service(counting(calls.clone(), None));
    let transport = TowerTransport::builder(limited)
        .request_timeout(Duration::from_millis(150))
        .build()
        .expect("transport");
    // The first call takes the only place and never gets an answer: a
    // timeout, which may have been sent.
    let (first, second) = tokio::join!(transport.send(request("http://127.0.0.1:9/v1")), async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        // Its deadline passes before the first gives its place back.
        transport
            .send_within(
                request("http://127.0.0.1:9/v1"),
                Some(Duration::from_millis(50)),
            )
            .await
    });
    let first = first.expect_err("stalled");
    assert_eq!(first.kind(), TransportErrorKind::Timeout);
    assert!(!first.is_request_not_sent());
    // The second waited for readiness past its deadline: never handed over.
    let second = second.expect_err("not ready");
    assert_eq!(second.kind(), TransportErrorKind::ConnectTimeout);
    assert!(second.is_request_not_sent());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // The whole-call deadline shortens the attempt's.
    let started = Instant::now();
    let err = transport
        .send_within(
            request("http://127.0.0.1:9/v1"),
            Some(Duration::from_millis(30)),
        )
        .await
        .expect_err("stalled");
    assert!(err.is_timeout());
    assert!(started.elapsed() < Duration::from_millis(140));
}

#[tokio::test]
async fn a_refused_connection_is_not_sent_unless_the_service_resends() {
    let refusing = tower::service_fn(|_: http::Request<Full<Bytes>>| async {
        Err::<http::Response<Full<Bytes>>, _>(io::Error::from(io::ErrorKind::ConnectionRefused))
    });
    for (resends, not_sent) in [(false, true), (true, false)] {
        let transport = TowerTransport::builder(refusing)
            .service_resends(resends)
            .build()
            .expect("transport");
        let err = transport
            .send(request("http://127.0.0.1:9/v1"))
            .await
            .expect_err("refused");
        assert_eq!(err.is_request_not_sent(), not_sent, "{err:?}");
        assert_eq!(err.to_string().contains("connect"), not_sent, "{err}");
    }
}

#[tokio::test]
async fn a_refused_connection_through_hyper_util_is_not_sent() {
    // Nothing listens on a port just released.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let hyper =
        HyperClient::builder(TokioExecutor::new()).build::<_, Full<Bytes>>(HttpConnector::new());
    let transport = TowerTransport::new(hyper);
    let err = transport
        .send(request(&format!("http://127.0.0.1:{port}/v1")))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), TransportErrorKind::Connect, "{err:?}");
    assert!(err.is_request_not_sent());
}
