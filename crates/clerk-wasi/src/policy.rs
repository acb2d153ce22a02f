//! Where a request may go, decided before the host sees it.
//!
//! Pure functions over [`http::Uri`], so they build and are tested on every
//! target, not only inside a component (where nothing else calls them).
#![cfg_attr(not(all(target_os = "wasi", target_env = "p2")), allow(dead_code))]

use clerk_core::is_loopback_host;

use clerk_core::http::Uri;
use clerk_core::http::uri::Scheme;

/// The pieces of a URI that `wasi:http`'s `outgoing-request` takes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Target<'a> {
    pub(crate) https: bool,
    pub(crate) authority: &'a str,
    pub(crate) path_and_query: &'a str,
}

/// Why a URI is refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Plain `http` to a host that is not loopback.
    Insecure(String),
    /// Not expressible as a request at all.
    Invalid(&'static str),
}

/// Splits `uri` for `wasi:http`. `http` is allowed only to a loopback host
/// unless `allow_insecure_http`.
pub(crate) fn target(uri: &Uri, allow_insecure_http: bool) -> Result<Target<'_>, Refusal> {
    let https = match uri.scheme() {
        Some(s) if *s == Scheme::HTTPS => true,
        Some(s) if *s == Scheme::HTTP => false,
        Some(_) => {
            return Err(Refusal::Invalid(
                "the URI's scheme is neither http nor https",
            ));
        }
        None => return Err(Refusal::Invalid("the URI has no scheme")),
    };
    let (Some(authority), Some(host)) = (uri.authority(), uri.host()) else {
        return Err(Refusal::Invalid("the URI has no host"));
    };
    if host.is_empty() {
        return Err(Refusal::Invalid("the URI has no host"));
    }
    if !https && !allow_insecure_http && !is_loopback_host(host) {
        return Err(Refusal::Insecure(host.to_owned()));
    }
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
    Ok(Target {
        https,
        authority: authority.as_str(),
        path_and_query,
    })
}

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

    fn check(uri: &str, allow: bool) -> Result<Target<'static>, Refusal> {
        let uri: &'static Uri = Box::leak(Box::new(uri.parse().unwrap()));
        target(uri, allow)
    }

    #[test]
    fn https_is_split_for_wasi_http() {
        assert_eq!(
            check("https://api.clerk.com/v1/sign_in_tokens?x=1", false),
            Ok(Target {
                https: true,
                authority: "api.clerk.com",
                path_and_query: "/v1/sign_in_tokens?x=1",
            })
        );
        assert_eq!(check("https://h:8443", false).unwrap().path_and_query, "/");
        assert_eq!(check("https://h:8443", false).unwrap().authority, "h:8443");
    }

    #[test]
    fn plain_http_only_to_loopback_unless_allowed() {
        for ok in [
            "http://127.0.0.1:4010/v1",
            "http://127.9.9.9/",
            "http://localhost:1/",
            "http://LOCALHOST./",
            "http://[::1]:80/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(check(ok, false).is_ok(), "{ok}");
        }
        for remote in [
            "http://api.clerk.com/v1",
            "http://10.0.0.1/",
            "http://[::2]/",
            "http://localhost.evil/",
        ] {
            assert!(
                matches!(check(remote, false), Err(Refusal::Insecure(_))),
                "{remote}"
            );
            assert!(check(remote, true).is_ok(), "{remote}");
        }
        assert_eq!(
            check("http://api.clerk.com/v1", false),
            Err(Refusal::Insecure("api.clerk.com".into()))
        );
    }

    #[test]
    fn unusable_uris_are_refused() {
        assert_eq!(
            check("/v1/sign_in_tokens", true),
            Err(Refusal::Invalid("the URI has no scheme"))
        );
        assert_eq!(
            check("ftp://h/x", true),
            Err(Refusal::Invalid(
                "the URI's scheme is neither http nor https"
            ))
        );
    }

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
