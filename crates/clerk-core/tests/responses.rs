//! The spec's examples and every error status, read by `response::sign_in_token`.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clerk_core::{Error, RetryAfter, SignInTokenStatus, UnixMillis, response};
use common::*;

#[test]
fn spec_pending_example() {
    let token = response::sign_in_token(&json_response(200, fixture("pending"))).unwrap();
    assert_eq!(token.object, "sign_in_token");
    assert_eq!(token.id, "sit_26Ed5ZqqJcOjRwecRQij2ZovDdG");
    assert_eq!(token.status, SignInTokenStatus::Pending);
    assert_eq!(token.user_id, "user_26Ect5GuCCeaFWwSDiiKcgAGtVk");
    assert!(
        token
            .token
            .as_ref()
            .unwrap()
            .expose_secret()
            .starts_with("eyJhbGciOiJSUzI1NiIs")
    );
    assert!(
        token
            .url
            .as_ref()
            .unwrap()
            .expose_secret()
            .contains("__clerk_ticket=")
    );
    assert_eq!(token.created_at, UnixMillis::new(1_638_000_669_544));
    assert_eq!(
        token.created_at.to_system_time(),
        Some(UNIX_EPOCH + Duration::from_millis(1_638_000_669_544))
    );
    assert_eq!(token.updated_at, token.created_at);
}

#[test]
fn spec_revoked_example() {
    let token = response::sign_in_token(&json_response(200, fixture("revoked"))).unwrap();
    assert_eq!(token.status, SignInTokenStatus::Revoked);
    assert!(token.token.is_none());
    assert!(token.url.is_none());
    assert_eq!(token.updated_at.as_millis(), 1_638_000_700_000);
}

#[test]
fn forward_compatible() {
    let body = r#"{"object":"sign_in_token","id":"sit_1","status":"expired","user_id":"u",
        "token":null,"url":null,"created_at":1,"updated_at":2,
        "new_field":{"nested":[1,2,3]},"another":"x"}"#;
    let token = response::sign_in_token(&json_response(200, body)).unwrap();
    assert_eq!(token.status, SignInTokenStatus::Unknown("expired".into()));
    assert_eq!(token.status.as_str(), "expired");
    assert!(token.token.is_none() && token.url.is_none());
    // No token field at all, url absent.
    let body = r#"{"object":"sign_in_token","id":"sit_1","status":"accepted","user_id":"u","created_at":1,"updated_at":2}"#;
    let token = response::sign_in_token(&json_response(200, body)).unwrap();
    assert_eq!(token.status, SignInTokenStatus::Accepted);
}

#[test]
fn lenient_content_and_bom() {
    let body = format!("\u{feff}{}", sentinel_token_json("pending"));
    assert!(response::sign_in_token(&json_response(200, body)).is_ok());
    // No content type at all is read as JSON.
    let reply = http::Response::builder()
        .status(200)
        .body(sentinel_token_json("pending"))
        .unwrap();
    assert!(response::sign_in_token(&reply).is_ok());
    let reply = http::Response::builder()
        .status(200)
        .header("content-type", "application/problem+json")
        .body(sentinel_token_json("pending"))
        .unwrap();
    assert!(response::sign_in_token(&reply).is_ok());
}

fn api_error(status: u16, fixture_name: &str) -> clerk_core::ApiError {
    match response::sign_in_token(&json_response(status, fixture(fixture_name))) {
        Err(Error::Api(e)) => *e,
        other => panic!("{status} {fixture_name}: {other:?}"),
    }
}

#[test]
fn every_clerk_error_status() {
    for (status, fixture_name, code) in [
        (
            400,
            "sign_in_token_cannot_be_revoked_code",
            "sign_in_token_cannot_be_revoked_code",
        ),
        (401, "authorization_invalid", "authorization_invalid"),
        (403, "authorization_invalid", "authorization_invalid"),
        (404, "resource_not_found", "resource_not_found"),
        (422, "form_param_missing", "form_param_missing"),
        (422, "form_param_value_invalid", "form_param_value_invalid"),
        (500, "resource_not_found", "resource_not_found"),
        (503, "resource_not_found", "resource_not_found"),
    ] {
        let e = api_error(status, fixture_name);
        assert_eq!(e.status().as_u16(), status);
        assert_eq!(e.errors()[0].code, code);
        assert_eq!(e.clerk_trace_id(), Some("2efb09d4de0199f552e1616b597cf0eb"));
        let err: Error = Error::Api(Box::new(e));
        assert_eq!(err.is_retryable(), status >= 500, "{status}");
        assert!(err.to_string().contains(code));
    }
    let e = api_error(422, "form_param_missing");
    assert_eq!(
        e.errors()[0].meta.as_ref().unwrap()["param_name"],
        "user_id"
    );
    assert_eq!(
        e.errors()[0].long_message.as_deref(),
        Some("user_id must be included.")
    );
    assert_eq!(
        e.to_string(),
        "Clerk answered 422 Unprocessable Entity: form_param_missing: user_id must be included. (trace id 2efb09d4de0199f552e1616b597cf0eb)"
    );
}

