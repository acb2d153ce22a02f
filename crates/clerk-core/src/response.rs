//! Reading responses: pure functions from an HTTP response to a model or an
//! [`Error`]. Every status is judged here and only here.
//!
//! - 2xx with a JSON (or unlabelled) body: the [`SignInToken`], or
//!   [`Error::Decode`] naming the field that does not fit.
//! - Any other status with Clerk's error body: [`Error::Api`].
//! - Anything else (HTML from a proxy, an empty body, a redirect, a
//!   `Content-Encoding` nobody asked for): [`Error::UnexpectedResponse`] with
//!   a short, redacted excerpt of the body.

use http::header::{CONTENT_ENCODING, CONTENT_TYPE, DATE, RETRY_AFTER};
use http::{HeaderMap, HeaderName, StatusCode};

use crate::error::{
    ApiError, ClerkError, DecodeError, Error, ResponseTiming, RetryAfter, UnexpectedResponse,
};
use crate::model::SignInToken;
use crate::redact::{redact, redact_excerpt, redact_json_map};

/// The header Clerk may put its trace id in.
pub const CLERK_TRACE_ID: HeaderName = HeaderName::from_static("clerk-trace-id");
const CF_RAY: HeaderName = HeaderName::from_static("cf-ray");
const EXCERPT_BYTES: usize = 256;

/// Reads the answer to create or revoke.
///
/// Accepts any body that can be seen as bytes (`Bytes`, `Vec<u8>`, `String`,
/// `&str`), so any HTTP stack's response fits after collecting its body.
///
/// ```
/// use clerk_core::{response, SignInTokenStatus};
///
/// let reply = http::Response::builder()
///     .status(200)
///     .header("content-type", "application/json")
///     .body(r#"{"object":"sign_in_token","id":"sit_1","status":"revoked","user_id":"user_1","url":null,"created_at":1638000669544,"updated_at":1638000700000}"#)
///     .unwrap();
/// let token = response::sign_in_token(&reply).unwrap();
/// assert_eq!(token.status, SignInTokenStatus::Revoked);
/// assert!(token.token.is_none() && token.url.is_none());
/// ```
pub fn sign_in_token<B: AsRef<[u8]>>(response: &http::Response<B>) -> Result<SignInToken, Error> {
    let status = response.status();
    let headers = response.headers();
    let body = response.body().as_ref();

    if let Some(reason) = refused_encoding(headers) {
        return Err(unexpected(status, headers, body, reason));
    }

    if status.is_success() {
        if body.is_empty() {
            return Err(unexpected(status, headers, body, "empty body on success"));
        }
        if !is_json_or_unlabelled(headers) {
            return Err(unexpected(
                status,
                headers,
                body,
                "success without a JSON body",
            ));
        }
        let json = strip_bom(body);
        return match serde_json::from_slice::<SignInToken>(json) {
            Ok(token) if token.object == "sign_in_token" => Ok(token),
            Ok(_) => Err(decode_error(
                status,
                headers,
                "object".into(),
                "expected \"sign_in_token\"".into(),
            )),
            Err(e) => {
                let (path, problem) = diagnose(json, &e);
                Err(decode_error(status, headers, path, problem))
            }
        };
    }

    if status.is_informational() || status.is_redirection() {
        let reason = if status.is_redirection() {
            "redirect (redirects are never followed)"
        } else {
            "informational status as a final answer"
        };
        return Err(unexpected(status, headers, body, reason));
    }

    match clerk_errors(body) {
        Some(parsed) => {
            let clerk_trace_id = parsed
                .clerk_trace_id
                .filter(|id| !id.is_empty())
                .map(|id| redact(&id))
                .or_else(|| trace_id_header(headers));
            let errors = parsed
                .errors
                .into_iter()
                .map(|mut e| {
                    e.message = redact(&e.message);
                    e.long_message = e.long_message.map(|m| redact(&m));
                    e.code = redact(&e.code);
                    if let Some(meta) = &mut e.meta {
                        redact_json_map(meta);
                    }
                    e
                })
                .collect();
            let meta = parsed.meta.map(|mut m| {
                redact_json_map(&mut m);
                m
            });
            Err(Error::Api(Box::new(ApiError {
                status,
                errors,
                meta,
                clerk_trace_id,
                timing: timing(headers),
                headers: crate::error::HeaderNamesOnly(headers.clone()),
                revoked_by_earlier_attempt: false,
            })))
        }
        None => Err(unexpected(
            status,
            headers,
            body,
            "error status without a Clerk error body",
        )),
    }
}

type JsonMap = serde_json::Map<String, serde_json::Value>;

/// Clerk's error body, leniently: `errors` must be an array of objects.
#[derive(serde::Deserialize)]
struct ClerkErrors {
    errors: Vec<ClerkError>,
    #[serde(default)]
    meta: Option<JsonMap>,
    #[serde(default)]
    clerk_trace_id: Option<String>,
}

fn clerk_errors(body: &[u8]) -> Option<ClerkErrors> {
    serde_json::from_slice::<ClerkErrors>(strip_bom(body)).ok()
}

fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

fn header_str<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn refused_encoding(headers: &HeaderMap) -> Option<&'static str> {
    let encoding = headers.get(CONTENT_ENCODING)?;
    match encoding.to_str() {
        Ok(e) if e.trim().eq_ignore_ascii_case("identity") || e.trim().is_empty() => None,
        _ => Some("content encoding that was not asked for"),
    }
}

fn is_json_or_unlabelled(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return true;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence
            .rsplit_once('+')
            .is_some_and(|(_, suffix)| suffix.eq_ignore_ascii_case("json"))
}

fn trace_id_header(headers: &HeaderMap) -> Option<String> {
    [&CLERK_TRACE_ID, &CF_RAY]
        .into_iter()
        .filter_map(|name| header_str(headers, name))
        .map(str::trim)
        .find(|v| !v.is_empty())
        .map(redact)
}

fn timing(headers: &HeaderMap) -> ResponseTiming {
    ResponseTiming {
        retry_after: header_str(headers, &RETRY_AFTER).and_then(RetryAfter::parse),
        date: header_str(headers, &DATE).and_then(|d| httpdate::parse_http_date(d).ok()),
    }
}

fn unexpected(status: StatusCode, headers: &HeaderMap, body: &[u8], reason: &'static str) -> Error {
    let mut cut = body.len().min(EXCERPT_BYTES);
    // Cut on a character boundary when the body is UTF-8 there.
    while cut > 0 && cut < body.len() && (body[cut] & 0xC0) == 0x80 {
        cut -= 1;
    }
    let excerpt = redact_excerpt(&String::from_utf8_lossy(&body[..cut]));
    let content_type = headers
        .get(CONTENT_TYPE)
        .map(|v| redact(&String::from_utf8_lossy(v.as_bytes())));
    Error::UnexpectedResponse(Box::new(UnexpectedResponse {
        status,
        content_type,
        reason,
        excerpt,
        body_len: body.len(),
        clerk_trace_id: trace_id_header(headers),
        timing: timing(headers),
    }))
}

fn decode_error(status: StatusCode, headers: &HeaderMap, path: String, problem: String) -> Error {
    Error::Decode(Box::new(DecodeError {
        status,
        path,
        problem,
        clerk_trace_id: trace_id_header(headers),
    }))
}

/// Where decoding failed and what was wrong there, without any value from the
/// body (it holds secrets): serde_json's messages quote values
/// (`invalid type: string "…"`), so only their fixed parts are kept. Runs
/// only on the failure path.
fn diagnose(json: &[u8], error: &serde_json::Error) -> (String, String) {
    use serde_json::error::Category;

    // The path is found by reading again: serde_path_to_error keeps a
    // `String` per object key, which the success path must not pay for.
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let mut path = serde_path_to_error::deserialize::<_, SignInToken>(&mut deserializer)
        .err()
        .map(|e| e.path().to_string())
        .unwrap_or_default();
    if path == "." {
        path.clear();
    }
    let at = |what| format!("{what} at line {} column {}", error.line(), error.column());
    match error.classify() {
        Category::Eof => return (String::new(), at("JSON ends too early")),
        Category::Syntax | Category::Io => return (String::new(), at("not valid JSON")),
        Category::Data => {}
    }
    // Derive also reads a struct from an array: say plainly what is wrong.
    match serde_json::from_slice::<serde_json::Value>(json) {
        Ok(value) if !value.is_object() => {
            return (
                String::new(),
                format!("expected a JSON object, found {}", kind(&value)),
            );
        }
        _ => {}
    }
    let message = error.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(&*message, |(m, _)| m);
    // Field names come from this crate's own types, never from the body.
    let field = |prefix| message.strip_prefix(prefix)?.strip_suffix('`');
    let join = |path: String, field: &str| match path.is_empty() {
        true => field.to_owned(),
        false => format!("{path}.{field}"),
    };
    if let Some(name) = field("missing field `") {
        return (join(path, name), "missing required field".into());
    }
    if let Some(name) = field("duplicate field `") {
        return (join(path, name), "duplicate field".into());
    }
    let mismatch = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
        .and_then(|rest| rest.rsplit_once(", expected "));
    let problem = match mismatch {
        Some((found, expected)) => format!(
            "expected {}, found {}",
            match expected {
                "i64" => "an integer (Unix milliseconds)",
                other => other,
            },
            found_kind(found)
        ),
        None => "does not match the SignInToken schema".into(),
    };
    (path, problem)
}

/// The kind of value serde reported, from a fixed list: the words before the
/// quoted value, which is dropped.
fn found_kind(unexpected: &str) -> &'static str {
    let word = unexpected.split(['`', '"']).next().unwrap_or("").trim();
    match word {
        "string" => "a string",
        "integer" | "floating point" => "a number",
        "boolean" => "a boolean",
        "map" => "an object",
        "sequence" => "an array",
        "unit value" | "null" | "Option value" => "null",
        _ => "another kind of value",
    }
}

fn kind(value: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
