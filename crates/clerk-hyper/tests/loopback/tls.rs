//! HTTPS on loopback with certificates made at test time by rcgen.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clerk_core::TransportErrorKind;
use clerk_core::{HttpTransport, TransportError};
use clerk_hyper::{Error, HyperTransport};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::support::*;

/// A test CA and a way to issue leaf certificates from it.
pub(crate) struct Ca {
    pub(crate) der: CertificateDer<'static>,
    pub(crate) pem: String,
    issuer: Issuer<'static, KeyPair>,
}

pub(crate) fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().expect("ca key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params.self_signed(&key).expect("ca cert");
    Ca {
        der: cert.der().clone(),
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

/// A leaf for `names` (DNS names; "127.0.0.1" becomes an IP SAN).
pub(crate) fn leaf_params(names: &[&str]) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("leaf params");
    for name in names {
        let san = match name.parse::<IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName((*name).try_into().expect("dns name")),
        };
        params.subject_alt_names.push(san);
    }
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params
}

pub(crate) struct ServerCert {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

pub(crate) fn issued(ca: &Ca, params: CertificateParams) -> ServerCert {
    let key = KeyPair::generate().expect("leaf key");
    let cert = params.signed_by(&key, &ca.issuer).expect("sign leaf");
    ServerCert {
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

fn self_signed(params: CertificateParams) -> ServerCert {
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("self-signed");
    ServerCert {
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

/// An HTTPS server on 127.0.0.1 serving [`hello`] over h2 or http/1.1 by ALPN.
async fn tls_server(cert: ServerCert) -> SocketAddr {
    let (l, _) = listener().await;
    tls_server_on(cert, l)
}

/// The same server on a listener of the caller's (such as one on `[::1]`).
pub(crate) fn tls_server_on(cert: ServerCert, l: tokio::net::TcpListener) -> SocketAddr {
    let addr = l.local_addr().expect("local addr");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(cert.chain, cert.key)
        .expect("server cert");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        while let Ok((stream, _)) = l.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A refused handshake is the point of several tests.
                if let Ok(tls) = acceptor.accept(stream).await {
                    serve_hello(tls);
                }
            });
        }
    });
    addr
}

fn trusting(ca: &Ca) -> clerk_hyper::Builder {
    fast_builder()
        .tls_built_in_roots(false)
        .add_root_certificate(ca.der.clone())
}

pub(crate) fn https(addr: SocketAddr, host: &str) -> String {
    format!("https://{host}:{}/v1/sign_in_tokens", addr.port())
}

pub(crate) async fn expect_tls_refusal(transport: &HyperTransport, uri: &str) -> Error {
    let err = transport
        .send(request(uri))
        .await
        .expect_err("must be refused");
    assert_eq!(err.kind(), TransportErrorKind::Certificate, "{err:?}");
    assert!(err.is_request_not_sent() && err.is_permanent());
    assert!(!err.is_timeout());
    assert_no_secret(&err);
    err
}

#[tokio::test]
async fn https_with_a_custom_root_negotiates_h2() {
    let ca = ca("clerk-hyper test ca");
    let addr = tls_server(issued(&ca, leaf_params(&["localhost", "127.0.0.1"]))).await;
    let transport = trusting(&ca).build().expect("build");
    for host in ["localhost", "127.0.0.1"] {
        let response = transport
            .send(request(&https(addr, host)))
            .await
            .expect("trusted");
        assert_eq!(response.status(), 200);
        #[cfg(feature = "http2")]
        assert_eq!(response.version(), http::Version::HTTP_2);
        #[cfg(feature = "http2")]
        assert_eq!(response.body().as_ref(), b"hello over HTTP/2.0");
    }
}

#[tokio::test]
async fn https_with_a_full_rustls_config() {
    let ca = ca("clerk-hyper test ca");
    let addr = tls_server(issued(&ca, leaf_params(&["localhost"]))).await;
    let mut roots = clerk_hyper::rustls::RootCertStore::empty();
    roots.add(ca.der.clone()).expect("root");
    let config = clerk_hyper::rustls::ClientConfig::builder_with_provider(Arc::new(
        clerk_hyper::rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&clerk_hyper::rustls::version::TLS12])
    .expect("tls 1.2")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let transport = fast_builder().tls_config(config).build().expect("build");
    let response = transport
        .send(request(&https(addr, "localhost")))
        .await
        .expect("trusted over TLS 1.2");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn wrong_name_is_refused() {
    let ca = ca("clerk-hyper test ca");
    let addr = tls_server(issued(&ca, leaf_params(&["api.example.test"]))).await;
    let transport = trusting(&ca).build().expect("build");
    let err = expect_tls_refusal(&transport, &https(addr, "localhost")).await;
    assert_eq!(err.kind().as_str(), "certificate");
}

#[tokio::test]
async fn expired_certificate_is_refused() {
    let ca = ca("clerk-hyper test ca");
    let mut params = leaf_params(&["localhost"]);
    params.not_before = rcgen::date_time_ymd(2000, 1, 1);
    params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    let addr = tls_server(issued(&ca, params)).await;
    let transport = trusting(&ca).build().expect("build");
    expect_tls_refusal(&transport, &https(addr, "localhost")).await;
}

#[tokio::test]
async fn self_signed_certificate_not_in_roots_is_refused() {
    let ca = ca("clerk-hyper test ca");
    let addr = tls_server(self_signed(leaf_params(&["localhost"]))).await;
    // Trusts the test CA only, and with the bundled roots too.
    let only_ca = trusting(&ca).build().expect("build");
    expect_tls_refusal(&only_ca, &https(addr, "localhost")).await;
    let bundled = fast_builder().build().expect("build");
    expect_tls_refusal(&bundled, &https(addr, "localhost")).await;
}

#[tokio::test]
async fn stalled_tls_handshake_is_a_connect_timeout() {
    // The kernel completes the TCP handshake from the backlog; nobody ever
    // answers the ClientHello.
    let (listener, addr) = listener().await;
    let transport = fast_builder()
        .connect_timeout(Duration::from_millis(300))
        .build()
        .expect("build");
    let started = Instant::now();
    let err = transport
        .send(request(&https(addr, "localhost")))
        .await
        .expect_err("stalled");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        err.kind() == TransportErrorKind::ConnectTimeout
            && err.to_string().contains("connecting took longer than"),
        "{err:?}"
    );
    assert!(err.is_timeout());
    assert!(err.is_request_not_sent());
    drop(listener);
}

#[tokio::test]
async fn https_to_a_plain_http_server_fails_in_the_handshake() {
    let addr = hyper_server().await;
    let transport = fast_builder().build().expect("build");
    let err = transport
        .send(request(&https(addr, "localhost")))
        .await
        .expect_err("not TLS");
    assert!(err.is_request_not_sent(), "{err:?}");
}

#[test]
fn a_bad_root_certificate_fails_the_build() {
    let err = fast_builder()
        .add_root_certificate(CertificateDer::from(vec![0u8; 8]))
        .build()
        .expect_err("garbage root");
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn no_roots_at_all_fails_the_build() {
    let builder = fast_builder().tls_built_in_roots(false);
    // The platform's roots off too, so that the test holds with that feature.
    #[cfg(feature = "native-roots")]
    let builder = builder.tls_native_roots(false);
    let err = builder.build().expect_err("nothing to trust");
    assert!(err.to_string().contains("root"));
}
