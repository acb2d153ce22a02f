//! The admin interface under [`ADMIN_PREFIX`]: fault injection, the request
//! journal and reset, over HTTP for test suites in any language.
//!
//! | method and path | effect |
//! | --- | --- |
//! | `POST /__mock/faults` | arm faults (a JSON array of [`FaultSpec`], or one object) |
//! | `GET /__mock/faults` | the armed faults and the standing delay |
//! | `DELETE /__mock/faults` | disarm every fault and the standing delay |
//! | `GET /__mock/requests` | the journal of received API requests |
//! | `POST /__mock/reset` | faults, journal, counts, rate-limit windows and tokens back to empty |
//!
//! Admin requests are not journaled, counted, rate limited or subject to
//! faults. Answers are JSON; errors are Clerk-shaped.

use std::time::Duration;

use http::request::Parts;
use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{ApiError, ErrorItem};
use crate::faults::{Failure, Fault, Filter, Operation, PPM};
use crate::handler::{Inner, lock};

/// Every admin path starts with this.
pub(crate) const ADMIN_PREFIX: &str = "/__mock/";

/// Longest delay a fault may ask for: 10 minutes.
const MAX_DELAY_MS: u64 = 600_000;

/// One fault as `POST /__mock/faults` reads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultSpec {
    /// Answer with this status (400-599) and a Clerk-shaped error body
    /// instead of processing the request.
    status: Option<u16>,
    /// Replace the error's `code` (with `status`).
    code: Option<String>,
    /// Replace the error's `message` (with `status`).
    message: Option<String>,
    /// Replace the error's `long_message` (with `status`).
    long_message: Option<String>,
    /// Add `Retry-After: <seconds>` (with `status`).
    retry_after: Option<u64>,
    /// Delay the response by this many milliseconds.
    delay_ms: Option<u64>,
    /// Send the headers and half the body, then close the connection.
    #[serde(default)]
    drop: bool,
    /// Fire this many times, then disarm (default 1; without it, a `share`
    /// fires until disarmed).
    times: Option<u64>,
    /// Fire for this share (0 < share <= 1) of the matching requests, evenly
    /// spread: exactly floor(n * share) of the first n.
    share: Option<f64>,
    /// Only requests to this path (a trailing `*` makes it a prefix).
    path: Option<String>,
    /// Only this operation: `create`, `revoke` or `other`.
    operation: Option<OperationName>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum OperationName {
    Create,
    Revoke,
    Other,
}

impl FaultSpec {
    fn into_fault(self) -> Result<Fault, String> {
        if self.status.is_none() && self.delay_ms.is_none() && !self.drop {
            return Err("a fault needs at least one of `status`, `delay_ms` or `drop`".into());
        }
        let failure = match self.status {
            Some(status @ 400..=599) => {
                let mut failure = Failure::new(
                    StatusCode::from_u16(status).map_err(|e| format!("`status`: {e}"))?,
                );
                if let Some(code) = self.code {
                    failure = failure.with_code(code);
                }
                if self.message.is_some() || self.long_message.is_some() {
                    failure = failure.with_messages(
                        self.message.unwrap_or_default(),
                        self.long_message.unwrap_or_default(),
                    );
                }
                if let Some(secs) = self.retry_after {
                    failure = failure.with_retry_after(Duration::from_secs(secs));
                }
                Some(failure)
            }
            Some(other) => return Err(format!("`status` must be 400 to 599, not {other}")),
            None => {
                let needs_status = [
                    ("code", self.code.is_some()),
                    ("message", self.message.is_some()),
                    ("long_message", self.long_message.is_some()),
                    ("retry_after", self.retry_after.is_some()),
                ];
                if let Some((field, _)) = needs_status.iter().find(|(_, set)| *set) {
                    return Err(format!("`{field}` needs `status`"));
                }
                None
            }
        };
        let delay_ms = self.delay_ms.unwrap_or(0);
        if delay_ms > MAX_DELAY_MS {
            return Err(format!("`delay_ms` must be at most {MAX_DELAY_MS}"));
        }
        let share_ppm = match self.share {
            None => PPM,
            Some(share) if share > 0.0 && share <= 1.0 => {
                // Rounded to parts per million, at least one.
                ((share * PPM as f64).round() as u64).clamp(1, PPM)
            }
            Some(share) => {
                return Err(format!(
                    "`share` must be above 0 and at most 1, not {share}"
                ));
            }
        };
        let remaining = match (self.times, self.share) {
            (Some(0), _) => return Err("`times` must be at least 1".into()),
            (Some(n), _) => Some(n),
            (None, Some(_)) => None,
            (None, None) => Some(1),
        };
        if let Some(path) = &self.path {
            if !path.starts_with('/') {
                return Err(format!("`path` must start with `/`, not {path:?}"));
            }
        }
        Ok(Fault {
            filter: Filter {
                path: self.path,
                operation: self.operation.map(|op| match op {
                    OperationName::Create => Operation::Create,
                    OperationName::Revoke => Operation::Revoke,
                    OperationName::Other => Operation::Other,
                }),
            },
            failure,
            delay: Duration::from_millis(delay_ms),
            drop_connection: self.drop,
            remaining,
            share_ppm,
            ..Fault::next(0)
        })
    }
}

