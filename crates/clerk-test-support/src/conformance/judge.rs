//! One judgement for every runner: what a transport did in a case, against
//! what the case says must hold.

use serde::{Deserialize, Serialize};

use super::cases::{Case, Table};
use super::server::Stats;

/// What a runner saw when `transport` ran `case` (or why it could not).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// The transport's name, as in the table.
    pub transport: String,
    /// The case's name.
    pub case: String,
    /// Why the case does not apply (from the table), when it does not.
    #[serde(default)]
    pub na: Option<String>,
    /// `ok`, a transport error kind, `call_timeout`, `cancelled`,
    /// `api:STATUS`, `unexpected:STATUS`, `decode:STATUS`.
    #[serde(default)]
    pub outcome: String,
    /// What the error said about sending, when there was an error.
    #[serde(default)]
    pub not_sent: Option<bool>,
    /// How long the call took.
    #[serde(default)]
    pub elapsed_ms: u64,
    /// Everything the error shows: its `Display`, its `Debug` and its
    /// causes' (or, in JavaScript, the thrown `Error`'s message and fields).
    #[serde(default)]
    pub error_text: String,
    /// What the case's server saw.
    #[serde(default)]
    pub server: Stats,
}

/// The problems with `observation` (empty when it passes). A case marked
/// n/a for the transport passes only as n/a, and only with the table's
/// reason.
pub fn judge(table: &Table, case: &Case, observation: &Observation) -> Vec<String> {
    let mut problems = Vec::new();
    let expected_na = case.na(&observation.transport);
    match (&observation.na, expected_na) {
        (Some(_), Some(_)) => return problems,
        (Some(reason), None) => {
            problems.push(format!(
                "reported n/a ({reason}), but the table does not exempt this transport"
            ));
            return problems;
        }
        (None, Some(_)) => {
            problems.push("ran, but the table says it cannot apply".to_owned());
            return problems;
        }
        (None, None) => {}
    }
    let settings = case.settings(&table.defaults);
    let expect = &case.expect;
    let o = observation;
    if !expect.outcome.iter().any(|e| e == &o.outcome) {
        problems.push(format!(
            "outcome `{}`, expected {:?}",
            o.outcome, expect.outcome
        ));
    }
    if let Some(not_sent) = expect.not_sent {
        if o.not_sent != Some(not_sent) {
            problems.push(format!("not_sent {:?}, expected {not_sent}", o.not_sent));
        }
    }
    if let Some(max) = expect.max_elapsed_ms {
        let bound = max + settings.slack_ms;
        if o.elapsed_ms > bound {
            problems.push(format!(
                "took {} ms, over {max} ms plus {} ms of slack",
                o.elapsed_ms, settings.slack_ms
            ));
        }
    }
    if let Some(on_wire) = expect.key_on_wire {
        if o.server.key_on_wire != on_wire {
            problems.push(format!(
                "the key was {}on the wire in cleartext",
                if o.server.key_on_wire { "" } else { "not " }
            ));
        }
    }
    if let Some(bytes) = expect.bytes_received {
        if o.server.bytes_received != bytes {
            problems.push(format!(
                "the server read {} bytes, expected {bytes}",
                o.server.bytes_received
            ));
        }
    }
    if let Some(n) = expect.connections {
        if o.server.connections != n {
            problems.push(format!(
                "the server saw {} connections, expected {n}",
                o.server.connections
            ));
        }
    }
    if let Some(n) = expect.requests {
        if o.server.requests != n {
            problems.push(format!(
                "the server read {} requests, expected {n}",
                o.server.requests
            ));
        }
    }
    if let Some(n) = expect.bystander_connections {
        if o.server.bystander_connections != n {
            problems.push(format!(
                "the redirect's target saw {} connections, expected {n}",
                o.server.bystander_connections
            ));
        }
    }
    if let Some(within) = expect.closed_within_ms {
        let bound = settings.cancel_after_ms.unwrap_or(0) + within;
        match o.server.held_ms {
            Some(held) if held <= bound => {}
            Some(held) => problems.push(format!(
                "the server saw the connection closed {held} ms after the request, over {bound} ms"
            )),
            None => problems.push("the server never saw the connection closed".to_owned()),
        }
    }
    if o.error_text.contains(&table.key) {
        problems.push(format!("the error shows the secret key: {}", o.error_text));
    }
    problems
}

/// The verdict of one cell of the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Every expectation held.
    Pass,
    /// The case cannot apply to the transport; the reason.
    NotApplicable(String),
    /// What did not hold.
    Fail(Vec<String>),
    /// No runner reported it.
    Missing,
}

impl Cell {
    /// Whether the cell counts as red.
    pub fn is_red(&self) -> bool {
        matches!(self, Cell::Fail(_) | Cell::Missing)
    }
}

/// The cell for `observation`.
pub fn cell(table: &Table, case: &Case, observation: Option<&Observation>) -> Cell {
    let Some(o) = observation else {
        return Cell::Missing;
    };
    let problems = judge(table, case, o);
    if !problems.is_empty() {
        return Cell::Fail(problems);
    }
    match &o.na {
        Some(_) => Cell::NotApplicable(case.na(&o.transport).unwrap_or_default().to_owned()),
        None => Cell::Pass,
    }
}
