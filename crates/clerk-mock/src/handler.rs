//! Request handling: routing, authentication, rate limiting and the two
//! operations.

use std::borrow::Cow;
use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use bytes::Bytes;
use http::header::{ALLOW, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Body;
use serde_json::Value;

use crate::admin::{self, ADMIN_PREFIX};
use crate::body::MockBody;
use crate::config::MockClerk;
use crate::cors::Cors;
use crate::error::{ApiError, ErrorItem};
use crate::faults::{Counters, Faults, Operation, Plan};
use crate::ids::{Tickets, new_id, ticket_seed, trace_id};
use crate::journal::{Entry, Journal};
use crate::ratelimit::Limiter;
use crate::store::{Limits, NewToken, Store, now_ms};

/// The name of the trace header on every response.
pub(crate) const TRACE_HEADER: HeaderName = HeaderName::from_static("clerk-trace-id");
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// Largest request body accepted.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;
/// Default lifetime of a sign-in token: 30 days.
pub(crate) const DEFAULT_EXPIRES_IN_SECONDS: u64 = 30 * 24 * 60 * 60;

const TOKENS_PATH: &str = "/v1/sign_in_tokens";

/// Locks a mutex, recovering the data if a previous holder panicked.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// State shared by every connection of one mock server.
#[derive(Debug)]
pub(crate) struct Inner {
    users: Option<HashSet<String>>,
    secret_keys: Option<HashSet<String>>,
    pub(crate) store: Mutex<Store>,
    pub(crate) faults: Mutex<Faults>,
    pub(crate) limiter: Mutex<Limiter>,
    pub(crate) counts: Counters,
    /// Whether `/__mock/` is the admin interface (and requests are journaled).
    admin: bool,
    /// The origin answered with CORS headers, if any.
    cors: Option<Cors>,
    pub(crate) journal: Mutex<Journal>,
}

impl Inner {
    pub(crate) fn new(config: &MockClerk) -> Self {
        let limits = Limits {
            max_tokens: config.max_tokens,
            retention_ms: i64::try_from(config.expired_retention.as_millis()).unwrap_or(i64::MAX),
        };
        Self {
            users: config.users.clone(),
            secret_keys: config.secret_keys.clone(),
            store: Mutex::new(Store::new(Tickets::new(&config.accounts_url), limits)),
            faults: Mutex::new(Faults::default()),
            limiter: Mutex::new(Limiter::new(config.rate_limit)),
            counts: Counters::default(),
            admin: config.admin,
            cors: config.cors_origin.as_deref().map(Cors::new),
            journal: Mutex::new(Journal::new(config.request_log_capacity)),
        }
    }

    fn user_exists(&self, user_id: &str) -> bool {
        match &self.users {
            Some(users) => users.contains(user_id),
            None => user_id.starts_with("user_"),
        }
    }

    /// Checks the `Authorization` header and returns the secret key.
    fn authorize<'h>(&self, headers: &'h HeaderMap) -> Result<&'h str, ApiError> {
        let value = headers
            .get(AUTHORIZATION)
            .ok_or_else(ApiError::authorization_header_missing)?;
        let value = value
            .to_str()
            .map_err(|_| ApiError::authorization_invalid())?;
        let key = bearer_token(value).ok_or_else(ApiError::authorization_invalid)?;
        if !is_well_formed_secret_key(key) {
            return Err(ApiError::authorization_invalid());
        }
        if let Some(keys) = &self.secret_keys {
            if !keys.contains(key) {
                return Err(ApiError::authorization_invalid());
            }
        }
        Ok(key)
    }

    fn check_rate(&self, key: &str) -> Result<(), ApiError> {
        lock(&self.limiter)
            .check(key, Instant::now())
            .map_err(ApiError::too_many_requests)
    }

    fn create(&self, body: &[u8]) -> Result<Vec<u8>, ApiError> {
        let params = parse_create(body)?;
        if !self.user_exists(&params.user_id) {
            return Err(ApiError::not_found());
        }
        let created_at = now_ms();
        let expires_at = i64::try_from(params.expires_in_seconds)
            .ok()
            .and_then(|s| s.checked_mul(1000))
            .and_then(|ms| ms.checked_add(created_at))
            .ok_or_else(|| {
                ApiError::unprocessable(vec![ErrorItem::param_invalid("expires_in_seconds")])
            })?;
        loop {
            let new = NewToken {
                id: new_id("sit_"),
                user_id: params.user_id.clone(),
                org_id: params.org_id.clone(),
                ticket_seed: ticket_seed(),
                created_at,
                expires_at,
            };
            // On a (160-bit) id collision, draw again.
            if let Some(json) = lock(&self.store).insert(new, created_at) {
                return Ok(json);
            }
        }
    }

    fn revoke(&self, raw_id: &str) -> Result<Vec<u8>, ApiError> {
        let id = percent_decode(raw_id).ok_or_else(ApiError::not_found)?;
        lock(&self.store).revoke(&id, now_ms())
    }
}

