//! The component `tests/run-hosts.sh` runs inside wasmtime and jco: a
//! `wasi:cli` command that drives clerk-wasi against a mock Clerk and checks
//! what comes back.
//!
//! Build: `cargo build -p clerk-wasi --example host_check --target wasm32-wasip2 --release`.
//!
//! Environment (set by the drivers in `tests/hosts/`):
//! - `CLERK_API_URL`: the mock's base URL, `http://127.0.0.1:PORT/v1`;
//! - `CLERK_FAULTS_URL`: the fault front's origin (`tests/hosts/faults.py`);
//!   its paths `/<run>/503/v1`, `/<run>/429/v1` and `/<run>/slow/v1` answer
//!   one 503, one 429 with `Retry-After: 1`, or wait 3 s, then pass through;
//! - `CLERK_RUN`: a name for this run, the `<run>` above (and `<run>-create`);
//! - `CLERK_CLOSED_URL`: a loopback URL where nothing listens.
//!
//! It prints one line per check (`ok <what>`), then `kept <id>` and
//! `revoked <id>` for the drivers to verify in the mock, and exits with
//! status 1 at the first failed check.

#[cfg(all(target_os = "wasi", target_env = "p2"))]
fn main() {
    if let Err(failure) = checks::run() {
        println!("FAIL {failure}");
        std::process::exit(1);
    }
    println!("PASS");
}

#[cfg(not(all(target_os = "wasi", target_env = "p2")))]
fn main() {
    eprintln!("host_check is a WASI 0.2 component: build it with --target wasm32-wasip2");
    std::process::exit(2);
}

#[cfg(all(target_os = "wasi", target_env = "p2"))]
mod checks {
    use std::time::Duration;

    use clerk_core::{
        Client, CreateSignInTokenRequest, RetryPolicy, SecretKey, SignInTokenStatus, TransportError,
    };
    use clerk_wasi::{Error, WasiTimer, WasiTransport};

    /// A key the mock accepts; it must never show up in any output.
    const KEY: &str = "sk_test_WASI_SENTINEL_7f3a";
    /// A key the mock refuses with 401.
    const BAD_KEY: &str = "not_a_clerk_key_WASI_SENTINEL";

    type Outcome = Result<(), String>;

    fn env(name: &str) -> Result<String, String> {
        std::env::var(name).map_err(|_| format!("{name} is not set"))
    }

    fn ensure(condition: bool, what: impl FnOnce() -> String) -> Outcome {
        if condition { Ok(()) } else { Err(what()) }
    }

    /// Debug and Display of an error never carry a secret.
    fn no_secret(what: &str, text: String) -> Outcome {
        ensure(!text.contains("SENTINEL"), || {
            format!("{what}: a secret leaked into an error")
        })?;
        ensure(!text.contains("eyJ"), || format!("{what}: a ticket leaked"))
    }

    /// The transport's own error inside a client error.
    fn transport(err: &clerk_core::Error<Error>) -> Option<&Error> {
        match err {
            clerk_core::Error::Transport(failure) => Some(failure.get_ref()),
            _ => None,
        }
    }

