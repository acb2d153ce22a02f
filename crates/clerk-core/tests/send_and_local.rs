//! Compile-time checks: client futures are `Send` over a `Send` transport,
//! and a transport that is not `Send` (it holds an `Rc`) works too.

mod common;

use std::rc::Rc;
use std::sync::Arc;

use clerk_core::test_util::MockTransport;
use clerk_core::{
    Client, CreateSignInTokenRequest, HttpRequest, HttpResponse, HttpTransport, LocalSendError,
    SendError, Timer, TransportErrorKind, transport_fn,
};
use common::*;

fn assert_send<T: Send>(_: &T) {}
fn assert_sync<T: Sync>(_: &T) {}

#[derive(Clone)]
struct SendTimer;
impl Timer for SendTimer {
    async fn sleep(&self, _: std::time::Duration) {}
}

#[test]
fn futures_are_send_with_a_send_transport() {
    let transport = Arc::new(MockTransport::new());
    let client = Client::builder(key())
        .timer(SendTimer)
        .build(transport.clone())
        .unwrap();
    assert_send(&client);
    assert_sync(&client);
    let input = CreateSignInTokenRequest::new("user_1");
    let create = client.create_sign_in_token(&input);
    assert_send(&create);
    let revoke = client.revoke_sign_in_token_with_http_info("sit_1");
    assert_send(&revoke);
    drop((create, revoke));

    // The same through a boxed, Send future, as a tokio::spawn would demand.
    let boxed: std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send>> =
        Box::pin(async move { client.revoke_sign_in_token("sit_1").await });
    transport.push_json(200, sentinel_token_json("revoked"));
    assert_eq!(
        futures_executor::block_on(boxed)
            .unwrap()
            .sign_in_token_id(),
        "sit_1"
    );
}

/// A browser-style transport: single-threaded, holds an `Rc`.
struct LocalTransport {
    calls: Rc<std::cell::Cell<u32>>,
}

impl HttpTransport for LocalTransport {
    type Error = SendError;
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Self::Error> {
        self.calls.set(self.calls.get() + 1);
        assert_eq!(request.uri().path(), "/v1/sign_in_tokens/sit_1/revoke");
        Ok(http::Response::new(bytes::Bytes::from(
            sentinel_token_json("revoked"),
        )))
    }
}

#[test]
fn a_transport_holding_an_rc_works() {
    let calls = Rc::new(std::cell::Cell::new(0));
    let client = Client::builder(key())
        .without_retries()
        .build(LocalTransport {
            calls: calls.clone(),
        })
        .unwrap();
    let token = futures_executor::block_on(client.revoke_sign_in_token("sit_1")).unwrap();
    assert_eq!(token.sign_in_token_id(), "sit_1");
    assert_eq!(calls.get(), 1);

    // And a closure capturing an Rc.
    let seen = Rc::new(std::cell::RefCell::new(Vec::new()));
    let seen2 = seen.clone();
    let transport = transport_fn(move |request: HttpRequest| {
        seen2.borrow_mut().push(request.uri().to_string());
        async {
            Ok::<_, SendError>(http::Response::new(bytes::Bytes::from(
                sentinel_token_json("pending"),
            )))
        }
    });
    let client = Client::builder(key())
        .without_retries()
        .build(transport)
        .unwrap();
    futures_executor::block_on(client.create_sign_in_token(&CreateSignInTokenRequest::new("u")))
        .unwrap();
    assert_eq!(*seen.borrow(), ["https://api.clerk.com/v1/sign_in_tokens"]);
}

#[test]
fn forwarding_impls() {
    fn is_transport<T: HttpTransport>(_: &T) {}
    fn is_blocking<T: clerk_core::BlockingHttpTransport>(_: &T) {}
    let t = MockTransport::new();
    is_transport(&&t);
    is_transport(&Arc::new(MockTransport::new()));
    is_transport(&Box::new(MockTransport::new()));
    is_transport(&Rc::new(MockTransport::new()));
    is_blocking(&&t);
    is_blocking(&Arc::new(MockTransport::new()));
    is_blocking(&Box::new(MockTransport::new()));
}

/// A failure whose cause is not `Send` (like a browser `JsValue`) keeps its
/// cause, and the client hands it back with the chain intact.
#[test]
fn a_transport_error_with_a_source_that_is_not_send() {
    #[derive(Debug)]
    struct JsLike(Rc<str>);
    impl std::fmt::Display for JsLike {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0)
        }
    }
    impl std::error::Error for JsLike {}

    let transport = transport_fn(|_request: HttpRequest| async {
        Err::<HttpResponse, _>(
            LocalSendError::local(TransportErrorKind::Connect, "fetch failed")
                .with_source(JsLike("TypeError: NetworkError".into())),
        )
    });
    let client = Client::builder(key())
        .without_retries()
        .build(transport)
        .unwrap();
    let err = futures_executor::block_on(client.revoke_sign_in_token("sit_1")).unwrap_err();
    assert!(err.is_request_not_sent());
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(&err);
    while let Some(e) = source {
        chain.push(e.to_string());
        source = e.source();
    }
    assert_eq!(chain.last().unwrap(), "TypeError: NetworkError");
    assert!(chain.iter().any(|m| m == "fetch failed"), "{chain:?}");
}
