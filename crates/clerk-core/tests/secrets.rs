//! A sentinel secret key, token and url, searched for in the `Debug` and
//! `Display` of every model and every error path.

mod common;

use clerk_core::test_util::{MockTransport, MockTransportError};
use clerk_core::{
    Client, Config, CreateSignInTokenRequest, Error, SendError, TransportErrorKind,
    TransportFailure, request, response,
};
use common::*;

const NEEDLES: [&str; 3] = ["SENTINEL", "__clerk_ticket=SENTINEL", SENTINEL_KEY];

fn assert_clean(what: &str, text: &str) {
    for needle in NEEDLES {
        assert!(!text.contains(needle), "{what} leaks {needle:?}: {text}");
    }
    // The token's distinctive middle part, too.
    assert!(!text.contains("eyJzaWQiOiJTRU5USU5FTCJ9"), "{what}: {text}");
}

fn check<E: std::fmt::Debug + std::fmt::Display + std::error::Error>(what: &str, e: &E) {
    assert_clean(what, &e.to_string());
    assert_clean(what, &format!("{e:?}"));
    assert_clean(what, &format!("{e:#?}"));
    let mut source = e.source();
    while let Some(s) = source {
        assert_clean(what, &s.to_string());
        assert_clean(what, &format!("{s:?}"));
        source = s.source();
    }
}

#[test]
fn models_and_config_hide_secrets() {
    let token =
        response::sign_in_token(&json_response(200, sentinel_token_json("pending"))).unwrap();
    assert_clean("SignInToken", &format!("{token:?} {token:#?}"));
    assert_clean(
        "token",
        &format!("{} {:?}", token.token.clone().unwrap(), token.token),
    );
    assert_clean(
        "url",
        &format!("{} {:?}", token.url.clone().unwrap(), token.url),
    );
    assert_eq!(
        token.token.as_ref().unwrap().expose_secret(),
        SENTINEL_TOKEN
    );
    assert_eq!(token.url.as_ref().unwrap().expose_secret(), SENTINEL_URL);
    assert_clean("key", &format!("{} {:?}", key(), key()));
    assert_clean("config", &format!("{:?}", config()));
    let client = Client::builder(key()).without_retries().build(()).unwrap();
    assert_clean("client", &format!("{client:?}"));
    let blocking = Client::builder(key()).build_blocking(()).unwrap();
    assert_clean("blocking client", &format!("{blocking:?}"));
    let req =
        request::create_sign_in_token(&config(), &CreateSignInTokenRequest::new("u")).unwrap();
    // http's own Debug of a sensitive header value prints "Sensitive".
    assert_clean("request", &format!("{req:?}"));
}

