//! Fuzzes clerk-mock's request handling: a sequence of requests (any
//! method, target, headers and body, sent whole, in chunks, cut short or
//! oversized), injected failures and test-helper calls against one fresh
//! mock, through `clerk_mock::fuzzing::Harness`, which runs the server's own
//! handler without a socket (layout: see [`decode`]).
//!
//! Every answer is checked against a model of the mock written from its
//! documentation (the table of errors and the order of checks in
//! `crates/clerk-mock/src/lib.rs`), not from its code. For every input:
//!
//! - nothing panics;
//! - every response has exactly one `Content-Type: application/json` and one
//!   `Clerk-Trace-Id` of 32 lowercase hex digits, unique within the input,
//!   and a body that is valid JSON;
//! - a non-2xx body has Clerk's error shape: a non-empty `errors` array of
//!   objects with string `code`, `message` and `long_message` and an object
//!   `meta`; an object `meta`; `clerk_trace_id` equal to the header;
//! - the status and the error codes are exactly the model's: an injected
//!   failure first, then route (404), method (405 with `Allow: POST`),
//!   authorization (401), rate limit (429 with `Retry-After`), body (413,
//!   400, 422 with one entry per bad parameter in order), user (404), the
//!   expiry's range (422); a revoke of an unknown id is 404, of a token that
//!   is not pending or has expired 400 `sign_in_token_cannot_be_revoked_code`
//!   naming the status;
//! - so a 2xx only for a well-formed create or revoke, and then 200 with a
//!   `sign_in_token` object: a create gives a fresh `sit_` id, status
//!   `pending`, the user id asked for, a three-part ticket and the sign-in
//!   URL carrying it, `created_at == updated_at` within the call's time; a
//!   revoke gives that token `revoked`, without `token`, `url: null` and a
//!   later `updated_at`;
//! - `Retry-After` only on 429s from the limiter (1 to 60 s) and on injected
//!   failures that asked for it (their value); `Allow` only on 405s;
//! - `mark_accepted` and `expire` answer as the model says; at the end the
//!   mock holds exactly the model's tokens, in order, with their user,
//!   organization and status.
//!
//! The model allows either outcome only where the clock decides: a token
//! whose expiry falls within the call, an expiry whose end in milliseconds
//! overflows `i64` only at some instants of the call.
#![no_main]

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use clerk_mock::fuzzing::{Harness, Reply, RequestBody};
use clerk_mock::{
    DEFAULT_ACCOUNTS_URL, DEFAULT_EXPIRES_IN_SECONDS, Failure, MockClerk, TokenStatus,
};
use http::{HeaderName, HeaderValue, Method, StatusCode, Uri};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

/// Separates records.
const RECORD: u8 = 0xFF;
/// Separates a record's fields.
const FIELD: u8 = 0xFE;
/// Separates the chunks of a chunked body.
const CHUNK: u8 = 0xFD;
/// The mock's body limit, from its documentation (64 KiB).
const MAX_BODY: usize = 64 * 1024;
/// Records read per input at most, so an input stays fast.
const MAX_RECORDS: usize = 32;

/// The key that is configured when flag 0x01 restricts the keys.
const KEY: &str = "sk_test_fuzzkey";
/// The user that exists when flag 0x02 restricts the users.
const USER: &str = "user_fuzz";
/// The rate limit when flag 0x04 sets one.
const RATE_MAX: u32 = 2;
const RATE_WINDOW: Duration = Duration::from_secs(60);

const CANNOT_REVOKE: &str = "sign_in_token_cannot_be_revoked_code";

fn debug() -> bool {
    static DEBUG: OnceLock<bool> = OnceLock::new();
    *DEBUG.get_or_init(|| std::env::var_os("CLERK_FUZZ_DEBUG").is_some())
}

/// How a request's body is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyMode {
    /// One chunk.
    Whole,
    /// Split at every 0xFD byte (the separators dropped).
    Chunked,
    /// Chunked, then an I/O error instead of the end.
    Broken,
    /// Repeated until it is one byte over the limit.
    Oversized,
    /// Padded with spaces to exactly the limit.
    AtLimit,
}

