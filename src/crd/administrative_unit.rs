//! The `AdministrativeUnitProvisioningFlow` kind: its settings, `creationOptions` (which
//! administrative units SDS creates), their schema and their Graph shape.

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{FlowKind, FlowSpec, FlowStatus, GraphResource, Inputs, Policies};

/// Desired state of one School Data Sync administrative-unit provisioning flow.
#[allow(
    clippy::duplicated_attributes,
    reason = "the two category(...) entries"
)]
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "industrydata.sds-operator.io",
    version = "v1alpha1",
    kind = "AdministrativeUnitProvisioningFlow",
    plural = "administrativeunitprovisioningflows",
    namespaced,
    status = "AdministrativeUnitProvisioningFlowStatus",
    derive = "PartialEq",
    shortname = "aupf",
    category = "sds",
    category = "industrydata",
    doc = "A Microsoft Graph School Data Sync administrativeUnitProvisioningFlow: tells SDS which \
           administrative units to create from the school data of one outbound provisioning flow set."
)]
#[serde(rename_all = "camelCase")]
pub struct AdministrativeUnitProvisioningFlowSpec {
    /// Which flow set, and how the operator treats the flow in it.
    #[serde(flatten)]
    pub flow: FlowSpec,

    /// Which administrative units SDS creates; mirrors Graph's adminUnitCreationOptions. The
    /// operator changes the flow in Graph whenever it differs from this.
    pub creation_options: AdministrativeUnitCreationOptions,
}

/// Graph's adminUnitCreationOptions, with Graph's own property names.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AdministrativeUnitCreationOptions {
    /// Create one administrative unit per organisation (school).
    pub create_based_on_org: bool,

    /// Create one administrative unit per organisation (school) and role group.
    pub create_based_on_org_plus_role_group: bool,
}

/// The status of an administrative-unit flow.
pub type AdministrativeUnitProvisioningFlowStatus = FlowStatus<AdministrativeUnitMirror>;

/// What an administrative-unit flow's status mirrors of its settings.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AdministrativeUnitMirror {
    /// The flow's creationOptions as Graph last reported them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_options: Option<AdministrativeUnitCreationOptions>,
}

impl GraphResource for AdministrativeUnitProvisioningFlow {
    fn policies(&self) -> &Policies {
        &self.spec.flow.policies
    }
}

impl FlowKind for AdministrativeUnitProvisioningFlow {
    type Config = graph::AdministrativeUnitConfig;
    type Mirror = AdministrativeUnitMirror;
    const FLOW_NOUN: &'static str = "administrative-unit flow";
    const SETTINGS: &'static str = "creationOptions";

    fn flow_spec(&self) -> &FlowSpec {
        &self.spec.flow
    }

    fn flow_spec_mut(&mut self) -> &mut FlowSpec {
        &mut self.spec.flow
    }

    fn flow_status(&self) -> Option<&AdministrativeUnitProvisioningFlowStatus> {
        self.status.as_ref()
    }

    fn desired(&self, _: &Inputs<'_>) -> graph::AdministrativeUnitConfig {
        graph::AdministrativeUnitConfig {
            creation_options: self.spec.creation_options.into(),
        }
    }

    fn matches(&self, found: &graph::AdministrativeUnitConfig) -> bool {
        AdministrativeUnitCreationOptions::from(found.creation_options)
            == self.spec.creation_options
    }

    fn mirror(config: &graph::AdministrativeUnitConfig) -> AdministrativeUnitMirror {
        AdministrativeUnitMirror {
            creation_options: Some(config.creation_options.into()),
        }
    }

    fn mirrored(mirror: &AdministrativeUnitMirror) -> Option<graph::AdministrativeUnitConfig> {
        mirror
            .creation_options
            .map(|options| graph::AdministrativeUnitConfig {
                creation_options: options.into(),
            })
    }
}

impl From<AdministrativeUnitCreationOptions> for graph::AdminUnitCreationOptions {
    fn from(options: AdministrativeUnitCreationOptions) -> Self {
        Self {
            create_based_on_org: options.create_based_on_org,
            create_based_on_org_plus_role_group: options.create_based_on_org_plus_role_group,
        }
    }
}

impl From<graph::AdminUnitCreationOptions> for AdministrativeUnitCreationOptions {
    fn from(options: graph::AdminUnitCreationOptions) -> Self {
        Self {
            create_based_on_org: options.create_based_on_org,
            create_based_on_org_plus_role_group: options.create_based_on_org_plus_role_group,
        }
    }
}
