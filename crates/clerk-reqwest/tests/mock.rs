//! `ReqwestTransport` against clerk-mock over loopback, and what it refuses
//! or reports before and after the exchange.

use std::time::Duration;

use clerk_core::{
    Client, CreateSignInTokenRequest, Error, HttpTransport, SignInTokenStatus, TransportError,
    TransportErrorKind,
};
use clerk_mock::{MockClerk, MockServer, TokenStatus};
use clerk_reqwest::{ReqwestTransport, TokioTimer};
use clerk_test_support::e2e::{KEY_MARK, assert_no_secret, bounded, key, quick_retries};
use clerk_test_support::loopback::{self, SECRET, canned};

async fn mock() -> MockServer {
    MockClerk::builder()
        .no_rate_limit()
        .build()
        .start()
        .await
        .expect("mock")
}

fn client(base_url: &str, transport: ReqwestTransport) -> Client<ReqwestTransport, TokioTimer> {
    Client::builder(key())
        .base_url(base_url)
        .retry_policy(quick_retries())
        .timer(TokioTimer)
        .build(transport)
        .expect("client")
}

fn loopback_only() -> reqwest::ClientBuilder {
    reqwest::Client::builder().no_proxy()
}

#[tokio::test]
async fn create_and_revoke_over_http1_and_http2() {
    bounded(async {
        let server = mock().await;
        let http1 = loopback_only().http1_only().build().expect("http1");
        let http2 = loopback_only()
            .http2_prior_knowledge()
            .build()
            .expect("h2c");
        for (reqwest, version) in [
            (http1, http::Version::HTTP_11),
            (http2, http::Version::HTTP_2),
        ] {
            let transport = ReqwestTransport::from(reqwest);
            // The mock refuses the key, but the answer shows the protocol.
            let probe = transport
                .send(loopback::request(&format!(
                    "{}/sign_in_tokens",
                    server.base_url()
                )))
                .await
                .expect("probe");
            assert_eq!(probe.version(), version);
            let client = client(&server.base_url(), transport);
            let created = client
                .create_sign_in_token_with_http_info(
                    &CreateSignInTokenRequest::new("user_reqwest").expires_in_seconds(600),
                )
                .await
                .expect("create");
            assert_eq!(created.status, http::StatusCode::OK);
            let token = created.data;
            assert_eq!(token.status, SignInTokenStatus::Pending);
            assert_eq!(token.user_id, "user_reqwest");
            assert!(token.token.is_some() && token.url.is_some());
            let revoked = client
                .revoke_sign_in_token(&token.id)
                .await
                .expect("revoke");
            assert_eq!(revoked.status(), SignInTokenStatus::Revoked);
            assert!(
                revoked
                    .sign_in_token()
                    .expect("Clerk answered")
                    .token
                    .is_none()
            );
            let stored = server.token(&token.id).expect("stored");
            assert_eq!(stored.status, TokenStatus::Revoked);
        }
    })
    .await;
}

#[tokio::test]
async fn the_default_transport_reaches_the_mock() {
    bounded(async {
        let server = mock().await;
        let client = client(
            &server.base_url(),
            ReqwestTransport::builder().build_with(loopback_only().build().expect("client")),
        );
        let token = client
            .create_sign_in_token(&CreateSignInTokenRequest::new("user_1"))
            .await
            .expect("create");
        assert_eq!(
            server.token(&token.id).expect("stored").status,
            TokenStatus::Pending
        );
    })
    .await;
}

#[tokio::test]
async fn clerk_errors_come_back_typed_and_without_the_key() {
    bounded(async {
        let server = mock().await;
        let client = client(
            &server.base_url(),
            ReqwestTransport::from(loopback_only().build().expect("client")),
        );
        let err = client
            .revoke_sign_in_token("sit_does_not_exist")
            .await
            .expect_err("unknown id");
        match &err {
            Error::Api(api) => assert_eq!(api.status(), http::StatusCode::NOT_FOUND),
            other => panic!("expected a Clerk error, got {other:?}"),
        }
        assert_no_secret(&err);
    })
    .await;
}

#[tokio::test]
async fn a_refused_connection_was_not_sent() {
    bounded(async {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").port()
        };
        let transport = ReqwestTransport::from(loopback_only().build().expect("client"));
        let err = transport
            .send(loopback::request(&format!(
                "http://127.0.0.1:{port}/v1/sign_in_tokens"
            )))
            .await
            .expect_err("nothing listens");
        assert_eq!(err.kind(), TransportErrorKind::Connect, "{err:?}");
        assert!(err.is_request_not_sent());
        assert!(!err.is_timeout() && !err.is_permanent());
        let shown = format!("{err} / {err:?}");
        // reqwest keeps the URL in its errors; this transport drops it.
        assert!(
            !shown.contains("SECRET") && !shown.contains("sign_in_tokens"),
            "{shown}"
        );
    })
    .await;
}

