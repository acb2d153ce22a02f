//! Fuzzes `clerk_core::response::sign_in_token` with arbitrary responses.
//!
//! Input layout (every field is cut short when the input ends):
//!
//! ```text
//! [0..2]  status, u16 big-endian: used as is in 100..=999, else 100 + v % 900
//! [2]     header flags: 0x01 content-type, 0x02 content-encoding,
//!         0x04 retry-after, 0x08 date, 0x10 clerk-trace-id
//! [3]     plant flags:  0x01 `,"token":"SENTINEL…"`,
//!         0x02 `&__clerk_ticket=SENTINEL…`, 0x04 ` sk_test_SENTINEL…`
//! then    for each header flag set, in the order above: one length byte L,
//!         then L bytes of value (a value `http` refuses is left out)
//! then    for each plant flag set, in the order above: a u16 big-endian
//!         offset into the body (mod body length + 1) where it is inserted
//! rest    the body
//! ```
//!
//! Invariants, for every input:
//! - `sign_in_token` never panics;
//! - `Ok` only for a 2xx status, and the token's `object` is `sign_in_token`;
//! - the error is one of `Api`, `UnexpectedResponse`, `Decode`, with the
//!   response's status; `Api` never for 1xx, 2xx or 3xx;
//! - when secrets are planted, neither `Display` nor `Debug` of the error
//!   contains `SENTINEL` (unless the same text shows up when a control
//!   string of the same shape is planted instead, i.e. the fuzzer wrote it),
//!   and both are byte-for-byte the same as with the control string: the
//!   error does not depend on a secret's value at all.
#![no_main]

use std::sync::OnceLock;

use clerk_core::http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use clerk_core::{Error, SignInToken, SignInTokenStatus, bytes::Bytes};
use libfuzzer_sys::fuzz_target;

const SENTINEL: &str = "SENTINEL";
/// Same length and character classes as `SENTINEL`, so the redactor and the
/// JSON parser see the same shapes; only the letters differ.
const CONTROL: &str = "QWERTYUI";

/// The planted secrets, in plant-flag order. Each starts with a separator
/// (`,`, `&`, space) that no redaction rule carries across, so the text the
/// fuzzer writes before it cannot swallow it into something else.
const PLANTS: [(&str, &str); 3] = [
    (",\"token\":\"", "tok0123\""),
    ("&__clerk_ticket=", "tix0123"),
    (" sk_test_", "key0123"),
];

const HEADERS: [HeaderName; 5] = [
    clerk_core::http::header::CONTENT_TYPE,
    clerk_core::http::header::CONTENT_ENCODING,
    clerk_core::http::header::RETRY_AFTER,
    clerk_core::http::header::DATE,
    clerk_core::CLERK_TRACE_ID,
];

/// `CLERK_FUZZ_DEBUG=1` prints each case and its outcome (for reading
/// crashes and seeds with `cargo fuzz run <target> <file>`).
fn debug() -> bool {
    static DEBUG: OnceLock<bool> = OnceLock::new();
    *DEBUG.get_or_init(|| std::env::var_os("CLERK_FUZZ_DEBUG").is_some_and(|v| v != "0"))
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        head
    }
    fn u8(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }
    fn u16(&mut self) -> u16 {
        let b = self.take(2);
        match b {
            [hi, lo] => u16::from_be_bytes([*hi, *lo]),
            [hi] => u16::from(*hi) << 8,
            _ => 0,
        }
    }
}

struct Case<'a> {
    status: StatusCode,
    headers: HeaderMap,
    /// (offset into `body`, plant index), sorted.
    plants: Vec<(usize, usize)>,
    body: &'a [u8],
}

fn decode(data: &[u8]) -> Case<'_> {
    let mut r = Reader(data);
    let raw = r.u16();
    let code = if (100..=999).contains(&raw) {
        raw
    } else {
        100 + raw % 900
    };
    let status = StatusCode::from_u16(code).expect("100..=999 is a valid status");
    let header_flags = r.u8();
    let plant_flags = r.u8();

    let mut headers = HeaderMap::new();
    for (bit, name) in HEADERS.iter().enumerate() {
        if header_flags & (1 << bit) != 0 {
            let len = usize::from(r.u8());
            let value = r.take(len);
            if let Ok(value) = HeaderValue::from_bytes(value) {
                headers.insert(name.clone(), value);
            }
        }
    }

    let mut offsets = Vec::new();
    for i in 0..PLANTS.len() {
        if plant_flags & (1 << i) != 0 {
            offsets.push((usize::from(r.u16()), i));
        }
    }
    let body = r.0;
    let mut plants: Vec<(usize, usize)> = offsets
        .into_iter()
        .map(|(off, i)| (off % (body.len() + 1), i))
        .collect();
    plants.sort_unstable();

    Case {
        status,
        headers,
        plants,
        body,
    }
}

