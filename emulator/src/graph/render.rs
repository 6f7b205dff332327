//! Entity JSON as Graph returns it: flow sets without `@odata.type`, flows always with it,
//! timestamps with seven fractional digits, passwords masked.

use serde_json::{Map, Value};

use crate::clock;
use crate::state::directory::FlowSet;
use crate::state::flow::{Flow, KNOWN_READINESS};

/// How Graph shows a masked password.
const MASKED_PASSWORD: &str = "***************";

/// `$metadata` context of the flow-set collection.
pub fn flow_sets_context(base_url: &str) -> String {
    format!("{base_url}/beta/$metadata#external/industryData/outboundProvisioningFlowSets")
}

/// `$metadata` context of one flow set's flows collection.
pub fn flows_context(base_url: &str, set_id: &str) -> String {
    format!(
        "{base_url}/beta/$metadata#external/industryData/outboundProvisioningFlowSets('{set_id}')/provisioningFlows"
    )
}

pub fn flow_set(set: &FlowSet) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("id".to_owned(), Value::String(set.id.clone()));
    map.insert(
        "createdDateTime".to_owned(),
        Value::String(clock::graph_timestamp(set.created)),
    );
    map.insert(
        "lastModifiedDateTime".to_owned(),
        Value::String(clock::graph_timestamp(set.modified)),
    );
    map.insert(
        "displayName".to_owned(),
        Value::String(set.display_name.clone()),
    );
    map.insert(
        "filter".to_owned(),
        set.filter.clone().unwrap_or(Value::Null),
    );
    map
}

/// A flow with its readiness as the caller may see it.
pub fn flow(flow: &Flow, readiness: String) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert(
        "@odata.type".to_owned(),
        Value::String(flow.kind.odata_type()),
    );
    map.insert("id".to_owned(), Value::String(flow.id.clone()));
    map.insert(
        "createdDateTime".to_owned(),
        Value::String(clock::graph_timestamp(flow.created)),
    );
    map.insert(
        "lastModifiedDateTime".to_owned(),
        Value::String(clock::graph_timestamp(flow.modified)),
    );
    map.insert("readinessStatus".to_owned(), Value::String(readiness));
    for (name, value) in &flow.properties {
        let mut value = value.clone();
        mask_passwords(&mut value);
        map.insert(name.clone(), value);
    }
    map
}

/// Evolvable enums: members added after `unknownFutureValue` are only shown to callers that sent
/// `Prefer: include-unknown-enum-members` (graph-api.md §2.2).
pub fn visible_readiness(raw: String, include_unknown_members: bool) -> String {
    if include_unknown_members || KNOWN_READINESS.contains(&raw.as_str()) {
        raw
    } else {
        "unknownFutureValue".to_owned()
    }
}

fn mask_passwords(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (name, inner) in map.iter_mut() {
                if name == "password" && inner.is_string() {
                    *inner = Value::String(MASKED_PASSWORD.to_owned());
                } else {
                    mask_passwords(inner);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_passwords),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_readiness_needs_the_prefer_header() {
        assert_eq!(visible_readiness("ready".into(), false), "ready");
        assert_eq!(
            visible_readiness("paused".into(), false),
            "unknownFutureValue"
        );
        assert_eq!(visible_readiness("paused".into(), true), "paused");
    }

    #[test]
    fn masks_nested_passwords() {
        let mut value = serde_json::json!({"a": [{"defaultPasswordSettings": {"password": "x"}}]});
        mask_passwords(&mut value);
        assert_eq!(
            value["a"][0]["defaultPasswordSettings"]["password"],
            MASKED_PASSWORD
        );
    }
}
