//! The client's side of the transport contract, on a fake clock: the jitter
//! seeded from the platform's entropy, the random extra on `Retry-After`,
//! the whole-call deadline, and a revoke whose answer was lost.

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use clerk_core::test_util::{MockTransport, MockTransportError};
use clerk_core::{
    BlockingHttpTransport, BlockingTimer, Client, CreateSignInTokenRequest, Error, HttpRequest,
    HttpResponse, HttpTransport, Revocation, SendError, SignInTokenStatus, Timer,
    TransportErrorKind,
};
use common::*;

/// A clock that moves only when the client sleeps or a fake transport
/// spends time, and a fixed seed.
#[derive(Clone)]
struct FakeClock {
    now: Rc<Cell<Duration>>,
    waits: Rc<RefCell<Vec<Duration>>>,
    seed: u64,
}

impl FakeClock {
    fn new(seed: u64) -> Self {
        Self {
            now: Rc::new(Cell::new(Duration::from_secs(1000))),
            waits: Rc::default(),
            seed,
        }
    }

    fn advance(&self, by: Duration) {
        self.now.set(self.now.get() + by);
    }

    fn waits(&self) -> Vec<Duration> {
        self.waits.borrow().clone()
    }
}

impl Timer for FakeClock {
    async fn sleep(&self, duration: Duration) {
        self.waits.borrow_mut().push(duration);
        self.advance(duration);
    }
    fn now(&self) -> Option<Duration> {
        Some(self.now.get())
    }
    fn random_seed(&self) -> u64 {
        self.seed
    }
}

impl BlockingTimer for FakeClock {
    fn sleep(&self, duration: Duration) {
        self.waits.borrow_mut().push(duration);
        self.advance(duration);
    }
    fn now(&self) -> Option<Duration> {
        Some(self.now.get())
    }
    fn random_seed(&self) -> u64 {
        self.seed
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    futures_executor::block_on(f)
}

fn refused_three_times() -> MockTransport {
    let transport = MockTransport::new();
    for _ in 0..3 {
        transport.push_error(MockTransportError::ConnectionRefused);
    }
    transport
}

fn backoff_waits(seed: u64) -> Vec<Duration> {
    let clock = FakeClock::new(seed);
    let transport = refused_three_times();
    let client = Client::builder(key())
        .timer(clock.clone())
        .build(&transport)
        .unwrap();
    let _ = block_on(client.create_sign_in_token(&CreateSignInTokenRequest::new("user_1")));
    clock.waits()
}

/// Defect: on wasm32-unknown-unknown every module instance drew the same
/// waits, because the jitter was seeded from `std`, which has no entropy
/// there. Now the timer's platform entropy seeds it.
#[test]
fn the_jitter_is_seeded_by_the_timer_entropy() {
    assert_eq!(backoff_waits(7), backoff_waits(7), "same seed, same waits");
    assert_ne!(
        backoff_waits(7),
        backoff_waits(8),
        "other seed, other waits"
    );
    // And the blocking client's timer seeds its jitter the same way.
    let blocking = |seed| {
        let clock = FakeClock::new(seed);
        let transport = refused_three_times();
        let client = Client::builder(key())
            .build_blocking(&transport)
            .unwrap()
            .with_timer(clock.clone());
        let _ = client.create_sign_in_token(&CreateSignInTokenRequest::new("user_1"));
        clock.waits()
    };
    assert_eq!(blocking(3), blocking(3));
    assert_ne!(blocking(3), blocking(4));
}

fn too_many(retry_after: &str) -> HttpResponse {
    http::Response::builder()
        .status(429)
        .header("retry-after", retry_after)
        .body(bytes::Bytes::from(
            r#"{"errors":[{"message":"m","long_message":"lm","code":"too_many_requests"}]}"#,
        ))
        .unwrap()
}

/// Defect: `Retry-After` was honoured to the millisecond, so every client
/// that met a shared 429 came back at the same instant.
#[test]
fn retry_after_gets_a_random_extra_and_never_less() {
    let mut first_waits = Vec::new();
    for seed in 0..32 {
        let clock = FakeClock::new(seed);
        let transport = MockTransport::new();
        transport.push_response(too_many("2"));
        transport.push_json(200, sentinel_token_json("pending"));
        let client = Client::builder(key())
            .timer(clock.clone())
            .build(&transport)
            .unwrap();
        block_on(client.create_sign_in_token(&CreateSignInTokenRequest::new("user_1")))
            .expect("the retry succeeds");
        let wait = clock.waits()[0];
        assert!(wait >= Duration::from_secs(2), "{wait:?}");
        assert!(wait <= Duration::from_millis(2500), "{wait:?}");
        first_waits.push(wait);
    }
    first_waits.sort();
    first_waits.dedup();
    assert!(first_waits.len() > 16, "spread: {first_waits:?}");
}

/// A transport that spends fake time: the attempt's deadline (the shorter
/// of its own 10 s and what is left of the call), then times out. It
/// records what it was handed.
struct Stalling<'a> {
    clock: &'a FakeClock,
    seen: Rc<RefCell<Vec<Option<Duration>>>>,
}

