//! The CustomResourceDefinition as installed: generated from the types, descriptions unwrapped.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceColumnDefinition, CustomResourceDefinition, JSONSchemaProps,
    JSONSchemaPropsOrArray, ValidationRule,
};
use kube::CustomResourceExt;

use super::{
    AdministrativeUnitProvisioningFlow, ClassGroupProvisioningFlow, CredentialGrant,
    FLOW_SET_CHOICE_MESSAGE, FlowKind, OutboundProvisioningFlowSet, SecurityGroupProvisioningFlow,
    UserProvisioningFlow,
};

/// Error turning the CRD into YAML.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the CustomResourceDefinition as YAML: {0}")]
pub struct CrdYamlError(#[from] serde_saphyr::SerializeError);

/// Every CustomResourceDefinition the operator serves, in the order they are printed.
pub fn custom_resource_definitions() -> Vec<CustomResourceDefinition> {
    vec![
        custom_resource_definition(),
        as_installed(OutboundProvisioningFlowSet::crd()),
        flow_crd::<AdministrativeUnitProvisioningFlow>(),
        flow_crd::<ClassGroupProvisioningFlow>(),
        flow_crd::<UserProvisioningFlow>(),
        as_installed(CredentialGrant::crd()),
    ]
}

/// The CustomResourceDefinition for `SecurityGroupProvisioningFlow`.
pub fn custom_resource_definition() -> CustomResourceDefinition {
    flow_crd::<SecurityGroupProvisioningFlow>()
}

/// The CRD of a flow kind: every flow kind has the same printer columns, and the settings its
/// status mirrors take any value of an enum Graph may extend (the spec offers only the values
/// known here).
pub fn flow_crd<K: FlowKind>() -> CustomResourceDefinition {
    let mut crd = as_installed(K::crd());
    let mirrored = schemars::schema_for!(K::Mirror);
    let mirrored: Vec<&String> = mirrored
        .get("properties")
        .and_then(|properties| properties.as_object())
        .map(|properties| properties.keys().collect())
        .unwrap_or_default();
    for version in &mut crd.spec.versions {
        version.additional_printer_columns = Some(flow_columns());
        let properties = version
            .schema
            .as_mut()
            .and_then(|validation| validation.open_api_v3_schema.as_mut())
            .and_then(|schema| schema.properties.as_mut());
        let Some(properties) = properties else {
            continue;
        };
        if let Some(spec) = properties.get_mut("spec") {
            spec.x_kubernetes_validations
                .get_or_insert_default()
                .extend(flow_set_choice());
        }
        let status = properties
            .get_mut("status")
            .and_then(|status| status.properties.as_mut());
        for (name, property) in status.into_iter().flatten() {
            if mirrored.contains(&name) {
                drop_enums(property);
            }
        }
    }
    crd
}

/// A flow names its flow set by id or by reference, exactly one of the two, and keeps to the
/// one it chose. (A rule on `FlowSpec` itself would be lost: its properties are flattened into
/// each kind's spec.)
fn flow_set_choice() -> [ValidationRule; 2] {
    let rule = |rule: &str| ValidationRule {
        rule: rule.to_owned(),
        message: Some(FLOW_SET_CHOICE_MESSAGE.to_owned()),
        ..ValidationRule::default()
    };
    [
        rule("has(self.flowSetId) != has(self.flowSetRef)"),
        rule("has(self.flowSetId) == has(oldSelf.flowSetId)"),
    ]
}

/// What `kubectl get` shows of every flow kind: health first, then what Graph says, the flow set,
/// and with `-o wide` the flow's id and the Ready condition's message.
fn flow_columns() -> Vec<CustomResourceColumnDefinition> {
    let ready = |member: &str| format!(r#".status.conditions[?(@.type=="Ready")].{member}"#);
    let column = |name: &str, type_: &str, json_path: String, description: &str, priority| {
        CustomResourceColumnDefinition {
            name: name.to_owned(),
            type_: type_.to_owned(),
            json_path,
            description: (!description.is_empty()).then(|| description.to_owned()),
            priority,
            format: None,
        }
    };
    vec![
        column(
            "Ready",
            "string",
            ready("status"),
            "Whether the last sync succeeded and Graph reports the flow ready",
            None,
        ),
        column(
            "Reason",
            "string",
            ready("reason"),
            "Why the resource is or is not ready (the Ready condition's reason)",
            None,
        ),
        column(
            "Readiness",
            "string",
            ".status.readinessStatus".to_owned(),
            "readinessStatus as Graph reports it",
            None,
        ),
        column(
            "FlowSet",
            "string",
            ".status.flowSetId".to_owned(),
            "Id of the outbound provisioning flow set that holds the flow",
            None,
        ),
        column(
            "Age",
            "date",
            ".metadata.creationTimestamp".to_owned(),
            "",
            None,
        ),
        column(
            "FlowID",
            "string",
            ".status.flowId".to_owned(),
            "Id of the flow in Graph",
            Some(1),
        ),
        column(
            "Message",
            "string",
            ready("message"),
            "What the Ready condition says, including what to fix",
            Some(1),
        ),
    ]
}

/// Removes every `enum` list below `schema`: status mirrors what Graph sends, and Graph may send
/// a value added after this operator was built; refusing it would lose the whole status write.
fn drop_enums(schema: &mut JSONSchemaProps) {
    schema.enum_ = None;
    for property in schema
        .properties
        .iter_mut()
        .flat_map(|properties| properties.values_mut())
    {
        drop_enums(property);
    }
    if let Some(JSONSchemaPropsOrArray::Schema(items)) = &mut schema.items {
        drop_enums(items);
    }
}

/// The CRD as generated, except that descriptions lose the line breaks of the doc comments they
/// come from (paragraph breaks stay), so `kubectl explain` wraps them cleanly.
fn as_installed(mut crd: CustomResourceDefinition) -> CustomResourceDefinition {
    for version in &mut crd.spec.versions {
        if let Some(schema) = version
            .schema
            .as_mut()
            .and_then(|validation| validation.open_api_v3_schema.as_mut())
        {
            unwrap_descriptions(schema);
        }
    }
    crd
}

/// A CustomResourceDefinition as YAML, exactly as committed in `crds/<its name>.yaml`.
pub fn crd_yaml(crd: &CustomResourceDefinition) -> Result<String, CrdYamlError> {
    let body = serde_saphyr::to_string(crd)?;
    Ok(format!(
        "# Generated by `sds-operator crd` from src/crd/; do not edit.\n{body}"
    ))
}

fn unwrap_descriptions(schema: &mut JSONSchemaProps) {
    if let Some(description) = &mut schema.description {
        *description = unwrap_lines(description);
    }
    for property in schema
        .properties
        .iter_mut()
        .flat_map(|properties| properties.values_mut())
    {
        unwrap_descriptions(property);
    }
    match &mut schema.items {
        Some(JSONSchemaPropsOrArray::Schema(items)) => unwrap_descriptions(items),
        Some(JSONSchemaPropsOrArray::Schemas(items)) => {
            items.iter_mut().for_each(unwrap_descriptions)
        }
        None => {}
    }
}

/// Joins the lines of each paragraph with single spaces; paragraphs stay separated by a blank line.
fn unwrap_lines(text: &str) -> String {
    text.split("\n\n")
        .map(|paragraph| {
            paragraph
                .lines()
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwrap_lines_keeps_paragraphs() {
        assert_eq!(
            unwrap_lines("one\ntwo\n\nthree\n four"),
            "one two\n\nthree four"
        );
        assert_eq!(unwrap_lines("single line"), "single line");
    }
}
