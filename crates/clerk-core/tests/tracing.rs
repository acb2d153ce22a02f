//! What the clients tell `tracing`: one span per call, one event per retry,
//! under OpenTelemetry's HTTP client names where one exists and `clerk.`
//! names otherwise, and no secret anywhere, under a subscriber that records
//! every span, every field and every event.
#![cfg(feature = "tracing")]

mod common;

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clerk_core::test_util::{MockTransport, MockTransportError};
use clerk_core::{Client, CreateSignInTokenRequest, Timer};
use common::*;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// One thing the subscriber saw, with every field rendered.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    /// A span was opened: its name and fields.
    Span(u64, String, Vec<(String, String)>),
    /// Fields recorded on a span later.
    Record(u64, Vec<(String, String)>),
    /// An event: its parent span, message and fields.
    Event(Option<u64>, Vec<(String, String)>),
    /// The `Debug` form of a span's attributes, a record or an event, as a
    /// formatting subscriber could print it.
    Debug(String),
}

/// Records everything, at every level, from every target.
#[derive(Clone, Default)]
struct Capture {
    seen: Arc<Mutex<Vec<Seen>>>,
    next_id: Arc<AtomicU64>,
    current: Arc<Mutex<Vec<u64>>>,
}

struct Fields(Vec<(String, String)>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::TRACE)
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        let mut fields = Fields(Vec::new());
        span.record(&mut fields);
        let name = span.metadata().name().to_owned();
        let mut seen = self.seen.lock().unwrap();
        seen.push(Seen::Span(id, name, fields.0));
        seen.push(Seen::Debug(format!("{span:?}")));
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut fields = Fields(Vec::new());
        values.record(&mut fields);
        let mut seen = self.seen.lock().unwrap();
        seen.push(Seen::Record(span.into_u64(), fields.0));
        seen.push(Seen::Debug(format!("{values:?}")));
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(Vec::new());
        event.record(&mut fields);
        let parent = event
            .parent()
            .map(Id::into_u64)
            .or_else(|| self.current.lock().unwrap().last().copied());
        let mut seen = self.seen.lock().unwrap();
        seen.push(Seen::Event(parent, fields.0));
        seen.push(Seen::Debug(format!("{event:?}")));
    }

    fn enter(&self, span: &Id) {
        self.current.lock().unwrap().push(span.into_u64());
    }

    fn exit(&self, _: &Id) {
        self.current.lock().unwrap().pop();
    }
}

impl Capture {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Everything seen, as one text, for the secret checks.
    fn text(&self) -> String {
        let mut out = String::new();
        for seen in self.seen() {
            let _ = writeln!(out, "{seen:?}");
        }
        out
    }

    /// The final value of every field of span `id`.
    fn span_fields(&self, id: u64) -> Vec<(String, String)> {
        let mut fields = Vec::new();
        for seen in self.seen() {
            match seen {
                Seen::Span(i, _, f) | Seen::Record(i, f) if i == id => fields.extend(f),
                _ => {}
            }
        }
        fields
    }

    fn call_spans(&self) -> Vec<u64> {
        self.seen()
            .into_iter()
            .filter_map(|s| match s {
                Seen::Span(id, name, _) if name == "clerk.call" => Some(id),
                _ => None,
            })
            .collect()
    }

    fn events_in(&self, id: u64) -> Vec<Vec<(String, String)>> {
        self.seen()
            .into_iter()
            .filter_map(|s| match s {
                Seen::Event(Some(parent), f) if parent == id => Some(f),
                _ => None,
            })
            .collect()
    }
}

fn get<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// A timer that does not wait.
struct Now;

impl Timer for Now {
    async fn sleep(&self, _: Duration) {}
}

/// The span's fields: OpenTelemetry's (`otel.*` are tracing-opentelemetry's
/// span name, kind and status), then Clerk's own.
const SPAN_FIELDS: [&str; 13] = [
    "otel.name",
    "otel.kind",
    "otel.status_code",
    "http.request.method",
    "url.template",
    "http.response.status_code",
    "error.type",
    "clerk.operation",
    "clerk.attempts",
    "clerk.error_code",
    "clerk.trace_id",
    "clerk.duration_ms",
    "clerk.outcome",
];
const EVENT_FIELDS: [&str; 6] = [
    "message",
    "http.request.resend_count",
    "http.response.status_code",
    "error.type",
    "clerk.retry_reason",
    "clerk.wait_ms",
];

