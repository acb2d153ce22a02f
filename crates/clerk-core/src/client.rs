//! Thin drivers: request, transport, response, retry, in a loop. Async over
//! any [`HttpTransport`], blocking over any [`BlockingHttpTransport`].

use std::fmt;
use std::time::Duration;

use crate::config::{Config, ConfigBuilder};
use crate::error::{CallTimeout, Error, InvalidInput, TransportFailure};
use crate::limits::DEFAULT_CALL_TIMEOUT;
use crate::model::{ApiResponse, CreateSignInTokenRequest, Revocation, SignInToken};
use crate::retry::{Jitter, Operation, RetryDecision, RetryPolicy};
use crate::secret::SecretKey;
use crate::timer::{BlockingTimer, NoTimer, ThreadSleep, Timer};
use crate::transport::{
    BlockingHttpTransport, HttpRequest, HttpResponse, HttpTransport, TransportError,
};
use crate::{request, response, trace};

/// The async client for Clerk's sign-in tokens.
///
/// Generic over the transport `T` and the timer `S` that paces retries.
/// clerk-core owns no runtime, so the client can only wait between retries on
/// a timer you give it; [`Client::builder`] therefore makes you choose
/// ([`ClientBuilder::timer`] or [`ClientBuilder::without_retries`]) before it
/// builds, and [`retry_policy`](Self::retry_policy) always reports what the
/// client really does. Adapter crates offer a one-liner with their timer in
/// place (`clerk_hyper::client(secret_key)`). Its futures are `Send` whenever
/// the transport's and timer's are. Cloning is cheap when `T` and `S` are.
///
/// ```
/// use clerk_core::{test_util::MockTransport, Client, CreateSignInTokenRequest, SecretKey};
///
/// let transport = MockTransport::new();
/// transport.push_json(200, r#"{"object":"sign_in_token","id":"sit_1","status":"pending","user_id":"user_1","token":"eyJ.a.b","url":"https://x/?__clerk_ticket=eyJ.a.b","created_at":1,"updated_at":1}"#);
/// let client = Client::builder(SecretKey::new("sk_test_x").unwrap())
///     .without_retries()
///     .build(&transport)
///     .unwrap();
/// let token = futures_executor::block_on(
///     client.create_sign_in_token(&CreateSignInTokenRequest::new("user_1")),
/// ).unwrap();
/// assert_eq!(token.id, "sit_1");
/// assert_eq!(transport.requests()[0].uri(), "https://api.clerk.com/v1/sign_in_tokens");
/// ```
#[derive(Clone)]
pub struct Client<T, S> {
    transport: T,
    timer: S,
    core: Core,
}

impl<T, S> fmt::Debug for Client<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.core.config)
            .field("retry", &self.core.retry)
            .finish_non_exhaustive()
    }
}

impl Client<(), NoTimer> {
    /// Starts building a client that authenticates with `secret_key`.
    ///
    /// Give it a timer ([`ClientBuilder::timer`]) or say
    /// [`without_retries`](ClientBuilder::without_retries) before
    /// [`build`](ClientBuilder::build); [`build_blocking`](ClientBuilder::build_blocking)
    /// needs neither, since a thread can always sleep.
    ///
    /// ```
    /// use clerk_core::{Client, SecretKey};
    /// let client = Client::builder(SecretKey::new("sk_test_x").unwrap())
    ///     .base_url("http://127.0.0.1:4010/v1")
    ///     .without_retries()
    ///     .build(clerk_core::test_util::MockTransport::new())
    ///     .unwrap();
    /// assert_eq!(client.config().base_url(), "http://127.0.0.1:4010/v1");
    /// assert_eq!(client.retry_policy().max_retries(), 0);
    /// ```
    ///
    /// Forgetting the choice does not compile:
    ///
    /// ```compile_fail,E0599
    /// use clerk_core::{Client, SecretKey};
    /// let client = Client::builder(SecretKey::new("sk_test_x").unwrap())
    ///     .build(clerk_core::test_util::MockTransport::new());
    /// ```
    pub fn builder(secret_key: SecretKey) -> ClientBuilder<TimerUnset> {
        ClientBuilder {
            config: Config::builder(secret_key),
            retry: RetryPolicy::default(),
            call_timeout: Some(DEFAULT_CALL_TIMEOUT),
            timer: TimerUnset,
        }
    }
}

