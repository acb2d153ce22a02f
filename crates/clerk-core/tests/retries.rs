//! Retry decisions, driven through the clients with a fake timer that records
//! every wait.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use clerk_core::test_util::{MockTransport, MockTransportError};
use clerk_core::{
    Client, CreateSignInTokenRequest, Operation, RetryDecision, RetryPolicy, Timer, response,
};
use common::*;

#[derive(Clone, Default)]
struct FakeTimer(Rc<RefCell<Vec<Duration>>>);

impl Timer for FakeTimer {
    async fn sleep(&self, duration: Duration) {
        self.0.borrow_mut().push(duration);
    }
}

fn error_json(code: &str) -> String {
    format!(r#"{{"errors":[{{"message":"m","long_message":"lm","code":"{code}"}}]}}"#)
}

fn too_many(transport: &MockTransport, retry_after: &str) {
    let r = http::Response::builder()
        .status(429)
        .header("content-type", "application/json")
        .header("retry-after", retry_after)
        .body(bytes::Bytes::from(error_json("too_many_requests")))
        .unwrap();
    transport.push_response(r);
}

fn client<'a>(
    transport: &'a MockTransport,
    timer: &FakeTimer,
) -> Client<&'a MockTransport, FakeTimer> {
    Client::builder(key())
        .timer(timer.clone())
        .build(transport)
        .unwrap()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    futures_executor::block_on(f)
}

#[test]
fn create_honours_retry_after_then_succeeds() {
    let transport = MockTransport::new();
    let timer = FakeTimer::default();
    too_many(&transport, "2");
    too_many(&transport, "1");
    transport.push_json(200, sentinel_token_json("pending"));
    let token = block_on(
        client(&transport, &timer).create_sign_in_token(&CreateSignInTokenRequest::new("user_1")),
    )
    .unwrap();
    assert_eq!(token.id, "sit_1");
    assert_eq!(transport.requests().len(), 3);
    // What the server asked, plus at most the policy's 500 ms of jitter.
    let waits = timer.0.borrow();
    let jitter = RetryPolicy::default().retry_after_jitter();
    for (wait, asked) in waits.iter().zip([2, 1]) {
        let asked = Duration::from_secs(asked);
        assert!(*wait >= asked && *wait <= asked + jitter, "{waits:?}");
    }
    assert_eq!(waits.len(), 2);
}

#[test]
fn create_is_not_retried_after_it_may_have_been_sent() {
    for push in [
        |t: &MockTransport| {
            t.push_json(503, error_json("service_unavailable"));
        },
        |t: &MockTransport| {
            t.push_json(500, error_json("internal"));
        },
        |t: &MockTransport| {
            t.push_error(MockTransportError::ConnectionReset);
        },
        |t: &MockTransport| {
            t.push_error(MockTransportError::Timeout);
        },
    ] {
        let transport = MockTransport::new();
        let timer = FakeTimer::default();
        push(&transport);
        transport.push_json(200, sentinel_token_json("pending"));
        let err = block_on(
            client(&transport, &timer)
                .create_sign_in_token(&CreateSignInTokenRequest::new("user_1")),
        )
        .unwrap_err();
        assert!(err.is_retryable());
        assert_eq!(transport.requests().len(), 1, "{err}");
        assert!(timer.0.borrow().is_empty());
    }
}

#[test]
fn create_retried_when_known_not_sent_with_jittered_backoff() {
    let transport = MockTransport::new();
    let timer = FakeTimer::default();
    transport.push_error(MockTransportError::ConnectionRefused);
    transport.push_error(MockTransportError::ConnectionRefused);
    transport.push_error(MockTransportError::ConnectionRefused);
    let err = block_on(
        client(&transport, &timer).create_sign_in_token(&CreateSignInTokenRequest::new("user_1")),
    )
    .unwrap_err();
    assert!(err.is_request_not_sent());
    // Default policy: 2 retries, so 3 attempts and 2 waits.
    assert_eq!(transport.requests().len(), 3);
    let waits = timer.0.borrow();
    assert_eq!(waits.len(), 2);
    assert!(waits[0] <= Duration::from_millis(500), "{waits:?}");
    assert!(waits[1] <= Duration::from_millis(1000), "{waits:?}");
}