/// The parsed and validated create body.
#[derive(Debug)]
struct CreateParams {
    user_id: String,
    org_id: Option<String>,
    expires_in_seconds: u64,
}

fn parse_create(body: &[u8]) -> Result<CreateParams, ApiError> {
    let mut map = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Map::new()
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => map,
            _ => return Err(ApiError::request_body_invalid()),
        }
    };
    let mut errors = Vec::new();
    let user_id = match map.remove("user_id") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            errors.push(ErrorItem::param_missing("user_id"));
            None
        }
        Some(_) => {
            errors.push(ErrorItem::param_invalid("user_id"));
            None
        }
    };
    let org_id = match map.remove("org_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            errors.push(ErrorItem::param_invalid("org_id"));
            None
        }
    };
    let expires_in_seconds = match map.get("expires_in_seconds") {
        None | Some(Value::Null) => DEFAULT_EXPIRES_IN_SECONDS,
        Some(Value::Number(n)) if n.as_u64().is_some_and(|v| v >= 1) => {
            n.as_u64().unwrap_or(DEFAULT_EXPIRES_IN_SECONDS)
        }
        Some(_) => {
            errors.push(ErrorItem::param_invalid("expires_in_seconds"));
            DEFAULT_EXPIRES_IN_SECONDS
        }
    };
    match user_id {
        Some(user_id) if errors.is_empty() => Ok(CreateParams {
            user_id,
            org_id,
            expires_in_seconds,
        }),
        _ => Err(ApiError::unprocessable(errors)),
    }
}

/// The secret after a case-insensitive `Bearer ` scheme.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    Some(rest.trim_start())
}

/// `sk_test_<secret>` or `sk_live_<secret>`, the secret non-empty visible ASCII.
fn is_well_formed_secret_key(key: &str) -> bool {
    let secret = key
        .strip_prefix("sk_test_")
        .or_else(|| key.strip_prefix("sk_live_"));
    secret.is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic()))
}

/// Percent-decodes a path segment; `None` if the escapes or UTF-8 are invalid.
fn percent_decode(raw: &str) -> Option<Cow<'_, str>> {
    if !raw.contains('%') {
        return Some(Cow::Borrowed(raw));
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes.get(i + 1).and_then(|b| char::from(*b).to_digit(16))?;
            let lo = bytes.get(i + 2).and_then(|b| char::from(*b).to_digit(16))?;
            out.push(u8::try_from(hi * 16 + lo).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

/// The routes of the API subset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    Create,
    Revoke(&'a str),
    NotFound,
}

impl<'a> Route<'a> {
    fn parse(path: &'a str) -> Self {
        let Some(rest) = path.strip_prefix(TOKENS_PATH) else {
            return Self::NotFound;
        };
        if rest.is_empty() {
            return Self::Create;
        }
        match rest
            .strip_prefix('/')
            .and_then(|r| r.strip_suffix("/revoke"))
        {
            Some(id) if !id.is_empty() && !id.contains('/') => Self::Revoke(id),
            _ => Self::NotFound,
        }
    }

    fn operation(self, method: &Method) -> Operation {
        match self {
            Self::Create if method == Method::POST => Operation::Create,
            Self::Revoke(_) if method == Method::POST => Operation::Revoke,
            _ => Operation::Other,
        }
    }
}

/// A request body read up to [`MAX_BODY_BYTES`].
type ReadBody = Result<Bytes, BodyError>;

/// Why a request body could not be read whole.
#[derive(Debug, Clone, Copy)]
enum BodyError {
    TooLarge,
    Broken,
}

async fn read_body<B>(body: B) -> ReadBody
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(BodyError::TooLarge),
        Err(_) => Err(BodyError::Broken),
    }
}

