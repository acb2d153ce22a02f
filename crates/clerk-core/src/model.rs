//! The API's models, named as Clerk names them.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::InvalidInput;
use crate::redact::redact;
use crate::secret::SecretString;

/// The body of `POST /sign_in_tokens`.
///
/// `user_id` is required; the rest is optional and left out of the JSON when
/// unset, so Clerk applies its own defaults (30 days for the expiry).
///
/// ```
/// use std::time::Duration;
/// use clerk_core::CreateSignInTokenRequest;
///
/// let request = CreateSignInTokenRequest::new("user_2abc")
///     .org_id("org_9xyz")
///     .expires_in(Duration::from_secs(600));
/// assert_eq!(request.user_id(), "user_2abc");
/// assert_eq!(request.expires_in_seconds_value(), Some(600));
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSignInTokenRequest {
    user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    org_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_in_seconds: Option<u64>,
    /// A `Duration` that could not be turned into whole seconds; reported when
    /// the request is built.
    #[serde(skip)]
    invalid_duration: Option<Duration>,
}

impl CreateSignInTokenRequest {
    /// A request for a token that signs in `user_id`.
    ///
    /// ```
    /// let request = clerk_core::CreateSignInTokenRequest::new("user_1");
    /// assert_eq!(request.org_id_value(), None);
    /// ```
    pub fn new(user_id: impl Into<String>) -> Self {
        Self {
            user_id: user_id.into(),
            org_id: None,
            expires_in_seconds: None,
            invalid_duration: None,
        }
    }

    /// The organization to activate when the user signs in.
    ///
    /// ```
    /// let request = clerk_core::CreateSignInTokenRequest::new("user_1").org_id("org_1");
    /// assert_eq!(request.org_id_value(), Some("org_1"));
    /// ```
    pub fn org_id(mut self, org_id: impl Into<String>) -> Self {
        self.org_id = Some(org_id.into());
        self
    }

    /// The token's lifetime in seconds; at least 1. Clerk's default is 30
    /// days. Zero is refused when the request is built.
    ///
    /// ```
    /// let request = clerk_core::CreateSignInTokenRequest::new("user_1").expires_in_seconds(60);
    /// assert_eq!(request.expires_in_seconds_value(), Some(60));
    /// ```
    pub fn expires_in_seconds(mut self, seconds: u64) -> Self {
        self.expires_in_seconds = Some(seconds);
        self.invalid_duration = None;
        self
    }

    /// The token's lifetime as a [`Duration`]. It must be a whole number of
    /// seconds, at least one; anything else is refused when the request is
    /// built (nothing is rounded behind your back).
    ///
    /// ```
    /// use std::time::Duration;
    /// use clerk_core::{request, Config, CreateSignInTokenRequest, SecretKey};
    ///
    /// let config = Config::new(SecretKey::new("sk_test_x").unwrap());
    /// let ok = CreateSignInTokenRequest::new("user_1").expires_in(Duration::from_secs(90));
    /// assert!(request::create_sign_in_token(&config, &ok).is_ok());
    /// let bad = CreateSignInTokenRequest::new("user_1").expires_in(Duration::from_millis(1500));
    /// assert!(request::create_sign_in_token(&config, &bad).is_err());
    /// ```
    pub fn expires_in(mut self, duration: Duration) -> Self {
        if duration.subsec_nanos() == 0 && duration.as_secs() >= 1 {
            self.expires_in_seconds = Some(duration.as_secs());
            self.invalid_duration = None;
        } else {
            self.expires_in_seconds = None;
            self.invalid_duration = Some(duration);
        }
        self
    }

    /// The user id.
    ///
    /// ```
    /// assert_eq!(clerk_core::CreateSignInTokenRequest::new("user_1").user_id(), "user_1");
    /// ```
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The organization id, if set.
    ///
    /// ```
    /// assert_eq!(clerk_core::CreateSignInTokenRequest::new("u").org_id_value(), None);
    /// ```
    pub fn org_id_value(&self) -> Option<&str> {
        self.org_id.as_deref()
    }

    /// The lifetime in seconds, if set.
    ///
    /// ```
    /// assert_eq!(clerk_core::CreateSignInTokenRequest::new("u").expires_in_seconds_value(), None);
    /// ```
    pub fn expires_in_seconds_value(&self) -> Option<u64> {
        self.expires_in_seconds
    }