impl<T, S: Timer> Client<T, S> {
    /// A client with `config`, the default retry policy and `timer`. A timer
    /// that cannot sleep ([`NoTimer`]) makes the policy
    /// [`RetryPolicy::never`].
    ///
    /// ```
    /// use clerk_core::{Client, Config, NoTimer, SecretKey};
    /// let config = Config::new(SecretKey::new("sk_test_x").unwrap());
    /// let client = Client::new(config, clerk_core::test_util::MockTransport::new(), NoTimer);
    /// assert_eq!(client.retry_policy().max_retries(), 0);
    /// ```
    pub fn new(config: Config, transport: T, timer: S) -> Self {
        let retry = honest(RetryPolicy::default(), &timer);
        Self {
            core: Core::new(
                config,
                retry,
                timer.random_seed(),
                Some(DEFAULT_CALL_TIMEOUT),
            ),
            transport,
            timer,
        }
    }

    /// Replaces the retry policy. With a timer that cannot sleep the policy
    /// stays [`RetryPolicy::never`], since such a client cannot retry.
    ///
    /// ```
    /// use clerk_core::{Client, Config, RetryPolicy, SecretKey, Timer};
    /// struct Now;
    /// impl Timer for Now { async fn sleep(&self, _: std::time::Duration) {} }
    /// let config = Config::new(SecretKey::new("sk_test_x").unwrap());
    /// let client = Client::new(config, (), Now).with_retry_policy(RetryPolicy::new().with_max_retries(5));
    /// assert_eq!(client.retry_policy().max_retries(), 5);
    /// ```
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.core.retry = honest(retry, &self.timer);
        self
    }

    /// Replaces the whole-call deadline (see
    /// [`ClientBuilder::call_timeout`]); `None` turns it off.
    ///
    /// ```
    /// use std::time::Duration;
    /// use clerk_core::{Client, Config, NoTimer, SecretKey};
    /// let client = Client::new(Config::new(SecretKey::new("sk_test_x").unwrap()), (), NoTimer)
    ///     .with_call_timeout(Duration::from_secs(5));
    /// assert_eq!(client.call_timeout(), Some(Duration::from_secs(5)));
    /// ```
    pub fn with_call_timeout(mut self, call_timeout: impl Into<Option<Duration>>) -> Self {
        self.core.call_timeout = call_timeout.into();
        self
    }
}

/// The policy a client with `timer` really follows.
fn honest(retry: RetryPolicy, timer: &impl Timer) -> RetryPolicy {
    if timer.can_sleep() {
        retry
    } else {
        RetryPolicy::never()
    }
}

impl<T, S> Client<T, S> {
    /// The shared configuration.
    ///
    /// ```
    /// use clerk_core::{Client, Config, NoTimer, SecretKey};
    /// let client = Client::new(Config::new(SecretKey::new("sk_test_x").unwrap()), (), NoTimer);
    /// assert_eq!(client.config().api_version(), Some("2026-05-12"));
    /// ```
    pub fn config(&self) -> &Config {
        &self.core.config
    }

    /// The transport.
    ///
    /// ```
    /// use clerk_core::{Client, Config, NoTimer, SecretKey};
    /// let client = Client::new(Config::new(SecretKey::new("sk_test_x").unwrap()), 7u8, NoTimer);
    /// assert_eq!(*client.transport(), 7);
    /// ```
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The timer.
    ///
    /// ```
    /// use clerk_core::{Client, Config, NoTimer, SecretKey, Timer};
    /// let client = Client::new(Config::new(SecretKey::new("sk_test_x").unwrap()), (), NoTimer);
    /// assert!(!client.timer().can_sleep());
    /// ```
    pub fn timer(&self) -> &S {
        &self.timer
    }

    /// The retry policy this client follows.
    ///
    /// ```
    /// use clerk_core::{Client, Config, SecretKey, Timer};
    /// struct Now;
    /// impl Timer for Now { async fn sleep(&self, _: std::time::Duration) {} }
    /// let client = Client::new(Config::new(SecretKey::new("sk_test_x").unwrap()), (), Now);
    /// assert_eq!(client.retry_policy().max_retries(), 2);
    /// ```
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.core.retry
    }

    /// The whole-call deadline: attempts and the waits between them
    /// together (default [`DEFAULT_CALL_TIMEOUT`], 30 s).
    ///
    /// ```
    /// use clerk_core::{Client, Config, NoTimer, SecretKey, DEFAULT_CALL_TIMEOUT};
    /// let client = Client::new(Config::new(SecretKey::new("sk_test_x").unwrap()), (), NoTimer);
    /// assert_eq!(client.call_timeout(), Some(DEFAULT_CALL_TIMEOUT));
    /// ```
    pub fn call_timeout(&self) -> Option<Duration> {
        self.core.call_timeout
    }
}

