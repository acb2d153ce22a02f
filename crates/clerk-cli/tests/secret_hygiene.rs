//! What the `clerk-sign-in-tokens` binary prints, proven clean.
//!
//! Every command (create, revoke, with `--include-http-info`, with `-v`,
//! `--mock`, and a `mock-server` session) and every failure mode of the
//! hostile table (`clerk_test_support::hostile::cases`) runs with a sentinel secret key
//! in `CLERK_SECRET_KEY`. The servers hand out a sentinel token and url, and
//! the hostile ones echo the `Authorization` they received back in their
//! bodies, their headers and their trace ids. The rules:
//!
//! 1. the key never appears, on stdout or stderr, whatever the outcome;
//! 2. the token and url appear only on the stdout of a command that
//!    succeeded (that is what the command is for), never on stderr.

use clerk_test_support::cli::Binary;

/// The binary under test.
const CLI: Binary = Binary::new(env!("CARGO_BIN_EXE_clerk-sign-in-tokens"));

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};
use std::thread;
use std::time::Duration;

use clerk_test_support::cli::{self, Run};
use clerk_test_support::hostile::cases::{self, Case};
use clerk_test_support::hostile::server::{Server, echo_and, whole};
use clerk_test_support::sentinel::{self, KEY, KEY_MARK};

/// The deadline for a run against a server that answers at once.
const QUICK: Duration = Duration::from_secs(10);

/// Checks rules 1 and 2 on every run; `secrets` are further strings (tokens
/// and urls a mock made up) held to rule 2. Reports every breach at once.
fn assert_clean(runs: &[Run], secrets: &[&str]) {
    let mut breaches = Vec::new();
    for run in runs {
        for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            if sentinel::has_key(text) || text.contains(KEY) {
                breaches.push(format!("{}: the secret key on {stream}", run.label));
            }
        }
        let token_on = |text: &str| {
            sentinel::has_token_or_url(text) || secrets.iter().any(|s| text.contains(s))
        };
        if token_on(&run.stderr) {
            breaches.push(format!("{}: a token or url on stderr", run.label));
        }
        if run.code != 0 && token_on(&run.stdout) {
            breaches.push(format!(
                "{}: a token or url on the stdout of a failure (exit {})",
                run.label, run.code
            ));
        }
        if run.panicked() {
            breaches.push(format!("{}: panicked", run.label));
        }
    }
    let shown: Vec<String> = runs
        .iter()
        .map(|r| {
            format!(
                "[{}] exit {}\n  stdout: {}\n  stderr: {}",
                r.label,
                r.code,
                r.stdout.trim_end(),
                r.stderr.trim_end().replace('\n', "\n          ")
            )
        })
        .collect();
    assert!(
        breaches.is_empty(),
        "{}\n\n{}",
        breaches.join("\n"),
        shown.join("\n")
    );
}

/// A server that answers like Clerk with the sentinel token: create gets a
/// pending token (token and url), revoke the revoked one.
fn sentinel_server() -> Server {
    Server::plain(cases::answer_token)
}

#[track_caller]
fn expect_exit(run: &Run, code: i32) {
    assert_eq!(
        run.code, code,
        "{}\n--- stdout\n{}\n--- stderr\n{}",
        run.label, run.stdout, run.stderr
    );
}

#[test]
fn every_successful_command_keeps_the_key_off_and_the_token_on_stdout_only() {
    let server = sentinel_server();
    let base = server.base_url();
    let create = ["create", "--user-id", cases::USER_ID];
    let revoke = ["revoke", cases::REVOKE_ID];
    let mut runs = Vec::new();
    for flags in [
        &[][..],
        &["-v"][..],
        &["--include-http-info"][..],
        &["-v", "--include-http-info"][..],
    ] {
        for command in [&create[..], &revoke[..]] {
            let mut args = vec!["--api-url", base.as_str()];
            args.extend_from_slice(flags);
            args.extend_from_slice(command);
            let label = format!("{} {}", command[0], flags.join(" "));
            let out = CLI.run(label, &args, QUICK);
            expect_exit(&out, 0);
            if command[0] == "create" {
                // The whole point of create: token and url on stdout.
                assert!(
                    out.stdout.contains(sentinel::TOKEN) && out.stdout.contains(sentinel::URL),
                    "{}: {}",
                    out.label,
                    out.stdout
                );
            }
            if flags.contains(&"-v") {
                assert!(out.stderr.contains("attempt 1:"), "{}", out.stderr);
            }
            runs.push(out);
        }
    }
    assert_eq!(server.requests(), runs.len());
    assert_clean(&runs, &[]);
}

