//! The secret key is never printed; the token and url only on the stdout of
//! a successful create.

use std::net::TcpListener;

use clerk_core::http::StatusCode;

use crate::support::{Run, SENTINEL_KEY, closed_port, http_response, mock, raw_server, run_at};

/// The part of the key that is not the public `sk_test_` prefix.
const SENTINEL: &str = "SENTINEL_b7e2c94f";

#[test]
fn the_key_never_appears_and_tokens_only_on_successful_stdout() {
    let server = mock(|b| b);
    let base = server.base_url();
    let mut runs: Vec<(&str, Run)> = Vec::new();

    let created = record(
        &mut runs,
        "create -v",
        run_at(&base, &["-v", "create", "--user-id", "user_1"]).expect(0),
    );
    let json = runs[created].1.json();
    let id = json["id"].as_str().expect("id").to_owned();
    let token = json["token"].as_str().expect("token").to_owned();
    let url = json["url"].as_str().expect("url").to_owned();
    assert!(runs[created].1.stdout.contains(&token) && runs[created].1.stdout.contains(&url));

    let info = record(
        &mut runs,
        "create --include-http-info -v",
        run_at(
            &base,
            &["-v", "--include-http-info", "create", "--user-id", "user_1"],
        )
        .expect(0),
    );
    assert!(runs[info].1.json()["data"]["token"].is_string());

    server.fail_next(1, StatusCode::SERVICE_UNAVAILABLE);
    record(
        &mut runs,
        "revoke -v",
        run_at(&base, &["-v", "revoke", &id]).expect(0),
    );
    record(
        &mut runs,
        "revoke again -v",
        run_at(&base, &["-v", "revoke", &id]).expect(1),
    );

    let strict = mock(|b| b.secret_keys(["sk_test_another"]));
    record(
        &mut runs,
        "401 -v",
        run_at(&strict.base_url(), &["-v", "create", "--user-id", "user_1"]).expect(1),
    );
    let refused = format!("http://127.0.0.1:{}/v1", closed_port());
    record(
        &mut runs,
        "refused -v",
        run_at(&refused, &["-v", "--max-retries", "0", "revoke", "sit_1"]).expect(3),
    );
    record(
        &mut runs,
        "insecure -v",
        run_at(
            "http://clerk.example.invalid/v1",
            &["-v", "revoke", "sit_1"],
        )
        .expect(2),
    );
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    record(
        &mut runs,
        "timeout -v",
        run_at(
            &format!("http://{}/v1", silent.local_addr().expect("addr")),
            &[
                "-v",
                "--timeout-ms",
                "200",
                "--max-retries",
                "0",
                "revoke",
                "sit_1",
            ],
        )
        .expect(3),
    );
    // A hostile server that echoes the key back in its error body and trace id.
    let echo = raw_server(
        http_response(
            "500 Internal Server Error",
            "text/plain",
            &format!("bad key Bearer {SENTINEL_KEY} here"),
        ),
        1,
    );
    record(
        &mut runs,
        "echoing server -v",
        run_at(
            &format!("http://{echo}/v1"),
            &["-v", "--max-retries", "0", "revoke", "sit_1"],
        )
        .expect(3),
    );
    record(
        &mut runs,
        "invalid input",
        run_at(&base, &["create", "--user-id", ""]).expect(2),
    );

    for (label, run) in &runs {
        assert!(
            !run.stdout.contains(SENTINEL) && !run.stderr.contains(SENTINEL),
            "{label} printed the key:\n{}\n{}",
            run.stdout,
            run.stderr
        );
        assert!(
            !run.stderr.contains(&token) && !run.stderr.contains(&url),
            "{label} printed the token on stderr: {}",
            run.stderr
        );
        if run.code != 0 {
            assert!(run.stdout.is_empty(), "{label}: {}", run.stdout);
        }
        assert!(
            !run.stderr.contains("eyJ"),
            "{label}: a JWT on stderr: {}",
            run.stderr
        );
    }
    // Only the first create's stdout holds its token.
    let holders: Vec<&str> = runs
        .iter()
        .filter(|(_, r)| r.stdout.contains(&token))
        .map(|(l, _)| *l)
        .collect();
    assert_eq!(holders, ["create -v"]);
    drop(silent);
}

/// Keeps `run` under `label` and returns its index.
fn record<'a>(runs: &mut Vec<(&'a str, Run)>, label: &'a str, run: Run) -> usize {
    runs.push((label, run));
    runs.len() - 1
}
