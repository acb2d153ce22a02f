//! What `fetch` needs of a request beyond clerk-core's check: the headers
//! as strings, and the secrets its error messages must never show; and the
//! length JavaScript gives a string the answer's headers came in. No
//! JavaScript here, so they are tested on every target.

use clerk_core::SendError;

/// Appends the headers as `fetch` takes them (strings) to `out`, each as
/// `name\nvalue\n` (neither can hold a line feed), or answers why they
/// cannot be. `fetch` accepts only byte-string values; this refuses
/// anything outside visible ASCII, space and tab before JavaScript sees it,
/// so no host error message can quote a header value.
#[cfg_attr(
    not(all(target_arch = "wasm32", target_os = "unknown")),
    allow(dead_code)
)]
pub(crate) fn push_headers(headers: &http::HeaderMap, out: &mut String) -> Result<(), SendError> {
    for (name, value) in headers {
        let value = value
            .to_str()
            .map_err(|_| SendError::invalid_request("a header value is not visible ASCII"))?;
        out.push_str(name.as_str());
        out.push('\n');
        out.push_str(value);
        out.push('\n');
    }
    Ok(())
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

/// How many UTF-16 units (JavaScript's `length`) `text` has: one per UTF-8
/// sequence, two for a 4-byte one. Counted from lead and continuation bytes,
/// without decoding; ASCII text (almost every answer's headers), checked a
/// word at a time, is its length.
#[cfg_attr(
    not(all(target_arch = "wasm32", target_os = "unknown")),
    allow(dead_code)
)]
pub(crate) fn utf16_len(text: &str) -> usize {
    if text.is_ascii() {
        return text.len();
    }
    let mut units = 0;
    for &b in text.as_bytes() {
        units += usize::from(b & 0xc0 != 0x80) + usize::from(b >= 0xf0);
    }
    units
}

/// Whether `a` and `b` hold the same bytes, compared eight at a time: on
/// wasm32, `==` on slices calls compiler-builtins' `memcmp`, which compares
/// one byte per step (2.3% of the module's time in a Bun profile, comparing
/// a request's head with the one sent before).
#[cfg_attr(
    not(all(target_arch = "wasm32", target_os = "unknown")),
    allow(dead_code)
)]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut a_words = a.chunks_exact(8);
    let mut b_words = b.chunks_exact(8);
    for (x, y) in a_words.by_ref().zip(b_words.by_ref()) {
        // Chunks of exactly eight: the conversions cannot fail.
        if let (Ok(x), Ok(y)) = (<[u8; 8]>::try_from(x), <[u8; 8]>::try_from(y)) {
            if u64::from_ne_bytes(x) != u64::from_ne_bytes(y) {
                return false;
            }
        }
    }
    a_words.remainder().iter().eq(b_words.remainder())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_must_be_ascii() {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-ok", http::HeaderValue::from_static("fine value"));
        headers.insert("x-two", http::HeaderValue::from_static("2"));
        let mut out = String::new();
        push_headers(&headers, &mut out).expect("ascii");
        assert_eq!(out, "x-ok\nfine value\nx-two\n2\n");
        headers.insert(
            "x-bad",
            http::HeaderValue::from_bytes(b"caf\xe9").expect("obs-text is a valid value"),
        );
        assert_eq!(
            push_headers(&headers, &mut String::new()).map_err(|e| e.kind()),
            Err(clerk_core::TransportErrorKind::InvalidRequest)
        );
    }

    #[test]
    fn same_bytes_is_slice_equality() {
        let base: Vec<u8> = (0..=40u8).collect();
        for len in 0..=base.len() {
            let a = &base[..len];
            assert!(same_bytes(a, a), "{len}");
            assert_eq!(same_bytes(a, &base[..len.saturating_sub(1)]), len == 0);
            // One byte changed anywhere: in a word, or in the tail.
            for at in 0..len {
                let mut b = a.to_vec();
                b[at] ^= 0x20;
                assert!(!same_bytes(a, &b), "{len} {at}");
            }
        }
    }

    #[test]
    fn utf16_len_is_javascripts_length() {
        for text in [
            "",
            "content-type\napplication/json\n",
            "caf\u{e9}",
            "\u{20ac}1",
            "\u{1f600}x\u{10ffff}",
        ] {
            assert_eq!(utf16_len(text), text.encode_utf16().count(), "{text:?}");
        }
        // Scalar values across the whole range (every 97th), one at a time.
        for c in ('\0'..=char::MAX).step_by(97) {
            let text = c.to_string();
            assert_eq!(utf16_len(&text), c.len_utf16(), "{c:?}");
        }
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