impl<T: HttpTransport, S: Timer> Client<T, S> {
    /// Creates a sign-in token (`POST /sign_in_tokens`).
    ///
    /// Retried only when Clerk cannot have acted on it (429, or a transport
    /// failure before sending), since create is not idempotent.
    ///
    /// See [`Client`] for an example.
    pub async fn create_sign_in_token(
        &self,
        input: &CreateSignInTokenRequest,
    ) -> Result<SignInToken, Error<T::Error>> {
        self.create_sign_in_token_with_http_info(input)
            .await
            .map(|r| r.data)
    }

    /// Like [`create_sign_in_token`](Self::create_sign_in_token), with the
    /// status and headers of the final response.
    ///
    /// ```
    /// use clerk_core::{test_util::MockTransport, Client, CreateSignInTokenRequest, SecretKey};
    /// let transport = MockTransport::new();
    /// transport.push_json(200, r#"{"object":"sign_in_token","id":"sit_1","status":"pending","user_id":"u","created_at":1,"updated_at":1}"#);
    /// let client = Client::builder(SecretKey::new("sk_test_x").unwrap()).without_retries().build(&transport).unwrap();
    /// let info = futures_executor::block_on(
    ///     client.create_sign_in_token_with_http_info(&CreateSignInTokenRequest::new("u")),
    /// ).unwrap();
    /// assert_eq!(info.status, 200);
    /// assert_eq!(info.headers["content-type"], "application/json");
    /// ```
    pub async fn create_sign_in_token_with_http_info(
        &self,
        input: &CreateSignInTokenRequest,
    ) -> Result<ApiResponse<SignInToken>, Error<T::Error>> {
        self.execute(Operation::CreateSignInToken, || {
            request::create_sign_in_token(&self.core.config, input)
        })
        .await
    }

    /// Revokes a pending sign-in token
    /// (`POST /sign_in_tokens/{sign_in_token_id}/revoke`).
    ///
    /// Retried on 408, 429, 5xx and transport failures. When an attempt took
    /// effect but its answer was lost, the retry meets a token that is
    /// already revoked and Clerk answers `400
    /// sign_in_token_cannot_be_revoked_code`; that is this call's success,
    /// returned as [`Revocation::RevokedByEarlierAttempt`]. A token that was
    /// accepted or had expired is still an [`Error::Api`].
    ///
    /// ```
    /// use clerk_core::{test_util::MockTransport, Client, SecretKey, SignInTokenStatus};
    /// let transport = MockTransport::new();
    /// transport.push_json(200, r#"{"object":"sign_in_token","id":"sit_1","status":"revoked","user_id":"u","url":null,"created_at":1,"updated_at":2}"#);
    /// let client = Client::builder(SecretKey::new("sk_test_x").unwrap()).without_retries().build(&transport).unwrap();
    /// let revoked = futures_executor::block_on(client.revoke_sign_in_token("sit_1")).unwrap();
    /// assert_eq!(revoked.status(), SignInTokenStatus::Revoked);
    /// assert_eq!(revoked.sign_in_token().unwrap().id, "sit_1");
    /// ```
    pub async fn revoke_sign_in_token(
        &self,
        sign_in_token_id: &str,
    ) -> Result<Revocation, Error<T::Error>> {
        revocation(
            sign_in_token_id,
            self.revoke_sign_in_token_with_http_info(sign_in_token_id)
                .await,
        )
    }

    /// Like [`revoke_sign_in_token`](Self::revoke_sign_in_token), with the
    /// status and headers of the final response. Here the answer to a retry
    /// that found the token revoked by an earlier attempt stays an
    /// [`Error::Api`], flagged by [`Error::is_revoked_by_earlier_attempt`].
    ///
    /// ```
    /// use clerk_core::{test_util::MockTransport, Client, SecretKey};
    /// let transport = MockTransport::new();
    /// transport.push_json(200, r#"{"object":"sign_in_token","id":"sit_1","status":"revoked","user_id":"u","created_at":1,"updated_at":2}"#);
    /// let client = Client::builder(SecretKey::new("sk_test_x").unwrap()).without_retries().build(&transport).unwrap();
    /// let info = futures_executor::block_on(client.revoke_sign_in_token_with_http_info("sit_1")).unwrap();
    /// assert_eq!(info.data.id, "sit_1");
    /// ```
    pub async fn revoke_sign_in_token_with_http_info(
        &self,
        sign_in_token_id: &str,
    ) -> Result<ApiResponse<SignInToken>, Error<T::Error>> {
        self.execute(Operation::RevokeSignInToken, || {
            request::revoke_sign_in_token(&self.core.config, sign_in_token_id)
        })
        .await
    }

