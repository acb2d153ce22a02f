//! What `wasi:http` needs beyond clerk-core's request check: which headers
//! a host takes, and the declared body length.
//!
//! Pure functions, so they build and are tested on every target, not only
//! inside a component (where nothing else calls them).
#![cfg_attr(not(all(target_os = "wasi", target_env = "p2")), allow(dead_code))]

/// Request headers the transport does not forward: `host` (the host derives
/// it from the authority) and the hop-by-hop headers `wasi:http` hosts forbid.
pub(crate) fn is_forwarded_header(name: &str) -> bool {
    !matches!(
        name,
        "host"
            | "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "upgrade"
            | "http2-settings"
    )
}

/// The declared body length, when the headers declare one that parses.
pub(crate) fn declared_length(value: &[u8]) -> Option<u64> {
    std::str::from_utf8(value).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_and_host_are_not_forwarded() {
        for name in [
            "authorization",
            "content-type",
            "user-agent",
            "clerk-api-version",
            "accept",
        ] {
            assert!(is_forwarded_header(name), "{name}");
        }
        for name in [
            "host",
            "connection",
            "transfer-encoding",
            "upgrade",
            "keep-alive",
        ] {
            assert!(!is_forwarded_header(name), "{name}");
        }
    }

    #[test]
    fn declared_length_parses_or_is_ignored() {
        assert_eq!(declared_length(b"42"), Some(42));
        assert_eq!(declared_length(b" 7 "), Some(7));
        assert_eq!(declared_length(b"-1"), None);
        assert_eq!(declared_length(b"1e3"), None);
        assert_eq!(declared_length(&[0xff]), None);
    }
}