fn too_many(retry_after: &str, date: Option<&str>) -> Error {
    let mut b = http::Response::builder()
        .status(429)
        .header("content-type", "application/json")
        .header("retry-after", retry_after);
    if let Some(d) = date {
        b = b.header("date", d);
    }
    let body = r#"{"errors":[{"message":"Too many requests","long_message":"Too many requests, retry later","code":"too_many_requests"}],"clerk_trace_id":"t429"}"#;
    response::sign_in_token(&b.body(body).unwrap()).unwrap_err()
}

#[test]
fn too_many_requests_with_both_retry_after_forms() {
    let e = too_many("7", None);
    assert_eq!(e.status(), Some(http::StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(e.codes().collect::<Vec<_>>(), ["too_many_requests"]);
    assert_eq!(
        e.retry_after(),
        Some(RetryAfter::Delay(Duration::from_secs(7)))
    );
    assert_eq!(e.retry_after_delay(), Some(Duration::from_secs(7)));
    assert!(e.is_retryable());

    // HTTP-date, measured against the response's own Date header.
    let e = too_many(
        "Wed, 21 Oct 2015 07:28:10 GMT",
        Some("Wed, 21 Oct 2015 07:28:00 GMT"),
    );
    assert_eq!(
        e.retry_after(),
        Some(RetryAfter::At(
            UNIX_EPOCH + Duration::from_secs(1_445_412_490)
        ))
    );
    assert_eq!(e.retry_after_delay(), Some(Duration::from_secs(10)));

    // HTTP-date without a Date header: measured against the local clock; a
    // date in the past means "now".
    let e = too_many("Wed, 21 Oct 2015 07:28:00 GMT", None);
    assert_eq!(e.retry_after_delay(), Some(Duration::ZERO));
    // A date an hour ahead of the local clock: roughly an hour.
    let later = httpdate_in(Duration::from_secs(3600));
    let wait = too_many(&later, None).retry_after_delay().unwrap();
    assert!(
        wait > Duration::from_secs(3500) && wait <= Duration::from_secs(3600),
        "{wait:?}"
    );

    // Garbage and negative values are ignored.
    for bad in ["-5", "soon", "1.5", ""] {
        assert_eq!(too_many(bad, None).retry_after(), None, "{bad:?}");
    }
}

/// RFC 9110 section 5.6.7: recipients read all three HTTP-date forms, in
/// `Retry-After` and in `Date`.
#[test]
fn retry_after_reads_every_http_date_form() {
    let at = UNIX_EPOCH + Duration::from_secs(1_445_412_490); // Wed, 21 Oct 2015 07:28:10 GMT
    for (form, retry_after, date) in [
        (
            "IMF-fixdate",
            "Wed, 21 Oct 2015 07:28:10 GMT",
            "Wed, 21 Oct 2015 07:28:00 GMT",
        ),
        (
            "RFC 850",
            "Wednesday, 21-Oct-15 07:28:10 GMT",
            "Wednesday, 21-Oct-15 07:28:00 GMT",
        ),
        (
            "asctime",
            "Wed Oct 21 07:28:10 2015",
            "Wed Oct 21 07:28:00 2015",
        ),
    ] {
        let e = too_many(retry_after, Some(date));
        assert_eq!(e.retry_after(), Some(RetryAfter::At(at)), "{form}");
        assert_eq!(
            e.retry_after_delay(),
            Some(Duration::from_secs(10)),
            "{form}"
        );
        assert_eq!(
            RetryAfter::parse(retry_after),
            Some(RetryAfter::At(at)),
            "{form}"
        );
    }
    // asctime pads a one-digit day with a space.
    assert_eq!(
        RetryAfter::parse("Sun Nov  6 08:49:37 1994"),
        RetryAfter::parse("Sun, 06 Nov 1994 08:49:37 GMT")
    );
    for bad in [
        "Wed, 21 Oct 2015 07:28:10 UTC",
        "Wed, 32 Oct 2015 07:28:10 GMT",
        "Wed, 21 Oct 2015 25:28:10 GMT",
        "2015-10-21T07:28:10Z",
    ] {
        assert_eq!(RetryAfter::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn bad_gateway_html_is_unexpected() {
    let reply = http::Response::builder()
        .status(502)
        .header("content-type", "text/html")
        .header("cf-ray", "8a1b2c3d4e5f-AMS")
        .body("<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>")
        .unwrap();
    let err = response::sign_in_token(&reply).unwrap_err();
    let Error::UnexpectedResponse(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.status(), http::StatusCode::BAD_GATEWAY);
    assert_eq!(e.content_type(), Some("text/html"));
    assert!(e.body_excerpt().contains("502 Bad Gateway"));
    assert_eq!(err.clerk_trace_id(), Some("8a1b2c3d4e5f-AMS"));
    assert!(err.is_retryable());
    assert!(
        err.to_string()
            .starts_with("unexpected response 502 Bad Gateway (text/html)")
    );
}

#[test]
fn trace_id_from_header_when_body_has_none() {
    let reply = http::Response::builder()
        .status(404)
        .header("clerk-trace-id", "hdr-trace")
        .header("cf-ray", "ray")
        .body(r#"{"errors":[{"message":"not found","long_message":"Resource not found","code":"resource_not_found"}]}"#)
        .unwrap();
    let err = response::sign_in_token(&reply).unwrap_err();
    assert_eq!(err.clerk_trace_id(), Some("hdr-trace"));
}

#[test]
fn unexpected_shapes() {
    // (status, content type, content encoding, body, reason)
    type Case<'a> = (u16, Option<&'a str>, Option<&'a str>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            200,
            Some("application/json"),
            None,
            "",
            "empty body on success",
        ),
        (
            200,
            Some("text/html"),
            None,
            "<html>ok</html>",
            "success without a JSON body",
        ),
        (
            200,
            Some("application/json"),
            Some("gzip"),
            "\x1f\u{8b}...",
            "content encoding",
        ),
        (301, None, None, "", "redirect"),
        (307, None, None, "", "redirect"),
        (
            500,
            Some("application/json"),
            None,
            "",
            "error status without a Clerk error body",
        ),
        (
            503,
            Some("text/plain"),
            None,
            "upstream connect error",
            "error status without",
        ),
        (
            401,
            Some("application/json"),
            None,
            r#"{"error":"nope"}"#,
            "error status without",
        ),
    ];
    for (status, ct, ce, body, reason) in cases {
        let mut b = http::Response::builder().status(status);
        if let Some(ct) = ct {
            b = b.header("content-type", ct);
        }
        if let Some(ce) = ce {
            b = b.header("content-encoding", ce);
        }
        let err = response::sign_in_token(&b.body(body).unwrap()).unwrap_err();
        match &err {
            Error::UnexpectedResponse(e) => {
                assert!(e.reason().contains(reason), "{status}: {}", e.reason());
                assert_eq!(e.status().as_u16(), status);
            }
            other => panic!("{status} {body:?}: {other:?}"),
        }
    }
}

#[test]
fn decode_errors_name_the_field() {
    let cases = [
        ("{", "", "JSON ends too early"),
        ("not json", "", "not valid JSON"),
        ("[1,2]", "", "expected a JSON object, found an array"),
        (r#"{"id":"sit_1"}"#, "object", "missing required field"),
        (
            r#"{"object":"sign_in_token","id":5,"status":"pending","user_id":"u","created_at":1,"updated_at":1}"#,
            "id",
            "expected a string, found a number",
        ),
        (
            r#"{"object":"sign_in_token","id":"s","status":"pending","user_id":"u","created_at":1.5,"updated_at":1}"#,
            "created_at",
            "expected an integer",
        ),
        (
            r#"{"object":"sign_in_token","id":"s","status":"pending","user_id":"u","created_at":1,"updated_at":1,"token":7}"#,
            "token",
            "expected a string, found a number",
        ),
        (
            r#"{"object":"user","id":"s","status":"pending","user_id":"u","created_at":1,"updated_at":1}"#,
            "object",
            "expected \"sign_in_token\"",
        ),
        (
            r#"{"object":"sign_in_token","id":"s","status":"pending","user_id":"u","created_at":1}"#,
            "updated_at",
            "missing required field",
        ),
    ];
    for (body, path, problem) in cases {
        match response::sign_in_token(&json_response(200, body)) {
            Err(Error::Decode(e)) => {
                assert_eq!(e.path(), path, "{body}");
                assert!(e.problem().contains(problem), "{body}: {}", e.problem());
            }
            other => panic!("{body}: {other:?}"),
        }
    }
}

/// Formats now + `ahead` as an IMF-fixdate.
fn httpdate_in(ahead: Duration) -> String {
    let secs = (SystemTime::now() + ahead)
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let days = secs / 86_400;
    let (h, m, s) = ((secs % 86_400) / 3600, (secs % 3600) / 60, secs % 60);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{weekday}, {d:02} {} {year} {h:02}:{m:02}:{s:02} GMT",
        months[(month - 1) as usize]
    )
}