    async fn execute(
        &self,
        operation: Operation,
        build: impl Fn() -> Result<HttpRequest, InvalidInput>,
    ) -> Result<ApiResponse<SignInToken>, Error<T::Error>> {
        let call = trace::Call::start(operation);
        let mut state = CallState::new(self.timer.now());
        let run = async {
            loop {
                let request = build()?;
                let remaining = self.core.remaining(&state, || self.timer.now());
                let sent = self.transport.send_within(request, remaining).await;
                state.attempts += 1;
                match self
                    .core
                    .next(operation, &mut state, sent, || self.timer.now())
                {
                    Next::Return(result) => return result,
                    Next::Wait(wait, why) => {
                        call.retry(state.attempts, &why, wait);
                        self.timer.sleep(wait).await;
                    }
                }
            }
        };
        let result = call.instrument(run).await;
        call.finish(state.attempts, self.core.secret(), &result);
        result
    }
}

/// The one-line revoke's answer: a retry that found the token revoked by an
/// earlier attempt of the same call is that call's success.
fn revocation<E>(
    sign_in_token_id: &str,
    result: Result<ApiResponse<SignInToken>, Error<E>>,
) -> Result<Revocation, Error<E>> {
    match result {
        Ok(response) => Ok(Revocation::Revoked(response.data)),
        Err(Error::Api(answer)) if answer.revoked_by_earlier_attempt() => {
            Ok(Revocation::RevokedByEarlierAttempt {
                sign_in_token_id: sign_in_token_id.to_owned(),
                answer,
            })
        }
        Err(error) => Err(error),
    }
}

/// What one call has learnt so far.
struct CallState {
    /// The clock when the call started; `None` without a clock.
    started: Option<Duration>,
    /// Attempts sent so far.
    attempts: u32,
    /// Whether an attempt failed in a way that may have reached Clerk and
    /// taken effect (its answer lost, or a 5xx).
    may_have_acted: bool,
}

impl CallState {
    fn new(started: Option<Duration>) -> Self {
        Self {
            started,
            attempts: 0,
            may_have_acted: false,
        }
    }

    /// Time since the call started, when there is a clock.
    fn elapsed(&self, now: Option<Duration>) -> Option<Duration> {
        Some(now?.saturating_sub(self.started?))
    }
}

/// How much sooner than the call's deadline an attempt's timeout may be
/// seen and still count as that deadline: the transport's timer and the
/// client's clock round differently (whole milliseconds in JavaScript).
const DEADLINE_SLACK: Duration = Duration::from_millis(5);

/// What both clients share, and the one step of their loop that does no I/O:
/// read the attempt's outcome, then return it or decide how long to wait.
#[derive(Clone)]
struct Core {
    config: Config,
    retry: RetryPolicy,
    jitter: Jitter,
    call_timeout: Option<Duration>,
}

// A stack temporary handed straight back to the caller: boxing the large
// variant would cost an allocation on every call to save a move.
#[allow(clippy::large_enum_variant)]
enum Next<E> {
    Return(Result<ApiResponse<SignInToken>, Error<E>>),
    /// Wait this long, then send again; what to tell `tracing` about why.
    Wait(Duration, trace::Retry),
}

impl Core {
    fn new(config: Config, retry: RetryPolicy, seed: u64, call_timeout: Option<Duration>) -> Self {
        Self {
            config,
            retry,
            jitter: Jitter::seeded(seed),
            call_timeout,
        }
    }

    /// The secret key, for `tracing` to keep out of what it records.
    fn secret(&self) -> &str {
        self.config.secret_key().expose_secret()
    }

    /// What is left of the call's deadline for the next attempt, for the
    /// transport to end the attempt by then. Without a clock (a timer whose
    /// `now` is `None`) every attempt is handed the whole of it: each
    /// attempt is bound, and the retry policy bounds how many there are.
    ///
    /// The clock is read only from the second attempt on: the first has the
    /// whole deadline, and most calls make one attempt.
    fn remaining(
        &self,
        state: &CallState,
        now: impl FnOnce() -> Option<Duration>,
    ) -> Option<Duration> {
        let budget = self.call_timeout?;
        if state.attempts == 0 {
            return Some(budget);
        }
        let spent = state.elapsed(now()).unwrap_or(Duration::ZERO);
        Some(budget.saturating_sub(spent))
    }

