//! The JavaScript side (wasm32-unknown-unknown only): the global `fetch`,
//! the abort deadline, the capped body read, `setTimeout`.

use std::cell::RefCell;
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
use crate::settle::{Slot, settle};
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
// - `context(wake)` is made once per module instance: it holds the `wake`
//   function and the url, method and headers array of the instance's last
//   request, which the next request with the same ones reuses (Rust sends
//   them only when they change: see [`Outgoing`]).
// - `start` makes the exchange: its `AbortController` (one a finished
//   exchange gave back, or a new one), its deadline when `ms >= 0` (in the
//   list the one shared timer watches), then the global `fetch`, called
//   synchronously with the request, `redirect: "manual"` and the signal. A
//   throw there is the host refusing the request: nothing was sent (the
//   timer is cleared first). `undefined` when there is no global `fetch`.
// - When the head is in (`answered`) it keeps the status (left 0 for a
//   redirect the host hides) and the headers as one string (`name\nvalue\n`,
//   repeated: neither can hold a line feed), and the body: read whole with
//   `arrayBuffer()` when `Content-Length` says it fits in `cap` and no
//   `Content-Encoding` can make it larger; otherwise left in `stream` for
//   Rust to read chunk by chunk under the cap. Then `state` says how it
//   ended: 1 with the body read whole, 3 with it left in `stream`, 4 without
//   a body (or for a hidden redirect), 2 when `fetch` or the read failed
//   (what it threw in `error`); and `wake(slot)` tells Rust.
// - `bound` is three bytes per UTF-16 unit of the headers' string and the
//   body's length: room enough for `fill(out)`, which writes the headers as
//   UTF-8 and right after them the whole body into `out` (a view of
//   WebAssembly memory: no copy on the way) and answers how many bytes the
//   headers took.
// - `close(finished)` takes the deadline off the list, and aborts when the
//   exchange did not finish (the future was dropped, or failed): the fetch
//   and its body stream stop. A controller that never aborted goes back for
//   another exchange.
#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
const encoder = new TextEncoder();
const now = typeof performance === "object" ? () => performance.now() : () => Date.now();
// AbortControllers whose exchange finished without aborting, for the next
// exchange (making one costs more than the rest of the exchange in some
// hosts), and how many exchanges each has served: a few dozen at most, so
// the listeners hosts leave on a signal until they collect the request stay
// few.
const free = [];
const freeUses = [];
const REUSE = 32;
// The exchanges with a deadline, earliest first (a linked list), and the one
// timer for all of them: armed for the earliest deadline, and left to run out
// when that exchange finishes (`unref`ed where the host can, so it keeps no
// process alive).
let first = null;
let last = null;
let timer;
let armedAt = Infinity;
function arm(at) {
  // The new timer first: when it cannot be made, the one armed stays.
  const next = setTimeout(expire, Math.max(0, at - now()));
  if (timer !== undefined) clearTimeout(timer);
  timer = next;
  armedAt = at;
  if (typeof timer === "object" && timer !== null && typeof timer.unref === "function") timer.unref();
  else if (typeof Deno === "object" && typeof Deno.unrefTimer === "function") Deno.unrefTimer(timer);
}
function expire() {
  timer = undefined;
  armedAt = Infinity;
  const late = now() + 1;
  while (first !== null && first.at <= late) {
    const exchange = first;
    exchange.unlink();
    exchange.controller.abort();
  }
  if (first === null) return;
  try {
    arm(first.at);
  } catch {
    // No `setTimeout` now: the next exchange that starts arms a timer.
  }
}
export class ClerkFetchExchange {
  static context(wake) {
    return { wake, url: "", method: "", headers: [] };
  }
  static start(ms, text, urlEnd, methodEnd, headEnd, bytes, cap, context, slot) {
    const fetch = globalThis.fetch;
    if (typeof fetch !== "function") return undefined;
    if (headEnd !== 0) {
      const headers = [];
      const parts = text.slice(methodEnd, headEnd).split("\n");
      for (let i = 0; i + 1 < parts.length; i += 2) headers.push([parts[i], parts[i + 1]]);
      context.url = text.slice(0, urlEnd);
      context.method = text.slice(urlEnd, methodEnd);
      context.headers = headers;
    }
    const exchange = new ClerkFetchExchange(ms);
    try {
      exchange.send(fetch, context, headEnd < text.length ? text.slice(headEnd) : undefined, bytes, cap, slot);
    } catch (error) {
      exchange.close(false);
      throw error;
    }
    return exchange;
  }
  constructor(ms) {
    let controller = free.pop();
    let uses = freeUses.pop();
    if (controller === undefined) {
      controller = new AbortController();
      uses = 0;
    }
    this.controller = controller;
    this.uses = uses + 1;
    this.prev = null;
    this.next = null;
    this.linked = false;
    this.at = 0;
    if (ms >= 0) {
      const start = now();
      this.at = start + ms;
      this.link();
      // A timer that should have fired long ago was lost (a Worker's
      // request ended with it): arm a new one.
      if (this.at < armedAt || armedAt + 100 < start) {
        try {
          arm(first.at);
        } catch (error) {
          // No timer (a host without `setTimeout`): nothing is sent.
          this.unlink();
          throw error;
        }
      }
    }
    this.answered = false;
    this.state = 0;
    this.error = undefined;
    this.status = 0;
    this.head = "";
    this.body = undefined;
    this.stream = null;
  }
  link() {
    let after = last;
    while (after !== null && after.at > this.at) after = after.prev;
    this.prev = after;
    this.next = after === null ? first : after.next;
    if (this.next !== null) this.next.prev = this;
    else last = this;
    if (after !== null) after.next = this;
    else first = this;
    this.linked = true;
  }
  unlink() {
    if (!this.linked) return;
    if (this.prev !== null) this.prev.next = this.next;
    else first = this.next;
    if (this.next !== null) this.next.prev = this.prev;
    else last = this.prev;
    this.prev = null;
    this.next = null;
    this.linked = false;
  }
  send(fetch, context, textBody, bytes, cap, slot) {
    const wake = context.wake;
    const init = { method: context.method, headers: context.headers, redirect: "manual", signal: this.controller.signal };
    if (bytes !== undefined) init.body = bytes;
    else if (textBody !== undefined) init.body = textBody;
    const failed = (error) => {
      this.error = error;
      this.state = 2;
      wake(slot);
    };
    fetch.call(globalThis, context.url, init).then((response) => {
      this.answered = true;
      if (response.type === "opaqueredirect") return this.done(4, wake, slot);
      this.status = response.status;
      let head = "";
      let length = null;
      let encoding = null;
      response.headers.forEach((value, name) => {
        head += name + "\n" + value + "\n";
        if (name === "content-length") length = value;
        else if (name === "content-encoding") encoding = value;
      });
      this.head = head;
      const stream = response.body;
      if (stream === null) return this.done(4, wake, slot);
      if (length !== null && /^\s*\d{1,15}\s*$/.test(length) && Number(length) <= cap &&
          (encoding === null || encoding.trim().toLowerCase() === "identity")) {
        return response.arrayBuffer().then((buffer) => {
          this.body = new Uint8Array(buffer);
          this.done(1, wake, slot);
        }, failed);
      }
      this.stream = stream;
      this.done(3, wake, slot);
    }).catch(failed);
  }
  done(state, wake, slot) {
    this.state = state;
    wake(slot);
  }
  get bound() {
    return this.head.length * 3 + (this.body === undefined ? 0 : this.body.length);
  }
  fill(out) {
    const { written } = encoder.encodeInto(this.head, out);
    if (this.body !== undefined) out.set(this.body, written);
    return written;
  }
  close(finished) {
    this.unlink();
    const controller = this.controller;
    if (!finished) controller.abort();
    else if (!controller.signal.aborted && this.uses < REUSE) {
      free.push(controller);
      freeUses.push(this.uses);
    }
  }
  get aborted() {
    return this.controller.signal.aborted;
  }
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = ClerkFetchExchange)]
    type Exchange;

    #[wasm_bindgen(static_method_of = Exchange, js_class = ClerkFetchExchange)]
    fn context(wake: &Function) -> JsValue;

    #[wasm_bindgen(static_method_of = Exchange, js_class = ClerkFetchExchange, catch)]
    #[allow(clippy::too_many_arguments)]
    fn start(
        ms: f64,
        text: &str,
        url_end: u32,
        method_end: u32,
        head_end: u32,
        bytes: Option<Uint8Array>,
        cap: f64,
        context: &JsValue,
        slot: u32,
    ) -> Result<Option<Exchange>, JsValue>;

    #[wasm_bindgen(method)]
    fn close(this: &Exchange, finished: bool);

    #[wasm_bindgen(method, getter)]
    fn aborted(this: &Exchange) -> bool;

    #[wasm_bindgen(method, getter)]
    fn answered(this: &Exchange) -> bool;

    #[wasm_bindgen(method, getter)]
    fn state(this: &Exchange) -> u8;

    #[wasm_bindgen(method, getter)]
    fn error(this: &Exchange) -> JsValue;

    #[wasm_bindgen(method, getter)]
    fn status(this: &Exchange) -> u16;

    #[wasm_bindgen(method, getter)]
    fn bound(this: &Exchange) -> f64;

    #[wasm_bindgen(method)]
    fn fill(this: &Exchange, out: &mut [u8]) -> u32;

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
    /// This module instance's exchange context (`ClerkFetchExchange.context`).
    static CONTEXT: JsValue = Slot::with_wake(Exchange::context);
    /// The url, method and headers (the text before the body, see
    /// [`Outgoing`]) that CONTEXT holds; empty when it may hold none or
    /// others.
    static SENT_HEAD: RefCell<String> = const { RefCell::new(String::new()) };
}

