//! The in-memory sign-in token store, bounded in size.
//!
//! It keeps what revoke and the test helpers need, about 450 bytes a token
//! with the indexes (measured: `scripts/mock-rss.sh`):
//! the id, user, organization, times, status and a seed from which the
//! ticket and URL are rendered again when they are read. Tokens are
//! forgotten once they have been expired for the retention period, and when
//! the store is full the oldest token makes room for the new one.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use clerk_core::{SecretString, SignInToken, SignInTokenStatus, UnixMillis};

use crate::error::ApiError;
use crate::ids::Tickets;

/// The lifecycle state of a sign-in token, as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenStatus {
    /// Created and not yet used or revoked.
    Pending,
    /// Consumed by a user (see [`MockServer::mark_accepted`](crate::MockServer::mark_accepted)).
    Accepted,
    /// Revoked through the API.
    Revoked,
}

impl TokenStatus {
    /// The wire form: `pending`, `accepted` or `revoked`.
    ///
    /// ```
    /// assert_eq!(clerk_mock::TokenStatus::Revoked.as_str(), "revoked");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Revoked => "revoked",
        }
    }
}

impl fmt::Display for TokenStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A copy of one stored sign-in token, for assertions in tests.
///
/// `token` and `url` are what the API would return for this token now: both
/// are `Some` until the token is revoked, then `None` (the API omits `token`
/// and sends `url: null`). They are secrets in real life; this is a test
/// server, so they are plain fields here.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignInTokenSnapshot {
    /// `sit_` followed by 27 base62 characters.
    pub id: String,
    /// The current status. An expired token stays `Pending` (see [`Self::is_expired_at`]).
    pub status: TokenStatus,
    /// The user the token signs in.
    pub user_id: String,
    /// The organization passed at creation, if any (not part of the API's response).
    pub org_id: Option<String>,
    /// The JWT-shaped ticket; `None` once revoked.
    pub token: Option<String>,
    /// The sign-in URL carrying the ticket; `None` once revoked.
    pub url: Option<String>,
    /// Creation time, Unix milliseconds.
    pub created_at: i64,
    /// Last update time, Unix milliseconds.
    pub updated_at: i64,
    /// Expiry time, Unix milliseconds.
    pub expires_at: i64,
}

impl SignInTokenSnapshot {
    /// Whether the token had expired at `now_ms` (Unix milliseconds).
    pub fn is_expired_at(&self, now_ms: i64) -> bool {
        now_ms >= self.expires_at
    }

    /// Whether the token has expired now.
    pub fn is_expired(&self) -> bool {
        self.is_expired_at(now_ms())
    }

    /// The JSON object the API returns for this token (the `SignInToken` schema).
    pub fn to_json(&self) -> serde_json::Value {
        let wire = wire_token(
            &self.id,
            self.status,
            &self.user_id,
            self.token.clone(),
            [self.created_at, self.updated_at],
            self.url.clone(),
        );
        serde_json::to_value(wire).unwrap_or(serde_json::Value::Null)
    }
}

/// The `SignInToken` schema as sent on the wire: clerk-core's own model, so
/// the field names are written down once.
fn wire_token(
    id: &str,
    status: TokenStatus,
    user_id: &str,
    token: Option<String>,
    [created_at, updated_at]: [i64; 2],
    url: Option<String>,
) -> SignInToken {
    let mut wire = SignInToken::new(id, user_id, UnixMillis::new(created_at));
    wire.status = SignInTokenStatus::from(status.as_str());
    wire.token = token.map(SecretString::new);
    wire.url = url.map(SecretString::new);
    wire.updated_at = UnixMillis::new(updated_at);
    wire
}

/// The current time in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// What a new token is made of, computed outside the store lock.
#[derive(Debug)]
pub(crate) struct NewToken {
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) org_id: Option<String>,
    pub(crate) ticket_seed: u64,
    pub(crate) created_at: i64,
    pub(crate) expires_at: i64,
}

#[derive(Debug)]
struct Record {
    id: Box<str>,
    status: TokenStatus,
    user_id: Box<str>,
    org_id: Option<Box<str>>,
    /// Renders the ticket (and so the URL) while the token is not revoked.
    ticket_seed: u64,
    created_at: i64,
    updated_at: i64,
    expires_at: i64,
}

