//! The workspace's hostile-server table (`clerk_test_support::hostile`)
//! against clerk-core's async `Client` over `ReqwestTransport`: one test
//! per row, judged like the hyper, blocking and CLI clients (outcome, bound
//! on the call, what the server saw, nothing secret in what the result
//! shows), against the row's `reqwest_expect`.

mod support;

use std::time::{Duration, Instant};

use clerk_core::{Client, CreateSignInTokenRequest, RetryPolicy, SecretKey};
use clerk_reqwest::{ReqwestTransport, TokioTimer};
use clerk_test_support::hostile;
use clerk_test_support::hostile::cases::{self, BODY_CAP, Case, Hostile, Op, REVOKE_ID, USER_ID};
use clerk_test_support::hostile::outcome;
use clerk_test_support::sentinel::KEY;

fn client(case: &Case, hostile: &Hostile) -> Client<ReqwestTransport, TokioTimer> {
    let mut reqwest = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(case.timeout)
        .no_proxy();
    if let Some(root) = &hostile.trust {
        let root = reqwest::Certificate::from_der(root).expect("the test CA");
        reqwest = reqwest.tls_certs_only([root]);
    }
    let transport = ReqwestTransport::builder()
        .request_timeout(case.timeout)
        .max_body_bytes(BODY_CAP)
        .build_with(reqwest.build().expect("reqwest client"));
    Client::builder(SecretKey::new(KEY).expect("sentinel key"))
        .base_url(hostile.base_url())
        .retry_policy(
            RetryPolicy::default()
                .with_initial_backoff(Duration::from_millis(20))
                .with_max_backoff(Duration::from_millis(100)),
        )
        .timer(TokioTimer)
        .build(transport)
        .expect("client")
}

async fn run(case: Case) {
    let hostile = case.start();
    let client = client(&case, &hostile);
    let started = Instant::now();
    let call = async {
        match case.op {
            Op::Create => {
                client
                    .create_sign_in_token_with_http_info(&CreateSignInTokenRequest::new(USER_ID))
                    .await
            }
            Op::Revoke => client.revoke_sign_in_token_with_http_info(REVOKE_ID).await,
        }
    };
    let hard_deadline = case.max_elapsed + Duration::from_secs(3);
    let called = tokio::time::timeout(hard_deadline, call)
        .await
        .unwrap_or_else(|_| panic!("{}: the reqwest client hung past its deadline", case.name));
    let elapsed = started.elapsed();
    let outcome = outcome::classify(&called, support::transport_outcome);
    hostile::judge(
        &case,
        "reqwest",
        case.reqwest_expect,
        &outcome,
        elapsed,
        &hostile,
        &called,
    );
}

macro_rules! reqwest_cases {
    ($($name:ident),* $(,)?) => {
        /// The rows this file covers.
        const COVERED: &[&str] = &[$(stringify!($name)),*];
        $(
            #[tokio::test]
            async fn $name() {
                run(cases::$name()).await;
            }
        )*
    };
}

clerk_test_support::with_hostile_cases!(reqwest_cases);

#[test]
fn every_row_of_the_table_runs() {
    assert_eq!(COVERED, cases::names().as_slice());
}

#[test]
fn every_row_where_reqwest_differs_says_why() {
    for case in cases::ALL.iter().map(|case| case()) {
        let differs = case.reqwest_expect != case.async_expect;
        assert_eq!(
            differs,
            case.reqwest_differs.is_some(),
            "{}: a different expectation needs a reason, and a reason a difference",
            case.name
        );
    }
}
