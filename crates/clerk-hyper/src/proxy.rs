//! Which proxy, if any, a request goes through: [`ProxyConfig`].
//!
//! The rules themselves (which variable wins, how `NO_PROXY` matches) are
//! hyper-util's [`Matcher`]; this module collects the settings, checks them
//! once when the transport is built, and keeps credentials out of `Debug`.

use std::fmt;
use std::sync::Arc;

use http::{HeaderValue, Uri};
use hyper_util::client::proxy::matcher::Matcher;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// Where proxy settings come from, and what they are.
///
/// The default, used by [`HyperTransport::new`](crate::HyperTransport::new)
/// and [`Builder::build`](crate::Builder::build), is
/// [`ProxyConfig::from_env`]: `HTTPS_PROXY` for `https` requests,
/// `HTTP_PROXY` for `http` ones, `ALL_PROXY` for both when the specific one
/// is unset, and `NO_PROXY` for the hosts that bypass them (each also in
/// lower case; the upper-case form wins). Variables are read once, when the
/// transport is built.
///
/// Only `http://` proxies are supported (a proxy URL without a scheme means
/// `http://`). `https` requests go through them in a `CONNECT` tunnel, so the
/// proxy sees only the host name and TLS bytes. Plain `http` requests are
/// forwarded only to a loopback origin (a local mock): the secret key never
/// crosses a plain-HTTP proxy to any other host, whatever
/// [`allow_insecure_http`](crate::Builder::allow_insecure_http) says.
///
/// Credentials, given in the URL (`http://user:pass@proxy:3128`) or with
/// [`basic_auth`](ProxyConfig::basic_auth), are sent as
/// `Proxy-Authorization: Basic` and never appear in `Debug` output or errors.
///
/// ```
/// use clerk_hyper::{HyperTransport, ProxyConfig};
///
/// let proxy = ProxyConfig::all("http://proxy.corp.example:3128")
///     .basic_auth("svc-clerk", "hunter2")
///     .no_proxy("localhost, 127.0.0.1, .internal.example");
/// assert!(!format!("{proxy:?}").contains("hunter2"));
/// let transport = HyperTransport::builder().proxy(proxy).build()?;
/// # drop(transport);
/// # Ok::<(), clerk_core::BuildError>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProxyConfig {
    all: Setting,
    http: Setting,
    https: Setting,
    no_proxy: String,
    auth: Option<(String, String)>,
}

/// One proxy URL and where it came from (for error messages).
#[derive(Clone, Default, PartialEq, Eq)]
struct Setting {
    url: String,
    origin: &'static str,
}

impl Setting {
    fn new(url: String, origin: &'static str) -> Self {
        Self {
            url: url.trim().to_owned(),
            origin,
        }
    }

    fn is_set(&self) -> bool {
        !self.url.is_empty()
    }
}

impl ProxyConfig {
    /// No proxy: every request connects directly.
    ///
    /// ```
    /// let transport = clerk_hyper::HyperTransport::builder()
    ///     .proxy(clerk_hyper::ProxyConfig::none())
    ///     .build()?;
    /// # drop(transport);
    /// # Ok::<(), clerk_core::BuildError>(())
    /// ```
    pub fn none() -> Self {
        Self::default()
    }

