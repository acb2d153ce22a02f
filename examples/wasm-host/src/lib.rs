//! # clerk-wasm-host
//!
//! clerk-core's **async** client inside a `wasm32-unknown-unknown` module
//! whose network is the host's: the module builds each request (method, URI,
//! headers with `Authorization`, body), hands its bytes to the imported
//! `host_send`, and reads the host's answer with clerk-core. Retries wait on
//! the imported `host_sleep`.
//!
//! The host's work is asynchronous (`fetch`, `setTimeout`) and wasm exports
//! are synchronous, so every piece of work is an *operation* (a future) that
//! the host drives:
//!
//! 1. `start_create` / `start_revoke` / `configure` make an operation, poll it
//!    once and return its id.
//! 2. When the future needs the host, it calls `host_send` or `host_sleep`
//!    with a fresh *call id* and returns `Pending`.
//! 3. The host does the work, then answers with `complete`, `fail` or `wake`;
//!    that wakes the operation's waker.
//! 4. `poll(op)` runs the operation if it was woken and says whether it is
//!    done; when done, `result_ptr(op)` / `result_len(op)` locate its JSON
//!    result, and `release(op)` frees it.
//!
//! The executor is a table of boxed futures with a waker per operation that
//! marks it woken: no threads, no runtime, no extra crate. See `README.md`
//! for the full ABI.
#![allow(unsafe_code)]

mod host;
mod result;
mod wire;

use std::alloc::Layout;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use clerk_core::{Client, CreateSignInTokenRequest, RetryPolicy, SecretKey};
use serde_json::Value;

use crate::host::{Answer, HostTimer, HostTransport};

type ClerkClient = Client<HostTransport, HostTimer>;
type Task = Pin<Box<dyn Future<Output = Value>>>;

/// `poll`: the operation waits for the host.
const PENDING: u32 = 0;
/// `poll`: the operation finished; its result is ready.
const DONE: u32 = 1;
/// `poll`: no such operation.
const UNKNOWN: u32 = 2;

struct Operation {
    task: Option<Task>,
    result: Option<Box<[u8]>>,
}

thread_local! {
    static CLIENT: RefCell<Option<Rc<ClerkClient>>> = const { RefCell::new(None) };
    static OPERATIONS: RefCell<HashMap<u32, Operation>> = RefCell::new(HashMap::new());
    static WOKEN: RefCell<BTreeSet<u32>> = const { RefCell::new(BTreeSet::new()) };
    static NEXT_OPERATION: Cell<u32> = const { Cell::new(1) };
}

/// Marks its operation woken; the host's next `poll` runs it.
struct OperationWaker(u32);

impl Wake for OperationWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        WOKEN.with_borrow_mut(|woken| woken.insert(self.0));
    }
}

fn take_woken(id: u32) -> bool {
    WOKEN.with_borrow_mut(|woken| woken.remove(&id))
}

/// Registers `task` as a new operation, runs it until it waits, returns its id.
fn spawn(task: Task) -> u32 {
    let id = NEXT_OPERATION.with(|next| {
        let id = next.get();
        next.set(id.checked_add(1).unwrap_or(1));
        id
    });
    OPERATIONS.with_borrow_mut(|ops| {
        ops.insert(
            id,
            Operation {
                task: Some(task),
                result: None,
            },
        )
    });
    WOKEN.with_borrow_mut(|woken| woken.insert(id));
    run(id);
    id
}

/// Polls operation `id` while it is woken; returns its state.
fn run(id: u32) -> u32 {
    loop {
        // Take the future out of the table so that polling it may touch any
        // other table (calls, woken set) without a double borrow.
        let task = OPERATIONS.with_borrow_mut(|ops| match ops.get_mut(&id) {
            None => Err(UNKNOWN),
            Some(op) if op.result.is_some() => Err(DONE),
            Some(op) if take_woken(id) => op.task.take().ok_or(DONE),
            Some(_) => Err(PENDING),
        });
        let mut task = match task {
            Ok(task) => task,
            Err(state) => return state,
        };
        let waker = Waker::from(Arc::new(OperationWaker(id)));
        let polled = task.as_mut().poll(&mut Context::from_waker(&waker));
        let finished = match polled {
            Poll::Ready(value) => {
                drop(task);
                let bytes = value.to_string().into_bytes().into_boxed_slice();
                Some(bytes)
            }
            Poll::Pending => {
                OPERATIONS.with_borrow_mut(|ops| {
                    if let Some(op) = ops.get_mut(&id) {
                        op.task = Some(task);
                    }
                });
                None
            }
        };
        if let Some(bytes) = finished {
            OPERATIONS.with_borrow_mut(|ops| {
                if let Some(op) = ops.get_mut(&id) {
                    op.result = Some(bytes);
                }
            });
            take_woken(id);
            return DONE;
        }
        // Woken again while it ran: run it again, else it waits for the host.
    }
}

