//! The `SecurityGroupProvisioningFlow` kind: what sets it apart from the other flow kinds (its
//! settings, `creationOptions`, their schema and their Graph shape). Everything else a flow has
//! is in `FlowSpec`, `FlowStatus` and the reconcile, written once for every kind.

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{FlowKind, FlowSpec, FlowStatus, GraphResource, Inputs, Policies};

/// Desired state of one School Data Sync security-group provisioning flow.
#[allow(
    clippy::duplicated_attributes,
    reason = "the two category(...) entries"
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
           security groups to create from the school data of one outbound provisioning flow set."
)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroupProvisioningFlowSpec {
    /// Which flow set, and how the operator treats the flow in it.
    #[serde(flatten)]
    pub flow: FlowSpec,

    /// Which security groups SDS creates; mirrors Graph's securityGroupCreationOptions. The
    /// operator changes the flow in Graph whenever it differs from this.
    pub creation_options: SecurityGroupCreationOptions,
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

/// The status of a security-group flow.
pub type SecurityGroupProvisioningFlowStatus = FlowStatus<SecurityGroupMirror>;

/// What a security-group flow's status mirrors of its settings.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroupMirror {
    /// The flow's creationOptions as Graph last reported them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_options: Option<SecurityGroupCreationOptions>,
}

impl GraphResource for SecurityGroupProvisioningFlow {
    fn policies(&self) -> &Policies {
        &self.spec.flow.policies
    }
}

impl FlowKind for SecurityGroupProvisioningFlow {
    type Config = graph::SecurityGroupConfig;
    type Mirror = SecurityGroupMirror;
    const FLOW_NOUN: &'static str = "security-group flow";
    const SETTINGS: &'static str = "creationOptions";

    fn flow_spec(&self) -> &FlowSpec {
        &self.spec.flow
    }

    fn flow_spec_mut(&mut self) -> &mut FlowSpec {
        &mut self.spec.flow
    }

    fn flow_status(&self) -> Option<&SecurityGroupProvisioningFlowStatus> {
        self.status.as_ref()
    }

    fn desired(&self, _: &Inputs<'_>) -> graph::SecurityGroupConfig {
        graph::SecurityGroupConfig {
            creation_options: self.spec.creation_options.into(),
        }
    }

    fn matches(&self, found: &graph::SecurityGroupConfig) -> bool {
        SecurityGroupCreationOptions::from(found.creation_options) == self.spec.creation_options
    }

    fn mirror(config: &graph::SecurityGroupConfig) -> SecurityGroupMirror {
        SecurityGroupMirror {
            creation_options: Some(config.creation_options.into()),
        }
    }

    fn mirrored(mirror: &SecurityGroupMirror) -> Option<graph::SecurityGroupConfig> {
        mirror
            .creation_options
            .map(|options| graph::SecurityGroupConfig {
                creation_options: options.into(),
            })
    }
}

/// The CRD's options and Graph's wire options: the same members, kept apart so that the CRD can
/// evolve (descriptions, defaults) without changing what is sent to Graph.
impl From<SecurityGroupCreationOptions> for graph::SecurityGroupCreationOptions {
    fn from(options: SecurityGroupCreationOptions) -> Self {
        Self {
            create_based_on_role_group: options.create_based_on_role_group,
            create_based_on_org_plus_role_group: options.create_based_on_org_plus_role_group,
        }
    }
}

impl From<graph::SecurityGroupCreationOptions> for SecurityGroupCreationOptions {
    fn from(options: graph::SecurityGroupCreationOptions) -> Self {
        Self {
            create_based_on_role_group: options.create_based_on_role_group,
            create_based_on_org_plus_role_group: options.create_based_on_org_plus_role_group,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{AdoptionPolicy, ManagementPolicy};

    #[test]
    fn spec_defaults_apply_when_fields_are_omitted() {
        let spec: SecurityGroupProvisioningFlowSpec = serde_json::from_value(serde_json::json!({
            "flowSetId": "9ab41255-5364-4c53-e15c-08dc4ab6ee03",
            "creationOptions": {"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": false},
        }))
        .unwrap();
        assert_eq!(spec.flow.adoption, AdoptionPolicy::AdoptOrCreate);
        assert_eq!(
            spec.flow.policies.management_policy,
            ManagementPolicy::Manage
        );
        assert_eq!(spec.flow.policies.deletion_policy, None);
        assert_eq!(spec.flow.policies.credentials_secret_ref, None);
    }

    #[test]
    fn the_settings_convert_to_graph_and_back_through_the_mirror() {
        let mut flow = SecurityGroupProvisioningFlow::new(
            "groups",
            serde_json::from_value(serde_json::json!({
                "flowSetId": "9ab41255-5364-4c53-e15c-08dc4ab6ee03",
                "creationOptions": {"createBasedOnRoleGroup": false, "createBasedOnOrgPlusRoleGroup": true},
            }))
            .unwrap(),
        );
        let endpoints = graph::GraphEndpoints::new(
            "https://graph.microsoft.com",
            "https://login.microsoftonline.com",
        )
        .unwrap();
        let inputs = Inputs {
            endpoints: &endpoints,
            secrets: &Default::default(),
        };
        let desired = flow.desired(&inputs);
        assert!(desired.creation_options.create_based_on_org_plus_role_group);
        assert!(!desired.creation_options.create_based_on_role_group);
        let mirror = SecurityGroupProvisioningFlow::mirror(&desired);
        assert_eq!(
            SecurityGroupProvisioningFlow::mirrored(&mirror),
            Some(desired)
        );
        assert!(flow.matches(&desired));
        flow.spec.creation_options.create_based_on_role_group = true;
        assert!(!flow.matches(&desired));
        assert_ne!(flow.desired(&inputs), desired);
    }
}
