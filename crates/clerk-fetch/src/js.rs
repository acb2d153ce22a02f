//! The JavaScript side (wasm32-unknown-unknown only): the global `fetch`,
//! the abort deadline, the capped body read, `setTimeout`.

use std::time::Duration;

use bytes::Bytes;
use clerk_core::{HttpRequest, HttpResponse};
use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, Headers, ReadableStreamDefaultReader, RequestInit, RequestRedirect, Response,
    ResponseType,
};

use crate::error::{Error, is_not_sent_code, scrub};
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
    Thrown {
        message: scrub(&message, secrets),
        not_sent,
    }
}

/// The abort deadline of one exchange: an `AbortController` whose `abort` a
/// `setTimeout` calls. Dropping it clears the timer, and aborts the request
/// if it has not finished (the caller dropped the future).
struct Deadline {
    controller: AbortController,
    timer: JsValue,
    after: Duration,
    finished: bool,
}

impl Deadline {
    fn start(after: Duration) -> Result<Self, Error> {
        let unavailable = |what: &str| Error::Fetch {
            message: format!("the host has no {what} for the request deadline"),
            not_sent: true,
        };
        let controller = AbortController::new().map_err(|_| unavailable("AbortController"))?;
        let abort = get(&controller, "abort")
            .dyn_into::<Function>()
            .map_err(|_| unavailable("AbortController.abort"))?
            .bind0(&controller);
        let set_timeout = global_function("setTimeout").ok_or_else(|| unavailable("setTimeout"))?;
        let timer = set_timeout
            .call2(&js_sys::global(), &abort, &JsValue::from_f64(millis(after)))
            .map_err(|_| unavailable("working setTimeout"))?;
        Ok(Self {
            controller,
            timer,
            after,
            finished: false,
        })
    }

    fn expired(&self) -> bool {
        self.controller.signal().aborted()
    }

