//! `GraphResource`: what every resource that stands for one object in Graph (a flow set, a flow)
//! has, whatever its kind: the policies and the pause annotation.

use std::fmt;

use k8s_openapi::NamespaceResourceScope;
use kube::{CustomResourceExt, Resource, ResourceExt as _};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{DeletionPolicy, LocalSecretReference, ManagementPolicy, PAUSED_ANNOTATION, Policies};

/// A namespaced resource of ours that stands for one object in Graph.
pub trait GraphResource:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + CustomResourceExt
    + Clone
    + fmt::Debug
    + Serialize
    + DeserializeOwned
    + Send
    + Sync
    + 'static
{
    /// Deletion, management and credentials.
    fn policies(&self) -> &Policies;

    /// Whether the paused annotation is `"true"`: then no Graph call is made.
    fn is_paused(&self) -> bool {
        self.annotations()
            .get(PAUSED_ANNOTATION)
            .is_some_and(|value| value == "true")
    }

    /// Whether managementPolicy is ObserveOnly: Graph is read, never written.
    fn is_observe_only(&self) -> bool {
        self.policies().management_policy == ManagementPolicy::ObserveOnly
    }

    /// The deletion policy in force: the spec's, else the operator's default.
    fn deletion_policy_or(&self, default: DeletionPolicy) -> DeletionPolicy {
        self.policies().deletion_policy.unwrap_or(default)
    }

    /// The Secret of this namespace whose credential the resource uses, if it names one.
    fn credentials_secret(&self) -> Option<&LocalSecretReference> {
        self.policies().credentials_secret_ref.as_ref()
    }
}
