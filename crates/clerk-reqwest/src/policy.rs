//! The promises both transports keep whatever client they wrap: a request
//! deadline, a body cap, and no plain `http` to a remote host.

use clerk_core::is_loopback_host;
use std::time::Duration;

use http::Uri;

use crate::Error;

/// How long a whole exchange may take, connecting to the last body byte,
/// unless set otherwise: 10 s.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long connecting (TCP and TLS) may take on a client this crate builds:
/// 5 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The most response body kept, unless set otherwise: 1 MiB. A Clerk answer
/// is about 1 KiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// What the transport enforces on every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) max_body_bytes: usize,
    pub(crate) allow_insecure_http: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            request_timeout: Some(DEFAULT_REQUEST_TIMEOUT),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            allow_insecure_http: false,
        }
    }
}

impl Policy {
    /// Whether `uri` may be sent: absolute, `http` or `https`, and plain
    /// `http` only to a loopback host unless allowed.
    pub(crate) fn check(&self, uri: &Uri) -> Result<(), Error> {
        let invalid = |reason| Err(Error::InvalidRequest { reason });
        let Some(scheme) = uri.scheme_str() else {
            return invalid("the request URI is not absolute: it has no scheme");
        };
        let Some(host) = uri.host().filter(|h| !h.is_empty()) else {
            return invalid("the request URI has no host");
        };
        if scheme.eq_ignore_ascii_case("https") {
            return Ok(());
        }
        if !scheme.eq_ignore_ascii_case("http") {
            return invalid("the request URI's scheme is not http or https");
        }
        if self.allow_insecure_http || is_loopback_host(host) {
            return Ok(());
        }
        Err(Error::InsecureScheme {
            host: host.to_owned(),
        })
    }

    /// Refuses a declared `Content-Length` over the cap before reading.
    pub(crate) fn check_length(&self, declared: Option<u64>) -> Result<(), Error> {
        match declared {
            Some(length) if length > self.max_body_bytes as u64 => Err(self.too_large()),
            _ => Ok(()),
        }
    }

    pub(crate) fn too_large(&self) -> Error {
        Error::BodyTooLarge {
            limit: self.max_body_bytes,
        }
    }

    /// A buffer for a body of `declared` length, never larger than the cap.
    pub(crate) fn initial_capacity(&self, declared: Option<u64>) -> usize {
        let declared = declared.and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
        declared.min(self.max_body_bytes).min(64 * 1024)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(uri: &str, allow: bool) -> Result<(), Error> {
        let policy = Policy {
            allow_insecure_http: allow,
            ..Policy::default()
        };
        policy.check(&uri.parse().expect("test uri"))
    }

    #[test]
    fn plain_http_goes_only_to_loopback_unless_allowed() {
        assert!(check("https://api.clerk.com/v1", false).is_ok());
        assert!(check("http://127.0.0.1:8080/v1", false).is_ok());
        assert!(matches!(
            check("http://api.clerk.com/v1", false),
            Err(Error::InsecureScheme { host }) if host == "api.clerk.com"
        ));
        assert!(check("http://api.clerk.com/v1", true).is_ok());
    }

    #[test]
    fn relative_and_odd_uris_are_refused() {
        for uri in ["/v1/sign_in_tokens", "ftp://api.clerk.com/v1"] {
            assert!(
                matches!(check(uri, true), Err(Error::InvalidRequest { .. })),
                "{uri}"
            );
        }
    }

    #[test]
    fn a_declared_length_over_the_cap_is_refused() {
        let policy = Policy {
            max_body_bytes: 10,
            ..Policy::default()
        };
        assert!(policy.check_length(Some(10)).is_ok());
        assert!(policy.check_length(None).is_ok());
        assert!(matches!(
            policy.check_length(Some(11)),
            Err(Error::BodyTooLarge { limit: 10 })
        ));
        assert_eq!(policy.initial_capacity(Some(u64::MAX)), 10);
    }
}
