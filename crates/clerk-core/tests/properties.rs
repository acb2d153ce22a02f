//! Property tests: arbitrary responses never panic the parser; arbitrary ids
//! stay in their path segment.

mod common;

use clerk_core::{Config, CreateSignInTokenRequest, request, response};
use common::*;
use proptest::prelude::*;

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![100u16..=999, Just(200), Just(429), Just(503), Just(422)]
}

fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40),
        Just(b"application/json".to_vec()),
        Just(b"text/html".to_vec()),
        Just(b"gzip".to_vec()),
        "[0-9]{0,25}".prop_map(String::into_bytes),
        Just(b"Sun, 06 Nov 1994 08:49:37 GMT".to_vec()),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        any::<String>().prop_map(String::into_bytes),
        // Mutations of valid bodies reach deeper.
        (proptest::collection::vec(any::<u8>(), 0..8), 0usize..400).prop_map(|(noise, at)| {
            let mut b = sentinel_token_json("pending").into_bytes();
            let at = at.min(b.len());
            b.splice(at..at, noise);
            b
        }),
        (0usize..200).prop_map(|cut| {
            let b = fixture("form_param_missing");
            b[..cut.min(b.len())].to_vec()
        }),
        r#"\{"errors":\[\{"code":"[a-z_]{0,10}","message":"[ -~]{0,20}"\}\][ -~]{0,20}"#
            .prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parser_never_panics(
        status in status(),
        names in proptest::collection::vec(
            prop_oneof![Just("content-type"), Just("content-encoding"), Just("retry-after"),
                        Just("date"), Just("clerk-trace-id"), Just("cf-ray")], 0..6),
        values in proptest::collection::vec(header_value(), 6),
        body in body(),
    ) {
        let mut reply = http::Response::new(bytes::Bytes::from(body));
        *reply.status_mut() = http::StatusCode::from_u16(status).unwrap();
        for (name, value) in names.iter().zip(values) {
            if let Ok(v) = http::HeaderValue::from_bytes(&value) {
                reply.headers_mut().append(*name, v);
            }
        }
        match response::sign_in_token(&reply) {
            Ok(token) => {
                prop_assert!((200..300).contains(&status));
                prop_assert_eq!(token.object.as_str(), "sign_in_token");
            }
            Err(e) => {
                let text = format!("{e} {e:?}");
                // The url's secret is its ticket; its host and path are public.
                let ticket = SENTINEL_URL.split("__clerk_ticket=").nth(1).unwrap();
                for secret in [SENTINEL_TOKEN, ticket, SENTINEL_KEY] {
                    prop_assert!(!leaks(&text, secret), "{}", text);
                }
                prop_assert_eq!(e.status().map(|s| s.as_u16()), Some(status));
            }
        }
    }

    #[test]
    fn ids_stay_in_their_segment(id in any::<String>()) {
        match request::revoke_sign_in_token(&config(), &id) {
            Err(e) => prop_assert!(id.is_empty() || id == "." || id == ".."
                , "{:?} refused: {}", id, e),
            Ok(req) => {
                let path = req.uri().path();
                let segment = path
                    .strip_prefix("/v1/sign_in_tokens/")
                    .and_then(|rest| rest.strip_suffix("/revoke"));
                prop_assert!(segment.is_some(), "{}", path);
                let segment = segment.unwrap();
                prop_assert!(!segment.contains('/') && !segment.contains('?') && !segment.contains('#'));
                prop_assert!(segment != "." && segment != "..");
                prop_assert_eq!(req.uri().host(), Some("api.clerk.com"));
                prop_assert_eq!(req.uri().query(), None);
                prop_assert_eq!(percent_decode(segment), id.into_bytes());
            }
        }
    }

    #[test]
    fn create_bodies_round_trip(
        user_id in any::<String>(),
        org_id in proptest::option::of(any::<String>()),
        expires in proptest::option::of(any::<u64>()),
        prefix in "(/[a-z0-9]{1,5}){0,3}/?",
    ) {
        let config = Config::builder(key()).base_url(format!("https://h.example{prefix}")).build().unwrap();
        let mut input = CreateSignInTokenRequest::new(user_id.clone());
        if let Some(o) = &org_id { input = input.org_id(o.clone()); }
        if let Some(e) = expires { input = input.expires_in_seconds(e); }
        match request::create_sign_in_token(&config, &input) {
            Err(e) => prop_assert!(user_id.is_empty() || org_id.as_deref() == Some("") || expires == Some(0), "{}", e),
            Ok(req) => {
                prop_assert_eq!(req.uri().path(), format!("{}/sign_in_tokens", prefix.trim_end_matches('/')));
                let v: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
                prop_assert_eq!(v["user_id"].as_str(), Some(user_id.as_str()));
                prop_assert_eq!(v.get("org_id").and_then(|o| o.as_str()), org_id.as_deref());
                prop_assert_eq!(v.get("expires_in_seconds").and_then(|e| e.as_u64()), expires);
            }
        }
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// Whether any 20-byte window of `secret` (or all of a shorter one) appears in `text`: a garbled body can
/// cut a secret anywhere, so whole-string checks are not enough.
fn leaks(text: &str, secret: &str) -> bool {
    let window = secret.len().min(20);
    secret
        .as_bytes()
        .windows(window)
        .any(|w| text.as_bytes().windows(window).any(|t| t == w))
}
