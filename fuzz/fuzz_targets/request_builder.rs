//! Fuzzes `Config` building and `clerk_core::request::{create_sign_in_token,
//! revoke_sign_in_token}` with arbitrary ids, expiries, base URLs, API
//! versions and user-agent suffixes (layout: see [`decode`]).
//!
//! Invariants, for every input:
//! - nothing panics;
//! - `Config::build` fails only on the field that is wrong, and only when
//!   that field breaks a documented rule (API version: non-empty visible
//!   ASCII; user-agent suffix: non-blank, no control characters);
//! - on success, `base_url()` is `{scheme}://{authority}{prefix}` where the
//!   prefix is empty or `/…` with no trailing `/`, no empty, `.` or `..`
//!   segment, no `?` or `#`;
//! - create succeeds exactly when the input is valid (non-empty `user_id`,
//!   `org_id` unset or non-empty, expiry unset or a whole number >= 1 of
//!   seconds); its path is `{prefix}/sign_in_tokens` with no query; its body
//!   is a JSON object holding exactly `user_id` (equal to the input) and the
//!   optional fields that were set, with their values;
//! - revoke succeeds exactly when the id is not ``, `.` or `..`; its path is
//!   `{prefix}/sign_in_tokens/{segment}/revoke` where the segment holds no
//!   `/`, `?`, `#`, is canonically percent-encoded (only unreserved bytes
//!   bare, `%XX` upper-case otherwise) and decodes back to the id;
//! - both requests are `POST`, same scheme and authority as the base URL;
//!   `Authorization: Bearer sk_test_fuzz` is marked sensitive and absent from
//!   `Debug`; `Accept`, `User-Agent` and `Clerk-API-Version` are what was
//!   configured; no header value holds CR, LF or NUL.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use clerk_core::http::{self, HeaderMap, Method};
use clerk_core::{Config, CreateSignInTokenRequest, HttpRequest, SecretKey, request};
use libfuzzer_sys::fuzz_target;

const KEY: &str = "sk_test_fuzz";

/// Fixed-size header of the input; shorter inputs are padded with zeros.
const HEAD: usize = 13;
/// Separates the string fields. Never part of valid UTF-8, so a field is
/// any string at all.
const SEP: u8 = 0xFF;

#[derive(Debug)]
enum Expires {
    Unset,
    Seconds(u64),
    Duration(Duration),
}

#[derive(Debug)]
enum ApiVersion {
    Default,
    Unset,
    Set(String),
}

#[derive(Debug)]
struct Input {
    user_id: String,
    org_id: Option<String>,
    expires: Expires,
    token_id: String,
    /// `None` keeps the default base URL.
    base_url: Option<String>,
    api_version: ApiVersion,
    user_agent_suffix: Option<String>,
}

/// Input layout:
///
/// ```text
/// [0]      flags: 0x01 org_id set, 0x02 base_url set, 0x04 UA suffix set,
///          0x18 api version (0x00 default, 0x08 none, else set),
///          0x60 expiry (0x00 unset, 0x20 seconds, else a Duration)
/// [1..9]   u64 big-endian: seconds
/// [9..13]  u32 big-endian: nanoseconds (mod 1e9) for a Duration
/// rest     fields separated by 0xFF, as lossy UTF-8, missing ones empty:
///          user_id, org_id, sign_in_token_id, base_url, api_version,
///          user_agent_suffix
/// ```
fn decode(data: &[u8]) -> Input {
    let mut head = [0u8; HEAD];
    let n = data.len().min(HEAD);
    head[..n].copy_from_slice(&data[..n]);
    let flags = head[0];
    let secs = u64::from_be_bytes(head[1..9].try_into().expect("8 bytes"));
    let nanos = u32::from_be_bytes(head[9..13].try_into().expect("4 bytes")) % 1_000_000_000;

    let mut fields = data[n..]
        .split(|&b| b == SEP)
        .map(|f| String::from_utf8_lossy(f).into_owned());
    let mut next = || fields.next().unwrap_or_default();
    let user_id = next();
    let org_id = next();
    let token_id = next();
    let base_url = next();
    let api_version = next();
    let user_agent_suffix = next();

    Input {
        user_id,
        org_id: (flags & 0x01 != 0).then_some(org_id),
        expires: match flags & 0x60 {
            0x00 => Expires::Unset,
            0x20 => Expires::Seconds(secs),
            _ => Expires::Duration(Duration::new(secs, nanos)),
        },
        token_id,
        base_url: (flags & 0x02 != 0).then_some(base_url),
        api_version: match flags & 0x18 {
            0x00 => ApiVersion::Default,
            0x08 => ApiVersion::Unset,
            _ => ApiVersion::Set(api_version),
        },
        user_agent_suffix: (flags & 0x04 != 0).then_some(user_agent_suffix),
    }
}