impl Stalling<'_> {
    fn attempt(&self, remaining: Option<Duration>) -> Result<HttpResponse, SendError> {
        self.seen.borrow_mut().push(remaining);
        let attempt = Duration::from_secs(10).min(remaining.unwrap_or(Duration::MAX));
        self.clock.advance(attempt);
        Err(SendError::timeout(Some(attempt)))
    }
}

impl HttpTransport for Stalling<'_> {
    type Error = SendError;
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, SendError> {
        HttpTransport::send_within(self, request, None).await
    }
    async fn send_within(
        &self,
        _request: HttpRequest,
        remaining: Option<Duration>,
    ) -> Result<HttpResponse, SendError> {
        self.attempt(remaining)
    }
}

impl BlockingHttpTransport for Stalling<'_> {
    type Error = SendError;
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, SendError> {
        BlockingHttpTransport::send_within(self, request, None)
    }
    fn send_within(
        &self,
        _request: HttpRequest,
        remaining: Option<Duration>,
    ) -> Result<HttpResponse, SendError> {
        self.attempt(remaining)
    }
}

fn stalling(clock: &FakeClock, seen: Rc<RefCell<Vec<Option<Duration>>>>) -> Stalling<'_> {
    Stalling { clock, seen }
}

/// Defect: nothing bounded a whole call: with the defaults, three 10 s
/// attempts and two waits of up to 30 s.
#[test]
fn the_call_deadline_bounds_attempts_and_waits_together() {
    let clock = FakeClock::new(1);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let start = clock.now.get();
    let client = Client::builder(key())
        .timer(clock.clone())
        .call_timeout(Duration::from_secs(25))
        .build(stalling(&clock, seen.clone()))
        .unwrap();
    let err = block_on(client.revoke_sign_in_token("sit_1")).unwrap_err();
    let elapsed = clock.now.get() - start;
    assert_eq!(elapsed, Duration::from_secs(25), "{:?}", seen.borrow());
    let Error::CallTimeout(timeout) = &err else {
        panic!("expected CallTimeout, got {err:?}")
    };
    assert_eq!(timeout.after(), Duration::from_secs(25));
    assert_eq!(timeout.attempts(), 3);
    assert!(err.is_timeout() && !err.is_retryable() && !err.is_request_not_sent());
    assert_eq!(err.transport_kind(), Some(TransportErrorKind::Timeout));
    // Each attempt was handed what was left of the 25 s.
    let seen = seen.borrow();
    assert_eq!(seen[0], Some(Duration::from_secs(25)));
    assert!(
        seen[1] < Some(Duration::from_secs(15)) && seen[2] < Some(Duration::from_secs(5)),
        "{seen:?}"
    );
}

#[test]
fn the_default_call_deadline_is_thirty_seconds() {
    let clock = FakeClock::new(1);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let client = Client::builder(key())
        .timer(clock.clone())
        .build(stalling(&clock, seen.clone()))
        .unwrap();
    assert_eq!(
        client.call_timeout(),
        Some(clerk_core::DEFAULT_CALL_TIMEOUT)
    );
    let start = clock.now.get();
    let err = block_on(client.revoke_sign_in_token("sit_1")).unwrap_err();
    assert!(clock.now.get() - start <= Duration::from_secs(30));
    // Three attempts of 10 s do not fit in 30 s with the waits between them:
    // the third is cut at the call's deadline.
    assert!(matches!(err, Error::CallTimeout(_)), "{err:?}");
    // Turned off, the same call is bound only by the attempts.
    let clock = FakeClock::new(1);
    let client = Client::builder(key())
        .timer(clock.clone())
        .call_timeout(None)
        .build(stalling(&clock, seen))
        .unwrap();
    let err = block_on(client.revoke_sign_in_token("sit_1")).unwrap_err();
    assert_eq!(err.transport_kind(), Some(TransportErrorKind::Timeout));
    assert!(!matches!(err, Error::CallTimeout(_)));
}

#[test]
fn a_wait_that_would_outlast_the_call_is_not_started() {
    let clock = FakeClock::new(1);
    let transport = MockTransport::new();
    transport.push_response(too_many("20"));
    let client = Client::builder(key())
        .timer(clock.clone())
        .call_timeout(Duration::from_secs(10))
        .build(&transport)
        .unwrap();
    let err = block_on(client.create_sign_in_token(&CreateSignInTokenRequest::new("user_1")))
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert!(clock.waits().is_empty(), "waited {:?}", clock.waits());
    assert_eq!(transport.requests().len(), 1);
}

