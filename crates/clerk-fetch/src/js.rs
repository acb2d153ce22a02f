//! The JavaScript side (wasm32-unknown-unknown only): the global `fetch`,
//! the abort deadline, the capped body read, `setTimeout`.

use std::time::Duration;

use bytes::Bytes;
use clerk_core::{BodyBuffer, HttpRequest, HttpResponse, SendError};
use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ReadableStream, ReadableStreamDefaultReader};

use crate::error::{
    body_failed, browser_window, fetch_failed, invalid_response, is_not_sent_code,
    is_not_sent_message, no_fetch, opaque_redirect, scrub,
};
use crate::policy;
use crate::settle::settle;
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

// The JavaScript half of one exchange, in one class, so that a call crosses
// between WebAssembly and JavaScript a handful of times instead of once per
// header, per promise and per body chunk. It only moves bytes: which
// answers are refused, and the body cap, stay in Rust and clerk-core.
//
// - The constructor makes the exchange's `AbortController`, and arms the
//   deadline's `setTimeout` when `ms >= 0` (it throws when the host has
//   neither; nothing is sent then).
// - `send` takes the request as one string (see [`Outgoing`]), calls the
//   global `fetch` synchronously (a throw there is the host refusing the
//   request: never sent) with
//   `redirect: "manual"` and the signal. Once the head is in (`answered`) it
//   keeps the status (left 0 for a redirect the host hides), the headers as
//   one string (`name\nvalue\n`, repeated: neither can hold a line feed),
//   and the body: read whole with `arrayBuffer()` into `body` when
//   `Content-Length` says it fits in `cap` and no `Content-Encoding` can make
//   it larger; otherwise left in `stream` for Rust to read chunk by chunk
//   under the cap; the promise it returns then resolves. `undefined` when
//   there is no global `fetch`.
// - `close(finished)` clears the timer, and aborts when the exchange did not
//   finish (the future was dropped, or failed): the fetch and its body stream
//   stop.
#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export class ClerkFetchExchange {
  constructor(ms) {
    const controller = new AbortController();
    this.controller = controller;
    this.timer = ms < 0 ? undefined : setTimeout(() => controller.abort(), ms);
    this.answered = false;
    this.status = 0;
    this.head = "";
    this.body = undefined;
    this.stream = null;
  }
  send(text, urlEnd, methodEnd, headEnd, bytes, cap) {
    const fetch = globalThis.fetch;
    if (typeof fetch !== "function") return undefined;
    const headers = [];
    const parts = text.slice(methodEnd, headEnd).split("\n");
    for (let i = 0; i + 1 < parts.length; i += 2) headers.push([parts[i], parts[i + 1]]);
    const init = { method: text.slice(urlEnd, methodEnd), headers, redirect: "manual", signal: this.controller.signal };
    if (bytes !== undefined) init.body = bytes;
    else if (headEnd < text.length) init.body = text.slice(headEnd);
    return fetch.call(globalThis, text.slice(0, urlEnd), init).then((response) => this.answer(response, cap));
  }
  answer(response, cap) {
    this.answered = true;
    if (response.type === "opaqueredirect") return this;
    this.status = response.status;
    let head = "";
    for (const [name, value] of response.headers) head += name + "\n" + value + "\n";
    this.head = head;
    const stream = response.body;
    if (stream === null) return this;
    const length = response.headers.get("content-length");
    const encoding = response.headers.get("content-encoding");
    if (length !== null && /^\s*\d{1,15}\s*$/.test(length) && Number(length) <= cap &&
        (encoding === null || encoding.trim().toLowerCase() === "identity")) {
      return response.arrayBuffer().then((buffer) => {
        this.body = new Uint8Array(buffer);
        return this;
      });
    }
    this.stream = stream;
    return this;
  }
  close(finished) {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (!finished) this.controller.abort();
  }
  get aborted() {
    return this.controller.signal.aborted;
  }
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = ClerkFetchExchange)]
    type Exchange;

    #[wasm_bindgen(constructor, js_class = ClerkFetchExchange, catch)]
    fn new(ms: f64) -> Result<Exchange, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn send(
        this: &Exchange,
        text: &str,
        url_end: u32,
        method_end: u32,
        head_end: u32,
        bytes: Option<Uint8Array>,
        cap: f64,
    ) -> Result<Option<Promise>, JsValue>;

    #[wasm_bindgen(method)]
    fn close(this: &Exchange, finished: bool);

    #[wasm_bindgen(method, getter)]
    fn aborted(this: &Exchange) -> bool;

    #[wasm_bindgen(method, getter)]
    fn answered(this: &Exchange) -> bool;

    #[wasm_bindgen(method, getter)]
    fn status(this: &Exchange) -> u16;

    #[wasm_bindgen(method, getter)]
    fn head(this: &Exchange) -> String;

    #[wasm_bindgen(method, getter)]
    fn body(this: &Exchange) -> Option<Vec<u8>>;

    #[wasm_bindgen(method, getter)]
    fn stream(this: &Exchange) -> Option<ReadableStream>;
}

