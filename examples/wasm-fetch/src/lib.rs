//! One Rust module over [`clerk_fetch`], run by three JavaScript hosts.
//!
//! - **A Cloudflare Worker** ([`handle_fetch`], the module Worker's fetch
//!   handler):
//!   `GET /sign-in?user_id=user_...` mints a sign-in token and answers
//!   `302` to its url; `POST /revoke?id=sit_...` revokes a token. The secret
//!   key comes from the Worker's `CLERK_SECRET_KEY` secret, and the API from
//!   `CLERK_API_URL` when set (a mock), `https://api.clerk.com/v1` otherwise.
//! - **Node, Deno, Bun, a browser web worker**: [`create_sign_in_token`] and
//!   [`revoke_sign_in_token`], called from JavaScript with an options object
//!   `{ secretKey, apiUrl?, timeoutMs?, callTimeoutMs?, maxBodyBytes?, maxRetries?,
//!   dangerouslyAllowBrowserWindow? }`.
//!
//! `examples/wasm-fetch/README.md` shows how to build it and host it;
//! `crates/clerk-fetch/tests/run-hosts.sh` runs it in Node, workerd and
//! headless Chromium against the project's mock Clerk.
//!
//! Errors reach JavaScript as `Error` objects whose message is the client's
//! (secret-free) description, with `kind` (`"api"`, `"transport"`, ...),
//! `transportKind` (the transport error's kind, `clerk_core::TransportErrorKind::as_str`),
//! `status` and `code` when they apply.
#![forbid(unsafe_code)]

mod task;

use std::time::Duration;

use clerk_core::{
    Client, CreateSignInTokenRequest, Error, RetryPolicy, Revocation, SecretKey, SignInToken,
};
use clerk_fetch::{FetchTransport, SetTimeoutTimer};
use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use web_sys::{Request, Response, ResponseInit, Url};