#[test]
fn revoke_retries_5xx_and_transport_failures_up_to_the_limit() {
    let transport = MockTransport::new();
    let timer = FakeTimer::default();
    transport.push_json(503, error_json("service_unavailable"));
    transport.push_error(MockTransportError::ConnectionReset);
    transport.push_json(200, sentinel_token_json("revoked"));
    let token = block_on(client(&transport, &timer).revoke_sign_in_token("sit_1")).unwrap();
    assert_eq!(token.sign_in_token_id(), "sit_1");
    assert_eq!(transport.requests().len(), 3);
    assert_eq!(timer.0.borrow().len(), 2);

    // A storm: stops at the policy's limit.
    let transport = MockTransport::new();
    let timer = FakeTimer::default();
    for _ in 0..10 {
        transport.push_json(502, error_json("bad_gateway"));
    }
    let c = Client::builder(key())
        .timer(timer.clone())
        .retry_policy(RetryPolicy::default().with_max_retries(4))
        .build(&transport)
        .unwrap();
    let err = block_on(c.revoke_sign_in_token("sit_1")).unwrap_err();
    assert_eq!(err.status(), Some(http::StatusCode::BAD_GATEWAY));
    assert_eq!(transport.requests().len(), 5);
    let waits = timer.0.borrow();
    for (i, w) in waits.iter().enumerate() {
        assert!(
            *w <= Duration::from_millis(500) * 2u32.pow(i as u32),
            "{i}: {w:?}"
        );
    }
}

#[test]
fn permanent_transport_failures_are_not_retried() {
    let transport = MockTransport::new();
    let timer = FakeTimer::default();
    transport.push_error(MockTransportError::Refused);
    transport.push_json(200, sentinel_token_json("revoked"));
    let err = block_on(client(&transport, &timer).revoke_sign_in_token("sit_1")).unwrap_err();
    assert!(!err.is_retryable());
    assert!(err.is_request_not_sent());
    assert_eq!(transport.requests().len(), 1);
    assert!(timer.0.borrow().is_empty());
}

#[test]
fn client_errors_are_not_retried() {
    for status in [400, 401, 403, 404, 422] {
        let transport = MockTransport::new();
        let timer = FakeTimer::default();
        transport.push_json(status, error_json("nope"));
        let err = block_on(client(&transport, &timer).revoke_sign_in_token("sit_1")).unwrap_err();
        assert_eq!(err.status().unwrap().as_u16(), status);
        assert_eq!(transport.requests().len(), 1);
    }
}

#[test]
fn long_retry_after_fails_fast() {
    let transport = MockTransport::new();
    let timer = FakeTimer::default();
    too_many(&transport, "86400");
    transport.push_json(200, sentinel_token_json("pending"));
    let err = block_on(
        client(&transport, &timer).create_sign_in_token(&CreateSignInTokenRequest::new("user_1")),
    )
    .unwrap_err();
    assert_eq!(err.retry_after_delay(), Some(Duration::from_secs(86_400)));
    assert_eq!(transport.requests().len(), 1);
    assert!(timer.0.borrow().is_empty());
}

#[test]
fn garbage_retry_after_falls_back_to_backoff() {
    let transport = MockTransport::new();
    let timer = FakeTimer::default();
    too_many(&transport, "-3");
    transport.push_json(200, sentinel_token_json("pending"));
    block_on(
        client(&transport, &timer).create_sign_in_token(&CreateSignInTokenRequest::new("user_1")),
    )
    .unwrap();
    let waits = timer.0.borrow();
    assert_eq!(waits.len(), 1);
    assert!(waits[0] <= Duration::from_millis(500));
}

