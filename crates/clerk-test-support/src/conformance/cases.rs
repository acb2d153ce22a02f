//! The table: `conformance/cases.json`, read into types.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

/// The whole table, as `conformance/cases.json` holds it.
#[derive(Debug, Clone, Deserialize)]
pub struct Table {
    /// The secret key every transport sends: it must show up nowhere else.
    pub key: String,
    /// The transports that run the table: name and description, in order.
    pub transports: BTreeMap<String, String>,
    /// The settings a case does not set.
    pub defaults: Map<String, Value>,
    /// The cases.
    pub cases: Vec<Case>,
}

/// One case.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    /// Its name.
    pub name: String,
    /// What it proves, in words.
    pub what: String,
    /// Which server behaviour it runs against (see `server.rs`).
    pub server: String,
    /// A fixed base URL instead of the server's (for `server: none`).
    #[serde(default)]
    pub url: Option<String>,
    /// The body size the `body_*` servers answer with.
    #[serde(default)]
    pub body_bytes: usize,
    /// What must hold.
    pub expect: Expect,
    /// The transports this case cannot apply to, and why.
    #[serde(default)]
    pub na: BTreeMap<String, String>,
    /// Every other key: settings that override the defaults.
    #[serde(flatten)]
    pub overrides: Map<String, Value>,
}

/// What must hold after a case.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Expect {
    /// The outcomes accepted: `ok`, a transport error kind
    /// (`TransportErrorKind::as_str`), `call_timeout`, `cancelled`,
    /// `api:STATUS`, `unexpected:STATUS`.
    pub outcome: Vec<String>,
    /// Whether the error must say the request was (not) sent.
    #[serde(default)]
    pub not_sent: Option<bool>,
    /// The bound on the call, before the slack.
    #[serde(default)]
    pub max_elapsed_ms: Option<u64>,
    /// Whether the secret key may be seen in the bytes the server read.
    #[serde(default)]
    pub key_on_wire: Option<bool>,
    /// How many bytes the server may have read.
    #[serde(default)]
    pub bytes_received: Option<u64>,
    /// TCP connections the server must have seen.
    #[serde(default)]
    pub connections: Option<u64>,
    /// Request heads the server must have read.
    #[serde(default)]
    pub requests: Option<u64>,
    /// Connections the redirect's target must have seen.
    #[serde(default)]
    pub bystander_connections: Option<u64>,
    /// The server must see the connection closed within this long of the
    /// cancel.
    #[serde(default)]
    pub closed_within_ms: Option<u64>,
}

/// A case's settings: the defaults with its overrides.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// `create` or `revoke`.
    pub op: String,
    /// `http` or `https`.
    pub scheme: String,
    /// The transport's request deadline; `None` for none.
    pub request_timeout_ms: Option<u64>,
    /// The transport's connect deadline; `None` for none.
    pub connect_timeout_ms: Option<u64>,
    /// The client's whole-call deadline; `None` for none.
    pub call_timeout_ms: Option<u64>,
    /// The body cap.
    pub max_body_bytes: usize,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Drop the call after this long, when set.
    pub cancel_after_ms: Option<u64>,
    /// A create's `user_id` this many bytes long (0: a short one).
    pub user_id_bytes: usize,
    /// `default`, or `plain`: a connector that opens plain TCP whatever the
    /// scheme (for transports that take a connector).
    pub connector: String,
    /// Added to every time bound.
    pub slack_ms: u64,
}

impl Table {
    /// The table in this crate's `conformance/cases.json`.
    pub fn load() -> Self {
        Self::parse(include_str!("../../conformance/cases.json"))
    }

    /// Parses a table.
    pub fn parse(text: &str) -> Self {
        serde_json::from_str(text).expect("conformance/cases.json is a valid table")
    }

    /// The case named `name`.
    pub fn case(&self, name: &str) -> Option<&Case> {
        self.cases.iter().find(|c| c.name == name)
    }
}

impl Case {
    /// The defaults, overridden by this case.
    pub fn settings(&self, defaults: &Map<String, Value>) -> Settings {
        let mut merged = defaults.clone();
        for (k, v) in &self.overrides {
            merged.insert(k.clone(), v.clone());
        }
        serde_json::from_value(Value::Object(merged))
            .unwrap_or_else(|e| panic!("case {}: settings do not parse: {e}", self.name))
    }

    /// Why `transport` cannot run this case, if it cannot.
    pub fn na(&self, transport: &str) -> Option<&str> {
        self.na.get(transport).map(String::as_str)
    }
}

impl Settings {
    /// The user id a create sends.
    pub fn user_id(&self) -> String {
        if self.user_id_bytes == 0 {
            "user_conformance".to_owned()
        } else {
            "u".repeat(self.user_id_bytes)
        }
    }
}

/// The id every revoke case revokes.
pub const REVOKE_ID: &str = "sit_conformance";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_names_known_transports() {
        let table = Table::load();
        assert!(!table.cases.is_empty());
        for case in &table.cases {
            let settings = case.settings(&table.defaults);
            assert!(
                matches!(settings.op.as_str(), "create" | "revoke"),
                "{}",
                case.name
            );
            assert!(!case.expect.outcome.is_empty(), "{}", case.name);
            for transport in case.na.keys() {
                assert!(
                    table.transports.contains_key(transport),
                    "{}: {transport}",
                    case.name
                );
            }
        }
        let mut names: Vec<_> = table.cases.iter().map(|c| &c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), table.cases.len(), "case names are unique");
    }
}
