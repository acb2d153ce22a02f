//! What every request shares: where to send it, as whom, and which API version.

use std::fmt;
use std::sync::Arc;

use http::uri::{Authority, Scheme};
use http::{HeaderValue, Uri};

use crate::error::InvalidInput;
use crate::request::Prepared;
use crate::secret::SecretKey;

/// Clerk's production Backend API.
pub const DEFAULT_BASE_URL: &str = "https://api.clerk.com/v1";

/// The API version this crate is written against, sent as `Clerk-API-Version`.
pub const DEFAULT_API_VERSION: &str = "2026-05-12";

/// The header that pins the API version.
pub const CLERK_API_VERSION: http::HeaderName = http::HeaderName::from_static("clerk-api-version");

const USER_AGENT: &str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));

/// Settings shared by every request: base URL, API version, user agent and the
/// secret key. Cheap to clone (one `Arc`).
///
/// ```
/// use clerk_core::{Config, SecretKey};
///
/// let config = Config::builder(SecretKey::new("sk_test_x").unwrap())
///     .base_url("http://127.0.0.1:4010")
///     .user_agent_suffix("my-service/1.2")
///     .build()
///     .unwrap();
/// assert_eq!(config.base_url(), "http://127.0.0.1:4010");
/// assert_eq!(config.api_version(), Some("2026-05-12"));
/// assert!(!format!("{config:?}").contains("sk_test_x"));
/// ```
#[derive(Clone)]
pub struct Config {
    inner: Arc<Inner>,
}

struct Inner {
    /// What every request reuses, built once (URIs and header maps).
    prepared: Prepared,
    base_url: String,
    api_version: Option<HeaderValue>,
    user_agent: HeaderValue,
    secret_key: SecretKey,
}

impl Config {
    /// The defaults: Clerk's base URL, API version `2026-05-12`, and the
    /// crate's own user agent.
    ///
    /// ```
    /// let config = clerk_core::Config::new(clerk_core::SecretKey::new("sk_test_x").unwrap());
    /// assert_eq!(config.base_url(), "https://api.clerk.com/v1");
    /// ```
    pub fn new(secret_key: SecretKey) -> Self {
        // The defaults are constants known to be valid.
        match Self::builder(secret_key).build() {
            Ok(config) => config,
            Err(e) => unreachable!("default configuration is valid: {e}"),
        }
    }

    /// Starts a configuration for `secret_key`.
    ///
    /// ```
    /// let config = clerk_core::Config::builder(clerk_core::SecretKey::new("sk_test_x").unwrap())
    ///     .no_api_version()
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(config.api_version(), None);
    /// ```
    pub fn builder(secret_key: SecretKey) -> ConfigBuilder {
        ConfigBuilder {
            secret_key,
            base_url: None,
            api_version: Some(DEFAULT_API_VERSION.to_owned()),
            user_agent_suffix: None,
        }
    }

    /// The base URL, as given (without a trailing slash).
    ///
    /// ```
    /// let key = clerk_core::SecretKey::new("sk_test_x").unwrap();
    /// let config = clerk_core::Config::builder(key).base_url("https://gw.example/clerk/v1/").build().unwrap();
    /// assert_eq!(config.base_url(), "https://gw.example/clerk/v1");
    /// ```
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The `Clerk-API-Version` sent, if any.
    ///
    /// ```
    /// let config = clerk_core::Config::new(clerk_core::SecretKey::new("sk_test_x").unwrap());
    /// assert_eq!(config.api_version(), Some(clerk_core::DEFAULT_API_VERSION));
    /// ```
    pub fn api_version(&self) -> Option<&str> {
        self.inner
            .api_version
            .as_ref()
            .and_then(|v| v.to_str().ok())
    }

    /// The `User-Agent` sent.
    ///
    /// ```
    /// let config = clerk_core::Config::new(clerk_core::SecretKey::new("sk_test_x").unwrap());
    /// assert!(config.user_agent().starts_with("clerk-core/"));
    /// ```
    pub fn user_agent(&self) -> &str {
        self.inner.user_agent.to_str().unwrap_or(USER_AGENT)
    }

    /// The secret key.
    ///
    /// ```
    /// let config = clerk_core::Config::new(clerk_core::SecretKey::new("sk_test_x").unwrap());
    /// assert_eq!(config.secret_key().environment_prefix(), "sk_test_");
    /// ```
    pub fn secret_key(&self) -> &SecretKey {
        &self.inner.secret_key
    }

    pub(crate) fn prepared(&self) -> &Prepared {
        &self.inner.prepared
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.inner.base_url)
            .field("api_version", &self.api_version())
            .field("user_agent", &self.user_agent())
            .field("secret_key", &self.inner.secret_key)
            .finish()
    }
}

