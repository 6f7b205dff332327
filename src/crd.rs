//! The `SecurityGroupProvisioningFlow` custom resource: its spec, its status, the fixed names
//! (annotations, finalizer, field manager) and the condition types and reasons it reports.
//!
//! The CRD schema in `crds/` is generated from these types by `sds-operator crd`; every field's doc
//! comment becomes its description, so it is what `kubectl explain` shows.

mod access;
mod generate;
mod reason;
mod status;
mod wire;

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use generate::{CrdYamlError, crd_yaml, custom_resource_definition};
/// Graph's readinessStatus, mirrored into status as Graph sends it.
pub use graph::ReadinessStatus;
pub use reason::{ConditionStatus, ConditionType, Reason};
pub use status::{
    CreateIntent, MAX_RESET_TOKEN_LENGTH, RESET_HISTORY_LENGTH, ResetOutcome, ResetStatus,
    ResetWaiting, SecurityGroupProvisioningFlowStatus,
};

/// Annotation whose every new value asks for one reset of the flow.
pub const RESET_ANNOTATION: &str = "industrydata.sds-operator.io/reset";
/// Annotation that, set to `"true"`, stops all Graph calls for the resource.
pub const PAUSED_ANNOTATION: &str = "industrydata.sds-operator.io/paused";
/// Key under which the operator's cache keeps a digest of the annotations it does not read, in
/// place of their values; never written to the API server.
pub const OTHER_ANNOTATIONS_DIGEST: &str = "industrydata.sds-operator.io/other-annotations-digest";
/// Finalizer that lets the operator apply the deletion policy before the resource goes away.
pub const FINALIZER: &str = "industrydata.sds-operator.io/cleanup";
/// Server-side-apply field manager for everything the operator writes.
pub const FIELD_MANAGER: &str = "sds-operator";

/// A GUID as Graph writes ids: 8-4-4-4-12 hexadecimal digits, either case.
pub const GUID_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
/// A DNS-1123 subdomain, the form Kubernetes requires of a Secret's name.
pub const DNS_SUBDOMAIN_PATTERN: &str =
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/// Message the API server returns when an update changes `spec.flowSetId`.
pub const FLOW_SET_ID_IMMUTABLE_MESSAGE: &str =
    "flowSetId is immutable: create a new resource to target another flow set";