    /// `now` reads the clock; it is called only when the attempt failed.
    fn next<E: TransportError>(
        &self,
        operation: Operation,
        state: &mut CallState,
        sent: Result<HttpResponse, E>,
        now: impl FnOnce() -> Option<Duration>,
    ) -> Next<E> {
        let mut error = match sent {
            Ok(response) => match response::sign_in_token(&response) {
                Ok(data) => {
                    let (parts, _) = response.into_parts();
                    return Next::Return(Ok(ApiResponse::new(parts.status, parts.headers, data)));
                }
                Err(e) => e.with_transport(),
            },
            Err(e) => Error::Transport(TransportFailure::new(e)),
        };
        if operation == Operation::RevokeSignInToken && state.may_have_acted {
            if let Error::Api(api) = &mut error {
                if api.says_already_revoked() {
                    api.revoked_by_earlier_attempt = true;
                    return Next::Return(Err(error));
                }
            }
        }
        state.may_have_acted |= may_have_acted(&error);
        let elapsed = state.elapsed(now());
        if let (Some(budget), Some(elapsed)) = (self.call_timeout, elapsed) {
            if elapsed + DEADLINE_SLACK >= budget {
                if let Error::Transport(failure) = error {
                    if failure.is_timeout() {
                        let timeout = CallTimeout::new(budget, state.attempts);
                        return Next::Return(Err(Error::CallTimeout(Box::new(
                            timeout.with_failure(failure),
                        ))));
                    }
                    error = Error::Transport(failure);
                }
            }
        }
        let retries_done = state.attempts.saturating_sub(1);
        match self
            .retry
            .decide(operation, retries_done, &error, self.jitter.next())
        {
            RetryDecision::Retry(wait) => {
                // A wait that ends past the call's deadline leaves no time
                // for the attempt after it: return now.
                if let (Some(budget), Some(elapsed)) = (self.call_timeout, elapsed) {
                    if elapsed.saturating_add(wait) >= budget {
                        return Next::Return(Err(error));
                    }
                }
                Next::Wait(wait, trace::Retry::of(&error))
            }
            RetryDecision::Stop => Next::Return(Err(error)),
        }
    }
}

/// Whether a failed attempt may have reached Clerk and taken effect: a
/// transport failure not known to be unsent (the answer was lost), or a 5xx
/// (Clerk, or a proxy in front of it, failed after the request arrived).
fn may_have_acted<E>(error: &Error<E>) -> bool {
    match error {
        Error::Transport(t) => !t.request_not_sent(),
        Error::Api(_) | Error::UnexpectedResponse(_) => {
            error.status().is_some_and(|s| s.is_server_error())
        }
        _ => false,
    }
}

/// Builds a [`Client`] or a [`BlockingClient`].
///
/// `S` is the timer chosen so far: [`TimerUnset`] until
/// [`timer`](Self::timer) or [`without_retries`](Self::without_retries) is
/// called, and only then does [`build`](Self::build) exist.
///
/// ```
/// use clerk_core::{Client, SecretKey};
/// let err = Client::builder(SecretKey::new("sk_test_x").unwrap())
///     .base_url("not a url")
///     .build_blocking(())
///     .unwrap_err();
/// assert_eq!(err.field(), "base_url");
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder<S = TimerUnset> {
    config: ConfigBuilder,
    retry: RetryPolicy,
    call_timeout: Option<Duration>,
    timer: S,
}

