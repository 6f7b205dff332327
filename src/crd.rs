//! The custom resources: what every flow kind has (`FlowSpec`, `FlowStatus`, the `FlowKind`
//! trait and its accessors), one file per kind for the rest, the fixed names (annotations,
//! finalizer, field manager) and the condition types and reasons they report.
//!
//! The CRD schema in `crds/` is generated from these types by `sds-operator crd`; every field's doc
//! comment becomes its description, so it is what `kubectl explain` shows.

mod administrative_unit;
mod class_group;
mod condition;
mod flow_set;
mod generate;
mod grant;
mod kind;
mod reason;
mod resource;
mod schema;
mod security_group;
mod status;
mod user;

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use administrative_unit::{
    AdministrativeUnitCreationOptions, AdministrativeUnitMirror,
    AdministrativeUnitProvisioningFlow, AdministrativeUnitProvisioningFlowSpec,
    AdministrativeUnitProvisioningFlowStatus,
};
pub use class_group::{
    ClassGroupConfiguration, ClassGroupMirror, ClassGroupOptions, ClassGroupProvisioningFlow,
    ClassGroupProvisioningFlowSpec, ClassGroupProvisioningFlowStatus, EnrollmentCode,
    EnrollmentMappings,
};
pub use condition::{Condition, Message, Word};
pub use flow_set::{
    FLOW_SET_ID_KEPT_MESSAGE, FlowSetAdoption, FlowSetFilter, FlowSetOrigin,
    NOTHING_TO_OBSERVE_MESSAGE, OutboundProvisioningFlowSet, OutboundProvisioningFlowSetSpec,
    OutboundProvisioningFlowSetStatus, mirror_filter,
};
pub use generate::{
    CrdYamlError, crd_yaml, custom_resource_definition, custom_resource_definitions, flow_crd,
};
pub use grant::{
    CredentialGrant, CredentialGrantSpec, GrantedFlowSets, GrantedNamespaces, GrantedOperation,
};
/// Graph's readinessStatus, mirrored into status as Graph sends it.
pub use graph::ReadinessStatus;
pub use kind::{FlowKind, Inputs, SecretSlot};
pub use reason::{ConditionStatus, ConditionType, Reason};
pub use resource::GraphResource;
pub use security_group::{
    SecurityGroupCreationOptions, SecurityGroupMirror, SecurityGroupProvisioningFlow,
    SecurityGroupProvisioningFlowSpec, SecurityGroupProvisioningFlowStatus,
};
pub use status::{
    CreateIntent, FlowStatus, MAX_RESET_TOKEN_LENGTH, RESET_HISTORY_LENGTH, ResetOutcome,
    ResetStatus, ResetWaiting,
};
pub use user::{
    MirroredConfiguration, MirroredCreationOptions, UserConfiguration, UserCreationOptions,
    UserManagementOptions, UserMirror, UserOptions, UserProvisioningFlow, UserProvisioningFlowSpec,
    UserProvisioningFlowStatus,
};

/// Annotation whose every new value asks for one reset of the flow.
pub const RESET_ANNOTATION: &str = "industrydata.sds-operator.io/reset";
/// Annotation that, set to `"true"`, stops all Graph calls for the resource.
pub const PAUSED_ANNOTATION: &str = "industrydata.sds-operator.io/paused";
/// Key under which the operator's cache keeps a digest of the annotations it does not read, in
/// place of their values; never written to the API server.
pub const OTHER_ANNOTATIONS_DIGEST: &str = "industrydata.sds-operator.io/other-annotations-digest";
/// Label, set to `"true"`, that marks a Secret as a credential the operator may use: a
/// resource can name only such Secrets, so the operator never reads, nor describes, any other.
pub const CREDENTIAL_LABEL: &str = "industrydata.sds-operator.io/credential";
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
/// Message the API server returns when an update changes `spec.flowSetRef`.
pub const FLOW_SET_REF_IMMUTABLE_MESSAGE: &str =
    "flowSetRef is immutable: create a new resource to target another flow set";
/// Message the API server returns when a flow names both or neither of flowSetId and flowSetRef,
/// or an update swaps one for the other.
pub const FLOW_SET_CHOICE_MESSAGE: &str = "set exactly one of spec.flowSetId (a flow set managed elsewhere) and spec.flowSetRef (an OutboundProvisioningFlowSet in this namespace); neither can be swapped for the other later";