    /// Checks the request the way it is checked before it is sent.
    ///
    /// ```
    /// use clerk_core::CreateSignInTokenRequest;
    /// assert!(CreateSignInTokenRequest::new("user_1").validate().is_ok());
    /// let err = CreateSignInTokenRequest::new("").validate().unwrap_err();
    /// assert_eq!(err.field(), "user_id");
    /// let err = CreateSignInTokenRequest::new("u").expires_in_seconds(0).validate().unwrap_err();
    /// assert_eq!(err.field(), "expires_in_seconds");
    /// ```
    pub fn validate(&self) -> Result<(), InvalidInput> {
        if self.user_id.is_empty() {
            return Err(InvalidInput::new("user_id", "must not be empty"));
        }
        if self.org_id.as_deref() == Some("") {
            return Err(InvalidInput::new(
                "org_id",
                "must not be empty (leave it unset instead)",
            ));
        }
        if let Some(d) = self.invalid_duration {
            return Err(InvalidInput::new(
                "expires_in_seconds",
                if d.as_secs() == 0 {
                    "must be at least one second"
                } else {
                    "must be a whole number of seconds"
                },
            ));
        }
        if self.expires_in_seconds == Some(0) {
            return Err(InvalidInput::new(
                "expires_in_seconds",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for CreateSignInTokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateSignInTokenRequest")
            .field("user_id", &self.user_id)
            .field("org_id", &self.org_id)
            .field("expires_in_seconds", &self.expires_in_seconds)
            .finish()
    }
}

/// The state of a sign-in token.
///
/// Forward compatible: a status this crate does not know yet arrives as
/// [`Unknown`](Self::Unknown) with its text, instead of failing the call.
///
/// ```
/// use clerk_core::SignInTokenStatus;
/// assert_eq!(SignInTokenStatus::from("pending"), SignInTokenStatus::Pending);
/// assert_eq!(SignInTokenStatus::from("expired").as_str(), "expired");
/// assert_eq!(serde_json::to_string(&SignInTokenStatus::from("expired")).unwrap(), r#""expired""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SignInTokenStatus {
    /// Created and not used yet; the only state that can be revoked.
    Pending,
    /// The user signed in with it.
    Accepted,
    /// Revoked before use.
    Revoked,
    /// A status this version does not know, kept as Clerk sent it.
    #[serde(untagged)]
    Unknown(String),
}

// Hand-written: derive's `#[serde(other)]` would drop an unknown status' text.
impl<'de> Deserialize<'de> for SignInTokenStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Status;
        impl serde::de::Visitor<'_> for Status {
            type Value = SignInTokenStatus;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sign-in token status string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(SignInTokenStatus::from(v))
            }
        }
        d.deserialize_str(Status)
    }
}

impl SignInTokenStatus {
    /// The status as Clerk spells it.
    ///
    /// ```
    /// assert_eq!(clerk_core::SignInTokenStatus::Revoked.as_str(), "revoked");
    /// ```
    pub fn as_str(&self) -> &str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Revoked => "revoked",
            Self::Unknown(s) => s,
        }
    }
}

impl From<&str> for SignInTokenStatus {
    fn from(s: &str) -> Self {
        match s {
            "pending" => Self::Pending,
            "accepted" => Self::Accepted,
            "revoked" => Self::Revoked,
            other => Self::Unknown(other.to_owned()),
        }
    }
}

impl fmt::Display for SignInTokenStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Unix timestamp in **milliseconds**, as Clerk sends them.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use clerk_core::UnixMillis;
///
/// let t = UnixMillis::new(1_638_000_669_544);
/// assert_eq!(t.to_system_time(), Some(UNIX_EPOCH + Duration::from_millis(1_638_000_669_544)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnixMillis(i64);

