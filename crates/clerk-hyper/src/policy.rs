//! Checks made on a request before any connection is opened.

use clerk_core::is_loopback_host;

use http::Uri;

use crate::error::Error;

/// Whether `uri` may be sent, given the transport's settings.
///
/// Rules, in order: the URI must be absolute (scheme and host); the scheme
/// must be `http` or `https`; `https` needs a TLS-capable connector; plain
/// `http` is allowed only to a loopback host unless `allow_insecure_http`.
pub(crate) fn check_uri(uri: &Uri, allow_insecure_http: bool, https_ok: bool) -> Result<(), Error> {
    let scheme = uri
        .scheme_str()
        .ok_or_else(|| Error::invalid("the request URI is not absolute: it has no scheme"))?;
    let host = host(uri)
        .filter(|h| !h.is_empty())
        .ok_or_else(|| Error::invalid("the request URI has no host"))?;
    if scheme.eq_ignore_ascii_case("https") {
        if !https_ok {
            return Err(Error::invalid(
                "https is not available: clerk-hyper was built without its `rustls` feature",
            ));
        }
        return Ok(());
    }
    if !scheme.eq_ignore_ascii_case("http") {
        return Err(Error::invalid(
            "the request URI's scheme is not http or https",
        ));
    }
    if allow_insecure_http || is_loopback_host(host) {
        return Ok(());
    }
    Err(Error::InsecureScheme {
        host: host.to_owned(),
    })
}

/// The host of `uri`, exactly as [`Uri::host`] gives it (an IPv6 literal
/// keeps its brackets).
///
/// `Uri::host` finds it with two of `core`'s generic character searches
/// (`rsplit('@')`, then `split(':')`), which cost about 370 instructions a
/// request in clerk-hyper's profile (BENCHMARKS.md, section 3): more than the
/// rest of the cleartext rule. An authority that `http` has parsed is already
/// valid, so a plain byte scan finds the same host.
fn host(uri: &Uri) -> Option<&str> {
    let authority = uri.authority()?.as_str();
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
    Some(&host_port[..end.unwrap_or(host_port.len())])
}

#[cfg(test)]
mod tests {
    use super::*;

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
            "/v1/sign_in_tokens",
        ] {
            let uri: Uri = uri.parse().expect("test uri");
            assert_eq!(host(&uri), uri.host(), "{uri}");
        }
    }

    fn check(uri: &str, allow: bool) -> Result<(), Error> {
        check_uri(&uri.parse().expect("test uri"), allow, true)
    }

    #[test]
    fn cleartext_rule() {
        assert!(check("https://api.clerk.com/v1/sign_in_tokens", false).is_ok());
        assert!(check("http://127.0.0.1:8080/v1", false).is_ok());
        assert!(check("http://localhost/v1", false).is_ok());
        assert!(check("http://[::1]:1/", false).is_ok());
        assert!(matches!(
            check("http://api.clerk.com/v1", false),
            Err(Error::InsecureScheme { .. })
        ));
        assert!(check("http://api.clerk.com/v1", true).is_ok());
    }

    #[test]
    fn malformed() {
        assert!(matches!(
            check("/v1/sign_in_tokens", false),
            Err(Error::InvalidRequest { .. })
        ));
        assert!(matches!(
            check("ftp://example.com/", true),
            Err(Error::InvalidRequest { .. })
        ));
        let no_tls = check_uri(&"https://example.com/".parse().expect("uri"), false, false);
        assert!(matches!(no_tls, Err(Error::InvalidRequest { .. })));
    }
}