/// An armed fault as `GET /__mock/faults` shows it.
#[derive(Serialize)]
struct FaultView<'a> {
    status: Option<u16>,
    code: Option<&'a str>,
    retry_after: Option<u64>,
    delay_ms: u128,
    drop: bool,
    /// Firings left; `null`: until disarmed.
    remaining: Option<u64>,
    share: f64,
    path: Option<&'a str>,
    operation: Option<&'static str>,
    matched: u64,
    fired: u64,
}

impl<'a> FaultView<'a> {
    fn new(f: &'a Fault) -> Self {
        Self {
            status: f.failure.as_ref().map(|x| x.status().as_u16()),
            code: f.failure.as_ref().and_then(Failure::code_override),
            retry_after: f.failure.as_ref().and_then(Failure::retry_after_secs),
            delay_ms: f.delay.as_millis(),
            drop: f.drop_connection,
            remaining: f.remaining,
            share: f.share_ppm as f64 / PPM as f64,
            path: f.filter.path.as_deref(),
            operation: f.filter.operation.map(Operation::as_str),
            matched: f.matched,
            fired: f.fired,
        }
    }
}

fn admin_error(status: StatusCode, code: &'static str, long_message: String) -> ApiError {
    ApiError::single(
        status,
        ErrorItem::new(code, "mock admin request failed", long_message),
    )
}

fn method_not_allowed(method: &Method, allow: &'static str) -> ApiError {
    ApiError {
        allow: Some(allow),
        ..admin_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("The {method} method is not allowed here. Use {allow}."),
        )
    }
}

/// Parses a fault list (or one fault) and arms every fault, or none.
fn arm(inner: &Inner, body: &[u8]) -> Result<Value, ApiError> {
    let invalid = |msg: String| admin_error(StatusCode::BAD_REQUEST, "request_body_invalid", msg);
    let value: Value =
        serde_json::from_slice(body).map_err(|e| invalid(format!("The body is not JSON: {e}")))?;
    let specs = match value {
        Value::Array(items) => items,
        object @ Value::Object(_) => vec![object],
        _ => {
            return Err(invalid(
                "The body must be a JSON array of faults or one fault object".into(),
            ));
        }
    };
    let mut faults = Vec::with_capacity(specs.len());
    for (index, spec) in specs.into_iter().enumerate() {
        let fault = serde_json::from_value::<FaultSpec>(spec)
            .map_err(|e| e.to_string())
            .and_then(FaultSpec::into_fault)
            .map_err(|e| {
                admin_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "fault_invalid",
                    format!("fault {index}: {e}"),
                )
            })?;
        faults.push(fault);
    }
    let count = faults.len();
    let mut armed = lock(&inner.faults);
    for fault in faults {
        armed.arm(fault);
    }
    Ok(json!({ "armed": count, "total": armed.armed.len() }))
}

