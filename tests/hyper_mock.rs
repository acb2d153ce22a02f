//! Both operations, every success and error path, over real HTTP: the async
//! `Client` on `HyperTransport` against the mock Clerk, over HTTP/1.1 and
//! HTTP/2 (prior knowledge).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use clerk_core::{
    Client, CreateSignInTokenRequest, Error, HttpRequest, HttpTransport, RetryAfter,
    SignInTokenStatus, transport_fn,
};
use clerk_hyper::{HyperTransport, TokioTimer};
use clerk_mock::{
    DEFAULT_ACCOUNTS_URL, DEFAULT_EXPIRES_IN_SECONDS, MockClerk, MockServer, TokenStatus,
};
use clerk_test_support::e2e::*;
use clerk_test_support::hyper::*;
use http::StatusCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proto {
    Http1,
    Http2,
}

const PROTOCOLS: [Proto; 2] = [Proto::Http1, Proto::Http2];

fn transport(proto: Proto) -> HyperTransport {
    fast_transport()
        .http2_prior_knowledge(proto == Proto::Http2)
        .build()
        .expect("transport")
}

async fn start(mock: MockClerk) -> MockServer {
    mock.start().await.expect("mock Clerk")
}

async fn default_mock() -> MockServer {
    start(MockClerk::builder().no_rate_limit().build()).await
}

fn client_for(server: &MockServer, proto: Proto) -> Client<HyperTransport, TokioTimer> {
    client(&server.base_url(), transport(proto))
}

fn only_code<E>(err: &Error<E>) -> &str {
    let codes: Vec<&str> = err.codes().collect();
    assert_eq!(codes.len(), 1, "one Clerk error expected, got {codes:?}");
    codes[0]
}

#[tokio::test]
async fn create_returns_every_field() {
    bounded(async {
        let server = default_mock().await;
        for proto in PROTOCOLS {
            let client = client_for(&server, proto);
            let before = now_ms();
            let token = client
                .create_sign_in_token(&CreateSignInTokenRequest::new("user_fields"))
                .await
                .expect("create");
            let after = now_ms();

            assert_eq!(token.object, "sign_in_token");
            assert!(token.id.starts_with("sit_"), "{proto:?}: {}", token.id);
            assert_eq!(token.status, SignInTokenStatus::Pending);
            assert_eq!(token.user_id, "user_fields");
            let jwt = token.token.as_ref().expect("token").expose_secret();
            assert_eq!(jwt.split('.').count(), 3, "a JWT: {jwt}");
            let url = token.url.as_ref().expect("url").expose_secret();
            assert!(url.starts_with(DEFAULT_ACCOUNTS_URL), "{url}");
            assert!(url.ends_with(&format!("__clerk_ticket={jwt}")), "{url}");
            assert_eq!(token.created_at, token.updated_at);
            assert!(
                (before..=after).contains(&token.created_at.as_millis()),
                "created_at {} not in {before}..={after}",
                token.created_at.as_millis()
            );
            let shown = format!("{token:?}");
            assert!(!shown.contains(jwt), "Debug shows the token: {shown}");

            let stored = server.token(&token.id).expect("the mock stored it");
            assert_eq!(stored.status, TokenStatus::Pending);
            assert_eq!(stored.user_id, "user_fields");
            assert_eq!(stored.org_id, None);
            assert_eq!(stored.token.as_deref(), Some(jwt));
            assert_eq!(stored.url.as_deref(), Some(url));
            assert_eq!(
                stored.expires_at - stored.created_at,
                i64::try_from(DEFAULT_EXPIRES_IN_SECONDS).expect("fits") * 1000
            );
        }
        assert_eq!(server.request_counts().create, 2);
    })
    .await;
}

