//! Every node is described, descriptions are not hard-wrapped, and the schema is structural.

use crate::fixture::*;

/// Paths of schema nodes that break a rule, walking properties and list items.
fn offending_nodes(
    node: &Value,
    path: &str,
    is_offending: &dyn Fn(&Value) -> bool,
    found: &mut Vec<String>,
) {
    if is_offending(node) {
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
    let mut missing = Vec::new();
    let has_no_description = |node: &Value| {
        node["description"]
            .as_str()
            .is_none_or(|text| text.trim().is_empty())
    };
    offending_nodes(&schema_at(""), "", &has_no_description, &mut missing);
    assert!(missing.is_empty(), "add a doc comment to: {missing:?}");
}

#[test]
fn descriptions_are_not_hard_wrapped() {
    let mut wrapped = Vec::new();
    let is_hard_wrapped = |node: &Value| {
        node["description"]
            .as_str()
            .is_some_and(|text| text.replace("\n\n", "").contains('\n'))
    };
    offending_nodes(&schema_at(""), "", &is_hard_wrapped, &mut wrapped);
    assert!(
        wrapped.is_empty(),
        "kubectl explain would show doc-comment line breaks at: {wrapped:?}"
    );
}

#[test]
fn schema_is_structural() {
    let mut offending = Vec::new();
    let is_unstructural = |node: &Value| {
        node.get("type").is_none()
            || [
                "anyOf",
                "oneOf",
                "allOf",
                "not",
                "$ref",
                "additionalProperties",
            ]
            .iter()
            .any(|keyword| node.get(keyword).is_some())
    };
    offending_nodes(&schema_at(""), "", &is_unstructural, &mut offending);
    assert!(
        offending.is_empty(),
        "schema nodes without a type or with a combinator: {offending:?}"
    );
}
