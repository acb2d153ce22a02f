//! A counting global allocator.
//!
//! A binary that wants counts registers it:
//!
//! ```text
//! #[global_allocator]
//! static ALLOC: clerk_bench::alloc_count::CountingAlloc = clerk_bench::alloc_count::CountingAlloc;
//! ```
//!
//! and wraps the work in [`measure`]. Counts are kept per thread, so other
//! threads (a test harness, a runtime's workers) do not disturb them. Counting
//! is deterministic: the same code with the same inputs gives the same counts
//! on every run, which is why a test may assert them.

// A global allocator cannot be written without `unsafe`: it forwards every
// call to the system allocator unchanged and only bumps thread-local counters.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting the calls made on each thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAlloc;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static REALLOCS: Cell<u64> = const { Cell::new(0) };
    static BYTES: Cell<u64> = const { Cell::new(0) };
}

fn bump(counter: &'static std::thread::LocalKey<Cell<u64>>, by: u64) {
    // `try_with`: a thread being torn down may still allocate.
    let _ = counter.try_with(|c| c.set(c.get().wrapping_add(by)));
}

// SAFETY: every method forwards to `System` with the caller's arguments, so
// `System`'s guarantees are passed through unchanged; the counters are
// `const`-initialised thread-locals without destructors, which never allocate.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS, 1);
        bump(&BYTES, layout.size() as u64);
        // SAFETY: forwarded as is; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS, 1);
        bump(&BYTES, layout.size() as u64);
        // SAFETY: forwarded as is; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is; the caller upholds `dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump(&REALLOCS, 1);
        bump(&BYTES, new_size.saturating_sub(layout.size()) as u64);
        // SAFETY: forwarded as is; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// What one piece of work asked of the allocator, on the calling thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Calls to `alloc` and `alloc_zeroed`.
    pub allocs: u64,
    /// Calls to `realloc` (a grown or shrunk buffer).
    pub reallocs: u64,
    /// Bytes asked for (new blocks, plus growth by `realloc`).
    pub bytes: u64,
}

impl Counts {
    /// Fresh blocks and reallocations together: what "allocations per
    /// operation" means in this crate.
    pub fn total(&self) -> u64 {
        self.allocs + self.reallocs
    }
}

/// The calling thread's counts so far (since it started). Subtract two
/// snapshots to count what happened in between, for work that [`measure`]
/// cannot wrap (an `async` block driven by a runtime on this thread).
pub fn snapshot() -> Counts {
    Counts {
        allocs: ALLOCS.with(Cell::get),
        reallocs: REALLOCS.with(Cell::get),
        bytes: BYTES.with(Cell::get),
    }
}

impl std::ops::Sub for Counts {
    type Output = Counts;
    fn sub(self, earlier: Counts) -> Counts {
        Counts {
            allocs: self.allocs - earlier.allocs,
            reallocs: self.reallocs - earlier.reallocs,
            bytes: self.bytes - earlier.bytes,
        }
    }
}

/// Runs `work` `iterations` times on this thread and returns the counts per
/// iteration (rounded down), after one untimed, uncounted warm-up call that
/// lets lazy one-time set-up happen first. What `work` returns is dropped
/// inside the counted region; dropping never allocates.
///
/// Only meaningful in a binary whose global allocator is [`CountingAlloc`];
/// elsewhere every count is zero.
pub fn measure<R>(iterations: u64, mut work: impl FnMut() -> R) -> Counts {
    assert!(iterations > 0, "measure at least one iteration");
    drop(std::hint::black_box(work()));
    let before = snapshot();
    for _ in 0..iterations {
        drop(std::hint::black_box(work()));
    }
    let after = snapshot();
    Counts {
        allocs: (after.allocs - before.allocs) / iterations,
        reallocs: (after.reallocs - before.reallocs) / iterations,
        bytes: (after.bytes - before.bytes) / iterations,
    }
}

/// Whether this binary's global allocator is [`CountingAlloc`] (it checks
/// that a fresh `Box` is counted).
pub fn is_installed() -> bool {
    let before = snapshot();
    drop(std::hint::black_box(Box::new(7u64)));
    snapshot().allocs > before.allocs
}

/// Allocation counts of one sans-IO operation, clerk-core beside the
/// hand-written baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// `build create`, `build revoke`, `parse SignInToken` or `parse 422`.
    pub name: &'static str,
    /// clerk-core's counts per call.
    pub clerk_core: Counts,
    /// The baseline's counts per call.
    pub baseline: Counts,
}

/// The operation names, in the order [`measure_operations`] returns them.
pub const OPERATIONS: [&str; 4] = [
    "build create",
    "build revoke",
    "parse SignInToken",
    "parse 422",
];

/// Measures the four sans-IO operations (and their baselines) on the
/// fixtures, `iterations` calls each after one warm-up call.
pub fn measure_operations(iterations: u64) -> Vec<Operation> {
    use crate::{baseline, fixtures};
    use clerk_core::{request, response};
    use std::hint::black_box;

    let config = fixtures::config();
    let input = fixtures::create_input();
    let hand = baseline::HandBuilt::new(&config);
    let pending = fixtures::pending_response();
    let unprocessable = fixtures::form_param_missing_response();

    vec![
        Operation {
            name: OPERATIONS[0],
            clerk_core: measure(iterations, || {
                request::create_sign_in_token(black_box(&config), black_box(&input))
            }),
            baseline: measure(iterations, || hand.create(black_box(fixtures::USER_ID))),
        },
        Operation {
            name: OPERATIONS[1],
            clerk_core: measure(iterations, || {
                request::revoke_sign_in_token(black_box(&config), black_box(fixtures::TOKEN_ID))
            }),
            baseline: measure(iterations, || hand.revoke(black_box(fixtures::TOKEN_ID))),
        },
        Operation {
            name: OPERATIONS[2],
            clerk_core: measure(iterations, || response::sign_in_token(black_box(&pending))),
            baseline: measure(iterations, || {
                baseline::parse_token(black_box(pending.body()))
            }),
        },
        Operation {
            name: OPERATIONS[3],
            clerk_core: measure(iterations, || {
                response::sign_in_token(black_box(&unprocessable))
            }),
            baseline: measure(iterations, || {
                baseline::parse_errors(black_box(unprocessable.body()))
            }),
        },
    ]
}