/// Builds a [`Config`]; every setting is checked in [`build`](Self::build).
///
/// ```
/// let key = clerk_core::SecretKey::new("sk_test_x").unwrap();
/// let err = clerk_core::Config::builder(key).base_url("ftp://x").build().unwrap_err();
/// assert_eq!(err.field(), "base_url");
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ConfigBuilder {
    secret_key: SecretKey,
    base_url: Option<String>,
    api_version: Option<String>,
    user_agent_suffix: Option<String>,
}

impl ConfigBuilder {
    /// Where the API lives: `http(s)://host[:port][/prefix]`, with or without
    /// a trailing slash. Default: `https://api.clerk.com/v1`.
    ///
    /// ```
    /// let key = clerk_core::SecretKey::new("sk_test_x").unwrap();
    /// let config = clerk_core::Config::builder(key).base_url("http://127.0.0.1:4010/").build().unwrap();
    /// assert_eq!(config.base_url(), "http://127.0.0.1:4010");
    /// ```
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Pins another `Clerk-API-Version`.
    ///
    /// ```
    /// let key = clerk_core::SecretKey::new("sk_test_x").unwrap();
    /// let config = clerk_core::Config::builder(key).api_version("2025-11-10").build().unwrap();
    /// assert_eq!(config.api_version(), Some("2025-11-10"));
    /// ```
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = Some(version.into());
        self
    }

    /// Sends no `Clerk-API-Version` header; Clerk then uses the instance's
    /// default version.
    ///
    /// ```
    /// let key = clerk_core::SecretKey::new("sk_test_x").unwrap();
    /// let config = clerk_core::Config::builder(key).no_api_version().build().unwrap();
    /// assert!(config.api_version().is_none());
    /// ```
    pub fn no_api_version(mut self) -> Self {
        self.api_version = None;
        self
    }

    /// Appends ` suffix` to the `User-Agent` (for example `my-app/2.0`).
    ///
    /// ```
    /// let key = clerk_core::SecretKey::new("sk_test_x").unwrap();
    /// let config = clerk_core::Config::builder(key).user_agent_suffix("my-app/2.0").build().unwrap();
    /// assert!(config.user_agent().ends_with(" my-app/2.0"));
    /// ```
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Checks everything and builds the configuration.
    ///
    /// ```
    /// let key = clerk_core::SecretKey::new("sk_test_x").unwrap();
    /// assert!(clerk_core::Config::builder(key).api_version("bad\nversion").build().is_err());
    /// ```
    pub fn build(self) -> Result<Config, InvalidInput> {
        let base = self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        let (scheme, authority, prefix) = parse_base_url(base)?;
        let base_url = format!("{scheme}://{authority}{prefix}");

        let api_version = match self.api_version {
            None => None,
            Some(v) => {
                if v.is_empty() {
                    return Err(InvalidInput::new(
                        "api_version",
                        "must not be empty (use no_api_version to send none)",
                    ));
                }
                Some(visible_header_value(&v).ok_or_else(|| {
                    InvalidInput::new("api_version", "must be visible ASCII without spaces")
                })?)
            }
        };

        let user_agent = match self.user_agent_suffix {
            None => HeaderValue::from_static(USER_AGENT),
            Some(suffix) => {
                let full = format!("{USER_AGENT} {suffix}");
                if suffix.trim().is_empty() || !suffix.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                    return Err(InvalidInput::new(
                        "user_agent_suffix",
                        "must be non-empty printable ASCII",
                    ));
                }
                HeaderValue::try_from(full).map_err(|_| {
                    InvalidInput::new("user_agent_suffix", "must be non-empty printable ASCII")
                })?
            }
        };

        let prepared = Prepared::new(
            scheme,
            authority,
            &prefix,
            &self.secret_key,
            &user_agent,
            api_version.as_ref(),
        )?;
        Ok(Config {
            inner: Arc::new(Inner {
                prepared,
                base_url,
                api_version,
                user_agent,
                secret_key: self.secret_key,
            }),
        })
    }
}

fn visible_header_value(s: &str) -> Option<HeaderValue> {
    if s.bytes().all(|b| b.is_ascii_graphic()) {
        HeaderValue::try_from(s).ok()
    } else {
        None
    }
}

