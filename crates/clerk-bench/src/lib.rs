//! # clerk-bench
//!
//! Shared pieces of the workspace's benchmarks (see `BENCHMARKS.md` at the
//! workspace root for how to run them and the latest figures):
//!
//! - [`fixtures`]: the spec's `pending` SignInToken and its 422
//!   `form_param_missing` error, as the server would send them.
//! - [`baseline`]: what a hand-written client would do instead of clerk-core
//!   (`#[derive(Deserialize)]` structs and an `http::Request` built by hand),
//!   measured beside clerk-core in the same run.
//! - [`alloc_count`]: a counting global allocator, for the allocation bench
//!   and test.
//! - [`server`]: a minimal hyper server that answers every request with one
//!   fixed body, and the `clerk-bench-server` process that hosts it (or
//!   clerk-mock) on its own core.
//! - [`load`]: the closed-loop load generator behind the end-to-end bench.
//! - [`pin`]: CPU pinning with `taskset`.

pub mod alloc_count;
pub mod baseline;
pub mod fixtures;
pub mod load;
pub mod pin;
pub mod server;