#[derive(Debug)]
enum Record {
    Request {
        method: Vec<u8>,
        target: Vec<u8>,
        headers: Vec<u8>,
        body: Vec<u8>,
        mode: BodyMode,
    },
    Fail {
        status: Vec<u8>,
        count: Vec<u8>,
        code: Vec<u8>,
        message: Vec<u8>,
        long_message: Vec<u8>,
        retry_after: Vec<u8>,
    },
    Accept(Vec<u8>),
    Expire(Vec<u8>),
}

/// Input layout:
///
/// ```text
/// [0]   configuration: 0x01 only the key sk_test_fuzzkey is accepted,
///       0x02 only the user user_fuzz exists, 0x04 a rate limit of 2 per 60 s
/// rest  records separated by 0xFF; a record is a kind byte then fields
///       separated by 0xFE (missing fields are empty; a request's last field,
///       the body, runs to the end of the record and may hold 0xFE):
///   'F' inject a failure: status, count (1-3), code, message,
///       long_message, retry_after seconds (decimal ASCII; empty: not set)
///   'A' mark_accepted(target), 'X' expire(target)
///   anything else: a request: method (empty: POST), target, headers
///       ("name:value" lines), body; the kind says how the body is sent:
///       'S' chunked at 0xFD, 'E' chunked then broken, 'L' oversized,
///       'M' padded to the limit, other: whole
/// ```
///
/// In targets, `{N}` (N a digit) stands for the id of token N (mod the
/// number of tokens, in creation order), or `sit_none` while there is none.
fn decode(data: &[u8]) -> (u8, Vec<Record>) {
    let Some((&flags, rest)) = data.split_first() else {
        return (0, Vec::new());
    };
    let mut records = Vec::new();
    for raw in rest.split(|&b| b == RECORD).take(MAX_RECORDS) {
        let Some((&kind, fields)) = raw.split_first() else {
            continue;
        };
        let record = match kind {
            b'F' => {
                let mut f = fields.split(|&b| b == FIELD).map(<[u8]>::to_vec);
                let mut next = || f.next().unwrap_or_default();
                Record::Fail {
                    status: next(),
                    count: next(),
                    code: next(),
                    message: next(),
                    long_message: next(),
                    retry_after: next(),
                }
            }
            b'A' => Record::Accept(fields.to_vec()),
            b'X' => Record::Expire(fields.to_vec()),
            _ => {
                let mut f = fields.splitn(4, |&b| b == FIELD).map(<[u8]>::to_vec);
                let mut next = || f.next().unwrap_or_default();
                Record::Request {
                    method: next(),
                    target: next(),
                    headers: next(),
                    body: next(),
                    mode: match kind {
                        b'S' => BodyMode::Chunked,
                        b'E' => BodyMode::Broken,
                        b'L' => BodyMode::Oversized,
                        b'M' => BodyMode::AtLimit,
                        _ => BodyMode::Whole,
                    },
                }
            }
        };
        records.push(record);
    }
    (flags, records)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn decimal(field: &[u8]) -> Option<u64> {
    std::str::from_utf8(field).ok()?.parse().ok()
}

// ----- the model --------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Accepted,
    Revoked,
}

#[derive(Debug)]
struct Token {
    id: String,
    user_id: String,
    org_id: Option<String>,
    state: State,
    /// Unix ms; `expire` lowers it to the moment of the call.
    expires_at: i64,
    /// Set by `expire`: expired from then on, whatever the clock says.
    forced_expired: bool,
    updated_at: i64,
}

impl Token {
    /// Whether the token has expired at some instant in `[from, to]`:
    /// `Some` when the answer is the same for the whole interval.
    fn expired_during(&self, from: i64, to: i64) -> Option<bool> {
        if self.forced_expired || from >= self.expires_at {
            Some(true)
        } else if to < self.expires_at {
            Some(false)
        } else {
            None
        }
    }
}

#[derive(Debug)]
struct InjectedFailure {
    remaining: u64,
    status: StatusCode,
    code: Option<String>,
    retry_after: Option<u64>,
}

