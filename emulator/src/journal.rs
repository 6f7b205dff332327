//! The journal: every Graph and token request in arrival order, with secrets masked.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::faults::FaultTarget;

/// Form fields whose values never reach the journal.
const SECRET_FIELDS: [&str; 4] = [
    "client_secret",
    "client_assertion",
    "refresh_token",
    "device_code",
];
/// What a masked value is replaced with.
pub const MASK: &str = "***";

/// One recorded request and the status it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    /// 1-based, increasing, never reused (not even after a clear).
    pub sequence: u64,
    /// Arrival time (RFC 3339).
    pub time: String,
    pub target: FaultTarget,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// The `client-request-id` the caller sent, if any.
    pub client_request_id: Option<String>,
    /// Whether an `Authorization` header was present (its value is never kept).
    pub authorization_present: bool,
    /// The application (`appid`) of the bearer token presented, when the emulator signed it:
    /// which client made the call, where several share one emulator.
    #[serde(default)]
    pub caller: Option<String>,
    /// JSON bodies as sent but with passwords masked; form bodies as an object with secrets
    /// masked; else a string or null.
    pub body: Value,
    pub status: u16,
    pub request_id: String,
    /// True when an injected fault (or simulated eventual consistency) produced the answer.
    pub fault: bool,
    pub fault_reason: Option<String>,
}

/// The recorded entries and the next sequence number.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    entries: Vec<JournalEntry>,
    last_sequence: u64,
}

impl Journal {
    /// Stores an entry, assigning its sequence number.
    pub fn record(&mut self, mut entry: JournalEntry) {
        self.last_sequence += 1;
        entry.sequence = self.last_sequence;
        self.entries.push(entry);
    }

    /// Entries with a sequence number greater than `since`.
    pub fn since(&self, since: u64) -> Vec<JournalEntry> {
        self.entries
            .iter()
            .filter(|entry| entry.sequence > since)
            .cloned()
            .collect()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// Turns a request body into its journal form.
pub fn journal_body(content_type: Option<&str>, bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    let is_form =
        content_type.is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        return masked_form(bytes);
    }
    if let Ok(mut json) = serde_json::from_slice::<Value>(bytes) {
        mask_passwords(&mut json);
        return json;
    }
    Value::String(String::from_utf8_lossy(bytes).into_owned())
}

/// A user flow's default passwords (`simplePasswordSettings.password`), wherever they are.
fn mask_passwords(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (name, inner) in map.iter_mut() {
                if name == "password" && inner.is_string() {
                    *inner = Value::String(MASK.to_owned());
                } else {
                    mask_passwords(inner);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_passwords),
        _ => {}
    }
}

fn masked_form(bytes: &[u8]) -> Value {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes).unwrap_or_default();
    let mut object = Map::new();
    for (key, value) in pairs {
        let value = if SECRET_FIELDS.contains(&key.as_str()) {
            MASK.to_owned()
        } else {
            value
        };
        object.insert(key, Value::String(value));
    }
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_passwords_in_json_bodies() {
        let body = journal_body(
            Some("application/json"),
            br#"{"creationOptions":{"configurations":[{"defaultPasswordSettings":{"password":"Sup3r"}}]}}"#,
        );
        let password =
            &body["creationOptions"]["configurations"][0]["defaultPasswordSettings"]["password"];
        assert_eq!(password, MASK);
    }

    #[test]
    fn masks_secrets_in_forms() {
        let body = journal_body(
            Some("application/x-www-form-urlencoded"),
            b"client_id=a&client_secret=s3cr3t&client_assertion=jwt",
        );
        assert_eq!(body["client_id"], "a");
        assert_eq!(body["client_secret"], MASK);
        assert_eq!(body["client_assertion"], MASK);
        assert!(!body.to_string().contains("s3cr3t"));
    }

    #[test]
    fn keeps_json_and_numbers_entries() {
        let mut journal = Journal::default();
        for _ in 0..3 {
            journal.record(JournalEntry {
                sequence: 0,
                time: String::new(),
                target: FaultTarget::Graph,
                method: "GET".to_owned(),
                path: "/".to_owned(),
                query: None,
                client_request_id: None,
                authorization_present: false,
                caller: None,
                body: journal_body(None, br#"{"a":1}"#),
                status: 200,
                request_id: String::new(),
                fault: false,
                fault_reason: None,
            });
        }
        let later = journal.since(1);
        assert_eq!(later.iter().map(|e| e.sequence).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(later[0].body["a"], 1);
    }
}
