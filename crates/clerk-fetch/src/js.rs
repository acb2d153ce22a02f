//! The JavaScript side (wasm32-unknown-unknown only): the global `fetch`,
//! the abort deadline, the capped body read, `setTimeout`.

use std::time::Duration;

use bytes::Bytes;
use clerk_core::{BodyBuffer, HttpRequest, HttpResponse, SendError};
use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, Headers, ReadableStreamDefaultReader, RequestInit, RequestRedirect, Response,
    ResponseType,
};

use crate::error::{
    body_failed, browser_window, fetch_failed, invalid_response, is_not_sent_code,
    is_not_sent_message, no_fetch, opaque_redirect, scrub,
};
use crate::policy;
use crate::transport::FetchTransport;

/// JavaScript's largest timer delay (2^31 - 1 ms, about 24.8 days).
const MAX_TIMER_MS: u128 = i32::MAX as u128;

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn is_present(value: &JsValue) -> bool {
    !value.is_undefined() && !value.is_null()
}

/// A function found on `globalThis` (never bound to `window`, which workers
/// and server runtimes do not have).
fn global_function(name: &str) -> Option<Function> {
    get(&js_sys::global(), name).dyn_into::<Function>().ok()
}

/// `true` in a browser window: both `window` and `document` exist. Workers,
/// Node, Deno and Bun have no `document`.
pub(crate) fn is_browser_window() -> bool {
    let global = js_sys::global();
    is_present(&get(&global, "window")) && is_present(&get(&global, "document"))
}

fn millis(duration: Duration) -> f64 {
    // At most 2^31 - 1, exactly representable.
    duration.as_millis().min(MAX_TIMER_MS) as f64
}

/// What a thrown JavaScript value says: `Name: message`, and the `cause`'s
/// message and code when it has them (Node puts `ECONNREFUSED` there). The
/// text is scrubbed of `secrets`.
struct Thrown {
    message: String,
    not_sent: bool,
}

fn thrown(value: &JsValue, secrets: &[String]) -> Thrown {
    let text = |v: &JsValue, key: &str| get(v, key).as_string().filter(|s| !s.is_empty());
    let mut message = match (text(value, "name"), text(value, "message")) {
        (Some(name), Some(message)) => format!("{name}: {message}"),
        (None, Some(message)) => message,
        (Some(name), None) => name,
        (None, None) => value
            .as_string()
            .unwrap_or_else(|| "a non-Error value was thrown".to_owned()),
    };
    let mut not_sent = text(value, "code").is_some_and(|c| is_not_sent_code(&c));
    let cause = get(value, "cause");
    if cause.is_object() {
        if let Some(cause_message) = text(&cause, "message") {
            message.push_str(" (");
            message.push_str(&cause_message);
            message.push(')');
        }
        not_sent |= text(&cause, "code").is_some_and(|c| is_not_sent_code(&c));
    }
    not_sent |= is_not_sent_message(&message);
    Thrown {
        message: scrub(&message, secrets),
        not_sent,
    }
}

/// One exchange's `AbortController`: always made, so that dropping the
/// future aborts the fetch and its body stream, with or without a deadline;
/// with a deadline, a `setTimeout` calls its `abort`. Dropping it clears the
/// timer, and aborts the request if it has not finished.
struct Abort {
    controller: AbortController,
    timer: Option<JsValue>,
    after: Option<Duration>,
    finished: bool,
}

impl Abort {
    fn start(after: Option<Duration>) -> Result<Self, SendError> {
        let unavailable = |what: &str| {
            fetch_failed(
                &format!("the host has no {what} to abort the request with"),
                true,
            )
        };
        let controller = AbortController::new().map_err(|_| unavailable("AbortController"))?;
        let mut abort = Self {
            controller,
            timer: None,
            after,
            finished: false,
        };
        if let Some(after) = after {
            let fire = get(&abort.controller, "abort")
                .dyn_into::<Function>()
                .map_err(|_| unavailable("AbortController.abort"))?
                .bind0(&abort.controller);
            let set_timeout =
                global_function("setTimeout").ok_or_else(|| unavailable("setTimeout"))?;
            let id = set_timeout
                .call2(&js_sys::global(), &fire, &JsValue::from_f64(millis(after)))
                .map_err(|_| unavailable("working setTimeout"))?;
            abort.timer = Some(id);
        }
        Ok(abort)
    }

    /// The error for a failure seen while the request could be aborted:
    /// the deadline's, when it is what fired.
    fn or_timeout(&self, other: SendError) -> SendError {
        match self.after {
            Some(after) if self.controller.signal().aborted() => crate::error::timeout(after),
            _ => other,
        }
    }
}