#[derive(Debug)]
struct Model {
    only_key: bool,
    only_user: bool,
    rate_limited: bool,
    used: HashMap<String, u32>,
    failures: VecDeque<InjectedFailure>,
    tokens: Vec<Token>,
    trace_ids: HashSet<String>,
}

/// What the model expects of one request.
#[derive(Debug)]
enum Expect {
    /// An injected failure.
    Injected {
        status: StatusCode,
        code: Option<String>,
        retry_after: Option<u64>,
    },
    /// A Clerk error with these codes.
    Error {
        status: StatusCode,
        codes: Vec<&'static str>,
    },
    /// A successful create.
    Created {
        user_id: String,
        org_id: Option<String>,
        seconds: u64,
    },
    /// A successful revoke of token `index`.
    Revoked { index: usize },
    /// Token `index` expires during the call: revoked, or refused as expired.
    RevokedOrExpired { index: usize },
    /// The expiry overflows at some instants of the call: created, or 422.
    CreatedOrOverflow {
        user_id: String,
        org_id: Option<String>,
        seconds: u64,
    },
}

fn error(status: StatusCode, codes: Vec<&'static str>) -> Expect {
    Expect::Error { status, codes }
}

/// The route as the documentation describes it.
enum Route {
    Create,
    Revoke(String),
    Unknown,
}

fn route(path: &str) -> Route {
    const BASE: &str = "/v1/sign_in_tokens";
    if path == BASE {
        return Route::Create;
    }
    let id = path
        .strip_prefix(BASE)
        .and_then(|p| p.strip_prefix('/'))
        .and_then(|p| p.strip_suffix("/revoke"));
    match id {
        Some(id) if !id.is_empty() && !id.contains('/') => Route::Revoke(id.to_owned()),
        _ => Route::Unknown,
    }
}

/// `%XX` decoding of a path segment; `None` for a bad escape or bad UTF-8.
fn percent_decode(segment: &str) -> Option<String> {
    let mut out = Vec::new();
    let mut bytes = segment.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = char::from(bytes.next()?).to_digit(16)?;
            let lo = char::from(bytes.next()?).to_digit(16)?;
            out.push((hi * 16 + lo) as u8);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

/// The secret key from an `Authorization` value: `Bearer` (any case), a
/// space, optional blanks, then `sk_test_`/`sk_live_` and at least one
/// visible ASCII character, nothing else.
fn secret_key(value: &HeaderValue) -> Option<String> {
    let bytes = value.as_bytes();
    // Only visible ASCII, space and tab are text (everything else fails
    // `to_str`, and such a value is refused).
    if !bytes
        .iter()
        .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b))
    {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.trim_matches([' ', '\t']);
    let space = text.find(' ')?;
    let (scheme, rest) = (&text[..space], &text[space + 1..]);
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let key = rest.trim_start_matches([' ', '\t']);
    let secret = key
        .strip_prefix("sk_test_")
        .or_else(|| key.strip_prefix("sk_live_"))?;
    let visible = !secret.is_empty() && secret.bytes().all(|b| (0x21..0x7f).contains(&b));
    visible.then(|| key.to_owned())
}

fn is_blank(s: &str) -> bool {
    s.chars().all(char::is_whitespace)
}

impl Model {
    fn new(flags: u8) -> Self {
        Self {
            only_key: flags & 0x01 != 0,
            only_user: flags & 0x02 != 0,
            rate_limited: flags & 0x04 != 0,
            used: HashMap::new(),
            failures: VecDeque::new(),
            tokens: Vec::new(),
            trace_ids: HashSet::new(),
        }
    }

    fn config(&self) -> MockClerk {
        let mut b = MockClerk::builder();
        b = if self.rate_limited {
            b.rate_limit(RATE_MAX, RATE_WINDOW)
        } else {
            b.no_rate_limit()
        };
        if self.only_key {
            b = b.secret_keys([KEY]);
        }
        if self.only_user {
            b = b.users([USER]);
        }
        b.build()
    }