/// talc instead of the standard library's dlmalloc: the same job in a
/// fraction of the code (6.8 KB less after `wasm-opt -Oz` on stable, 3.9 KB
/// with nightly's size-optimized std). One thread, so no lock.
#[cfg(all(
    target_arch = "wasm32",
    target_os = "unknown",
    not(target_feature = "atomics")
))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Settings read from a JavaScript options object (or a Worker's `env`).
#[derive(Debug, Default)]
struct Options {
    secret_key: Option<String>,
    api_url: Option<String>,
    timeout_ms: Option<f64>,
    call_timeout_ms: Option<f64>,
    max_body_bytes: Option<f64>,
    max_retries: Option<f64>,
    allow_browser_window: bool,
}

fn field(object: &JsValue, name: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

impl Options {
    fn read(object: &JsValue) -> Self {
        Self {
            secret_key: field(object, "secretKey")
                .as_string()
                .or_else(|| field(object, "CLERK_SECRET_KEY").as_string()),
            api_url: field(object, "apiUrl")
                .as_string()
                .or_else(|| field(object, "CLERK_API_URL").as_string())
                .filter(|url| !url.is_empty()),
            timeout_ms: field(object, "timeoutMs").as_f64(),
            call_timeout_ms: field(object, "callTimeoutMs").as_f64(),
            max_body_bytes: field(object, "maxBodyBytes").as_f64(),
            max_retries: field(object, "maxRetries").as_f64(),
            allow_browser_window: field(object, "dangerouslyAllowBrowserWindow")
                .as_bool()
                .unwrap_or(false),
        }
    }

    fn client(&self) -> Result<Client<FetchTransport, SetTimeoutTimer>, JsValue> {
        let key = self
            .secret_key
            .as_deref()
            .ok_or_else(|| error("config", "no secretKey (or CLERK_SECRET_KEY) was given"))?;
        let key = SecretKey::new(key).map_err(|e| error("config", &e.to_string()))?;
        let mut transport = FetchTransport::builder();
        if let Some(ms) = self.timeout_ms.filter(|ms| *ms >= 0.0) {
            transport = transport.request_timeout(Duration::from_millis(ms as u64));
        }
        if let Some(bytes) = self.max_body_bytes.filter(|b| *b >= 0.0) {
            transport = transport.max_body_bytes(bytes as usize);
        }
        if self.allow_browser_window {
            transport = transport.dangerously_allow_browser_window();
        }
        let mut builder = Client::builder(key);
        if let Some(url) = &self.api_url {
            builder = builder.base_url(url.clone());
        }
        if let Some(ms) = self.call_timeout_ms.filter(|ms| *ms >= 0.0) {
            builder = builder.call_timeout(Duration::from_millis(ms as u64));
        }
        if let Some(retries) = self.max_retries.filter(|r| *r >= 0.0) {
            builder = builder.retry_policy(
                RetryPolicy::default()
                    .with_max_retries(retries as u32)
                    .with_initial_backoff(Duration::from_millis(50)),
            );
        }
        let transport = transport
            .build()
            .map_err(|e| error("config", &e.to_string()))?;
        builder
            .timer(SetTimeoutTimer)
            .build(transport)
            .map_err(|e| error("config", &e.to_string()))
    }
}

/// A JavaScript `Error` with `message` and a `kind` property.
fn error(kind: &str, message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    let _ = Reflect::set(&err, &"kind".into(), &kind.into());
    err.into()
}

/// The client's error in words. A transport failure's own `Display` only
/// says that the transport failed: the JavaScript error's words
/// (`TypeError: fetch failed ...`) are in the transport's error, so they are
/// added. The other kinds say everything in their own `Display`, and a
/// generic walk over `source()` through `dyn Error` made the module 10 KB
/// larger (244,374 against 234,000 bytes after `wasm-opt -Oz`).
fn message(err: &Error<clerk_fetch::Error>) -> String {
    match err {
        Error::Transport(failure) => format!("{err}: {}", failure.get_ref()),
        _ => err.to_string(),
    }
}

/// The client's error as a JavaScript `Error`: its message (which never
/// holds the key, the token or the url), and what kind of failure it was.
fn client_error(err: &Error<clerk_fetch::Error>) -> JsValue {
    let (kind, transport) = match err {
        Error::Transport(t) => ("transport", Some(t.kind().as_str())),
        Error::CallTimeout(_) => ("call_timeout", None),
        Error::Api(_) => ("api", None),
        Error::UnexpectedResponse(_) => ("unexpected_response", None),
        Error::Decode(_) => ("decode", None),
        Error::InvalidInput(_) => ("invalid_input", None),
        _ => ("other", None),
    };
    let value = error(kind, &message(err));
    if let Some(transport) = transport {
        let _ = Reflect::set(&value, &"transportKind".into(), &transport.into());
    }
    if let Some(status) = err.status() {
        let _ = Reflect::set(&value, &"status".into(), &status.as_u16().into());
    }
    if let Some(api) = err.as_api_error() {
        if let Some(code) = api.errors().first().map(|e| e.code.as_str()) {
            let _ = Reflect::set(&value, &"code".into(), &code.into());
        }
    }
    value
}

/// A token as JavaScript sees it: `{ id, status, userId, url }`, and
/// `byEarlierAttempt: true` when an earlier attempt of a revoke did it.
struct TokenView<'a> {
    id: &'a str,
    status: &'a str,
    user_id: Option<&'a str>,
    url: Option<&'a str>,
    by_earlier_attempt: bool,
}

/// What a revoke achieved, for JavaScript: the token, or `{ id, status:
/// "revoked", userId: null, url: null, byEarlierAttempt: true }` when an
/// earlier attempt of the call revoked it and its answer was lost.
fn revocation_object(revocation: &Revocation) -> JsValue {
    match revocation.sign_in_token() {
        Some(token) => token_object(token),
        None => to_js(&TokenView {
            id: revocation.sign_in_token_id(),
            status: "revoked",
            user_id: None,
            url: None,
            by_earlier_attempt: true,
        }),
    }
}

/// `{ id, status, userId, url }` for JavaScript (url `null` after revoke).
/// The url signs the user in: the caller must treat it as a secret.
fn token_object(token: &SignInToken) -> JsValue {
    to_js(&TokenView {
        id: &token.id,
        status: token.status.as_str(),
        user_id: Some(&token.user_id),
        url: token.url.as_ref().map(|url| url.expose_secret()),
        by_earlier_attempt: false,
    })
}

#[wasm_bindgen(inline_js = r#"
export function clerkToken(text, idEnd, statusEnd, userIdEnd, urlEnd, byEarlierAttempt) {
  const token = {
    id: text.slice(0, idEnd),
    status: text.slice(idEnd, statusEnd),
    userId: userIdEnd < 0 ? null : text.slice(statusEnd, userIdEnd),
    url: urlEnd < 0 ? null : text.slice(Math.max(statusEnd, userIdEnd), urlEnd),
  };
  if (byEarlierAttempt) token.byEarlierAttempt = true;
  return token;
}
"#)]
extern "C" {
    /// The object for a [`TokenView`]: its strings arrive as one (one
    /// decode), cut at the offsets (UTF-16 units, JavaScript's; `-1`: null).
    #[wasm_bindgen(js_name = clerkToken)]
    fn clerk_token(
        text: &str,
        id_end: f64,
        status_end: f64,
        user_id_end: f64,
        url_end: f64,
        by_earlier_attempt: bool,
    ) -> JsValue;
}

/// A token as a JavaScript object, in one host call: the four strings are
/// handed over as one, instead of a host call per key and value.
fn to_js(view: &TokenView<'_>) -> JsValue {
    let mut text = String::with_capacity(
        view.id.len()
            + view.status.len()
            + view.user_id.map_or(0, str::len)
            + view.url.map_or(0, str::len),
    );
    let mut units = 0usize;
    let mut push = |part: &str| {
        text.push_str(part);
        // JavaScript's length (UTF-16 units): the length of ASCII text
        // (checked a word at a time); otherwise one per UTF-8 sequence, two
        // for a 4-byte one, counted from the bytes without decoding.
        if part.is_ascii() {
            units += part.len();
        } else {
            for &b in part.as_bytes() {
                units += usize::from(b & 0xc0 != 0x80) + usize::from(b >= 0xf0);
            }
        }
        units as f64
    };
    let id_end = push(view.id);
    let status_end = push(view.status);
    let user_id_end = view.user_id.map_or(-1.0, &mut push);
    let url_end = view.url.map_or(-1.0, &mut push);
    clerk_token(
        &text,
        id_end,
        status_end,
        user_id_end,
        url_end,
        view.by_earlier_attempt,
    )
}

/// Creates a sign-in token for `user_id`; resolves to `{ id, status,
/// userId, url }`. Builds a client for this one call: [`SignInTokens`]
/// keeps one for many.
#[wasm_bindgen(js_name = createSignInToken)]
pub fn create_sign_in_token(options: JsValue, user_id: String) -> js_sys::Promise {
    match SignInTokens::new(options) {
        Ok(client) => client.create_sign_in_token(user_id),
        Err(err) => js_sys::Promise::reject(&err),
    }
}

/// Revokes the sign-in token `id`; resolves to `{ id, status, userId, url }`.
/// Builds a client for this one call: [`SignInTokens`] keeps one for many.
#[wasm_bindgen(js_name = revokeSignInToken)]
pub fn revoke_sign_in_token(options: JsValue, id: String) -> js_sys::Promise {
    match SignInTokens::new(options) {
        Ok(client) => client.revoke_sign_in_token(id),
        Err(err) => js_sys::Promise::reject(&err),
    }
}

/// A client made once and used for many calls, as a JavaScript class:
/// `new SignInTokens(options)` reads the options (the same object as the
/// functions above take) and builds the client; its `createSignInToken(userId)`
/// and `revokeSignInToken(id)` answer like the functions of the same names,
/// without reading the options and building a client for each call.
#[wasm_bindgen]
pub struct SignInTokens {
    client: std::rc::Rc<Client<FetchTransport, SetTimeoutTimer>>,
}

#[wasm_bindgen]
impl SignInTokens {
    /// Reads `options` and builds the client; throws an `Error` with `kind`
    /// `"config"` when they are not valid.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<SignInTokens, JsValue> {
        Ok(Self {
            client: std::rc::Rc::new(Options::read(&options).client()?),
        })
    }

    /// Creates a sign-in token for `user_id`; resolves to `{ id, status,
    /// userId, url }`.
    #[wasm_bindgen(js_name = createSignInToken)]
    pub fn create_sign_in_token(&self, user_id: String) -> js_sys::Promise {
        let client = self.client.clone();
        task::run(async move {
            let token = client
                .create_sign_in_token(&CreateSignInTokenRequest::new(user_id))
                .await
                .map_err(|e| client_error(&e))?;
            Ok(token_object(&token))
        })
    }

    /// Revokes the sign-in token `id`; resolves to `{ id, status, userId,
    /// url }`.
    #[wasm_bindgen(js_name = revokeSignInToken)]
    pub fn revoke_sign_in_token(&self, id: String) -> js_sys::Promise {
        let client = self.client.clone();
        task::run(async move {
            let revocation = client
                .revoke_sign_in_token(&id)
                .await
                .map_err(|e| client_error(&e))?;
            Ok(revocation_object(&revocation))
        })
    }
}