/// The body with every plant inserted, the secret spelled `word`.
fn planted_body(case: &Case<'_>, word: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(case.body.len() + 48 * case.plants.len());
    let mut at = 0;
    for &(offset, i) in &case.plants {
        out.extend_from_slice(&case.body[at..offset]);
        let (before, after) = PLANTS[i];
        out.extend_from_slice(before.as_bytes());
        out.extend_from_slice(word.as_bytes());
        out.extend_from_slice(after.as_bytes());
        at = offset;
    }
    out.extend_from_slice(&case.body[at..]);
    out
}

/// Parses the case with the secret spelled `word`, and checks the outcome.
fn run(case: &Case<'_>, word: &str) -> Option<(String, String)> {
    let body = planted_body(case, word);
    let body_len = body.len();
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = case.status;
    *response.headers_mut() = case.headers.clone();
    let result = clerk_core::response::sign_in_token(&response);
    if debug() {
        eprintln!(
            "{} {:?} body {:?}",
            case.status,
            case.headers,
            String::from_utf8_lossy(response.body())
        );
        match &result {
            Ok(token) => eprintln!("  Ok {token:?}"),
            Err(err) => eprintln!("  Err {err}\n      {err:?}"),
        }
    }
    check(case, body_len, &result)
}

/// Checks what holds for every outcome, and returns the text a leak would
/// show up in: the error's `Display` and `Debug`.
fn check(
    case: &Case<'_>,
    body_len: usize,
    result: &Result<SignInToken, Error>,
) -> Option<(String, String)> {
    match result {
        Ok(token) => {
            assert!(case.status.is_success(), "Ok for status {}", case.status);
            assert_eq!(token.object, "sign_in_token");
            if let SignInTokenStatus::Unknown(s) = &token.status {
                assert!(
                    !matches!(s.as_str(), "pending" | "accepted" | "revoked"),
                    "known status {s:?} parsed as Unknown"
                );
            }
            assert_eq!(SignInTokenStatus::from(token.status.as_str()), token.status);
            // The token and url are secrets whatever they hold.
            for secret in [&token.token, &token.url].into_iter().flatten() {
                assert_eq!(format!("{secret:?}"), "SecretString([redacted])");
                assert_eq!(secret.to_string(), "[redacted]");
            }
            None
        }
        Err(err) => {
            assert_eq!(err.status(), Some(case.status), "error lost the status");
            match err {
                Error::Api(api) => {
                    assert!(
                        !(case.status.is_informational()
                            || case.status.is_success()
                            || case.status.is_redirection()),
                        "Api error for status {}",
                        case.status
                    );
                    assert_eq!(api.status(), case.status);
                }
                Error::UnexpectedResponse(u) => {
                    assert_eq!(u.body_len(), body_len);
                }
                Error::Decode(d) => {
                    assert!(case.status.is_success(), "Decode error for {}", case.status);
                    assert_eq!(d.status(), case.status);
                }
                other => panic!("a response parser returned {other:?}"),
            }
            // Exercise the accessors; none may panic.
            let _ = err.codes().count();
            let _ = err.clerk_trace_id();
            let _ = err.retry_after();
            let _ = err.retry_after_delay();
            let _ = err.is_retryable();
            let debug = format!("{err:?}");
            Some((err.to_string(), debug))
        }
    }
}


fuzz_target!(|data: &[u8]| {
    let case = decode(data);
    let secret = run(&case, SENTINEL);
    if case.plants.is_empty() {
        return;
    }
    let control = run(&case, CONTROL);
    match (secret, control) {
        (None, None) => {}
        (Some((display, debug)), Some((c_display, c_debug))) => {
            for (what, text, control_text) in [
                ("Display", &display, &c_display),
                ("Debug", &debug, &c_debug),
            ] {
                assert!(
                    !text.contains(SENTINEL) || control_text.contains(SENTINEL),
                    "error {what} leaks a planted secret: {text}"
                );
                assert!(
                    text == control_text,
                    "error {what} depends on a secret's value:\n  with secret:  {text}\n  with control: {control_text}"
                );
            }
        }
        (secret, control) => panic!(
            "the outcome depends on a secret's value: with secret {}, with control {}",
            if secret.is_some() { "Err" } else { "Ok" },
            if control.is_some() { "Err" } else { "Ok" },
        ),
    }
});
