//! The transport contract's conformance suite: one table of cases
//! (`conformance/cases.json`), the servers they run against, one judge, and
//! the matrix (case × transport) that `scripts/conformance.sh` prints.
//!
//! Every transport runs the same table: the Rust ones in
//! `tests/conformance.rs` (clerk-hyper pooled and on smol, clerk-reqwest
//! async and blocking), clerk-fetch inside Node, Deno and Bun
//! (`crates/clerk-fetch/tests/hosts/conformance.mjs`), clerk-wasi inside
//! wasmtime (`crates/clerk-wasi/tests/hosts/conformance.py`). The runners
//! outside this process meet the servers through `conformance serve`.

pub mod cases;
pub mod judge;
pub mod matrix;
pub mod server;

pub use cases::{Case, Expect, REVOKE_ID, Settings, Table};
pub use judge::{Cell, Observation, cell, judge};
pub use server::{Servers, Stats};