/// A plain-text response.
fn text(status: u16, body: &str) -> Result<Response, JsValue> {
    let init = ResponseInit::new();
    init.set_status(status);
    let response = Response::new_with_opt_str_and_init(Some(body), &init)?;
    response
        .headers()
        .set("content-type", "text/plain; charset=utf-8")?;
    Ok(response)
}

/// The HTTP status a Worker answers with for a client error: Clerk's own
/// 4xx passes through (a bad user id is the caller's fault), anything else is
/// a bad gateway.
fn failure(err: &Error<clerk_fetch::Error>) -> Result<Response, JsValue> {
    let status = match err.status().map(|s| s.as_u16()) {
        Some(s @ 400..=499) if s != 401 && s != 403 && s != 429 => s,
        _ => 502,
    };
    text(status, &message(err))
}

/// The module Worker's fetch handler: `GET /sign-in?user_id=...` answers
/// `302` to a fresh sign-in url, `POST /revoke?id=...` revokes a token.
///
/// The JavaScript entry point (`examples/wasm-fetch/worker.mjs`) calls it as
/// `handleFetch(request, env)`.
///
/// Exported as `handleFetch`: an export named `fetch` would shadow the global
/// `fetch` inside wasm-bindgen's own loader.
#[wasm_bindgen(js_name = handleFetch)]
pub fn handle_fetch(request: Request, env: JsValue) -> js_sys::Promise {
    task::run(async move { serve(request, env).await.map(JsValue::from) })
}