fn build_config(input: &Input) -> Option<Config> {
    let mut builder = Config::builder(SecretKey::new(KEY).expect("a valid key"));
    if let Some(url) = &input.base_url {
        builder = builder.base_url(url.clone());
    }
    match &input.api_version {
        ApiVersion::Default => {}
        ApiVersion::Unset => builder = builder.no_api_version(),
        ApiVersion::Set(v) => builder = builder.api_version(v.clone()),
    }
    if let Some(suffix) = &input.user_agent_suffix {
        builder = builder.user_agent_suffix(suffix.clone());
    }
    let built = builder.build();

    let version_ok = match &input.api_version {
        ApiVersion::Set(v) => !v.is_empty() && v.bytes().all(|b| b.is_ascii_graphic()),
        _ => true,
    };
    let suffix_ok = match &input.user_agent_suffix {
        // Printable ASCII only, so the header stays readable and the
        // configured user agent round-trips.
        Some(s) => !s.trim().is_empty() && s.bytes().all(|b| (0x20..0x7f).contains(&b)),
        None => true,
    };
    match built {
        Ok(config) => {
            assert!(version_ok, "accepted api version {:?}", input.api_version);
            assert!(
                suffix_ok,
                "accepted UA suffix {:?}",
                input.user_agent_suffix
            );
            assert!(
                !format!("{config:?}").contains(KEY),
                "Config Debug shows the key"
            );
            Some(config)
        }
        Err(e) => {
            match e.field() {
                // Checked first: the URL decides nothing about the others.
                "base_url" => assert!(
                    input.base_url.is_some(),
                    "the default base URL was refused: {e}"
                ),
                "api_version" => assert!(!version_ok, "refused a valid api version: {e}"),
                "user_agent_suffix" => assert!(!suffix_ok, "refused a valid UA suffix: {e}"),
                other => panic!("Config::build blamed {other:?}: {e}"),
            }
            assert!(!e.to_string().contains(KEY));
            None
        }
    }
}

/// The prefix of `config.base_url()` after `{scheme}://{authority}`, checked.
fn prefix_of<'a>(config: &'a Config, req: &HttpRequest) -> &'a str {
    let uri = req.uri();
    let scheme = uri.scheme_str().expect("an absolute URI");
    assert!(scheme == "http" || scheme == "https", "scheme {scheme}");
    let authority = uri.authority().expect("an authority").as_str();
    assert!(!authority.contains('@'), "user info in {authority}");
    let origin = format!("{scheme}://{authority}");
    let prefix = config
        .base_url()
        .strip_prefix(origin.as_str())
        .unwrap_or_else(|| panic!("base_url {} is not under {origin}", config.base_url()));
    if !prefix.is_empty() {
        assert!(prefix.starts_with('/'), "prefix {prefix:?}");
        assert!(!prefix.ends_with('/'), "prefix {prefix:?} ends with /");
        assert!(
            prefix[1..]
                .split('/')
                .all(|s| !s.is_empty() && s != "." && s != ".."),
            "prefix {prefix:?} has an empty or dot segment"
        );
        assert!(!prefix.contains(['?', '#']), "prefix {prefix:?}");
    }
    prefix
}