/// Desired state of one School Data Sync security-group provisioning flow.
#[allow(
    clippy::duplicated_attributes,
    reason = "each printcolumn(...) repeats keys such as type_"
)]
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "industrydata.sds-operator.io",
    version = "v1alpha1",
    kind = "SecurityGroupProvisioningFlow",
    plural = "securitygroupprovisioningflows",
    namespaced,
    status = "SecurityGroupProvisioningFlowStatus",
    derive = "PartialEq",
    shortname = "sgpf",
    category = "sds",
    category = "industrydata",
    doc = "A Microsoft Graph School Data Sync securityGroupProvisioningFlow: tells SDS which \
           security groups to create from the school data of one outbound provisioning flow set.",
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = r#".status.conditions[?(@.type=="Ready")].status"#,
        description = "Whether the last sync succeeded and Graph reports the flow ready"
    ),
    printcolumn(
        name = "Reason",
        type_ = "string",
        json_path = r#".status.conditions[?(@.type=="Ready")].reason"#,
        description = "Why the resource is or is not ready (the Ready condition's reason)"
    ),
    printcolumn(
        name = "Readiness",
        type_ = "string",
        json_path = ".status.readinessStatus",
        description = "readinessStatus as Graph reports it"
    ),
    printcolumn(
        name = "FlowSet",
        type_ = "string",
        json_path = ".spec.flowSetId",
        description = "Id of the parent outbound provisioning flow set"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    ),
    printcolumn(
        name = "FlowID",
        type_ = "string",
        json_path = ".status.flowId",
        description = "Id of the flow in Graph",
        priority = 1
    ),
    printcolumn(
        name = "Message",
        type_ = "string",
        json_path = r#".status.conditions[?(@.type=="Ready")].message"#,
        description = "What the Ready condition says, including what to fix",
        priority = 1
    )
)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroupProvisioningFlowSpec {
    /// Id (a GUID) of the outbound provisioning flow set that holds this flow. A flow set holds at
    /// most one security-group flow, so this names the flow. Immutable: create a new resource to
    /// target another flow set.
    #[schemars(pattern(GUID_PATTERN))]
    #[x_kube(validation = Rule::new("self == oldSelf").message(FLOW_SET_ID_IMMUTABLE_MESSAGE))]
    pub flow_set_id: String,

    /// Which security groups SDS creates; mirrors Graph's securityGroupCreationOptions. The
    /// operator changes the flow in Graph whenever it differs from this.
    pub creation_options: SecurityGroupCreationOptions,

    /// What to do when the flow set already holds a security-group flow this resource did not
    /// record: AdoptOrCreate (default) adopts it and brings it to this spec; CreateOnly refuses
    /// (reason FlowAlreadyExists) unless this resource recorded its own create attempt.
    #[serde(default)]
    pub adoption: AdoptionPolicy,

    /// What deleting this resource does to the flow in Graph: Delete removes it, Orphan leaves it.
    /// When absent, the operator's default deletion policy, set when it is installed, decides.
    // The CRD takes this field's description from `DeletionPolicy`'s doc: kube replaces the
    // description of an optional enum with its type's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<DeletionPolicy>,

    /// Manage (default) makes Graph match this spec; ObserveOnly only reads the flow and mirrors
    /// it into status, never creating, changing, resetting or deleting it.
    #[serde(default)]
    pub management_policy: ManagementPolicy,

    /// Secret in this resource's namespace holding the Graph credential (tenantId, clientId, and
    /// clientSecret or tls.crt with tls.key). When absent, the operator's own credential is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret_ref: Option<LocalSecretReference>,
}

/// Graph's securityGroupCreationOptions, with Graph's own property names.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroupCreationOptions {
    /// Create one security group per role group (for example Students, Staff).
    pub create_based_on_role_group: bool,

    /// Create one security group per organisation (school) and role group.
    pub create_based_on_org_plus_role_group: bool,
}

/// Whether an existing security-group flow in the flow set may be taken over.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AdoptionPolicy {
    /// Adopt an existing flow, else create one.
    #[default]
    AdoptOrCreate,
    /// Only create; an existing flow stalls the resource unless this resource created it.
    CreateOnly,
}

/// What deleting this resource does to the flow in Graph: Delete removes it, Orphan leaves it.
/// When absent, the operator's default deletion policy, set when it is installed, decides.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeletionPolicy {
    /// Delete the flow in Graph (a flow already gone counts as deleted).
    Delete,
    /// Leave the flow in Graph.
    Orphan,
}

/// Whether the operator may write to Graph for this resource.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ManagementPolicy {
    /// Create, update, reset and delete the flow as declared.
    #[default]
    Manage,
    /// Read and mirror the flow only.
    ObserveOnly,
}

/// A reference to a Secret in the same namespace as the referring resource.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
pub struct LocalSecretReference {
    /// Name of the Secret.
    #[schemars(pattern(DNS_SUBDOMAIN_PATTERN), length(min = 1, max = 253))]
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_defaults_apply_when_fields_are_omitted() {
        let spec: SecurityGroupProvisioningFlowSpec = serde_json::from_value(serde_json::json!({
            "flowSetId": "9ab41255-5364-4c53-e15c-08dc4ab6ee03",
            "creationOptions": {"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": false},
        }))
        .unwrap();
        assert_eq!(spec.adoption, AdoptionPolicy::AdoptOrCreate);
        assert_eq!(spec.management_policy, ManagementPolicy::Manage);
        assert_eq!(spec.deletion_policy, None);
        assert_eq!(spec.credentials_secret_ref, None);
    }
}