fn list_faults(inner: &Inner) -> Value {
    let faults = lock(&inner.faults);
    let views: Vec<FaultView<'_>> = faults.armed.iter().map(FaultView::new).collect();
    json!({ "delay_ms": faults.delay.as_millis(), "faults": views })
}

fn list_requests(inner: &Inner) -> Value {
    let journal = lock(&inner.journal);
    let entries: Vec<_> = journal.entries().collect();
    json!({ "requests": entries, "dropped": journal.dropped })
}

fn reset(inner: &Inner) -> Value {
    lock(&inner.faults).clear();
    lock(&inner.journal).clear();
    lock(&inner.limiter).reset();
    lock(&inner.store).clear();
    inner.counts.reset();
    json!({ "reset": true })
}

/// Answers one admin request (`path` starts with [`ADMIN_PREFIX`]).
pub(crate) fn answer(inner: &Inner, parts: &Parts, body: &[u8]) -> Result<Value, ApiError> {
    let method = &parts.method;
    match &parts.uri.path()[ADMIN_PREFIX.len()..] {
        "faults" => match *method {
            Method::POST => arm(inner, body),
            Method::GET => Ok(list_faults(inner)),
            Method::DELETE => {
                lock(&inner.faults).clear();
                Ok(json!({ "armed": 0, "total": 0 }))
            }
            _ => Err(method_not_allowed(method, "GET, POST, DELETE")),
        },
        "requests" => match *method {
            Method::GET => Ok(list_requests(inner)),
            _ => Err(method_not_allowed(method, "GET")),
        },
        "reset" => match *method {
            Method::POST => Ok(reset(inner)),
            _ => Err(method_not_allowed(method, "POST")),
        },
        _ => Err(admin_error(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "Unknown admin path: /__mock/faults, /__mock/requests and /__mock/reset exist".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(json: &str) -> Result<Fault, String> {
        serde_json::from_str::<FaultSpec>(json)
            .map_err(|e| e.to_string())
            .and_then(FaultSpec::into_fault)
    }

    #[test]
    fn specs_become_faults() {
        let f = fault(r#"{"status":429,"retry_after":2,"times":3,"operation":"create"}"#)
            .expect("valid");
        assert_eq!(f.remaining, Some(3));
        assert_eq!(
            f.failure.as_ref().and_then(Failure::retry_after_secs),
            Some(2)
        );
        assert_eq!(f.filter.operation, Some(Operation::Create));
        let f = fault(r#"{"delay_ms":1500,"share":0.25,"path":"/v1/*"}"#).expect("valid");
        assert_eq!((f.remaining, f.share_ppm), (None, 250_000));
        assert_eq!(f.delay, Duration::from_millis(1500));
        let f = fault(r#"{"drop":true}"#).expect("valid");
        assert_eq!((f.remaining, f.drop_connection), (Some(1), true));
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        for (spec, says) in [
            (r#"{}"#, "at least one of"),
            (r#"{"drop":false}"#, "at least one of"),
            (r#"{"stauts":503}"#, "unknown field `stauts`"),
            (r#"{"status":200}"#, "400 to 599"),
            (r#"{"status":503,"times":0}"#, "`times`"),
            (r#"{"status":503,"share":0}"#, "`share`"),
            (r#"{"status":503,"share":1.5}"#, "`share`"),
            (
                r#"{"delay_ms":5,"retry_after":1}"#,
                "`retry_after` needs `status`",
            ),
            (r#"{"delay_ms":600001}"#, "`delay_ms`"),
            (r#"{"drop":true,"path":"v1"}"#, "`path`"),
            (r#"{"drop":true,"operation":"delete"}"#, "unknown variant"),
        ] {
            let err = fault(spec).expect_err(spec);
            assert!(err.contains(says), "{spec}: {err}");
        }
    }
}