#[test]
fn the_blocking_client_keeps_the_call_deadline_too() {
    let clock = FakeClock::new(1);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let client = Client::builder(key())
        .call_timeout(Duration::from_secs(12))
        .build_blocking(stalling(&clock, seen.clone()))
        .unwrap()
        .with_timer(clock.clone());
    let start = clock.now.get();
    let err = client.revoke_sign_in_token("sit_1").unwrap_err();
    assert!(matches!(err, Error::CallTimeout(_)), "{err:?}");
    assert_eq!(clock.now.get() - start, Duration::from_secs(12));
    assert_eq!(seen.borrow().len(), 2);
}

fn cannot_revoke(status_word: &str) -> String {
    format!(
        r#"{{"errors":[{{"message":"cannot revoke","long_message":"Sign in token cannot be revoked because its status is {status_word}. Only pending tokens can be revoked.","code":"sign_in_token_cannot_be_revoked_code"}}],"clerk_trace_id":"trace-2"}}"#
    )
}

fn revoke_after(
    first: impl FnOnce(&MockTransport),
    status_word: &str,
) -> (Result<Revocation, Error<MockTransportError>>, usize) {
    let clock = FakeClock::new(1);
    let transport = MockTransport::new();
    first(&transport);
    transport.push_json(400, cannot_revoke(status_word));
    let client = Client::builder(key())
        .timer(clock)
        .build(&transport)
        .unwrap();
    let result = block_on(client.revoke_sign_in_token("sit_1"));
    (result, transport.requests().len())
}

/// Defect: a revoke whose answer was lost was retried into `400
/// sign_in_token_cannot_be_revoked_code` and reported as a failure, though
/// the token was revoked (by the lost attempt).
#[test]
fn a_revoke_done_by_a_lost_attempt_is_a_success() {
    for lost in [
        (|t: &MockTransport| {
            t.push_error(MockTransportError::ConnectionReset);
        }) as fn(&MockTransport),
        |t| {
            t.push_error(MockTransportError::Timeout);
        },
        |t| {
            t.push_json(502, r#"{"errors":[{"message":"m","code":"bad_gateway"}]}"#);
        },
    ] {
        let (result, attempts) = revoke_after(lost, "revoked");
        assert_eq!(attempts, 2);
        let revocation = result.expect("the earlier attempt revoked it");
        assert!(revocation.by_earlier_attempt());
        assert_eq!(revocation.sign_in_token_id(), "sit_1");
        assert_eq!(revocation.status(), SignInTokenStatus::Revoked);
        assert!(revocation.sign_in_token().is_none());
        let Revocation::RevokedByEarlierAttempt { answer, .. } = revocation else {
            unreachable!()
        };
        assert_eq!(answer.clerk_trace_id(), Some("trace-2"));
    }
}

#[test]
fn a_real_refusal_stays_an_error() {
    // The token was accepted or had expired: not revoked by this call.
    for word in ["accepted", "expired"] {
        let (result, _) = revoke_after(
            |t| {
                t.push_error(MockTransportError::ConnectionReset);
            },
            word,
        );
        let err = result.expect_err("a refusal");
        assert!(!err.is_revoked_by_earlier_attempt(), "{word}");
        assert_eq!(
            err.codes().next(),
            Some("sign_in_token_cannot_be_revoked_code")
        );
    }
    // No earlier attempt can have acted (refused connection, a 429): the
    // token was revoked before this call, which is the caller's news.
    for not_acted in [
        (|t: &MockTransport| {
            t.push_error(MockTransportError::ConnectionRefused);
        }) as fn(&MockTransport),
        |t| {
            t.push_response(too_many("0"));
        },
    ] {
        let (result, attempts) = revoke_after(not_acted, "revoked");
        assert_eq!(attempts, 2);
        assert!(!result.expect_err("refused").is_revoked_by_earlier_attempt());
    }
    // On the first attempt it is simply Clerk's answer.
    let (result, attempts) = revoke_after(|_| {}, "revoked");
    assert_eq!(attempts, 1);
    assert!(result.is_err());
}

#[test]
fn with_http_info_returns_the_answer_flagged() {
    let transport = MockTransport::new();
    transport.push_error(MockTransportError::ConnectionReset);
    transport.push_json(400, cannot_revoke("revoked"));
    let client = Client::builder(key())
        .timer(FakeClock::new(1))
        .build(&transport)
        .unwrap();
    let err = block_on(client.revoke_sign_in_token_with_http_info("sit_1")).unwrap_err();
    assert!(err.is_revoked_by_earlier_attempt());
    assert!(err.as_api_error().unwrap().revoked_by_earlier_attempt());
}
