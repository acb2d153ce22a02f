//! What the reqwest test suites share: how the hostile-server table reads
//! clerk-reqwest's transport error (clerk-core's `SendError`, as every
//! adapter's).

use clerk_test_support::hostile::outcome::{self, Outcome};

/// What the table calls a `clerk_reqwest::Error`.
pub fn transport_outcome(error: &clerk_reqwest::Error) -> Outcome {
    outcome::of_send_error(error)
}