/// Bodies a hostile or broken server could send, each carrying the secrets.
fn hostile_replies() -> Vec<http::Response<bytes::Bytes>> {
    let leaky_errors = format!(
        r#"{{"errors":[{{"message":"bad key {SENTINEL_KEY}","long_message":"token {SENTINEL_TOKEN} url {SENTINEL_URL}","code":"x_{SENTINEL_KEY}","meta":{{"token":"{SENTINEL_TOKEN}","url":"{SENTINEL_URL}","nested":["{SENTINEL_KEY}"]}}}}],"meta":{{"echo":"Bearer {SENTINEL_KEY}"}},"clerk_trace_id":"{SENTINEL_KEY}"}}"#
    );
    let mut out = Vec::new();
    for status in [400u16, 401, 403, 404, 422, 429, 500, 502, 503] {
        out.push(json_response(status, leaky_errors.clone()));
        out.push(
            http::Response::builder()
                .status(status)
                .header("content-type", "text/html")
                .header("clerk-trace-id", SENTINEL_KEY)
                .body(bytes::Bytes::from(format!(
                    "<html>{}</html>",
                    sentinel_token_json("pending")
                )))
                .unwrap(),
        );
    }
    // Successes that do not decode, with the secrets inside.
    for body in [
        format!(
            r#"{{"object":"sign_in_token","id":"sit_1","status":"pending","user_id":"u","token":"{SENTINEL_TOKEN}","url":"{SENTINEL_URL}","created_at":"{SENTINEL_TOKEN}","updated_at":1}}"#
        ),
        format!(
            r#"{{"object":"sign_in_token","id":{{"x":"{SENTINEL_TOKEN}"}},"status":"pending","user_id":"u","created_at":1,"updated_at":1}}"#
        ),
        format!(
            r#"{{"object":"{SENTINEL_URL}","id":"s","status":"pending","user_id":"u","created_at":1,"updated_at":1}}"#
        ),
        format!(
            r#"{{"object":"sign_in_token","id":"s","status":"pending","user_id":"u","token":"{SENTINEL_TOKEN}","created_at":1,"updated_at":1e400}}"#
        ),
        format!(r#"{{"token":"{SENTINEL_TOKEN}","url":"{SENTINEL_URL}""#),
        format!(r#"["{SENTINEL_TOKEN}", "{SENTINEL_URL}", "{SENTINEL_KEY}"]"#),
    ] {
        out.push(json_response(200, body));
    }
    out.push(
        http::Response::builder()
            .status(200)
            .header("content-type", "text/plain")
            .body(bytes::Bytes::from(format!(
                "token={SENTINEL_TOKEN} url={SENTINEL_URL} key={SENTINEL_KEY}"
            )))
            .unwrap(),
    );
    out.push(
        http::Response::builder()
            .status(302)
            .header("location", SENTINEL_URL)
            .body(bytes::Bytes::from(SENTINEL_URL))
            .unwrap(),
    );
    out
}

/// Found by the `response_parser` fuzz target: a `meta` map's own `token`
/// key, at the top level and inside an error, kept as sent.
#[test]
fn fuzz_regression_meta_secret_keys() {
    for body in [
        r#"{"errors":[{"meta":{"a":1,"token":"SENTINELtok0123"}}]}"#,
        r#"{"errors":[],"meta":{"a":1,"token":"SENTINELtok0123"}}"#,
        r#"{"errors":[{"meta":{"Url":"SENTINEL","secret_key":7,"authorization":{"x":"SENTINEL"}}}]}"#,
    ] {
        let err = response::sign_in_token(&json_response(422, body)).unwrap_err();
        check(body, &err);
        let api = err.as_api_error().unwrap();
        assert_clean("meta()", &format!("{:?}", api.meta()));
        assert_clean("errors()", &format!("{:?}", api.errors()));
    }
}

#[test]
fn every_response_error_path_is_clean() {
    for reply in hostile_replies() {
        let status = reply.status();
        let err = response::sign_in_token(&reply).unwrap_err();
        check(&format!("{status}"), &err);
        if let Some(api) = err.as_api_error() {
            assert_clean("meta", &format!("{:?}", api.meta()));
            for e in api.errors() {
                assert_clean("clerk error", &format!("{e:?}"));
            }
        }
    }
}

/// serde_json's own messages quote the value that did not fit
/// (`invalid type: string "…"`): decode errors keep the field path and a
/// description, never the value.
#[test]
fn decode_errors_name_the_field_never_the_value() {
    let base = |field: &str, value: &str| {
        let mut fields = vec![
            ("object", r#""sign_in_token""#.to_owned()),
            ("id", r#""sit_1""#.to_owned()),
            ("status", r#""pending""#.to_owned()),
            ("user_id", r#""user_1""#.to_owned()),
            ("token", format!(r#""{SENTINEL_TOKEN}""#)),
            ("url", format!(r#""{SENTINEL_URL}""#)),
            ("created_at", "1".to_owned()),
            ("updated_at", "1".to_owned()),
        ];
        for f in &mut fields {
            if f.0 == field {
                f.1 = value.to_owned();
            }
        }
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!(r#""{k}":{v}"#))
            .collect();
        format!("{{{}}}", body.join(","))
    };
    let secrets = [SENTINEL_KEY, SENTINEL_TOKEN, SENTINEL_URL];
    for field in [
        "id",
        "status",
        "user_id",
        "token",
        "url",
        "created_at",
        "updated_at",
    ] {
        for secret in secrets {
            let wrong: Vec<String> = match field {
                // Where a string belongs: a number, an object and an array holding the secret.
                "id" | "status" | "user_id" | "token" | "url" => vec![
                    format!(r#"{{"echo":"{secret}"}}"#),
                    format!(r#"["{secret}"]"#),
                    "12345".to_owned(),
                ],
                // Where an integer belongs: the secret as a string.
                _ => vec![format!(r#""{secret}""#), format!(r#"[{{"k":"{secret}"}}]"#)],
            };
            for value in wrong {
                let body = base(field, &value);
                let err = response::sign_in_token(&json_response(200, body.clone())).unwrap_err();
                let Error::Decode(decode) = &err else {
                    panic!("{body}: {err:?}")
                };
                assert_eq!(decode.path(), field, "{body}");
                assert!(decode.problem().starts_with("expected "), "{body}: {err}");
                check(&body, &err);
                for needle in [secret, "echo", "12345"] {
                    assert!(!err.to_string().contains(needle), "{body}: {err}");
                }
            }
        }
    }
}

#[test]
fn client_error_paths_are_clean() {
    // Through the clients, with transport failures too.
    let transport = MockTransport::new();
    for reply in hostile_replies() {
        transport.push_response(reply);
    }
    let n = transport.pending();
    transport.push_error(MockTransportError::ConnectionReset);
    transport.push_error(MockTransportError::Timeout);
    let client = Client::builder(key()).build_blocking(&transport).unwrap();
    for _ in 0..n + 3 {
        let err = client
            .create_sign_in_token(&CreateSignInTokenRequest::new("user_1"))
            .unwrap_err();
        check("blocking client", &err);
    }
    for id in ["", ".", ".."] {
        check("invalid id", &client.revoke_sign_in_token(id).unwrap_err());
    }
    let bad_key = clerk_core::SecretKey::new(format!("{SENTINEL_KEY} ")).unwrap_err();
    check("bad key", &bad_key);
    let bad_config = Config::builder(key()).base_url("::").build().unwrap_err();
    check("bad config", &bad_config);
    let transport_error: Error<SendError> = Error::Transport(TransportFailure::new(
        SendError::new(TransportErrorKind::Connect, "connect failed"),
    ));
    check("transport", &transport_error);
}

/// `ApiError` keeps every response header for the caller, but its `Debug`
/// lists names only: a `Set-Cookie` or an echoed header may carry a secret.
#[test]
fn api_error_headers_are_kept_and_their_values_never_printed() {
    let mut reply = json_response(
        429,
        r#"{"errors":[{"message":"slow down","code":"too_many_requests"}]}"#,
    );
    let headers = reply.headers_mut();
    headers.insert(
        "set-cookie",
        format!("__session={SENTINEL_TOKEN}").parse().unwrap(),
    );
    headers.insert("x-echo", format!("Bearer {SENTINEL_KEY}").parse().unwrap());
    headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
    let err = response::sign_in_token(&reply).unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.headers()["x-ratelimit-remaining"], "0");
    assert_eq!(
        api.headers()["set-cookie"],
        format!("__session={SENTINEL_TOKEN}").as_str()
    );
    assert!(format!("{api:?}").contains("set-cookie"));
    check("ApiError with headers", &err);
}
