//! Never built: this package exists for its dependency tree (see
//! `../tests/tls_stack.rs`).
fn main() {}
