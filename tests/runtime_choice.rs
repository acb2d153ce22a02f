//! A transport chosen at run time, from configuration, used from a
//! multi-threaded service: kept as
//! `Arc<dyn SendDynHttpTransport + Send + Sync>`, its
//! client's calls are `tokio::spawn`ed (which needs their futures to be
//! `Send`: with `DynHttpTransport`, whose boxed futures are not, this file
//! does not compile), against clerk-mock over loopback.

use std::sync::Arc;

use clerk_core::{Client, CreateSignInTokenRequest, SendDynHttpTransport, SignInTokenStatus};
use clerk_mock::MockClerk;
use clerk_test_support::e2e::{bounded, key};

type SharedTransport = Arc<dyn SendDynHttpTransport + Send + Sync>;

/// The transport a configuration names.
fn transport_from_config(name: &str) -> SharedTransport {
    match name {
        "hyper" => Arc::new(
            clerk_hyper::HyperTransport::builder()
                .proxy(clerk_hyper::ProxyConfig::none())
                .build()
                .expect("hyper"),
        ),
        "reqwest" => Arc::new(
            clerk_reqwest::ReqwestTransport::builder().build_with(
                clerk_reqwest::reqwest::Client::builder()
                    .no_proxy()
                    .build()
                    .expect("reqwest"),
            ),
        ),
        "tower" => {
            use clerk_hyper::hyper_util::client::legacy::Client as HyperClient;
            use clerk_hyper::hyper_util::client::legacy::connect::HttpConnector;
            use clerk_hyper::hyper_util::rt::TokioExecutor;
            let hyper =
                HyperClient::builder(TokioExecutor::new())
                    .build::<_, http_body_util::Full<bytes::Bytes>>(HttpConnector::new());
            let stack = tower::ServiceBuilder::new()
                .layer(tower_http::trace::TraceLayer::new_for_http())
                .concurrency_limit(2)
                .service(hyper);
            Arc::new(clerk_tower::TowerTransport::new(stack))
        }
        other => panic!("no transport named {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transport_picked_from_configuration_serves_spawned_calls() {
    bounded(async {
        let server = MockClerk::builder()
            .no_rate_limit()
            .build()
            .start()
            .await
            .expect("mock");
        // Read at run time, as a configuration would be.
        let configured: Vec<String> = std::env::var("CLERK_TEST_TRANSPORTS")
            .unwrap_or_else(|_| "hyper,reqwest,tower".to_owned())
            .split(',')
            .map(str::to_owned)
            .collect();
        for name in configured {
            let transport = transport_from_config(&name);
            let client: Arc<Client<SharedTransport, clerk_hyper::TokioTimer>> = Arc::new(
                Client::builder(key())
                    .base_url(server.base_url())
                    .timer(clerk_hyper::TokioTimer)
                    .build(transport)
                    .expect("client"),
            );
            let tasks: Vec<_> = (0..3)
                .map(|i| {
                    let client = Arc::clone(&client);
                    let user = format!("user_{name}_{i}");
                    tokio::spawn(async move {
                        let token = client
                            .create_sign_in_token(&CreateSignInTokenRequest::new(user.as_str()))
                            .await
                            .expect("create");
                        assert_eq!(token.user_id, user);
                        let revoked = client
                            .revoke_sign_in_token(&token.id)
                            .await
                            .expect("revoke");
                        assert_eq!(revoked.status(), SignInTokenStatus::Revoked);
                        revoked.sign_in_token_id().to_owned()
                    })
                })
                .collect();
            let mut revoked = Vec::new();
            for task in tasks {
                revoked.push(task.await.expect("the spawned call"));
            }
            revoked.sort();
            revoked.dedup();
            assert_eq!(revoked.len(), 3, "{name}: {revoked:?}");
        }
        assert_eq!(server.request_count(), 18);
        server.shutdown().await;
    })
    .await;
}