fn finished(value: Value) -> u32 {
    spawn(Box::pin(std::future::ready(value)))
}

/// Borrows the host's input buffer.
///
/// # Safety
///
/// `ptr..ptr+len` must be readable for the duration of the export call (the
/// host allocated it with `clerk_alloc` and frees it after the call).
unsafe fn input<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 {
        return &[];
    }
    // SAFETY: guaranteed by the caller, see above.
    unsafe { std::slice::from_raw_parts(ptr, len) }
}

fn layout(len: usize) -> Option<Layout> {
    // Zero-sized allocations are not allowed; a 0-byte buffer takes 1 byte.
    Layout::from_size_align(len.max(1), 1).ok()
}

/// Allocates `len` bytes for the host to write into; null when out of memory.
#[unsafe(no_mangle)]
pub extern "C" fn clerk_alloc(len: usize) -> *mut u8 {
    match layout(len) {
        // SAFETY: the layout has a non-zero size.
        Some(layout) => unsafe { std::alloc::alloc(layout) },
        None => std::ptr::null_mut(),
    }
}

/// Frees a buffer from [`clerk_alloc`].
///
/// # Safety
///
/// `ptr` must come from `clerk_alloc(len)` with the same `len`, and must not
/// be used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_free(ptr: *mut u8, len: usize) {
    if let (false, Some(layout)) = (ptr.is_null(), layout(len)) {
        // SAFETY: allocated by `clerk_alloc(len)` with this very layout.
        unsafe { std::alloc::dealloc(ptr, layout) }
    }
}

/// Sets up the client from a JSON object: `secret_key` (required),
/// `base_url`, `max_retries`, `api_version`, `user_agent_suffix`. Returns an
/// operation id; its result is `{"ok":{"base_url":…}}` or `{"err":…}`.
///
/// # Safety
///
/// `ptr..ptr+len` must be a readable buffer (see [`clerk_alloc`]).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn configure(ptr: *const u8, len: usize) -> u32 {
    // SAFETY: forwarded from this function's contract.
    let bytes = unsafe { input(ptr, len) };
    finished(match build_client(bytes) {
        Ok(client) => {
            let base_url = client.config().base_url().to_owned();
            CLIENT.with_borrow_mut(|c| *c = Some(Rc::new(client)));
            serde_json::json!({ "ok": { "base_url": base_url } })
        }
        Err(value) => value,
    })
}

fn build_client(bytes: &[u8]) -> Result<ClerkClient, Value> {
    let config = parse_object(bytes)?;
    let secret_key = config
        .get("secret_key")
        .and_then(Value::as_str)
        .ok_or_else(|| result::host_error("bad_config", "`secret_key` must be a string"))?;
    let secret_key =
        SecretKey::new(secret_key).map_err(|e| result::host_error("bad_config", &e.to_string()))?;
    let mut builder = Client::builder(secret_key).timer(HostTimer);
    if let Some(url) = optional_str(&config, "base_url")? {
        builder = builder.base_url(url);
    }
    if let Some(version) = optional_str(&config, "api_version")? {
        builder = builder.api_version(version);
    }
    if let Some(suffix) = optional_str(&config, "user_agent_suffix")? {
        builder = builder.user_agent_suffix(suffix);
    }
    match config.get("max_retries") {
        None | Some(Value::Null) => {}
        Some(n) => {
            let n = n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| {
                    result::host_error("bad_config", "`max_retries` must be a small integer")
                })?;
            builder = builder.retry_policy(RetryPolicy::new().with_max_retries(n));
        }
    }
    builder
        .build(HostTransport)
        .map_err(|e| result::host_error("bad_config", &e.to_string()))
}

fn parse_object(bytes: &[u8]) -> Result<serde_json::Map<String, Value>, Value> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(result::host_error("bad_input", "expected a JSON object")),
        Err(e) => Err(result::host_error(
            "bad_input",
            &format!("invalid JSON: {e}"),
        )),
    }
}

fn optional_str<'a>(
    object: &'a serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, Value> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(result::host_error(
            "bad_input",
            &format!("`{key}` must be a string"),
        )),
    }
}

fn client() -> Result<Rc<ClerkClient>, Value> {
    CLIENT
        .with_borrow(Option::clone)
        .ok_or_else(|| result::host_error("not_configured", "call `configure` first"))
}

fn create_input(bytes: &[u8]) -> Result<CreateSignInTokenRequest, Value> {
    let object = parse_object(bytes)?;
    let user_id = object
        .get("user_id")
        .and_then(Value::as_str)
        .ok_or_else(|| result::host_error("bad_input", "`user_id` must be a string"))?;
    let mut request = CreateSignInTokenRequest::new(user_id);
    if let Some(org_id) = optional_str(&object, "org_id")? {
        request = request.org_id(org_id);
    }
    match object.get("expires_in_seconds") {
        None | Some(Value::Null) => {}
        Some(n) => {
            let n = n.as_u64().ok_or_else(|| {
                result::host_error("bad_input", "`expires_in_seconds` must be an integer ≥ 0")
            })?;
            // 0 is passed on: clerk-core's own validation refuses it.
            request = request.expires_in_seconds(n);
        }
    }
    Ok(request)
}