impl<S> ClientBuilder<S> {
    /// See [`ConfigBuilder::base_url`].
    ///
    /// ```
    /// let b = clerk_core::Client::builder(clerk_core::SecretKey::new("sk_test_x").unwrap())
    ///     .base_url("https://gateway.example/clerk/v1");
    /// assert_eq!(b.build_blocking(()).unwrap().config().base_url(), "https://gateway.example/clerk/v1");
    /// ```
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.config = self.config.base_url(base_url);
        self
    }

    /// See [`ConfigBuilder::api_version`].
    ///
    /// ```
    /// let b = clerk_core::Client::builder(clerk_core::SecretKey::new("sk_test_x").unwrap())
    ///     .api_version("2025-11-10");
    /// assert_eq!(b.build_blocking(()).unwrap().config().api_version(), Some("2025-11-10"));
    /// ```
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.config = self.config.api_version(version);
        self
    }

    /// See [`ConfigBuilder::no_api_version`].
    ///
    /// ```
    /// let b = clerk_core::Client::builder(clerk_core::SecretKey::new("sk_test_x").unwrap())
    ///     .no_api_version();
    /// assert_eq!(b.build_blocking(()).unwrap().config().api_version(), None);
    /// ```
    pub fn no_api_version(mut self) -> Self {
        self.config = self.config.no_api_version();
        self
    }

    /// See [`ConfigBuilder::user_agent_suffix`].
    ///
    /// ```
    /// let b = clerk_core::Client::builder(clerk_core::SecretKey::new("sk_test_x").unwrap())
    ///     .user_agent_suffix("svc/1");
    /// assert!(b.build_blocking(()).unwrap().config().user_agent().ends_with("svc/1"));
    /// ```
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.config = self.config.user_agent_suffix(suffix);
        self
    }

    /// The retry policy (default: [`RetryPolicy::default`]). After
    /// [`without_retries`](Self::without_retries) the async client ignores it
    /// and reports [`RetryPolicy::never`].
    ///
    /// ```
    /// use clerk_core::RetryPolicy;
    /// let b = clerk_core::Client::builder(clerk_core::SecretKey::new("sk_test_x").unwrap())
    ///     .retry_policy(RetryPolicy::new().with_max_retries(4));
    /// assert_eq!(b.build_blocking(()).unwrap().retry_policy().max_retries(), 4);
    /// ```
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The timer that paces the async client's retries.
    ///
    /// ```
    /// use clerk_core::Timer;
    /// struct Now;
    /// impl Timer for Now { async fn sleep(&self, _: std::time::Duration) {} }
    /// let client = clerk_core::Client::builder(clerk_core::SecretKey::new("sk_test_x").unwrap())
    ///     .timer(Now)
    ///     .build(())
    ///     .unwrap();
    /// assert!(client.timer().can_sleep());
    /// assert_eq!(client.retry_policy().max_retries(), 2);
    /// ```
    pub fn timer<S2: Timer>(self, timer: S2) -> ClientBuilder<S2> {
        ClientBuilder {
            config: self.config,
            retry: self.retry,
            call_timeout: self.call_timeout,
            timer,
        }
    }

    /// The deadline on a whole call: every attempt and the waits between
    /// them (default [`DEFAULT_CALL_TIMEOUT`], 30 s; `None` for none, when
    /// each attempt's own deadline and the retry policy are bound enough).
    ///
    /// Each attempt is handed what is left of it
    /// ([`HttpTransport::send_within`]), and every adapter's transport ends
    /// the attempt by then; a wait that would end past it is not started,
    /// and the last error is returned instead. An attempt cut short by it
    /// fails with [`Error::CallTimeout`].
    ///
    /// ```
    /// use std::time::Duration;
    /// let client = clerk_core::Client::builder(clerk_core::SecretKey::new("sk_test_x").unwrap())
    ///     .call_timeout(Duration::from_secs(8))
    ///     .build_blocking(())
    ///     .unwrap();
    /// assert_eq!(client.call_timeout(), Some(Duration::from_secs(8)));
    /// ```
    pub fn call_timeout(mut self, call_timeout: impl Into<Option<Duration>>) -> Self {
        self.call_timeout = call_timeout.into();
        self
    }

    /// Builds an async client that makes one attempt per call and never
    /// retries; its [`retry_policy`](Client::retry_policy) says so.
    ///
    /// ```
    /// let client = clerk_core::Client::builder(clerk_core::SecretKey::new("sk_test_x").unwrap())
    ///     .without_retries()
    ///     .build(())
    ///     .unwrap();
    /// assert_eq!(client.retry_policy().max_retries(), 0);
    /// ```
    pub fn without_retries(self) -> ClientBuilder<NoTimer> {
        ClientBuilder {
            config: self.config,
            retry: RetryPolicy::never(),
            call_timeout: self.call_timeout,
            timer: NoTimer,
        }
    }

    /// Checks the settings and builds the blocking client over `transport`;
    /// it waits between retries with [`std::thread::sleep`].
    ///
    /// See [`BlockingClient`] for an example.
    pub fn build_blocking<T>(self, transport: T) -> Result<BlockingClient<T>, InvalidInput> {
        Ok(BlockingClient {
            transport,
            timer: ThreadSleep,
            core: Core::new(
                self.config.build()?,
                self.retry,
                ThreadSleep.random_seed(),
                self.call_timeout,
            ),
        })
    }
}

impl<S: Timer> ClientBuilder<S> {
    /// Checks the settings and builds the async client over `transport`.
    /// Exists once a timer was given or retries were turned off.
    ///
    /// See [`Client`] for an example.
    pub fn build<T>(self, transport: T) -> Result<Client<T, S>, InvalidInput> {
        Ok(Client {
            core: Core::new(
                self.config.build()?,
                honest(self.retry, &self.timer),
                self.timer.random_seed(),
                self.call_timeout,
            ),
            transport,
            timer: self.timer,
        })
    }
}

/// The state of a [`ClientBuilder`] before a timer was chosen: an async
/// client cannot be built from it yet.
///
/// ```
/// let builder: clerk_core::ClientBuilder<clerk_core::TimerUnset> =
///     clerk_core::Client::builder(clerk_core::SecretKey::new("sk_test_x").unwrap());
/// # let _ = builder;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct TimerUnset;

