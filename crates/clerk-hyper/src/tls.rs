//! TLS settings: which roots to trust, or a whole rustls configuration.

use std::fmt;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, RootCertStore};

use crate::transport::Builder;
use clerk_core::BuildError;

#[derive(Clone)]
pub(crate) struct TlsSettings {
    config: Option<ClientConfig>,
    extra_roots: Vec<CertificateDer<'static>>,
    /// PEM bundles, parsed when building so that a bad one is an error there.
    pem_roots: Vec<Vec<u8>>,
    built_in_roots: bool,
    #[cfg_attr(not(feature = "native-roots"), allow(dead_code))]
    native_roots: bool,
}

impl Default for TlsSettings {
    fn default() -> Self {
        Self {
            config: None,
            extra_roots: Vec::new(),
            pem_roots: Vec::new(),
            built_in_roots: true,
            native_roots: true,
        }
    }
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSettings")
            .field("custom_config", &self.config.is_some())
            .field("extra_roots", &self.extra_roots.len())
            .field("pem_bundles", &self.pem_roots.len())
            .field("built_in_roots", &self.built_in_roots)
            .field(
                "native_roots",
                &(cfg!(feature = "native-roots") && self.native_roots),
            )
            .finish()
    }
}

impl TlsSettings {
    /// The rustls configuration to connect with; its ALPN list is left empty
    /// for hyper-rustls to fill in.
    pub(crate) fn client_config(&self) -> Result<ClientConfig, BuildError> {
        let mut config = match &self.config {
            Some(config) => config.clone(),
            None => self.default_config()?,
        };
        config.alpn_protocols.clear();
        Ok(config)
    }

    fn default_config(&self) -> Result<ClientConfig, BuildError> {
        let mut roots = RootCertStore::empty();
        #[cfg(feature = "webpki-roots")]
        if self.built_in_roots {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        #[cfg(feature = "native-roots")]
        if self.native_roots {
            // Certificates the platform lists but rustls cannot parse are
            // skipped, as are stores that fail to load: the other roots
            // still apply, and no roots at all is an error below.
            let native = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(native.certs);
        }
        for cert in &self.extra_roots {
            roots.add(cert.clone()).map_err(|e| {
                BuildError::new("an added root certificate is not usable").with_source(e)
            })?;
        }
        for pem in &self.pem_roots {
            let mut found = 0usize;
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| {
                    BuildError::new("a PEM root certificate bundle is not valid PEM").with_source(e)
                })?;
                roots.add(cert).map_err(|e| {
                    BuildError::new("a root certificate in a PEM bundle is not usable")
                        .with_source(e)
                })?;
                found += 1;
            }
            if found == 0 {
                return Err(BuildError::new(
                    "a PEM root certificate bundle holds no CERTIFICATE block",
                ));
            }
        }
        if roots.is_empty() {
            return Err(BuildError::new(
                "no root certificates to trust: enable the `webpki-roots` or `native-roots` \
                 feature, add roots with add_root_certificate, or pass a tls_config",
            ));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| {
                BuildError::new("the TLS provider supports no safe protocol version").with_source(e)
            })?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(config)
    }
}

impl Builder {
    /// Trust `cert` (DER) as a root, in addition to the bundled roots.
    ///
    /// For a private CA or a test CA. Ignored when
    /// [`tls_config`](Builder::tls_config) is set. An unusable certificate
    /// makes [`build`](Builder::build) fail.
    ///
    /// ```
    /// use clerk_hyper::rustls::pki_types::CertificateDer;
    ///
    /// # fn der_of_my_ca() -> Vec<u8> { Vec::new() }
    /// let b = clerk_hyper::HyperTransport::builder()
    ///     .add_root_certificate(CertificateDer::from(der_of_my_ca()));
    /// # drop(b);
    /// ```
    pub fn add_root_certificate(mut self, cert: CertificateDer<'static>) -> Self {
        self.tls.extra_roots.push(cert);
        self
    }

    /// Trust every certificate in `pem` (one or more `-----BEGIN CERTIFICATE-----`
    /// blocks, such as a corporate CA bundle) as a root, in addition to the
    /// other roots.
    ///
    /// Parsed by [`build`](Builder::build), which fails with a [`BuildError`]
    /// when the bundle is not PEM, holds no certificate, or holds one rustls
    /// cannot use. Ignored when [`tls_config`](Builder::tls_config) is set.
    ///
    /// ```no_run
    /// let pem = std::fs::read("/etc/ssl/corp-root-ca.pem")?;
    /// let transport = clerk_hyper::HyperTransport::builder()
    ///     .add_root_certificates_pem(pem)
    ///     .build()?;
    /// # drop(transport);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_root_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls.pem_roots.push(pem.into());
        self
    }

    /// Whether to trust the operating system's roots (the `native-roots`
    /// feature; read with `rustls-native-certs` when building, which also
    /// honours `SSL_CERT_FILE` and `SSL_CERT_DIR`). Default `true` when the
    /// feature is on.
    ///
    /// `rustls-native-certs` rather than `rustls-platform-verifier`: it
    /// feeds the same rustls verifier (ring, webpki) that the bundled roots
    /// use, so a certificate is judged the same way everywhere, only with
    /// more roots; the platform verifier swaps in each OS's own path
    /// validation and needs extra setup on Android.
    ///
    /// ```
    /// let b = clerk_hyper::HyperTransport::builder().tls_native_roots(true);
    /// # drop(b);
    /// ```
    #[cfg(feature = "native-roots")]
    pub fn tls_native_roots(mut self, enabled: bool) -> Self {
        self.tls.native_roots = enabled;
        self
    }

    /// Whether to trust the bundled Mozilla roots (the `webpki-roots`
    /// feature). Default `true`; set `false` to trust only the roots added
    /// with [`add_root_certificate`](Builder::add_root_certificate).
    ///
    /// ```
    /// let b = clerk_hyper::HyperTransport::builder().tls_built_in_roots(false);
    /// # drop(b);
    /// ```
    pub fn tls_built_in_roots(mut self, enabled: bool) -> Self {
        self.tls.built_in_roots = enabled;
        self
    }

    /// Use this rustls configuration as is: roots, verifier, client
    /// certificates, crypto provider. Its ALPN list is replaced (HTTP/1.1 and,
    /// with the `http2` feature, HTTP/2).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use clerk_hyper::rustls;
    ///
    /// // Fill in the roots you trust, e.g. from rustls-native-certs.
    /// let roots = rustls::RootCertStore::empty();
    /// let config = rustls::ClientConfig::builder_with_provider(Arc::new(
    ///         rustls::crypto::ring::default_provider(),
    ///     ))
    ///     .with_safe_default_protocol_versions()
    ///     .expect("ring supports TLS 1.2 and 1.3")
    ///     .with_root_certificates(roots)
    ///     .with_no_client_auth();
    /// let b = clerk_hyper::HyperTransport::builder().tls_config(config);
    /// # drop(b);
    /// ```
    pub fn tls_config(mut self, config: ClientConfig) -> Self {
        self.tls.config = Some(config);
        self
    }
}
