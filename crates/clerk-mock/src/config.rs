//! The mock's configuration and its builder.

use std::collections::HashSet;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::RateLimit;
use crate::server::MockServer;

/// The default `accounts` origin used to build sign-in URLs.
pub const DEFAULT_ACCOUNTS_URL: &str = "https://accounts.mock.clerk.invalid";

/// How many tokens a mock keeps by default (about 45 MB of memory when full,
/// as measured in the workspace's `BENCHMARKS.md`).
pub const DEFAULT_MAX_TOKENS: usize = 100_000;

/// How long a mock keeps a token after it expires, by default: 10 minutes.
pub const DEFAULT_EXPIRED_RETENTION: Duration = Duration::from_secs(10 * 60);

/// How many requests the admin interface's journal keeps by default.
pub const DEFAULT_REQUEST_LOG_CAPACITY: usize = 1_000;

/// Configuration of a mock Clerk: who may call it, which users exist, the
/// rate limit and where it listens.
///
/// The defaults: listen on `127.0.0.1:0`, accept any well-formed secret key
/// (`sk_test_...` or `sk_live_...`), treat every user id starting with `user_`
/// as an existing user, limit each key to 100 requests per 10 s.
///
/// ```
/// use std::time::Duration;
/// use clerk_mock::MockClerk;
///
/// let config = MockClerk::builder()
///     .users(["user_alice", "user_bob"])
///     .secret_keys(["sk_test_secret"])
///     .rate_limit(5, Duration::from_secs(1))
///     .build();
/// let server = config.start_blocking()?;
/// assert!(server.base_url().ends_with("/v1"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct MockClerk {
    pub(crate) addr: SocketAddr,
    pub(crate) users: Option<HashSet<String>>,
    pub(crate) secret_keys: Option<HashSet<String>>,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) accounts_url: String,
    pub(crate) worker_threads: usize,
    pub(crate) shutdown_grace: Duration,
    pub(crate) max_tokens: usize,
    pub(crate) expired_retention: Duration,
    pub(crate) admin: bool,
    pub(crate) request_log_capacity: usize,
    pub(crate) cors_origin: Option<String>,
}

impl Default for MockClerk {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            users: None,
            secret_keys: None,
            rate_limit: Some(RateLimit::default()),
            accounts_url: DEFAULT_ACCOUNTS_URL.to_owned(),
            worker_threads: 1,
            shutdown_grace: Duration::from_secs(3),
            max_tokens: DEFAULT_MAX_TOKENS,
            expired_retention: DEFAULT_EXPIRED_RETENTION,
            admin: false,
            request_log_capacity: DEFAULT_REQUEST_LOG_CAPACITY,
            cors_origin: None,
        }
    }
}

impl MockClerk {
    /// A builder starting from the defaults.
    pub fn builder() -> MockClerkBuilder {
        MockClerkBuilder {
            config: Self::default(),
        }
    }

    /// Binds the configured address and serves on the current tokio runtime.
    ///
    /// The server stops when the returned handle is dropped or
    /// [`MockServer::shutdown`] is awaited.
    pub async fn start(self) -> io::Result<MockServer> {
        MockServer::start(self).await
    }

    /// Binds the configured address and serves from a dedicated thread with its
    /// own tokio runtime; usable without any async runtime.
    pub fn start_blocking(self) -> io::Result<MockServer> {
        MockServer::start_blocking(self)
    }

    /// The address to bind.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Builds a [`MockClerk`]; see [`MockClerk::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct MockClerkBuilder {
    config: MockClerk,
}

