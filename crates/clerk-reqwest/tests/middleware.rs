//! `ReqwestTransport` over reqwest-middleware's `ClientWithMiddleware`
//! (feature `middleware`): your middleware runs on every request, never
//! sees the key in what it logs, and the contract holds around it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use clerk_core::{
    Client, CreateSignInTokenRequest, HttpTransport, SecretKey, SignInTokenStatus, TransportError,
    TransportErrorKind,
};
use clerk_mock::{MockClerk, TokenStatus};
use clerk_reqwest::reqwest_middleware::{
    self, ClientBuilder, ClientWithMiddleware, Middleware, Next,
};
use clerk_reqwest::{MiddlewareError, ReqwestTransport, TokioTimer};
use clerk_test_support::e2e::{bounded, quick_retries};
use clerk_test_support::loopback::{self, SECRET, canned};
use clerk_test_support::sentinel;
use http::Extensions;
use tokio::io::AsyncWriteExt;

/// What a logging middleware writes: method, URL and headers through their
/// `Debug`, and the status and headers of the answer. It counts the
/// requests and tags them (a request header the server gets) and their
/// answers (a response header the caller gets).
#[derive(Clone, Default)]
struct CountAndTag {
    count: Arc<AtomicUsize>,
    log: Arc<Mutex<Vec<String>>>,
}

impl CountAndTag {
    fn log(&self) -> String {
        self.log.lock().expect("log").join("\n")
    }
}

#[async_trait]
impl Middleware for CountAndTag {
    async fn handle(
        &self,
        mut req: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        self.log.lock().expect("log").push(format!(
            "-> {} {} {:?} {req:?}",
            req.method(),
            req.url(),
            req.headers()
        ));
        req.headers_mut()
            .insert("x-request-tag", http::HeaderValue::from(n));
        let mut response = next.run(req, extensions).await?;
        self.log.lock().expect("log").push(format!(
            "<- {} {:?}",
            response.status(),
            response.headers()
        ));
        response
            .headers_mut()
            .insert("x-response-tag", http::HeaderValue::from(n));
        Ok(response)
    }
}

/// reqwest-retry's error, as it reports a failure: transparent when it did
/// not retry, with the last attempt's error as its source when it did.
#[derive(Debug, thiserror::Error)]
enum RetryError {
    #[error("Request failed after {retries} retries")]
    WithRetries {
        retries: u32,
        #[source]
        err: reqwest_middleware::Error,
    },
    #[error(transparent)]
    Error(reqwest_middleware::Error),
}

/// A retry middleware like reqwest-retry's: resends on any failure, up to
/// `sends` sends. `then_to` sends every resend elsewhere (the server went
/// away between two attempts); `raw` returns the last reqwest error as it
/// is, as a hand-written retry middleware might.
#[derive(Clone, Default)]
struct Retry {
    sends: u32,
    then_to: Option<reqwest::Url>,
    raw: bool,
    count: Arc<AtomicUsize>,
}

#[async_trait]
impl Middleware for Retry {
    async fn handle(
        &self,
        req: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let mut sent = 0;
        loop {
            let mut attempt = req.try_clone().expect("a cloneable request");
            if let (true, Some(url)) = (sent > 0, &self.then_to) {
                *attempt.url_mut() = url.clone();
            }
            self.count.fetch_add(1, Ordering::SeqCst);
            let result = next.clone().run(attempt, extensions).await;
            sent += 1;
            match result {
                Ok(response) => return Ok(response),
                Err(_) if sent < self.sends => continue,
                Err(e) if self.raw => return Err(e),
                Err(e) if sent == 1 => {
                    return Err(reqwest_middleware::Error::Middleware(
                        RetryError::Error(e).into(),
                    ));
                }
                Err(e) => {
                    return Err(reqwest_middleware::Error::Middleware(
                        RetryError::WithRetries {
                            retries: sent - 1,
                            err: e,
                        }
                        .into(),
                    ));
                }
            }
        }
    }
}

/// A middleware that refuses every request itself, quoting it the way a
/// careless one would.
struct Refuse;

#[async_trait]
impl Middleware for Refuse {
    async fn handle(
        &self,
        req: reqwest::Request,
        _: &mut Extensions,
        _: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        Err(reqwest_middleware::Error::Middleware(anyhow::anyhow!(
            "circuit open for {} {:?}",
            req.url(),
            req.headers().get("authorization")
        )))
    }
}

fn loopback_only() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

fn with(middleware: impl Middleware) -> ClientWithMiddleware {
    ClientBuilder::new(loopback_only()).with(middleware).build()
}

fn client(base_url: &str, transport: ReqwestTransport) -> Client<ReqwestTransport, TokioTimer> {
    Client::builder(SecretKey::new(sentinel::KEY).expect("key"))
        .base_url(base_url)
        .retry_policy(quick_retries())
        .timer(TokioTimer)
        .build(transport)
        .expect("client")
}

/// Everything an error shows: its text, its `Debug`, and its causes'.
fn shown(err: &dyn std::error::Error) -> String {
    let mut shown = format!("{err} / {err:?}");
    let mut source = err.source();
    while let Some(cause) = source {
        shown.push_str(&format!(" / {cause} / {cause:?}"));
        source = cause.source();
    }
    shown
}