/// What every flow kind's spec has: the flow set that holds the flow (named by id, or by a flow
/// set resource of the same namespace), adoption, and the policies every resource has.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FlowSpec {
    /// Id (a GUID) of the outbound provisioning flow set that holds this flow, for a flow set
    /// managed elsewhere; set this or flowSetRef, not both. A flow set holds at most one flow of
    /// each type, so this names the flow. Immutable: create a new resource to target another
    /// flow set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(GUID_PATTERN))]
    #[x_kube(validation = Rule::new("self == oldSelf").message(FLOW_SET_ID_IMMUTABLE_MESSAGE))]
    pub flow_set_id: Option<String>,

    /// The OutboundProvisioningFlowSet resource, in this namespace, whose flow set holds this
    /// flow; set this or flowSetId, not both. The flow waits (Reconciling) until that resource
    /// has a flow set id. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self == oldSelf").message(FLOW_SET_REF_IMMUTABLE_MESSAGE))]
    pub flow_set_ref: Option<FlowSetReference>,

    /// What to do when the flow set already holds a flow of this type that this resource did not
    /// record: AdoptOrCreate (default) adopts it and brings it to this spec; CreateOnly refuses
    /// (reason FlowAlreadyExists) unless this resource recorded its own create attempt.
    #[serde(default)]
    pub adoption: AdoptionPolicy,

    /// Deletion, management and credentials.
    #[serde(flatten)]
    pub policies: Policies,
}

impl FlowSpec {
    /// The flow set's id: the spec's flowSetId, or the id flowSetRef resolved to, which the
    /// reconcile fills in before any step that reads it. Empty for a reference not resolved yet,
    /// with which no Graph call is made.
    pub fn flow_set_id(&self) -> &str {
        self.flow_set_id.as_deref().unwrap_or_default()
    }
}

/// A flow set resource in the same namespace as the flow that names it.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
pub struct FlowSetReference {
    /// Name of the OutboundProvisioningFlowSet.
    #[schemars(pattern(DNS_SUBDOMAIN_PATTERN), length(min = 1, max = 253))]
    pub name: String,
}

/// How the operator treats the Graph object of a resource of any kind: what deleting the resource
/// does, whether it may write, and whose credential it uses.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Policies {
    /// What deleting this resource does to its object in Graph: Delete removes it, Orphan leaves
    /// it. When absent, the operator's default deletion policy, set when it is installed, decides.
    // The CRD takes this field's description from `DeletionPolicy`'s doc: kube replaces the
    // description of an optional enum with its type's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<DeletionPolicy>,

    /// Manage (default) makes Graph match this spec; ObserveOnly only reads the object and
    /// mirrors it into status, never creating, changing, resetting or deleting it.
    #[serde(default)]
    pub management_policy: ManagementPolicy,

    /// Secret in this resource's namespace holding the Graph credential (tenantId, clientId, and
    /// clientSecret or tls.crt with tls.key). When absent, the operator's own credential is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret_ref: Option<LocalSecretReference>,
}

/// Whether an existing flow of the resource's type in the flow set may be taken over.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AdoptionPolicy {
    /// Adopt an existing flow, else create one.
    #[default]
    AdoptOrCreate,
    /// Only create; an existing flow stalls the resource unless this resource created it.
    CreateOnly,
}

/// What deleting this resource does to its object in Graph: Delete removes it, Orphan leaves
/// it. When absent, the operator's default deletion policy, set when it is installed, decides.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeletionPolicy {
    /// Delete the object in Graph (one already gone counts as deleted).
    Delete,
    /// Leave the object in Graph.
    Orphan,
}

/// Whether the operator may write to Graph for this resource.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ManagementPolicy {
    /// Create, update, reset and delete the object as declared.
    #[default]
    Manage,
    /// Read and mirror the object only.
    ObserveOnly,
}

/// A reference to a Secret in the same namespace as the referring resource.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
pub struct LocalSecretReference {
    /// Name of the Secret.
    #[schemars(pattern(DNS_SUBDOMAIN_PATTERN), length(min = 1, max = 253))]
    pub name: String,
}

/// A key of a Secret in the same namespace as the referring resource. The Secret must carry the
/// label `industrydata.sds-operator.io/credential: "true"`, as a credentials Secret does: the
/// operator reads no other Secret.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
pub struct SecretKeyReference {
    /// Name of the Secret.
    #[schemars(pattern(DNS_SUBDOMAIN_PATTERN), length(min = 1, max = 253))]
    pub name: String,

    /// The key in the Secret's data whose value is used.
    #[schemars(pattern(SECRET_KEY_PATTERN), length(min = 1, max = 253))]
    pub key: String,
}

/// The form Kubernetes requires of a key in a Secret's data.
pub const SECRET_KEY_PATTERN: &str = r"^[-._a-zA-Z0-9]+$";
