//! # clerk-cli
//!
//! The `clerk-sign-in-tokens` command: create and revoke Clerk sign-in tokens
//! through the Backend API with [`clerk_core`] over [`clerk_hyper`], or serve a
//! local [`clerk_mock`] for development.
//!
//! ```text
//! CLERK_SECRET_KEY=sk_test_... clerk-sign-in-tokens create --user-id user_123
//! clerk-sign-in-tokens revoke sit_123
//! clerk-sign-in-tokens --mock create --user-id user_1
//! clerk-sign-in-tokens mock-server --port 4010
//! ```
//!
//! Create and revoke print the sign-in token as one JSON object on one line
//! of stdout, token and url included. Everything else (errors, and with `-v`
//! one line per HTTP attempt) goes to stderr, and never holds the secret key,
//! the token or its url.
//!
//! The secret key is read from `CLERK_SECRET_KEY` only: a flag would leave it
//! in the shell history and the process list.
//!
//! ## Exit statuses
//!
//! See [`ExitStatus`]. How each failure of a call maps:
//!
//! | failure | status |
//! |---|---|
//! | `clerk_core::Error::Api` (Clerk's error body, any status) | 1 |
//! | `clerk_core::Error::InvalidInput`, a missing or malformed `CLERK_SECRET_KEY`, a bad flag | 2 |
//! | a transport error of kind `InsecureScheme` or `InvalidRequest` (refused before connecting) | 2 |
//! | a proxy that is `Misconfigured`, or `CleartextOrigin` (refused before connecting) | 2 |
//! | an unreadable `--ca-cert` or `SSL_CERT_FILE`, or one that holds no usable certificate | 2 |
//! | any other proxy failure (unreachable, 407, 502, closed tunnel) | 3 |
//! | any other transport error kind (`ConnectTimeout`, `Timeout`, `Connect`, `Tls`, `Certificate`, `BodyTooLarge`, `Io`, `Protocol`) | 3 |
//! | `clerk_core::Error::CallTimeout` (the 30 s whole-call deadline) | 3 |
//! | `clerk_core::Error::UnexpectedResponse` (an answer without a Clerk error body, such as a proxy's HTML 502) | 3 |
//! | `clerk_core::Error::Decode` (a success whose body does not fit the schema) | 3 |
//!
//! A request refused before connecting is not retried: clerk-core's table of
//! transport error kinds marks such failures (and refused certificates)
//! permanent, and its retry policy does not retry permanent failures.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod cli;
mod failure;
mod mock_server;
mod output;
mod transport;

use std::ffi::OsString;
use std::io::Write as _;
use std::time::Duration;

use clap::Parser as _;
use clerk_core::{Client, CreateSignInTokenRequest, RetryPolicy, SecretKey};
use clerk_hyper::{HyperTransport, ProxyConfig, TokioTimer};

use crate::cli::{Cli, Command, Globals};
use crate::failure::Failure;
use crate::transport::LoggingTransport;

/// The secret key `--mock` uses against its embedded server.
pub const MOCK_SECRET_KEY: &str = "sk_test_mock";

/// How the command ended; the process exits with [`code`](Self::code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitStatus {
    /// 0: done.
    Success,
    /// 1: Clerk answered with an error (its status, codes, messages and trace
    /// id are on stderr).
    ClerkError,
    /// 2: a usage or local validation error (a bad flag, a missing key, an
    /// invalid id, an unusable `--api-url`); nothing was sent.
    Usage,
    /// 3: no valid answer (connect, TLS or timeout failure, a body too large
    /// or undecodable, a non-Clerk answer such as a proxy's HTML 502), or a
    /// local I/O failure (`mock-server` cannot listen, stdout is closed).
    NoAnswer,
}

impl ExitStatus {
    /// The process exit code: 0, 1, 2 or 3.
    ///
    /// ```
    /// assert_eq!(clerk_cli::ExitStatus::NoAnswer.code(), 3);
    /// ```
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::ClerkError => 1,
            ExitStatus::Usage => 2,
            ExitStatus::NoAnswer => 3,
        }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status.code())
    }
}

/// Runs the command line `args` (program name first), printing to stdout and
/// stderr, and returns how it ended.
///
/// ```
/// let status = clerk_cli::run(["clerk-sign-in-tokens", "--no-such-flag"]);
/// assert_eq!(status, clerk_cli::ExitStatus::Usage);
/// ```
pub fn run<I, T>(args: I) -> ExitStatus
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0, usage errors to
            // stderr with status 2.
            let _ = e.print();
            return if e.exit_code() == 0 {
                ExitStatus::Success
            } else {
                ExitStatus::Usage
            };
        }
    };
    match execute(cli) {
        Ok(()) => ExitStatus::Success,
        Err(failure) => {
            failure.print();
            failure.status
        }
    }
}