fn refused_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

#[tokio::test]
async fn a_counting_tagging_middleware_runs_and_never_logs_the_key() {
    bounded(async {
        let server = MockClerk::builder()
            .no_rate_limit()
            .secret_keys([sentinel::KEY])
            .build()
            .start()
            .await
            .expect("mock");
        let middleware = CountAndTag::default();
        let transport = ReqwestTransport::from(with(middleware.clone()));
        assert!(transport.has_middleware());
        let client = client(&server.base_url(), transport);

        let created = client
            .create_sign_in_token_with_http_info(&CreateSignInTokenRequest::new("user_mw"))
            .await
            .expect("create");
        assert_eq!(created.headers["x-response-tag"], "1");
        assert_eq!(created.data.status, SignInTokenStatus::Pending);
        let revoked = client
            .revoke_sign_in_token(&created.data.id)
            .await
            .expect("revoke");
        assert_eq!(revoked.status(), SignInTokenStatus::Revoked);
        assert_eq!(
            server.token(&created.data.id).expect("stored").status,
            TokenStatus::Revoked
        );
        assert_eq!(middleware.count.load(Ordering::SeqCst), 2);

        let log = middleware.log();
        assert!(log.contains("-> POST http://127.0.0.1"), "{log}");
        assert!(log.contains("/sign_in_tokens"), "{log}");
        assert!(log.contains("<- 200 OK"), "{log}");
        // The header is there, its value printed as reqwest prints a
        // sensitive one.
        assert!(log.contains("\"authorization\": Sensitive"), "{log}");
        assert!(!sentinel::has_key(&log), "the key reached the log: {log}");
        assert_eq!(sentinel::leaked(&log), Vec::<&str>::new(), "{log}");
    })
    .await;
}

#[tokio::test]
async fn the_tag_reaches_the_server_and_so_does_the_key() {
    bounded(async {
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&heads);
        let (addr, _) = loopback::raw_server(move |mut stream| {
            let seen = Arc::clone(&seen);
            async move {
                if let Some(head) = loopback::read_request(&mut stream).await {
                    seen.lock().expect("heads").push(head);
                }
                let _ = stream
                    .write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                    .await;
            }
        })
        .await;
        let middleware = CountAndTag::default();
        let transport = ReqwestTransport::from(with(middleware.clone()));
        let response = transport
            .send(loopback::request(&format!(
                "http://{addr}/v1/sign_in_tokens"
            )))
            .await
            .expect("sent");
        assert_eq!(response.status(), http::StatusCode::NO_CONTENT);
        assert_eq!(response.headers()["x-response-tag"], "1");
        let head = heads.lock().expect("heads").join("\n").to_ascii_lowercase();
        assert!(head.contains("x-request-tag: 1"), "{head}");
        assert!(
            head.contains(&format!(
                "authorization: bearer {}",
                SECRET.to_ascii_lowercase()
            )),
            "{head}"
        );
        assert!(!middleware.log().contains("SECRET"), "{}", middleware.log());
    })
    .await;
}

#[tokio::test]
async fn refused_connections_on_every_resend_are_proven_not_sent() {
    bounded(async {
        let url = format!("http://127.0.0.1:{}/v1/sign_in_tokens", refused_port());
        for sends in [1, 3] {
            for raw in [false, true] {
                let retry = Retry {
                    sends,
                    raw,
                    ..Retry::default()
                };
                let transport = ReqwestTransport::from(with(retry.clone()));
                let err = transport
                    .send(loopback::request(&url))
                    .await
                    .expect_err("nothing listens");
                let case = format!("sends={sends} raw={raw}: {err:?}");
                assert_eq!(err.kind(), TransportErrorKind::Connect, "{case}");
                assert!(err.is_request_not_sent(), "{case}");
                assert_eq!(retry.count.load(Ordering::SeqCst), sends as usize, "{case}");
                let text = shown(&err);
                assert!(
                    !text.contains("SECRET") && !text.contains("sign_in_tokens"),
                    "{text}"
                );
            }
        }
    })
    .await;
}

