//! The hostile-server table (`clerk_test_support::hostile::cases`) against the
//! `clerk-sign-in-tokens` binary: one test per row. Each spawns the binary
//! with `--api-url http://127.0.0.1:PORT/v1 --timeout-ms N` and checks its
//! exit code, its one `error:` line, that it did not panic or hang, what the
//! server saw (retries stop at the default limit of 2; a create that may
//! have arrived is sent once), and that a redirect target saw nothing.
//!
//! The in-process clients run the same rows in the root package's
//! `tests/hostile.rs`; what the binary prints is checked for secrets in
//! `secret_hygiene.rs`.

use clerk_test_support::cli::Binary;

/// The binary under test.
const CLI: Binary = Binary::new(env!("CARGO_BIN_EXE_clerk-sign-in-tokens"));

use clerk_test_support::hostile::cases::{self, Case};

fn run_cli(case: Case) {
    let hostile = case.start();
    let out = CLI.run_case(&case, &hostile.base_url(), &[]);
    let server = &hostile.server;
    eprintln!(
        "cli | {:<24} | exit {} | {:?} | {} conn, {} req | {}",
        case.name,
        out.code,
        out.elapsed,
        server.connections(),
        server.requests(),
        out.stderr.trim_end()
    );

    let mut problems = Vec::new();
    if out.code != case.cli_exit {
        problems.push(format!("exit {}, expected {}", out.code, case.cli_exit));
    }
    if out.panicked() {
        problems.push("the binary panicked".to_owned());
    }
    if case.cli_exit == 0 {
        if !out.stderr.is_empty() {
            problems.push("a success wrote to stderr".to_owned());
        }
        if serde_json::from_str::<serde_json::Value>(out.stdout.trim_end()).is_err() {
            problems.push("a success did not print one JSON line".to_owned());
        }
    } else {
        if !out.stdout.is_empty() {
            problems.push("a failure wrote to stdout".to_owned());
        }
        match out.error_lines().as_slice() {
            [line] if line.contains(case.cli_says) => {}
            [_] => problems.push(format!("the error line does not say {:?}", case.cli_says)),
            lines => problems.push(format!("{} error lines, expected 1", lines.len())),
        }
    }
    if out.elapsed > case.cli_budget() {
        problems.push(format!(
            "took {:?}, over the budget of {:?}",
            out.elapsed,
            case.cli_budget()
        ));
    }
    if server.connections() != case.connections {
        problems.push(format!(
            "the server saw {} connections, expected {}",
            server.connections(),
            case.connections
        ));
    }
    if server.requests() != case.cli_requests {
        problems.push(format!(
            "the server read {} requests, expected {}",
            server.requests(),
            case.cli_requests
        ));
    }
    if let Some(bystander) = &hostile.bystander {
        let reached = bystander.connections();
        if reached != 0 {
            problems.push(format!(
                "the redirect target saw {reached} connection(s): the redirect was followed"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "case {} ({}):\n  - {}\n--- stdout\n{}\n--- stderr\n{}",
        case.name,
        case.what,
        problems.join("\n  - "),
        out.stdout,
        out.stderr
    );
}

macro_rules! cli_cases {
    ($($(#[$attr:meta])* $name:ident),* $(,)?) => {
        /// The rows this file covers.
        const COVERED: &[&str] = &[$(stringify!($name)),*];
        $(
            $(#[$attr])*
            #[test]
            fn $name() {
                run_cli(cases::$name());
            }
        )*
    };
}

clerk_test_support::with_hostile_cases!(cli_cases);

#[test]
fn every_row_of_the_table_runs() {
    assert_eq!(COVERED, cases::names().as_slice());
}

/// The brief's TLS requirement for the CLI in one place: an https URL on
/// loopback with a self-signed certificate exits 3 naming TLS and the
/// certificate, and the server never reads a request.
#[test]
fn a_self_signed_https_server_is_refused_with_exit_3() {
    let case = cases::tls_self_signed();
    let hostile = case.start();
    assert!(hostile.base_url().starts_with("https://127.0.0.1:"));
    let out = CLI.run_case(&case, &hostile.base_url(), &[]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let line = out.error_lines().concat();
    assert!(line.contains("TLS"), "{line}");
    assert!(line.to_ascii_lowercase().contains("certificate"), "{line}");
    assert_eq!(hostile.server.requests(), 0);
    assert_eq!(hostile.server.handshakes(), 0);
}

/// `Retry-After: 86400` on a 429: the binary returns at once (exit 1)
/// instead of sleeping a day, after one attempt.
#[test]
fn a_day_long_retry_after_fails_fast() {
    let case = cases::retry_after_one_day();
    let hostile = case.start();
    let out = CLI.run_case(&case, &hostile.base_url(), &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.elapsed < std::time::Duration::from_secs(2),
        "{:?}",
        out.elapsed
    );
    assert_eq!(hostile.server.requests(), 1);
}
