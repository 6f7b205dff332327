//! Test resources, built from the defaults a test starts with and changed only where the test
//! says so.

use sds_operator::crd::{
    AdoptionPolicy, DeletionPolicy, FlowSpec, LocalSecretReference, ManagementPolicy, Policies,
    SecurityGroupCreationOptions, SecurityGroupProvisioningFlow, SecurityGroupProvisioningFlowSpec,
};

/// A `SecurityGroupProvisioningFlow` in the test's namespace, for the test's flow set. Starts as
/// groups by role only (`createBasedOnRoleGroup` on, `createBasedOnOrgPlusRoleGroup` off),
/// AdoptOrCreate, Manage, no deletion policy of its own and the operator's own credential; each
/// method changes one field. Made by [`OperatorUnderTest::resource`].
///
/// [`OperatorUnderTest::resource`]: crate::OperatorUnderTest::resource
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build`"]
pub struct ResourceBuilder {
    flow: SecurityGroupProvisioningFlow,
}

impl ResourceBuilder {
    pub(crate) fn new(name: &str, namespace: &str, flow_set_id: &str) -> Self {
        let mut flow = SecurityGroupProvisioningFlow::new(
            name,
            SecurityGroupProvisioningFlowSpec {
                flow: FlowSpec {
                    flow_set_id: Some(flow_set_id.to_owned()),
                    flow_set_ref: None,
                    adoption: AdoptionPolicy::AdoptOrCreate,
                    policies: Policies {
                        deletion_policy: None,
                        management_policy: ManagementPolicy::Manage,
                        credentials_secret_ref: None,
                    },
                },
                creation_options: SecurityGroupCreationOptions {
                    create_based_on_role_group: true,
                    create_based_on_org_plus_role_group: false,
                },
            },
        );
        flow.metadata.namespace = Some(namespace.to_owned());
        Self { flow }
    }

    /// `creationOptions.createBasedOnRoleGroup` (default on).
    pub fn role_group(mut self, on: bool) -> Self {
        self.flow.spec.creation_options.create_based_on_role_group = on;
        self
    }

    /// `creationOptions.createBasedOnOrgPlusRoleGroup` (default off).
    pub fn org_plus_role_group(mut self, on: bool) -> Self {
        self.flow
            .spec
            .creation_options
            .create_based_on_org_plus_role_group = on;
        self
    }

    /// Another flow set than the test's own.
    pub fn flow_set(mut self, flow_set_id: impl Into<String>) -> Self {
        self.flow.spec.flow.flow_set_id = Some(flow_set_id.into());
        self
    }

    /// A deletion policy of the resource's own, instead of the operator's default.
    pub fn deletion_policy(mut self, policy: DeletionPolicy) -> Self {
        self.flow.spec.flow.policies.deletion_policy = Some(policy);
        self
    }

    /// `managementPolicy` (default Manage).
    pub fn management_policy(mut self, policy: ManagementPolicy) -> Self {
        self.flow.spec.flow.policies.management_policy = policy;
        self
    }

    /// `adoption` (default AdoptOrCreate).
    pub fn adoption(mut self, policy: AdoptionPolicy) -> Self {
        self.flow.spec.flow.adoption = policy;
        self
    }

    /// Credentials from Secret `name` in the resource's namespace, instead of the operator's own.
    pub fn credentials_secret(mut self, name: &str) -> Self {
        self.flow.spec.flow.policies.credentials_secret_ref = Some(LocalSecretReference {
            name: name.to_owned(),
        });
        self
    }

    /// The resource, ready to [`apply`](crate::OperatorUnderTest::apply).
    pub fn build(self) -> SecurityGroupProvisioningFlow {
        self.flow
    }
}
