//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Text shown after the options in `--help`.
const AFTER_HELP: &str = "\
Environment:
  CLERK_SECRET_KEY  the secret key (sk_test_... or sk_live_...); read only from
                    the environment, never from a flag. Not needed with --mock.
  CLERK_API_URL     same as --api-url
  HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY (or lower case)
                    the proxy to reach the API through, and the hosts that
                    bypass it (not used with --mock). Only http:// proxies;
                    https goes through them in a CONNECT tunnel, and plain
                    http only to a loopback host.
  SSL_CERT_FILE     a PEM bundle of CA certificates to trust besides the
                    bundled roots, as with --ca-cert

Output:
  create and revoke print the sign-in token as one JSON object on one line,
  token and url included (that is what the command is for): treat stdout as a
  secret. With --include-http-info it is wrapped as
  {\"status\": 200, \"headers\": {...}, \"data\": {...}}.

Exit codes:
  0  success
  1  Clerk answered with an error (status, codes, messages and trace id on stderr)
  2  usage or local validation error; nothing was sent
  3  no valid answer: connect, TLS or timeout failure, body too large,
     undecodable body, a non-Clerk answer (such as an HTML 502 from a proxy),
     or a local I/O failure (mock-server cannot listen, stdout closed)";

#[derive(Debug, Parser)]
#[command(
    name = "clerk-sign-in-tokens",
    version,
    about = "Create and revoke Clerk sign-in tokens through the Backend API, or run a local mock of it.",
    after_help = AFTER_HELP,
    max_term_width = 100
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) globals: Globals,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The options every subcommand accepts, before or after its name.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Global options (create and revoke)")]
pub(crate) struct Globals {
    /// Base URL of the Backend API, path prefix included, e.g.
    /// https://api.clerk.com/v1 or http://127.0.0.1:PORT/v1 (a local
    /// mock-server). Plain http is refused for hosts other than loopback.
    #[arg(
        long,
        global = true,
        env = "CLERK_API_URL",
        value_name = "URL",
        default_value = clerk_core::DEFAULT_BASE_URL
    )]
    pub(crate) api_url: String,

    /// The Clerk-API-Version header to send [default: the version clerk-core
    /// is written against]
    #[arg(long, global = true, value_name = "V")]
    pub(crate) api_version: Option<String>,

    /// Deadline for each attempt, from connecting to the last byte, in
    /// milliseconds [default: 10000]
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) timeout_ms: Option<u64>,

    /// Retries after the first attempt. Create is retried only when Clerk
    /// cannot have acted on it (429, or the request never left); revoke also
    /// on 408, 5xx and lost connections.
    #[arg(long, global = true, value_name = "N", default_value_t = 2)]
    pub(crate) max_retries: u32,

    /// Print {"status", "headers", "data"} instead of the bare token
    #[arg(long, global = true)]
    pub(crate) include_http_info: bool,

    /// Run against a mock Clerk started inside this process (fixed key
    /// sk_test_mock; CLERK_SECRET_KEY, --api-url and CLERK_API_URL are
    /// ignored)
    #[arg(long, global = true)]
    pub(crate) mock: bool,

    /// Allow plain http to hosts other than loopback. The secret key then
    /// crosses the network in cleartext: only behind a TLS-terminating proxy
    /// you trust.
    #[arg(long, global = true)]
    pub(crate) allow_insecure_http: bool,

    /// Also trust the CA certificates in this PEM file (a private or
    /// corporate CA), besides the bundled roots; may be repeated.
    /// SSL_CERT_FILE, when set, is read the same way.
    #[arg(long, global = true, value_name = "PEM")]
    pub(crate) ca_cert: Vec<PathBuf>,

    /// Log one line per HTTP attempt to stderr: method, path, status,
    /// duration and Clerk-Trace-Id (never the key, the token or the url)
    #[arg(short = 'v', long = "verbose", global = true)]
    pub(crate) verbose: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create a sign-in token for a user (POST /sign_in_tokens)
    Create {
        /// The user the token signs in (user_...)
        #[arg(long, value_name = "ID")]
        user_id: String,
        /// An organization to activate when the user signs in (org_...)
        #[arg(long, value_name = "ID")]
        org_id: Option<String>,
        /// Lifetime of the token in seconds, at least 1 [default: Clerk's, 30 days]
        #[arg(long, value_name = "N")]
        expires_in_seconds: Option<u64>,
    },
    /// Revoke a pending sign-in token (POST /sign_in_tokens/{id}/revoke)
    Revoke {
        /// The token to revoke (sit_...)
        #[arg(value_name = "SIGN_IN_TOKEN_ID")]
        sign_in_token_id: String,
    },
    /// Serve a mock of the API on 127.0.0.1 until SIGINT or SIGTERM
    #[command(
        long_about = "Serve an in-memory mock of the sign-in tokens API on 127.0.0.1 until SIGINT \
                      (Ctrl-C) or SIGTERM, then exit 0.\n\n\
                      The first line on stdout is `listening on http://127.0.0.1:PORT`. The API \
                      lives under /v1: point clients at http://127.0.0.1:PORT/v1, e.g.\n  \
                      clerk-sign-in-tokens --api-url http://127.0.0.1:PORT/v1 create --user-id user_1\n\n\
                      Any well-formed sk_test_/sk_live_ key is accepted, and every user id \
                      starting with user_ exists.\n\n\
                      The admin interface (on unless --no-admin) arms faults and shows what \
                      was received, over HTTP:\n  \
                      curl -X POST http://127.0.0.1:PORT/__mock/faults -d '[{\"status\":503,\"times\":2}]'\n  \
                      curl http://127.0.0.1:PORT/__mock/requests\n  \
                      curl -X POST http://127.0.0.1:PORT/__mock/reset\n\
                      See clerk-mock's README for the fault fields."
    )]
    MockServer(MockServerArgs),
}

