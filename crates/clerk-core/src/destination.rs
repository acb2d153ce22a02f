//! The request check every transport makes before a byte leaves: an
//! absolute `http`/`https` URI, and the cleartext rule.
//!
//! The secret key travels in `Authorization`. It may cross a network only
//! inside TLS: plain `http` is for a mock on this machine (a loopback host),
//! unless the caller opts in with `allow_insecure_http(true)`; and an
//! `https` request is spoken only over a stream the transport knows is TLS.

use http::Uri;

use crate::loopback::is_loopback_host;
use crate::send_error::SendError;

/// Where a checked request goes, split the way transports need it.
///
/// ```
/// let uri: http::Uri = "https://api.clerk.com/v1/sign_in_tokens".parse()?;
/// let to = clerk_core::check_request(&uri, false)?;
/// assert!(to.is_https());
/// assert_eq!(to.host(), "api.clerk.com");
/// assert_eq!(to.authority(), "api.clerk.com");
/// assert_eq!(to.path_and_query(), "/v1/sign_in_tokens");
/// assert!(to.check_stream(true).is_ok());
/// assert!(to.check_stream(false).is_err()); // https over plain TCP
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Destination<'a> {
    https: bool,
    host: &'a str,
    authority: &'a str,
    path_and_query: &'a str,
}

impl<'a> Destination<'a> {
    /// Whether the scheme is `https`.
    ///
    /// See [`Destination`] for an example.
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The host, as [`Uri::host`] gives it (an IPv6 literal keeps its
    /// brackets).
    ///
    /// See [`Destination`] for an example.
    pub fn host(&self) -> &'a str {
        self.host
    }

    /// The authority: host and port, as written (userinfo included, if the
    /// URI has one).
    ///
    /// See [`Destination`] for an example.
    pub fn authority(&self) -> &'a str {
        self.authority
    }

    /// The path and query, `/` when the URI has none.
    ///
    /// See [`Destination`] for an example.
    pub fn path_and_query(&self) -> &'a str {
        self.path_and_query
    }

    /// The second half of the cleartext rule, once the transport knows what
    /// it will speak over: an `https` request goes only over a TLS stream.
    /// (Plain `http` over TLS is harmless, and allowed.) Call it before a
    /// byte of the request is written.
    ///
    /// See [`Destination`] for an example.
    pub fn check_stream(&self, stream_is_tls: bool) -> Result<(), SendError> {
        if self.https && !stream_is_tls {
            return Err(SendError::https_over_plaintext());
        }
        Ok(())
    }
}

/// Checks `uri` before anything is sent: it must be absolute, with a host;
/// its scheme `http` or `https`; and plain `http` is allowed only to a
/// loopback host (see [`is_loopback_host`]) unless `allow_insecure_http`.
///
/// A refusal is a [`SendError`] of kind
/// [`InsecureScheme`](crate::TransportErrorKind::InsecureScheme) or
/// [`InvalidRequest`](crate::TransportErrorKind::InvalidRequest): permanent,
/// and known not to have been sent. Every adapter calls it first.
///
/// ```
/// use clerk_core::{check_request, TransportErrorKind};
///
/// let ok: http::Uri = "http://127.0.0.1:8080/v1".parse()?;
/// assert!(check_request(&ok, false).is_ok());
/// let remote: http::Uri = "http://api.clerk.com/v1".parse()?;
/// assert_eq!(check_request(&remote, false).unwrap_err().kind(), TransportErrorKind::InsecureScheme);
/// assert!(check_request(&remote, true).is_ok());
/// let relative: http::Uri = "/v1/sign_in_tokens".parse()?;
/// assert_eq!(check_request(&relative, true).unwrap_err().kind(), TransportErrorKind::InvalidRequest);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_request(uri: &Uri, allow_insecure_http: bool) -> Result<Destination<'_>, SendError> {
    let scheme = uri.scheme_str().ok_or_else(|| {
        SendError::invalid_request("the request URI is not absolute: it has no scheme")
    })?;
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
    let host = host_of(authority);
    if host.is_empty() {
        return Err(SendError::invalid_request("the request URI has no host"));
    }
    let https = if scheme.eq_ignore_ascii_case("https") {
        true
    } else if scheme.eq_ignore_ascii_case("http") {
        false
    } else {
        return Err(SendError::invalid_request(
            "the request URI's scheme is not http or https",
        ));
    };
    if !https && !allow_insecure_http && !is_loopback_host(host) {
        return Err(SendError::insecure_scheme(host));
    }
    Ok(Destination {
        https,
        host,
        authority,
        path_and_query: uri.path_and_query().map_or("/", |pq| pq.as_str()),
    })
}

