//! Awaiting a JavaScript promise (wasm32-unknown-unknown only) with one
//! function for the whole module instead of two closures per promise.
//!
//! `wasm_bindgen_futures::JsFuture` makes a `resolve` and a `reject` closure
//! for every promise it awaits, registers both for finalization and drops
//! them again: per request, the larger part of what awaiting costs. Here a
//! promise is handed to a small JavaScript class ([`Settle`]) with a slot
//! number and the one `wake` function of this module instance; when the
//! promise settles, the class keeps the outcome and calls `wake(slot)`, which
//! wakes the task waiting on that slot. The exchange (`js.rs`) takes a
//! [`Slot`] and the `wake` function itself and calls `wake(slot)` when its
//! answer is in, so a request awaits no promise at all.

use std::cell::RefCell;
use std::task::{Poll, Waker};

use js_sys::{Function, Promise};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export class ClerkFetchSettle {
  constructor(promise, wake, slot) {
    this.state = 0;
    this.value = undefined;
    promise.then(
      (value) => {
        this.value = value;
        this.state = 1;
        wake(slot);
      },
      (error) => {
        this.value = error;
        this.state = 2;
        wake(slot);
      },
    );
  }
}
"#)]
extern "C" {
    /// A promise being watched: `state` 0 while pending, 1 fulfilled, 2
    /// rejected, with the outcome in `value`.
    #[wasm_bindgen(js_name = ClerkFetchSettle)]
    type Settle;

    #[wasm_bindgen(constructor, js_class = ClerkFetchSettle)]
    fn new(promise: &Promise, wake: &Function, slot: u32) -> Settle;

    #[wasm_bindgen(method, getter)]
    fn state(this: &Settle) -> u8;

    #[wasm_bindgen(method, getter)]
    fn value(this: &Settle) -> JsValue;
}

/// The wakers of the promises being awaited, one slot each, and the free
/// slots.
#[derive(Default)]
struct Slots {
    wakers: Vec<Option<Waker>>,
    free: Vec<u32>,
}

thread_local! {
    static SLOTS: RefCell<Slots> = RefCell::new(Slots::default());
    /// `wake(slot)`: made once per module instance, and kept for its life.
    static WAKE: Function = Closure::<dyn Fn(u32)>::new(|slot: u32| {
        let waker = SLOTS.with(|s| s.borrow_mut().wakers.get_mut(slot as usize).and_then(Option::take));
        if let Some(waker) = waker {
            waker.wake();
        }
    })
    .into_js_value()
    .unchecked_into();
}

/// A slot held while something is awaited; given back when dropped (the
/// await finished, or its future was dropped). Something that finishes
/// after its slot was given back and taken again wakes the new holder at
/// worst, which polls, finds its own wait unfinished and waits on.
pub(crate) struct Slot(u32);

impl Slot {
    pub(crate) fn take() -> Self {
        Self(SLOTS.with(|s| {
            let mut s = s.borrow_mut();
            s.free.pop().unwrap_or_else(|| {
                s.wakers.push(None);
                u32::try_from(s.wakers.len() - 1).unwrap_or(u32::MAX)
            })
        }))
    }

    /// The number JavaScript calls `wake` with.
    pub(crate) fn number(&self) -> u32 {
        self.0
    }

    /// Calls `f` with this module instance's `wake` function.
    pub(crate) fn with_wake<R>(f: impl FnOnce(&Function) -> R) -> R {
        WAKE.with(f)
    }

    /// Waits until `ready` answers `Some`: `ready` is asked now, and again
    /// each time JavaScript calls `wake` with this slot.
    pub(crate) async fn until<T>(&self, mut ready: impl FnMut() -> Option<T>) -> T {
        std::future::poll_fn(|cx| match ready() {
            Some(out) => Poll::Ready(out),
            None => {
                SLOTS.with(|s| {
                    if let Some(waker) = s.borrow_mut().wakers.get_mut(self.0 as usize) {
                        *waker = Some(cx.waker().clone());
                    }
                });
                Poll::Pending
            }
        })
        .await
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        SLOTS.with(|s| {
            let mut s = s.borrow_mut();
            if let Some(waker) = s.wakers.get_mut(self.0 as usize) {
                *waker = None;
                s.free.push(self.0);
            }
        });
    }
}

/// What `promise` fulfils with, or (`Err`) what it rejects with.
pub(crate) async fn settle(promise: &Promise) -> Result<JsValue, JsValue> {
    let slot = Slot::take();
    let watched = Slot::with_wake(|wake| Settle::new(promise, wake, slot.number()));
    slot.until(|| match watched.state() {
        0 => None,
        1 => Some(Ok(watched.value())),
        _ => Some(Err(watched.value())),
    })
    .await
}