/// Starts creating a sign-in token. Input: JSON `{"user_id", "expires_in_seconds"?,
/// "org_id"?}`. Returns an operation id; see [`poll`].
///
/// # Safety
///
/// `ptr..ptr+len` must be a readable buffer (see [`clerk_alloc`]).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn start_create(ptr: *const u8, len: usize) -> u32 {
    // SAFETY: forwarded from this function's contract.
    let bytes = unsafe { input(ptr, len) };
    let prepared = client().and_then(|c| Ok((c, create_input(bytes)?)));
    match prepared {
        Err(value) => finished(value),
        Ok((client, request)) => spawn(Box::pin(async move {
            result::outcome(client.create_sign_in_token(&request).await)
        })),
    }
}

/// Starts revoking a sign-in token. Input: the token id as UTF-8. Returns an
/// operation id; see [`poll`].
///
/// # Safety
///
/// `ptr..ptr+len` must be a readable buffer (see [`clerk_alloc`]).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn start_revoke(ptr: *const u8, len: usize) -> u32 {
    // SAFETY: forwarded from this function's contract.
    let bytes = unsafe { input(ptr, len) };
    let prepared = client().and_then(|c| {
        let id = std::str::from_utf8(bytes)
            .map_err(|_| result::host_error("bad_input", "the token id must be UTF-8"))?;
        Ok((c, id.to_owned()))
    });
    match prepared {
        Err(value) => finished(value),
        Ok((client, id)) => spawn(Box::pin(async move {
            result::outcome(client.revoke_sign_in_token(&id).await)
        })),
    }
}

/// Runs operation `op` if the host answered one of its calls since it last
/// ran. Returns 0 (waiting for the host), 1 (done: read the result) or 2
/// (unknown operation).
#[unsafe(no_mangle)]
pub extern "C" fn poll(op: u32) -> u32 {
    run(op)
}

/// Where the finished operation's JSON result starts (null if not finished).
/// Valid until `release(op)`.
#[unsafe(no_mangle)]
pub extern "C" fn result_ptr(op: u32) -> *const u8 {
    OPERATIONS.with_borrow(|ops| {
        ops.get(&op)
            .and_then(|o| o.result.as_deref())
            .map_or(std::ptr::null(), <[u8]>::as_ptr)
    })
}

/// The length of the finished operation's JSON result (0 if not finished).
#[unsafe(no_mangle)]
pub extern "C" fn result_len(op: u32) -> usize {
    OPERATIONS.with_borrow(|ops| {
        ops.get(&op)
            .and_then(|o| o.result.as_deref())
            .map_or(0, <[u8]>::len)
    })
}

/// Forgets operation `op`: its result, or its future if still running (a
/// late answer to its call is then ignored).
#[unsafe(no_mangle)]
pub extern "C" fn release(op: u32) {
    let removed = OPERATIONS.with_borrow_mut(|ops| ops.remove(&op));
    take_woken(op);
    // The future (and any call it waits on) is dropped outside the borrow.
    drop(removed);
}

/// Answers `host_send` call `call_id` with a response serialized as in
/// `wire.rs`. Returns 1 if a future was waiting for it, else 0.
///
/// # Safety
///
/// `ptr..ptr+len` must be a readable buffer (see [`clerk_alloc`]).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn complete(call_id: u32, ptr: *const u8, len: usize) -> u32 {
    // SAFETY: forwarded from this function's contract.
    let bytes = unsafe { input(ptr, len) };
    host::answer(call_id, Answer::Response(wire::decode_response(bytes))).into()
}

/// Answers `host_send` call `call_id` with a failure: `flags` bit 0 = the
/// request was not sent, bit 1 = timeout; the buffer holds a UTF-8 message.
/// Returns 1 if a future was waiting for it, else 0.
///
/// # Safety
///
/// `ptr..ptr+len` must be a readable buffer (see [`clerk_alloc`]).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fail(call_id: u32, flags: u32, ptr: *const u8, len: usize) -> u32 {
    // SAFETY: forwarded from this function's contract.
    let bytes = unsafe { input(ptr, len) };
    let message = String::from_utf8_lossy(bytes).into_owned();
    host::answer(call_id, Answer::Failed { flags, message }).into()
}

/// Answers `host_sleep` call `call_id`: the time is up. Returns 1 if a
/// future was waiting for it, else 0.
#[unsafe(no_mangle)]
pub extern "C" fn wake(call_id: u32) -> u32 {
    host::answer(call_id, Answer::Fired).into()
}

/// How many host calls are unanswered (a leak check for hosts and tests).
#[unsafe(no_mangle)]
pub extern "C" fn pending_calls() -> u32 {
    u32::try_from(host::pending_calls()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests;
