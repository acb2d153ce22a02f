//! A reporter that prints an error and then walks `source()` must print every
//! message once: no error repeats its cause in its own message.

mod common;

use std::error::Error as StdError;

use clerk_core::test_util::{MockTransport, MockTransportError};
use clerk_core::{
    Client, InvalidInput, SecretKey, SendError, TransportErrorKind, TransportFailure,
};
use common::*;

/// The messages of `err` and its sources, outermost first.
fn chain(err: &(dyn StdError + 'static)) -> Vec<String> {
    let mut messages = vec![err.to_string()];
    let mut next = err.source();
    while let Some(e) = next {
        messages.push(e.to_string());
        next = e.source();
    }
    messages
}

/// Checks that every message of the chain occurs exactly once in the report
/// `a: b: c`, and returns the chain's length.
fn each_once(what: &str, err: &(dyn StdError + 'static)) -> usize {
    let messages = chain(err);
    let report = messages.join(": ");
    for m in &messages {
        assert!(!m.is_empty(), "{what}: empty message in {report:?}");
        assert_eq!(
            report.matches(m.as_str()).count(),
            1,
            "{what}: {m:?} appears more than once in {report:?}"
        );
    }
    messages.len()
}

fn blocking_error(reply: impl FnOnce(&MockTransport)) -> clerk_core::Error<MockTransportError> {
    let transport = MockTransport::new();
    reply(&transport);
    Client::builder(key())
        .retry_policy(clerk_core::RetryPolicy::never())
        .build_blocking(&transport)
        .unwrap()
        .revoke_sign_in_token("sit_1")
        .unwrap_err()
}

#[test]
fn every_error_kind_prints_each_message_once() {
    let io = std::io::Error::other("socket closed by peer");
    let generic = SendError::new(TransportErrorKind::Io, "send failed").with_source(io);
    assert_eq!(each_once("generic transport error", &generic), 2);

    let failure = TransportFailure::new(SendError::new(
        TransportErrorKind::Connect,
        "dns lookup failed",
    ));
    assert_eq!(each_once("transport failure", &failure), 2);

    let sent = TransportFailure::new(generic);
    assert_eq!(each_once("transport failure with a cause", &sent), 3);

    // Through the client, every variant of `Error`.
    let transport = blocking_error(|t| {
        t.push_error(MockTransportError::ConnectionReset);
    });
    assert!(matches!(transport, clerk_core::Error::Transport(_)));
    assert_eq!(each_once("Error::Transport", &transport), 2);

    let api = blocking_error(|t| {
        t.push_json(
            404,
            r#"{"errors":[{"message":"not found","long_message":"Resource not found","code":"resource_not_found"}],"clerk_trace_id":"t1"}"#,
        );
    });
    assert!(matches!(api, clerk_core::Error::Api(_)));
    assert_eq!(each_once("Error::Api", &api), 1);

    let unexpected = blocking_error(|t| {
        t.push_response(
            http::Response::builder()
                .status(502)
                .header("content-type", "text/html")
                .body(bytes::Bytes::from_static(b"<html>bad gateway</html>"))
                .unwrap(),
        );
    });
    assert!(matches!(
        unexpected,
        clerk_core::Error::UnexpectedResponse(_)
    ));
    assert_eq!(each_once("Error::UnexpectedResponse", &unexpected), 1);

    let decode = blocking_error(|t| {
        t.push_json(200, r#"{"object":"sign_in_token"}"#);
    });
    assert!(matches!(decode, clerk_core::Error::Decode(_)));
    assert_eq!(each_once("Error::Decode", &decode), 1);

    let invalid: clerk_core::Error = InvalidInput::new("user_id", "must not be empty").into();
    assert_eq!(each_once("Error::InvalidInput", &invalid), 1);

    let key = SecretKey::new("sk_test_ x").unwrap_err();
    assert_eq!(each_once("SecretKeyError", &key), 1);
}