fn check_headers(config: &Config, req: &HttpRequest, create: bool) {
    assert_eq!(req.method(), Method::POST);
    let h: &HeaderMap = req.headers();
    for (name, value) in h {
        assert!(
            !value
                .as_bytes()
                .iter()
                .any(|b| matches!(b, b'\r' | b'\n' | b'\0')),
            "header {name} holds CR, LF or NUL"
        );
    }
    let auth = &h[http::header::AUTHORIZATION];
    assert!(auth.is_sensitive(), "Authorization is not sensitive");
    assert_eq!(auth.as_bytes(), format!("Bearer {KEY}").as_bytes());
    assert_eq!(h.get_all(http::header::AUTHORIZATION).iter().count(), 1);
    assert!(
        !format!("{req:?}").contains(KEY),
        "request Debug shows the key"
    );
    assert_eq!(h[http::header::ACCEPT], "application/json");
    match config.api_version() {
        Some(v) => assert_eq!(h[clerk_core::CLERK_API_VERSION].as_bytes(), v.as_bytes()),
        None => assert!(h.get(clerk_core::CLERK_API_VERSION).is_none()),
    }
    let ua = h[http::header::USER_AGENT].as_bytes();
    assert!(ua.starts_with(b"clerk-core/"), "User-Agent {ua:?}");
    if create {
        assert_eq!(h[http::header::CONTENT_TYPE], "application/json");
    } else {
        assert!(h.get(http::header::CONTENT_TYPE).is_none());
        assert!(req.body().is_empty(), "revoke has a body");
    }
}

/// `CLERK_FUZZ_DEBUG=1` prints each decoded input (for reading crashes and
/// seeds with `cargo fuzz run <target> <file>`).
fn debug() -> bool {
    static DEBUG: OnceLock<bool> = OnceLock::new();
    *DEBUG.get_or_init(|| std::env::var_os("CLERK_FUZZ_DEBUG").is_some_and(|v| v != "0"))
}

/// The crate's own user agent, `clerk-core/{version}`.
fn default_user_agent() -> &'static str {
    static UA: OnceLock<String> = OnceLock::new();
    UA.get_or_init(|| {
        Config::new(SecretKey::new(KEY).expect("a valid key"))
            .user_agent()
            .to_owned()
    })
}

fn check_user_agent(config: &Config, input: &Input, req: &HttpRequest) {
    let ua = req.headers()[http::header::USER_AGENT].as_bytes();
    match &input.user_agent_suffix {
        Some(suffix) => {
            let expected = format!("{} {suffix}", default_user_agent());
            assert_eq!(ua, expected.as_bytes(), "User-Agent");
            // `user_agent()` reads the header back as visible ASCII; only
            // compare where the suffix is ASCII (see the README's notes).
            if suffix.is_ascii() {
                assert_eq!(config.user_agent(), expected);
            }
        }
        None => {
            assert_eq!(ua, default_user_agent().as_bytes(), "User-Agent");
            assert_eq!(config.user_agent(), default_user_agent());
        }
    }
}

