//! The log of received requests that `GET /__mock/requests` serves.
//!
//! Bounded: the newest `capacity` requests are kept, bodies up to
//! [`MAX_LOGGED_BODY`] bytes each. Credentials never enter it: the values of
//! `Authorization`, `Proxy-Authorization` and `Cookie` are replaced before
//! the entry is stored.

use std::collections::{BTreeMap, VecDeque};

use http::header::{AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION};
use http::request::Parts;
use serde::Serialize;

use crate::store::now_ms;

/// Bytes of a request body kept in its entry.
pub(crate) const MAX_LOGGED_BODY: usize = 4096;

/// The stand-in for a credential.
const REDACTED: &str = "[redacted]";

/// One received request and the status it got.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Entry {
    /// 1 for the first request since start or reset.
    pub(crate) seq: u64,
    /// Unix milliseconds.
    pub(crate) received_at: i64,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    /// `create`, `revoke` or `other`.
    pub(crate) operation: &'static str,
    /// Lower-case names; repeated headers joined with `, `.
    pub(crate) headers: BTreeMap<String, String>,
    /// The body as text (invalid UTF-8 replaced), `null` when there was none
    /// or it could not be read.
    pub(crate) body: Option<String>,
    pub(crate) body_truncated: bool,
    pub(crate) status: u16,
    /// Whether an armed fault applied.
    pub(crate) fault: bool,
}

impl Entry {
    /// The entry for a request; `seq` is set when it is recorded.
    pub(crate) fn new(parts: &Parts, operation: &'static str, body: Option<&[u8]>) -> Self {
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in &parts.headers {
            let shown = if name == AUTHORIZATION || name == PROXY_AUTHORIZATION {
                redact_credentials(value.as_bytes())
            } else if name == COOKIE {
                REDACTED.to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            headers
                .entry(name.as_str().to_owned())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(&shown);
                })
                .or_insert(shown);
        }
        let (body, body_truncated) = match body {
            Some(b) if !b.is_empty() => {
                let kept = &b[..b.len().min(MAX_LOGGED_BODY)];
                (
                    Some(String::from_utf8_lossy(kept).into_owned()),
                    kept.len() < b.len(),
                )
            }
            _ => (None, false),
        };
        Self {
            seq: 0,
            received_at: now_ms(),
            method: parts.method.as_str().to_owned(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            operation,
            headers,
            body,
            body_truncated,
            status: 0,
            fault: false,
        }
    }
}

/// `Bearer [redacted]` for a bearer credential (the scheme shows what was
/// sent, never the key), `[redacted]` for anything else.
fn redact_credentials(value: &[u8]) -> String {
    let scheme = value.split(|&b| b == b' ').next().unwrap_or_default();
    if value.len() > scheme.len() && scheme.eq_ignore_ascii_case(b"bearer") {
        format!("{} {REDACTED}", String::from_utf8_lossy(scheme))
    } else {
        REDACTED.to_owned()
    }
}

/// The newest entries, oldest first.
#[derive(Debug)]
pub(crate) struct Journal {
    capacity: usize,
    entries: VecDeque<Entry>,
    next_seq: u64,
    /// Entries pushed out by newer ones since start or reset.
    pub(crate) dropped: u64,
}

impl Journal {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: VecDeque::new(),
            next_seq: 1,
            dropped: 0,
        }
    }

    pub(crate) fn record(&mut self, mut entry: Entry) {
        if self.capacity == 0 {
            self.dropped += 1;
            return;
        }
        while self.entries.len() >= self.capacity {
            self.entries.pop_front();
            self.dropped += 1;
        }
        entry.seq = self.next_seq;
        self.next_seq += 1;
        self.entries.push_back(entry);
    }

    pub(crate) fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.next_seq = 1;
        self.dropped = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENTINEL: &str = "sk_test_SENTINEL_never_logged";

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut req = http::Request::post("/v1/sign_in_tokens?x=1");
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        req.body(()).expect("request").into_parts().0
    }

    #[test]
    fn credentials_are_redacted() {
        let p = parts(&[
            ("authorization", &format!("Bearer {SENTINEL}")),
            ("proxy-authorization", &format!("Basic {SENTINEL}")),
            ("cookie", &format!("__session={SENTINEL}")),
            ("x-a", "1"),
            ("x-a", "2"),
        ]);
        let entry = Entry::new(&p, "create", Some(br#"{"user_id":"user_1"}"#));
        let json = serde_json::to_string(&entry).expect("json");
        assert!(!json.contains("SENTINEL"), "{json}");
        assert_eq!(entry.headers["authorization"], "Bearer [redacted]");
        assert_eq!(entry.headers["proxy-authorization"], "[redacted]");
        assert_eq!(entry.headers["cookie"], "[redacted]");
        assert_eq!(entry.headers["x-a"], "1, 2");
        assert_eq!(entry.query.as_deref(), Some("x=1"));
        assert_eq!(entry.body.as_deref(), Some(r#"{"user_id":"user_1"}"#));
        // A bare scheme or a lone key is redacted whole.
        assert_eq!(redact_credentials(SENTINEL.as_bytes()), "[redacted]");
        assert_eq!(redact_credentials(b"Bearer"), "[redacted]");
    }

    #[test]
    fn the_journal_keeps_the_newest_entries_and_cuts_long_bodies() {
        let mut j = Journal::new(2);
        let big = vec![b'a'; MAX_LOGGED_BODY + 10];
        for _ in 0..3 {
            j.record(Entry::new(&parts(&[]), "create", Some(&big)));
        }
        let seqs: Vec<u64> = j.entries().map(|e| e.seq).collect();
        assert_eq!(seqs, [2, 3]);
        assert_eq!(j.dropped, 1);
        let first = j.entries().next().expect("entry");
        assert!(first.body_truncated);
        assert_eq!(first.body.as_ref().map(String::len), Some(MAX_LOGGED_BODY));
        j.clear();
        assert_eq!((j.entries().count(), j.dropped), (0, 0));
    }
}
