//! Proxies are the reqwest client's business, and this transport keeps out
//! of its way: create and revoke run against clerk-mock through a loopback
//! proxy that records what it carried, `CONNECT` tunnels for `https` (the
//! mock behind a TLS front) and forwarded requests for plain `http`.
//!
//! - `proxies_set_on_the_client_builder`: `reqwest::Proxy` set in code;
//! - `the_environment_variables_choose_the_proxy`: `HTTPS_PROXY`,
//!   `HTTP_PROXY` and `NO_PROXY`, which reqwest reads when a client is
//!   built. Changing the environment of a running multi-threaded test
//!   process is not safe, so the test runs this file's ignored
//!   `child_through_the_environment` in a process of its own, with the
//!   variables set there from the start.

use std::process::{Command, Stdio};
use std::time::Duration;

use clerk_core::{Client, CreateSignInTokenRequest, SignInTokenStatus};
use clerk_mock::{MockClerk, MockServer, TokenStatus};
use clerk_reqwest::{ReqwestTransport, TokioTimer};
use clerk_test_support::certs::Ca;
use clerk_test_support::cli;
use clerk_test_support::e2e::{bounded, key};
use clerk_test_support::proxy::{Proxy, tls_front};

/// Where the child finds what the parent started.
const SETUP_VAR: &str = "CLERK_REQWEST_PROXY_TEST";

/// A mock, a TLS front before it, and a proxy; the three base URLs a client
/// can take: through the proxy over `http` and over `https`, and one that
/// `NO_PROXY` sends around it.
struct Setup {
    mock: MockServer,
    proxy: Proxy,
    ca: Ca,
    http_via_proxy: String,
    https_via_proxy: String,
    direct: String,
}

async fn setup() -> Setup {
    let mock = MockClerk::builder()
        .no_rate_limit()
        .build()
        .start()
        .await
        .expect("mock");
    let proxy = Proxy::start().await;
    let ca = Ca::new("proxy test CA");
    let front = tls_front(ca.leaf(&["localhost"]), mock.addr()).await;
    let port = mock.addr().port();
    Setup {
        http_via_proxy: format!("http://localhost:{port}/v1"),
        https_via_proxy: format!("https://localhost:{}/v1", front.port()),
        direct: format!("http://127.0.0.1:{port}/v1"),
        mock,
        proxy,
        ca,
    }
}

fn client(base_url: &str, transport: ReqwestTransport) -> Client<ReqwestTransport, TokioTimer> {
    Client::builder(key())
        .base_url(base_url)
        .timer(TokioTimer)
        .build(transport)
        .expect("client")
}

/// Creates and revokes a token through `client`; returns the token's id.
async fn create_and_revoke(client: &Client<ReqwestTransport, TokioTimer>) -> String {
    let created = client
        .create_sign_in_token(&CreateSignInTokenRequest::new("user_proxy"))
        .await
        .expect("create");
    let revoked = client
        .revoke_sign_in_token(&created.id)
        .await
        .expect("revoke");
    assert_eq!(revoked.status(), SignInTokenStatus::Revoked);
    created.id
}

/// What the proxy must have logged for a create and a revoke of `id`
/// forwarded to `base`, in order.
fn forwarded(base: &str, id: &str) -> [String; 2] {
    [
        format!("POST {base}/sign_in_tokens HTTP/1.1"),
        format!("POST {base}/sign_in_tokens/{id}/revoke HTTP/1.1"),
    ]
}

fn tunnels(seen: &[String], https_base: &str) -> usize {
    let authority = https_base
        .trim_start_matches("https://")
        .trim_end_matches("/v1");
    let connect = format!("CONNECT {authority} HTTP/1.1");
    seen.iter().filter(|line| **line == connect).count()
}

#[tokio::test]
async fn proxies_set_on_the_client_builder() {
    bounded(async {
        let s = setup().await;
        let no_proxy = reqwest::NoProxy::from_string("127.0.0.1");
        let reqwest = reqwest::Client::builder()
            .proxy(
                reqwest::Proxy::all(s.proxy.url())
                    .expect("proxy url")
                    .no_proxy(no_proxy),
            )
            .tls_certs_only([reqwest::Certificate::from_der(&s.ca.cert).expect("CA")])
            .build()
            .expect("reqwest client");
        let transport = ReqwestTransport::from(reqwest);

        let over_http = create_and_revoke(&client(&s.http_via_proxy, transport.clone())).await;
        let over_https = create_and_revoke(&client(&s.https_via_proxy, transport.clone())).await;
        let direct = create_and_revoke(&client(&s.direct, transport)).await;

        let seen = s.proxy.seen();
        let plain: Vec<&String> = seen.iter().filter(|l| l.starts_with("POST ")).collect();
        let expected = forwarded(&s.http_via_proxy, &over_http);
        assert_eq!(plain, expected.iter().collect::<Vec<_>>(), "{seen:?}");
        assert!(tunnels(&seen, &s.https_via_proxy) >= 1, "{seen:?}");
        assert!(
            !seen.iter().any(|l| l.contains("127.0.0.1")),
            "NO_PROXY was ignored: {seen:?}"
        );
        for id in [over_http, over_https, direct] {
            let stored = s.mock.token(&id).expect("the mock has the token");
            assert_eq!(stored.status, TokenStatus::Revoked);
        }
    })
    .await;
}