fn check_create(config: &Config, input: &Input) {
    let mut body_in = CreateSignInTokenRequest::new(input.user_id.clone());
    if let Some(org) = &input.org_id {
        body_in = body_in.org_id(org.clone());
    }
    let expected_expiry: Result<Option<u64>, ()> = match input.expires {
        Expires::Unset => Ok(None),
        Expires::Seconds(s) => {
            body_in = body_in.expires_in_seconds(s);
            if s == 0 { Err(()) } else { Ok(Some(s)) }
        }
        Expires::Duration(d) => {
            body_in = body_in.expires_in(d);
            if d.subsec_nanos() == 0 && d.as_secs() >= 1 {
                Ok(Some(d.as_secs()))
            } else {
                Err(())
            }
        }
    };
    let valid =
        !input.user_id.is_empty() && input.org_id.as_deref() != Some("") && expected_expiry.is_ok();

    let req = match request::create_sign_in_token(config, &body_in) {
        Ok(req) => req,
        Err(e) => {
            assert!(!valid, "create refused valid input: {e}");
            assert!(
                matches!(e.field(), "user_id" | "org_id" | "expires_in_seconds"),
                "create blamed {:?}",
                e.field()
            );
            return;
        }
    };
    assert!(valid, "create accepted invalid input {input:?}");
    check_headers(config, &req, true);
    check_user_agent(config, input, &req);
    let prefix = prefix_of(config, &req);
    assert_eq!(req.uri().path(), format!("{prefix}/sign_in_tokens"));
    assert!(req.uri().query().is_none());
    assert_eq!(
        req.uri().to_string(),
        format!("{}/sign_in_tokens", config.base_url())
    );

    let json: serde_json::Value =
        serde_json::from_slice(req.body()).expect("the create body is JSON");
    let obj = json.as_object().expect("the create body is an object");
    assert_eq!(obj["user_id"].as_str(), Some(input.user_id.as_str()));
    let mut keys = 1;
    if let Some(org) = &input.org_id {
        assert_eq!(obj["org_id"].as_str(), Some(org.as_str()));
        keys += 1;
    }
    if let Ok(Some(secs)) = expected_expiry {
        assert_eq!(obj["expires_in_seconds"].as_u64(), Some(secs));
        keys += 1;
    }
    assert_eq!(obj.len(), keys, "unexpected fields in {json}");
}

fn percent_decode(segment: &str) -> Vec<u8> {
    fn hex(b: u8) -> u8 {
        match b {
            b'0'..=b'9' => b - b'0',
            b'A'..=b'F' => b - b'A' + 10,
            _ => panic!("not upper-case hex: {:?}", b as char),
        }
    }
    let b = segment.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            assert!(i + 3 <= b.len(), "cut escape in {segment:?}");
            out.push(hex(b[i + 1]) << 4 | hex(b[i + 2]));
            i += 3;
        } else {
            assert!(
                b[i].is_ascii_alphanumeric() || matches!(b[i], b'-' | b'.' | b'_' | b'~'),
                "bare {:?} in segment {segment:?}",
                b[i] as char
            );
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn check_revoke(config: &Config, input: &Input) {
    let id = input.token_id.as_str();
    let refused = matches!(id, "" | "." | "..");
    let req = match request::revoke_sign_in_token(config, id) {
        Ok(req) => req,
        Err(e) => {
            assert!(refused, "revoke refused id {id:?}: {e}");
            assert_eq!(e.field(), "sign_in_token_id");
            return;
        }
    };
    assert!(!refused, "revoke accepted id {id:?}");
    check_headers(config, &req, false);
    check_user_agent(config, input, &req);
    let prefix = prefix_of(config, &req);
    assert!(req.uri().query().is_none(), "revoke URI has a query");
    let path = req.uri().path();
    let segment = path
        .strip_prefix(prefix)
        .and_then(|p| p.strip_prefix("/sign_in_tokens/"))
        .and_then(|p| p.strip_suffix("/revoke"))
        .unwrap_or_else(|| panic!("revoke path {path:?} (prefix {prefix:?})"));
    assert!(!segment.is_empty());
    assert!(!segment.contains(['/', '?', '#']), "segment {segment:?}");
    assert!(segment != "." && segment != "..");
    // Unreserved bytes pass as they are, so "%" never does: the encoding of
    // each byte is exactly one form, and decoding gives the id back.
    let mut canonical = String::new();
    for &b in id.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            canonical.push(b as char);
        } else {
            canonical.push_str(&format!("%{b:02X}"));
        }
    }
    assert_eq!(segment, canonical);
    assert_eq!(percent_decode(segment), id.as_bytes());
    assert_eq!(
        req.uri().to_string(),
        format!("{}/sign_in_tokens/{segment}/revoke", config.base_url())
    );
}

fuzz_target!(|data: &[u8]| {
    let input = decode(data);
    if debug() {
        eprintln!("{input:?}");
    }
    let Some(config) = build_config(&input) else {
        return;
    };
    check_create(&config, &input);
    check_revoke(&config, &input);
});