/// One exchange under way. Dropped, it clears the deadline's timer, and
/// aborts the request unless it finished.
struct Guard {
    exchange: Exchange,
    deadline: Option<Duration>,
    finished: bool,
}

impl Guard {
    /// The error for a failure seen while the request could be aborted:
    /// the deadline's, when it is what fired.
    fn or_timeout(&self, other: SendError) -> SendError {
        match self.deadline {
            Some(after) if self.exchange.aborted() => crate::error::timeout(after),
            _ => other,
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.exchange.close(self.finished);
    }
}

thread_local! {
    /// Whether this global scope is a browser window: it does not change.
    static BROWSER_WINDOW: bool = is_browser_window();
}

/// What [`Exchange::send`] takes of a request: one string (one crossing,
/// one decode) holding the url, the method, the headers (`name\nvalue\n`
/// for each: neither can hold a line feed, `http` refuses one in a value)
/// and, when it is UTF-8 and the request says its `Content-Type`, the body;
/// the offsets where the first three end (the text before the body is
/// ASCII, so byte offsets are JavaScript's string offsets too); and the body
/// as bytes otherwise (`fetch` gives a string body a `text/plain` type when
/// none is set).
struct Outgoing {
    text: String,
    url_end: u32,
    method_end: u32,
    head_end: u32,
    bytes: Option<Uint8Array>,
}

#[inline(never)]
fn outgoing(request: &HttpRequest) -> Result<Outgoing, SendError> {
    use std::fmt::Write as _;
    let body = request.body();
    let text_body = request
        .headers()
        .contains_key(http::header::CONTENT_TYPE)
        .then(|| std::str::from_utf8(body).ok())
        .flatten();
    let mut text = String::with_capacity(256 + text_body.map_or(0, str::len));
    let _ = write!(text, "{}", request.uri());
    let url_end = text.len();
    text.push_str(request.method().as_str());
    let method_end = text.len();
    for (name, value) in policy::header_pairs(request.headers())? {
        text.push_str(name);
        text.push('\n');
        text.push_str(value);
        text.push('\n');
    }
    let head_end = text.len();
    let bytes = match text_body {
        Some(body) => {
            text.push_str(body);
            None
        }
        None => (!body.is_empty()).then(|| Uint8Array::from(body.as_ref())),
    };
    let offset = |n: usize| {
        u32::try_from(n).map_err(|_| SendError::invalid_request("the request is over 4 GiB"))
    };
    Ok(Outgoing {
        url_end: offset(url_end)?,
        method_end: offset(method_end)?,
        head_end: offset(head_end)?,
        text,
        bytes,
    })
}

/// The response's status and headers as `http` holds them.
#[inline(never)]
fn response_head(exchange: &Exchange) -> Result<http::response::Builder, SendError> {
    // Status 0: the host hid a redirect (`opaqueredirect`); the class sets
    // no status then.
    let status = exchange.status();
    if status == 0 {
        return Err(opaque_redirect());
    }
    let invalid = invalid_response;
    let mut builder = http::Response::builder().status(status);
    let head = exchange.head();
    let mut lines = head.split('\n');
    while let (Some(name), Some(value)) = (lines.next(), lines.next()) {
        let name = http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid("a response header name is not a valid HTTP token"))?;
        let value = http::HeaderValue::from_str(value)
            .map_err(|_| invalid("a response header value is not a valid HTTP value"))?;
        builder = builder.header(name, value);
    }
    Ok(builder)
}

