//! Values that must never be printed: the secret key, the sign-in token, its url.

use std::fmt;

use http::HeaderValue;

/// A string that hides itself from `Debug` and `Display`.
///
/// Sign-in tokens and their urls sign a user in; they arrive in this type and
/// leave it only through [`expose_secret`](Self::expose_secret), so a stray
/// `{:?}` in a log line prints `[redacted]` instead.
///
/// ```
/// use clerk_core::SecretString;
///
/// let token = SecretString::new("eyJhbGciOi.payload.signature");
/// assert_eq!(format!("{token:?}"), "SecretString([redacted])");
/// assert_eq!(token.to_string(), "[redacted]");
/// assert_eq!(token.expose_secret(), "eyJhbGciOi.payload.signature");
/// ```
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct SecretString(Box<str>);

impl SecretString {
    /// Wraps `value`.
    ///
    /// ```
    /// let s = clerk_core::SecretString::new(String::from("hidden"));
    /// assert_eq!(s.expose_secret(), "hidden");
    /// ```
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into().into_boxed_str())
    }

    /// The secret itself. Name the call so that reviewers can find every
    /// place a secret leaves its box.
    ///
    /// ```
    /// let s = clerk_core::SecretString::new("hidden");
    /// assert_eq!(s.expose_secret().len(), 6);
    /// ```
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString([redacted])")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Why a secret key was refused.
///
/// ```
/// use clerk_core::{SecretKey, SecretKeyError};
/// assert_eq!(SecretKey::new("").unwrap_err(), SecretKeyError::Empty);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretKeyError {
    /// The key is empty.
    #[error("the secret key is empty")]
    Empty,
    /// The key contains whitespace, often a copy-paste accident.
    #[error("the secret key contains whitespace at byte {position}")]
    Whitespace {
        /// Byte offset of the first whitespace character.
        position: usize,
    },
    /// The key contains a control character or a byte that cannot be sent in
    /// an HTTP header.
    #[error("the secret key contains a control or non-ASCII character at byte {position}")]
    InvalidCharacter {
        /// Byte offset of the first offending character.
        position: usize,
    },
    /// The key is only `sk_test_` or `sk_live_`, with nothing after it
    /// (often a template or an unset variable pasted in).
    #[error("the secret key is only its environment prefix, with nothing after it")]
    OnlyPrefix,
    /// The environment variable is not set.
    #[error("the environment variable {name} is not set")]
    EnvMissing {
        /// The variable's name.
        name: &'static str,
    },
    /// The environment variable is not valid Unicode.
    #[error("the environment variable {name} is not valid Unicode")]
    EnvNotUnicode {
        /// The variable's name.
        name: &'static str,
    },
}

/// A Clerk secret key (`sk_test_…` or `sk_live_…`).
///
/// It is checked once, when made, and turned into the `Authorization` header
/// value right away (marked sensitive, so HTTP/2 never indexes it).
/// `Debug` and `Display` show at most the `sk_test_` / `sk_live_` prefix.
///
/// ```
/// use clerk_core::SecretKey;
///
/// let key = SecretKey::new("sk_test_abc123").unwrap();
/// assert_eq!(format!("{key}"), "sk_test_[redacted]");
/// assert_eq!(format!("{key:?}"), "SecretKey(sk_test_[redacted])");
/// assert!(SecretKey::new("sk_test_ abc").is_err());
/// ```
#[derive(Clone)]
pub struct SecretKey {
    authorization: HeaderValue,
    prefix: &'static str,
}

/// The name of the environment variable [`SecretKey::from_env`] reads.
pub const SECRET_KEY_ENV: &str = "CLERK_SECRET_KEY";

impl SecretKey {
    /// Checks `key` and keeps it. Empty keys, whitespace, control and
    /// non-ASCII characters are refused; the error names the position, never
    /// the key.
    ///
    /// ```
    /// use clerk_core::{SecretKey, SecretKeyError};
    /// assert!(SecretKey::new("sk_live_xyz").is_ok());
    /// assert_eq!(SecretKey::new("sk_test_").unwrap_err(), SecretKeyError::OnlyPrefix);
    /// assert_eq!(
    ///     SecretKey::new("sk_live_xyz\n").unwrap_err(),
    ///     SecretKeyError::Whitespace { position: 11 }
    /// );
    /// ```
    pub fn new(key: impl AsRef<str>) -> Result<Self, SecretKeyError> {
        let key = key.as_ref();
        if key.is_empty() {
            return Err(SecretKeyError::Empty);
        }
        for (position, c) in key.char_indices() {
            if c.is_whitespace() {
                return Err(SecretKeyError::Whitespace { position });
            }
            if c.is_control() || !c.is_ascii() {
                return Err(SecretKeyError::InvalidCharacter { position });
            }
        }
        let prefix = ["sk_test_", "sk_live_"]
            .into_iter()
            .find(|p| key.starts_with(p))
            .unwrap_or("");
        if !prefix.is_empty() && key.len() == prefix.len() {
            return Err(SecretKeyError::OnlyPrefix);
        }
        let mut value = String::with_capacity(7 + key.len());
        value.push_str("Bearer ");
        value.push_str(key);
        let mut authorization = HeaderValue::try_from(value)
            .map_err(|_| SecretKeyError::InvalidCharacter { position: 0 })?;
        authorization.set_sensitive(true);
        Ok(Self {
            authorization,
            prefix,
        })
    }

