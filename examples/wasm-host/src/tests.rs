//! The exports driven natively by a recording host: every test plays the
//! host's part by hand. Each test runs on its own thread, so its module state
//! (thread-locals) starts empty.

use super::*;
use crate::host::imports::{ASKED, Asked};

fn with_input<R>(bytes: &[u8], f: impl FnOnce(*const u8, usize) -> R) -> R {
    f(bytes.as_ptr(), bytes.len())
}

fn result(op: u32) -> Value {
    let (ptr, len) = (result_ptr(op), result_len(op));
    assert!(!ptr.is_null(), "operation {op} has no result");
    // SAFETY: the module keeps the result alive until `release`.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    let value = serde_json::from_slice(bytes).unwrap();
    release(op);
    value
}

fn asked() -> Vec<Asked> {
    ASKED.with_borrow_mut(std::mem::take)
}

fn one_send() -> (u32, HttpRequestParts) {
    match asked().as_slice() {
        [Asked::Send(id, bytes)] => (*id, parse_request(bytes)),
        other => panic!("expected one send, got {other:?}"),
    }
}

#[derive(Debug)]
struct HttpRequestParts {
    method: String,
    uri: String,
    headers: Vec<(String, String)>,
    body: String,
}

fn parse_request(bytes: &[u8]) -> HttpRequestParts {
    let mut rest = bytes;
    fn take(rest: &mut &[u8]) -> String {
        let (n, r) = rest.split_first_chunk::<4>().unwrap();
        let n = u32::from_le_bytes(*n) as usize;
        let (s, r) = r.split_at(n);
        *rest = r;
        String::from_utf8(s.to_vec()).unwrap()
    }
    let method = take(&mut rest);
    let uri = take(&mut rest);
    let (n, r) = rest.split_first_chunk::<4>().unwrap();
    rest = r;
    let headers = (0..u32::from_le_bytes(*n))
        .map(|_| (take(&mut rest), take(&mut rest)))
        .collect();
    let body = take(&mut rest);
    assert!(rest.is_empty());
    HttpRequestParts {
        method,
        uri,
        headers,
        body,
    }
}

fn respond(call_id: u32, status: u32, headers: &[(&str, &str)], body: &str) -> u32 {
    let mut out = status.to_le_bytes().to_vec();
    out.extend_from_slice(&(headers.len() as u32).to_le_bytes());
    for (n, v) in headers {
        for part in [n.as_bytes(), v.as_bytes()] {
            out.extend_from_slice(&(part.len() as u32).to_le_bytes());
            out.extend_from_slice(part);
        }
    }
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body.as_bytes());
    // SAFETY: a live buffer.
    with_input(&out, |p, l| unsafe { complete(call_id, p, l) })
}

