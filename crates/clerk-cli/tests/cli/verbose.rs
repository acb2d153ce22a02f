//! `-v`: one stderr line per attempt.

use clerk_core::http::StatusCode;

use crate::support::{closed_port, create_token, mock, run_at};

fn attempt_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("attempt "))
        .collect()
}

#[test]
fn a_503_then_200_revoke_logs_two_attempts() {
    let server = mock(|b| b);
    let base = server.base_url();
    let id = create_token(&base);
    server.fail_next(1, StatusCode::SERVICE_UNAVAILABLE);
    let out = run_at(&base, &["-v", "revoke", &id]).expect(0);
    assert_eq!(out.json()["status"], "revoked");
    let lines = attempt_lines(&out.stderr);
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    assert_eq!(
        out.stderr.lines().count(),
        2,
        "nothing else: {}",
        out.stderr
    );
    let path = format!("POST /v1/sign_in_tokens/{id}/revoke");
    assert!(lines[0].starts_with("attempt 1: "), "{}", lines[0]);
    assert!(lines[0].contains(&path), "{}", lines[0]);
    assert!(lines[0].contains("503 Service Unavailable"), "{}", lines[0]);
    assert!(lines[1].starts_with("attempt 2: "), "{}", lines[1]);
    assert!(lines[1].contains("200 OK"), "{}", lines[1]);
    for line in &lines {
        assert!(line.contains("ms, trace id "), "{line}");
        assert!(!line.ends_with("trace id -"), "the mock sends one: {line}");
    }
}

#[test]
fn a_429_create_is_retried_and_logged() {
    let server = mock(|b| b);
    server.fail_next(1, StatusCode::TOO_MANY_REQUESTS);
    let out = run_at(&server.base_url(), &["-v", "create", "--user-id", "user_1"]).expect(0);
    let lines = attempt_lines(&out.stderr);
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    assert!(
        lines[0].contains("POST /v1/sign_in_tokens -> 429"),
        "{}",
        lines[0]
    );
}

#[test]
fn failed_attempts_are_logged_with_their_kind() {
    let base = format!("http://127.0.0.1:{}/v1", closed_port());
    let out = run_at(
        &base,
        &["-v", "--max-retries", "1", "create", "--user-id", "user_1"],
    )
    .expect(3);
    let lines = attempt_lines(&out.stderr);
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    assert!(lines[0].contains("no response (connect)"), "{}", lines[0]);
    assert!(out.error_line().contains("(after 2 attempts)"));
}

#[test]
fn quiet_without_v() {
    let server = mock(|b| b);
    server.fail_next(1, StatusCode::TOO_MANY_REQUESTS);
    let out = run_at(&server.base_url(), &["create", "--user-id", "user_1"]).expect(0);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}