/// The options of `mock-server`.
#[derive(Debug, clap::Args)]
pub(crate) struct MockServerArgs {
    /// Port to listen on; 0 picks a free one
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) port: u16,

    /// Requests allowed per 10 s for each secret key; 0 means unlimited
    /// [default: 100, Clerk's development limit]
    #[arg(long, value_name = "N")]
    pub(crate) rate_limit: Option<u32>,

    /// Once listening, write the port (digits and a newline) to this file,
    /// atomically: a script that sees the file can connect
    #[arg(long, value_name = "PATH")]
    pub(crate) port_file: Option<std::path::PathBuf>,

    /// Tokens kept at most (at least 1); when full, creating a token
    /// forgets the oldest
    #[arg(long, value_name = "N", default_value_t = clerk_mock::DEFAULT_MAX_TOKENS)]
    pub(crate) max_tokens: usize,

    /// Seconds a token is kept after it expires (revoking it meanwhile
    /// answers 400 "...status is expired"; afterwards 404)
    #[arg(long, value_name = "SECS", default_value_t = clerk_mock::DEFAULT_EXPIRED_RETENTION.as_secs())]
    pub(crate) keep_expired_secs: u64,

    /// Turn the admin interface under /__mock/ off (then those paths are
    /// unknown routes, 404)
    #[arg(long)]
    pub(crate) no_admin: bool,

    /// Requests kept in the admin journal (GET /__mock/requests), newest
    /// first to stay
    #[arg(long, value_name = "N", default_value_t = clerk_mock::DEFAULT_REQUEST_LOG_CAPACITY)]
    pub(crate) max_logged_requests: usize,

    /// On SIGTERM or SIGINT, how long in-flight responses may take to
    /// finish before their connections are closed, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    pub(crate) shutdown_grace_ms: u64,

    /// Answer CORS for this origin (e.g. http://127.0.0.1:8000, or * for
    /// any), so browser pages and web workers served from it can call the
    /// mock: preflights get 204, answers carry Access-Control-Allow-*
    /// [default: no CORS]
    #[arg(long, value_name = "ORIGIN", value_parser = parse_origin)]
    pub(crate) cors: Option<String>,
}

/// `*`, or an origin as browsers send it: `http` or `https`, a host, an
/// optional port, and nothing after.
fn parse_origin(value: &str) -> Result<String, String> {
    if value == "*" {
        return Ok(value.to_owned());
    }
    let expected = "expected an origin such as http://127.0.0.1:8000 (scheme, host and \
                    port only), or *";
    let rest = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"))
        .ok_or_else(|| format!("{expected}: the scheme must be http or https"))?;
    let authority: clerk_core::http::uri::Authority = rest
        .parse()
        .map_err(|_| format!("{expected}: {rest:?} is not a host[:port]"))?;
    if authority.as_str().contains('@') || authority.host().is_empty() {
        return Err(format!("{expected}: {rest:?} is not a host[:port]"));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn cors_takes_an_origin_or_a_star() {
        for ok in [
            "*",
            "http://127.0.0.1:8000",
            "https://app.example.com",
            "http://[::1]:9",
        ] {
            assert_eq!(parse_origin(ok).as_deref(), Ok(ok));
        }
        for bad in [
            "",
            "127.0.0.1:8000",
            "ftp://x",
            "http://",
            "http://x/",
            "http://x/path",
            "http://user@x",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad:?}");
        }
    }
}
