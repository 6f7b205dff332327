//! The committed CRD matches the generator, and the generated CRD carries every validation,
//! name and printer column the design promises (a misspelt derive attribute can silently drop one).

use std::path::PathBuf;
use std::process::Command;

use sds_operator::crd::{
    DNS_SUBDOMAIN_PATTERN, FLOW_SET_ID_IMMUTABLE_MESSAGE, GUID_PATTERN, custom_resource_definition,
};
use serde_json::{Value, json};

const CRD_FILE: &str = "crds/securitygroupprovisioningflows.industrydata.sds-operator.io.yaml";
const SCHEMA: &str = "/spec/versions/0/schema/openAPIV3Schema";

fn crd() -> Value {
    serde_json::to_value(custom_resource_definition()).expect("the CRD serializes to JSON")
}

/// The node at a JSON pointer below the version's openAPIV3Schema, e.g. `/properties/spec`.
fn schema_at(pointer: &str) -> Value {
    let path = format!("{SCHEMA}{pointer}");
    crd()
        .pointer(&path)
        .cloned()
        .unwrap_or_else(|| panic!("the CRD has no {path}"))
}

fn spec_property(name: &str) -> Value {
    schema_at(&format!("/properties/spec/properties/{name}"))
}

fn status_property(name: &str) -> Value {
    schema_at(&format!("/properties/status/properties/{name}"))
}

fn committed_yaml() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(CRD_FILE);
    std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "cannot read {}: {error}; run `cargo run -- crd > {CRD_FILE}`",
            path.display()
        )
    })
}

#[test]
fn committed_crd_matches_the_crd_subcommand() {
    let output = Command::new(env!("CARGO_BIN_EXE_sds-operator"))
        .arg("crd")
        .output()
        .expect("sds-operator runs");
    assert!(
        output.status.success(),
        "`sds-operator crd` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let generated = String::from_utf8(output.stdout).expect("the CRD is UTF-8");
    assert!(
        generated == committed_yaml(),
        "{CRD_FILE} differs from what `sds-operator crd` generates; run `cargo run -- crd > {CRD_FILE}` \
         and commit the result"
    );
}

#[test]
fn the_helm_chart_ships_the_same_crd() {
    let chart_copy = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("charts/sds-operator")
        .join(CRD_FILE);
    let shipped = std::fs::read_to_string(&chart_copy).expect("the chart's CRD");
    assert!(
        shipped == committed_yaml(),
        "{} differs from {CRD_FILE}; copy it over (Helm installs CRDs only from the chart's crds/)",
        chart_copy.display()
    );
}

#[test]
fn committed_yaml_reads_back_as_the_generated_crd() {
    let parsed: Value =
        serde_saphyr::from_str(&committed_yaml()).expect("the committed CRD is valid YAML");
    assert!(
        parsed == crd(),
        "{CRD_FILE} does not read back as the generated CRD; run `cargo run -- crd > {CRD_FILE}`"
    );
}

#[test]
fn names_scope_and_version_follow_the_design() {
    let crd = crd();
    assert_eq!(
        crd["metadata"]["name"],
        "securitygroupprovisioningflows.industrydata.sds-operator.io"
    );
    assert_eq!(crd["spec"]["group"], "industrydata.sds-operator.io");
    assert_eq!(crd["spec"]["scope"], "Namespaced");
    assert_eq!(
        crd["spec"]["names"],
        json!({
            "kind": "SecurityGroupProvisioningFlow",
            "plural": "securitygroupprovisioningflows",
            "singular": "securitygroupprovisioningflow",
            "shortNames": ["sgpf"],
            "categories": ["sds", "industrydata"],
        })
    );
    let versions = crd["spec"]["versions"]
        .as_array()
        .expect("versions is a list");
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0]["name"], "v1alpha1");
    assert_eq!(versions[0]["served"], true);
    assert_eq!(versions[0]["storage"], true);
}

#[test]
fn status_is_a_subresource() {
    assert_eq!(
        crd()["spec"]["versions"][0]["subresources"],
        json!({ "status": {} })
    );
}

#[test]
fn printer_columns_show_ready_reason_readiness_flow_set_age_and_flow_id_and_message_when_wide() {
    let columns = crd()["spec"]["versions"][0]["additionalPrinterColumns"].clone();
    let summary: Vec<(String, String, String, i64)> = columns
        .as_array()
        .expect("printer columns are a list")
        .iter()
        .map(|column| {
            (
                column["name"].as_str().unwrap_or_default().to_owned(),
                column["jsonPath"].as_str().unwrap_or_default().to_owned(),
                column["type"].as_str().unwrap_or_default().to_owned(),
                column["priority"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    let expected = [
        (
            "Ready",
            r#".status.conditions[?(@.type=="Ready")].status"#,
            "string",
            0,
        ),
        (
            "Reason",
            r#".status.conditions[?(@.type=="Ready")].reason"#,
            "string",
            0,
        ),
        ("Readiness", ".status.readinessStatus", "string", 0),
        ("FlowSet", ".spec.flowSetId", "string", 0),
        ("Age", ".metadata.creationTimestamp", "date", 0),
        ("FlowID", ".status.flowId", "string", 1),
        (
            "Message",
            r#".status.conditions[?(@.type=="Ready")].message"#,
            "string",
            1,
        ),
    ]
    .map(|(name, path, kind, priority)| {
        (name.to_owned(), path.to_owned(), kind.to_owned(), priority)
    });
    assert_eq!(summary, expected);
}

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
        vec![(
            ".spec.flowSetId".to_owned(),
            json!({ "rule": "self == oldSelf", "message": FLOW_SET_ID_IMMUTABLE_MESSAGE }),
        )],
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
        json!(["creationOptions", "flowSetId"])
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

#[test]
fn a_new_resource_reads_as_not_yet_observed() {
    // kstatus calls a resource without observedGeneration Current; generation 1 with
    // observedGeneration 0 is InProgress until the operator's first status write.
    assert_eq!(
        schema_at("/properties/status")["default"],
        json!({ "observedGeneration": 0 })
    );
    assert_eq!(status_property("observedGeneration")["type"], "integer");
}

#[test]
fn conditions_are_a_map_list_keyed_by_type() {
    let conditions = status_property("conditions");
    assert_eq!(conditions["type"], "array");
    assert_eq!(conditions["x-kubernetes-list-type"], "map");
    assert_eq!(conditions["x-kubernetes-list-map-keys"], json!(["type"]));
    assert_eq!(
        conditions["items"]["required"],
        json!(["lastTransitionTime", "message", "reason", "status", "type"])
    );
}

#[test]
fn status_records_what_the_design_asks() {
    let status = schema_at("/properties/status/properties");
    let mut names: Vec<&str> = status
        .as_object()
        .expect("status has properties")
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "conditions",
            "createIntent",
            "createdDateTime",
            "creationOptions",
            "flowId",
            "lastModifiedDateTime",
            "lastSyncTime",
            "observedGeneration",
            "readinessStatus",
            "reset",
        ]
    );
    let mut reset: Vec<String> = status["reset"]["properties"]
        .as_object()
        .expect("reset has properties")
        .keys()
        .cloned()
        .collect();
    reset.sort_unstable();
    assert_eq!(
        reset,
        [
            "handledTokens",
            "lastHandledToken",
            "message",
            "outcome",
            "pendingToken",
            "requestId",
            "sentTime",
            "waiting"
        ]
    );
}

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
