//! End-to-end tests of the transport against servers on 127.0.0.1.
//!
//! Every test uses short timeouts and only loopback addresses.

mod custom;
#[cfg(feature = "tokio")]
mod plain;
#[cfg(feature = "webpki-roots")]
mod proxy;
mod support;
#[cfg(feature = "webpki-roots")]
mod tls;
#[cfg(feature = "webpki-roots")]
mod trust;