    fn user_exists(&self, user_id: &str) -> bool {
        if self.only_user {
            user_id == USER
        } else {
            user_id.starts_with("user_")
        }
    }

    /// Replaces `{N}` with token ids.
    fn substitute(&self, target: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(target.len());
        let mut i = 0;
        while i < target.len() {
            if let [b'{', d @ b'0'..=b'9', b'}', ..] = target[i..] {
                let n = usize::from(d - b'0');
                match self.tokens.len() {
                    0 => out.extend_from_slice(b"sit_none"),
                    len => out.extend_from_slice(self.tokens[n % len].id.as_bytes()),
                }
                i += 3;
            } else {
                out.push(target[i]);
                i += 1;
            }
        }
        out
    }

    /// What the mock must answer, consuming an injected failure and
    /// counting the rate limit as the mock does.
    fn expect(
        &mut self,
        request: &http::Request<()>,
        body: &[u8],
        mode: BodyMode,
        from: i64,
        to: i64,
    ) -> Expect {
        if let Some(front) = self.failures.front_mut() {
            let expect = Expect::Injected {
                status: front.status,
                code: front.code.clone(),
                retry_after: front.retry_after,
            };
            front.remaining -= 1;
            if front.remaining == 0 {
                self.failures.pop_front();
            }
            return expect;
        }
        let route = route(request.uri().path());
        if let Route::Unknown = route {
            return error(StatusCode::NOT_FOUND, vec!["resource_not_found"]);
        }
        if request.method() != Method::POST {
            return error(StatusCode::METHOD_NOT_ALLOWED, vec!["method_not_allowed"]);
        }
        let Some(auth) = request.headers().get(http::header::AUTHORIZATION) else {
            return error(
                StatusCode::UNAUTHORIZED,
                vec!["authorization_header_missing"],
            );
        };
        let key = match secret_key(auth) {
            Some(key) if !self.only_key || key == KEY => key,
            _ => return error(StatusCode::UNAUTHORIZED, vec!["authorization_invalid"]),
        };
        if self.rate_limited {
            let used = self.used.entry(key).or_default();
            if *used >= RATE_MAX {
                return error(StatusCode::TOO_MANY_REQUESTS, vec!["too_many_requests"]);
            }
            *used += 1;
        }
        match route {
            Route::Create => self.expect_create(body, mode, from, to),
            Route::Revoke(raw) => {
                let Some(id) = percent_decode(&raw) else {
                    return error(StatusCode::NOT_FOUND, vec!["resource_not_found"]);
                };
                let Some(index) = self.tokens.iter().position(|t| t.id == id) else {
                    return error(StatusCode::NOT_FOUND, vec!["resource_not_found"]);
                };
                let token = &self.tokens[index];
                if token.state != State::Pending {
                    return error(StatusCode::BAD_REQUEST, vec![CANNOT_REVOKE]);
                }
                match token.expired_during(from, to) {
                    Some(true) => error(StatusCode::BAD_REQUEST, vec![CANNOT_REVOKE]),
                    Some(false) => Expect::Revoked { index },
                    None => Expect::RevokedOrExpired { index },
                }
            }
            Route::Unknown => unreachable!("handled above"),
        }
    }

