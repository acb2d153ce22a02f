//! A redirect to another origin never carries the secret key.
//!
//! The transport's own client follows no redirects (the hostile table's
//! `redirect_*` rows: the target sees no connection at all). A client of
//! the user's may follow them, as reqwest's default policy does: then
//! reqwest drops `Authorization` on any hop that changes scheme, host or
//! port. These tests hold it to that, for every redirect status, with the
//! target on another port and on another host name for the same port.

use clerk_core::{Client, CreateSignInTokenRequest, SecretKey};
use clerk_reqwest::{ReqwestTransport, TokioTimer};
use clerk_test_support::e2e::bounded;
use clerk_test_support::hostile::cases::answer_token;
use clerk_test_support::hostile::server::{Server, whole};
use clerk_test_support::sentinel::{self, KEY};

const STATUSES: [&str; 5] = [
    "301 Moved Permanently",
    "302 Found",
    "303 See Other",
    "307 Temporary Redirect",
    "308 Permanent Redirect",
];

/// A client of the user's that follows redirects (reqwest's default policy).
fn following(base_url: &str) -> Client<ReqwestTransport, TokioTimer> {
    let reqwest = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::default())
        .build()
        .expect("reqwest client");
    Client::builder(SecretKey::new(KEY).expect("key"))
        .base_url(base_url)
        .timer(TokioTimer)
        .build(ReqwestTransport::from(reqwest))
        .expect("client")
}

fn bearer() -> String {
    format!("Bearer {KEY}")
}

#[tokio::test]
async fn a_redirect_to_another_port_arrives_without_the_key() {
    bounded(async {
        for status in STATUSES {
            let target = Server::plain(answer_token);
            let location = format!("{}/v1/sign_in_tokens", target.origin());
            let origin = Server::plain(move |conn, _| {
                conn.send(&whole(status, &[("Location", &location)], b""));
            });
            let token = following(&origin.base_url())
                .create_sign_in_token(&CreateSignInTokenRequest::new("user_1"))
                .await
                .unwrap_or_else(|e| panic!("{status}: {e:?}"));
            assert_eq!(token.id, "sit_sentinel", "{status}: the target answered");
            assert_eq!(origin.authorizations(), [bearer()], "{status}");
            assert_eq!(target.requests(), 1, "{status}: the redirect was followed");
            let sent_on = target.authorizations();
            assert!(
                sent_on
                    .iter()
                    .all(|a| a.is_empty() && !sentinel::has_key(a)),
                "{status}: the other origin received {sent_on:?}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_redirect_to_another_host_name_arrives_without_the_key() {
    bounded(async {
        for status in STATUSES {
            // One server, two names: 127.0.0.1 answers with a redirect to
            // localhost, which answers with the token.
            let server = Server::plain(move |conn, request| {
                if request.target.contains("hop=2") {
                    answer_token(conn, request);
                } else {
                    let port = request.host.rsplit(':').next().unwrap_or_default();
                    let location = format!("http://localhost:{port}/v1/sign_in_tokens?hop=2");
                    conn.send(&whole(status, &[("Location", &location)], b""));
                }
            });
            let token = following(&server.base_url())
                .create_sign_in_token(&CreateSignInTokenRequest::new("user_1"))
                .await
                .unwrap_or_else(|e| panic!("{status}: {e:?}"));
            assert_eq!(token.id, "sit_sentinel");
            assert_eq!(
                server.authorizations(),
                [bearer(), String::new()],
                "{status}: the second hop is another origin"
            );
        }
    })
    .await;
}