#[tokio::test]
async fn create_with_org_and_expiry() {
    bounded(async {
        let server = default_mock().await;
        for (proto, request, lifetime_ms) in [
            (
                Proto::Http1,
                CreateSignInTokenRequest::new("user_org")
                    .org_id("org_2acme")
                    .expires_in_seconds(600),
                600_000,
            ),
            (
                Proto::Http2,
                CreateSignInTokenRequest::new("user_org")
                    .org_id("org_2acme")
                    .expires_in(Duration::from_secs(90)),
                90_000,
            ),
        ] {
            let token = client_for(&server, proto)
                .create_sign_in_token(&request)
                .await
                .expect("create");
            assert_eq!(token.status, SignInTokenStatus::Pending);
            let stored = server.token(&token.id).expect("stored");
            assert_eq!(stored.org_id.as_deref(), Some("org_2acme"), "{proto:?}");
            assert_eq!(
                stored.expires_at - stored.created_at,
                lifetime_ms,
                "{proto:?}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn create_refused_by_clerk_for_a_blank_user_id() {
    bounded(async {
        let server = default_mock().await;
        for proto in PROTOCOLS {
            // Not empty, so the client sends it; Clerk finds no user id in it.
            let err = client_for(&server, proto)
                .create_sign_in_token(&CreateSignInTokenRequest::new("   "))
                .await
                .expect_err("blank user id");
            assert_eq!(err.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
            assert_eq!(only_code(&err), "form_param_missing");
            let api = err.as_api_error().expect("an API error");
            let meta = api.errors()[0].meta.as_ref().expect("meta");
            assert_eq!(meta["param_name"], "user_id");
            assert!(!err.is_retryable());
        }
        assert!(server.tokens().is_empty());
        assert_eq!(server.request_counts().create, 2, "422 is never retried");
    })
    .await;
}

#[tokio::test]
async fn empty_user_id_is_refused_before_sending() {
    bounded(async {
        let server = default_mock().await;
        let err = client_for(&server, Proto::Http1)
            .create_sign_in_token(&CreateSignInTokenRequest::new(""))
            .await
            .expect_err("empty user id");
        match &err {
            Error::InvalidInput(e) => assert_eq!(e.field(), "user_id"),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
        assert!(err.is_request_not_sent());
        let err = client_for(&server, Proto::Http1)
            .revoke_sign_in_token("")
            .await
            .expect_err("empty id");
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
        assert_eq!(server.request_count(), 0);
    })
    .await;
}

#[tokio::test]
async fn revoke_clears_token_and_url() {
    bounded(async {
        let server = default_mock().await;
        for proto in PROTOCOLS {
            let client = client_for(&server, proto);
            let created = client
                .create_sign_in_token(&CreateSignInTokenRequest::new("user_revoke"))
                .await
                .expect("create");
            let revoked = client
                .revoke_sign_in_token(&created.id)
                .await
                .expect("revoke");
            assert_eq!(
                revoked.sign_in_token().expect("Clerk answered").object,
                "sign_in_token"
            );
            assert_eq!(revoked.sign_in_token_id(), created.id);
            assert_eq!(revoked.status(), SignInTokenStatus::Revoked);
            assert_eq!(
                revoked.sign_in_token().expect("Clerk answered").user_id,
                "user_revoke"
            );
            assert!(
                revoked
                    .sign_in_token()
                    .expect("Clerk answered")
                    .token
                    .is_none(),
                "{proto:?}: token after revoke"
            );
            assert!(
                revoked
                    .sign_in_token()
                    .expect("Clerk answered")
                    .url
                    .is_none(),
                "{proto:?}: url after revoke"
            );
            assert_eq!(
                revoked.sign_in_token().expect("Clerk answered").created_at,
                created.created_at
            );
            assert!(
                revoked.sign_in_token().expect("Clerk answered").updated_at > created.updated_at
            );
            let stored = server.token(&created.id).expect("stored");
            assert_eq!(stored.status, TokenStatus::Revoked);
            assert_eq!(stored.token, None);
        }
    })
    .await;
}

#[tokio::test]
async fn revoke_refused_unless_pending() {
    bounded(async {
        let server = default_mock().await;
        for proto in PROTOCOLS {
            let client = client_for(&server, proto);
            let new_token = || async {
                client
                    .create_sign_in_token(&CreateSignInTokenRequest::new("user_states"))
                    .await
                    .expect("create")
                    .id
            };

            // Revoked already.
            let twice = new_token().await;
            client
                .revoke_sign_in_token(&twice)
                .await
                .expect("first revoke");
            let before = server.request_counts().revoke;
            let err = client
                .revoke_sign_in_token(&twice)
                .await
                .expect_err("second revoke");
            assert_eq!(
                server.request_counts().revoke - before,
                1,
                "a 400 is not retried"
            );
            assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));
            assert_eq!(only_code(&err), "sign_in_token_cannot_be_revoked_code");
            assert!(err.to_string().contains("status is revoked"), "{err}");
            assert!(!err.is_retryable());

            // Accepted: the user signed in with it.
            let accepted = new_token().await;
            assert!(server.mark_accepted(&accepted));
            let err = client
                .revoke_sign_in_token(&accepted)
                .await
                .expect_err("revoke accepted");
            assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));
            assert_eq!(only_code(&err), "sign_in_token_cannot_be_revoked_code");
            assert!(err.to_string().contains("status is accepted"), "{err}");
            assert_eq!(
                server.token(&accepted).expect("stored").status,
                TokenStatus::Accepted
            );

            // Expired (still `pending` on the wire, but past its lifetime).
            let expired = new_token().await;
            assert!(server.expire(&expired));
            let err = client
                .revoke_sign_in_token(&expired)
                .await
                .expect_err("revoke expired");
            assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));
            assert_eq!(only_code(&err), "sign_in_token_cannot_be_revoked_code");
            assert!(err.to_string().contains("status is expired"), "{err}");
        }
    })
    .await;
}