/// The failure of a started exchange: `fetch` rejected (before an answer),
/// or reading the body failed (after one).
#[inline(never)]
fn failed(value: &JsValue, request: &HttpRequest, guard: &Guard) -> SendError {
    let secrets = policy::secrets_of(request.headers());
    let t = thrown(value, &secrets);
    let err = if guard.exchange.answered() {
        body_failed(&t.message)
    } else {
        fetch_failed(&t.message, t.not_sent)
    };
    guard.or_timeout(err)
}

/// Refused before `fetch` sent anything: the value JavaScript threw.
#[inline(never)]
fn refused(value: &JsValue, request: &HttpRequest) -> SendError {
    fetch_failed(
        &thrown(value, &policy::secrets_of(request.headers())).message,
        true,
    )
}

pub(crate) async fn send(
    transport: &FetchTransport,
    request: HttpRequest,
    deadline: Option<Duration>,
) -> Result<HttpResponse, SendError> {
    if !transport.allow_browser_window && BROWSER_WINDOW.with(|w| *w) {
        return Err(browser_window());
    }
    let out = outgoing(&request)?;
    let limit = transport.limits.max_body_bytes;
    let exchange =
        Exchange::new(deadline.map_or(-1.0, millis)).map_err(|v| refused(&v, &request))?;
    let mut guard = Guard {
        exchange,
        deadline,
        finished: false,
    };
    // `usize` caps fit an `f64` for any real limit.
    let promise = guard
        .exchange
        .send(
            &out.text,
            out.url_end,
            out.method_end,
            out.head_end,
            out.bytes,
            limit as f64,
        )
        .map_err(|v| refused(&v, &request))?
        .ok_or_else(no_fetch)?;
    drop(out.text);
    settle(&promise)
        .await
        .map_err(|v| failed(&v, &request, &guard))?;
    let builder = response_head(&guard.exchange)?;
    let declared = builder.headers_ref().and_then(declared_length);
    let body = if let Some(whole) = guard.exchange.body() {
        let mut buffer = BodyBuffer::new(limit, declared)?;
        buffer.push(Bytes::from(whole))?;
        buffer.finish()
    } else if let Some(stream) = guard.exchange.stream() {
        read_body(&stream, limit, declared, &request)
            .await
            .map_err(|err| guard.or_timeout(err))?
    } else {
        Bytes::new()
    };
    guard.finished = true;
    builder
        .body(body)
        .map_err(|_| invalid_response("the response's status or headers are not valid HTTP"))
}

/// The body's `Content-Length`, when it declares one.
fn declared_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
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

/// Reads a body stream into clerk-core's [`BodyBuffer`], refusing more than
/// `limit` bytes: first by `Content-Length`, then while reading, chunk by
/// chunk. The path for a body without a `Content-Length` (or one the host
/// may decompress into more); the others are read whole by the exchange.
async fn read_body(
    stream: &ReadableStream,
    limit: usize,
    declared: Option<u64>,
    request: &HttpRequest,
) -> Result<Bytes, SendError> {
    let mut body = match BodyBuffer::new(limit, declared) {
        Ok(body) => body,
        Err(too_large) => {
            let _ = settle(&stream.cancel()).await;
            return Err(too_large);
        }
    };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    loop {
        let step = settle(&reader.read()).await.map_err(|value| {
            body_failed(&thrown(&value, &policy::secrets_of(request.headers())).message)
        })?;
        match append_chunk(&step, &mut body) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                if err.kind() == clerk_core::TransportErrorKind::BodyTooLarge {
                    let _ = settle(&reader.cancel()).await;
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
/// `settle` registered on it (and what they hold) alive for good.
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
    let _ = settle(&promise).await;
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
