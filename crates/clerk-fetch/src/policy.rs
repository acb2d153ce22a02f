//! Checks made on a request before `fetch` is called: no JavaScript here, so
//! they are tested on every target.

use clerk_core::is_loopback_host;

use http::Uri;

use crate::error::Error;

/// Whether `uri` may be sent: absolute, `http` or `https`, and plain `http`
/// only to a loopback host unless `allow_insecure_http`.
pub(crate) fn check_uri(uri: &Uri, allow_insecure_http: bool) -> Result<(), Error> {
    let scheme = uri.scheme_str().ok_or(Error::InvalidRequest {
        reason: "the request URI is not absolute: it has no scheme",
    })?;
    let host = uri
        .host()
        .filter(|h| !h.is_empty())
        .ok_or(Error::InvalidRequest {
            reason: "the request URI has no host",
        })?;
    if scheme.eq_ignore_ascii_case("https") {
        return Ok(());
    }
    if !scheme.eq_ignore_ascii_case("http") {
        return Err(Error::InvalidRequest {
            reason: "the request URI's scheme is not http or https",
        });
    }
    if allow_insecure_http || is_loopback_host(host) {
        return Ok(());
    }
    Err(Error::InsecureScheme {
        host: host.to_owned(),
    })
}

/// The headers as `fetch` takes them (strings), or the reason they cannot be.
/// `fetch` accepts only byte-string values; this refuses anything outside
/// visible ASCII, space and tab before JavaScript sees it, so no host error
/// message can quote a header value.
#[cfg_attr(
    not(all(target_arch = "wasm32", target_os = "unknown")),
    allow(dead_code)
)]
pub(crate) fn header_pairs(
    headers: &http::HeaderMap,
) -> Result<impl Iterator<Item = (&str, &str)>, Error> {
    // All checked before the first is handed over; no Vec of pairs.
    if headers.values().any(|value| value.to_str().is_err()) {
        return Err(Error::InvalidRequest {
            reason: "a header value is not visible ASCII",
        });
    }
    Ok(headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?))))
}

/// The strings a JavaScript error message must never show: the whole
/// `Authorization` value and the credential after its scheme.
#[cfg_attr(
    not(all(target_arch = "wasm32", target_os = "unknown")),
    allow(dead_code)
)]
pub(crate) fn secrets_of(headers: &http::HeaderMap) -> Vec<String> {
    let mut out = Vec::new();
    for value in headers.get_all(http::header::AUTHORIZATION) {
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if let Some((_, credential)) = text.split_once(' ') {
            out.push(credential.trim().to_owned());
        }
        out.push(text);
    }
    // Longest first, so a whole value is replaced before its parts.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(uri: &str, allow: bool) -> Result<(), Error> {
        check_uri(&uri.parse().expect("test uri"), allow)
    }

    #[test]
    fn cleartext_only_to_loopback() {
        assert!(check("https://api.clerk.com/v1/sign_in_tokens", false).is_ok());
        for ok in [
            "http://127.0.0.1:8080/v1",
            "http://localhost/v1",
            "http://[::1]:1/",
            "http://127.9.9.9/",
        ] {
            assert!(check(ok, false).is_ok(), "{ok}");
        }
        assert_eq!(
            check("http://api.clerk.com/v1", false),
            Err(Error::InsecureScheme {
                host: "api.clerk.com".into()
            })
        );
        assert!(check("http://localhost.example.com/", false).is_err());
        assert!(check("http://api.clerk.com/v1", true).is_ok());
    }

    #[test]
    fn malformed_uris_are_refused() {
        for bad in ["/v1/sign_in_tokens", "ftp://example.com/"] {
            assert!(
                matches!(check(bad, true), Err(Error::InvalidRequest { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn header_values_must_be_ascii() {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-ok", http::HeaderValue::from_static("fine value"));
        assert_eq!(
            header_pairs(&headers).expect("ascii").collect::<Vec<_>>(),
            [("x-ok", "fine value")]
        );
        headers.insert(
            "x-bad",
            http::HeaderValue::from_bytes(b"caf\xe9").expect("obs-text is a valid value"),
        );
        assert!(matches!(
            header_pairs(&headers).map(|pairs| pairs.count()),
            Err(Error::InvalidRequest { .. })
        ));
    }

    #[test]
    fn secrets_cover_the_whole_value_and_the_credential() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_static("Bearer sk_test_SENTINEL"),
        );
        assert_eq!(
            secrets_of(&headers),
            ["Bearer sk_test_SENTINEL", "sk_test_SENTINEL"]
        );
        headers.append(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_static("Basic dXNlcjpwYXNzd29yZC1sb25nZXI="),
        );
        assert_eq!(
            secrets_of(&headers),
            [
                "Basic dXNlcjpwYXNzd29yZC1sb25nZXI=",
                "dXNlcjpwYXNzd29yZC1sb25nZXI=",
                "Bearer sk_test_SENTINEL",
                "sk_test_SENTINEL"
            ]
        );
    }
}
