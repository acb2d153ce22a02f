//! Test code shared between the workspace's test suites. Not published: it
//! exists so that the suites share one copy of their servers and sentinels
//! instead of including each other's files.
//!
//! - [`conformance`]: the transport contract's case table, its servers,
//!   judge and matrix, run by every transport;
//! - [`hostile`]: servers on loopback that misbehave on purpose, and the
//!   table of cases every client (async over hyper, blocking, the CLI,
//!   reqwest) is judged by;
//! - [`loopback`]: small tokio servers for transport tests (raw bytes,
//!   canned answers);
//! - [`proxy`]: a recording `CONNECT`/forward proxy, and a TLS front for a
//!   plain server;
//! - [`certs`]: a test CA and the leaves it signs, made at test time;
//! - [`sentinel`]: the secret key, token and url values that must only show
//!   up where they belong;
//! - [`raw_http`]: a minimal HTTP/1.1 client that sends exactly the bytes a
//!   test asks for;
//! - [`cli`]: running the `clerk-sign-in-tokens` binary with a deadline;
//! - [`e2e`]: the end-to-end suites' key, deadlines and secret checks;
//! - `hyper` (feature `hyper`): clerk-hyper transports and clients with
//!   short deadlines.
//!
//! Every server binds 127.0.0.1 on a port the system picks, and every wait
//! is bounded.

pub mod certs;
pub mod cli;
pub mod conformance;
pub mod e2e;
pub mod hostile;
#[cfg(feature = "hyper")]
pub mod hyper;
pub mod log_capture;
pub mod loopback;
pub mod proxy;
pub mod raw_http;
pub mod sentinel;