    fn expect_create(&self, body: &[u8], mode: BodyMode, from: i64, to: i64) -> Expect {
        if body.len() > MAX_BODY {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                vec!["request_body_too_large"],
            );
        }
        if mode == BodyMode::Broken {
            return error(StatusCode::BAD_REQUEST, vec!["request_body_invalid"]);
        }
        // An empty (or blank) body counts as `{}`.
        let mut params = if body.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(map)) => map,
                _ => return error(StatusCode::BAD_REQUEST, vec!["request_body_invalid"]),
            }
        };
        let mut codes = Vec::new();
        let user_id = match params.remove("user_id") {
            Some(Value::String(s)) if !is_blank(&s) => Some(s),
            None | Some(Value::Null) | Some(Value::String(_)) => {
                codes.push("form_param_missing");
                None
            }
            Some(_) => {
                codes.push("form_param_value_invalid");
                None
            }
        };
        let org_id = match params.remove("org_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                codes.push("form_param_value_invalid");
                None
            }
        };
        let seconds = match params.remove("expires_in_seconds") {
            None | Some(Value::Null) => DEFAULT_EXPIRES_IN_SECONDS,
            Some(Value::Number(n)) if n.as_u64().is_some_and(|s| s >= 1) => {
                n.as_u64().unwrap_or_default()
            }
            Some(_) => {
                codes.push("form_param_value_invalid");
                0
            }
        };
        let Some(user_id) = user_id.filter(|_| codes.is_empty()) else {
            return error(StatusCode::UNPROCESSABLE_ENTITY, codes);
        };
        if !self.user_exists(&user_id) {
            return error(StatusCode::NOT_FOUND, vec!["resource_not_found"]);
        }
        let fits = |now: i64| {
            i64::try_from(seconds)
                .ok()
                .and_then(|s| s.checked_mul(1000))
                .and_then(|ms| ms.checked_add(now))
                .is_some()
        };
        match (fits(from), fits(to)) {
            (true, true) => Expect::Created {
                user_id,
                org_id,
                seconds,
            },
            (false, false) => error(
                StatusCode::UNPROCESSABLE_ENTITY,
                vec!["form_param_value_invalid"],
            ),
            _ => Expect::CreatedOrOverflow {
                user_id,
                org_id,
                seconds,
            },
        }
    }

    fn token_index(&self, id: &str) -> Option<usize> {
        self.tokens.iter().position(|t| t.id == id)
    }
}

// ----- checking replies -------------------------------------------------

fn header<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
    let mut values = reply.headers.get_all(name).iter();
    let first = values.next()?;
    assert!(values.next().is_none(), "more than one {name} header");
    Some(
        first
            .to_str()
            .unwrap_or_else(|_| panic!("{name} is not visible ASCII")),
    )
}

/// Checks what every reply must be, returns its body as JSON.
fn check_common(model: &mut Model, reply: &Reply) -> Value {
    assert_eq!(header(reply, "content-type"), Some("application/json"));
    let trace = header(reply, "clerk-trace-id").expect("a Clerk-Trace-Id header");
    assert!(
        trace.len() == 32
            && trace
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "trace id {trace:?}"
    );
    assert!(
        model.trace_ids.insert(trace.to_owned()),
        "trace id {trace} repeated"
    );
    let body = reply.body.as_ref().expect("the body is whole");
    let json: Value = serde_json::from_slice(body).unwrap_or_else(|e| {
        panic!(
            "the body is not JSON ({e}): {:?}",
            String::from_utf8_lossy(body)
        )
    });
    if !reply.status.is_success() {
        check_error_shape(&json, trace);
    }
    if reply.status != StatusCode::METHOD_NOT_ALLOWED {
        assert!(
            reply.headers.get("allow").is_none(),
            "Allow on a {}",
            reply.status
        );
    }
    json
}

fn check_error_shape(json: &Value, trace: &str) {
    let obj = json.as_object().expect("an error body is an object");
    let errors = obj["errors"].as_array().expect("errors is an array");
    assert!(!errors.is_empty(), "errors is empty");
    for e in errors {
        let e = e.as_object().expect("each error is an object");
        for field in ["code", "message", "long_message"] {
            assert!(
                e.get(field).is_some_and(Value::is_string),
                "error without string {field}"
            );
        }
        assert!(
            e.get("meta").is_some_and(Value::is_object),
            "error without meta object"
        );
    }
    assert!(
        obj.get("meta").is_some_and(Value::is_object),
        "no top-level meta object"
    );
    assert_eq!(
        obj.get("clerk_trace_id").and_then(Value::as_str),
        Some(trace)
    );
}