fn parse_base_url(base: &str) -> Result<(Scheme, Authority, String), InvalidInput> {
    let bad = |why: &'static str| InvalidInput::new("base_url", why);
    let uri: Uri = base
        .parse()
        .map_err(|_| bad("is not a valid absolute URL"))?;
    let scheme = uri
        .scheme()
        .cloned()
        .ok_or_else(|| bad("needs a scheme, http:// or https://"))?;
    if scheme != Scheme::HTTP && scheme != Scheme::HTTPS {
        return Err(bad("scheme must be http or https"));
    }
    let authority = uri
        .authority()
        .cloned()
        .ok_or_else(|| bad("needs a host"))?;
    if authority.as_str().contains('@') {
        return Err(bad("must not carry user information"));
    }
    if authority.host().is_empty() {
        return Err(bad("needs a host"));
    }
    if let Some((_, port)) = authority.as_str().rsplit_once(':') {
        if !port.contains(']') && port.parse::<u16>().is_err() {
            return Err(bad("port must be a number from 0 to 65535"));
        }
    }
    if uri.query().is_some() || base.contains('#') {
        return Err(bad("must not have a query or a fragment"));
    }
    let path = uri.path();
    let prefix = path.trim_end_matches('/');
    if prefix.split('/').any(|seg| {
        let decoded = seg.replace("%2e", ".").replace("%2E", ".");
        decoded == "." || decoded == ".."
    }) {
        return Err(bad("must not contain `.` or `..` segments"));
    }
    if prefix.contains("//") {
        return Err(bad("must not contain empty path segments"));
    }
    Ok((scheme, authority, prefix.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::new("sk_test_x").unwrap()
    }

    #[test]
    fn base_urls() {
        for (given, base, prefix) in [
            (
                "https://api.clerk.com/v1",
                "https://api.clerk.com/v1",
                "/v1",
            ),
            (
                "https://api.clerk.com/v1/",
                "https://api.clerk.com/v1",
                "/v1",
            ),
            ("http://127.0.0.1:4010", "http://127.0.0.1:4010", ""),
            ("http://127.0.0.1:4010/", "http://127.0.0.1:4010", ""),
            (
                "https://gateway.example/clerk/v1",
                "https://gateway.example/clerk/v1",
                "/clerk/v1",
            ),
            ("http://[::1]:8080/v1", "http://[::1]:8080/v1", "/v1"),
        ] {
            let c = Config::builder(key()).base_url(given).build().unwrap();
            assert_eq!(c.base_url(), base);
            let create = crate::request::create_sign_in_token(
                &c,
                &crate::CreateSignInTokenRequest::new("u"),
            )
            .unwrap();
            assert_eq!(create.uri().path(), format!("{prefix}/sign_in_tokens"));
            assert_eq!(create.uri().to_string(), format!("{base}/sign_in_tokens"));
            let revoke = crate::request::revoke_sign_in_token(&c, "sit_1").unwrap();
            assert_eq!(
                revoke.uri().to_string(),
                format!("{base}/sign_in_tokens/sit_1/revoke")
            );
        }
    }

    #[test]
    fn refuses_bad_base_urls() {
        for bad in [
            "",
            "api.clerk.com/v1",
            "/v1",
            "ftp://api.clerk.com",
            "https://user:pw@api.clerk.com/v1",
            "https://api.clerk.com/v1?x=1",
            "https://api.clerk.com/v1#frag",
            "https://api.clerk.com/v1/../admin",
            "https://api.clerk.com//v1",
            "https://exa mple.com",
            "https://x/%2e%2e/admin",
            "https://x/v1/%2E",
            "https://x:99999/v1",
        ] {
            let err = Config::builder(key()).base_url(bad).build().unwrap_err();
            assert_eq!(err.field(), "base_url", "{bad:?}");
        }
    }

    #[test]
    fn api_version_and_user_agent() {
        assert!(Config::builder(key()).api_version("").build().is_err());
        assert!(
            Config::builder(key())
                .api_version("2026 05")
                .build()
                .is_err()
        );
        assert!(
            Config::builder(key())
                .user_agent_suffix("a\r\nX-Evil: 1")
                .build()
                .is_err()
        );
        assert!(
            Config::builder(key())
                .user_agent_suffix("  ")
                .build()
                .is_err()
        );
        for non_ascii in ["caf\u{e9}/1", "a\u{2028}b", "tab\there"] {
            assert!(
                Config::builder(key())
                    .user_agent_suffix(non_ascii)
                    .build()
                    .is_err(),
                "{non_ascii:?}"
            );
        }
        let c = Config::builder(key())
            .user_agent_suffix("clerk-hyper/0.1.0")
            .build()
            .unwrap();
        assert_eq!(
            c.user_agent(),
            format!("clerk-core/{} clerk-hyper/0.1.0", env!("CARGO_PKG_VERSION"))
        );
    }
}
