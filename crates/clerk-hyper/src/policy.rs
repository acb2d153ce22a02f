//! Checks made on a request before any connection is opened.

use std::net::IpAddr;

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
    let host = uri
        .host()
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

/// `localhost`, an address in 127.0.0.0/8, `::1`, or `::ffff:127.x.y.z`.
///
/// `host` is as [`Uri::host`] gives it: IPv6 literals keep their brackets.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if bare.eq_ignore_ascii_case("localhost") || bare.eq_ignore_ascii_case("localhost.") {
        return true;
    }
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(uri: &str, allow: bool) -> Result<(), Error> {
        check_uri(&uri.parse().expect("test uri"), allow, true)
    }

    #[test]
    fn loopback_hosts() {
        for h in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "::1",
            "[::ffff:127.0.0.1]",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "example.com",
            "localhost.example.com",
            "128.0.0.1",
            "10.0.0.1",
            "[::2]",
            "0.0.0.0",
            "",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
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