fn codes(json: &Value) -> Vec<&str> {
    json["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["code"].as_str()).collect())
        .unwrap_or_default()
}

fn check_created(
    model: &mut Model,
    reply: &Reply,
    json: &Value,
    user_id: String,
    org_id: Option<String>,
    seconds: u64,
    (from, to): (i64, i64),
) {
    assert_eq!(reply.status, StatusCode::OK);
    assert!(header(reply, "retry-after").is_none());
    assert_eq!(json["object"], "sign_in_token");
    assert_eq!(json["status"], "pending");
    assert_eq!(json["user_id"].as_str(), Some(user_id.as_str()));
    let id = json["id"].as_str().expect("an id").to_owned();
    let suffix = id.strip_prefix("sit_").expect("a sit_ id");
    assert!(
        suffix.len() == 27 && suffix.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{id}"
    );
    assert!(model.token_index(&id).is_none(), "id {id} handed out twice");
    let ticket = json["token"].as_str().expect("a ticket");
    let parts: Vec<_> = ticket.split('.').collect();
    assert_eq!(parts.len(), 3, "{ticket}");
    assert!(parts.iter().all(|p| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }));
    let url = json["url"].as_str().expect("a url");
    assert_eq!(
        url,
        format!("{DEFAULT_ACCOUNTS_URL}/sign-in?__clerk_ticket={ticket}")
    );
    let created = json["created_at"].as_i64().expect("created_at");
    assert_eq!(json["updated_at"].as_i64(), Some(created));
    assert!(
        (from..=to).contains(&created),
        "created_at {created} not in {from}..={to}"
    );
    let expires_at = i64::try_from(seconds)
        .ok()
        .and_then(|s| s.checked_mul(1000))
        .and_then(|ms| ms.checked_add(created))
        .expect("a created token's expiry fits");
    model.tokens.push(Token {
        id,
        user_id,
        org_id,
        state: State::Pending,
        expires_at,
        forced_expired: false,
        updated_at: created,
    });
}

fn check_revoked(model: &mut Model, reply: &Reply, json: &Value, index: usize) {
    assert_eq!(reply.status, StatusCode::OK);
    assert!(header(reply, "retry-after").is_none());
    let token = &mut model.tokens[index];
    assert_eq!(json["object"], "sign_in_token");
    assert_eq!(json["id"].as_str(), Some(token.id.as_str()));
    assert_eq!(json["status"], "revoked");
    assert_eq!(json["user_id"].as_str(), Some(token.user_id.as_str()));
    assert!(
        json.get("token").is_none(),
        "a revoked token still has its ticket"
    );
    assert!(
        json.get("url").is_some_and(Value::is_null),
        "a revoked token's url is not null"
    );
    let updated = json["updated_at"].as_i64().expect("updated_at");
    assert!(updated > token.updated_at, "updated_at did not move");
    token.updated_at = updated;
    token.state = State::Revoked;
}

fn check_error(reply: &Reply, json: &Value, status: StatusCode, expected: &[&str]) {
    assert_eq!(reply.status, status, "body {json}");
    assert_eq!(codes(json), expected, "status {status}");
    let retry_after = header(reply, "retry-after");
    if status == StatusCode::TOO_MANY_REQUESTS {
        let secs: u64 = retry_after
            .expect("Retry-After on a 429")
            .parse()
            .expect("seconds");
        assert!(
            (1..=RATE_WINDOW.as_secs()).contains(&secs),
            "Retry-After {secs}"
        );
    } else {
        assert!(retry_after.is_none(), "Retry-After on a {status}");
    }
    if status == StatusCode::METHOD_NOT_ALLOWED {
        assert_eq!(header(reply, "allow"), Some("POST"));
    }
    if expected == [CANNOT_REVOKE] {
        let long = json["errors"][0]["long_message"]
            .as_str()
            .unwrap_or_default();
        assert!(
            ["accepted", "revoked", "expired"]
                .iter()
                .any(|s| long.contains(&format!("status is {s}."))),
            "{long}"
        );
    }
}

/// The default code of an injected failure, as `Failure`'s documentation
/// lists them.
fn default_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        500..=599 => "internal_error",
        429 => "too_many_requests",
        404 => "resource_not_found",
        401 | 403 => "authorization_invalid",
        400 => "bad_request",
        _ => "injected_error",
    }
}

