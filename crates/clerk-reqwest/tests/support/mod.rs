//! What the reqwest test suites share: how the hostile-server table reads
//! clerk-reqwest's transport error.

use clerk_test_support::hostile::outcome::{self, Outcome};

/// What the table calls a `clerk_reqwest::Error`.
pub fn transport_outcome(error: &clerk_reqwest::Error) -> Outcome {
    use clerk_reqwest::Error as R;
    match error {
        R::Timeout { .. } => Outcome::Timeout,
        R::BodyTooLarge { .. } => Outcome::BodyTooLarge,
        R::Protocol { .. } => Outcome::Protocol,
        R::Io { .. } => Outcome::Io,
        R::Connect { .. } => Outcome::Connect,
        tls @ R::Tls { .. } => Outcome::Tls(outcome::cert_problem(tls)),
        other => Outcome::Other(other.to_string()),
    }
}