/// A row of the table and the global flags to run it with.
type Job = (fn() -> Case, &'static [&'static str]);

#[test]
fn every_hostile_failure_mode_keeps_every_secret_off_the_terminal() {
    // Plain and verbose, every row; on three threads, since most rows wait
    // on a server.
    let jobs: Vec<Job> = cases::ALL
        .iter()
        .flat_map(|case| [(*case, &[][..]), (*case, &["-v"][..])])
        .collect();
    let next = AtomicUsize::new(0);
    let runs = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                while let Some((case, flags)) = jobs.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let case = case();
                    let hostile = case.start();
                    let out = CLI.run_case(&case, &hostile.base_url(), flags);
                    assert_eq!(out.code, case.cli_exit, "{}: {}", out.label, out.stderr);
                    runs.lock().expect("runs").push(out);
                }
            });
        }
    });
    let runs = runs.into_inner().expect("runs");
    assert_eq!(runs.len(), 2 * cases::ALL.len());
    assert_clean(&runs, &[]);
}

#[test]
fn local_failures_and_the_embedded_mock_keep_every_secret_off_the_terminal() {
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let refused = format!("http://{closed}/v1");
    let sentinel_server = sentinel_server();
    let base = sentinel_server.base_url();
    let mut runs = vec![
        CLI.run(
            "connection refused -v",
            &["-v", "--api-url", &refused, "revoke", "sit_1"],
            QUICK,
        ),
        CLI.run(
            "plain http to a remote host -v",
            &[
                "-v",
                "--api-url",
                "http://clerk.example.invalid/v1",
                "create",
                "--user-id",
                "user_1",
            ],
            QUICK,
        ),
        CLI.run(
            "an empty user id -v",
            &["-v", "--api-url", &base, "create", "--user-id", ""],
            QUICK,
        ),
        CLI.run(
            "a dot-segment id -v",
            &["-v", "--api-url", &base, "revoke", ".."],
            QUICK,
        ),
        CLI.run("no such flag", &["--no-such-flag"], QUICK),
    ];
    let codes: Vec<i32> = runs.iter().map(|r| r.code).collect();
    assert_eq!(codes, [3, 2, 2, 2, 2], "{runs:#?}");
    assert_eq!(sentinel_server.requests(), 0, "invalid input was sent");

    // --mock ignores CLERK_SECRET_KEY (the sentinel here) and its own
    // server's tokens may only reach stdout.
    let mock = CLI.run(
        "--mock -v --include-http-info create",
        &[
            "--mock",
            "-v",
            "--include-http-info",
            "create",
            "--user-id",
            "user_1",
        ],
        QUICK,
    );
    expect_exit(&mock, 0);
    let json: serde_json::Value = serde_json::from_str(mock.stdout.trim_end()).expect("JSON");
    let token = json["data"]["token"].as_str().expect("a token").to_owned();
    let url = json["data"]["url"].as_str().expect("a url").to_owned();
    runs.push(mock);
    assert_clean(&runs, &[&token, &url]);
}

