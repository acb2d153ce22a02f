//! TLS settings: which roots to trust, or a whole rustls configuration.

use std::fmt;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

use crate::error::BuildError;
use crate::transport::Builder;

#[derive(Clone)]
pub(crate) struct TlsSettings {
    config: Option<ClientConfig>,
    extra_roots: Vec<CertificateDer<'static>>,
    built_in_roots: bool,
}

impl Default for TlsSettings {
    fn default() -> Self {
        Self {
            config: None,
            extra_roots: Vec::new(),
            built_in_roots: true,
        }
    }
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSettings")
            .field("custom_config", &self.config.is_some())
            .field("extra_roots", &self.extra_roots.len())
            .field("built_in_roots", &self.built_in_roots)
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
        for cert in &self.extra_roots {
            roots.add(cert.clone()).map_err(|e| {
                BuildError::new("an added root certificate is not usable", Some(Box::new(e)))
            })?;
        }
        if roots.is_empty() {
            return Err(BuildError::new(
                "no root certificates to trust: enable the `webpki-roots` feature, \
                 add roots with add_root_certificate, or pass a tls_config",
                None,
            ));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| {
                BuildError::new(
                    "the TLS provider supports no safe protocol version",
                    Some(Box::new(e)),
                )
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