impl UnixMillis {
    /// Wraps a count of milliseconds since the Unix epoch.
    ///
    /// ```
    /// assert_eq!(clerk_core::UnixMillis::new(5).as_millis(), 5);
    /// ```
    pub const fn new(millis: i64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the Unix epoch.
    ///
    /// ```
    /// assert_eq!(clerk_core::UnixMillis::new(-1).as_millis(), -1);
    /// ```
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// The same instant as a [`SystemTime`], or `None` if the platform cannot
    /// represent it.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let t = clerk_core::UnixMillis::new(-1_000).to_system_time();
    /// assert_eq!(t, Some(UNIX_EPOCH - Duration::from_secs(1)));
    /// ```
    pub fn to_system_time(self) -> Option<SystemTime> {
        let magnitude = Duration::from_millis(self.0.unsigned_abs());
        if self.0 >= 0 {
            SystemTime::UNIX_EPOCH.checked_add(magnitude)
        } else {
            SystemTime::UNIX_EPOCH.checked_sub(magnitude)
        }
    }
}

/// A sign-in token, as Clerk returns it from create and revoke.
///
/// `token` and `url` sign the user in: they are [`SecretString`]s, hidden from
/// `Debug`. After a revoke, `token` is absent and `url` is `None`. Fields Clerk
/// may add later are ignored.
///
/// `Serialize` writes the token the way Clerk sends it, `token` and `url` in
/// clear: serializing is an explicit act (a CLI printing the token it was asked
/// for, a mock server answering), unlike `Debug`, which ends up in logs.
///
/// ```
/// use clerk_core::{SignInToken, SignInTokenStatus};
///
/// let token: SignInToken = serde_json::from_str(r#"{
///     "object": "sign_in_token", "id": "sit_1", "status": "pending",
///     "user_id": "user_1", "token": "eyJ.x.y", "url": "https://example.com/?__clerk_ticket=eyJ.x.y",
///     "created_at": 1638000669544, "updated_at": 1638000669544
/// }"#).unwrap();
/// assert_eq!(token.status, SignInTokenStatus::Pending);
/// assert_eq!(token.token.as_ref().unwrap().expose_secret(), "eyJ.x.y");
/// assert!(!format!("{token:?}").contains("eyJ"));
/// assert!(serde_json::to_string(&token).unwrap().contains(r#""token":"eyJ.x.y""#));
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SignInToken {
    /// Always `sign_in_token`.
    pub object: String,
    /// The token's id, `sit_…`.
    pub id: String,
    /// Where the token is in its life.
    pub status: SignInTokenStatus,
    /// The user the token signs in.
    pub user_id: String,
    /// The JWT to hand to the Frontend API's `ticket` strategy. Absent after a
    /// revoke.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "expose_secret")]
    pub token: Option<SecretString>,
    /// A url that signs the user in (it embeds the token). May be null.
    #[serde(default, serialize_with = "expose_secret")]
    pub url: Option<SecretString>,
    /// When the token was created.
    pub created_at: UnixMillis,
    /// When the token last changed.
    pub updated_at: UnixMillis,
}

// A helper, not an impl: `SecretString` itself is not `Serialize`, so that no
// other struct holding one writes it out by accident.
fn expose_secret<S: Serializer>(value: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    value.as_ref().map(SecretString::expose_secret).serialize(s)
}

impl SignInToken {
    /// A pending token as Clerk returns it from create, without `token` and
    /// `url` (set them, they are public fields). For servers and tests that
    /// answer like Clerk.
    ///
    /// ```
    /// use clerk_core::{SecretString, SignInToken, SignInTokenStatus, UnixMillis};
    /// let mut token = SignInToken::new("sit_1", "user_1", UnixMillis::new(1));
    /// token.url = Some(SecretString::new("https://example.com/?__clerk_ticket=t"));
    /// assert_eq!(token.status, SignInTokenStatus::Pending);
    /// assert_eq!(
    ///     serde_json::to_string(&token).unwrap(),
    ///     r#"{"object":"sign_in_token","id":"sit_1","status":"pending","user_id":"user_1","url":"https://example.com/?__clerk_ticket=t","created_at":1,"updated_at":1}"#
    /// );
    /// ```
    pub fn new(id: impl Into<String>, user_id: impl Into<String>, created_at: UnixMillis) -> Self {
        Self {
            object: "sign_in_token".to_owned(),
            id: id.into(),
            status: SignInTokenStatus::Pending,
            user_id: user_id.into(),
            token: None,
            url: None,
            created_at,
            updated_at: created_at,
        }
    }
}

impl fmt::Debug for SignInToken {
    /// The plain fields pass through the redactor too: a hostile server could
    /// echo the secret key into `user_id`, and `{:?}` ends up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignInToken")
            .field("object", &redact(&self.object))
            .field("id", &redact(&self.id))
            .field("status", &redact(self.status.as_str()))
            .field("user_id", &redact(&self.user_id))
            .field("token", &self.token)
            .field("url", &self.url)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// A parsed body together with the status and headers it came with, as the
/// `*_with_http_info` methods return it.
///
/// ```
/// use clerk_core::ApiResponse;
/// let r = ApiResponse::new(http::StatusCode::OK, http::HeaderMap::new(), 7);
/// assert_eq!(r.status, 200);
/// assert_eq!(r.data, 7);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct ApiResponse<T> {
    /// The HTTP status.
    pub status: http::StatusCode,
    /// The response headers.
    pub headers: http::HeaderMap,
    /// The parsed body.
    pub data: T,
}

impl<T: fmt::Debug> fmt::Debug for ApiResponse<T> {
    /// Header values pass through the redactor: a server that echoes
    /// `Authorization` must not get the secret key into a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Headers<'a>(&'a http::HeaderMap);
        impl fmt::Debug for Headers<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|(name, value)| {
                        (name, redact(&String::from_utf8_lossy(value.as_bytes())))
                    }))
                    .finish()
            }
        }
        f.debug_struct("ApiResponse")
            .field("status", &self.status)
            .field("headers", &Headers(&self.headers))
            .field("data", &self.data)
            .finish()
    }
}

