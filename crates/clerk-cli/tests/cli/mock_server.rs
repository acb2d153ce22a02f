//! `mock-server`: the first line, serving another process, stopping on
//! SIGTERM and SIGINT with exit 0.

use std::process::Child;
use std::time::Duration;

use crate::support::{cli, first_line, run_at, send_signal, wait_bounded};

/// Starts `mock-server` with `extra` flags and returns it with its base URL
/// (the printed origin plus `/v1`).
fn start(extra: &[&str]) -> (Child, String) {
    let mut child = cli(None)
        .args(["mock-server", "--port", "0"])
        .args(extra)
        .spawn()
        .expect("spawn mock-server");
    let line = first_line(&mut child, Duration::from_secs(5));
    let origin = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .to_owned();
    assert!(origin.starts_with("http://127.0.0.1:"), "{origin}");
    assert!(!origin.ends_with("/v1"), "{origin}");
    let port: u16 = origin["http://127.0.0.1:".len()..]
        .parse()
        .unwrap_or_else(|e| panic!("port in {origin:?}: {e}"));
    assert_ne!(port, 0);
    (child, format!("{origin}/v1"))
}

/// Sends `signal` and expects a clean exit 0 within a few seconds.
fn stop(mut child: Child, signal: &str) {
    send_signal(&child, signal);
    let status = wait_bounded(&mut child, Duration::from_secs(5))
        .unwrap_or_else(|| panic!("mock-server still running after SIG{signal}"));
    assert_eq!(status.code(), Some(0), "after SIG{signal}: {status:?}");
}

#[test]
fn serves_another_process_and_exits_0_on_sigterm() {
    let (child, base) = start(&[]);
    let out = run_at(&base, &["create", "--user-id", "user_1"]).expect(0);
    let json = out.json();
    assert_eq!(json["status"], "pending");
    let id = json["id"].as_str().expect("id");
    let out = run_at(&base, &["revoke", id]).expect(0);
    assert_eq!(out.json()["status"], "revoked");
    stop(child, "TERM");
}

#[test]
fn rate_limit_applies_and_sigint_stops_it() {
    let (child, base) = start(&["--rate-limit", "1"]);
    run_at(&base, &["create", "--user-id", "user_1"]).expect(0);
    let out = run_at(
        &base,
        &["--max-retries", "0", "create", "--user-id", "user_1"],
    )
    .expect(1);
    let line = out.error_line();
    assert!(line.contains("429"), "{line}");
    assert!(line.contains("too_many_requests"), "{line}");
    stop(child, "INT");
}

#[test]
fn rate_limit_0_means_unlimited() {
    let (child, base) = start(&["--rate-limit", "0"]);
    for _ in 0..3 {
        run_at(
            &base,
            &["--max-retries", "0", "create", "--user-id", "user_1"],
        )
        .expect(0);
    }
    stop(child, "TERM");
}

#[test]
fn a_busy_port_exits_3() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let out = crate::support::run(None, &["mock-server", "--port", &port]).expect(3);
    assert!(out.error_line().contains("cannot listen"), "{}", out.stderr);
    drop(taken);
}