/// What [`Exchange::start`] takes of a request: one string (one crossing,
/// one decode) holding the url, the method, the headers (`name\nvalue\n`
/// for each: neither can hold a line feed, `http` refuses one in a value)
/// and, when it is UTF-8 and the request says its `Content-Type`, the body;
/// the offsets where the first three end (the text before the body is
/// ASCII, so byte offsets are JavaScript's string offsets too); and the body
/// as bytes otherwise (`fetch` gives a string body a `text/plain` type when
/// none is set). When the url, method and headers are those the context
/// already holds (a client sends the same ones on every create), the text is
/// the body alone and every offset 0: nothing to decode, split or compare in
/// JavaScript. `head` is the text before the body when it is sent, for
/// [`SENT_HEAD`] once `start` took it.
struct Outgoing {
    text: String,
    url_end: u32,
    method_end: u32,
    head_end: u32,
    bytes: Option<Uint8Array>,
    head: Option<String>,
}

#[inline(never)]
fn outgoing(request: &HttpRequest) -> Result<Outgoing, SendError> {
    let body = request.body();
    let text_body = request
        .headers()
        .contains_key(http::header::CONTENT_TYPE)
        .then(|| std::str::from_utf8(body).ok())
        .flatten();
    let mut text = String::with_capacity(256 + text_body.map_or(0, str::len));
    let uri = request.uri();
    // `check_request` refused a URI without both before this.
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(SendError::invalid_request(
            "the request URI is not absolute",
        ));
    };
    text.push_str(scheme);
    text.push_str("://");
    text.push_str(authority.as_str());
    text.push_str(uri.path_and_query().map_or("/", |p| p.as_str()));
    let mut url_end = text.len();
    text.push_str(request.method().as_str());
    let mut method_end = text.len();
    policy::push_headers(request.headers(), &mut text)?;
    let mut head_end = text.len();
    let head =
        if SENT_HEAD.with(|sent| policy::same_bytes(sent.borrow().as_bytes(), text.as_bytes())) {
            text.clear();
            (url_end, method_end, head_end) = (0, 0, 0);
            None
        } else {
            Some(text.clone())
        };
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
        head,
    })
}

