//! Exit 0: what create and revoke print.

use crate::support::{SENTINEL_KEY, create_token, mock, run, run_at};

#[test]
fn create_prints_one_pending_token() {
    let server = mock(|b| b);
    let base = server.base_url();
    let out = run_at(
        &base,
        &[
            "create",
            "--user-id",
            "user_1",
            "--org-id",
            "org_1",
            "--expires-in-seconds",
            "600",
        ],
    )
    .expect(0);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with(r#"{"object":"sign_in_token","id":"sit_"#),
        "{}",
        out.stdout
    );
    let json = out.json();
    let keys: Vec<&str> = json
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    // serde_json sorts keys unless told otherwise; the raw line is checked
    // for order above and below.
    assert_eq!(keys.len(), 8, "{keys:?}");
    assert_eq!(json["status"], "pending");
    assert_eq!(json["user_id"], "user_1");
    let token = json["token"].as_str().expect("token");
    let url = json["url"].as_str().expect("url");
    assert!(url.contains(token));
    assert!(json["created_at"].as_i64().expect("created_at") > 0);
    let order = [
        "\"object\"",
        "\"id\"",
        "\"status\"",
        "\"user_id\"",
        "\"token\"",
        "\"url\"",
        "\"created_at\"",
        "\"updated_at\"",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|k| out.stdout.find(k).expect("key"))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{}", out.stdout);

    let stored = server.tokens();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, json["id"]);
}

#[test]
fn revoke_prints_the_revoked_token_without_token_and_with_null_url() {
    let server = mock(|b| b);
    let base = server.base_url();
    let id = create_token(&base);
    let out = run_at(&base, &["revoke", &id]).expect(0);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    let json = out.json();
    assert_eq!(json["id"], id.as_str());
    assert_eq!(json["status"], "revoked");
    assert!(json.get("token").is_none(), "{json}");
    assert!(json["url"].is_null());
    assert!(out.stdout.contains(r#""url":null"#));
}

#[test]
fn include_http_info_wraps_status_headers_and_data() {
    let server = mock(|b| b);
    let out = run_at(
        &server.base_url(),
        &["--include-http-info", "create", "--user-id", "user_1"],
    )
    .expect(0);
    assert!(out.stdout.starts_with(r#"{"status":200,"headers":{"#));
    let json = out.json();
    assert_eq!(json["status"], 200);
    let headers = json["headers"].as_object().expect("headers");
    assert!(
        headers["clerk-trace-id"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(json["data"]["object"], "sign_in_token");
    assert_eq!(json["data"]["status"], "pending");
}

#[test]
fn mock_flag_needs_no_key() {
    let out = run(None, &["--mock", "create", "--user-id", "user_1"]).expect(0);
    let json = out.json();
    assert_eq!(json["status"], "pending");
    assert_eq!(json["user_id"], "user_1");
    assert!(json["token"].as_str().is_some_and(|t| !t.is_empty()));
    // Revoking goes to a fresh embedded mock, which does not know the id.
    let id = json["id"].as_str().expect("id");
    let again = run(None, &["--mock", "revoke", id]).expect(1);
    assert!(again.error_line().contains("resource_not_found"));
}

#[test]
fn global_flags_are_accepted_after_the_subcommand_and_from_the_env() {
    let server = mock(|b| b);
    let base = server.base_url();
    let out = run(
        Some(SENTINEL_KEY),
        &[
            "create",
            "--user-id",
            "user_1",
            "--api-url",
            &base,
            "--max-retries",
            "0",
            "--timeout-ms",
            "5000",
            "--api-version",
            "2025-11-10",
        ],
    )
    .expect(0);
    assert_eq!(out.json()["status"], "pending");

    let mut command = crate::support::cli(Some(SENTINEL_KEY));
    command
        .env("CLERK_API_URL", &base)
        .args(["create", "--user-id", "user_2"]);
    let out = crate::support::finish(command.spawn().expect("spawn")).expect(0);
    assert_eq!(out.json()["user_id"], "user_2");
    assert_eq!(server.tokens().len(), 2);
}

#[test]
fn help_documents_exit_codes_and_the_mock_prefix() {
    let out = run(None, &["--help"]).expect(0);
    assert!(out.stdout.contains("Exit codes:"));
    assert!(out.stdout.contains("CLERK_SECRET_KEY"));
    let out = run(None, &["mock-server", "--help"]).expect(0);
    assert!(
        out.stdout.contains("http://127.0.0.1:PORT/v1"),
        "{}",
        out.stdout
    );
}
