//! Values that must only ever show up where they belong.
//!
//! The key is sent by every client under test; hostile servers echo it back.
//! The token and url are what a server answers a create with; a client may
//! print them only on the stdout of a command that succeeded.

/// The secret key every client under test authenticates with.
pub const KEY: &str = "sk_test_SENTINELKEY_3b9f0c7e21d4a865";
/// The part of [`KEY`] that is not the public `sk_test_` prefix: finding it
/// anywhere means the key leaked, whole or in part.
pub const KEY_MARK: &str = "SENTINELKEY";

/// The sign-in token sentinel servers hand out. Deliberately not JWT-shaped,
/// so that only structural redaction (the `"token"` key, long runs) can hide
/// it, not the `eyJ` pattern.
pub const TOKEN: &str = "SENTINELTOKEN_5f1e9a2c7b3d4e6f8091a2b3";
/// Marks [`TOKEN`].
pub const TOKEN_MARK: &str = "SENTINELTOKEN";

/// The sign-in url sentinel servers hand out.
pub const URL: &str =
    "https://accounts.sentinel.test/v1/tickets/accept?ticket=SENTINELURL_a7c3e9f1b5d2";
/// Marks [`URL`].
pub const URL_MARK: &str = "SENTINELURL";

/// Every mark, with what it stands for.
pub const MARKS: [(&str, &str); 3] = [
    ("secret key", KEY_MARK),
    ("sign-in token", TOKEN_MARK),
    ("sign-in url", URL_MARK),
];

/// A pending sign-in token as Clerk sends it, holding [`TOKEN`] and [`URL`].
pub fn pending_token_json() -> String {
    format!(
        r#"{{"object":"sign_in_token","id":"sit_sentinel","status":"pending","user_id":"user_1","token":"{TOKEN}","url":"{URL}","created_at":1700000000000,"updated_at":1700000000000}}"#
    )
}

/// The same token after a revoke: no token, no url.
pub fn revoked_token_json() -> String {
    r#"{"object":"sign_in_token","id":"sit_sentinel","status":"revoked","user_id":"user_1","url":null,"created_at":1700000000000,"updated_at":1700000100000}"#.to_owned()
}

/// A Clerk error body for `code`, whose messages quote `authorization` (what
/// the client sent) and whose `meta` carries the sentinel token and url, the
/// way a confused or malicious server might.
pub fn clerk_error_json(code: &str, authorization: &str) -> String {
    format!(
        r#"{{"errors":[{{"message":"{code}","long_message":"rejected {authorization} for secret_key={KEY_ECHO}","code":"{code}","meta":{{"token":"{TOKEN}","url":"{URL}"}}}}],"clerk_trace_id":"{authorization}"}}"#,
        KEY_ECHO = authorization.trim_start_matches("Bearer "),
    )
}

/// The marks `text` contains, by name.
pub fn leaked(text: &str) -> Vec<&'static str> {
    MARKS
        .iter()
        .filter(|(_, mark)| text.contains(mark))
        .map(|(what, _)| *what)
        .collect()
}

/// Whether `text` holds the secret key, whole or in part.
pub fn has_key(text: &str) -> bool {
    text.contains(KEY_MARK)
}

/// Whether `text` holds the sign-in token or url.
pub fn has_token_or_url(text: &str) -> bool {
    text.contains(TOKEN_MARK) || text.contains(URL_MARK)
}
