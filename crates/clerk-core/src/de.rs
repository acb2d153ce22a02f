//! Hand-written serde impls for the models.
//!
//! Written out instead of derived so that clerk-core needs no proc-macro
//! crates (a smaller dependency tree and wasm bundle, a faster build), and so
//! that decoding a `SignInToken` allocates nothing it does not keep.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::error::ClerkError;
use crate::model::{CreateSignInTokenRequest, SignInToken, SignInTokenStatus, UnixMillis};
use crate::secret::SecretString;

type JsonMap = serde_json::Map<String, serde_json::Value>;

/// Reads a map key as one of `names` (its index) or `names.len()` for any
/// other key, without allocating.
struct Key<const N: usize>(&'static [&'static str; N]);

impl<'de, const N: usize> de::DeserializeSeed<'de> for Key<N> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl<const N: usize> Visitor<'_> for Key<N> {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        Ok(self.0.iter().position(|n| *n == v).unwrap_or(N))
    }
}

fn set<T, E: de::Error>(slot: &mut Option<T>, value: T, name: &'static str) -> Result<(), E> {
    if slot.replace(value).is_some() {
        return Err(E::duplicate_field(name));
    }
    Ok(())
}

const TOKEN_FIELDS: &[&str; 8] = &[
    "object",
    "id",
    "status",
    "user_id",
    "token",
    "url",
    "created_at",
    "updated_at",
];

impl<'de> Deserialize<'de> for SignInToken {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(SignInTokenVisitor)
    }
}

struct SignInTokenVisitor;

impl<'de> Visitor<'de> for SignInTokenVisitor {
    type Value = SignInToken;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a SignInToken object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SignInToken, A::Error> {
        let mut object = None;
        let mut id = None;
        let mut status = None;
        let mut user_id = None;
        let mut token: Option<Option<SecretString>> = None;
        let mut url: Option<Option<SecretString>> = None;
        let mut created_at = None;
        let mut updated_at = None;
        while let Some(key) = map.next_key_seed(Key(TOKEN_FIELDS))? {
            match key {
                0 => set(&mut object, map.next_value::<String>()?, "object")?,
                1 => set(&mut id, map.next_value::<String>()?, "id")?,
                2 => set(&mut status, map.next_value()?, "status")?,
                3 => set(&mut user_id, map.next_value::<String>()?, "user_id")?,
                4 => set(&mut token, map.next_value()?, "token")?,
                5 => set(&mut url, map.next_value()?, "url")?,
                6 => set(&mut created_at, map.next_value()?, "created_at")?,
                7 => set(&mut updated_at, map.next_value()?, "updated_at")?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(SignInToken {
            object: object.ok_or_else(|| de::Error::missing_field("object"))?,
            id: id.ok_or_else(|| de::Error::missing_field("id"))?,
            status: status.ok_or_else(|| de::Error::missing_field("status"))?,
            user_id: user_id.ok_or_else(|| de::Error::missing_field("user_id"))?,
            token: token.flatten(),
            url: url.flatten(),
            created_at: created_at.ok_or_else(|| de::Error::missing_field("created_at"))?,
            updated_at: updated_at.ok_or_else(|| de::Error::missing_field("updated_at"))?,
        })
    }
}

impl<'de> Deserialize<'de> for SignInTokenStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct StatusVisitor;
        impl Visitor<'_> for StatusVisitor {
            type Value = SignInTokenStatus;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sign-in token status string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(SignInTokenStatus::from(v))
            }
        }
        d.deserialize_str(StatusVisitor)
    }
}

impl Serialize for SignInTokenStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for UnixMillis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        i64::deserialize(d).map(UnixMillis::new)
    }
}

impl Serialize for UnixMillis {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.as_millis())
    }
}

impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(SecretString::new)
    }
}

impl Serialize for CreateSignInTokenRequest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let org_id = self.org_id_value();
        let expires = self.expires_in_seconds_value();
        let len = 1 + usize::from(org_id.is_some()) + usize::from(expires.is_some());
        let mut st = s.serialize_struct("CreateSignInTokenRequest", len)?;
        st.serialize_field("user_id", self.user_id())?;
        if let Some(org_id) = org_id {
            st.serialize_field("org_id", org_id)?;
        }
        if let Some(expires) = expires {
            st.serialize_field("expires_in_seconds", &expires)?;
        }
        st.end()
    }
}

const CLERK_ERROR_FIELDS: &[&str; 4] = &["message", "long_message", "code", "meta"];

impl<'de> Deserialize<'de> for ClerkError {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ClerkErrorVisitor;
        impl<'de> Visitor<'de> for ClerkErrorVisitor {
            type Value = ClerkError;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Clerk error object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ClerkError, A::Error> {
                let mut message = None;
                let mut long_message: Option<Option<String>> = None;
                let mut code = None;
                let mut meta: Option<Option<JsonMap>> = None;
                while let Some(key) = map.next_key_seed(Key(CLERK_ERROR_FIELDS))? {
                    match key {
                        0 => set(&mut message, map.next_value::<Option<String>>()?, "message")?,
                        1 => set(&mut long_message, map.next_value()?, "long_message")?,
                        2 => set(&mut code, map.next_value::<Option<String>>()?, "code")?,
                        3 => set(&mut meta, map.next_value()?, "meta")?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(ClerkError {
                    message: message.flatten().unwrap_or_default(),
                    long_message: long_message.flatten(),
                    code: code.flatten().unwrap_or_default(),
                    meta: meta.flatten(),
                })
            }
        }
        d.deserialize_map(ClerkErrorVisitor)
    }
}

/// Clerk's error body, leniently: `errors` must be an array of objects.
pub(crate) struct ClerkErrors {
    pub(crate) errors: Vec<ClerkError>,
    pub(crate) meta: Option<JsonMap>,
    pub(crate) clerk_trace_id: Option<String>,
}

const CLERK_ERRORS_FIELDS: &[&str; 3] = &["errors", "meta", "clerk_trace_id"];

impl<'de> Deserialize<'de> for ClerkErrors {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ClerkErrorsVisitor;
        impl<'de> Visitor<'de> for ClerkErrorsVisitor {
            type Value = ClerkErrors;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Clerk error body")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ClerkErrors, A::Error> {
                let mut errors = None;
                let mut meta: Option<Option<JsonMap>> = None;
                let mut trace: Option<Option<String>> = None;
                while let Some(key) = map.next_key_seed(Key(CLERK_ERRORS_FIELDS))? {
                    match key {
                        0 => set(&mut errors, map.next_value()?, "errors")?,
                        1 => set(&mut meta, map.next_value()?, "meta")?,
                        2 => set(&mut trace, map.next_value()?, "clerk_trace_id")?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(ClerkErrors {
                    errors: errors.ok_or_else(|| de::Error::missing_field("errors"))?,
                    meta: meta.flatten(),
                    clerk_trace_id: trace.flatten(),
                })
            }
        }
        d.deserialize_map(ClerkErrorsVisitor)
    }
}
