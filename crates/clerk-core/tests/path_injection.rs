//! No token id can make a request address another path.

mod common;

use clerk_core::request;
use common::*;

#[test]
fn hostile_ids_stay_in_their_segment() {
    let cases = [
        ("../users/user_1", "..%2Fusers%2Fuser_1"),
        ("..%2F..%2Fusers", "..%252F..%252Fusers"),
        ("sit_1/../../users", "sit_1%2F..%2F..%2Fusers"),
        ("sit_1?admin=true", "sit_1%3Fadmin%3Dtrue"),
        ("sit_1#frag", "sit_1%23frag"),
        ("sit 1", "sit%201"),
        ("sit_1\r\nX-Injected: 1", "sit_1%0D%0AX-Injected%3A%201"),
        ("\\..\\", "%5C..%5C"),
        ("...", "..."),
        ("%2e%2e", "%252e%252e"),
        ("ünïcödé", "%C3%BCn%C3%AFc%C3%B6d%C3%A9"),
        ("http://evil.example/", "http%3A%2F%2Fevil.example%2F"),
        ("@evil.example", "%40evil.example"),
        ("sit;x=1", "sit%3Bx%3D1"),
    ];
    for (id, segment) in cases {
        let req = request::revoke_sign_in_token(&config(), id).unwrap();
        assert_eq!(
            req.uri().path(),
            format!("/v1/sign_in_tokens/{segment}/revoke"),
            "{id:?}"
        );
        assert_eq!(req.uri().host(), Some("api.clerk.com"));
        assert_eq!(req.uri().query(), None);
    }
}

#[test]
fn dot_segments_and_empty_are_refused() {
    for id in ["", ".", ".."] {
        let err = request::revoke_sign_in_token(&config(), id).unwrap_err();
        assert_eq!(err.field(), "sign_in_token_id", "{id:?}");
    }
}