    /// The error for a failure seen while the deadline was armed.
    fn or_timeout(&self, other: Error) -> Error {
        if self.expired() {
            Error::Timeout { after: self.after }
        } else {
            other
        }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        if let Some(clear) = global_function("clearTimeout") {
            let _ = clear.call1(&js_sys::global(), &self.timer);
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
    deadline: Option<Deadline>,
    secrets: Vec<String>,
}

/// Everything up to calling `fetch`, outside the async function: kept out
/// of its state machine, the code is not repeated for each of its exits.
#[inline(never)]
fn start(transport: &FetchTransport, request: &HttpRequest) -> Result<Started, Error> {
    if !transport.allow_browser_window && is_browser_window() {
        return Err(Error::BrowserWindow);
    }
    let fetch = global_function("fetch").ok_or(Error::NoFetch)?;
    let secrets = policy::secrets_of(request.headers());
    let refused = |value: JsValue| Error::Fetch {
        message: thrown(&value, &secrets).message,
        not_sent: true,
    };

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
    let deadline = match transport.request_timeout {
        Some(after) => Some(Deadline::start(after)?),
        None => None,
    };
    if let Some(deadline) = &deadline {
        init.set_signal(Some(&deadline.controller.signal()));
    }

    // `this` is the global object: some hosts (workerd) throw "Illegal
    // invocation" when fetch is called on anything else.
    let url = JsValue::from_str(&request.uri().to_string());
    let promise = fetch
        .call2(&js_sys::global(), &url, &init)
        .map_err(refused)?
        .dyn_into::<Promise>()
        .map_err(|_| Error::Fetch {
            message: "the global fetch did not return a promise".to_owned(),
            not_sent: false,
        })?;
    Ok(Started {
        promise,
        deadline,
        secrets,
    })
}

/// `err`, or [`Error::Timeout`] when the deadline has fired.
#[inline(never)]
fn with_deadline(deadline: &Option<Deadline>, err: Error) -> Error {
    match deadline {
        Some(d) => d.or_timeout(err),
        None => err,
    }
}

/// The error for `fetch`'s rejected promise.
#[inline(never)]
fn rejected(value: &JsValue, secrets: &[String], deadline: &Option<Deadline>) -> Error {
    let t = thrown(value, secrets);
    with_deadline(
        deadline,
        Error::Fetch {
            message: t.message,
            not_sent: t.not_sent,
        },
    )
}

/// The response's status and headers as `http` holds them.
#[inline(never)]
fn head(response: &Response) -> Result<http::response::Builder, Error> {
    if response.type_() == ResponseType::Opaqueredirect {
        return Err(Error::OpaqueRedirect);
    }
    let mut builder = http::Response::builder().status(response.status());
    let invalid = |reason| Error::InvalidResponse { reason };
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
) -> Result<HttpResponse, Error> {
    let Started {
        promise,
        mut deadline,
        secrets,
    } = start(transport, &request)?;
    drop(request);
    let response: Response = JsFuture::from(promise)
        .await
        .map_err(|value| rejected(&value, &secrets, &deadline))?
        .unchecked_into();
    let builder = head(&response)?;
    let body = read_body(&response, transport.max_body_bytes, &secrets)
        .await
        .map_err(|err| with_deadline(&deadline, err))?;
    if let Some(deadline) = &mut deadline {
        deadline.finished = true;
    }
    builder.body(body).map_err(|_| Error::InvalidResponse {
        reason: "the response's status or headers are not valid HTTP",
    })
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
fn append_chunk(step: &JsValue, body: &mut Vec<u8>, limit: usize) -> Result<bool, Error> {
    if get(step, "done").as_bool() == Some(true) {
        return Ok(false);
    }
    let chunk = get(step, "value")
        .dyn_into::<Uint8Array>()
        .map_err(|_| Error::Body {
            message: "the body stream gave a chunk that is not a Uint8Array".to_owned(),
        })?;
    let len = chunk.length() as usize;
    if body.len().saturating_add(len) > limit {
        return Err(Error::BodyTooLarge { limit });
    }
    let start = body.len();
    body.resize(start + len, 0);
    chunk.copy_to(&mut body[start..]);
    Ok(true)
}

/// Reads the whole body, refusing more than `limit` bytes: first by
/// `Content-Length`, then while reading, chunk by chunk.
async fn read_body(response: &Response, limit: usize, secrets: &[String]) -> Result<Bytes, Error> {
    let Some(stream) = response.body() else {
        return Ok(Bytes::new());
    };
    let declared = declared_length(response);
    if declared.is_some_and(|n| n > limit as u64) {
        let _ = JsFuture::from(stream.cancel()).await;
        return Err(Error::BodyTooLarge { limit });
    }
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut body = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    loop {
        let step = JsFuture::from(reader.read())
            .await
            .map_err(|value| Error::Body {
                message: thrown(&value, secrets).message,
            })?;
        match append_chunk(&step, &mut body, limit) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                if let Error::BodyTooLarge { .. } = err {
                    let _ = JsFuture::from(reader.cancel()).await;
                }
                return Err(err);
            }
        }
    }
    Ok(Bytes::from(body))
}

/// Whether the global scope has `setTimeout`.
pub(crate) fn has_set_timeout() -> bool {
    global_function("setTimeout").is_some()
}

/// Clears a pending `setTimeout` when dropped (a sleep cut short).
struct ClearTimer(Option<JsValue>);

impl Drop for ClearTimer {
    fn drop(&mut self) {
        if let (Some(id), Some(clear)) = (self.0.take(), global_function("clearTimeout")) {
            let _ = clear.call1(&js_sys::global(), &id);
        }
    }
}

/// Resolves after `duration`, through the global `setTimeout`; at once when
/// there is none or it throws.
pub(crate) async fn sleep(duration: Duration) {
    let Some(set_timeout) = global_function("setTimeout") else {
        return;
    };
    let mut timer = None;
    let promise = Promise::new(&mut |resolve, _reject| match set_timeout.call2(
        &js_sys::global(),
        &resolve,
        &JsValue::from_f64(millis(duration)),
    ) {
        Ok(id) => timer = Some(id),
        Err(_) => {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    let mut guard = ClearTimer(timer);
    let _ = JsFuture::from(promise).await;
    guard.0 = None;
}
