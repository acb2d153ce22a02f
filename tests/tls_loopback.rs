//! HTTPS on loopback: certificates made at test time with rcgen, a small
//! tokio-rustls + hyper server with a fixed Clerk answer, and the async
//! client on `HyperTransport` trusting the test CA.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use clerk_core::{CreateSignInTokenRequest, Error, SignInTokenStatus, TransportError};
use clerk_hyper::HyperTransport;
use clerk_test_support::certs::Ca as TestCa;
use clerk_test_support::e2e::*;
use clerk_test_support::hyper::*;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};

const TOKEN_JSON: &str = r#"{"object":"sign_in_token","id":"sit_tls_fixed","status":"pending","user_id":"user_tls","token":"eyJhbGciOiJub25lIn0.e30.c2ln","url":"https://accounts.example.test/sign-in?__clerk_ticket=eyJhbGciOiJub25lIn0.e30.c2ln","created_at":1700000000000,"updated_at":1700000000000}"#;
const TRACE_ID: &str = "0123456789abcdef0123456789abcdef";

/// What the server saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    method: http::Method,
    path: String,
    version: http::Version,
    authorization: Option<String>,
    body: Bytes,
}

struct TlsServer {
    addr: SocketAddr,
    handshakes: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Seen>>>,
}

/// An HTTPS server on 127.0.0.1 (h2 or http/1.1 by ALPN) that answers every
/// request with [`TOKEN_JSON`]. It lives as long as the test's runtime.
async fn tls_server(ca: &TestCa, names: &[&str]) -> TlsServer {
    let config = ca
        .leaf(names)
        .server_config_with_alpn(&[b"h2", b"http/1.1"]);
    let acceptor = tokio_rustls::TlsAcceptor::from(config);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let handshakes = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (count, log) = (Arc::clone(&handshakes), Arc::clone(&requests));
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                // A refused handshake is what some tests are about.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |req| answer(req, Arc::clone(&log)));
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    TlsServer {
        addr,
        handshakes,
        requests,
    }
}

async fn answer(
    req: http::Request<Incoming>,
    log: Arc<Mutex<Vec<Seen>>>,
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    log.lock().expect("lock").push(Seen {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        version: parts.version,
        authorization: parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body,
    });
    let response = http::Response::builder()
        .header("content-type", "application/json")
        .header("clerk-trace-id", TRACE_ID)
        .body(Full::new(Bytes::from_static(TOKEN_JSON.as_bytes())))
        .expect("response");
    Ok(response)
}

fn trusting(ca: &TestCa) -> HyperTransport {
    fast_transport()
        .tls_built_in_roots(false)
        .add_root_certificate(ca.cert.clone())
        .build()
        .expect("transport")
}

fn https_base(addr: SocketAddr) -> String {
    format!("https://localhost:{}/v1", addr.port())
}

#[tokio::test]
async fn create_over_https_with_a_private_ca() {
    bounded(async {
        let ca = TestCa::new("clerk e2e test CA");
        let server = tls_server(&ca, &["localhost"]).await;
        let client = client(&https_base(server.addr), trusting(&ca));

        let info = client
            .create_sign_in_token_with_http_info(
                &CreateSignInTokenRequest::new("user_tls").expires_in_seconds(60),
            )
            .await
            .expect("create over TLS");
        assert_eq!(info.status, http::StatusCode::OK);
        assert_eq!(info.headers["clerk-trace-id"], TRACE_ID);
        let token = info.data;
        assert_eq!(token.id, "sit_tls_fixed");
        assert_eq!(token.status, SignInTokenStatus::Pending);
        assert_eq!(token.user_id, "user_tls");
        assert_eq!(
            token.token.as_ref().map(|t| t.expose_secret()),
            Some("eyJhbGciOiJub25lIn0.e30.c2ln")
        );
        assert!(token.url.is_some());
        assert_eq!(token.created_at.as_millis(), 1_700_000_000_000);

        let revoke_path_answer = client
            .revoke_sign_in_token("sit_tls_fixed")
            .await
            .expect("the fixed answer parses for revoke too");
        assert_eq!(revoke_path_answer.sign_in_token_id(), "sit_tls_fixed");

        let seen = server.requests.lock().expect("lock").clone();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].method, http::Method::POST);
        assert_eq!(seen[0].path, "/v1/sign_in_tokens");
        assert_eq!(
            seen[0].authorization.as_deref(),
            Some(format!("Bearer {KEY}").as_str())
        );
        let body: serde_json::Value = serde_json::from_slice(&seen[0].body).expect("JSON body");
        assert_eq!(
            body,
            serde_json::json!({"user_id": "user_tls", "expires_in_seconds": 60})
        );
        assert_eq!(seen[1].path, "/v1/sign_in_tokens/sit_tls_fixed/revoke");
        assert!(seen[1].body.is_empty());
        // Both offered by ALPN; the client negotiates HTTP/2.
        assert!(
            seen.iter().all(|s| s.version == http::Version::HTTP_2),
            "{seen:?}"
        );
        // One pooled connection carried both requests.
        assert_eq!(server.handshakes.load(Ordering::SeqCst), 1);
    })
    .await;
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused() {
    bounded(async {
        let ca = TestCa::new("clerk e2e test CA");
        let server = tls_server(&ca, &["api.other.test"]).await;
        let client = client(&https_base(server.addr), trusting(&ca));

        let err = client
            .create_sign_in_token(&CreateSignInTokenRequest::new("user_tls"))
            .await
            .expect_err("wrong name");
        let Error::Transport(failure) = &err else {
            panic!("expected a transport error, got {err:?}");
        };
        assert_eq!(
            failure.kind(),
            clerk_core::TransportErrorKind::Certificate,
            "{:?}",
            failure.get_ref()
        );
        assert!(failure.get_ref().is_request_not_sent());
        assert!(err.is_request_not_sent());
        assert!(!err.is_timeout());
        assert_eq!(err.status(), None);
        assert_no_secret(&err);
        assert!(
            server.requests.lock().expect("lock").is_empty(),
            "no request got through"
        );
        // Nothing was sent, but a refused certificate is refused again
        // however often it is tried: the failure is permanent, one handshake.
        assert!(failure.is_permanent());
        assert!(!err.is_retryable());
        assert_eq!(server.handshakes.load(Ordering::SeqCst), 1);
    })
    .await;
}

#[tokio::test]
async fn a_certificate_from_an_untrusted_ca_is_refused() {
    bounded(async {
        let trusted = TestCa::new("trusted test CA");
        let stranger = TestCa::new("some other CA");
        let server = tls_server(&stranger, &["localhost"]).await;
        let client = client(&https_base(server.addr), trusting(&trusted));

        let err = client
            .revoke_sign_in_token("sit_1")
            .await
            .expect_err("unknown issuer");
        let Error::Transport(failure) = &err else {
            panic!("expected a transport error, got {err:?}");
        };
        assert_eq!(failure.kind(), clerk_core::TransportErrorKind::Certificate);
        assert!(err.is_request_not_sent());
        assert!(server.requests.lock().expect("lock").is_empty());
    })
    .await;
}