/// Serves one request (from hyper, or from [`crate::fuzzing`] without a
/// socket): a CORS preflight, or the admin interface or the API with CORS
/// headers added when configured.
pub(crate) async fn handle<B>(
    inner: Arc<Inner>,
    req: http::Request<B>,
) -> Result<Response<MockBody>, Infallible>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let Some(cors) = inner.cors.clone() else {
        return serve(inner, req).await;
    };
    if let Some(answer) = cors.preflight(req.method(), req.headers()) {
        return Ok(answer);
    }
    let request_headers = req.headers().clone();
    let mut response = serve(inner, req).await?;
    cors.decorate(&request_headers, response.headers_mut());
    Ok(response)
}

async fn serve<B>(
    inner: Arc<Inner>,
    req: http::Request<B>,
) -> Result<Response<MockBody>, Infallible>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (parts, body) = req.into_parts();
    if inner.admin && parts.uri.path().starts_with(ADMIN_PREFIX) {
        let body = read_body(body).await;
        let answer = match body {
            Ok(bytes) => admin::answer(&inner, &parts, &bytes),
            Err(BodyError::TooLarge) => Err(ApiError::request_body_too_large(MAX_BODY_BYTES)),
            Err(BodyError::Broken) => Err(ApiError::request_body_invalid()),
        };
        let result = answer.map(|v| serde_json::to_vec(&v).unwrap_or_default());
        return Ok(respond(result, &Plan::default()).await);
    }

    let route = Route::parse(parts.uri.path());
    let operation = route.operation(&parts.method);
    inner.counts.record(operation);
    let plan = lock(&inner.faults).take(parts.uri.path(), operation);
    // Read first (the answer does not depend on it before the route, method,
    // key and rate checks), so the journal can show it.
    let body = read_body(body).await;
    let result = match &plan.failure {
        Some(failure) => Err(ApiError::injected(failure)),
        None => process(&inner, &parts, route, &body),
    };
    if inner.admin {
        let mut entry = Entry::new(&parts, operation.as_str(), body.as_deref().ok());
        entry.status = result
            .as_ref()
            .map_or_else(|e| e.status, |_| StatusCode::OK)
            .as_u16();
        entry.fault = plan.faulted;
        lock(&inner.journal).record(entry);
    }
    Ok(respond(result, &plan).await)
}

/// The response for `result`, shaped by `plan` (cut short, delayed).
async fn respond(result: Result<Vec<u8>, ApiError>, plan: &Plan) -> Response<MockBody> {
    let trace_id = trace_id();
    let (status, bytes, error) = match result {
        Ok(json) => (StatusCode::OK, json, None),
        Err(e) => (e.status, e.to_json(&trace_id), Some(e)),
    };
    let bytes = Bytes::from(bytes);
    let len = bytes.len();
    let body = if plan.drop_connection {
        MockBody::truncated(bytes)
    } else {
        MockBody::full(bytes)
    };

    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, JSON);
    if let Ok(v) = HeaderValue::try_from(trace_id) {
        headers.insert(TRACE_HEADER, v);
    }
    if plan.drop_connection {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    }
    if let Some(e) = error {
        if let Some(secs) = e.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(allow) = e.allow {
            headers.insert(ALLOW, HeaderValue::from_static(allow));
        }
    }
    if !plan.delay.is_zero() {
        tokio::time::sleep(plan.delay).await;
    }
    response
}