/// The host of an authority, exactly as [`Uri::host`] gives it.
///
/// `Uri::host` finds it with two of `core`'s generic character searches
/// (`rsplit('@')`, then `split(':')`), which cost about 370 instructions a
/// request in clerk-hyper's profile (BENCHMARKS.md, section 3), more than
/// the rest of the cleartext rule. An authority that `http` has parsed is
/// already valid, so a plain byte scan finds the same host.
fn host_of(authority: &str) -> &str {
    let start = authority
        .bytes()
        .rposition(|b| b == b'@')
        .map_or(0, |at| at + 1);
    let host_port = &authority[start..];
    let end = if host_port.starts_with('[') {
        host_port.bytes().position(|b| b == b']').map(|at| at + 1)
    } else {
        host_port.bytes().position(|b| b == b':')
    };
    &host_port[..end.unwrap_or(host_port.len())]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TransportErrorKind;

    #[test]
    fn host_is_what_uri_host_says() {
        for uri in [
            "https://api.clerk.com/v1",
            "https://api.clerk.com:443/v1",
            "http://127.0.0.1:8080/v1",
            "http://localhost/v1",
            "http://[::1]:1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]:9/",
            "http://user:pw@example.com:80/",
            "http://a@b@example.com/",
            "http://user@[::1]:5/",
            "http://:80/",
            "http://EXAMPLE.com./",
        ] {
            let uri: Uri = uri.parse().expect("test uri");
            let authority = uri.authority().expect("absolute").as_str();
            assert_eq!(Some(host_of(authority)), uri.host(), "{uri}");
        }
    }

    fn kind(uri: &str, allow: bool) -> Option<TransportErrorKind> {
        let uri: Uri = uri.parse().expect("test uri");
        check_request(&uri, allow).err().map(|e| e.kind())
    }

    #[test]
    fn cleartext_only_to_loopback_unless_allowed() {
        for ok in [
            "https://api.clerk.com/v1/sign_in_tokens",
            "HTTPS://api.clerk.com/v1",
            "http://127.0.0.1:8080/v1",
            "http://127.9.9.9/",
            "http://localhost/v1",
            "http://LOCALHOST./",
            "http://[::1]:1/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert_eq!(kind(ok, false), None, "{ok}");
        }
        for remote in [
            "http://api.clerk.com/v1",
            "http://10.0.0.1/",
            "http://[::2]/",
            "http://localhost.example.com/",
            "http://127.0.0.1@evil.example/",
        ] {
            assert_eq!(
                kind(remote, false),
                Some(TransportErrorKind::InsecureScheme),
                "{remote}"
            );
            assert_eq!(kind(remote, true), None, "{remote}");
        }
    }

    #[test]
    fn unusable_uris_are_refused() {
        for bad in ["/v1/sign_in_tokens", "ftp://example.com/", "http://:80/"] {
            assert_eq!(
                kind(bad, true),
                Some(TransportErrorKind::InvalidRequest),
                "{bad}"
            );
        }
    }

    #[test]
    fn https_needs_a_tls_stream_and_http_may_use_either() {
        let https: Uri = "https://api.clerk.com/v1".parse().expect("uri");
        let to = check_request(&https, false).expect("https");
        assert_eq!(
            to.check_stream(false).map_err(|e| e.kind()),
            Err(TransportErrorKind::InsecureScheme)
        );
        assert!(to.check_stream(true).is_ok());
        let http: Uri = "http://127.0.0.1:1/v1?x=1".parse().expect("uri");
        let to = check_request(&http, false).expect("loopback");
        assert!(to.check_stream(false).is_ok() && to.check_stream(true).is_ok());
        assert_eq!(to.path_and_query(), "/v1?x=1");
        assert_eq!(to.authority(), "127.0.0.1:1");
    }
}