/// The response as the exchange answered it: its status and headers as
/// `http` holds them (and no body yet), and the body when it was read whole. One buffer takes
/// both, written by JavaScript in one call.
#[inline(never)]
fn response_head(exchange: &Exchange) -> Result<(HttpResponse, Bytes), SendError> {
    // Status 0: the host hid a redirect (`opaqueredirect`); the class sets
    // no status then.
    let status = exchange.status();
    if status == 0 {
        return Err(opaque_redirect());
    }
    let invalid = invalid_response;
    // `bound`: 3 bytes of UTF-8 per UTF-16 unit of the headers' string (at
    // most what it takes), and the body's length. `fill` writes the headers
    // and, right after them, the body, and answers how many bytes the
    // headers took; so the body is `bound` less three per UTF-16 unit of the
    // headers. An `f64` length of memory JavaScript holds fits a `usize`.
    let bound = exchange.bound() as usize;
    let mut buffer = vec![0u8; bound];
    let head_len = (exchange.fill(&mut buffer) as usize).min(bound);
    let buffer = Bytes::from(buffer);
    let head = std::str::from_utf8(&buffer[..head_len])
        .map_err(|_| invalid("the response headers are not valid UTF-8"))?;
    let body_len = bound.saturating_sub(3 * policy::utf16_len(head));
    let body = buffer.slice(head_len..(head_len + body_len).min(bound));
    // Built in place: `http::response::Builder` moves the whole head on
    // every header it adds.
    let mut response = HttpResponse::new(Bytes::new());
    *response.status_mut() = http::StatusCode::from_u16(status)
        .map_err(|_| invalid("the response's status is not a valid HTTP status"))?;
    let headers = response.headers_mut();
    let too_many = |_| invalid("the response has more headers than an `http::HeaderMap` holds");
    headers
        .try_reserve(head.bytes().filter(|&b| b == b'\n').count() / 2)
        .map_err(too_many)?;
    let mut lines = head.as_bytes().split(|&b| b == b'\n');
    while let (Some(name), Some(value)) = (lines.next(), lines.next()) {
        let name = http::HeaderName::from_bytes(name)
            .map_err(|_| invalid("a response header name is not a valid HTTP token"))?;
        // A view of the buffer, not a copy.
        let value = http::HeaderValue::from_maybe_shared(buffer.slice_ref(value))
            .map_err(|_| invalid("a response header value is not a valid HTTP value"))?;
        headers.try_append(name, value).map_err(too_many)?;
    }
    Ok((response, body))
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
    let slot = Slot::take();
    // `usize` caps fit an `f64` for any real limit.
    let started = CONTEXT.with(|context| {
        Exchange::start(
            deadline.map_or(-1.0, millis),
            &out.text,
            out.url_end,
            out.method_end,
            out.head_end,
            out.bytes,
            limit as f64,
            context,
            slot.number(),
        )
    });
    // What the context holds now: this request's head once `start` took it;
    // after a refusal, maybe this one and maybe the one before, so none.
    SENT_HEAD.with(|sent| {
        let mut sent = sent.borrow_mut();
        match (&started, out.head) {
            (Ok(Some(_)), Some(head)) => *sent = head,
            (Ok(Some(_)), None) => {}
            _ => sent.clear(),
        }
    });
    let exchange = started
        .map_err(|v| refused(&v, &request))?
        .ok_or_else(no_fetch)?;
    drop(out.text);
    let mut guard = Guard {
        exchange,
        deadline,
        finished: false,
    };
    let state = slot
        .until(|| match guard.exchange.state() {
            0 => None,
            state => Some(state),
        })
        .await;
    drop(slot);
    if state == 2 {
        return Err(failed(&guard.exchange.error(), &request, &guard));
    }
    let (mut response, whole) = response_head(&guard.exchange)?;
    let declared = declared_length(response.headers());
    let stream = if state == 3 {
        guard.exchange.stream()
    } else {
        None
    };
    let body = match (state, stream) {
        (1, _) => {
            let mut buffer = BodyBuffer::new(limit, declared)?;
            buffer.push(whole)?;
            buffer.finish()
        }
        (_, Some(stream)) => read_body(&stream, limit, declared, &request)
            .await
            .map_err(|err| guard.or_timeout(err))?,
        _ => Bytes::new(),
    };
    guard.finished = true;
    *response.body_mut() = body;
    Ok(response)
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