#[test]
fn a_mock_server_session_keeps_every_secret_in_its_place() {
    let mut child = CLI
        .command()
        .args(["mock-server", "--port", "0"])
        .spawn()
        .expect("spawn mock-server");
    // Lines of stdout as they come (for the `listening on` line), and all
    // of it at the end.
    let (lines, first) = mpsc::channel();
    let stdout = child.stdout.take().expect("piped stdout");
    let stdout = thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = lines.send(line.clone());
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let stderr = child.stderr.take().expect("piped stderr");
    let stderr = thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let line = first
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("mock-server printed no line")
        });
    let origin = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .to_owned();
    let base = format!("{origin}/v1");

    let mut runs = Vec::new();
    let created = CLI.run(
        "create -v (mock-server)",
        &["-v", "--api-url", &base, "create", "--user-id", "user_1"],
        QUICK,
    );
    expect_exit(&created, 0);
    let json: serde_json::Value = serde_json::from_str(created.stdout.trim_end()).expect("JSON");
    let id = json["id"].as_str().expect("id").to_owned();
    let token = json["token"].as_str().expect("token").to_owned();
    let url = json["url"].as_str().expect("url").to_owned();
    runs.push(created);
    let with_info = CLI.run(
        "create --include-http-info (mock-server)",
        &[
            "--include-http-info",
            "--api-url",
            &base,
            "create",
            "--user-id",
            "user_1",
        ],
        QUICK,
    );
    expect_exit(&with_info, 0);
    runs.push(with_info);
    let revoked = CLI.run(
        "revoke -v (mock-server)",
        &["-v", "--api-url", &base, "revoke", &id],
        QUICK,
    );
    expect_exit(&revoked, 0);
    runs.push(revoked);
    let again = CLI.run(
        "revoke again -v (mock-server)",
        &["-v", "--api-url", &base, "revoke", &id],
        QUICK,
    );
    expect_exit(&again, 1);
    runs.push(again);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let exit = cli::wait_bounded(&mut child, Duration::from_secs(10))
        .expect("mock-server stops on SIGTERM");
    let server_run = Run {
        label: "mock-server".to_owned(),
        code: exit.code().unwrap_or(-1),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        elapsed: Duration::ZERO,
    };
    expect_exit(&server_run, 0);
    // The server process is no command that succeeded with a token: it may
    // print neither the key it was started with nor the tokens it served.
    assert!(
        !server_run.stdout.contains(&token) && !server_run.stdout.contains(&url),
        "{}",
        server_run.stdout
    );
    runs.push(server_run);
    assert_clean(&runs, &[&token, &url]);
    // Only the first create's stdout holds its token.
    let holders: Vec<&str> = runs
        .iter()
        .filter(|r| r.stdout.contains(&token))
        .map(|r| r.label.as_str())
        .collect();
    assert_eq!(holders, ["create -v (mock-server)"]);
}

/// A success whose response headers echo `Authorization` (debugging proxies
/// and echo endpoints do): `--include-http-info` prints every header.
#[test]
fn a_server_echoing_authorization_in_a_header_cannot_get_the_key_printed() {
    let server = Server::plain(|conn, request| {
        let headers = echo_and(request, &[("Content-Type", "application/json")]);
        let body = sentinel::pending_token_json();
        conn.send(&whole("200 OK", &headers, body.as_bytes()));
    });
    let base = server.base_url();
    let out = CLI.run(
        "create --include-http-info against an echoing server",
        &[
            "--include-http-info",
            "--api-url",
            &base,
            "create",
            "--user-id",
            "user_1",
        ],
        QUICK,
    );
    expect_exit(&out, 0);
    assert!(!out.stdout.contains(KEY_MARK), "{}", out.stdout);
}

/// A success whose body echoes `Authorization` into a field the CLI prints.
#[test]
fn a_server_echoing_authorization_in_the_body_cannot_get_the_key_printed() {
    let server = Server::plain(|conn, request| {
        let body = sentinel::pending_token_json().replace(
            r#""user_id":"user_1""#,
            &format!(r#""user_id":"{}""#, request.authorization),
        );
        let headers = [("Content-Type", "application/json")];
        conn.send(&whole("200 OK", &headers, body.as_bytes()));
    });
    let base = server.base_url();
    let out = CLI.run(
        "create against a server echoing into user_id",
        &["--api-url", &base, "create", "--user-id", "user_1"],
        QUICK,
    );
    expect_exit(&out, 0);
    assert!(!out.stdout.contains(KEY_MARK), "{}", out.stdout);
}

/// The checker itself: each kind of breach is caught, and clean runs pass.
#[test]
fn the_checker_catches_every_kind_of_breach() {
    let run = |code: i32, stdout: &str, stderr: &str| Run {
        label: "fake".to_owned(),
        code,
        stdout: stdout.to_owned(),
        stderr: stderr.to_owned(),
        elapsed: Duration::ZERO,
    };
    let breaches = [
        run(0, KEY, ""),
        run(3, "", &format!("error: Bearer {KEY}")),
        run(0, "", sentinel::TOKEN),
        run(3, sentinel::URL, ""),
        run(1, "", "thread 'main' panicked at src/lib.rs"),
        run(0, "", "made-up-token"),
    ];
    for breach in breaches {
        let caught = std::panic::catch_unwind(|| {
            assert_clean(std::slice::from_ref(&breach), &["made-up-token"])
        });
        assert!(caught.is_err(), "not caught: {breach:?}");
    }
    assert_clean(
        &[run(
            0,
            &sentinel::pending_token_json(),
            "attempt 1: POST /v1/sign_in_tokens -> 200 OK",
        )],
        &["made-up-token"],
    );
}
