//! Entity JSON as Graph returns it: flow sets without `@odata.type`, flows always with it,
//! timestamps with seven fractional digits, passwords masked.

use serde_json::{Map, Value};

use super::model::{self, ComplexType, Shape};
use crate::clock;
use crate::state::directory::{FlowSet, RoleGroup};
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

/// `$metadata` context of the role-group collection.
pub fn role_groups_context(base_url: &str) -> String {
    format!("{base_url}/beta/$metadata#external/industryData/roleGroups")
}

pub fn role_group(group: &RoleGroup) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("id".to_owned(), Value::String(group.id.clone()));
    map.insert(
        "displayName".to_owned(),
        Value::String(group.display_name.clone()),
    );
    map.insert(
        "roles".to_owned(),
        Value::Array(
            group
                .roles
                .iter()
                .map(|code| serde_json::json!({ "code": code }))
                .collect(),
        ),
    );
    map
}

/// A flow with its readiness as the caller may see it: every member of its type (null, or an
/// empty collection, where nothing is stored), role groups expanded, passwords masked.
pub fn flow(
    flow: &Flow,
    readiness: String,
    base_url: &str,
    role_groups: &[RoleGroup],
) -> Map<String, Value> {
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
    let renderer = Renderer {
        base_url,
        role_groups,
    };
    map.extend(renderer.members(model::flow_type(flow.kind), &flow.properties));
    map
}

struct Renderer<'a> {
    base_url: &'a str,
    role_groups: &'a [RoleGroup],
}

impl Renderer<'_> {
    fn members(&self, ty: &ComplexType, stored: &Map<String, Value>) -> Map<String, Value> {
        let mut map = Map::new();
        if let Some(odata_type) = stored.get("@odata.type") {
            map.insert("@odata.type".to_owned(), odata_type.clone());
        }
        for member in ty.members {
            let value = stored.get(member.name).unwrap_or(&Value::Null);
            if let Shape::RoleGroup = member.shape {
                map.insert(
                    format!("{}@odata.context", member.name),
                    Value::String(format!("{}/$entity", role_groups_context(self.base_url))),
                );
            }
            let rendered = self.value(&member.shape, value);
            let rendered = match (ty.name, member.name) {
                (name, "password") if name == model::SIMPLE_PASSWORD_SETTINGS.name => {
                    Value::String(MASKED_PASSWORD.to_owned())
                }
                _ => rendered,
            };
            map.insert(member.name.to_owned(), rendered);
        }
        map
    }

    fn value(&self, shape: &Shape, value: &Value) -> Value {
        match (shape, value) {
            (Shape::Collection(_), Value::Null) => Value::Array(Vec::new()),
            (_, Value::Null) => Value::Null,
            (Shape::Complex(ty), Value::Object(stored)) => Value::Object(self.members(ty, stored)),
            (Shape::Abstract { derived, .. }, Value::Object(stored)) => {
                let named = stored.get("@odata.type").and_then(Value::as_str);
                match derived
                    .iter()
                    .find(|ty| named.is_some_and(|name| name.ends_with(&format!(".{}", ty.name))))
                {
                    Some(ty) => Value::Object(self.members(ty, stored)),
                    None => value.clone(),
                }
            }
            (Shape::Collection(item), Value::Array(items)) => {
                Value::Array(items.iter().map(|value| self.value(item, value)).collect())
            }
            (Shape::RoleGroup, Value::Object(reference)) => {
                let id = reference
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                match self
                    .role_groups
                    .iter()
                    .find(|group| group.id.eq_ignore_ascii_case(id))
                {
                    Some(group) => Value::Object(role_group(group)),
                    None => value.clone(),
                }
            }
            _ => value.clone(),
        }
    }
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
}
