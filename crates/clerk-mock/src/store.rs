//! The in-memory sign-in token store.

use std::collections::HashMap;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::error::ApiError;

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
        let wire = WireToken {
            object: "sign_in_token",
            id: &self.id,
            status: self.status.as_str(),
            user_id: &self.user_id,
            token: self.token.as_deref(),
            url: self.url.as_deref(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        };
        serde_json::to_value(wire).unwrap_or(serde_json::Value::Null)
    }
}

/// The `SignInToken` schema as sent on the wire (field order as in Clerk's examples).
#[derive(Serialize)]
struct WireToken<'a> {
    object: &'static str,
    id: &'a str,
    status: &'static str,
    user_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    url: Option<&'a str>,
    created_at: i64,
    updated_at: i64,
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
    pub(crate) token: String,
    pub(crate) url: String,
    pub(crate) created_at: i64,
    pub(crate) expires_at: i64,
}

#[derive(Debug)]
struct Record {
    seq: u64,
    status: TokenStatus,
    user_id: String,
    org_id: Option<String>,
    /// `None` once revoked: the secret is forgotten.
    token: Option<String>,
    url: Option<String>,
    created_at: i64,
    updated_at: i64,
    expires_at: i64,
}

impl Record {
    fn wire<'a>(&'a self, id: &'a str) -> WireToken<'a> {
        WireToken {
            object: "sign_in_token",
            id,
            status: self.status.as_str(),
            user_id: &self.user_id,
            token: self.token.as_deref(),
            url: self.url.as_deref(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    fn snapshot(&self, id: &str) -> SignInTokenSnapshot {
        SignInTokenSnapshot {
            id: id.to_owned(),
            status: self.status,
            user_id: self.user_id.clone(),
            org_id: self.org_id.clone(),
            token: self.token.clone(),
            url: self.url.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            expires_at: self.expires_at,
        }
    }

    fn is_expired_at(&self, now: i64) -> bool {
        now >= self.expires_at
    }
}

fn to_json(wire: &WireToken<'_>) -> Vec<u8> {
    // Strings and integers only: serialisation into a Vec cannot fail.
    serde_json::to_vec(wire).unwrap_or_default()
}

/// All tokens, keyed by id.
#[derive(Debug, Default)]
pub(crate) struct Store {
    tokens: HashMap<String, Record>,
    next_seq: u64,
}

impl Store {
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.tokens.contains_key(id)
    }

    /// Stores a new pending token and returns its JSON. The caller has checked
    /// that the id is free.
    pub(crate) fn insert(&mut self, new: NewToken) -> Vec<u8> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let record = Record {
            seq,
            status: TokenStatus::Pending,
            user_id: new.user_id,
            org_id: new.org_id,
            token: Some(new.token),
            url: Some(new.url),
            created_at: new.created_at,
            updated_at: new.created_at,
            expires_at: new.expires_at,
        };
        let json = to_json(&record.wire(&new.id));
        self.tokens.insert(new.id, record);
        json
    }

    /// Revokes a pending, unexpired token and returns its JSON.
    pub(crate) fn revoke(&mut self, id: &str, now: i64) -> Result<Vec<u8>, ApiError> {
        let record = self.tokens.get_mut(id).ok_or_else(ApiError::not_found)?;
        match record.status {
            TokenStatus::Pending if record.is_expired_at(now) => {
                return Err(ApiError::cannot_revoke("expired"));
            }
            TokenStatus::Pending => {}
            other => return Err(ApiError::cannot_revoke(other.as_str())),
        }
        record.status = TokenStatus::Revoked;
        record.token = None;
        record.url = None;
        record.updated_at = now.max(record.updated_at.saturating_add(1));
        Ok(to_json(&record.wire(id)))
    }

    /// Marks a pending, unexpired token as accepted.
    pub(crate) fn accept(&mut self, id: &str, now: i64) -> bool {
        match self.tokens.get_mut(id) {
            Some(r) if r.status == TokenStatus::Pending && !r.is_expired_at(now) => {
                r.status = TokenStatus::Accepted;
                r.updated_at = now.max(r.updated_at.saturating_add(1));
                true
            }
            _ => false,
        }
    }

    /// Moves a token's expiry to `now` (so it counts as expired).
    pub(crate) fn expire(&mut self, id: &str, now: i64) -> bool {
        match self.tokens.get_mut(id) {
            Some(r) => {
                r.expires_at = r.expires_at.min(now);
                true
            }
            None => false,
        }
    }

    pub(crate) fn get(&self, id: &str) -> Option<SignInTokenSnapshot> {
        self.tokens.get(id).map(|r| r.snapshot(id))
    }

    /// All tokens in creation order.
    pub(crate) fn all(&self) -> Vec<SignInTokenSnapshot> {
        let mut records: Vec<(&String, &Record)> = self.tokens.iter().collect();
        records.sort_unstable_by_key(|(_, r)| r.seq);
        records.into_iter().map(|(id, r)| r.snapshot(id)).collect()
    }

    pub(crate) fn clear(&mut self) {
        self.tokens.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_token(id: &str, created_at: i64, expires_at: i64) -> NewToken {
        NewToken {
            id: id.to_owned(),
            user_id: "user_1".to_owned(),
            org_id: None,
            token: "a.b.c".to_owned(),
            url: "https://x/sign-in?__clerk_ticket=a.b.c".to_owned(),
            created_at,
            expires_at,
        }
    }

    #[test]
    fn revoke_transitions_once() {
        let mut s = Store::default();
        s.insert(new_token("sit_1", 1000, 5000));
        let json: serde_json::Value =
            serde_json::from_slice(&s.revoke("sit_1", 1000).expect("revocable")).expect("json");
        assert_eq!(json["status"], "revoked");
        assert!(json.get("token").is_none());
        assert!(json["url"].is_null());
        assert_eq!(json["updated_at"], 1001);
        let err = s.revoke("sit_1", 2000).expect_err("already revoked");
        assert_eq!(err.status.as_u16(), 400);
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
        let mut s = Store::default();
        s.insert(new_token("sit_1", 1000, 5000));
        s.insert(new_token("sit_2", 1000, 5000));
        assert!(s.revoke("sit_1", 5000).is_err());
        assert_eq!(s.get("sit_1").map(|t| t.status), Some(TokenStatus::Pending));
        assert!(
            !s.accept("sit_1", 5000),
            "expired tokens cannot be consumed"
        );
        assert!(s.accept("sit_2", 2000));
        assert!(!s.accept("sit_2", 2000));
        assert!(s.revoke("sit_2", 3000).is_err());
        let ids: Vec<_> = s.all().into_iter().map(|t| t.id).collect();
        assert_eq!(ids, ["sit_1", "sit_2"]);
    }
}