impl Drop for Abort {
    fn drop(&mut self) {
        if let (Some(id), Some(clear)) = (self.timer.take(), global_function("clearTimeout")) {
            let _ = clear.call1(&js_sys::global(), &id);
        }
        if !self.finished {
            self.controller.abort();
        }
    }
}

/// An exchange under way: `fetch`'s promise, the deadline armed for it, and
/// the strings its error messages must not show.
struct Started {
    promise: Promise,
    abort: Abort,
    secrets: Vec<String>,
}

/// Everything up to calling `fetch`, outside the async function: kept out
/// of its state machine, the code is not repeated for each of its exits.
#[inline(never)]
fn start(
    transport: &FetchTransport,
    request: &HttpRequest,
    deadline: Option<Duration>,
) -> Result<Started, SendError> {
    if !transport.allow_browser_window && is_browser_window() {
        return Err(browser_window());
    }
    let fetch = global_function("fetch").ok_or_else(no_fetch)?;
    let secrets = policy::secrets_of(request.headers());
    let refused = |value: JsValue| fetch_failed(&thrown(&value, &secrets).message, true);

    let headers = Headers::new().map_err(refused)?;
    for (name, value) in policy::header_pairs(request.headers())? {
        headers.append(name, value).map_err(refused)?;
    }
    let init = RequestInit::new();
    init.set_method(request.method().as_str());
    init.set_headers(&headers);
    // A 3xx comes back as a response; `Authorization` is never replayed to
    // wherever it points.
    init.set_redirect(RequestRedirect::Manual);
    if !request.body().is_empty() {
        init.set_body(&Uint8Array::from(request.body().as_ref()));
    }
    let abort = Abort::start(deadline)?;
    init.set_signal(Some(&abort.controller.signal()));

    // `this` is the global object: some hosts (workerd) throw "Illegal
    // invocation" when fetch is called on anything else.
    let url = JsValue::from_str(&request.uri().to_string());
    let promise = fetch
        .call2(&js_sys::global(), &url, &init)
        .map_err(refused)?
        .dyn_into::<Promise>()
        .map_err(|_| fetch_failed("the global fetch did not return a promise", false))?;
    Ok(Started {
        promise,
        abort,
        secrets,
    })
}

/// The error for `fetch`'s rejected promise.
#[inline(never)]
fn rejected(value: &JsValue, secrets: &[String], abort: &Abort) -> SendError {
    let t = thrown(value, secrets);
    abort.or_timeout(fetch_failed(&t.message, t.not_sent))
}

/// The response's status and headers as `http` holds them.
#[inline(never)]
fn head(response: &Response) -> Result<http::response::Builder, SendError> {
    if response.type_() == ResponseType::Opaqueredirect {
        return Err(opaque_redirect());
    }
    let mut builder = http::Response::builder().status(response.status());
    let invalid = invalid_response;
    let entries = js_sys::try_iter(&response.headers())
        .ok()
        .flatten()
        .ok_or_else(|| invalid("the response's headers cannot be iterated"))?;
    for entry in entries {
        let entry = entry.map_err(|_| invalid("the response's headers cannot be iterated"))?;
        let name = get(&entry, "0").as_string();
        let value = get(&entry, "1").as_string();
        let (Some(name), Some(value)) = (name, value) else {
            return Err(invalid("a response header is not a pair of strings"));
        };
        let name = http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid("a response header name is not a valid HTTP token"))?;
        let value = http::HeaderValue::from_str(&value)
            .map_err(|_| invalid("a response header value is not a valid HTTP value"))?;
        builder = builder.header(name, value);
    }
    Ok(builder)
}

pub(crate) async fn send(
    transport: &FetchTransport,
    request: HttpRequest,
    deadline: Option<Duration>,
) -> Result<HttpResponse, SendError> {
    let Started {
        promise,
        mut abort,
        secrets,
    } = start(transport, &request, deadline)?;
    drop(request);
    let response: Response = JsFuture::from(promise)
        .await
        .map_err(|value| rejected(&value, &secrets, &abort))?
        .unchecked_into();
    let builder = head(&response)?;
    let body = read_body(&response, transport.limits.max_body_bytes, &secrets)
        .await
        .map_err(|err| abort.or_timeout(err))?;
    abort.finished = true;
    builder
        .body(body)
        .map_err(|_| invalid_response("the response's status or headers are not valid HTTP"))
}