#[tokio::test]
async fn a_refused_resend_after_an_attempt_that_reached_the_server_may_have_been_sent() {
    bounded(async {
        // The first attempt arrives whole, then the connection closes
        // without an answer; every resend goes to a closed port.
        let (addr, requests) = loopback::request_server(|stream| async move { drop(stream) }).await;
        let elsewhere: reqwest::Url = format!("http://127.0.0.1:{}/", refused_port())
            .parse()
            .expect("url");
        for raw in [false, true] {
            let retry = Retry {
                sends: 2,
                then_to: Some(elsewhere.clone()),
                raw,
                ..Retry::default()
            };
            let transport = ReqwestTransport::from(with(retry));
            let err = transport
                .send(loopback::request(&format!(
                    "http://{addr}/v1/sign_in_tokens"
                )))
                .await
                .expect_err("no answer");
            // The last failure was a refused connection, but the first
            // attempt reached the server.
            assert_eq!(err.kind(), TransportErrorKind::Other, "raw={raw}: {err:?}");
            assert!(!err.is_request_not_sent(), "raw={raw}: {err:?}");
            assert!(err.to_string().contains("may have sent"), "{err}");
        }
        assert_eq!(requests.load(Ordering::SeqCst), 2);

        // So clerk-core does not send a create again: one request per call.
        requests.store(0, Ordering::SeqCst);
        let retry = Retry {
            sends: 2,
            then_to: Some(elsewhere),
            ..Retry::default()
        };
        let client = client(
            &format!("http://{addr}/v1"),
            ReqwestTransport::from(with(retry.clone())),
        );
        let err = client
            .create_sign_in_token(&CreateSignInTokenRequest::new("user_1"))
            .await
            .expect_err("no answer");
        assert!(!err.is_request_not_sent(), "{err:?}");
        assert_eq!(requests.load(Ordering::SeqCst), 1, "{err:?}");
        assert_eq!(retry.count.load(Ordering::SeqCst), 2);
    })
    .await;
}

#[tokio::test]
async fn the_deadline_covers_every_resend_of_a_retrying_middleware() {
    bounded(async {
        let (addr, requests) = loopback::request_server(|stream| async move {
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(stream);
        })
        .await;
        let retry = Retry {
            sends: 5,
            ..Retry::default()
        };
        let transport = ReqwestTransport::builder()
            .request_timeout(Duration::from_millis(400))
            .build_with_middleware(with(retry));
        let started = Instant::now();
        let err = transport
            .send(loopback::request(&format!(
                "http://{addr}/v1/sign_in_tokens"
            )))
            .await
            .expect_err("the server never answers");
        let took = started.elapsed();
        assert_eq!(err.kind(), TransportErrorKind::Timeout, "{err:?}");
        assert!(err.to_string().contains("400 ms"), "{err}");
        // Five sends of 400 ms each would take two seconds.
        assert!(took < Duration::from_millis(1200), "{took:?}");
        assert!(requests.load(Ordering::SeqCst) <= 2);
    })
    .await;
}

#[tokio::test]
async fn the_body_cap_and_the_cleartext_rule_hold_around_the_middleware() {
    bounded(async {
        let (addr, _) = canned(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789").await;
        let url = format!("http://{addr}/");
        let middleware = CountAndTag::default();
        let at_cap = ReqwestTransport::builder()
            .max_body_bytes(10)
            .build_with_middleware(with(middleware.clone()));
        let response = at_cap
            .send(loopback::request(&url))
            .await
            .expect("at the cap");
        assert_eq!(response.body().as_ref(), b"0123456789");
        let under = ReqwestTransport::builder()
            .max_body_bytes(9)
            .build_with_middleware(with(middleware.clone()));
        let err = under.send(loopback::request(&url)).await.expect_err("over");
        assert_eq!(err.kind(), TransportErrorKind::BodyTooLarge, "{err:?}");
        assert_eq!(middleware.count.load(Ordering::SeqCst), 2);

        let err = under
            .send(loopback::request(
                "http://api.clerk.example/v1/sign_in_tokens",
            ))
            .await
            .expect_err("cleartext to a remote host");
        assert_eq!(err.kind(), TransportErrorKind::InsecureScheme, "{err:?}");
        assert_eq!(
            middleware.count.load(Ordering::SeqCst),
            2,
            "refused before any middleware saw it"
        );
    })
    .await;
}

#[tokio::test]
async fn a_middlewares_own_failure_is_other_and_kept_unquoted() {
    bounded(async {
        let transport = ReqwestTransport::from(with(Refuse));
        let err = transport
            .send(loopback::request(&format!(
                "http://127.0.0.1:{}/v1/sign_in_tokens",
                refused_port()
            )))
            .await
            .expect_err("refused by the middleware");
        assert_eq!(err.kind(), TransportErrorKind::Other, "{err:?}");
        assert!(!err.is_request_not_sent() && !err.is_permanent());
        let text = shown(&err);
        assert!(
            !text.contains("SECRET")
                && !text.contains("sign_in_tokens")
                && !text.contains("circuit"),
            "{text}"
        );
        // The middleware's own words, on purpose.
        let theirs = err
            .find::<MiddlewareError>()
            .expect("kept")
            .get_ref()
            .to_string();
        assert!(
            theirs.starts_with("circuit open for http://127.0.0.1:"),
            "{theirs}"
        );
        assert!(theirs.contains("Sensitive"), "{theirs}");
    })
    .await;
}

#[test]
fn debug_shows_limits_not_the_client() {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "x-api-key",
        http::HeaderValue::from_str(&format!("Bearer {SECRET}")).expect("header"),
    );
    let reqwest = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client");
    let transport = ReqwestTransport::from(ClientWithMiddleware::from(reqwest));
    let shown = format!("{transport:?}");
    assert!(shown.contains("max_body_bytes"), "{shown}");
    assert!(shown.contains("middleware: true"), "{shown}");
    assert!(!shown.contains("SECRET"), "{shown}");
}
