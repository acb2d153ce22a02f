//! Exit 1 (Clerk's errors), 2 (refused locally, nothing sent) and 3 (no
//! valid answer).

use std::net::TcpListener;
use std::time::{Duration, Instant};

use clerk_core::http::StatusCode;

use crate::support::{
    SENTINEL_KEY, closed_port, create_token, http_response, mock, raw_server, run, run_at,
};

// ----- 1: Clerk answered with an error ---------------------------------------

#[test]
fn unknown_user_is_404() {
    let server = mock(|b| b.users(["user_alice"]));
    let out = run_at(&server.base_url(), &["create", "--user-id", "user_bob"]).expect(1);
    assert!(out.stdout.is_empty());
    let line = out.error_line();
    assert!(line.contains("404"), "{line}");
    assert!(line.contains("resource_not_found"), "{line}");
    assert!(line.contains("trace id "), "{line}");
    assert!(!line.contains("no trace id"), "{line}");
}

#[test]
fn a_404_without_a_path_prefix_hints_at_v1() {
    let server = mock(|b| b);
    let origin = server.origin();
    let out = run_at(&origin, &["create", "--user-id", "user_1"]).expect(1);
    assert!(
        out.error_line().contains("missing its path prefix"),
        "{}",
        out.stderr
    );
}

#[test]
fn revoking_twice_is_400_cannot_be_revoked() {
    let server = mock(|b| b);
    let base = server.base_url();
    let id = create_token(&base);
    run_at(&base, &["revoke", &id]).expect(0);
    let out = run_at(&base, &["revoke", &id]).expect(1);
    assert!(out.stdout.is_empty());
    let line = out.error_line();
    assert!(line.contains("400 Bad Request"), "{line}");
    assert!(
        line.contains("sign_in_token_cannot_be_revoked_code"),
        "{line}"
    );
    assert!(
        line.contains("Only pending tokens can be revoked"),
        "{line}"
    );
    assert!(line.contains("trace id "), "{line}");
}

#[test]
fn a_key_the_server_does_not_accept_is_401() {
    let server = mock(|b| b.secret_keys(["sk_test_the_right_one"]));
    let out = run_at(&server.base_url(), &["create", "--user-id", "user_1"]).expect(1);
    let line = out.error_line();
    assert!(line.contains("401"), "{line}");
    assert!(line.contains("authorization_invalid"), "{line}");
    assert!(line.contains("CLERK_SECRET_KEY"), "{line}");
}

#[test]
fn create_is_not_retried_after_a_503_but_revoke_gives_up_after_max_retries() {
    let server = mock(|b| b);
    let base = server.base_url();
    server.fail_next(1, StatusCode::SERVICE_UNAVAILABLE);
    let out = run_at(&base, &["create", "--user-id", "user_1"]).expect(1);
    assert!(out.error_line().contains("503"));
    assert_eq!(
        server.request_count(),
        1,
        "a create that may have run is not sent again"
    );

    let id = create_token(&base);
    server.reset_request_counts();
    server.fail_next(2, StatusCode::SERVICE_UNAVAILABLE);
    let out = run_at(&base, &["--max-retries", "1", "revoke", &id]).expect(1);
    assert!(
        out.error_line().contains("(after 2 attempts)"),
        "{}",
        out.stderr
    );
    assert_eq!(server.request_count(), 2);
}

// ----- 2: usage or local validation error, nothing sent ----------------------