fn process(
    inner: &Inner,
    parts: &Parts,
    route: Route<'_>,
    body: &ReadBody,
) -> Result<Vec<u8>, ApiError> {
    if route == Route::NotFound {
        return Err(ApiError::not_found());
    }
    if parts.method != Method::POST {
        return Err(ApiError::method_not_allowed(&parts.method));
    }
    let key = inner.authorize(&parts.headers)?;
    inner.check_rate(key)?;
    match route {
        Route::Create => match body {
            Ok(bytes) => inner.create(bytes),
            Err(BodyError::TooLarge) => Err(ApiError::request_body_too_large(MAX_BODY_BYTES)),
            Err(BodyError::Broken) => Err(ApiError::request_body_invalid()),
        },
        Route::Revoke(raw_id) => inner.revoke(raw_id),
        Route::NotFound => Err(ApiError::not_found()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(Route::parse("/v1/sign_in_tokens"), Route::Create);
        assert_eq!(
            Route::parse("/v1/sign_in_tokens/sit_1/revoke"),
            Route::Revoke("sit_1")
        );
        for p in [
            "/",
            "/v1/sign_in_tokens/",
            "/v1/sign_in_tokens//revoke",
            "/v1/sign_in_tokens/a/b/revoke",
            "/v1/sign_in_tokens/sit_1",
            "/v1/sign_in_tokensx",
            "/sign_in_tokens",
        ] {
            assert_eq!(Route::parse(p), Route::NotFound, "{p}");
        }
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("sit_1").as_deref(), Some("sit_1"));
        assert_eq!(percent_decode("a%2Fb%20c").as_deref(), Some("a/b c"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%2"), None);
        assert_eq!(percent_decode("%ff"), None);
    }

    #[test]
    fn secret_keys() {
        assert_eq!(bearer_token("Bearer sk_test_x"), Some("sk_test_x"));
        assert_eq!(bearer_token("bearer  sk_test_x"), Some("sk_test_x"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert!(is_well_formed_secret_key("sk_test_abc"));
        assert!(is_well_formed_secret_key("sk_live_abc"));
        assert!(!is_well_formed_secret_key("sk_test_"));
        assert!(!is_well_formed_secret_key("pk_test_abc"));
        assert!(!is_well_formed_secret_key("sk_test_a b"));
    }

    #[test]
    fn create_params() {
        let p = parse_create(br#"{"user_id":"user_1","expires_in_seconds":60,"org_id":null}"#)
            .expect("valid");
        assert_eq!(p.user_id, "user_1");
        assert_eq!(p.expires_in_seconds, 60);
        assert_eq!(p.org_id, None);
        assert_eq!(parse_create(b"").expect_err("missing").status.as_u16(), 422);
        assert_eq!(
            parse_create(b"[1]").expect_err("array").status.as_u16(),
            400
        );
        assert_eq!(parse_create(b"{").expect_err("broken").status.as_u16(), 400);
        for bad in [
            r#"{"user_id":"user_1","expires_in_seconds":0}"#,
            r#"{"user_id":"user_1","expires_in_seconds":-5}"#,
            r#"{"user_id":"user_1","expires_in_seconds":1.5}"#,
            r#"{"user_id":"user_1","expires_in_seconds":"60"}"#,
            r#"{"user_id":"user_1","org_id":5}"#,
            r#"{"user_id":7}"#,
        ] {
            let e = parse_create(bad.as_bytes()).expect_err(bad);
            assert_eq!(e.status.as_u16(), 422, "{bad}");
        }
        let both = parse_create(br#"{"expires_in_seconds":0}"#).expect_err("two errors");
        assert_eq!(both.errors.len(), 2);
    }
}