    /// The proxy settings in this process's environment: `HTTPS_PROXY`,
    /// `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`, upper case first, then lower
    /// case.
    ///
    /// As curl and hyper-util do, all of them are ignored when
    /// `REQUEST_METHOD` is set (a CGI script, where `HTTP_PROXY` can come from
    /// a request header).
    ///
    /// ```
    /// let from_env = clerk_hyper::ProxyConfig::from_env();
    /// # drop(from_env);
    /// ```
    pub fn from_env() -> Self {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// The same rules as [`from_env`](ProxyConfig::from_env), reading each
    /// variable through `lookup` (for tests, or settings kept elsewhere).
    ///
    /// ```
    /// use clerk_hyper::ProxyConfig;
    ///
    /// let proxy = ProxyConfig::from_env_with(|name| match name {
    ///     "https_proxy" => Some("http://proxy.corp.example:3128".to_owned()),
    ///     "NO_PROXY" => Some("internal.example".to_owned()),
    ///     _ => None,
    /// });
    /// let api: http::Uri = "https://api.clerk.com/v1".parse()?;
    /// let intranet: http::Uri = "https://auth.internal.example/v1".parse()?;
    /// assert!(proxy.intercepts(&api));
    /// assert!(!proxy.intercepts(&intranet));
    /// # Ok::<(), http::uri::InvalidUri>(())
    /// ```
    pub fn from_env_with(mut lookup: impl FnMut(&str) -> Option<String>) -> Self {
        if lookup("REQUEST_METHOD").is_some() {
            return Self::none();
        }
        let mut first = |names: [&'static str; 2]| -> Setting {
            for name in names {
                if let Some(value) = lookup(name) {
                    return Setting::new(value, name);
                }
            }
            Setting::default()
        };
        let all = first(["ALL_PROXY", "all_proxy"]);
        let http = first(["HTTP_PROXY", "http_proxy"]);
        let https = first(["HTTPS_PROXY", "https_proxy"]);
        let no_proxy = first(["NO_PROXY", "no_proxy"]).url;
        Self {
            all,
            http,
            https,
            no_proxy,
            auth: None,
        }
    }

    /// One proxy for every request, `http` and `https` alike.
    ///
    /// ```
    /// let proxy = clerk_hyper::ProxyConfig::all("http://127.0.0.1:3128");
    /// # drop(proxy);
    /// ```
    pub fn all(url: impl Into<String>) -> Self {
        Self {
            all: Setting::new(url.into(), "the proxy URL"),
            ..Self::default()
        }
    }

    /// The proxy for `https` requests (tunnelled with `CONNECT`), in place of
    /// the one given to [`all`](ProxyConfig::all).
    ///
    /// ```
    /// let proxy = clerk_hyper::ProxyConfig::none().https("http://proxy.corp.example:3128");
    /// # drop(proxy);
    /// ```
    pub fn https(mut self, url: impl Into<String>) -> Self {
        self.https = Setting::new(url.into(), "the https proxy URL");
        self
    }

    /// The proxy for plain `http` requests (forwarded; only to a loopback
    /// origin), in place of the one given to [`all`](ProxyConfig::all).
    ///
    /// ```
    /// let proxy = clerk_hyper::ProxyConfig::none().http("http://127.0.0.1:3128");
    /// # drop(proxy);
    /// ```
    pub fn http(mut self, url: impl Into<String>) -> Self {
        self.http = Setting::new(url.into(), "the http proxy URL");
        self
    }

    /// Hosts that bypass the proxy, as in `NO_PROXY`: a comma-separated list
    /// of domains (matching their subdomains too), IP addresses, CIDR
    /// networks, or `*` for all. Replaces any list read from the environment.
    ///
    /// ```
    /// let proxy = clerk_hyper::ProxyConfig::all("http://proxy:3128")
    ///     .no_proxy("localhost, 127.0.0.0/8, ::1, .corp.example");
    /// # drop(proxy);
    /// ```
    pub fn no_proxy(mut self, list: impl Into<String>) -> Self {
        self.no_proxy = list.into();
        self
    }

    /// Basic credentials for the proxy, used in place of any in the proxy
    /// URLs. Never shown by `Debug` nor quoted in errors.
    ///
    /// ```
    /// let proxy = clerk_hyper::ProxyConfig::all("http://proxy:3128").basic_auth("me", "secret");
    /// assert!(!format!("{proxy:?}").contains("secret"));
    /// ```
    pub fn basic_auth(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Some((username.into(), password.into()));
        self
    }

    /// Whether a request for `uri` would go through a proxy. `false` for a
    /// configuration that [`build`](crate::Builder::build) would refuse.
    ///
    /// ```
    /// let proxy = clerk_hyper::ProxyConfig::all("http://proxy:3128").no_proxy("localhost");
    /// assert!(proxy.intercepts(&"https://api.clerk.com/v1".parse()?));
    /// assert!(!proxy.intercepts(&"http://localhost:8080/v1".parse()?));
    /// # Ok::<(), http::uri::InvalidUri>(())
    /// ```
    pub fn intercepts(&self, uri: &Uri) -> bool {
        match self.resolve() {
            Ok(Some(proxies)) => proxies.intercept(uri).is_some(),
            _ => false,
        }
    }

    /// Checks the settings and turns them into hyper-util's matcher; `None`
    /// when no proxy is configured.
    pub(crate) fn resolve(&self) -> Result<Option<Proxies>, ProxyConfigError> {
        let settings = [&self.all, &self.http, &self.https];
        if !settings.iter().any(|s| s.is_set()) {
            return Ok(None);
        }
        let mut urls = [String::new(), String::new(), String::new()];
        for (setting, url) in settings.iter().zip(urls.iter_mut()) {
            if setting.is_set() {
                *url = self.checked_url(setting)?;
            }
        }
        let [all, http, https] = urls;
        let matcher = Matcher::builder()
            .all(all)
            .http(http)
            .https(https)
            .no(self.no_proxy.clone())
            .build();
        Ok(Some(Proxies {
            matcher: Arc::new(matcher),
        }))
    }

    /// The URL as the matcher should see it: `http` scheme, and the explicit
    /// credentials, if any, in its user info.
    fn checked_url(&self, setting: &Setting) -> Result<String, ProxyConfigError> {
        let invalid = |problem: &'static str| ProxyConfigError {
            origin: setting.origin,
            problem,
        };
        let raw = setting.url.as_str();
        let with_scheme = if raw.contains("://") {
            raw.to_owned()
        } else {
            format!("http://{raw}")
        };
        let uri: Uri = with_scheme
            .parse()
            .map_err(|_| invalid("is not a valid URL"))?;
        match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("http") => {}
            Some(s) if s.eq_ignore_ascii_case("https") => {
                return Err(invalid(
                    "uses https://, which clerk-hyper does not support: give the proxy's http:// address \
                     (https requests are still end-to-end TLS through its CONNECT tunnel)",
                ));
            }
            _ => {
                return Err(invalid(
                    "uses a scheme other than http:// (SOCKS is not supported)",
                ));
            }
        }
        let authority = uri
            .authority()
            .ok_or_else(|| invalid("has no host"))?
            .as_str();
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        if host_port.is_empty() || host_port.starts_with(':') {
            return Err(invalid("has no host"));
        }
        Ok(match &self.auth {
            Some((user, pass)) => format!(
                "http://{}:{}@{host_port}",
                utf8_percent_encode(user, NON_ALPHANUMERIC),
                utf8_percent_encode(pass, NON_ALPHANUMERIC)
            ),
            None => format!("http://{authority}"),
        })
    }
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ProxyConfig");
        for (name, setting) in [
            ("all", &self.all),
            ("http", &self.http),
            ("https", &self.https),
        ] {
            if setting.is_set() {
                d.field(name, &redacted(&setting.url));
            }
        }
        if !self.no_proxy.is_empty() {
            d.field("no_proxy", &self.no_proxy);
        }
        if self.auth.is_some() {
            d.field("basic_auth", &"[redacted]");
        }
        d.finish()
    }
}