impl Record {
    fn is_expired_at(&self, now: i64) -> bool {
        now >= self.expires_at
    }
}

/// How many tokens the store keeps, and for how long after their expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// At least 1.
    pub(crate) max_tokens: usize,
    /// Milliseconds a token is kept after it expires.
    pub(crate) retention_ms: i64,
}

/// The tokens, by creation order and by id, with their forget times.
#[derive(Debug)]
pub(crate) struct Store {
    tickets: Tickets,
    limits: Limits,
    /// By creation sequence number: the first entry is the oldest.
    records: BTreeMap<u64, Record>,
    ids: HashMap<Box<str>, u64>,
    /// `(forget at, sequence number)`: the first entry goes first.
    forget: BTreeSet<(i64, u64)>,
    next_seq: u64,
}

impl Store {
    pub(crate) fn new(tickets: Tickets, limits: Limits) -> Self {
        Self {
            tickets,
            limits: Limits {
                max_tokens: limits.max_tokens.max(1),
                retention_ms: limits.retention_ms.max(0),
            },
            records: BTreeMap::new(),
            ids: HashMap::new(),
            forget: BTreeSet::new(),
            next_seq: 0,
        }
    }

    fn forget_at(&self, expires_at: i64) -> i64 {
        expires_at.saturating_add(self.limits.retention_ms)
    }

    fn remove(&mut self, seq: u64) {
        if let Some(record) = self.records.remove(&seq) {
            self.ids.remove(&record.id);
            self.forget
                .remove(&(self.forget_at(record.expires_at), seq));
        }
    }

    /// Forgets the tokens whose retention after expiry has ended by `now`.
    fn purge(&mut self, now: i64) {
        while let Some(&(at, seq)) = self.forget.first() {
            if at > now {
                break;
            }
            self.remove(seq);
        }
    }

    fn find(&mut self, id: &str, now: i64) -> Option<&mut Record> {
        self.purge(now);
        let seq = self.ids.get(id)?;
        self.records.get_mut(seq)
    }

    /// The JSON the API returns for `record` (ticket and URL rendered while
    /// the token is not revoked).
    fn json(&self, record: &Record) -> Vec<u8> {
        let token = (record.status != TokenStatus::Revoked).then(|| {
            self.tickets
                .token(&record.id, record.expires_at, record.ticket_seed)
        });
        let url = token.as_deref().map(|t| self.tickets.url(t));
        let wire = wire_token(
            &record.id,
            record.status,
            &record.user_id,
            token,
            [record.created_at, record.updated_at],
            url,
        );
        // Strings and integers only: serialisation into a Vec cannot fail.
        serde_json::to_vec(&wire).unwrap_or_default()
    }

    fn snapshot(&self, record: &Record) -> SignInTokenSnapshot {
        let token = (record.status != TokenStatus::Revoked).then(|| {
            self.tickets
                .token(&record.id, record.expires_at, record.ticket_seed)
        });
        SignInTokenSnapshot {
            id: record.id.to_string(),
            status: record.status,
            user_id: record.user_id.to_string(),
            org_id: record.org_id.as_deref().map(str::to_owned),
            url: token.as_deref().map(|t| self.tickets.url(t)),
            token,
            created_at: record.created_at,
            updated_at: record.updated_at,
            expires_at: record.expires_at,
        }
    }

