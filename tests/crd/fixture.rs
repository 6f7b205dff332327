//! The generated CRD as JSON and the committed file, and the crates' items the CRD tests use,
//! re-exported here.

pub(crate) use std::path::PathBuf;
pub(crate) use std::process::Command;

pub(crate) use sds_operator::crd::{
    DNS_SUBDOMAIN_PATTERN, FLOW_SET_CHOICE_MESSAGE, FLOW_SET_ID_IMMUTABLE_MESSAGE,
    FLOW_SET_REF_IMMUTABLE_MESSAGE, GUID_PATTERN, custom_resource_definition,
};
pub(crate) use serde_json::{Value, json};

pub(crate) const CRD_FILE: &str =
    "crds/securitygroupprovisioningflows.industrydata.sds-operator.io.yaml";
pub(crate) const SCHEMA: &str = "/spec/versions/0/schema/openAPIV3Schema";

pub(crate) fn crd() -> Value {
    serde_json::to_value(custom_resource_definition()).expect("the CRD serializes to JSON")
}

/// The node at a JSON pointer below the version's openAPIV3Schema, e.g. `/properties/spec`.
pub(crate) fn schema_at(pointer: &str) -> Value {
    let path = format!("{SCHEMA}{pointer}");
    crd()
        .pointer(&path)
        .cloned()
        .unwrap_or_else(|| panic!("the CRD has no {path}"))
}

pub(crate) fn spec_property(name: &str) -> Value {
    schema_at(&format!("/properties/spec/properties/{name}"))
}

pub(crate) fn status_property(name: &str) -> Value {
    schema_at(&format!("/properties/status/properties/{name}"))
}

pub(crate) fn committed_yaml() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(CRD_FILE);
    std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "cannot read {}: {error}; run `cargo run -- crd --dir crds/`",
            path.display()
        )
    })
}