/// The blocking client: the same calls over a [`BlockingHttpTransport`],
/// waiting between retries on a [`BlockingTimer`] ([`std::thread::sleep`] by
/// default).
///
/// ```
/// use clerk_core::{test_util::MockTransport, Client, SecretKey};
/// let transport = MockTransport::new();
/// transport.push_json(404, r#"{"errors":[{"message":"not found","long_message":"Resource not found","code":"resource_not_found"}]}"#);
/// let client = Client::builder(SecretKey::new("sk_test_x").unwrap())
///     .build_blocking(&transport)
///     .unwrap();
/// let err = client.revoke_sign_in_token("sit_missing").unwrap_err();
/// assert_eq!(err.codes().next(), Some("resource_not_found"));
/// ```
#[derive(Clone)]
pub struct BlockingClient<T, B = ThreadSleep> {
    transport: T,
    timer: B,
    core: Core,
}

impl<T, B> fmt::Debug for BlockingClient<T, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingClient")
            .field("config", &self.core.config)
            .field("retry", &self.core.retry)
            .finish_non_exhaustive()
    }
}

impl<T> BlockingClient<T> {
    /// A blocking client with `config` and the default retry policy.
    ///
    /// ```
    /// use clerk_core::{BlockingClient, Config, SecretKey};
    /// let client = BlockingClient::new(Config::new(SecretKey::new("sk_test_x").unwrap()), ());
    /// assert_eq!(client.retry_policy().max_retries(), 2);
    /// ```
    pub fn new(config: Config, transport: T) -> Self {
        Self {
            transport,
            timer: ThreadSleep,
            core: Core::new(
                config,
                RetryPolicy::default(),
                ThreadSleep.random_seed(),
                Some(DEFAULT_CALL_TIMEOUT),
            ),
        }
    }
}

impl<T, B> BlockingClient<T, B> {
    /// Replaces the clock that paces retries (a closure `Fn(Duration)` works).
    ///
    /// ```
    /// use clerk_core::{BlockingClient, Config, SecretKey};
    /// let client = BlockingClient::new(Config::new(SecretKey::new("sk_test_x").unwrap()), ())
    ///     .with_timer(|_wait: std::time::Duration| {});
    /// # let _ = client;
    /// ```
    pub fn with_timer<B2: BlockingTimer>(self, timer: B2) -> BlockingClient<T, B2> {
        let mut core = self.core;
        core.jitter = Jitter::seeded(timer.random_seed());
        BlockingClient {
            transport: self.transport,
            timer,
            core,
        }
    }

    /// Replaces the whole-call deadline (see
    /// [`ClientBuilder::call_timeout`]); `None` turns it off.
    ///
    /// ```
    /// use clerk_core::{BlockingClient, Config, SecretKey};
    /// let client = BlockingClient::new(Config::new(SecretKey::new("sk_test_x").unwrap()), ())
    ///     .with_call_timeout(None);
    /// assert_eq!(client.call_timeout(), None);
    /// ```
    pub fn with_call_timeout(mut self, call_timeout: impl Into<Option<Duration>>) -> Self {
        self.core.call_timeout = call_timeout.into();
        self
    }

    /// The whole-call deadline; see [`Client::call_timeout`].
    ///
    /// ```
    /// use clerk_core::{BlockingClient, Config, SecretKey};
    /// let client = BlockingClient::new(Config::new(SecretKey::new("sk_test_x").unwrap()), ());
    /// assert_eq!(client.call_timeout(), Some(clerk_core::DEFAULT_CALL_TIMEOUT));
    /// ```
    pub fn call_timeout(&self) -> Option<Duration> {
        self.core.call_timeout
    }

    /// Replaces the retry policy.
    ///
    /// ```
    /// use clerk_core::{BlockingClient, Config, RetryPolicy, SecretKey};
    /// let client = BlockingClient::new(Config::new(SecretKey::new("sk_test_x").unwrap()), ())
    ///     .with_retry_policy(RetryPolicy::never());
    /// assert_eq!(client.retry_policy().max_retries(), 0);
    /// ```
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.core.retry = retry;
        self
    }

    /// The shared configuration.
    ///
    /// ```
    /// use clerk_core::{BlockingClient, Config, SecretKey};
    /// let client = BlockingClient::new(Config::new(SecretKey::new("sk_test_x").unwrap()), ());
    /// assert_eq!(client.config().base_url(), "https://api.clerk.com/v1");
    /// ```
    pub fn config(&self) -> &Config {
        &self.core.config
    }

    /// The transport.
    ///
    /// ```
    /// use clerk_core::{BlockingClient, Config, SecretKey};
    /// let client = BlockingClient::new(Config::new(SecretKey::new("sk_test_x").unwrap()), 3u8);
    /// assert_eq!(*client.transport(), 3);
    /// ```
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The retry policy.
    ///
    /// ```
    /// use clerk_core::{BlockingClient, Config, SecretKey};
    /// let client = BlockingClient::new(Config::new(SecretKey::new("sk_test_x").unwrap()), ());
    /// assert_eq!(client.retry_policy().max_retry_after().as_secs(), 30);
    /// ```
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.core.retry
    }
}

