//! # clerk-wasi
//!
//! Clerk sign-in tokens from a WebAssembly component: a transport for
//! clerk-core over `wasi:http/outgoing-handler`, for WASI 0.2 hosts such as
//! wasmtime, jco (Node), Spin and wasmCloud. Build with
//! `--target wasm32-wasip2`; on any other target this crate is empty.
//!
//! ```no_run
//! # #[cfg(all(target_os = "wasi", target_env = "p2"))]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Inside a wasi:cli command, a wasi:http handler, or any exported function.
//! let client = clerk_wasi::blocking_client(clerk_core::SecretKey::from_env()?)?;
//! let token = client.create_sign_in_token(&clerk_core::CreateSignInTokenRequest::new("user_1"))?;
//! client.revoke_sign_in_token(&token.id)?;
//! # Ok(())
//! # }
//! # #[cfg(not(all(target_os = "wasi", target_env = "p2")))]
//! # fn main() {}
//! ```
//!
//! ## What it owns
//!
//! - `WasiTransport`, a clerk-core `BlockingHttpTransport`. It turns the
//!   `http::Request` clerk-core built into a `wasi:http` `outgoing-request`
//!   (refusing `http://` to anything but loopback unless told otherwise),
//!   hands it to the host, waits on the host's pollables against its own
//!   deadline on `wasi:clocks/monotonic-clock`, reads the body up to a cap,
//!   and maps the host's `wasi:http` error codes onto clerk-core's
//!   `TransportErrorKind`s (whose table says what each means for a retry):
//!   *not sent* only for codes that say so (DNS, refused or unreachable
//!   destination, connect timeout, TLS handshake), *timeout* for the timeout
//!   codes and its own deadline. Its errors are clerk-core's `SendError`
//!   (re-exported as `Error`, every adapter's error type), with the code as
//!   their source (`HostError`). The limits, the cleartext rule and the body
//!   cap are [clerk-core's transport
//!   contract](clerk_core#the-transport-contract), written once there and
//!   run by the workspace's conformance suite inside wasmtime.
//! - `WasiTimer`, a `BlockingTimer` on the monotonic clock, so retries back
//!   off and honour `Retry-After` inside the component; it is the client's
//!   clock and (through `wasi:random`) its entropy too.
//! - `blocking_client` and `blocking_client_with`: the one-line setup with the
//!   timer, the default retry policy, a 10 s deadline per attempt, a 1 MiB
//!   body cap and the 30 s whole-call deadline in place.
//!
//! The host owns the rest: DNS, connections, TLS and its roots, HTTP versions,
//! and which destinations the component may reach at all.
//!
//! ## Why a separate crate
//!
//! clerk-core is sans-IO and builds for every target; clerk-hyper needs
//! sockets and tokio, which a WASI 0.2 component does not have. This crate is
//! the only one that depends on the `wasi` bindings (pinned to
//! `0.14.7+wasi-0.2.4`, so the component imports
//! `wasi:http/outgoing-handler@0.2.4`), and it compiles to nothing elsewhere,
//! so a workspace that builds for several targets can depend on it
//! unconditionally.
//!
//! ## Why blocking only
//!
//! A `wasi:io` pollable can be waited on, but it cannot wake a Rust `Waker`:
//! an async transport needs a reactor that polls every pending pollable in one
//! `poll` call and wakes the matching tasks. The bindings do not include one,
//! and choosing one (`wstd`, a host's SDK) is the application's decision. A
//! component gets one thread, and most run one request at a time, so the
//! blocking client over `WasiTransport` is the whole story for them. With a
//! reactor in hand, implement clerk-core's `HttpTransport` over it and reuse
//! `host_error` from here.
//!
//! ## Proven inside real hosts
//!
//! `crates/clerk-wasi/tests/run-hosts.sh` builds the `host_check` example as a
//! `wasi:cli` command and runs it against `clerk-sign-in-tokens mock-server`
//! on loopback inside wasmtime (through the `wasmtime` Python package, with
//! `wasi:http` linked) and inside Node 20 after transpiling it with jco. It
//! creates and revokes tokens, checks the typed 400, 401 and 404 errors, and
//! retries over a 503 and a 429 with `Retry-After`; the drivers then check the
//! mock's state. CI runs it.
//!
//! ## Secrets
//!
//! The secret key travels in the `Authorization` header and nowhere else; no
//! error or `Debug` output quotes a header, the URL or a body byte. Text a
//! host attaches to an error code stays out of `Display` and `Debug`.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod policy;

#[cfg(all(target_os = "wasi", target_env = "p2"))]
mod error;
#[cfg(all(target_os = "wasi", target_env = "p2"))]
mod timer;
#[cfg(all(target_os = "wasi", target_env = "p2"))]
mod transport;

#[cfg(all(target_os = "wasi", target_env = "p2"))]
pub use clerk_core::SendError as Error;
#[cfg(all(target_os = "wasi", target_env = "p2"))]
pub use error::{HostError, host_error};
#[cfg(all(target_os = "wasi", target_env = "p2"))]
pub use timer::WasiTimer;
#[cfg(all(target_os = "wasi", target_env = "p2"))]
pub use transport::{Builder, WasiTransport};
/// The `wasi` bindings this crate is built on (`0.14.7+wasi-0.2.4`), for
/// [`HostError::code`] and for components that use more of WASI.
#[cfg(all(target_os = "wasi", target_env = "p2"))]
pub use wasi;

pub use clerk_core;

/// The blocking client this crate sets up: [`WasiTransport`] with
/// [`WasiTimer`].
#[cfg(all(target_os = "wasi", target_env = "p2"))]
pub type WasiClient = clerk_core::BlockingClient<WasiTransport, WasiTimer>;

/// A blocking client for `api.clerk.com` with every protection in place: the
/// default retry policy paced (and its jitter seeded) by [`WasiTimer`], a
/// 10 s deadline per attempt, a 1 MiB body cap ([`WasiTransport::new`]), and
/// the 30 s whole-call deadline ([`clerk_core::DEFAULT_CALL_TIMEOUT`]).
///
/// ```
/// let client = clerk_wasi::blocking_client(clerk_core::SecretKey::new("sk_test_x")?)?;
/// assert_eq!(client.retry_policy().max_retries(), 2);
/// assert_eq!(client.call_timeout(), Some(clerk_core::DEFAULT_CALL_TIMEOUT));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(all(target_os = "wasi", target_env = "p2"))]
pub fn blocking_client(
    secret_key: clerk_core::SecretKey,
) -> Result<WasiClient, clerk_core::BuildError> {
    blocking_client_with(clerk_core::Client::builder(secret_key))
}

/// The same as [`blocking_client`] with your settings (base URL, API
/// version, retry policy) from a clerk-core builder.
///
/// ```
/// let builder = clerk_core::Client::builder(clerk_core::SecretKey::new("sk_test_x")?)
///     .base_url("http://127.0.0.1:4010/v1");
/// let client = clerk_wasi::blocking_client_with(builder)?;
/// assert_eq!(client.config().base_url(), "http://127.0.0.1:4010/v1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(all(target_os = "wasi", target_env = "p2"))]
pub fn blocking_client_with<S>(
    builder: clerk_core::ClientBuilder<S>,
) -> Result<WasiClient, clerk_core::BuildError> {
    Ok(builder
        .build_blocking(WasiTransport::new())?
        .with_timer(WasiTimer))
}

/// The README's example, compiled as a doctest where it can be: for
/// `wasm32-wasip2` (`cargo test --doc --target wasm32-wasip2`, which CI runs).
#[cfg(all(doctest, target_os = "wasi", target_env = "p2"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
