//! What the API server enforces: CEL rules, patterns, enums and defaults, required fields.

use crate::fixture::*;

/// Every `x-kubernetes-validations` entry in the schema, with the path of the node carrying it.
fn cel_rules(node: &Value, path: &str, found: &mut Vec<(String, Value)>) {
    let Some(object) = node.as_object() else {
        return;
    };
    if let Some(Value::Array(rules)) = object.get("x-kubernetes-validations") {
        found.extend(rules.iter().map(|rule| (path.to_owned(), rule.clone())));
    }
    if let Some(Value::Object(properties)) = object.get("properties") {
        for (name, child) in properties {
            cel_rules(child, &format!("{path}.{name}"), found);
        }
    }
    if let Some(items) = object.get("items") {
        cel_rules(items, &format!("{path}[]"), found);
    }
}

#[test]
fn cel_rules_are_exactly_the_designed_ones() {
    let mut found = Vec::new();
    cel_rules(&schema_at(""), "", &mut found);
    assert_eq!(
        found,
        vec![
            (
                ".spec".to_owned(),
                json!({ "rule": "has(self.flowSetId) != has(self.flowSetRef)", "message": FLOW_SET_CHOICE_MESSAGE }),
            ),
            (
                ".spec".to_owned(),
                json!({ "rule": "has(self.flowSetId) == has(oldSelf.flowSetId)", "message": FLOW_SET_CHOICE_MESSAGE }),
            ),
            (
                ".spec.flowSetId".to_owned(),
                json!({ "rule": "self == oldSelf", "message": FLOW_SET_ID_IMMUTABLE_MESSAGE }),
            ),
            (
                ".spec.flowSetRef".to_owned(),
                json!({ "rule": "self == oldSelf", "message": FLOW_SET_REF_IMMUTABLE_MESSAGE }),
            ),
        ],
        "a CEL rule is missing or unexpected (field-level rules need #[derive(KubeSchema)] and #[x_kube(validation = ...)])"
    );
    assert!(
        FLOW_SET_ID_IMMUTABLE_MESSAGE.contains("flowSetId"),
        "the message names the field"
    );
}

#[test]
fn flow_set_id_and_secret_name_carry_their_patterns() {
    let flow_set_id = spec_property("flowSetId");
    assert_eq!(flow_set_id["type"], "string");
    assert_eq!(flow_set_id["pattern"], GUID_PATTERN);
    assert_eq!(
        GUID_PATTERN,
        "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    );

    let name = spec_property("credentialsSecretRef")["properties"]["name"].clone();
    assert_eq!(name["type"], "string");
    assert_eq!(name["pattern"], DNS_SUBDOMAIN_PATTERN);
    assert_eq!(name["minLength"], 1);
    assert_eq!(name["maxLength"], 253);
}

#[test]
fn enums_and_defaults_follow_the_design() {
    let adoption = spec_property("adoption");
    assert_eq!(adoption["enum"], json!(["AdoptOrCreate", "CreateOnly"]));
    assert_eq!(adoption["default"], "AdoptOrCreate");

    let management = spec_property("managementPolicy");
    assert_eq!(management["enum"], json!(["Manage", "ObserveOnly"]));
    assert_eq!(management["default"], "Manage");

    let deletion = spec_property("deletionPolicy");
    assert_eq!(deletion["enum"], json!(["Delete", "Orphan"]));
    assert!(
        deletion.get("default").is_none(),
        "an absent deletionPolicy means the operator's default"
    );
    let deletion_description = deletion["description"].as_str().unwrap_or_default();
    assert!(
        deletion_description.contains("When absent"),
        "deletionPolicy explains absence: {deletion_description}"
    );

    let outcome = status_property("reset")["properties"]["outcome"].clone();
    assert_eq!(
        outcome["enum"],
        json!([
            "Pending",
            "Accepted",
            "Rejected",
            "OutcomeUnknown",
            "Skipped"
        ])
    );
}

#[test]
fn readiness_status_is_a_plain_string_listing_the_known_values() {
    let readiness = status_property("readinessStatus");
    assert_eq!(readiness["type"], "string");
    assert!(
        readiness.get("enum").is_none(),
        "a future Graph value must not fail a status write"
    );
    let description = readiness["description"].as_str().unwrap_or_default();
    for value in [
        "notReady",
        "ready",
        "failed",
        "disabled",
        "expired",
        "unknownFutureValue",
    ] {
        assert!(
            description.contains(value),
            "readinessStatus description lists {value}"
        );
    }
}

#[test]
fn required_fields_follow_the_design() {
    assert_eq!(schema_at("/required"), json!(["spec"]));
    assert_eq!(
        schema_at("/properties/spec/required"),
        json!(["creationOptions"]),
        "flowSetId or flowSetRef, one of them, is required by a CEL rule"
    );
    assert_eq!(
        spec_property("creationOptions")["required"],
        json!(["createBasedOnOrgPlusRoleGroup", "createBasedOnRoleGroup"])
    );
    assert_eq!(
        spec_property("credentialsSecretRef")["required"],
        json!(["name"])
    );
    assert!(
        schema_at("/properties/status").get("required").is_none(),
        "every status field is optional"
    );
}
