//! End-to-end tests of the `clerk-sign-in-tokens` binary: it is spawned as a
//! process against a clerk-mock or a raw TCP server on loopback.

mod corporate;
mod exit_codes;
mod mock_server;
mod secrets;
mod success;
mod support;
mod verbose;