#[tokio::test]
async fn revoke_unknown_id_is_not_found() {
    bounded(async {
        let server = default_mock().await;
        for proto in PROTOCOLS {
            let client = client_for(&server, proto);
            // The second id would climb out of the path unless encoded; the
            // mock must see it as one (unknown) id on the revoke route.
            for id in ["sit_doesnotexist", "sit_x/../../users"] {
                let before = server.request_counts();
                let err = client
                    .revoke_sign_in_token(id)
                    .await
                    .expect_err("unknown id");
                assert_eq!(err.status(), Some(StatusCode::NOT_FOUND), "{id}");
                assert_eq!(only_code(&err), "resource_not_found");
                assert!(!err.is_retryable());
                let after = server.request_counts();
                assert_eq!(after.revoke - before.revoke, 1, "{id}: one revoke request");
                assert_eq!(after.other, before.other, "{id}: routed elsewhere");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn create_for_unknown_user_is_not_found() {
    bounded(async {
        let server = start(MockClerk::builder().users(["user_alice"]).build()).await;
        for proto in PROTOCOLS {
            let client = client_for(&server, proto);
            let err = client
                .create_sign_in_token(&CreateSignInTokenRequest::new("user_bob"))
                .await
                .expect_err("unknown user");
            assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
            assert_eq!(only_code(&err), "resource_not_found");
            let token = client
                .create_sign_in_token(&CreateSignInTokenRequest::new("user_alice"))
                .await
                .expect("known user");
            assert_eq!(token.user_id, "user_alice");
        }
        let tokens = server.tokens();
        assert_eq!(tokens.len(), 2);
        assert!(tokens.iter().all(|t| t.user_id == "user_alice"));
        assert_eq!(server.request_counts().create, 4, "404 is never retried");
    })
    .await;
}

#[tokio::test]
async fn wrong_secret_key_is_unauthorized() {
    bounded(async {
        let server = start(
            MockClerk::builder()
                .secret_keys(["sk_test_the_right_one"])
                .build(),
        )
        .await;
        for proto in PROTOCOLS {
            let client = client_for(&server, proto); // sends KEY, not configured
            let err = client
                .create_sign_in_token(&CreateSignInTokenRequest::new("user_1"))
                .await
                .expect_err("bad key");
            assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
            assert_eq!(only_code(&err), "authorization_invalid");
            assert!(!err.is_retryable());
            assert_no_secret(&err);

            let err = client
                .revoke_sign_in_token("sit_any")
                .await
                .expect_err("bad key");
            assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
            assert_eq!(only_code(&err), "authorization_invalid");
            assert_no_secret(&err);
        }
        assert!(server.tokens().is_empty());
        assert_eq!(server.request_count(), 4, "401 is never retried");

        let right =
            Client::builder(clerk_core::SecretKey::new("sk_test_the_right_one").expect("key"))
                .base_url(server.base_url())
                .timer(TokioTimer)
                .build(transport(Proto::Http1))
                .expect("client");
        right
            .create_sign_in_token(&CreateSignInTokenRequest::new("user_1"))
            .await
            .expect("the configured key works");
    })
    .await;
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    bounded(async {
        let server = start(
            MockClerk::builder()
                .rate_limit(2, Duration::from_secs(60))
                .build(),
        )
        .await;
        for proto in PROTOCOLS {
            server.reset_rate_limits();
            // Without retries the client reports the 429 instead of waiting.
            let client = Client::builder(key())
                .base_url(server.base_url())
                .without_retries()
                .build(transport(proto))
                .expect("client");
            let first = client
                .create_sign_in_token(&CreateSignInTokenRequest::new("user_rl"))
                .await
                .expect("within the limit");
            client
                .revoke_sign_in_token(&first.id)
                .await
                .expect("within the limit");

            for err in [
                client
                    .create_sign_in_token(&CreateSignInTokenRequest::new("user_rl"))
                    .await
                    .expect_err("over the limit"),
                client
                    .revoke_sign_in_token(&first.id)
                    .await
                    .expect_err("over the limit"),
            ] {
                assert_eq!(err.status(), Some(StatusCode::TOO_MANY_REQUESTS));
                assert_eq!(only_code(&err), "too_many_requests");
                assert!(err.is_retryable());
                match err.retry_after() {
                    Some(RetryAfter::Delay(d)) => {
                        assert!((1..=60).contains(&d.as_secs()), "{d:?}")
                    }
                    other => panic!("{proto:?}: expected a delay, got {other:?}"),
                }
                assert!(err.retry_after_delay().is_some());
                assert!(err.clerk_trace_id().is_some_and(is_trace_id));
            }
        }
        assert_eq!(server.tokens().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn with_http_info_returns_status_and_headers() {
    bounded(async {
        let server = default_mock().await;
        for proto in PROTOCOLS {
            let client = client_for(&server, proto);
            let created = client
                .create_sign_in_token_with_http_info(&CreateSignInTokenRequest::new("user_info"))
                .await
                .expect("create");
            assert_eq!(created.status, StatusCode::OK);
            assert_eq!(created.headers["content-type"], "application/json");
            let create_trace = created.headers[clerk_core::CLERK_TRACE_ID]
                .to_str()
                .expect("ascii")
                .to_owned();
            assert!(is_trace_id(&create_trace), "{create_trace}");
            assert_eq!(created.data.status, SignInTokenStatus::Pending);
            assert!(created.data.token.is_some());

            let revoked = client
                .revoke_sign_in_token_with_http_info(&created.data.id)
                .await
                .expect("revoke");
            assert_eq!(revoked.status, StatusCode::OK);
            assert_eq!(revoked.headers["content-type"], "application/json");
            let revoke_trace = revoked.headers["clerk-trace-id"].to_str().expect("ascii");
            assert!(is_trace_id(revoke_trace));
            assert_ne!(revoke_trace, create_trace, "one trace id per request");
            assert_eq!(revoked.data.id, created.data.id);
            assert_eq!(revoked.data.status, SignInTokenStatus::Revoked);
            assert!(revoked.data.token.is_none() && revoked.data.url.is_none());
        }
    })
    .await;
}

#[tokio::test]
async fn trace_id_surfaces_in_errors() {
    bounded(async {
        let server = start(MockClerk::builder().users(["user_alice"]).build()).await;
        for proto in PROTOCOLS {
            let client = client_for(&server, proto);
            let errors = [
                client
                    .revoke_sign_in_token_with_http_info("sit_missing")
                    .await
                    .expect_err("unknown token"),
                client
                    .create_sign_in_token_with_http_info(&CreateSignInTokenRequest::new(
                        "user_nobody",
                    ))
                    .await
                    .expect_err("unknown user"),
            ];
            for err in &errors {
                let id = err.clerk_trace_id().expect("a trace id");
                assert!(is_trace_id(id), "{id}");
                let api = err.as_api_error().expect("API error");
                assert_eq!(api.clerk_trace_id(), Some(id));
                assert!(
                    err.to_string().contains(&format!("(trace id {id})")),
                    "{err}"
                );
                assert_no_secret(err);
            }
            assert_ne!(errors[0].clerk_trace_id(), errors[1].clerk_trace_id());
        }
    })
    .await;
}

/// The protocol each response came back over, seen by wrapping the
/// transport the client drives.
#[tokio::test]
async fn both_protocols_are_really_used() {
    bounded(async {
        let server = default_mock().await;
        for (proto, expected) in [
            (Proto::Http1, http::Version::HTTP_11),
            (Proto::Http2, http::Version::HTTP_2),
        ] {
            let seen = Arc::new(Mutex::new(Vec::new()));
            let hyper = transport(proto);
            let record = Arc::clone(&seen);
            let recording = transport_fn(move |request: HttpRequest| {
                let hyper = hyper.clone();
                let record = Arc::clone(&record);
                async move {
                    let response = hyper.send(request).await?;
                    record.lock().expect("lock").push(response.version());
                    Ok::<_, clerk_hyper::Error>(response)
                }
            });
            let client = Client::builder(key())
                .base_url(server.base_url())
                .timer(TokioTimer)
                .build(recording)
                .expect("client");
            let token = client
                .create_sign_in_token(&CreateSignInTokenRequest::new("user_proto"))
                .await
                .expect("create");
            client
                .revoke_sign_in_token(&token.id)
                .await
                .expect("revoke");
            let err = client
                .revoke_sign_in_token(&token.id)
                .await
                .expect_err("again");
            assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));
            assert_eq!(*seen.lock().expect("lock"), vec![expected; 3], "{proto:?}");
        }
    })
    .await;
}