fn check_injected(
    reply: &Reply,
    json: &Value,
    status: StatusCode,
    code: Option<&str>,
    retry_after: Option<u64>,
) {
    assert_eq!(reply.status, status);
    assert_eq!(codes(json), [code.unwrap_or(default_code(status))]);
    let header = header(reply, "retry-after").map(str::to_owned);
    assert_eq!(header, retry_after.map(|s| s.to_string()));
    assert!(reply.headers.get("allow").is_none());
}

// ----- driving ----------------------------------------------------------

fn build_request(
    model: &Model,
    method: &[u8],
    target: &[u8],
    headers: &[u8],
) -> Option<http::Request<()>> {
    let method = if method.is_empty() {
        Method::POST
    } else {
        Method::from_bytes(method).ok()?
    };
    let uri = Uri::try_from(model.substitute(target)).ok()?;
    let mut request = http::Request::builder()
        .method(method)
        .uri(uri)
        .body(())
        .ok()?;
    for line in headers.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let value = line[colon + 1..].trim_ascii();
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(value),
        ) else {
            continue;
        };
        request.headers_mut().append(name, value);
    }
    Some(request)
}

fn body_chunks(body: &[u8], mode: BodyMode) -> Vec<Bytes> {
    match mode {
        BodyMode::Whole => vec![Bytes::copy_from_slice(body)],
        BodyMode::Chunked | BodyMode::Broken => body
            .split(|&b| b == CHUNK)
            .map(Bytes::copy_from_slice)
            .collect(),
        BodyMode::Oversized => {
            let unit = if body.is_empty() { &b" "[..] } else { body };
            let mut big = Vec::with_capacity(MAX_BODY + 1 + unit.len());
            while big.len() <= MAX_BODY {
                big.extend_from_slice(unit);
            }
            big.truncate(MAX_BODY + 1);
            // Several frames, so the limit is met mid-stream.
            big.chunks(16 * 1024).map(Bytes::copy_from_slice).collect()
        }
        BodyMode::AtLimit => {
            let mut padded = body[..body.len().min(MAX_BODY)].to_vec();
            padded.resize(MAX_BODY, b' ');
            vec![Bytes::from(padded)]
        }
    }
}

fn run_request(
    mock: &Harness,
    model: &mut Model,
    request: http::Request<()>,
    body: &[u8],
    mode: BodyMode,
) {
    let chunks = body_chunks(body, mode);
    let whole: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
    let (parts, ()) = request.into_parts();
    let shape = http::Request::from_parts(parts.clone(), ());
    let sent = http::Request::from_parts(
        parts,
        if mode == BodyMode::Broken {
            RequestBody::failing(chunks)
        } else {
            RequestBody::new(chunks)
        },
    );
    let from = now_ms();
    let reply = mock.handle(sent);
    let to = now_ms();
    let expect = model.expect(&shape, &whole, mode, from, to);
    if debug() {
        eprintln!(
            "{} {} ({} body bytes, {mode:?}) -> {} {:?}\n  expected {expect:?}",
            shape.method(),
            shape.uri(),
            whole.len(),
            reply.status,
            reply
                .body
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
        );
    }
    let json = check_common(model, &reply);
    match expect {
        Expect::Injected {
            status,
            code,
            retry_after,
        } => check_injected(&reply, &json, status, code.as_deref(), retry_after),
        Expect::Error { status, codes } => check_error(&reply, &json, status, &codes),
        Expect::Created {
            user_id,
            org_id,
            seconds,
        } => check_created(model, &reply, &json, user_id, org_id, seconds, (from, to)),
        Expect::CreatedOrOverflow {
            user_id,
            org_id,
            seconds,
        } => {
            if reply.status.is_success() {
                check_created(model, &reply, &json, user_id, org_id, seconds, (from, to));
            } else {
                let codes = ["form_param_value_invalid"];
                check_error(&reply, &json, StatusCode::UNPROCESSABLE_ENTITY, &codes);
            }
        }
        Expect::Revoked { index } => check_revoked(model, &reply, &json, index),
        Expect::RevokedOrExpired { index } => {
            if reply.status.is_success() {
                check_revoked(model, &reply, &json, index);
            } else {
                check_error(&reply, &json, StatusCode::BAD_REQUEST, &[CANNOT_REVOKE]);
            }
        }
    }
}