    /// Stores a new pending token and returns its JSON, or `None` if the id
    /// is taken (draw another). When the store is full, the oldest tokens are
    /// forgotten first, so the new one is always kept.
    pub(crate) fn insert(&mut self, new: NewToken, now: i64) -> Option<Vec<u8>> {
        self.purge(now);
        if self.ids.contains_key(new.id.as_str()) {
            return None;
        }
        while self.records.len() >= self.limits.max_tokens {
            match self.records.first_key_value() {
                Some((&oldest, _)) => self.remove(oldest),
                None => break,
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let id: Box<str> = new.id.into();
        let record = Record {
            id: id.clone(),
            status: TokenStatus::Pending,
            user_id: new.user_id.into(),
            org_id: new.org_id.map(Into::into),
            ticket_seed: new.ticket_seed,
            created_at: new.created_at,
            updated_at: new.created_at,
            expires_at: new.expires_at,
        };
        let json = self.json(&record);
        self.forget.insert((self.forget_at(record.expires_at), seq));
        self.ids.insert(id, seq);
        self.records.insert(seq, record);
        Some(json)
    }

    /// Revokes a pending, unexpired token and returns its JSON.
    pub(crate) fn revoke(&mut self, id: &str, now: i64) -> Result<Vec<u8>, ApiError> {
        let record = self.find(id, now).ok_or_else(ApiError::not_found)?;
        match record.status {
            TokenStatus::Pending if record.is_expired_at(now) => {
                return Err(ApiError::cannot_revoke("expired"));
            }
            TokenStatus::Pending => {}
            other => return Err(ApiError::cannot_revoke(other.as_str())),
        }
        record.status = TokenStatus::Revoked;
        record.updated_at = now.max(record.updated_at.saturating_add(1));
        let seq = self.ids[id];
        Ok(self.json(&self.records[&seq]))
    }

    /// Marks a pending, unexpired token as accepted.
    pub(crate) fn accept(&mut self, id: &str, now: i64) -> bool {
        match self.find(id, now) {
            Some(r) if r.status == TokenStatus::Pending && !r.is_expired_at(now) => {
                r.status = TokenStatus::Accepted;
                r.updated_at = now.max(r.updated_at.saturating_add(1));
                true
            }
            _ => false,
        }
    }

    /// Moves a token's expiry to `now` (so it counts as expired; it is
    /// forgotten once the retention period has passed from now).
    pub(crate) fn expire(&mut self, id: &str, now: i64) -> bool {
        let Some(record) = self.find(id, now) else {
            return false;
        };
        let old = record.expires_at;
        record.expires_at = old.min(now);
        let new = record.expires_at;
        let seq = self.ids[id];
        self.forget.remove(&(self.forget_at(old), seq));
        self.forget.insert((self.forget_at(new), seq));
        true
    }

    pub(crate) fn get(&mut self, id: &str, now: i64) -> Option<SignInTokenSnapshot> {
        self.purge(now);
        let seq = self.ids.get(id)?;
        Some(self.snapshot(&self.records[seq]))
    }

    /// All tokens in creation order.
    pub(crate) fn all(&mut self, now: i64) -> Vec<SignInTokenSnapshot> {
        self.purge(now);
        self.records.values().map(|r| self.snapshot(r)).collect()
    }

    /// How many tokens are kept.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    pub(crate) fn clear(&mut self) {
        self.records.clear();
        self.ids.clear();
        self.forget.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_tokens: 100,
        retention_ms: 0,
    };

    fn store(limits: Limits) -> Store {
        Store::new(Tickets::new("https://x"), limits)
    }

    fn new_token(id: &str, created_at: i64, expires_at: i64) -> NewToken {
        NewToken {
            id: id.to_owned(),
            user_id: "user_1".to_owned(),
            org_id: None,
            ticket_seed: 7,
            created_at,
            expires_at,
        }
    }

    fn ids(s: &mut Store, now: i64) -> Vec<String> {
        s.all(now).into_iter().map(|t| t.id).collect()
    }

    #[test]
    fn revoke_transitions_once() {
        let mut s = store(LIMITS);
        let created: serde_json::Value =
            serde_json::from_slice(&s.insert(new_token("sit_1", 1000, 5000), 1000).expect("new"))
                .expect("json");
        let token = created["token"].as_str().expect("token");
        assert_eq!(
            created["url"].as_str(),
            Some(format!("https://x/sign-in?__clerk_ticket={token}").as_str())
        );
        assert_eq!(
            s.get("sit_1", 1000).and_then(|t| t.token).as_deref(),
            Some(token)
        );
        assert!(
            s.insert(new_token("sit_1", 1000, 5000), 1000).is_none(),
            "id taken"
        );
        let json: serde_json::Value =
            serde_json::from_slice(&s.revoke("sit_1", 1000).expect("revocable")).expect("json");
        assert_eq!(json["status"], "revoked");
        assert!(json.get("token").is_none());
        assert!(json["url"].is_null());
        assert_eq!(json["updated_at"], 1001);
        let err = s.revoke("sit_1", 2000).expect_err("already revoked");
        assert_eq!(err.status.as_u16(), 400);
        let snapshot = s.get("sit_1", 2000).expect("kept");
        assert_eq!((snapshot.token, snapshot.url), (None, None));
        assert_eq!(
            s.revoke("sit_x", 2000)
                .expect_err("unknown")
                .status
                .as_u16(),
            404
        );
    }

    #[test]
    fn expired_and_accepted_tokens_cannot_be_revoked() {
        let mut s = store(Limits {
            retention_ms: 60_000,
            ..LIMITS
        });
        s.insert(new_token("sit_1", 1000, 5000), 1000);
        s.insert(new_token("sit_2", 1000, 5000), 1000);
        assert!(s.revoke("sit_1", 5000).is_err());
        assert_eq!(
            s.get("sit_1", 5000).map(|t| t.status),
            Some(TokenStatus::Pending)
        );
        assert!(
            !s.accept("sit_1", 5000),
            "expired tokens cannot be consumed"
        );
        assert!(s.accept("sit_2", 2000));
        assert!(!s.accept("sit_2", 2000));
        assert!(s.revoke("sit_2", 3000).is_err());
        assert_eq!(ids(&mut s, 3000), ["sit_1", "sit_2"]);
    }

    #[test]
    fn a_full_store_forgets_its_oldest_token_and_keeps_the_new_one() {
        let mut s = store(Limits {
            max_tokens: 3,
            ..LIMITS
        });
        for i in 0..5 {
            let id = format!("sit_{i}");
            assert!(s.insert(new_token(&id, 1000 + i, i64::MAX), 1000).is_some());
            assert!(s.len() <= 3);
            // The token just made can always be revoked.
            assert!(s.revoke(&id, 1000).is_ok(), "{id}");
        }
        assert_eq!(ids(&mut s, 1000), ["sit_2", "sit_3", "sit_4"]);
        let evicted = s.revoke("sit_0", 1000).expect_err("forgotten");
        assert_eq!(evicted.status.as_u16(), 404);
        // A capacity of 0 still keeps the newest token.
        let mut tiny = store(Limits {
            max_tokens: 0,
            ..LIMITS
        });
        tiny.insert(new_token("sit_a", 0, 10), 0);
        tiny.insert(new_token("sit_b", 0, 10), 0);
        assert_eq!(ids(&mut tiny, 0), ["sit_b"]);
        assert!(tiny.revoke("sit_b", 0).is_ok());
    }

    #[test]
    fn expired_tokens_are_forgotten_after_the_retention_period() {
        let mut s = store(Limits {
            max_tokens: 100,
            retention_ms: 1_000,
        });
        s.insert(new_token("sit_short", 0, 5_000), 0);
        s.insert(new_token("sit_long", 0, 50_000), 0);
        s.insert(new_token("sit_forced", 0, 50_000), 0);
        // Expired but retained: revoke says why it cannot.
        let err = s.revoke("sit_short", 5_500).expect_err("expired");
        assert_eq!(err.status.as_u16(), 400);
        assert!(s.expire("sit_forced", 5_500));
        assert_eq!(ids(&mut s, 5_999), ["sit_short", "sit_long", "sit_forced"]);
        // Retention over: forgotten, whichever operation comes next.
        assert_eq!(ids(&mut s, 6_000), ["sit_long", "sit_forced"]);
        assert_eq!(
            s.revoke("sit_short", 6_000)
                .expect_err("gone")
                .status
                .as_u16(),
            404
        );
        assert!(s.get("sit_forced", 6_499).is_some());
        assert!(s.get("sit_forced", 6_500).is_none());
        assert!(!s.expire("sit_forced", 6_500));
        assert!(
            s.insert(new_token("sit_new", 6_500, 60_000), 6_500)
                .is_some()
        );
        assert_eq!(s.len(), 2);
        assert_eq!(ids(&mut s, 51_000), ["sit_new"]);
    }
}
