//! clerk-hyper transports and clients with short deadlines, for the
//! end-to-end suites (feature `hyper`).

use std::time::Duration;

use clerk_core::Client;
use clerk_hyper::{HyperTransport, TokioTimer};

use crate::e2e::{key, quick_retries};

/// A transport builder with short deadlines, so that a broken test fails in
/// seconds.
pub fn fast_transport() -> clerk_hyper::Builder {
    HyperTransport::builder()
        .request_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(2))
}

/// The async client over `transport`, sending [`crate::e2e::KEY`] to
/// `base_url` and retrying quickly on the tokio timer.
pub fn client(base_url: &str, transport: HyperTransport) -> Client<HyperTransport, TokioTimer> {
    Client::builder(key())
        .base_url(base_url)
        .retry_policy(quick_retries())
        .timer(TokioTimer)
        .build(transport)
        .expect("client")
}
