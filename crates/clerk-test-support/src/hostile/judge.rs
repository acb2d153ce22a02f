//! One judgement for every client that runs the table: the outcome, the
//! bound on the call, what the server saw, and what the result shows.

use std::time::Duration;

use clerk_core::{ApiResponse, Error, SignInToken};

use super::cases::{Case, Hostile, Op};
use super::outcome::{self, Expect, Outcome};
use crate::sentinel::{self, KEY};

/// What a call returned, whatever the client.
pub type Called<E> = Result<ApiResponse<SignInToken>, Error<E>>;

/// Checks everything a case states, and reports every mismatch at once.
pub fn judge<E: std::error::Error + 'static>(
    case: &Case,
    client: &str,
    expect: Expect,
    outcome: &Outcome,
    elapsed: Duration,
    hostile: &Hostile,
    called: &Called<E>,
) {
    let shown = match called {
        Ok(response) => format!("{:?} / {}", response.data, response.data.status),
        Err(error) => outcome::everything_shown(error),
    };
    let server = &hostile.server;
    // Visible with --nocapture: the row as this client lived it.
    eprintln!(
        "{client:>8} | {:<24} | {outcome:?} | {elapsed:?} | {} conn, {} req",
        case.name,
        server.connections(),
        server.requests()
    );
    let mut problems = Vec::new();
    if !expect.matches(outcome) {
        problems.push(format!("expected {expect}, got {outcome:?}: {shown}"));
    }
    if elapsed > case.max_elapsed {
        problems.push(format!(
            "took {elapsed:?}, over the bound of {:?}",
            case.max_elapsed
        ));
    }
    if server.connections() != case.connections {
        problems.push(format!(
            "the server saw {} connections, expected {}",
            server.connections(),
            case.connections
        ));
    }
    if server.requests() != case.requests {
        problems.push(format!(
            "the server read {} requests, expected {}",
            server.requests(),
            case.requests
        ));
    }
    let bearer = format!("Bearer {KEY}");
    if server.authorizations().iter().any(|a| *a != bearer) {
        problems.push("a request did not carry the key in Authorization".to_owned());
    }
    if let Some(bystander) = &hostile.bystander {
        let reached = bystander.connections();
        if reached != 0 {
            problems.push(format!(
                "the redirect target saw {reached} connection(s): the redirect was followed"
            ));
        }
    }
    if let Ok(response) = called {
        let token = response.data.token.as_ref().map(|t| t.expose_secret());
        if case.op == Op::Create && token != Some(sentinel::TOKEN) {
            problems.push("the token that came back is not the server's".to_owned());
        }
    }
    let leaked = sentinel::leaked(&shown);
    if !leaked.is_empty() {
        problems.push(format!(
            "what the result shows holds the {leaked:?}: {shown}"
        ));
    }
    assert!(
        problems.is_empty(),
        "{client} client, case {} ({}):\n  - {}",
        case.name,
        case.what,
        problems.join("\n  - ")
    );
}
