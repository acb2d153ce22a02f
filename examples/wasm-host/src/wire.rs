//! The byte layouts that cross the module boundary.
//!
//! Every integer is a little-endian `u32`; every byte string is its length
//! followed by its bytes.
//!
//! Request (module to host, passed to `host_send`):
//!
//! ```text
//! method | uri | header_count | (name | value) * header_count | body
//! ```
//!
//! Response (host to module, passed to `complete`):
//!
//! ```text
//! status | header_count | (name | value) * header_count | body
//! ```
//!
//! Header names and values are raw bytes (the host maps them one to one to
//! JavaScript's "byte strings"), so nothing is lost or re-encoded on the way.

use clerk_core::bytes::Bytes;
use clerk_core::http::{HeaderName, HeaderValue, StatusCode};
use clerk_core::{HttpRequest, HttpResponse};

/// Serializes `request` for the host.
pub fn encode_request(request: &HttpRequest) -> Vec<u8> {
    let uri = request.uri().to_string();
    let headers = request.headers();
    let size = 16
        + request.method().as_str().len()
        + uri.len()
        + headers
            .iter()
            .map(|(n, v)| 8 + n.as_str().len() + v.len())
            .sum::<usize>()
        + request.body().len();
    let mut out = Vec::with_capacity(size);
    put_bytes(&mut out, request.method().as_str().as_bytes());
    put_bytes(&mut out, uri.as_bytes());
    put_u32(&mut out, headers.len());
    for (name, value) in headers {
        put_bytes(&mut out, name.as_str().as_bytes());
        put_bytes(&mut out, value.as_bytes());
    }
    put_bytes(&mut out, request.body());
    out
}

/// Reads a response the host serialized; the error says what does not fit.
pub fn decode_response(bytes: &[u8]) -> Result<HttpResponse, String> {
    let mut reader = Reader { rest: bytes };
    let status = reader.u32("status")?;
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| format!("status {status} is not an HTTP status"))?;
    let count = reader.u32("header count")?;
    let mut response = HttpResponse::new(Bytes::new());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for i in 0..count {
        let name = reader.bytes("header name")?;
        let value = reader.bytes("header value")?;
        let name =
            HeaderName::from_bytes(name).map_err(|_| format!("header {i} has an invalid name"))?;
        let value = HeaderValue::from_bytes(value)
            .map_err(|_| format!("header {i} ({name}) has an invalid value"))?;
        headers.append(name, value);
    }
    let body = reader.bytes("body")?;
    if !reader.rest.is_empty() {
        return Err(format!("{} bytes after the body", reader.rest.len()));
    }
    *response.body_mut() = Bytes::copy_from_slice(body);
    Ok(response)
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    // Every length here is far below 4 GiB: a wasm32 memory cannot hold more.
    let n = u32::try_from(n).unwrap_or(u32::MAX);
    out.extend_from_slice(&n.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u32(out, bytes.len());
    out.extend_from_slice(bytes);
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn u32(&mut self, what: &str) -> Result<u32, String> {
        match self.rest.split_first_chunk::<4>() {
            Some((n, rest)) => {
                self.rest = rest;
                Ok(u32::from_le_bytes(*n))
            }
            None => Err(format!("truncated before the {what}")),
        }
    }

    fn bytes(&mut self, what: &str) -> Result<&'a [u8], String> {
        let len = self.u32(what)? as usize;
        if len > self.rest.len() {
            return Err(format!(
                "the {what} claims {len} bytes, {} remain",
                self.rest.len()
            ));
        }
        let (bytes, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response_bytes(status: u32, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&status.to_le_bytes());
        put_u32(&mut out, headers.len());
        for (n, v) in headers {
            put_bytes(&mut out, n.as_bytes());
            put_bytes(&mut out, v.as_bytes());
        }
        put_bytes(&mut out, body);
        out
    }

    #[test]
    fn request_layout() {
        let request = clerk_core::http::Request::post("http://127.0.0.1:9/v1/sign_in_tokens")
            .header("authorization", "Bearer sk_test_x")
            .body(Bytes::from_static(b"{}"))
            .unwrap();
        let bytes = encode_request(&request);
        let mut r = Reader { rest: &bytes };
        assert_eq!(r.bytes("m").unwrap(), b"POST");
        assert_eq!(
            r.bytes("u").unwrap(),
            b"http://127.0.0.1:9/v1/sign_in_tokens"
        );
        assert_eq!(r.u32("n").unwrap(), 1);
        assert_eq!(r.bytes("n").unwrap(), b"authorization");
        assert_eq!(r.bytes("v").unwrap(), b"Bearer sk_test_x");
        assert_eq!(r.bytes("b").unwrap(), b"{}");
        assert!(r.rest.is_empty());
    }

    #[test]
    fn response_round_trip() {
        let bytes = response_bytes(
            404,
            &[
                ("content-type", "application/json"),
                ("set-cookie", "a"),
                ("set-cookie", "b"),
            ],
            b"{\"errors\":[]}",
        );
        let response = decode_response(&bytes).unwrap();
        assert_eq!(response.status(), 404);
        assert_eq!(response.headers().get_all("set-cookie").iter().count(), 2);
        assert_eq!(response.body().as_ref(), b"{\"errors\":[]}");
    }

    #[test]
    fn malformed_responses_are_refused() {
        let good = response_bytes(200, &[("x", "y")], b"body");
        for cut in 0..good.len() {
            assert!(decode_response(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = good.clone();
        long.push(0);
        assert!(
            decode_response(&long)
                .unwrap_err()
                .contains("after the body")
        );
        assert!(decode_response(&response_bytes(1000, &[], b"")).is_err());
        assert!(decode_response(&response_bytes(200, &[("bad name", "v")], b"")).is_err());
        assert!(decode_response(&response_bytes(200, &[("n", "a\nb")], b"")).is_err());
    }
}
