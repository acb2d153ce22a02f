//! A minimal HTTP/1.1 client over loopback: it sends exactly the bytes a
//! test asks for, which a real client would not (a missing `Authorization`,
//! a malformed body), and reads the answer raw. clerk-mock's API tests use it.

use std::net::SocketAddr;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The key a mock under test accepts.
pub const KEY: &str = "sk_test_integration";

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
pub struct Resp {
    /// The status code.
    pub status: u16,
    /// The headers, in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// Everything after the head.
    pub body: Vec<u8>,
}

impl Resp {
    /// The first header named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The first error's code.
    pub fn code(&self) -> String {
        self.json()["errors"][0]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// Sends one request with `Connection: close` and returns the raw bytes.
pub async fn raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: Option<&str>,
) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(auth) = auth {
        req.push_str(&format!("Authorization: {auth}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() || method == "POST" {
        req.push_str("Content-Type: application/json\r\n");
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out).await;
    out
}

/// Splits raw bytes into status, headers and body (the body is whatever
/// followed the headers, not cut to Content-Length).
pub fn parse(raw: &[u8]) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..split]).expect("ascii head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Resp {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// Sends one request and parses the answer.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: Option<&str>,
) -> Resp {
    parse(&raw(addr, method, path, auth, body).await)
}

/// `Bearer KEY`.
pub fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

/// `POST /v1/sign_in_tokens` with `body`, authenticated with [`KEY`].
pub async fn create(addr: SocketAddr, body: &str) -> Resp {
    send(
        addr,
        "POST",
        "/v1/sign_in_tokens",
        Some(&bearer(KEY)),
        Some(body),
    )
    .await
}

/// Creates a token for `user` and returns it; panics unless the mock said 200.
pub async fn create_ok(addr: SocketAddr, user: &str) -> Value {
    let r = create(addr, &format!(r#"{{"user_id":"{user}"}}"#)).await;
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    r.json()
}

/// `POST /v1/sign_in_tokens/{id}/revoke`, authenticated with [`KEY`].
pub async fn revoke(addr: SocketAddr, id: &str) -> Resp {
    send(
        addr,
        "POST",
        &format!("/v1/sign_in_tokens/{id}/revoke"),
        Some(&bearer(KEY)),
        None,
    )
    .await
}

/// Checks the Clerk error envelope and returns the first error.
pub fn assert_clerk_error(r: &Resp, status: u16, code: &str) -> Value {
    assert_eq!(r.status, status, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = r.json();
    let trace = v["clerk_trace_id"].as_str().expect("clerk_trace_id");
    assert_eq!(trace.len(), 32);
    assert!(trace.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(r.header("clerk-trace-id"), Some(trace));
    assert_eq!(v["meta"], serde_json::json!({}));
    let err = v["errors"][0].clone();
    assert_eq!(err["code"], code);
    assert!(err["message"].is_string());
    assert!(err["long_message"].is_string());
    assert!(err["meta"].is_object());
    err
}

/// Unpadded base64url decoding.
pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    Some(out)
}

pub use crate::e2e::now_ms;
