//! In every CRD: every node is described, descriptions are not hard-wrapped, and the schema is
//! structural.

use crate::fixture::*;

use sds_operator::crd::custom_resource_definitions;

/// Each CRD's name and its version's openAPIV3Schema.
fn schemas() -> Vec<(String, Value)> {
    custom_resource_definitions()
        .into_iter()
        .map(|crd| {
            let json = serde_json::to_value(&crd).expect("JSON");
            let name = crd.metadata.name.unwrap_or_default();
            (name, json.pointer(SCHEMA).cloned().expect("a schema"))
        })
        .collect()
}

/// The nodes of every CRD's schema that break a rule, each with its CRD's name.
fn offending_in_every_crd(is_offending: &dyn Fn(&Value, &str) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for (name, schema) in schemas() {
        offending_nodes(&schema, &name, is_offending, &mut found);
    }
    found
}

/// Paths of schema nodes that break a rule, walking properties and list items.
fn offending_nodes(
    node: &Value,
    path: &str,
    is_offending: &dyn Fn(&Value, &str) -> bool,
    found: &mut Vec<String>,
) {
    if is_offending(node, path) {
        found.push(path.to_owned());
    }
    if let Some(Value::Object(properties)) = node.get("properties") {
        for (name, child) in properties {
            offending_nodes(child, &format!("{path}.{name}"), is_offending, found);
        }
    }
    if let Some(items) = node.get("items") {
        offending_nodes(items, &format!("{path}[]"), is_offending, found);
    }
}

#[test]
fn every_schema_node_has_a_description() {
    // The items of a list of strings are described by the list (kubectl explain shows no more).
    let has_no_description = |node: &Value, path: &str| {
        let scalar_item = path.ends_with("[]") && node["type"] == "string";
        !scalar_item
            && node["description"]
                .as_str()
                .is_none_or(|text| text.trim().is_empty())
    };
    let missing = offending_in_every_crd(&has_no_description);
    assert!(missing.is_empty(), "add a doc comment to: {missing:?}");
}

#[test]
fn descriptions_are_not_hard_wrapped() {
    let is_hard_wrapped = |node: &Value, _: &str| {
        node["description"]
            .as_str()
            .is_some_and(|text| text.replace("\n\n", "").contains('\n'))
    };
    let wrapped = offending_in_every_crd(&is_hard_wrapped);
    assert!(
        wrapped.is_empty(),
        "kubectl explain would show doc-comment line breaks at: {wrapped:?}"
    );
}

#[test]
fn schema_is_structural() {
    // A map (additionalProperties with a typed value, as a label selector's matchLabels) is
    // structural; additionalProperties beside properties, or untyped, is not.
    let is_unstructural = |node: &Value, _: &str| {
        let untyped_map = node
            .get("additionalProperties")
            .is_some_and(|values| values.get("type").is_none() || node.get("properties").is_some());
        node.get("type").is_none()
            || untyped_map
            || ["anyOf", "oneOf", "allOf", "not", "$ref"]
                .iter()
                .any(|keyword| node.get(keyword).is_some())
    };
    let offending = offending_in_every_crd(&is_unstructural);
    assert!(
        offending.is_empty(),
        "schema nodes without a type or with a combinator: {offending:?}"
    );
}