fn execute(cli: Cli) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::no_answer(format!("cannot start the async runtime: {e}")))?;
    let operation = match cli.command {
        Command::MockServer(args) => {
            return runtime.block_on(mock_server::serve(args));
        }
        Command::Create {
            user_id,
            org_id,
            expires_in_seconds,
        } => {
            let mut input = CreateSignInTokenRequest::new(user_id);
            if let Some(org_id) = org_id {
                input = input.org_id(org_id);
            }
            if let Some(seconds) = expires_in_seconds {
                input = input.expires_in_seconds(seconds);
            }
            Operation::Create(input)
        }
        Command::Revoke { sign_in_token_id } => Operation::Revoke(sign_in_token_id),
    };
    runtime.block_on(call(cli.globals, operation))
}

/// The PEM files to trust, each with what named it: `SSL_CERT_FILE` first
/// (when set and not empty), then every `--ca-cert`.
fn trusted_pem_files(flags: &[std::path::PathBuf]) -> Vec<(&'static str, std::path::PathBuf)> {
    let mut files = Vec::new();
    if let Some(path) = std::env::var_os("SSL_CERT_FILE").filter(|p| !p.is_empty()) {
        files.push(("SSL_CERT_FILE", std::path::PathBuf::from(path)));
    }
    files.extend(flags.iter().map(|p| ("--ca-cert", p.clone())));
    files
}

/// The call to make.
enum Operation {
    Create(CreateSignInTokenRequest),
    Revoke(String),
}

/// Create or revoke: one call, printed.
async fn call(cli: Globals, operation: Operation) -> Result<(), Failure> {
    let key = if cli.mock {
        SecretKey::new(MOCK_SECRET_KEY)
    } else {
        SecretKey::from_env()
    }
    .map_err(|e| failure::secret_key(&e))?;

    // Held until the call is done; dropping it stops the embedded server.
    let mock = if cli.mock {
        let server = clerk_mock::MockClerk::default()
            .start()
            .await
            .map_err(|e| Failure::no_answer(format!("cannot start the mock server: {e}")))?;
        Some(server)
    } else {
        None
    };
    let base_url = match &mock {
        Some(server) => server.base_url(),
        None => cli.api_url,
    };

    let mut transport = HyperTransport::builder().allow_insecure_http(cli.allow_insecure_http);
    if let Some(ms) = cli.timeout_ms {
        transport = transport.request_timeout(Duration::from_millis(ms));
    }
    if mock.is_some() {
        // The embedded mock is in this process: no proxy can reach it.
        transport = transport.proxy(ProxyConfig::none());
    }
    for (origin, path) in trusted_pem_files(&cli.ca_cert) {
        let pem = std::fs::read(&path).map_err(|e| {
            Failure::usage(format!(
                "cannot read {origin} {}: {e}; nothing was sent",
                path.display()
            ))
        })?;
        transport = transport.add_root_certificates_pem(pem);
    }
    let transport = transport.build().map_err(|e| {
        Failure::usage(format!(
            "cannot set up the connection: {}; nothing was sent",
            failure::with_sources(&e)
        ))
    })?;
    let transport = LoggingTransport::new(transport, cli.verbose);

    let mut builder = Client::builder(key)
        .base_url(base_url)
        .user_agent_suffix(concat!("clerk-cli/", env!("CARGO_PKG_VERSION")))
        .timer(TokioTimer)
        .retry_policy(RetryPolicy::default().with_max_retries(cli.max_retries));
    if let Some(version) = cli.api_version {
        builder = builder.api_version(version);
    }
    let client = builder
        .build(transport)
        .map_err(|e| failure::invalid_input(&e))?;

    let result = match &operation {
        Operation::Create(input) => client.create_sign_in_token_with_http_info(input).await,
        Operation::Revoke(id) => client.revoke_sign_in_token_with_http_info(id).await,
    };
    // What the server sent is printed, so whatever it echoed of the key is
    // taken out, on stdout and stderr alike.
    let key = client.config().secret_key().expose_secret();
    let response = result.map_err(|e| {
        failure::call(
            &e,
            client.config().base_url(),
            client.transport().attempts(),
        )
        .without(key)
    })?;
    drop(mock);

    let mut line = output::render(&response, cli.include_http_info)
        .map_err(|e| Failure::no_answer(format!("cannot encode the result as JSON: {e}")))?
        .replace(key, "[redacted]");
    // As JSON writes it, in case the key holds a character JSON escapes.
    if let Ok(quoted) = serde_json::to_string(key) {
        let escaped = &quoted[1..quoted.len() - 1];
        if escaped != key {
            line = line.replace(escaped, "[redacted]");
        }
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(line.as_bytes())
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::no_answer(format!("cannot write the result to stdout: {e}")))
}