fn run(data: &[u8]) {
    let (flags, records) = decode(data);
    let mut model = Model::new(flags);
    let mock = Harness::new(&model.config()).expect("a runtime");
    for record in records {
        match record {
            Record::Request {
                method,
                target,
                headers,
                body,
                mode,
            } => {
                // Requests that cannot exist on the wire are skipped.
                if let Some(request) = build_request(&model, &method, &target, &headers) {
                    run_request(&mock, &mut model, request, &body, mode);
                }
            }
            Record::Fail {
                status,
                count,
                code,
                message,
                long_message,
                retry_after,
            } => {
                let Some(status) = decimal(&status)
                    .and_then(|s| u16::try_from(s).ok())
                    .and_then(|s| StatusCode::from_u16(s).ok())
                else {
                    continue;
                };
                let count = decimal(&count).unwrap_or(1).clamp(1, 3);
                let mut failure = Failure::new(status);
                let code = (!code.is_empty()).then(|| String::from_utf8_lossy(&code).into_owned());
                if let Some(code) = &code {
                    failure = failure.with_code(code.clone());
                }
                if !message.is_empty() || !long_message.is_empty() {
                    failure = failure.with_messages(
                        String::from_utf8_lossy(&message),
                        String::from_utf8_lossy(&long_message),
                    );
                }
                let retry_after = decimal(&retry_after);
                if let Some(secs) = retry_after {
                    failure = failure.with_retry_after(Duration::from_secs(secs));
                }
                // Statuses below 400 are not failures: the mock makes them 500.
                let status = if status.as_u16() < 400 {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    status
                };
                assert_eq!(failure.status(), status);
                mock.fail_next_with(count, failure);
                model.failures.push_back(InjectedFailure {
                    remaining: count,
                    status,
                    code,
                    retry_after: retry_after.map(|s| s.max(1)),
                });
            }
            Record::Accept(target) => {
                let id = String::from_utf8_lossy(&model.substitute(&target)).into_owned();
                let from = now_ms();
                let accepted = mock.mark_accepted(&id);
                let to = now_ms();
                match model.token_index(&id) {
                    None => assert!(!accepted, "accepted unknown token {id:?}"),
                    Some(i) => {
                        let token = &mut model.tokens[i];
                        let expected = match token.state {
                            State::Pending => token.expired_during(from, to).map(|e| !e),
                            _ => Some(false),
                        };
                        if let Some(expected) = expected {
                            assert_eq!(accepted, expected, "mark_accepted({id})");
                        }
                        if accepted {
                            token.state = State::Accepted;
                            token.updated_at = token.updated_at.saturating_add(1).max(from);
                        }
                    }
                }
            }
            Record::Expire(target) => {
                let id = String::from_utf8_lossy(&model.substitute(&target)).into_owned();
                let known = mock.expire(&id);
                match model.token_index(&id) {
                    None => assert!(!known, "expired unknown token {id:?}"),
                    Some(i) => {
                        assert!(known, "expire({id}) did not find it");
                        model.tokens[i].forced_expired = true;
                    }
                }
            }
        }
    }

    let stored = mock.tokens();
    assert_eq!(
        stored.len(),
        model.tokens.len(),
        "the mock holds other tokens"
    );
    for (got, want) in stored.iter().zip(&model.tokens) {
        assert_eq!(got.id, want.id);
        assert_eq!(got.user_id, want.user_id);
        assert_eq!(got.org_id, want.org_id);
        let state = match got.status {
            TokenStatus::Pending => State::Pending,
            TokenStatus::Accepted => State::Accepted,
            TokenStatus::Revoked => State::Revoked,
        };
        assert_eq!(state, want.state, "{}", got.id);
        assert_eq!(got.token.is_none(), state == State::Revoked);
    }
}

fuzz_target!(|data: &[u8]| run(data));
