//! `ReqwestBlockingTransport` (feature `blocking`) under clerk-core's
//! `BlockingClient`: create and revoke against clerk-mock, and every row of
//! the hostile table with the same expectations as the async transport.

mod support;

use std::time::{Duration, Instant};

use clerk_core::{
    BlockingClient, BlockingHttpTransport, Client, CreateSignInTokenRequest, SignInTokenStatus,
    TransportError,
};
use clerk_mock::{MockClerk, TokenStatus};
use clerk_reqwest::ReqwestBlockingTransport;
use clerk_test_support::e2e::{key, quick_retries};
use clerk_test_support::hostile;
use clerk_test_support::hostile::cases::{self, BODY_CAP, Case, Hostile, Op, REVOKE_ID, USER_ID};
use clerk_test_support::hostile::outcome;
use clerk_test_support::loopback;
use clerk_test_support::sentinel::KEY;

fn reqwest_client() -> reqwest::blocking::ClientBuilder {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
}

#[test]
fn create_and_revoke_against_the_mock() {
    let server = MockClerk::builder()
        .no_rate_limit()
        .build()
        .start_blocking()
        .expect("mock");
    let transport = ReqwestBlockingTransport::from(reqwest_client().build().expect("client"));
    let client = Client::builder(key())
        .base_url(server.base_url())
        .retry_policy(quick_retries())
        .build_blocking(transport)
        .expect("client");
    let created = client
        .create_sign_in_token(&CreateSignInTokenRequest::new("user_blocking"))
        .expect("create");
    assert_eq!(created.status, SignInTokenStatus::Pending);
    let revoked = client.revoke_sign_in_token(&created.id).expect("revoke");
    assert_eq!(revoked.status(), SignInTokenStatus::Revoked);
    assert_eq!(
        server.token(&created.id).expect("stored").status,
        TokenStatus::Revoked
    );
}

#[test]
fn the_default_constructor_refuses_cleartext_to_a_remote_host() {
    let transport = ReqwestBlockingTransport::new().expect("transport");
    let err = transport
        .send(loopback::request(
            "http://api.clerk.example/v1/sign_in_tokens",
        ))
        .expect_err("refused");
    assert_eq!(
        err.kind(),
        clerk_core::TransportErrorKind::InsecureScheme,
        "{err:?}"
    );
    assert!(err.is_request_not_sent() && err.is_permanent());
    assert!(!format!("{transport:?}").contains("SECRET"));
}

fn client(case: &Case, hostile: &Hostile) -> BlockingClient<ReqwestBlockingTransport> {
    let mut reqwest = reqwest_client().connect_timeout(case.timeout);
    if let Some(root) = &hostile.trust {
        let root = reqwest::Certificate::from_der(root).expect("the test CA");
        reqwest = reqwest.tls_certs_only([root]);
    }
    let transport = clerk_reqwest::ReqwestTransport::builder()
        .request_timeout(case.timeout)
        .max_body_bytes(BODY_CAP)
        .build_blocking_with(reqwest.build().expect("reqwest client"));
    Client::builder(clerk_core::SecretKey::new(KEY).expect("sentinel key"))
        .base_url(hostile.base_url())
        .retry_policy(quick_retries())
        .build_blocking(transport)
        .expect("client")
}

fn run(case: Case) {
    let hostile = case.start();
    let client = client(&case, &hostile);
    let started = Instant::now();
    let called = match case.op {
        Op::Create => {
            client.create_sign_in_token_with_http_info(&CreateSignInTokenRequest::new(USER_ID))
        }
        Op::Revoke => client.revoke_sign_in_token_with_http_info(REVOKE_ID),
    };
    let elapsed = started.elapsed();
    assert!(
        elapsed < case.max_elapsed + Duration::from_secs(3),
        "{}: the blocking client hung",
        case.name
    );
    let outcome = outcome::classify(&called, support::transport_outcome);
    hostile::judge(
        &case,
        "reqwest blocking",
        case.reqwest_expect,
        &outcome,
        elapsed,
        &hostile,
        &called,
    );
    // reqwest's blocking client must be dropped outside any runtime: here.
    drop(client);
}

macro_rules! blocking_cases {
    ($($name:ident),* $(,)?) => {
        mod hostile_table {
            use super::*;
            /// The rows this module covers.
            pub const COVERED: &[&str] = &[$(stringify!($name)),*];
            $(
                #[test]
                fn $name() {
                    run(cases::$name());
                }
            )*
        }
    };
}

clerk_test_support::with_hostile_cases!(blocking_cases);

#[test]
fn every_row_of_the_table_runs() {
    assert_eq!(hostile_table::COVERED, cases::names().as_slice());
}
