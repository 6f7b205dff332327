//! Names, scope, version, the status subresource and the printer columns.

use crate::fixture::*;

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
        ("FlowSet", ".status.flowSetId", "string", 0),
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
