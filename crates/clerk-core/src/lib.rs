//! clerk-core (work in progress)
#![deny(missing_docs)]
mod timer;
mod transport;
pub use timer::*;
pub use transport::*;
pub use bytes;
pub use http;