#[test]
fn without_retries_says_so_and_does_not_retry() {
    let transport = MockTransport::new();
    too_many(&transport, "1");
    transport.push_json(200, sentinel_token_json("pending"));
    // A retry policy given before (or after) the choice cannot make it lie.
    let c = Client::builder(key())
        .retry_policy(RetryPolicy::new().with_max_retries(5))
        .without_retries()
        .retry_policy(RetryPolicy::new().with_max_retries(5))
        .build(&transport)
        .unwrap();
    assert_eq!(c.retry_policy().max_retries(), 0);
    let c = c.with_retry_policy(RetryPolicy::new().with_max_retries(5));
    assert_eq!(c.retry_policy().max_retries(), 0);
    let err = block_on(c.create_sign_in_token(&CreateSignInTokenRequest::new("u"))).unwrap_err();
    assert_eq!(err.status(), Some(http::StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(transport.requests().len(), 1);

    // Client::new with an explicit timer that cannot sleep is just as honest.
    let c = Client::new(config(), &transport, clerk_core::NoTimer);
    assert_eq!(c.retry_policy().max_retries(), 0);
}

/// The async client (with a timer) and the blocking client, both from the
/// same builder defaults, follow the same policy and make the same attempts.
#[test]
fn async_and_blocking_clients_share_default_behaviour() {
    fn async_client(t: &MockTransport) -> Client<&MockTransport, FakeTimer> {
        Client::builder(key())
            .timer(FakeTimer::default())
            .build(t)
            .unwrap()
    }
    fn blocking_client(t: &MockTransport) -> clerk_core::BlockingClient<&MockTransport> {
        Client::builder(key()).build_blocking(t).unwrap()
    }
    let unused = MockTransport::new();
    assert_eq!(
        async_client(&unused).retry_policy(),
        blocking_client(&unused).retry_policy()
    );
    assert_eq!(
        async_client(&unused).retry_policy(),
        &RetryPolicy::default()
    );

    // `Retry-After: 0` keeps the blocking client's real thread sleep at zero.
    let overloaded = |status: u16| {
        let transport = MockTransport::new();
        for _ in 0..5 {
            transport.push_response(
                http::Response::builder()
                    .status(status)
                    .header("retry-after", "0")
                    .body(bytes::Bytes::from(error_json("busy")))
                    .unwrap(),
            );
        }
        transport
    };
    for status in [429, 503] {
        let a = overloaded(status);
        let b = overloaded(status);
        let async_err = block_on(async_client(&a).revoke_sign_in_token("sit_1")).unwrap_err();
        let blocking_err = blocking_client(&b)
            .revoke_sign_in_token("sit_1")
            .unwrap_err();
        assert_eq!(async_err.status(), blocking_err.status());
        // One attempt plus the default two retries, for both.
        assert_eq!(a.requests().len(), 3, "async, {status}");
        assert_eq!(b.requests().len(), 3, "blocking, {status}");
    }
    let a = overloaded(429);
    let b = overloaded(429);
    let input = CreateSignInTokenRequest::new("u");
    block_on(async_client(&a).create_sign_in_token(&input)).unwrap_err();
    blocking_client(&b)
        .create_sign_in_token(&input)
        .unwrap_err();
    assert_eq!((a.requests().len(), b.requests().len()), (3, 3));
}

#[test]
fn blocking_client_retries_with_its_timer() {
    let transport = MockTransport::new();
    transport.push_json(503, error_json("service_unavailable"));
    transport.push_json(200, sentinel_token_json("revoked"));
    let waits = RefCell::new(Vec::new());
    let c = Client::builder(key())
        .build_blocking(&transport)
        .unwrap()
        .with_timer(|d: Duration| waits.borrow_mut().push(d));
    c.revoke_sign_in_token("sit_1").unwrap();
    assert_eq!(waits.borrow().len(), 1);
    assert_eq!(transport.requests().len(), 2);
}

#[test]
fn invalid_input_never_reaches_the_transport() {
    let transport = MockTransport::new();
    let timer = FakeTimer::default();
    let err = block_on(client(&transport, &timer).revoke_sign_in_token("..")).unwrap_err();
    assert!(matches!(err, clerk_core::Error::InvalidInput(_)));
    assert!(transport.requests().is_empty());
}

#[test]
fn the_pure_decision_table() {
    let policy = RetryPolicy::default();
    let reply =
        |status: u16| response::sign_in_token(&json_response(status, error_json("x"))).unwrap_err();
    let create = Operation::CreateSignInToken;
    let revoke = Operation::RevokeSignInToken;
    for (op, status, retry) in [
        (create, 429, true),
        (create, 500, false),
        (create, 503, false),
        (revoke, 408, true),
        (revoke, 429, true),
        (revoke, 500, true),
        (revoke, 501, false),
        (revoke, 502, true),
        (revoke, 503, true),
        (revoke, 504, true),
        (revoke, 400, false),
        (revoke, 404, false),
    ] {
        let d = policy.decide(op, 0, &reply(status), u64::MAX);
        assert_eq!(
            matches!(d, RetryDecision::Retry(_)),
            retry,
            "{op:?} {status}"
        );
    }
    // Full jitter: the random value picks within 0..=ceiling.
    let e = reply(503);
    assert_eq!(
        policy.decide(revoke, 0, &e, 0),
        RetryDecision::Retry(Duration::ZERO)
    );
    assert_eq!(
        policy.decide(revoke, 1, &e, 1_000_000),
        RetryDecision::Retry(Duration::from_micros(1_000_000))
    );
    assert_eq!(
        policy.decide(revoke, 1, &e, 1_000_001),
        RetryDecision::Retry(Duration::ZERO)
    );
    assert_eq!(policy.decide(revoke, 2, &e, 0), RetryDecision::Stop);
}
