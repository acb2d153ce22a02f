//! The host's side of the client: a transport and a timer whose futures ask
//! the host for work through an import and wait for an export to bring the
//! answer.
//!
//! Each request to the host is a *call* with a fresh id. The future that
//! makes it parks a slot in [`CALLS`] and returns `Pending`; the host answers
//! through `complete`, `fail` or `wake` (see `lib.rs`), which fill the slot and
//! wake the operation's waker. Dropping the future forgets the call, so a late
//! answer is ignored.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use clerk_core::{GenericTransportError, HttpRequest, HttpResponse, HttpTransport, Timer};

use crate::wire;

#[cfg(not(test))]
mod imports {
    #[link(wasm_import_module = "clerk_host")]
    unsafe extern "C" {
        /// Send the serialized request at `ptr..ptr+len` and answer `call_id`
        /// later with `complete` or `fail`. The bytes are only valid during
        /// this call: the host copies them.
        pub fn host_send(ptr: *const u8, len: usize, call_id: u32);
        /// Answer `call_id` with `wake` after `millis` milliseconds.
        pub fn host_sleep(millis: u32, call_id: u32);
    }
}

/// A recording host for the unit tests, which run natively.
#[cfg(test)]
pub mod imports {
    use std::cell::RefCell;

    /// What the module asked of the recording host.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Asked {
        /// `host_send`
        Send(u32, Vec<u8>),
        /// `host_sleep`
        Sleep(u32, u32),
    }

    thread_local! {
        /// Everything asked so far.
        pub static ASKED: RefCell<Vec<Asked>> = const { RefCell::new(Vec::new()) };
    }

    pub unsafe fn host_send(ptr: *const u8, len: usize, call_id: u32) {
        // SAFETY: the module passes a live buffer of `len` bytes.
        let bytes = unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec();
        ASKED.with_borrow_mut(|a| a.push(Asked::Send(call_id, bytes)));
    }

    pub unsafe fn host_sleep(millis: u32, call_id: u32) {
        ASKED.with_borrow_mut(|a| a.push(Asked::Sleep(call_id, millis)));
    }
}

/// How the host answered a call.
pub enum Answer {
    /// `complete`: a response (or a response the host garbled).
    Response(Result<HttpResponse, String>),
    /// `fail`: no response; the flags say what the host knows.
    Failed {
        /// Bit 0: not sent. Bit 1: timeout.
        flags: u32,
        /// The host's description.
        message: String,
    },
    /// `wake`: the timer fired.
    Fired,
}

struct Slot {
    waker: Waker,
    answer: Option<Answer>,
}

thread_local! {
    static CALLS: RefCell<HashMap<u32, Slot>> = RefCell::new(HashMap::new());
    static NEXT_CALL: Cell<u32> = const { Cell::new(1) };
}

/// Hands `answer` to the future waiting on `call_id`; `false` when no future
/// waits (unknown id, already answered, or the operation was released).
pub fn answer(call_id: u32, answer: Answer) -> bool {
    let waker = CALLS.with_borrow_mut(|calls| match calls.get_mut(&call_id) {
        Some(slot) if slot.answer.is_none() => {
            slot.answer = Some(answer);
            Some(slot.waker.clone())
        }
        _ => None,
    });
    // Woken outside the borrow: a waker is free to look at the table.
    match waker {
        Some(waker) => {
            waker.wake();
            true
        }
        None => false,
    }
}

/// How many calls wait for the host (for the tests and `pending_calls`).
pub fn pending_calls() -> usize {
    CALLS.with_borrow(HashMap::len)
}

fn next_call_id() -> u32 {
    NEXT_CALL.with(|next| {
        let id = next.get();
        // 0 is never an id, so the host can use it as "none".
        next.set(id.checked_add(1).unwrap_or(1));
        id
    })
}

enum Ask {
    Send(Vec<u8>),
    Sleep(u32),
}

/// One call to the host, made on first poll.
struct HostCall {
    ask: Option<Ask>,
    id: Option<u32>,
}

impl HostCall {
    fn new(ask: Ask) -> Self {
        Self {
            ask: Some(ask),
            id: None,
        }
    }
}

impl Future for HostCall {
    type Output = Answer;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Answer> {
        let this = self.get_mut();
        if let Some(ask) = this.ask.take() {
            let id = next_call_id();
            CALLS.with_borrow_mut(|calls| {
                calls.insert(
                    id,
                    Slot {
                        waker: cx.waker().clone(),
                        answer: None,
                    },
                )
            });
            this.id = Some(id);
            match ask {
                // SAFETY: `bytes` is alive for the whole call and the host
                // copies it before returning; the host does not call back
                // into the module from inside an import.
                Ask::Send(bytes) => unsafe { imports::host_send(bytes.as_ptr(), bytes.len(), id) },
                // SAFETY: plain integers.
                Ask::Sleep(millis) => unsafe { imports::host_sleep(millis, id) },
            }
            return Poll::Pending;
        }
        let Some(id) = this.id else {
            // Polled after it finished: a bug in the executor, not the host.
            return Poll::Ready(Answer::Failed {
                flags: 0,
                message: "host call polled after completion".to_owned(),
            });
        };
        CALLS.with_borrow_mut(|calls| {
            let Some(slot) = calls.get_mut(&id) else {
                return Poll::Ready(Answer::Failed {
                    flags: 0,
                    message: "host call vanished".to_owned(),
                });
            };
            match slot.answer.take() {
                Some(answer) => {
                    calls.remove(&id);
                    this.id = None;
                    Poll::Ready(answer)
                }
                None => {
                    slot.waker.clone_from(cx.waker());
                    Poll::Pending
                }
            }
        })
    }
}

impl Drop for HostCall {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            CALLS.with_borrow_mut(|calls| calls.remove(&id));
        }
    }
}

/// [`HttpTransport`] over the host's `host_send`.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostTransport;

impl HttpTransport for HostTransport {
    type Error = GenericTransportError;

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, GenericTransportError> {
        match HostCall::new(Ask::Send(wire::encode_request(&request))).await {
            Answer::Response(Ok(response)) => Ok(response),
            Answer::Response(Err(problem)) => Err(GenericTransportError::new(format!(
                "the host passed a malformed response: {problem}"
            ))),
            Answer::Failed { flags, message } => {
                let mut error = GenericTransportError::new(message);
                if flags & 1 != 0 {
                    error = error.not_sent();
                }
                if flags & 2 != 0 {
                    error = error.timeout();
                }
                Err(error)
            }
            Answer::Fired => Err(GenericTransportError::new(
                "the host answered an HTTP request with a timer event",
            )),
        }
    }
}

/// [`Timer`] over the host's `host_sleep`, so the client can retry.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostTimer;

impl Timer for HostTimer {
    async fn sleep(&self, duration: Duration) {
        let millis = u32::try_from(duration.as_millis()).unwrap_or(u32::MAX);
        // Whatever the host answers, the wait is over.
        let _ = HostCall::new(Ask::Sleep(millis)).await;
    }
}
