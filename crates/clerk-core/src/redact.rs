//! Removing what looks like a secret from text the server sent, before it is
//! kept in an error.
//!
//! Four shapes are removed: Clerk secret keys (`sk_…`), `Bearer …`
//! credentials, JWT-shaped strings (`eyJ…`, which is how sign-in tokens
//! start), the value of a `__clerk_ticket=` url parameter, and the string value
//! of JSON keys that carry secrets (`"token"`, `"url"`, `"secret_key"`,
//! `"authorization"`). Each becomes `[redacted]`.

const REDACTED: &str = "[redacted]";
const SECRET_JSON_KEYS: [&str; 4] = [
    "\"token\"",
    "\"url\"",
    "\"secret_key\"",
    "\"authorization\"",
];

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn is_token_char(b: u8) -> bool {
    is_word(b) || b == b'.' || b == b'~' || b == b'+' || b == b'/' || b == b'='
}

/// Returns `text` with every secret-looking run replaced.
pub(crate) fn redact(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    // Start of the current run of bytes copied through unchanged.
    let mut copied = 0;
    while i < b.len() {
        let at_word_start = i == 0 || !is_word(b[i - 1]);
        // `x_sk_live_…` hides a key too; `risk_factor` does not.
        let after_alnum = i > 0 && b[i - 1].is_ascii_alphanumeric();
        let skip_to = if !after_alnum && b[i..].starts_with(b"sk_") {
            let end = i + 3 + b[i + 3..].iter().take_while(|&&c| is_word(c)).count();
            (end > i + 3).then_some((i, end))
        } else if at_word_start && b[i..].starts_with(b"eyJ") {
            Some((
                i,
                i + b[i..].iter().take_while(|&&c| is_token_char(c)).count(),
            ))
        } else if b[i..].starts_with(b"Bearer ") || b[i..].starts_with(b"bearer ") {
            let start = i + 7;
            let end = start + b[start..].iter().take_while(|&&c| is_token_char(c)).count();
            (end > start).then_some((start, end))
        } else if b[i..].starts_with(b"__clerk_ticket=") {
            let start = i + 15;
            let end = start
                + b[start..]
                    .iter()
                    .take_while(|&&c| {
                        !matches!(c, b'&' | b'"' | b'\'' | b'<' | b'>' | b'#')
                            && !c.is_ascii_whitespace()
                    })
                    .count();
            (end > start).then_some((start, end))
        } else if b[i] == b'"' {
            json_secret_value(b, i)
        } else {
            None
        };
        match skip_to {
            Some((start, end)) => {
                out.push_str(&text[copied..start]);
                out.push_str(REDACTED);
                i = end;
                copied = end;
            }
            None => i += 1,
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// At `"token": "…"` (or another secret key), the span of the string value.
fn json_secret_value(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let key = SECRET_JSON_KEYS.iter().find(|k| {
        b[i..].len() >= k.len() && b[i..i + k.len()].eq_ignore_ascii_case(k.as_bytes())
    })?;
    let mut j = i + key.len();
    while j < b.len() && b[j].is_ascii_whitespace() {
        j += 1;
    }
    if b.get(j) != Some(&b':') {
        return None;
    }
    j += 1;
    while j < b.len() && b[j].is_ascii_whitespace() {
        j += 1;
    }
    if b.get(j) != Some(&b'"') {
        return None;
    }
    let start = j + 1;
    let mut k = start;
    // A garbled body can put a stray quote inside the secret: the value only
    // ends at a quote that JSON could end it with (followed by `,`, `}`, `]`
    // or the end of the text), so the rest of the secret is never kept.
    while k < b.len() && !(b[k] == b'"' && ends_value(&b[k + 1..])) {
        k += if b[k] == b'\\' { 2 } else { 1 };
    }
    let end = k.min(b.len());
    (end > start).then_some((start, end))
}

/// Whether what follows a closing quote is what JSON allows after a value.
fn ends_value(rest: &[u8]) -> bool {
    matches!(
        rest.iter().find(|c| !c.is_ascii_whitespace()),
        None | Some(b',' | b'}' | b']')
    )
}

/// Shortest run of token characters that [`redact_excerpt`] treats as a
/// possible secret. Sign-in tokens and secret keys are far longer; trace ids
/// (32 hex digits) would be caught too, which is why this is for excerpts only.
const LONG_RUN: usize = 24;

/// For excerpts of bodies that could not be read: [`redact`], then every run
/// of at least 24 token characters (base64url, `.`, `/`, `+`, `=`, `~`) is
/// replaced too. A garbled body can hide a token where no pattern finds it;
/// a long unbroken run is what is left of it. Within a URL the run is cut at
/// `/` and `.` first, so `https://example.com/errors#VIOLATIONS` stays.
pub(crate) fn redact_excerpt(text: &str) -> String {
    let first = redact(text);
    let b = first.as_bytes();
    let mut out = String::with_capacity(first.len());
    let mut copied = 0;
    let mut i = 0;
    // Inside a URL: from `scheme://` to the next space, quote or bracket.
    let mut url = false;
    while i < b.len() {
        if is_token_char(b[i]) {
            let run = b[i..].iter().take_while(|&&c| is_token_char(c)).count();
            // In a URL each part between slashes and dots is judged on its
            // own, so a long host or path is kept while a token pasted into
            // it as one segment is not.
            url |= i > 0 && b[i - 1] == b':' && b[i..].starts_with(b"//");
            let mut start = i;
            for part in b[i..i + run].split(|&c| url && (c == b'/' || c == b'.')) {
                if part.len() >= LONG_RUN {
                    out.push_str(&first[copied..start]);
                    out.push_str(REDACTED);
                    copied = start + part.len();
                }
                start += part.len() + 1;
            }
            i += run;
        } else {
            url &= !(b[i].is_ascii_whitespace() || matches!(b[i], b'"' | b'\'' | b'<' | b'>'));
            i += 1;
        }
    }
    out.push_str(&first[copied..]);
    out
}

/// Redacts `value` in place inside a JSON tree: every string is passed
/// through [`redact`], and the values of secret keys are replaced outright.
pub(crate) fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => {
            let r = redact(s);
            if r != *s {
                *s = r;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        serde_json::Value::Object(map) => redact_json_map(map),
        _ => {}
    }
}

/// [`redact_json`] for an object: the values of secret keys (`token`, `url`,
/// `secret_key`, `authorization`, whatever their case) are replaced whatever
/// their type, the rest recursively redacted.
pub(crate) fn redact_json_map(map: &mut serde_json::Map<String, serde_json::Value>) {
    for (k, v) in map.iter_mut() {
        let secret_key = SECRET_JSON_KEYS
            .iter()
            .any(|s| s.trim_matches('"').eq_ignore_ascii_case(k));
        if secret_key && !v.is_null() {
            *v = serde_json::Value::String(REDACTED.to_owned());
        } else {
            redact_json(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_each_shape() {
        let cases = [
            ("key sk_test_ABC123 here", "key [redacted] here"),
            (
                "Authorization: Bearer sk_live_Z9",
                "Authorization: Bearer [redacted]",
            ),
            ("tok eyJhbGciOi.eyJzdWIi.sig_-x end", "tok [redacted] end"),
            (
                "https://a.example/sign-in?__clerk_ticket=abc.def&x=1",
                "https://a.example/sign-in?__clerk_ticket=[redacted]&x=1",
            ),
            (
                r#"{"token":"SENTINEL","id":"sit_1"}"#,
                r#"{"token":"[redacted]","id":"sit_1"}"#,
            ),
            (
                r#"{"url" : "https://x/?a=\"b\"", "n":1}"#,
                r#"{"url" : "[redacted]", "n":1}"#,
            ),
            ("risk_factor stays", "risk_factor stays"),
            ("code x_sk_live_K3Y", "code x_[redacted]"),
            ("sk_ alone", "sk_ alone"),
            (
                r#"{"token":"eyJ0.eyJ1"J9.SENTINELsig","id":"sit_1"}"#,
                r#"{"token":"[redacted]","id":"sit_1"}"#,
            ),
            (
                r#"{"url":"https://accou"nts.example/x?y=SENTINEL" ,"n":1}"#,
                r#"{"url":"[redacted]" ,"n":1}"#,
            ),
            (
                "unterminated \"token\":\"abc",
                "unterminated \"token\":\"[redacted]",
            ),
            ("<html>héllo</html>", "<html>héllo</html>"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(input), expected, "{input:?}");
        }
    }

    #[test]
    fn excerpts_lose_long_runs() {
        let garbled = r#"{"token":"eyJhbGciOiJSUzI1NiJ9."yJzaWQiOiJTRU5USU5FTCJ9.SENTINELsignaturetok","n":1}"#;
        let r = redact_excerpt(garbled);
        assert!(!r.contains("SENTINEL"), "{r}");
        assert_eq!(
            redact_excerpt("<h1>502 Bad Gateway</h1>"),
            "<h1>502 Bad Gateway</h1>"
        );
    }

    #[test]
    fn excerpts_keep_ordinary_urls() {
        for text in [
            "see https://example.com/errors#VIOLATIONS",
            "<a href=\"https://status.cdn-provider.example.com/incidents/2026/november-outage\">",
            "http://127.0.0.1:8080/v1/sign_in_tokens/sit_123/revoke failed",
        ] {
            assert_eq!(redact_excerpt(text), text);
        }
        // A long segment inside a URL, or a long run that is not a URL, still goes.
        assert_eq!(
            redact_excerpt("https://example.com/t/SENTINELSENTINELSENTINELSENTINEL/x"),
            "https://example.com/t/[redacted]/x"
        );
        assert_eq!(
            redact_excerpt("at //SENTINELSENTINELSENTINEL/x"),
            "at [redacted]"
        );
        assert_eq!(
            redact_excerpt("https://ex.com/?__clerk_ticket=abc#x"),
            "https://ex.com/?__clerk_ticket=[redacted]#x"
        );
    }

    #[test]
    fn redacts_json_trees() {
        let mut v = serde_json::json!({
            "token": "SENTINEL", "nested": {"url": "https://x/?__clerk_ticket=SENTINEL"},
            "list": ["sk_test_SENTINEL"], "n": 3
        });
        redact_json(&mut v);
        assert!(!v.to_string().contains("SENTINEL"), "{v}");
        assert_eq!(v["n"], 3);
        // A map's own secret keys, whatever the value's type (found by fuzzing).
        let mut map = serde_json::json!({"a": 1, "token": "SENTINELtok0123", "URL": ["SENTINEL"]})
            .as_object()
            .cloned()
            .unwrap();
        redact_json_map(&mut map);
        assert!(
            !serde_json::Value::Object(map.clone())
                .to_string()
                .contains("SENTINEL")
        );
        assert_eq!(map["a"], 1);
    }
}
