//! Random identifiers and JWT-shaped tickets.
//!
//! Randomness comes from `fastrand`'s thread-local generator (seeded per
//! thread from the standard library's hash randomness), which is plenty for a
//! test server and *not* cryptographically secure.
//!
//! A ticket is rendered from the token's id, its expiry and a 64-bit seed, so
//! the store keeps 8 bytes per token instead of the ticket and the URL (about
//! 700 bytes); the same inputs always give the same ticket.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Length of the random part of `sit_`/`ins_` ids.
const ID_RANDOM_LEN: usize = 27;

/// `prefix` followed by 27 random base62 characters.
pub(crate) fn new_id(prefix: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + ID_RANDOM_LEN);
    id.push_str(prefix);
    id.extend(std::iter::repeat_with(fastrand::alphanumeric).take(ID_RANDOM_LEN));
    id
}

/// 32 lowercase hex digits (128 random bits), for `Clerk-Trace-Id`.
pub(crate) fn trace_id() -> String {
    format!("{:032x}", fastrand::u128(..))
}

/// A seed from which [`Tickets::token`] derives a ticket's signature.
pub(crate) fn ticket_seed() -> u64 {
    fastrand::u64(..)
}

/// Renders the tickets and sign-in URLs of one mock instance.
#[derive(Debug)]
pub(crate) struct Tickets {
    instance_id: String,
    accounts_url: String,
}

impl Tickets {
    /// Tickets of a fresh instance (random `ins_` id) whose sign-in URLs
    /// start with `accounts_url`.
    pub(crate) fn new(accounts_url: &str) -> Self {
        Self {
            instance_id: new_id("ins_"),
            accounts_url: accounts_url.to_owned(),
        }
    }

    /// `base64url(header).base64url(payload).base64url(signature)`, the
    /// signature being 32 bytes drawn from `seed`.
    pub(crate) fn token(&self, id: &str, expires_at_ms: i64, seed: u64) -> String {
        const HEADER: &[u8] = br#"{"alg":"RS256","kid":"ins_mock","typ":"JWT"}"#;
        let payload = format!(
            r#"{{"exp":{},"iid":"{}","sid":"{}","st":"sign_in_token"}}"#,
            expires_at_ms.div_euclid(1000),
            self.instance_id,
            id
        );
        let mut signature = [0u8; 32];
        fastrand::Rng::with_seed(seed).fill(&mut signature);
        let mut out = String::with_capacity(64 + payload.len() * 4 / 3 + 48);
        URL_SAFE_NO_PAD.encode_string(HEADER, &mut out);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut out);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut out);
        out
    }

    /// `<accounts_url>/sign-in?__clerk_ticket=<token>`.
    pub(crate) fn url(&self, token: &str) -> String {
        format!("{}/sign-in?__clerk_ticket={token}", self.accounts_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_trace_ids_have_their_shape() {
        let id = new_id("sit_");
        assert_eq!(id.len(), 31);
        assert!(id[4..].bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
        assert_ne!(id, new_id("sit_"));
        let t = trace_id();
        assert_eq!(t.len(), 32);
        assert!(
            t.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
    }

    #[test]
    fn tickets_are_jwt_shaped_and_reproducible() {
        let tickets = Tickets::new("https://accounts.example");
        let token = tickets.token("sit_1", 1_700_000_000_999, 42);
        assert_eq!(token, tickets.token("sit_1", 1_700_000_000_999, 42));
        assert_ne!(token, tickets.token("sit_1", 1_700_000_000_999, 43));
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let payload = URL_SAFE_NO_PAD.decode(parts[1]).expect("base64url");
        let payload: serde_json::Value = serde_json::from_slice(&payload).expect("json");
        assert_eq!(payload["exp"], 1_700_000_000);
        assert_eq!(payload["sid"], "sit_1");
        assert_eq!(
            URL_SAFE_NO_PAD.decode(parts[2]).map(|s| s.len()).ok(),
            Some(32)
        );
        assert_eq!(
            tickets.url(&token),
            format!("https://accounts.example/sign-in?__clerk_ticket={token}")
        );
    }
}