    pub(crate) fn run() -> Outcome {
        let api = env("CLERK_API_URL")?;
        let faults = env("CLERK_FAULTS_URL")?;
        let run = env("CLERK_RUN")?;
        let closed = env("CLERK_CLOSED_URL")?;
        let key = || SecretKey::new(KEY).map_err(|e| e.to_string());

        // The one-liner, pointed at the mock.
        let client = clerk_wasi::blocking_client_with(Client::builder(key()?).base_url(&api))
            .map_err(|e| e.to_string())?;

        let kept = client
            .create_sign_in_token(
                &CreateSignInTokenRequest::new("user_wasi").expires_in_seconds(600),
            )
            .map_err(|e| format!("create: {e}"))?;
        ensure(kept.status == SignInTokenStatus::Pending, || {
            format!("create: status {:?}", kept.status)
        })?;
        ensure(kept.token.is_some() && kept.url.is_some(), || {
            "create: no token or url".into()
        })?;
        no_secret("token Debug", format!("{kept:?}"))?;
        println!("ok create");
        println!("kept {}", kept.id);

        let doomed = client
            .create_sign_in_token(&CreateSignInTokenRequest::new("user_wasi"))
            .map_err(|e| format!("create: {e}"))?;
        let revoked = client
            .revoke_sign_in_token(&doomed.id)
            .map_err(|e| format!("revoke: {e}"))?;
        let answered = revoked
            .sign_in_token()
            .ok_or("revoke: no answer from Clerk")?;
        ensure(
            answered.status == SignInTokenStatus::Revoked && answered.token.is_none(),
            || format!("revoke: status {:?}", answered.status),
        )?;
        println!("ok revoke");
        println!("revoked {}", doomed.id);

        // 400: revoking twice.
        let err = client
            .revoke_sign_in_token(&doomed.id)
            .expect_err("revoking twice must fail");
        ensure(err.status().map(|s| s.as_u16()) == Some(400), || {
            format!("revoke twice: {err}")
        })?;
        ensure(
            err.codes()
                .any(|c| c == "sign_in_token_cannot_be_revoked_code"),
            || format!("revoke twice: codes {:?}", err.codes().collect::<Vec<_>>()),
        )?;
        ensure(err.clerk_trace_id().is_some(), || {
            "400 without a trace id".into()
        })?;
        println!("ok 400 revoke twice");

        // 404: an unknown id.
        let err = client
            .revoke_sign_in_token("sit_wasi_missing")
            .expect_err("an unknown id must fail");
        ensure(err.status().map(|s| s.as_u16()) == Some(404), || {
            format!("revoke unknown: {err}")
        })?;
        ensure(err.codes().any(|c| c == "resource_not_found"), || {
            format!("404: codes {:?}", err.codes().collect::<Vec<_>>())
        })?;
        println!("ok 404 unknown id");

        // 401: a key the mock refuses; the key appears nowhere.
        let bad = SecretKey::new(BAD_KEY).map_err(|e| e.to_string())?;
        let bad_client = clerk_wasi::blocking_client_with(Client::builder(bad).base_url(&api))
            .map_err(|e| e.to_string())?;
        let err = bad_client
            .create_sign_in_token(&CreateSignInTokenRequest::new("user_wasi"))
            .expect_err("a bad key must fail");
        ensure(err.status().map(|s| s.as_u16()) == Some(401), || {
            format!("bad key: {err}")
        })?;
        ensure(err.codes().any(|c| c == "authorization_invalid"), || {
            format!("401: codes {:?}", err.codes().collect::<Vec<_>>())
        })?;
        no_secret("401", format!("{err} {err:?} {bad_client:?}"))?;
        println!("ok 401 bad key");

        // Retries. Create is retried over a 429 (Clerk did not act on it),
        // after the Retry-After: 1 the front sends.
        let flaky = |run: &str, fault: &str| -> Result<_, String> {
            clerk_wasi::blocking_client_with(
                Client::builder(key()?).base_url(format!("{faults}/{run}/{fault}/v1")),
            )
            .map_err(|e| e.to_string())
        };
        let retried = flaky(&run, "429")?
            .create_sign_in_token(&CreateSignInTokenRequest::new("user_wasi"))
            .map_err(|e| format!("create over a 429: {e}"))?;
        println!("ok retry over 429");
        println!("kept {}", retried.id);

        // Revoke is retried over a 503.
        let revoked = flaky(&run, "503")?
            .revoke_sign_in_token(&retried.id)
            .map_err(|e| format!("revoke over a 503: {e}"))?;
        ensure(revoked.status() == SignInTokenStatus::Revoked, || {
            "revoke over a 503: not revoked".into()
        })?;
        println!("ok retry over 503");
        println!("revoked {}", retried.id);

        // Create is not retried over a 503: it may have reached Clerk.
        let err = flaky(&format!("{run}-create"), "503")?
            .create_sign_in_token(&CreateSignInTokenRequest::new("user_wasi"))
            .expect_err("a create over a 503 must fail");
        ensure(err.status().map(|s| s.as_u16()) == Some(503), || {
            format!("create over a 503: {err}")
        })?;
        println!("ok no retry of a create over 503");

        // Nothing listens: known not sent, whatever the host's code.
        let refused = Client::builder(key()?)
            .base_url(&closed)
            .retry_policy(RetryPolicy::never())
            .build_blocking(WasiTransport::new())
            .map_err(|e| e.to_string())?
            .with_timer(WasiTimer);
        let err = refused
            .create_sign_in_token(&CreateSignInTokenRequest::new("user_wasi"))
            .expect_err("nothing listens");
        let source =
            transport(&err).ok_or_else(|| format!("refused: not a transport error: {err}"))?;
        ensure(source.is_request_not_sent(), || {
            format!("refused: {source} is not known unsent ({source:?})")
        })?;
        no_secret("refused", format!("{err} {err:?}"))?;
        println!("ok connection refused is not sent: {}", source.kind());

        // The guest's own deadline: the slow path waits 3 s, the deadline is 0.5 s.
        let slow = Client::builder(key()?)
            .base_url(format!("{faults}/{run}/slow/v1"))
            .retry_policy(RetryPolicy::never())
            .build_blocking(
                WasiTransport::builder()
                    .request_timeout(Duration::from_millis(500))
                    .build()
                    .map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?
            .with_timer(WasiTimer);
        let err = slow
            .revoke_sign_in_token("sit_wasi_slow")
            .expect_err("the deadline must end the call");
        let source =
            transport(&err).ok_or_else(|| format!("slow: not a transport error: {err}"))?;
        // The guest's deadline and the host's first-byte timeout (asked for
        // through request-options) are the same 0.5 s: either may fire first.
        ensure(source.is_timeout() && !source.is_request_not_sent(), || {
            format!("slow: {source:?}")
        })?;
        println!("ok deadline: {source}");

        // The body cap: a 404 body is longer than 64 bytes.
        let capped = Client::builder(key()?)
            .base_url(&api)
            .build_blocking(
                WasiTransport::builder()
                    .max_body_bytes(64)
                    .build()
                    .map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?
            .with_timer(WasiTimer);
        let err = capped
            .revoke_sign_in_token("sit_wasi_missing")
            .expect_err("the cap must end the call");
        ensure(
            transport(&err).map(Error::kind) == Some(clerk_core::TransportErrorKind::BodyTooLarge),
            || format!("cap: {err:?}"),
        )?;
        println!("ok body cap");
        Ok(())
    }
}
