//! The one definition of "loopback" behind every transport's cleartext rule.
//!
//! Each adapter refuses to send the secret key over plain `http` unless the
//! host is this machine. The rule is the same whichever stack carries the
//! request, so it lives here, next to the requests it guards.

use std::net::IpAddr;

/// Whether `host` names this machine: `localhost` (any case, with or without
/// the root dot), an address in `127.0.0.0/8`, `::1`, or `::ffff:127.x.y.z`.
///
/// `host` is as [`http::Uri::host`] gives it: IPv6 literals may keep their
/// brackets. Names are not resolved: `localhost.example.com` is not loopback.
///
/// ```
/// use clerk_core::is_loopback_host;
///
/// assert!(is_loopback_host("127.0.0.1"));
/// assert!(is_loopback_host("[::1]"));
/// assert!(!is_loopback_host("api.clerk.com"));
/// ```
pub fn is_loopback_host(host: &str) -> bool {
    // The hosts a local mock is reached by, without parsing an address
    // (transports ask on every request).
    if matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
        return true;
    }
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
    use super::is_loopback_host;

    #[test]
    fn loopback_hosts() {
        for h in [
            "localhost",
            "LOCALHOST",
            "localhost.",
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
            "[::ffff:10.0.0.1]",
            "0.0.0.0",
            "",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }
}