/// `url` with any user info replaced by `[redacted]`.
fn redacted(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(at) => url.split_at(at + 3),
        None => ("", url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}[redacted]{}", &rest[at..]),
        None => url.to_owned(),
    }
}

/// A [`ProxyConfig`] that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProxyConfigError {
    /// Which variable or setting: `HTTPS_PROXY`, "the proxy URL", ...
    pub(crate) origin: &'static str,
    /// What is wrong with it (never its value: it may hold credentials).
    pub(crate) problem: &'static str,
}

impl fmt::Display for ProxyConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.origin, self.problem)
    }
}

impl std::error::Error for ProxyConfigError {}

/// Checked proxy settings, shared by the connector and the request path.
#[derive(Clone)]
pub(crate) struct Proxies {
    matcher: Arc<Matcher>,
}

impl Proxies {
    /// The proxy for `uri`, if it goes through one.
    pub(crate) fn intercept(&self, uri: &Uri) -> Option<Intercepted> {
        let intercept = self.matcher.intercept(uri)?;
        Some(Intercepted {
            proxy: intercept.uri().clone(),
            auth: intercept.basic_auth().cloned().map(|mut value| {
                value.set_sensitive(true);
                value
            }),
        })
    }
}

/// Where to send one request: the proxy and its credentials.
pub(crate) struct Intercepted {
    pub(crate) proxy: Uri,
    pub(crate) auth: Option<HeaderValue>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> ProxyConfig {
        ProxyConfig::from_env_with(|name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    fn uri(s: &str) -> Uri {
        s.parse().expect("test uri")
    }

    #[test]
    fn empty_environment_means_no_proxy() {
        let config = env(&[]);
        assert_eq!(config, ProxyConfig::none());
        assert!(config.resolve().expect("valid").is_none());
    }

    #[test]
    fn scheme_specific_variables_and_all_proxy() {
        let config = env(&[
            ("HTTPS_PROXY", "http://tls-proxy:1"),
            ("ALL_PROXY", "http://any-proxy:2"),
        ]);
        let proxies = config.resolve().expect("valid").expect("some");
        let https = proxies.intercept(&uri("https://api.clerk.com/v1")).unwrap();
        assert_eq!(https.proxy.authority().unwrap().as_str(), "tls-proxy:1");
        let http = proxies.intercept(&uri("http://localhost:9/v1")).unwrap();
        assert_eq!(http.proxy.authority().unwrap().as_str(), "any-proxy:2");
    }

    #[test]
    fn upper_case_wins_and_lower_case_is_read() {
        let both = env(&[
            ("HTTPS_PROXY", "http://upper:1"),
            ("https_proxy", "http://lower:2"),
        ]);
        let p = both.resolve().unwrap().unwrap();
        let got = p.intercept(&uri("https://api.clerk.com")).unwrap();
        assert_eq!(got.proxy.host(), Some("upper"));
        let lower = env(&[("https_proxy", "lower:2"), ("no_proxy", "clerk.com")]);
        assert!(!lower.intercepts(&uri("https://api.clerk.com")));
        assert!(lower.intercepts(&uri("https://example.com")));
    }

    #[test]
    fn no_proxy_matches_domains_addresses_and_ipv6() {
        let config = env(&[
            ("ALL_PROXY", "http://p:1"),
            ("NO_PROXY", "internal.example, 10.0.0.0/8, ::1"),
        ]);
        assert!(!config.intercepts(&uri("https://a.internal.example/")));
        assert!(!config.intercepts(&uri("https://10.1.2.3/")));
        assert!(!config.intercepts(&uri("https://[::1]:8443/")));
        assert!(config.intercepts(&uri("https://api.clerk.com/")));
        assert!(config.intercepts(&uri("http://127.0.0.1:80/")));
    }

    #[test]
    fn cgi_ignores_the_environment() {
        let config = env(&[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://evil:1")]);
        assert_eq!(config, ProxyConfig::none());
    }

    #[test]
    fn unsupported_schemes_are_refused_by_name_not_value() {
        for bad in [
            "socks5://user:sekrit@p:1",
            "https://user:sekrit@p:1",
            "http://",
        ] {
            let config = ProxyConfig::from_env_with(|n| (n == "HTTPS_PROXY").then(|| bad.into()));
            let err = config.resolve().err().expect("refused");
            assert_eq!(err.origin, "HTTPS_PROXY");
            assert!(!err.to_string().contains("sekrit"), "{err}");
        }
    }

    #[test]
    fn explicit_credentials_become_basic_auth() {
        let config = ProxyConfig::all("proxy:3128").basic_auth("Aladdin", "open sesame");
        let p = config.resolve().unwrap().unwrap();
        let got = p.intercept(&uri("https://api.clerk.com")).unwrap();
        assert_eq!(got.proxy.authority().unwrap().as_str(), "proxy:3128");
        assert_eq!(
            got.auth.expect("auth").to_str().unwrap(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn debug_redacts_credentials() {
        let config = env(&[("HTTP_PROXY", "http://user:pa55word@proxy:3128/")])
            .basic_auth("u2", "other-secret");
        let shown = format!("{config:?}");
        assert!(!shown.contains("pa55word"), "{shown}");
        assert!(!shown.contains("user"), "{shown}");
        assert!(!shown.contains("other-secret"), "{shown}");
        assert!(shown.contains("proxy:3128"), "{shown}");
        assert_eq!(redacted("a:b@h:1"), "[redacted]@h:1");
    }
}
