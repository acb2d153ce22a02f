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

// ----- port file, admin interface, bounded store, graceful stop ----------

/// One HTTP/1.1 request over a plain `TcpStream` with `Connection: close`;
/// the status and the body.
fn http(port: u16, method: &str, path: &str, auth: Option<&str>, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let auth = auth.map_or_else(String::new, |a| format!("Authorization: {a}\r\n"));
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read");
    let status = raw
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {raw:?}"));
    let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    (status, body)
}

/// A fresh path in the temporary directory.
fn temp_path(name: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("clerk-cli-{}-{n}-{name}", std::process::id()))
}

/// Starts `mock-server --port-file`, waits for the file (the way a CI
/// script would, without reading stdout) and returns the child and port.
fn start_with_port_file(extra: &[&str]) -> (Child, u16, std::path::PathBuf) {
    let path = temp_path("port");
    let mut child = cli(None)
        .args(["mock-server", "--port-file"])
        .arg(&path)
        .args(extra)
        .spawn()
        .expect("spawn mock-server");
    let mut port = None;
    for _ in 0..500 {
        if let Ok(text) = std::fs::read_to_string(&path) {
            port = Some(text);
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let Some(text) = port else {
        let _ = child.kill();
        panic!("no port file at {} within 5 s", path.display());
    };
    assert!(text.ends_with('\n'), "{text:?}");
    let port: u16 = text.trim_end().parse().expect("digits");
    assert_ne!(port, 0);
    (child, port, path)
}

#[test]
fn the_port_file_matches_the_printed_address_and_goes_away_on_exit() {
    let (mut child, port, path) = start_with_port_file(&[]);
    let line = first_line(&mut child, Duration::from_secs(5));
    assert_eq!(
        line.trim_end(),
        format!("listening on http://127.0.0.1:{port}")
    );
    let base = format!("http://127.0.0.1:{port}/v1");
    run_at(&base, &["create", "--user-id", "user_1"]).expect(0);
    stop(child, "TERM");
    assert!(!path.exists(), "port file left behind");
}

#[test]
fn sigterm_lets_a_delayed_response_finish_and_exits_0() {
    let (mut child, port, _path) = start_with_port_file(&[]);
    let (status, body) = http(
        port,
        "POST",
        "/__mock/faults",
        None,
        r#"[{"delay_ms":1500}]"#,
    );
    assert_eq!(status, 200, "{body}");
    let in_flight = std::thread::spawn(move || {
        http(
            port,
            "POST",
            "/v1/sign_in_tokens",
            Some("Bearer sk_test_graceful"),
            r#"{"user_id":"user_1"}"#,
        )
    });
    // The journal lists the request once its answer is decided, before the
    // delay: SIGTERM then arrives while the response is held back.
    let mut seen = false;
    for _ in 0..500 {
        let (_, journal) = http(port, "GET", "/__mock/requests", None, "");
        if journal.contains("/v1/sign_in_tokens") {
            seen = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(seen, "the request never reached the server");
    assert!(!in_flight.is_finished(), "answered despite the delay");
    send_signal(&child, "TERM");
    let (status, body) = in_flight.join().expect("client thread");
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("a whole JSON body");
    assert_eq!(json["status"], "pending");
    let exit = wait_bounded(&mut child, Duration::from_secs(10))
        .unwrap_or_else(|| panic!("mock-server still running after SIGTERM"));
    assert_eq!(exit.code(), Some(0), "{exit:?}");
}

#[test]
fn admin_interface_is_on_unless_no_admin() {
    let (child, port, _path) = start_with_port_file(&[]);
    let (status, body) = http(port, "POST", "/__mock/faults", None, r#"{"status":503}"#);
    assert_eq!(status, 200, "{body}");
    let base = format!("http://127.0.0.1:{port}/v1");
    let out = run_at(
        &base,
        &["--max-retries", "0", "create", "--user-id", "user_1"],
    )
    .expect(1);
    assert!(out.error_line().contains("503"), "{}", out.stderr);
    let (status, body) = http(port, "POST", "/__mock/reset", None, "");
    assert_eq!((status, body.as_str()), (200, r#"{"reset":true}"#));
    stop(child, "TERM");

    let (child, port, _path) = start_with_port_file(&["--no-admin"]);
    let (status, body) = http(port, "POST", "/__mock/reset", None, "");
    assert_eq!(status, 404, "{body}");
    stop(child, "TERM");
}

#[test]
fn max_tokens_forgets_the_oldest_token() {
    let (child, port, _path) = start_with_port_file(&["--max-tokens", "1"]);
    let base = format!("http://127.0.0.1:{port}/v1");
    let first = run_at(&base, &["create", "--user-id", "user_1"])
        .expect(0)
        .json();
    let second = run_at(&base, &["create", "--user-id", "user_1"])
        .expect(0)
        .json();
    let out = run_at(&base, &["revoke", first["id"].as_str().expect("id")]).expect(1);
    assert!(
        out.error_line().contains("resource_not_found"),
        "{}",
        out.stderr
    );
    run_at(&base, &["revoke", second["id"].as_str().expect("id")]).expect(0);
    stop(child, "TERM");
}

/// Sends `head` (a whole request head, blank line included) to the server
/// at `base` and returns the answer's head.
fn raw_head(base: &str, head: &str) -> String {
    use std::io::{Read, Write};
    let authority = base
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix("/v1"))
        .expect("base URL");
    let mut stream = std::net::TcpStream::connect(authority).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream.write_all(head.as_bytes()).expect("write");
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    text.split("\r\n\r\n").next().unwrap_or_default().to_owned()
}

#[test]
fn cors_answers_preflights_from_the_given_origin_only() {
    let page = "http://127.0.0.1:8000";
    let (child, base) = start(&["--cors", page]);
    let preflight = |origin: &str| {
        raw_head(
            &base,
            &format!(
                "OPTIONS /v1/sign_in_tokens HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
                 Origin: {origin}\r\nAccess-Control-Request-Method: POST\r\n\
                 Access-Control-Request-Headers: authorization, content-type\r\n\r\n"
            ),
        )
        .to_ascii_lowercase()
    };
    let head = preflight(page);
    assert!(head.starts_with("http/1.1 204"), "{head}");
    assert!(
        head.contains(&format!("access-control-allow-origin: {page}")),
        "{head}"
    );
    assert!(head.contains("access-control-allow-headers:"), "{head}");
    let head = preflight("http://127.0.0.1:9999");
    assert!(!head.starts_with("http/1.1 204"), "{head}");
    assert!(!head.contains("access-control-allow-origin"), "{head}");
    // The API still works for ordinary clients.
    run_at(&base, &["create", "--user-id", "user_1"]).expect(0);
    stop(child, "TERM");
}

#[test]
fn cors_without_an_origin_is_a_usage_error() {
    let out = crate::support::run(None, &["mock-server", "--cors", "127.0.0.1:8000/x"]).expect(2);
    assert!(out.stderr.contains("origin"), "{}", out.stderr);
}
