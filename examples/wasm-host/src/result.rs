//! The JSON an operation finishes with.
//!
//! - `{"ok": {token}}` on success. The token and its url are exposed here on
//!   purpose: handing them to the host is the point of the call.
//! - `{"err": {...}}` on failure, read from the typed [`clerk_core::Error`]:
//!   `kind`, `status`, `codes`, `trace_id`, `message`, `retryable`, and for
//!   Clerk's own errors the `errors` list.

use clerk_core::{Error, GenericTransportError, SignInToken};
use serde_json::{Map, Value, json};

/// The result of a create or revoke.
pub fn outcome(result: Result<SignInToken, Error<GenericTransportError>>) -> Value {
    match result {
        Ok(token) => json!({ "ok": token_json(&token) }),
        Err(error) => json!({ "err": error_json(&error) }),
    }
}

fn token_json(token: &SignInToken) -> Value {
    json!({
        "object": token.object,
        "id": token.id,
        "status": token.status.as_str(),
        "user_id": token.user_id,
        "token": token.token.as_ref().map(|s| s.expose_secret()),
        "url": token.url.as_ref().map(|s| s.expose_secret()),
        "created_at": token.created_at.as_millis(),
        "updated_at": token.updated_at.as_millis(),
    })
}

fn error_json(error: &Error<GenericTransportError>) -> Value {
    let kind = match error {
        Error::Api(_) => "api",
        Error::UnexpectedResponse(_) => "unexpected_response",
        Error::Decode(_) => "decode",
        Error::Transport(_) => "transport",
        Error::InvalidInput(_) => "invalid_input",
        _ => "other",
    };
    let mut out = Map::new();
    out.insert("kind".into(), kind.into());
    out.insert("status".into(), error.status().map(|s| s.as_u16()).into());
    out.insert(
        "codes".into(),
        error.codes().map(Value::from).collect::<Vec<_>>().into(),
    );
    out.insert("trace_id".into(), error.clerk_trace_id().into());
    out.insert("message".into(), error.to_string().into());
    out.insert("retryable".into(), error.is_retryable().into());
    if let Some(api) = error.as_api_error() {
        let errors = api
            .errors()
            .iter()
            .map(|e| {
                json!({
                    "code": e.code,
                    "message": e.message,
                    "long_message": e.long_message,
                })
            })
            .collect::<Vec<_>>();
        out.insert("errors".into(), errors.into());
    }
    match error {
        Error::Transport(t) => {
            out.insert("not_sent".into(), t.request_not_sent().into());
            out.insert("timeout".into(), t.is_timeout().into());
        }
        Error::InvalidInput(e) => {
            out.insert("field".into(), e.field().into());
        }
        _ => {}
    }
    Value::Object(out)
}

/// A failure of the module's own (bad JSON, no client yet), not of clerk-core.
pub fn host_error(kind: &str, message: &str) -> Value {
    json!({ "err": {
        "kind": kind,
        "status": null,
        "codes": [],
        "trace_id": null,
        "message": message,
        "retryable": false,
    }})
}