#[test]
fn local_refusals_exit_2_and_send_nothing() {
    let server = mock(|b| b);
    let base = server.base_url();
    let cases: Vec<(Option<&str>, Vec<&str>, &str)> = vec![
        (
            None,
            vec!["--api-url", &base, "create", "--user-id", "user_1"],
            "CLERK_SECRET_KEY is not set",
        ),
        (
            Some("sk_test_with space"),
            vec!["--api-url", &base, "create", "--user-id", "user_1"],
            "whitespace",
        ),
        (
            Some(SENTINEL_KEY),
            vec![
                "--api-url",
                &base,
                "--no-such-flag",
                "create",
                "--user-id",
                "user_1",
            ],
            "unexpected argument",
        ),
        (
            Some(SENTINEL_KEY),
            vec!["--api-url", &base, "create"],
            "--user-id",
        ),
        (
            Some(SENTINEL_KEY),
            vec![
                "--api-url",
                &base,
                "create",
                "--user-id",
                "user_1",
                "--expires-in-seconds",
                "0",
            ],
            "--expires-in-seconds",
        ),
        (
            Some(SENTINEL_KEY),
            vec![
                "--api-url",
                &base,
                "create",
                "--user-id",
                "user_1",
                "--expires-in-seconds",
                "soon",
            ],
            "invalid value",
        ),
        (
            Some(SENTINEL_KEY),
            vec!["--api-url", &base, "create", "--user-id", ""],
            "--user-id: must not be empty",
        ),
        (
            Some(SENTINEL_KEY),
            vec![
                "--api-url",
                &base,
                "create",
                "--user-id",
                "user_1",
                "--org-id",
                "",
            ],
            "--org-id",
        ),
        (
            Some(SENTINEL_KEY),
            vec!["--api-url", &base, "revoke", ".."],
            "SIGN_IN_TOKEN_ID",
        ),
        (
            Some(SENTINEL_KEY),
            vec!["--api-url", &base, "revoke", ""],
            "SIGN_IN_TOKEN_ID",
        ),
        (
            Some(SENTINEL_KEY),
            vec!["--api-url", &base, "revoke"],
            "SIGN_IN_TOKEN_ID",
        ),
        (
            Some(SENTINEL_KEY),
            vec!["--api-url", &base, "--timeout-ms", "0", "revoke", "sit_1"],
            "--timeout-ms",
        ),
        (
            Some(SENTINEL_KEY),
            vec!["--api-url", &base, "--api-version", "", "revoke", "sit_1"],
            "--api-version",
        ),
        (
            Some(SENTINEL_KEY),
            vec!["--api-url", "not a url", "create", "--user-id", "user_1"],
            "--api-url",
        ),
        (
            Some(SENTINEL_KEY),
            vec![
                "--api-url",
                "ftp://127.0.0.1/v1",
                "create",
                "--user-id",
                "user_1",
            ],
            "--api-url",
        ),
        (
            Some(SENTINEL_KEY),
            vec![
                "--api-url",
                "http://127.0.0.1:1/v1?x=1",
                "create",
                "--user-id",
                "user_1",
            ],
            "--api-url",
        ),
        (Some(SENTINEL_KEY), vec![], "Usage"),
    ];
    for (key, args, expected) in cases {
        let out = run(key, &args);
        assert_eq!(out.code, 2, "{args:?}\n{}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
        // With no arguments at all clap shows the help (on stderr, exit 2).
        if !args.is_empty() {
            assert!(
                out.stderr.starts_with("error: "),
                "{args:?}: {}",
                out.stderr
            );
        }
        assert!(out.stderr.contains(expected), "{args:?}: {}", out.stderr);
    }
    assert_eq!(server.request_count(), 0, "nothing reached the server");
}

#[test]
fn plain_http_to_a_remote_host_is_refused_at_once_without_retries() {
    let started = Instant::now();
    let out = run_at(
        "http://clerk.example.invalid/v1",
        &["-v", "revoke", "sit_1"],
    )
    .expect(2);
    assert!(out.error_line().contains("plain http"), "{}", out.stderr);
    assert!(out.error_line().contains("nothing was sent"));
    let attempts = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("attempt "))
        .count();
    assert_eq!(attempts, 1, "{}", out.stderr);
    assert!(started.elapsed() < Duration::from_secs(3));
}

// ----- 3: no valid answer -----------------------------------------------------

#[test]
fn connection_refused() {
    let base = format!("http://127.0.0.1:{}/v1", closed_port());
    let out = run_at(
        &base,
        &["--max-retries", "0", "create", "--user-id", "user_1"],
    )
    .expect(3);
    let line = out.error_line();
    assert!(line.contains("could not connect"), "{line}");
    assert!(line.contains(&base), "{line}");
}

#[test]
fn a_server_that_never_answers_times_out() {
    // Bound but never accepting: the kernel completes the handshake and the
    // request sits in the socket's buffer.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}/v1", silent.local_addr().expect("addr"));
    let started = Instant::now();
    let out = run_at(
        &base,
        &["--timeout-ms", "300", "create", "--user-id", "user_1"],
    )
    .expect(3);
    assert!(out.error_line().contains("timed out"), "{}", out.stderr);
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(silent);
}

#[test]
fn an_html_502_from_a_proxy_is_no_valid_answer() {
    let addr = raw_server(
        http_response(
            "502 Bad Gateway",
            "text/html",
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
        ),
        1,
    );
    let out = run_at(
        &format!("http://{addr}/v1"),
        &["create", "--user-id", "user_1"],
    )
    .expect(3);
    let line = out.error_line();
    assert!(line.contains("502"), "{line}");
    assert!(line.contains("text/html"), "{line}");
}

#[test]
fn a_body_over_the_cap_is_no_valid_answer() {
    // Declares 50 MB (over the 1 MiB cap) and sends a few bytes of it.
    let huge = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
        Content-Length: 50000000\r\nConnection: close\r\n\r\n{\"object\":"
        .to_vec();
    let addr = raw_server(huge, 1);
    let out = run_at(
        &format!("http://{addr}/v1"),
        &["create", "--user-id", "user_1"],
    )
    .expect(3);
    assert!(
        out.error_line().contains("larger than the"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_success_that_does_not_decode_is_no_valid_answer() {
    let addr = raw_server(
        http_response(
            "200 OK",
            "application/json",
            r#"{"object":"sign_in_token"}"#,
        ),
        1,
    );
    let out = run_at(
        &format!("http://{addr}/v1"),
        &["create", "--user-id", "user_1"],
    )
    .expect(3);
    assert!(
        out.error_line().contains("did not decode"),
        "{}",
        out.stderr
    );
}
