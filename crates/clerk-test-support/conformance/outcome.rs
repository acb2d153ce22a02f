// What a call ended with, in the conformance table's words. Included with
// `#[path]` by the three runners (tests/conformance.rs, the clerk-fetch and
// clerk-wasi runner crates): the WebAssembly ones cannot depend on
// clerk-test-support, so the mapping is written once here and compiled
// into each.

/// `called` as the table says it: the outcome (`ok`, a transport error kind,
/// `call_timeout`, `api:STATUS`, `unexpected:STATUS`, `decode:STATUS`),
/// whether the error said the request was not sent, and everything the
/// error shows (its `Display` and `Debug`, and its causes').
pub fn outcome<T, E: std::error::Error + 'static>(
    called: &Result<T, clerk_core::Error<E>>,
) -> (String, Option<bool>, String) {
    let e = match called {
        Ok(_) => return ("ok".to_owned(), None, String::new()),
        Err(e) => e,
    };
    let outcome = match e {
        clerk_core::Error::Transport(t) => t.kind().as_str().to_owned(),
        clerk_core::Error::CallTimeout(_) => "call_timeout".to_owned(),
        clerk_core::Error::Api(a) => format!("api:{}", a.status().as_u16()),
        clerk_core::Error::UnexpectedResponse(u) => format!("unexpected:{}", u.status().as_u16()),
        clerk_core::Error::Decode(d) => format!("decode:{}", d.status().as_u16()),
        other => format!("other: {other}"),
    };
    let mut shown = String::new();
    for cause in clerk_core::error_chain(e) {
        shown.push_str(&format!("{cause} / {cause:?} / "));
    }
    (outcome, Some(e.is_request_not_sent()), shown)
}