fn assert_only_known_fields(capture: &Capture) {
    for seen in capture.seen() {
        let (fields, allowed): (_, &[&str]) = match &seen {
            Seen::Span(_, name, f) => {
                assert_eq!(name, "clerk.call");
                (f, &SPAN_FIELDS)
            }
            Seen::Record(_, f) => (f, &SPAN_FIELDS),
            Seen::Event(_, f) => (f, &EVENT_FIELDS),
            Seen::Debug(_) => continue,
        };
        for (name, _) in fields {
            assert!(
                allowed.contains(&name.as_str()),
                "unexpected field {name} in {seen:?}"
            );
        }
    }
}

fn error_body(code: &str, trace_id: &str) -> String {
    format!(
        r#"{{"errors":[{{"message":"m","long_message":"l","code":"{code}"}}],"clerk_trace_id":"{trace_id}"}}"#
    )
}

#[test]
fn a_call_with_retries_is_one_span_and_one_event_per_retry() {
    let transport = MockTransport::new();
    transport.push_response(
        http::Response::builder()
            .status(429)
            .header("content-type", "application/json")
            .header("retry-after", "0")
            .body(error_body("too_many_requests", "trace-429").into())
            .unwrap(),
    );
    transport.push_json(503, error_body("service_unavailable", "trace-503"));
    transport.push_response(
        http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .header("clerk-trace-id", "trace-ok")
            .body(sentinel_token_json("revoked").into())
            .unwrap(),
    );
    let capture = Capture::default();
    let client = Client::builder(key()).timer(Now).build(&transport).unwrap();
    tracing::subscriber::with_default(capture.clone(), || {
        futures_executor::block_on(client.revoke_sign_in_token("sit_1")).expect("third attempt");
    });

    let spans = capture.call_spans();
    assert_eq!(spans.len(), 1, "{:#?}", capture.seen());
    let span = capture.span_fields(spans[0]);
    assert_eq!(
        get(&span, "otel.name"),
        Some("POST /sign_in_tokens/{sign_in_token_id}/revoke")
    );
    assert_eq!(get(&span, "otel.kind"), Some("client"));
    assert_eq!(get(&span, "http.request.method"), Some("POST"));
    assert_eq!(
        get(&span, "url.template"),
        Some("/sign_in_tokens/{sign_in_token_id}/revoke")
    );
    assert_eq!(get(&span, "clerk.operation"), Some("revoke_sign_in_token"));
    assert_eq!(get(&span, "clerk.attempts"), Some("3"));
    assert_eq!(get(&span, "http.response.status_code"), Some("200"));
    assert_eq!(get(&span, "clerk.trace_id"), Some("trace-ok"));
    assert_eq!(get(&span, "clerk.outcome"), Some("ok"));
    assert!(get(&span, "clerk.duration_ms").is_some(), "{span:?}");
    assert_eq!(get(&span, "clerk.error_code"), None);
    // A success is no error: no error.type, and the status left unset.
    assert_eq!(get(&span, "error.type"), None);
    assert_eq!(get(&span, "otel.status_code"), None);

    let events = capture.events_in(spans[0]);
    assert_eq!(events.len(), 2, "{events:#?}");
    // The first resend follows the first attempt.
    assert_eq!(get(&events[0], "http.request.resend_count"), Some("1"));
    assert_eq!(get(&events[0], "clerk.retry_reason"), Some("rate_limited"));
    assert_eq!(get(&events[0], "http.response.status_code"), Some("429"));
    assert_eq!(get(&events[0], "error.type"), Some("429"));
    // Retry-After: 0, plus up to 500 ms of jitter.
    let wait_ms: u64 = get(&events[0], "clerk.wait_ms")
        .expect("clerk.wait_ms")
        .parse()
        .expect("a number");
    assert!(wait_ms <= 500, "{wait_ms}");
    assert_eq!(get(&events[1], "http.request.resend_count"), Some("2"));
    assert_eq!(get(&events[1], "clerk.retry_reason"), Some("server_error"));
    assert_eq!(get(&events[1], "http.response.status_code"), Some("503"));
    assert_eq!(get(&events[1], "error.type"), Some("503"));
    assert!(get(&events[1], "clerk.wait_ms").is_some());

    assert_only_known_fields(&capture);
    assert_clean(&capture);
}