/// The body's `Content-Length`, when it declares one.
#[inline(never)]
fn declared_length(response: &Response) -> Option<u64> {
    response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// Appends one chunk of a body read (`{ done, value }`) to `body`; `false`
/// once the stream is done.
#[inline(never)]
fn append_chunk(step: &JsValue, body: &mut BodyBuffer) -> Result<bool, SendError> {
    if get(step, "done").as_bool() == Some(true) {
        return Ok(false);
    }
    let chunk = get(step, "value")
        .dyn_into::<Uint8Array>()
        .map_err(|_| body_failed("the body stream gave a chunk that is not a Uint8Array"))?;
    if chunk.length() as usize > body.room() {
        return Err(SendError::body_too_large(body.limit()));
    }
    body.push(Bytes::from(chunk.to_vec()))?;
    Ok(true)
}

/// Reads the whole body into clerk-core's [`BodyBuffer`], refusing more than
/// `limit` bytes: first by `Content-Length`, then while reading, chunk by
/// chunk.
async fn read_body(
    response: &Response,
    limit: usize,
    secrets: &[String],
) -> Result<Bytes, SendError> {
    let Some(stream) = response.body() else {
        return Ok(Bytes::new());
    };
    let mut body = match BodyBuffer::new(limit, declared_length(response)) {
        Ok(body) => body,
        Err(too_large) => {
            let _ = JsFuture::from(stream.cancel()).await;
            return Err(too_large);
        }
    };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    loop {
        let step = JsFuture::from(reader.read())
            .await
            .map_err(|value| body_failed(&thrown(&value, secrets).message))?;
        match append_chunk(&step, &mut body) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                if err.kind() == clerk_core::TransportErrorKind::BodyTooLarge {
                    let _ = JsFuture::from(reader.cancel()).await;
                }
                return Err(err);
            }
        }
    }
    Ok(body.finish())
}

/// Whether the global scope has `setTimeout`.
pub(crate) fn has_set_timeout() -> bool {
    global_function("setTimeout").is_some()
}

/// A sleep's `setTimeout` and its promise's `resolve`. Dropped before the
/// timer fired (the sleep was cut short), it clears the timer and settles
/// the promise itself: a promise that never settles keeps the callbacks
/// `JsFuture` registered on it (and what they hold) alive for good.
struct PendingSleep {
    timer: Option<JsValue>,
    resolve: Option<Function>,
}

impl Drop for PendingSleep {
    fn drop(&mut self) {
        if let (Some(id), Some(clear)) = (self.timer.take(), global_function("clearTimeout")) {
            let _ = clear.call1(&js_sys::global(), &id);
        }
        if let Some(resolve) = self.resolve.take() {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }
}

/// Resolves after `duration`, through the global `setTimeout`; at once when
/// there is none or it throws.
pub(crate) async fn sleep(duration: Duration) {
    let Some(set_timeout) = global_function("setTimeout") else {
        return;
    };
    let mut pending = PendingSleep {
        timer: None,
        resolve: None,
    };
    let promise = Promise::new(&mut |resolve, _reject| match set_timeout.call2(
        &js_sys::global(),
        &resolve,
        &JsValue::from_f64(millis(duration)),
    ) {
        Ok(id) => {
            pending.timer = Some(id);
            pending.resolve = Some(resolve);
        }
        Err(_) => {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    let _ = JsFuture::from(promise).await;
    // Fired: nothing to clear or settle.
    pending.timer = None;
    pending.resolve = None;
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// `performance.now()`: every host this crate runs in has it.
    #[wasm_bindgen(catch, js_namespace = performance, js_name = now)]
    fn performance_now() -> Result<f64, JsValue>;
}

/// The host's monotonic clock: `performance.now()`, or `Date.now()` where
/// there is no `performance` (both in milliseconds).
pub(crate) fn now() -> Option<Duration> {
    let ms = performance_now().unwrap_or_else(|_| js_sys::Date::now());
    (ms.is_finite() && ms >= 0.0).then(|| Duration::from_micros((ms * 1000.0) as u64))
}

/// 64 bits from `crypto.getRandomValues` (every host this crate runs in has
/// it), or from `Math.random` (seeded per isolate) where it is missing.
pub(crate) fn random_seed() -> u64 {
    let global = js_sys::global();
    let crypto = get(&global, "crypto");
    if is_present(&crypto) {
        if let Ok(fill) = get(&crypto, "getRandomValues").dyn_into::<Function>() {
            let words = js_sys::Uint32Array::new_with_length(2);
            if fill.call1(&crypto, &words).is_ok() {
                return (u64::from(words.get_index(0)) << 32) | u64::from(words.get_index(1));
            }
        }
    }
    let half = || (js_sys::Math::random() * 4_294_967_296.0) as u64;
    (half() << 32) | half()
}