#[tokio::test]
async fn plain_http_to_a_remote_host_is_refused_before_connecting() {
    bounded(async {
        let transport = ReqwestTransport::from(loopback_only().build().expect("client"));
        let err = transport
            .send(loopback::request(
                "http://api.clerk.example/v1/sign_in_tokens",
            ))
            .await
            .expect_err("cleartext to a remote host");
        assert_eq!(err.kind(), TransportErrorKind::InsecureScheme, "{err:?}");
        assert!(err.to_string().contains("`api.clerk.example`"), "{err}");
        assert!(err.is_request_not_sent() && err.is_permanent());
        let allowed = ReqwestTransport::builder()
            .allow_insecure_http(true)
            .request_timeout(Duration::from_millis(300))
            .build_with(loopback_only().build().expect("client"));
        let err = allowed
            .send(loopback::request(
                "http://api.clerk.example/v1/sign_in_tokens",
            ))
            .await
            .expect_err("the name does not resolve");
        assert_ne!(err.kind(), TransportErrorKind::InsecureScheme, "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn the_body_cap_holds_at_its_limit() {
    bounded(async {
        let (addr, _) = canned(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789").await;
        let url = format!("http://{addr}/");
        let at_cap = ReqwestTransport::builder()
            .max_body_bytes(10)
            .build_with(loopback_only().build().expect("client"));
        let response = at_cap.send(loopback::request(&url)).await.expect("at the cap");
        assert_eq!(response.body().as_ref(), b"0123456789");

        let under = ReqwestTransport::builder()
            .max_body_bytes(9)
            .build_with(loopback_only().build().expect("client"));
        let err = under.send(loopback::request(&url)).await.expect_err("over");
        assert_eq!(err.kind(), TransportErrorKind::BodyTooLarge, "{err:?}");

        // No Content-Length: the cap is met while reading.
        let (addr, _) = canned(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n").await;
        let err = under
            .send(loopback::request(&format!("http://{addr}/")))
            .await
            .expect_err("over, undeclared");
        assert_eq!(err.kind(), TransportErrorKind::BodyTooLarge, "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn debug_shows_limits_not_the_client() {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "x-api-key",
        http::HeaderValue::from_str(&format!("Bearer {SECRET}")).expect("header"),
    );
    let reqwest = loopback_only()
        .default_headers(headers)
        .build()
        .expect("client");
    let transport = ReqwestTransport::from(reqwest);
    let shown = format!("{transport:?}");
    assert!(shown.contains("max_body_bytes"), "{shown}");
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(!shown.contains(KEY_MARK), "{shown}");
}

#[tokio::test]
async fn the_one_liner_is_ready_to_retry() {
    let client = clerk_reqwest::client(key()).expect("client");
    assert_eq!(client.retry_policy(), &clerk_core::RetryPolicy::default());
    assert_eq!(
        client.transport().request_timeout(),
        Some(clerk_core::DEFAULT_REQUEST_TIMEOUT)
    );
    assert!(!format!("{client:?}").contains(KEY_MARK));
}

#[tokio::test]
async fn a_deadline_after_the_request_arrived_is_a_timeout_that_may_have_been_sent() {
    bounded(async {
        // Reads the whole request, then holds the connection without a word.
        let (addr, requests) = loopback::request_server(|stream| async move {
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(stream);
        })
        .await;
        let transport = ReqwestTransport::builder()
            .request_timeout(Duration::from_millis(300))
            .build_with(loopback_only().build().expect("client"));
        let err = transport
            .send(loopback::request(&format!(
                "http://{addr}/v1/sign_in_tokens"
            )))
            .await
            .expect_err("the server never answers");
        assert_eq!(err.kind(), TransportErrorKind::Timeout, "{err:?}");
        assert!(err.to_string().contains("300 ms"), "{err}");
        assert!(err.is_timeout(), "{err:?}");
        assert!(!err.is_request_not_sent(), "the server read it: {err:?}");
        assert!(!err.is_permanent());
        assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 1);
        let shown = format!("{err} / {err:?}");
        assert!(
            !shown.contains("SECRET") && !shown.contains("sign_in_tokens"),
            "{shown}"
        );
    })
    .await;
}

/// The client's futures are `Send`: they run on a multi-threaded runtime's
/// spawned tasks (a compile-time check as much as a run).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_runs_on_spawned_tasks() {
    bounded(async {
        let server = mock().await;
        let client = std::sync::Arc::new(client(
            &server.base_url(),
            ReqwestTransport::from(loopback_only().build().expect("client")),
        ));
        let tasks: Vec<_> = (0..4)
            .map(|i| {
                let client = std::sync::Arc::clone(&client);
                tokio::spawn(async move {
                    let created = client
                        .create_sign_in_token(&CreateSignInTokenRequest::new(format!("user_{i}")))
                        .await?;
                    client.revoke_sign_in_token(&created.id).await
                })
            })
            .collect();
        for task in tasks {
            let revoked = task.await.expect("task").expect("create and revoke");
            assert_eq!(
                server
                    .token(revoked.sign_in_token_id())
                    .expect("stored")
                    .status,
                TokenStatus::Revoked
            );
        }
    })
    .await;
}
