//! Running the binary with bounded waits, and tiny raw TCP servers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use clerk_mock::{MockClerk, MockClerkBuilder, MockServer};
pub use clerk_test_support::cli::wait_bounded;

pub const BIN: &str = env!("CARGO_BIN_EXE_clerk-sign-in-tokens");

/// A key that must never be printed.
pub const SENTINEL_KEY: &str = "sk_test_SENTINEL_b7e2c94f";

/// The longest any single run may take.
const RUN_DEADLINE: Duration = Duration::from_secs(10);

/// What a finished run left behind.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn expect(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// The single JSON line on stdout.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        assert_eq!(
            self.stdout.lines().count(),
            1,
            "one line: {:?}",
            self.stdout
        );
        serde_json::from_str(self.stdout.trim_end())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", self.stdout))
    }

    /// The `error: ` paragraph on stderr, checked to be the only such line.
    #[track_caller]
    pub fn error_line(&self) -> &str {
        let errors: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(errors.len(), 1, "one error line: {:?}", self.stderr);
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("RUST_BACKTRACE"),
            "{}",
            self.stderr
        );
        errors[0]
    }
}

/// A command for the binary with a clean environment: the given key (or
/// none), no `CLERK_API_URL`.
pub fn cli(key: Option<&str>) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_remove("CLERK_API_URL")
        .env_remove("CLERK_SECRET_KEY")
        .env_remove("SSL_CERT_FILE")
        .env_remove("REQUEST_METHOD");
    for name in ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"] {
        command
            .env_remove(name)
            .env_remove(name.to_ascii_lowercase());
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(key) = key {
        command.env("CLERK_SECRET_KEY", key);
    }
    command
}

/// Runs `args` with `key` and waits (bounded) for the result.
pub fn run(key: Option<&str>, args: &[&str]) -> Run {
    finish(cli(key).args(args).spawn().expect("spawn the binary"))
}

/// Runs `args` against `base_url` with the sentinel key.
pub fn run_at(base_url: &str, args: &[&str]) -> Run {
    let mut all = vec!["--api-url", base_url];
    all.extend_from_slice(args);
    run(Some(SENTINEL_KEY), &all)
}

/// Waits for `child` at most [`RUN_DEADLINE`], then collects its output.
pub fn finish(mut child: Child) -> Run {
    let status = wait_bounded(&mut child, RUN_DEADLINE)
        .unwrap_or_else(|| panic!("the binary ran longer than {RUN_DEADLINE:?}"));
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout).expect("read stdout");
    }
    if let Some(mut err) = child.stderr.take() {
        err.read_to_string(&mut stderr).expect("read stderr");
    }
    Run {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
    }
}

/// A mock Clerk on its own thread, with a short shutdown grace.
pub fn mock(configure: impl FnOnce(MockClerkBuilder) -> MockClerkBuilder) -> MockServer {
    configure(MockClerk::builder().shutdown_grace(Duration::from_millis(200)))
        .build()
        .start_blocking()
        .expect("start the mock")
}

/// Creates a token on `server` through the binary and returns its id.
pub fn create_token(base_url: &str) -> String {
    let run = run_at(base_url, &["create", "--user-id", "user_1"]).expect(0);
    run.json()["id"].as_str().expect("id").to_owned()
}

/// A port with nothing listening on it.
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A server that answers each of up to `connections` requests with the raw
/// bytes `response`, then closes. Its thread gives up after a few seconds.
pub fn raw_server(response: Vec<u8>, connections: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    listener.set_nonblocking(true).expect("nonblocking");
    thread::spawn(move || {
        let give_up = Instant::now() + Duration::from_secs(8);
        let mut served = 0;
        while served < connections && Instant::now() < give_up {
            match listener.accept() {
                Ok((stream, _)) => {
                    served += 1;
                    answer(stream, &response);
                }
                Err(_) => thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    addr
}

/// A whole HTTP/1.1 response that closes the connection.
pub fn http_response(status: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Reads one request (head and `Content-Length` body), writes `response`.
fn answer(mut stream: TcpStream, response: &[u8]) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let _ = stream.write_all(response);
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// Reads the first stdout line of `child` within `deadline`.
pub fn first_line(child: &mut Child, deadline: Duration) -> String {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = tx.send(line);
        // Keep the pipe open (and drained) until the process exits.
        let mut rest = Vec::new();
        let _ = reader.read_to_end(&mut rest);
    });
    match rx.recv_timeout(deadline) {
        Ok(line) => line,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no stdout line within {deadline:?}");
        }
    }
}

/// Sends `signal` (`TERM`, `INT`) to `child` with the system's `kill`.
pub fn send_signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} failed");
}
