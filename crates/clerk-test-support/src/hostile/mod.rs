//! Hostile servers on loopback, and the table of the ways they misbehave.
//!
//! The table drives every client the workspace ships:
//!
//! - `tests/hostile/main.rs` (root package): the async `Client` over
//!   `HyperTransport`, and the `BlockingClient` over a std-only transport;
//! - `crates/clerk-cli/tests/hostile_cli.rs`: the `clerk-sign-in-tokens`
//!   binary's exit codes;
//! - `crates/clerk-cli/tests/secret_hygiene.rs`: what the binary prints.
//!
//! Everything here is std threads and blocking sockets (plus rustls for the
//! TLS servers), so it runs the same under tokio tests and plain tests. Every
//! server binds `127.0.0.1:0`, every connection thread ends within a bounded
//! time, and dropping a [`server::Server`] stops it.

pub mod cases;
mod judge;
pub mod outcome;
pub mod server;

pub use judge::{Called, judge};
