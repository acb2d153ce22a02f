//! The workspace's root package: it publishes nothing and holds the
//! top-level `examples/` and `tests/`, which use the crates under `crates/`
//! together (clerk-core, clerk-hyper, clerk-mock and the CLI).
//!
//! The README below is compiled and run as this crate's documentation tests,
//! so its examples cannot drift from the code.
#![deny(missing_docs)]
#![doc = ""]
#![doc = include_str!("../README.md")]
