//! Running a call for JavaScript: the promise is made on the JavaScript
//! side, and the call's future is polled at once and then each time it is
//! woken, in that same turn.
//!
//! `wasm_bindgen_futures::future_to_promise` makes a closure for the
//! promise's executor and a `resolve`/`reject` pair that cross into
//! WebAssembly, and queues a microtask each time the future is woken (one
//! more turn of the event loop and one more crossing before it is polled).
//! Here the promise's two functions stay in JavaScript, in a table the call
//! settles by number, and a wake (which always comes from a JavaScript
//! callback, such as clerk-fetch's when a fetch answers) polls the future
//! there and then.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
const resolves = [];
const rejects = [];
export function clerkPromise(id) {
  return new Promise((resolve, reject) => {
    resolves[id] = resolve;
    rejects[id] = reject;
  });
}
export function clerkSettle(id, ok, value) {
  const settle = ok ? resolves[id] : rejects[id];
  resolves[id] = undefined;
  rejects[id] = undefined;
  settle(value);
}
"#)]
extern "C" {
    /// A new promise, its `resolve` and `reject` kept under `id`.
    #[wasm_bindgen(js_name = clerkPromise)]
    fn promise(id: u32) -> js_sys::Promise;

    /// Resolves (`ok`) or rejects the promise kept under `id` with `value`.
    #[wasm_bindgen(js_name = clerkSettle)]
    fn settle(id: u32, ok: bool, value: JsValue);
}

type Job = Pin<Box<dyn Future<Output = ()>>>;

/// The calls under way, by number (a job is out of its place while it is
/// polled), the numbers free for the next call, the numbers woken and not
/// yet polled, and whether a poll is running (a wake then only queues).
#[derive(Default)]
struct Tasks {
    jobs: Vec<Option<(Job, Waker)>>,
    free: Vec<u32>,
    woken: Vec<u32>,
    running: bool,
}

thread_local! {
    static TASKS: RefCell<Tasks> = RefCell::new(Tasks::default());
}

/// The waker of call `0`.
struct TaskWaker(u32);

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        wake(self.0);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        wake(self.0);
    }
}

/// A promise for what `future` gives: resolved with its `Ok`, rejected with
/// its `Err`. The future is polled before this returns.
pub(crate) fn run(
    future: impl Future<Output = Result<JsValue, JsValue>> + 'static,
) -> js_sys::Promise {
    let id = TASKS.with(|t| {
        let mut t = t.borrow_mut();
        t.free.pop().unwrap_or_else(|| {
            t.jobs.push(None);
            u32::try_from(t.jobs.len() - 1).unwrap_or(u32::MAX)
        })
    });
    let promise = promise(id);
    let job: Job = Box::pin(async move {
        match future.await {
            Ok(value) => settle(id, true, value),
            Err(error) => settle(id, false, error),
        }
    });
    let waker = Waker::from(Arc::new(TaskWaker(id)));
    TASKS.with(|t| {
        if let Some(place) = t.borrow_mut().jobs.get_mut(id as usize) {
            *place = Some((job, waker));
        }
    });
    wake(id);
    promise
}

/// Polls call `id` now, and whatever it wakes, unless a poll is running
/// already (the wake came from inside it): then the running loop polls it
/// next.
fn wake(id: u32) {
    let start = TASKS.with(|t| {
        let mut t = t.borrow_mut();
        t.woken.push(id);
        !std::mem::replace(&mut t.running, true)
    });
    if !start {
        return;
    }
    loop {
        let next = TASKS.with(|t| {
            let mut t = t.borrow_mut();
            match t.woken.pop() {
                None => {
                    t.running = false;
                    None
                }
                Some(id) => Some((id, t.jobs.get_mut(id as usize).and_then(Option::take))),
            }
        });
        let Some((id, taken)) = next else {
            return;
        };
        // Already done (a late wake), or woken twice before its poll.
        let Some((mut job, waker)) = taken else {
            continue;
        };
        if job
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
        {
            TASKS.with(|t| {
                if let Some(place) = t.borrow_mut().jobs.get_mut(id as usize) {
                    *place = Some((job, waker));
                }
            });
        } else {
            // Dropped outside the borrow: dropping may call JavaScript.
            drop((job, waker));
            TASKS.with(|t| t.borrow_mut().free.push(id));
        }
    }
}
