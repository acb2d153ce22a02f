//! The workspace's root package: it publishes nothing and holds the
//! top-level `examples/` and `tests/`, which use the crates under `crates/`
//! together (clerk-core, clerk-hyper, clerk-mock and the CLI).
//!
//! Start with `cargo run --example quickstart`.
#![deny(missing_docs)]