/// What [`handle_fetch`] answers.
async fn serve(request: Request, env: JsValue) -> Result<Response, JsValue> {
    let url = Url::new(&request.url())?;
    let params = url.search_params();
    let client = match Options::read(&env).client() {
        Ok(client) => client,
        Err(_) => return text(500, "the Worker has no valid CLERK_SECRET_KEY"),
    };
    match (request.method().as_str(), url.pathname().as_str()) {
        ("GET", "/sign-in") => {
            let Some(user_id) = params.get("user_id").filter(|u| !u.is_empty()) else {
                return text(400, "missing ?user_id=");
            };
            match client
                .create_sign_in_token(&CreateSignInTokenRequest::new(user_id))
                .await
            {
                Ok(token) => match &token.url {
                    Some(url) => {
                        let headers = web_sys::Headers::new()?;
                        headers.set("location", url.expose_secret())?;
                        // A sign-in url must not be cached by anything.
                        headers.set("cache-control", "no-store")?;
                        let init = ResponseInit::new();
                        init.set_status(302);
                        init.set_headers(&headers);
                        Response::new_with_opt_str_and_init(None, &init)
                    }
                    None => text(502, "Clerk returned no sign-in url"),
                },
                Err(e) => failure(&e),
            }
        }
        ("POST", "/revoke") => {
            let Some(id) = params.get("id").filter(|id| !id.is_empty()) else {
                return text(400, "missing ?id=");
            };
            match client.revoke_sign_in_token(&id).await {
                Ok(revoked) => text(
                    200,
                    &format!("{} {}", revoked.sign_in_token_id(), revoked.status()),
                ),
                Err(e) => failure(&e),
            }
        }
        (_, "/sign-in") | (_, "/revoke") => text(405, "method not allowed"),
        _ => text(
            404,
            "not found: try GET /sign-in?user_id=... or POST /revoke?id=...",
        ),
    }
}