impl<T: BlockingHttpTransport, B: BlockingTimer> BlockingClient<T, B> {
    /// Creates a sign-in token; see [`Client::create_sign_in_token`].
    ///
    /// ```
    /// use clerk_core::{test_util::MockTransport, Client, CreateSignInTokenRequest, SecretKey};
    /// let transport = MockTransport::new();
    /// transport.push_json(200, r#"{"object":"sign_in_token","id":"sit_1","status":"pending","user_id":"u","created_at":1,"updated_at":1}"#);
    /// let client = Client::builder(SecretKey::new("sk_test_x").unwrap()).build_blocking(&transport).unwrap();
    /// assert_eq!(client.create_sign_in_token(&CreateSignInTokenRequest::new("u")).unwrap().id, "sit_1");
    /// ```
    pub fn create_sign_in_token(
        &self,
        input: &CreateSignInTokenRequest,
    ) -> Result<SignInToken, Error<T::Error>> {
        self.create_sign_in_token_with_http_info(input)
            .map(|r| r.data)
    }

    /// Creates a sign-in token, with the status and headers.
    ///
    /// ```
    /// use clerk_core::{test_util::MockTransport, Client, CreateSignInTokenRequest, SecretKey};
    /// let transport = MockTransport::new();
    /// transport.push_json(200, r#"{"object":"sign_in_token","id":"sit_1","status":"pending","user_id":"u","created_at":1,"updated_at":1}"#);
    /// let client = Client::builder(SecretKey::new("sk_test_x").unwrap()).build_blocking(&transport).unwrap();
    /// let info = client.create_sign_in_token_with_http_info(&CreateSignInTokenRequest::new("u")).unwrap();
    /// assert_eq!(info.status, 200);
    /// ```
    pub fn create_sign_in_token_with_http_info(
        &self,
        input: &CreateSignInTokenRequest,
    ) -> Result<ApiResponse<SignInToken>, Error<T::Error>> {
        self.execute(Operation::CreateSignInToken, || {
            request::create_sign_in_token(&self.core.config, input)
        })
    }

    /// Revokes a pending sign-in token; see [`Client::revoke_sign_in_token`].
    ///
    /// See [`BlockingClient`] for an example.
    pub fn revoke_sign_in_token(
        &self,
        sign_in_token_id: &str,
    ) -> Result<Revocation, Error<T::Error>> {
        revocation(
            sign_in_token_id,
            self.revoke_sign_in_token_with_http_info(sign_in_token_id),
        )
    }

    /// Revokes a pending sign-in token, with the status and headers.
    ///
    /// ```
    /// use clerk_core::{test_util::MockTransport, Client, SecretKey};
    /// let transport = MockTransport::new();
    /// transport.push_json(200, r#"{"object":"sign_in_token","id":"sit_1","status":"revoked","user_id":"u","created_at":1,"updated_at":2}"#);
    /// let client = Client::builder(SecretKey::new("sk_test_x").unwrap()).build_blocking(&transport).unwrap();
    /// assert_eq!(client.revoke_sign_in_token_with_http_info("sit_1").unwrap().status, 200);
    /// ```
    pub fn revoke_sign_in_token_with_http_info(
        &self,
        sign_in_token_id: &str,
    ) -> Result<ApiResponse<SignInToken>, Error<T::Error>> {
        self.execute(Operation::RevokeSignInToken, || {
            request::revoke_sign_in_token(&self.core.config, sign_in_token_id)
        })
    }

    fn execute(
        &self,
        operation: Operation,
        build: impl Fn() -> Result<HttpRequest, InvalidInput>,
    ) -> Result<ApiResponse<SignInToken>, Error<T::Error>> {
        let call = trace::Call::start(operation);
        let mut state = CallState::new(self.timer.now());
        let result = call.in_scope(|| {
            loop {
                let request = build()?;
                let remaining = self.core.remaining(&state, || self.timer.now());
                let sent = self.transport.send_within(request, remaining);
                state.attempts += 1;
                match self
                    .core
                    .next(operation, &mut state, sent, || self.timer.now())
                {
                    Next::Return(result) => return result,
                    Next::Wait(wait, why) => {
                        call.retry(state.attempts, &why, wait);
                        self.timer.sleep(wait);
                    }
                }
            }
        });
        call.finish(state.attempts, self.core.secret(), &result);
        result
    }
}