#[test]
fn a_failed_call_records_status_code_and_trace_id() {
    let transport = MockTransport::new();
    transport.push_json(422, error_body("form_param_missing", "trace-422"));
    let capture = Capture::default();
    let client = Client::builder(key()).build_blocking(&transport).unwrap();
    tracing::subscriber::with_default(capture.clone(), || {
        client
            .create_sign_in_token(&CreateSignInTokenRequest::new("user_1"))
            .expect_err("422");
    });
    let spans = capture.call_spans();
    assert_eq!(spans.len(), 1);
    let span = capture.span_fields(spans[0]);
    assert_eq!(get(&span, "otel.name"), Some("POST /sign_in_tokens"));
    assert_eq!(get(&span, "url.template"), Some("/sign_in_tokens"));
    assert_eq!(get(&span, "clerk.operation"), Some("create_sign_in_token"));
    assert_eq!(get(&span, "clerk.attempts"), Some("1"));
    assert_eq!(get(&span, "http.response.status_code"), Some("422"));
    assert_eq!(get(&span, "error.type"), Some("422"));
    assert_eq!(get(&span, "otel.status_code"), Some("error"));
    assert_eq!(get(&span, "clerk.error_code"), Some("form_param_missing"));
    assert_eq!(get(&span, "clerk.trace_id"), Some("trace-422"));
    assert_eq!(get(&span, "clerk.outcome"), Some("api_error"));
    assert!(capture.events_in(spans[0]).is_empty());
    assert_only_known_fields(&capture);
}

#[test]
fn transport_failures_are_retried_with_their_reason() {
    let transport = MockTransport::new();
    transport.push_error(MockTransportError::ConnectionRefused);
    transport.push_error(MockTransportError::Timeout);
    transport.push_json(200, sentinel_token_json("revoked"));
    let capture = Capture::default();
    let client = Client::builder(key()).build_blocking(&transport).unwrap();
    let client = client.with_timer(|_: Duration| {});
    tracing::subscriber::with_default(capture.clone(), || {
        client.revoke_sign_in_token("sit_1").expect("third attempt");
    });
    let spans = capture.call_spans();
    let events = capture.events_in(spans[0]);
    let reasons: Vec<_> = events
        .iter()
        .map(|e| get(e, "clerk.retry_reason"))
        .collect();
    assert_eq!(reasons, [Some("not_sent"), Some("timeout")]);
    // No answer: the transport's kind is the error type.
    let types: Vec<_> = events.iter().map(|e| get(e, "error.type")).collect();
    assert_eq!(types, [Some("connect"), Some("timeout")]);
    let resends: Vec<_> = events
        .iter()
        .map(|e| get(e, "http.request.resend_count"))
        .collect();
    assert_eq!(resends, [Some("1"), Some("2")]);
    assert!(
        events
            .iter()
            .all(|e| get(e, "http.response.status_code").is_none())
    );
    let span = capture.span_fields(spans[0]);
    assert_eq!(get(&span, "clerk.attempts"), Some("3"));
    assert_eq!(get(&span, "error.type"), None);
    assert_only_known_fields(&capture);
    assert_clean(&capture);
}

/// Replies that carry the key, the token and the url everywhere a server
/// could put them: bodies, error codes, trace ids, headers.
fn hostile_replies() -> Vec<http::Response<bytes::Bytes>> {
    let leaky = format!(
        r#"{{"errors":[{{"message":"{SENTINEL_KEY}","long_message":"{SENTINEL_TOKEN} {SENTINEL_URL}","code":"{SENTINEL_KEY}","meta":{{"url":"{SENTINEL_URL}"}}}}],"clerk_trace_id":"{SENTINEL_KEY}"}}"#
    );
    let mut out = Vec::new();
    for status in [400u16, 401, 422, 429, 500, 503] {
        out.push(
            http::Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .header("clerk-trace-id", SENTINEL_KEY)
                .header("retry-after", "0")
                .body(leaky.clone().into())
                .unwrap(),
        );
        out.push(
            http::Response::builder()
                .status(status)
                .header("content-type", "text/html")
                .header("clerk-trace-id", format!("x{SENTINEL_TOKEN}"))
                .body(sentinel_token_json("pending").into())
                .unwrap(),
        );
    }
    out.push(
        http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .header("clerk-trace-id", SENTINEL_URL)
            .body(sentinel_token_json("pending").into())
            .unwrap(),
    );
    out
}

