//! Certificates made at test time with rcgen: a test CA, leaves it signs
//! (right name, wrong name, expired), and a self-signed leaf.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The name every TLS client under test connects to.
pub const HOST: &str = "127.0.0.1";

/// A certificate and its private key.
pub struct Leaf {
    /// The certificate chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's key.
    pub key: PrivateKeyDer<'static>,
}

impl Leaf {
    /// A rustls server configuration presenting this leaf.
    pub fn server_config(self) -> Arc<rustls::ServerConfig> {
        self.server_config_with_alpn(&[])
    }

    /// A rustls server configuration presenting this leaf and offering the
    /// ALPN `protocols` (e.g. `h2`, `http/1.1`).
    pub fn server_config_with_alpn(self, protocols: &[&[u8]]) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(self.chain, self.key)
            .expect("server certificate");
        config.alpn_protocols = protocols.iter().map(|p| p.to_vec()).collect();
        Arc::new(config)
    }
}

/// A certificate authority made for one test.
pub struct Ca {
    /// The CA certificate, for a client to trust.
    pub cert: CertificateDer<'static>,
    /// The same certificate as PEM, for a client that reads a file.
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    /// A fresh CA named `name`.
    pub fn new(name: &str) -> Self {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).expect("CA certificate");
        Self {
            cert: cert.der().clone(),
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf for `names` (an IP literal becomes an IP SAN), valid now.
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        self.sign(leaf_params(names))
    }

    /// A leaf for `names` that expired in 2001.
    pub fn expired_leaf(&self, names: &[&str]) -> Leaf {
        let mut params = leaf_params(names);
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        self.sign(params)
    }

    fn sign(&self, params: CertificateParams) -> Leaf {
        let key = KeyPair::generate().expect("leaf key");
        let cert = params.signed_by(&key, &self.issuer).expect("sign leaf");
        Leaf {
            chain: vec![cert.der().clone(), self.cert.clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }
}

/// A leaf for `names` that signs itself: no CA vouches for it.
pub fn self_signed(names: &[&str]) -> Leaf {
    let key = KeyPair::generate().expect("self-signed key");
    let cert = leaf_params(names)
        .self_signed(&key)
        .expect("self-signed certificate");
    Leaf {
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

fn leaf_params(names: &[&str]) -> CertificateParams {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(names).expect("leaf params");
    params
        .distinguished_name
        .push(DnType::CommonName, "hostile test server");
    params
}
