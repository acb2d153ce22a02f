//! Private CAs given as PEM, and the names a local server goes by: `[::1]`
//! and `localhost`.

use clerk_core::HttpTransport;
use clerk_hyper::{HyperTransport, ProxyConfig};

use crate::support::*;
use crate::tls::{ca, expect_tls_refusal, https, issued, leaf_params, tls_server_on};

#[tokio::test]
async fn a_private_ca_is_refused_by_default_and_trusted_once_given_as_pem() {
    let ca = ca("clerk-hyper private ca");
    let (l, _) = listener().await;
    let addr = tls_server_on(issued(&ca, leaf_params(&["localhost"])), l);
    let uri = https(addr, "localhost");

    // The default roots (bundled) do not know the private CA.
    let default = fast_builder().build().expect("default build");
    expect_tls_refusal(&default, &uri).await;

    // The same CA as a PEM bundle, next to an unrelated certificate.
    let other = ca_pem_of_another();
    let bundle = format!("{other}{}", ca.pem);
    let trusting = fast_builder()
        .add_root_certificates_pem(bundle)
        .build()
        .expect("build with the PEM bundle");
    let response = trusting.send(request(&uri)).await.expect("trusted");
    assert_eq!(response.status(), 200);
}

fn ca_pem_of_another() -> String {
    ca("some other ca").pem
}

#[test]
fn a_pem_bundle_without_certificates_fails_the_build() {
    for bad in [
        &b""[..],
        b"not pem at all",
        b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    ] {
        let err = HyperTransport::builder()
            .add_root_certificates_pem(bad)
            .build()
            .expect_err("refused");
        assert!(err.to_string().contains("PEM"), "{err}");
    }
}

#[tokio::test]
async fn https_to_the_ipv6_loopback_address() {
    let l = match tokio::net::TcpListener::bind("[::1]:0").await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("skipped: this machine has no ::1 ({e})");
            return;
        }
    };
    let ca = ca("clerk-hyper ipv6 ca");
    let addr = tls_server_on(issued(&ca, leaf_params(&["::1"])), l);
    let transport = fast_builder()
        .proxy(ProxyConfig::none())
        .tls_built_in_roots(false)
        .add_root_certificates_pem(ca.pem.clone())
        .build()
        .expect("build");
    let uri = format!("https://[::1]:{}/v1/sign_in_tokens", addr.port());
    let response = transport.send(request(&uri)).await.expect("https to [::1]");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn plain_http_to_localhost_by_name() {
    let addr = hyper_server().await;
    let transport = fast_builder()
        .proxy(ProxyConfig::none())
        .build()
        .expect("build");
    let uri = format!("http://localhost:{}/v1/sign_in_tokens", addr.port());
    let response = transport
        .send(request(&uri))
        .await
        .expect("http to localhost");
    assert_eq!(response.status(), 200);
    assert_eq!(response.body().as_ref(), b"hello over HTTP/1.1");
}