fn assert_clean(capture: &Capture) {
    let text = capture.text();
    for needle in [
        "SENTINEL",
        SENTINEL_KEY,
        SENTINEL_TOKEN,
        SENTINEL_URL,
        "__clerk_ticket",
    ] {
        assert!(
            !text.contains(needle),
            "`{needle}` reached tracing:\n{text}"
        );
    }
}

#[test]
fn no_secret_reaches_a_subscriber_that_records_everything() {
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), || {
        let transport = MockTransport::new();
        for reply in hostile_replies() {
            transport.push_response(reply);
        }
        transport.push_error(MockTransportError::ConnectionReset);
        let n = transport.pending();
        let blocking = Client::builder(key())
            .build_blocking(&transport)
            .unwrap()
            .with_timer(|_: Duration| {});
        let async_client = Client::builder(key()).timer(Now).build(&transport).unwrap();
        let mut calls = 0;
        while transport.pending() > 0 && calls < 2 * n {
            let _ = blocking.create_sign_in_token(&CreateSignInTokenRequest::new("user_1"));
            let _ = futures_executor::block_on(async_client.revoke_sign_in_token("sit_1"));
            calls += 1;
        }
        assert_eq!(transport.pending(), 0);
    });
    // What is allowed through did get through, on every path.
    let spans = capture.call_spans();
    let mut outcomes = Vec::new();
    let mut retries = 0;
    for &span in &spans {
        let fields = capture.span_fields(span);
        for name in [
            "otel.name",
            "otel.kind",
            "http.request.method",
            "url.template",
            "clerk.operation",
            "clerk.attempts",
            "clerk.duration_ms",
            "clerk.outcome",
        ] {
            assert!(get(&fields, name).is_some(), "{name} missing: {fields:?}");
        }
        let outcome = get(&fields, "clerk.outcome").unwrap().to_owned();
        if outcome != "transport_error" {
            assert!(
                get(&fields, "http.response.status_code").is_some(),
                "{fields:?}"
            );
        }
        // Every failure has its error type and status; a success neither.
        let failed = outcome != "ok";
        assert_eq!(get(&fields, "error.type").is_some(), failed, "{fields:?}");
        assert_eq!(
            get(&fields, "otel.status_code"),
            failed.then_some("error"),
            "{fields:?}"
        );
        outcomes.push(outcome);
        for event in capture.events_in(span) {
            for name in [
                "http.request.resend_count",
                "error.type",
                "clerk.retry_reason",
                "clerk.wait_ms",
            ] {
                assert!(get(&event, name).is_some(), "{name} missing: {event:?}");
            }
            retries += 1;
        }
    }
    for outcome in ["ok", "api_error", "unexpected_response", "transport_error"] {
        assert!(
            outcomes.iter().any(|o| o == outcome),
            "{outcome}: {outcomes:?}"
        );
    }
    assert!(retries > 0);
    assert_only_known_fields(&capture);
    assert_clean(&capture);
}

/// The capture and the checks above would see a secret if one were there.
#[test]
fn the_capture_sees_every_field_and_the_check_fails_on_a_sentinel() {
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), || {
        let span = tracing::trace_span!("outer", debugged = ?SENTINEL_URL);
        span.in_scope(|| tracing::trace!(key = SENTINEL_KEY, "x"));
        span.record("debugged", SENTINEL_TOKEN);
    });
    let text = capture.text();
    for needle in [SENTINEL_KEY, SENTINEL_TOKEN, SENTINEL_URL] {
        assert!(text.contains(needle), "{needle} not captured:\n{text}");
    }
    let caught = std::panic::catch_unwind(|| assert_clean(&capture));
    assert!(caught.is_err());
}
