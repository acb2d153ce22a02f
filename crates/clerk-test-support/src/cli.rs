//! Running the `clerk-sign-in-tokens` binary with a clean environment, the
//! sentinel key, and a hard deadline. Only the CLI's own test crates know
//! where cargo built the binary (`CARGO_BIN_EXE_…`), so they name it with a
//! [`Binary`].

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::hostile::cases::Case;
use crate::sentinel::KEY;

/// The binary under test, by the path cargo built it at. The CLI's test
/// crates name it with `env!("CARGO_BIN_EXE_clerk-sign-in-tokens")`.
#[derive(Debug, Clone, Copy)]
pub struct Binary {
    path: &'static str,
}

/// What a finished run left behind.
#[derive(Debug, Clone)]
pub struct Run {
    /// What ran, for messages.
    pub label: String,
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    /// Everything on stdout.
    pub stdout: String,
    /// Everything on stderr.
    pub stderr: String,
    /// From spawn to exit.
    pub elapsed: Duration,
}

impl Run {
    /// The lines of stderr that start with `error: `.
    pub fn error_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect()
    }

    /// Whether the process panicked.
    pub fn panicked(&self) -> bool {
        self.stderr.contains("panicked") || self.stderr.contains("RUST_BACKTRACE")
    }
}

impl Binary {
    /// The binary at `path`.
    pub const fn new(path: &'static str) -> Self {
        Self { path }
    }

    /// A command for the binary: no `CLERK_API_URL`, the sentinel key in
    /// `CLERK_SECRET_KEY`, piped output.
    pub fn command(&self) -> Command {
        let mut command = Command::new(self.path);
        command
            .env_remove("CLERK_API_URL")
            .env("CLERK_SECRET_KEY", KEY)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Runs the binary with `args` and waits at most `deadline` (then kills it
    /// and panics).
    pub fn run(&self, label: impl Into<String>, args: &[&str], deadline: Duration) -> Run {
        let label = label.into();
        let started = Instant::now();
        let mut child = self
            .command()
            .args(args)
            .spawn()
            .unwrap_or_else(|e| panic!("{label}: spawn the binary: {e}"));
        let (stdout, stderr) = drain(&mut child);
        let status = wait_bounded(&mut child, deadline);
        let elapsed = started.elapsed();
        let Some(status) = status else {
            panic!("{label}: the binary ran past its deadline of {deadline:?}");
        };
        Run {
            label,
            code: status.code().unwrap_or(-1),
            stdout: join(stdout),
            stderr: join(stderr),
            elapsed,
        }
    }

    /// Runs the call a hostile case makes against `base_url`, with the case's
    /// timeout and `extra` global flags.
    pub fn run_case(&self, case: &Case, base_url: &str, extra: &[&str]) -> Run {
        let timeout = case.timeout.as_millis().to_string();
        let mut args = vec!["--api-url", base_url, "--timeout-ms", &timeout];
        args.extend_from_slice(extra);
        args.extend(case.op.cli_args());
        let label = format!("{} {}", case.name, extra.join(" "));
        self.run(label, &args, case.cli_budget() + Duration::from_secs(5))
    }
}

/// Threads that read the child's stdout and stderr to the end, so that a
/// full pipe can never block it.
pub fn drain(child: &mut Child) -> (JoinHandle<String>, JoinHandle<String>) {
    fn reader(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    }
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    (reader(stdout), reader(stderr))
}

/// The text a reader thread collected.
pub fn join(reader: JoinHandle<String>) -> String {
    reader.join().unwrap_or_default()
}

/// Polls `child` until it exits or `deadline` passes; then kills it and
/// returns `None`.
pub fn wait_bounded(child: &mut Child, deadline: Duration) -> Option<ExitStatus> {
    let until = Instant::now() + deadline;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < until => thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}