impl<T> ApiResponse<T> {
    /// Puts the three together.
    ///
    /// ```
    /// let r = clerk_core::ApiResponse::new(http::StatusCode::OK, Default::default(), ());
    /// assert!(r.headers.is_empty());
    /// ```
    pub fn new(status: http::StatusCode, headers: http::HeaderMap, data: T) -> Self {
        Self {
            status,
            headers,
            data,
        }
    }
}

/// What a revoke call achieved: what
/// [`Client::revoke_sign_in_token`](crate::Client::revoke_sign_in_token)
/// returns.
///
/// Almost always [`Revoked`](Self::Revoked), with Clerk's answer. When an
/// attempt's answer was lost (the connection dropped after Clerk acted, or
/// the deadline passed) the client retries, as revoking twice is harmless;
/// but the retry then meets a token that is already revoked, and Clerk
/// answers `400 sign_in_token_cannot_be_revoked_code`. That is the
/// earlier attempt's success, not a refusal:
/// [`RevokedByEarlierAttempt`](Self::RevokedByEarlierAttempt). A token that
/// was accepted or expired meanwhile is still an error.
///
/// ```
/// use clerk_core::{Revocation, SignInToken, SignInTokenStatus, UnixMillis};
///
/// fn describe(revocation: &Revocation) -> String {
///     match revocation.sign_in_token() {
///         Some(token) => format!("{} is {}", token.id, token.status),
///         None => format!("{} was revoked by an earlier attempt", revocation.sign_in_token_id()),
///     }
/// }
/// let mut token = SignInToken::new("sit_1", "user_1", UnixMillis::new(1));
/// token.status = SignInTokenStatus::Revoked;
/// assert_eq!(describe(&Revocation::Revoked(token)), "sit_1 is revoked");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Revocation {
    /// Clerk revoked the token and answered with it (`status` is
    /// `revoked`, `token` is absent).
    Revoked(SignInToken),
    /// An earlier attempt of this call revoked the token but its answer was
    /// lost; the retry found the token revoked. Clerk's answer to the retry
    /// is kept (its trace id, for support).
    RevokedByEarlierAttempt {
        /// The token's id, as the call was given it.
        sign_in_token_id: String,
        /// Clerk's `400 sign_in_token_cannot_be_revoked_code` to the retry.
        answer: Box<crate::ApiError>,
    },
}

impl Revocation {
    /// The revoked token's id.
    ///
    /// See [`Revocation`] for an example.
    pub fn sign_in_token_id(&self) -> &str {
        match self {
            Revocation::Revoked(token) => &token.id,
            Revocation::RevokedByEarlierAttempt {
                sign_in_token_id, ..
            } => sign_in_token_id,
        }
    }

    /// Clerk's answer with the token, when this attempt's answer came back.
    ///
    /// See [`Revocation`] for an example.
    pub fn sign_in_token(&self) -> Option<&SignInToken> {
        match self {
            Revocation::Revoked(token) => Some(token),
            Revocation::RevokedByEarlierAttempt { .. } => None,
        }
    }

    /// The token Clerk answered with, when it did.
    ///
    /// ```
    /// use clerk_core::{Revocation, SignInToken, UnixMillis};
    /// let token = SignInToken::new("sit_1", "user_1", UnixMillis::new(1));
    /// assert_eq!(Revocation::Revoked(token).into_sign_in_token().unwrap().id, "sit_1");
    /// ```
    pub fn into_sign_in_token(self) -> Option<SignInToken> {
        match self {
            Revocation::Revoked(token) => Some(token),
            Revocation::RevokedByEarlierAttempt { .. } => None,
        }
    }

    /// The token's status after the call: Clerk's answer, or `revoked` when
    /// an earlier attempt did it.
    ///
    /// ```
    /// use clerk_core::{Revocation, SignInToken, SignInTokenStatus, UnixMillis};
    /// let mut token = SignInToken::new("sit_1", "user_1", UnixMillis::new(1));
    /// token.status = SignInTokenStatus::Revoked;
    /// assert_eq!(Revocation::Revoked(token).status(), SignInTokenStatus::Revoked);
    /// ```
    pub fn status(&self) -> SignInTokenStatus {
        match self {
            Revocation::Revoked(token) => token.status.clone(),
            Revocation::RevokedByEarlierAttempt { .. } => SignInTokenStatus::Revoked,
        }
    }

    /// Whether an earlier attempt of the call did the revoking.
    ///
    /// ```
    /// use clerk_core::{Revocation, SignInToken, UnixMillis};
    /// let token = SignInToken::new("sit_1", "user_1", UnixMillis::new(1));
    /// assert!(!Revocation::Revoked(token).by_earlier_attempt());
    /// ```
    pub fn by_earlier_attempt(&self) -> bool {
        matches!(self, Revocation::RevokedByEarlierAttempt { .. })
    }
}