#[tokio::test]
async fn the_environment_variables_choose_the_proxy() {
    bounded(async {
        let s = setup().await;
        let ca_hex: String = s.ca.cert.iter().map(|b| format!("{b:02x}")).collect();
        let plan = [
            s.http_via_proxy.as_str(),
            &s.https_via_proxy,
            &s.direct,
            &ca_hex,
        ]
        .join(" ");
        let mut child = Command::new(std::env::current_exe().expect("this test binary"));
        child
            .args(["--exact", "child_through_the_environment", "--ignored"])
            .args(["--nocapture", "--test-threads", "1"])
            .env(SETUP_VAR, plan)
            .env("HTTPS_PROXY", s.proxy.url())
            .env("HTTP_PROXY", s.proxy.url())
            .env("NO_PROXY", "127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for other in [
            "ALL_PROXY",
            "all_proxy",
            "https_proxy",
            "http_proxy",
            "no_proxy",
            "REQUEST_METHOD",
        ] {
            child.env_remove(other);
        }
        let run = tokio::task::spawn_blocking(move || {
            let mut child = child.spawn().expect("spawn the child test");
            let (stdout, stderr) = cli::drain(&mut child);
            let status = cli::wait_bounded(&mut child, Duration::from_secs(12));
            (status, cli::join(stdout), cli::join(stderr))
        })
        .await
        .expect("the child's waiter");
        let (status, stdout, stderr) = run;
        let status = status.expect("the child test ran past its deadline");
        assert!(
            status.success() && stdout.contains("1 passed"),
            "the child test failed ({status})\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        );

        let seen = s.proxy.seen();
        let plain: Vec<&String> = seen.iter().filter(|l| l.starts_with("POST ")).collect();
        assert_eq!(plain.len(), 2, "{seen:?}");
        let id = plain[1]
            .trim_end_matches("/revoke HTTP/1.1")
            .rsplit('/')
            .next()
            .expect("an id in the revoke path");
        let expected = forwarded(&s.http_via_proxy, id);
        assert_eq!(plain, expected.iter().collect::<Vec<_>>(), "{seen:?}");
        assert!(tunnels(&seen, &s.https_via_proxy) >= 1, "{seen:?}");
        assert!(
            !seen.iter().any(|l| l.contains("127.0.0.1")),
            "NO_PROXY was ignored: {seen:?}"
        );
        assert_eq!(
            s.mock.token(id).expect("stored").status,
            TokenStatus::Revoked
        );
        // Two calls each way: over http, over https, and direct.
        assert_eq!(s.mock.request_count(), 6);
    })
    .await;
}

/// Runs only in the process `the_environment_variables_choose_the_proxy`
/// starts, with the proxy variables set and the plan in [`SETUP_VAR`].
#[tokio::test]
#[ignore = "run by the_environment_variables_choose_the_proxy, in a process with the proxy variables set"]
async fn child_through_the_environment() {
    let plan = std::env::var(SETUP_VAR).expect("started by the parent test");
    let [http_via_proxy, https_via_proxy, direct, ca_hex] = plan
        .split(' ')
        .collect::<Vec<_>>()
        .try_into()
        .expect("four parts");
    let ca: Vec<u8> = (0..ca_hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&ca_hex[i..i + 2], 16).expect("hex"))
        .collect();
    // The crate's own default client: the environment decides its proxy.
    let defaults = ReqwestTransport::new().expect("default transport");
    create_and_revoke(&client(http_via_proxy, defaults.clone())).await;
    create_and_revoke(&client(direct, defaults)).await;
    // A client of the user's own, with a private root: so does it.
    let mine = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_der(&ca).expect("CA")])
        .build()
        .expect("reqwest client");
    create_and_revoke(&client(https_via_proxy, ReqwestTransport::from(mine))).await;
}