fn setup(extra: &str) {
    let config =
        format!(r#"{{"secret_key":"sk_test_unit","base_url":"http://127.0.0.1:9/v1"{extra}}}"#);
    // SAFETY: a live buffer.
    let op = with_input(config.as_bytes(), |p, l| unsafe { configure(p, l) });
    assert_eq!(poll(op), DONE);
    assert_eq!(result(op)["ok"]["base_url"], "http://127.0.0.1:9/v1");
}

fn create(input: &str) -> u32 {
    // SAFETY: a live buffer.
    with_input(input.as_bytes(), |p, l| unsafe { start_create(p, l) })
}

fn revoke(id: &str) -> u32 {
    // SAFETY: a live buffer.
    with_input(id.as_bytes(), |p, l| unsafe { start_revoke(p, l) })
}

const JSON: (&str, &str) = ("content-type", "application/json");
const PENDING_TOKEN: &str = r#"{"object":"sign_in_token","id":"sit_1","status":"pending","user_id":"user_1","token":"eyJ.a.b","url":"https://x/?__clerk_ticket=eyJ.a.b","created_at":1,"updated_at":1}"#;

#[test]
fn create_goes_through_the_host_and_back() {
    setup("");
    let op = create(r#"{"user_id":"user_1","expires_in_seconds":600}"#);
    assert_eq!(poll(op), PENDING);
    let (call, request) = one_send();
    assert_eq!(request.method, "POST");
    assert_eq!(request.uri, "http://127.0.0.1:9/v1/sign_in_tokens");
    assert!(
        request
            .headers
            .contains(&("authorization".into(), "Bearer sk_test_unit".into()))
    );
    assert_eq!(
        request.body,
        r#"{"user_id":"user_1","expires_in_seconds":600}"#
    );

    // Not woken: polling again does nothing and asks nothing.
    assert_eq!(poll(op), PENDING);
    assert!(asked().is_empty());

    assert_eq!(respond(call, 200, &[JSON], PENDING_TOKEN), 1);
    assert_eq!(poll(op), DONE);
    let value = result(op);
    assert_eq!(value["ok"]["id"], "sit_1");
    assert_eq!(value["ok"]["status"], "pending");
    assert_eq!(value["ok"]["token"], "eyJ.a.b");
    assert_eq!(poll(op), UNKNOWN, "released");
    assert_eq!(pending_calls(), 0);
}

#[test]
fn clerk_errors_arrive_typed() {
    setup("");
    let op = revoke("sit_missing");
    let (call, request) = one_send();
    assert_eq!(
        request.uri,
        "http://127.0.0.1:9/v1/sign_in_tokens/sit_missing/revoke"
    );
    assert_eq!(request.body, "");
    respond(
        call,
        404,
        &[JSON, ("clerk-trace-id", "trace-9")],
        r#"{"errors":[{"message":"not found","long_message":"Resource not found","code":"resource_not_found"}]}"#,
    );
    assert_eq!(poll(op), DONE);
    let err = &result(op)["err"];
    assert_eq!(err["kind"], "api");
    assert_eq!(err["status"], 404);
    assert_eq!(err["codes"], serde_json::json!(["resource_not_found"]));
    assert_eq!(err["trace_id"], "trace-9");
    assert_eq!(err["errors"][0]["long_message"], "Resource not found");
}

#[test]
fn retries_wait_on_the_host_timer() {
    setup(r#","max_retries":1"#);
    let op = create(r#"{"user_id":"user_1"}"#);
    let (call, _) = one_send();
    let message = b"connect ECONNREFUSED";
    // SAFETY: a live buffer.
    let answered = with_input(message, |p, l| unsafe { fail(call, 1, p, l) });
    assert_eq!(answered, 1);
    assert_eq!(poll(op), PENDING);
    let sleep = match asked().as_slice() {
        [Asked::Sleep(id, millis)] => {
            assert!(*millis <= 500, "{millis} ms");
            *id
        }
        other => panic!("expected a sleep, got {other:?}"),
    };
    assert_eq!(wake(sleep), 1);
    assert_eq!(wake(sleep), 0, "answered twice");
    assert_eq!(poll(op), PENDING);
    let (call, _) = one_send();
    respond(call, 200, &[JSON], PENDING_TOKEN);
    assert_eq!(poll(op), DONE);
    assert_eq!(result(op)["ok"]["id"], "sit_1");
}

#[test]
fn transport_failures_keep_their_flags() {
    setup(r#","max_retries":0"#);
    let op = create(r#"{"user_id":"user_1"}"#);
    let (call, _) = one_send();
    // SAFETY: a live buffer.
    with_input(b"slow", |p, l| unsafe { fail(call, 2, p, l) });
    assert_eq!(poll(op), DONE);
    let err = &result(op)["err"];
    assert_eq!(err["kind"], "transport");
    assert_eq!(err["timeout"], true);
    assert_eq!(err["not_sent"], false);
    assert_eq!(err["status"], Value::Null);
}

#[test]
fn a_garbled_response_is_a_transport_error() {
    setup(r#","max_retries":0"#);
    let op = revoke("sit_1");
    let (call, _) = one_send();
    // SAFETY: a live buffer.
    with_input(&[1, 2, 3], |p, l| unsafe { complete(call, p, l) });
    assert_eq!(poll(op), DONE);
    let err = &result(op)["err"];
    assert_eq!(err["kind"], "transport");
    assert!(err["message"].as_str().unwrap().contains("malformed"));
}

#[test]
fn invalid_input_never_reaches_the_host() {
    setup("");
    let op = create(r#"{"user_id":"user_1","expires_in_seconds":0}"#);
    assert_eq!(poll(op), DONE);
    let err = &result(op)["err"];
    assert_eq!(err["kind"], "invalid_input");
    assert_eq!(err["field"], "expires_in_seconds");
    let op = create(r#"{"user_id":5}"#);
    assert_eq!(result(op)["err"]["kind"], "bad_input");
    let op = create("not json");
    assert_eq!(result(op)["err"]["kind"], "bad_input");
    assert!(asked().is_empty());
}

#[test]
fn operations_need_a_client() {
    let op = revoke("sit_1");
    assert_eq!(poll(op), DONE);
    assert_eq!(result(op)["err"]["kind"], "not_configured");
    // SAFETY: a live buffer.
    let op = with_input(br#"{"secret_key":"sk_test_ x"}"#, |p, l| unsafe {
        configure(p, l)
    });
    let err = &result(op)["err"];
    assert_eq!(err["kind"], "bad_config");
    assert!(!err["message"].as_str().unwrap().contains("sk_test_ x"));
}

#[test]
fn released_operations_ignore_late_answers() {
    setup("");
    let op = create(r#"{"user_id":"user_1"}"#);
    let (call, _) = one_send();
    assert_eq!(pending_calls(), 1);
    release(op);
    assert_eq!(pending_calls(), 0);
    assert_eq!(respond(call, 200, &[JSON], PENDING_TOKEN), 0);
    assert_eq!(poll(op), UNKNOWN);
}

#[test]
fn operations_run_side_by_side() {
    setup("");
    let a = create(r#"{"user_id":"user_a"}"#);
    let b = revoke("sit_b");
    let calls = asked();
    let [Asked::Send(call_a, _), Asked::Send(call_b, _)] = calls.as_slice() else {
        panic!("expected two sends, got {calls:?}");
    };
    respond(
        *call_b,
        200,
        &[JSON],
        &PENDING_TOKEN.replace("pending", "revoked"),
    );
    assert_eq!(poll(a), PENDING);
    assert_eq!(poll(b), DONE);
    respond(*call_a, 200, &[JSON], PENDING_TOKEN);
    assert_eq!(poll(a), DONE);
    assert_eq!(result(b)["ok"]["status"], "revoked");
    assert_eq!(result(a)["ok"]["status"], "pending");
}

#[test]
fn buffers_round_trip() {
    let p = clerk_alloc(0);
    assert!(!p.is_null());
    // SAFETY: from clerk_alloc(0).
    unsafe { clerk_free(p, 0) };
    let p = clerk_alloc(1000);
    // SAFETY: 1000 writable bytes from clerk_alloc(1000).
    unsafe {
        p.write_bytes(7, 1000);
        clerk_free(p, 1000);
    }
}