    /// Reads the key from the `CLERK_SECRET_KEY` environment variable.
    ///
    /// ```
    /// # // SAFETY of the example: no other thread reads the environment here.
    /// match clerk_core::SecretKey::from_env() {
    ///     Ok(key) => println!("using {key}"),
    ///     Err(e) => println!("no key: {e}"),
    /// }
    /// ```
    pub fn from_env() -> Result<Self, SecretKeyError> {
        Self::from_env_var(SECRET_KEY_ENV)
    }

    /// Reads the key from the environment variable `name`.
    ///
    /// ```
    /// let e = clerk_core::SecretKey::from_env_var("SURELY_NOT_SET_ANYWHERE").unwrap_err();
    /// assert!(e.to_string().contains("SURELY_NOT_SET_ANYWHERE"));
    /// ```
    pub fn from_env_var(name: &'static str) -> Result<Self, SecretKeyError> {
        match std::env::var(name) {
            Ok(value) => Self::new(value),
            Err(std::env::VarError::NotPresent) => Err(SecretKeyError::EnvMissing { name }),
            Err(std::env::VarError::NotUnicode(_)) => Err(SecretKeyError::EnvNotUnicode { name }),
        }
    }

    /// `sk_test_` or `sk_live_`, or `""` for a key of another shape.
    ///
    /// ```
    /// assert_eq!(clerk_core::SecretKey::new("sk_test_1").unwrap().environment_prefix(), "sk_test_");
    /// ```
    pub fn environment_prefix(&self) -> &'static str {
        self.prefix
    }

    /// The key itself, for a transport or a test that must see it.
    ///
    /// ```
    /// let key = clerk_core::SecretKey::new("sk_test_1").unwrap();
    /// assert_eq!(key.expose_secret(), "sk_test_1");
    /// ```
    pub fn expose_secret(&self) -> &str {
        // Built from a `String` of visible ASCII, so this cannot fail.
        let full = self.authorization.to_str().unwrap_or("Bearer ");
        full.strip_prefix("Bearer ").unwrap_or("")
    }

    /// The ready `Authorization: Bearer …` value, marked sensitive.
    pub(crate) fn authorization(&self) -> &HeaderValue {
        &self.authorization
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({}[redacted])", self.prefix)
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[redacted]", self.prefix)
    }
}

impl std::str::FromStr for SecretKey {
    type Err = SecretKeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_keys_without_quoting_them() {
        for (key, expected) in [
            ("", SecretKeyError::Empty),
            (" sk_test_x", SecretKeyError::Whitespace { position: 0 }),
            ("sk_test_x\t", SecretKeyError::Whitespace { position: 9 }),
            (
                "sk_test_\u{7f}x",
                SecretKeyError::InvalidCharacter { position: 8 },
            ),
            (
                "sk_test_é",
                SecretKeyError::InvalidCharacter { position: 8 },
            ),
            (
                "sk_test_\0",
                SecretKeyError::InvalidCharacter { position: 8 },
            ),
            ("sk_test_", SecretKeyError::OnlyPrefix),
            ("sk_live_", SecretKeyError::OnlyPrefix),
        ] {
            let err = SecretKey::new(key).unwrap_err();
            assert_eq!(err, expected, "{key:?}");
            if key.len() > 3 {
                assert!(!err.to_string().contains(key.trim()));
            }
        }
    }

    #[test]
    fn keeps_only_the_prefix_visible() {
        let key = SecretKey::new("sk_live_SENTINELsecret").unwrap();
        assert_eq!(key.to_string(), "sk_live_[redacted]");
        assert!(!format!("{key:?}").contains("SENTINEL"));
        let odd = SecretKey::new("weird_key").unwrap();
        assert_eq!(odd.to_string(), "[redacted]");
        assert_eq!(odd.expose_secret(), "weird_key");
        assert!(key.authorization().is_sensitive());
        assert_eq!(key.authorization(), "Bearer sk_live_SENTINELsecret");
    }
}