impl MockClerkBuilder {
    /// The address to listen on (default `127.0.0.1:0`, an ephemeral port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.config.addr = addr;
        self
    }

    /// Listen on `127.0.0.1:port`.
    pub fn port(mut self, port: u16) -> Self {
        self.config.addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        self
    }

    /// Only these user ids exist; creating a token for any other user answers
    /// `404 resource_not_found`. Calling it again adds to the list. Without a
    /// list, every id starting with `user_` exists.
    pub fn users<I, S>(mut self, users: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config
            .users
            .get_or_insert_with(HashSet::new)
            .extend(users.into_iter().map(Into::into));
        self
    }

    /// Only these secret keys are accepted (others answer
    /// `401 authorization_invalid`). Calling it again adds to the list. Without
    /// a list, any well-formed `sk_test_...`/`sk_live_...` key is accepted.
    pub fn secret_keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config
            .secret_keys
            .get_or_insert_with(HashSet::new)
            .extend(keys.into_iter().map(Into::into));
        self
    }

    /// At most `max_requests` per `window` for each secret key (default
    /// 100 per 10 s, Clerk's development limit).
    pub fn rate_limit(mut self, max_requests: u32, window: Duration) -> Self {
        self.config.rate_limit = Some(RateLimit::new(max_requests, window));
        self
    }

    /// Turns rate limiting off (for benchmarks and load tests).
    pub fn no_rate_limit(mut self) -> Self {
        self.config.rate_limit = None;
        self
    }

    /// The origin of sign-in URLs (default [`DEFAULT_ACCOUNTS_URL`]); the URL
    /// is `<origin>/sign-in?__clerk_ticket=<token>`. A trailing `/` is ignored.
    pub fn accounts_url(mut self, origin: impl Into<String>) -> Self {
        let mut origin = origin.into();
        while origin.ends_with('/') {
            origin.pop();
        }
        self.config.accounts_url = origin;
        self
    }

    /// Worker threads of the runtime that [`MockClerk::start_blocking`] creates
    /// (default 1: a current-thread runtime). Ignored by [`MockClerk::start`].
    pub fn worker_threads(mut self, threads: usize) -> Self {
        self.config.worker_threads = threads.max(1);
        self
    }

    /// How long shutdown waits for in-flight requests before closing their
    /// connections (default 3 s).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.config.shutdown_grace = grace;
        self
    }

    /// Keep at most `max` tokens (default [`DEFAULT_MAX_TOKENS`]; at least
    /// 1). When the store is full, creating a token forgets the oldest one
    /// first (revoking it then answers `404 resource_not_found`), so a token
    /// just created can always be revoked.
    pub fn max_tokens(mut self, max: usize) -> Self {
        self.config.max_tokens = max.max(1);
        self
    }

    /// Forget a token once it has been expired for `retention` (default
    /// [`DEFAULT_EXPIRED_RETENTION`]). Until then, revoking it answers `400
    /// sign_in_token_cannot_be_revoked_code` ("...its status is expired...");
    /// afterwards `404 resource_not_found`. Accepted and revoked tokens go
    /// the same way, counted from their `expires_at`.
    pub fn expired_retention(mut self, retention: Duration) -> Self {
        self.config.expired_retention = retention;
        self
    }

    /// Serves the admin interface under `/__mock/` (default off): arm faults
    /// with `POST /__mock/faults`, read the journal of received requests
    /// (credentials redacted) with `GET /__mock/requests`, and empty
    /// everything with `POST /__mock/reset`. The crate's README describes
    /// it. Off, `/__mock/` paths are unknown routes (`404`) like any other,
    /// and nothing is journaled. The `clerk-sign-in-tokens mock-server`
    /// command turns it on.
    ///
    /// ```
    /// let config = clerk_mock::MockClerk::builder().admin(true).build();
    /// # let _ = config;
    /// ```
    pub fn admin(mut self, on: bool) -> Self {
        self.config.admin = on;
        self
    }

    /// How many of the newest requests the admin journal keeps (default
    /// [`DEFAULT_REQUEST_LOG_CAPACITY`]; each keeps at most 4 KiB of body).
    pub fn request_log_capacity(mut self, capacity: usize) -> Self {
        self.config.request_log_capacity = capacity;
        self
    }

    /// Answer CORS for `origin` (default: no CORS), so a page or web worker
    /// served from it can call the mock from a browser: preflights (`OPTIONS`
    /// with `Access-Control-Request-Method`) from that origin get `204` with
    /// `Access-Control-Allow-Methods`/`-Headers`, and every answer to that
    /// origin carries `Access-Control-Allow-Origin` and exposes
    /// `Clerk-Trace-Id`, `Retry-After` and `Allow`. `origin` is compared
    /// exactly with the `Origin` header (`http://127.0.0.1:8000`, no trailing
    /// slash); `*` allows any origin. Preflights are not counted, journaled,
    /// rate limited or subject to faults.
    ///
    /// ```
    /// let config = clerk_mock::MockClerk::builder().cors_origin("http://127.0.0.1:8000").build();
    /// # let _ = config;
    /// ```
    pub fn cors_origin(mut self, origin: impl Into<String>) -> Self {
        self.config.cors_origin = Some(origin.into());
        self
    }

    /// The finished configuration.
    #[must_use]
    pub fn build(self) -> MockClerk {
        self.config
    }
}
