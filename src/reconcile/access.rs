//! Who may do what with the operator's own credential: the access the CredentialGrants give a
//! resource, and the plan with every write that access does not allow refused. Pure; the grants
//! themselves are cached in `grants`. A resource that brings its own namespace's Secret needs no
//! grant: that credential's own rights decide.

use std::collections::{BTreeMap, BTreeSet};

use kube::ResourceExt;

use super::error::Refusal;
use super::plan::{FlowStep, Plan, ResetStep};
use crate::crd::{CredentialGrant, FlowKind, FlowStatus, GrantedOperation};

/// What a resource may do in Graph through the operator.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// It names its namespace's own Secret.
    OwnCredential,
    /// The operator's credential, for these operations (Observe always among them), by the
    /// grants named.
    Granted {
        operations: BTreeSet<GrantedOperation>,
        grants: Vec<String>,
    },
    /// The operator's credential, and no grant covers the resource's namespace and flow set.
    NotGranted,
}

impl Access {
    /// A short digest, for noticing that a grant change changed a resource's access.
    pub fn digest(&self) -> u64 {
        std::hash::BuildHasher::hash_one(
            &std::hash::BuildHasherDefault::<std::hash::DefaultHasher>::default(),
            self,
        )
    }

    /// Refuses `operation` unless this access allows it, saying what is missing.
    pub fn require(
        &self,
        flow: &impl FlowKind,
        operation: GrantedOperation,
    ) -> Result<(), Refusal> {
        let namespace = flow.namespace().unwrap_or_default();
        self.require_in(&namespace, flow.flow_spec().flow_set_id(), operation)
    }

    /// Refuses `operation` on flow set `flow_set` (an id, or how a new one is described) for a
    /// resource of `namespace` unless this access allows it.
    pub fn require_in(
        &self,
        namespace: &str,
        flow_set: &str,
        operation: GrantedOperation,
    ) -> Result<(), Refusal> {
        let grants = match self {
            Self::OwnCredential => return Ok(()),
            Self::Granted { operations, .. } if operations.contains(&operation) => return Ok(()),
            Self::Granted { grants, .. } => grants.join(", "),
            Self::NotGranted => String::new(),
        };
        Err(Refusal::NotGranted {
            namespace: namespace.to_owned(),
            flow_set_id: flow_set.to_owned(),
            operation,
            grants,
        })
    }

    /// Whether this access may hold a flow set against other resources: a grant for it, or a
    /// credential of its own that has shown it can reach the flow set (a flow recorded).
    pub fn may_claim(&self, flow: &impl FlowKind) -> bool {
        match self {
            Self::Granted { .. } => true,
            Self::NotGranted => false,
            Self::OwnCredential => flow
                .flow_status()
                .is_some_and(|status| status.flow_id.is_some()),
        }
    }
}

/// The plan, with each Graph write that `access` does not allow turned into a refusal saying
/// which grant is missing. Observe was checked before anything was read.
pub fn authorise<K: FlowKind>(
    plan: Plan<K::Config>,
    flow: &K,
    status: &FlowStatus<K::Mirror>,
    access: &Access,
) -> Plan<K::Config> {
    let refused = needed_for_flow(&plan.flow, flow, status)
        .iter()
        .find_map(|operation| access.require(flow, *operation).err());
    let reset = match plan.reset {
        ResetStep::Send { .. }
            if let Err(refusal) = access.require(flow, GrantedOperation::Reset) =>
        {
            ResetStep::Refuse(refusal)
        }
        step => step,
    };
    match refused {
        // A refused flow step sends nothing, the reset included.
        Some(refusal) => Plan {
            flow: FlowStep::Refuse(refusal),
            reset: ResetStep::Nothing,
        },
        None => Plan {
            flow: plan.flow,
            reset,
        },
    }
}

/// The operations a flow step needs. Taking over a flow that this resource created before a crash
/// is not adopting, and an observer that finds the flow only reads it.
fn needed_for_flow<K: FlowKind>(
    step: &FlowStep<K::Config>,
    flow: &K,
    status: &FlowStatus<K::Mirror>,
) -> Vec<GrantedOperation> {
    use GrantedOperation::{Adopt, Manage};
    match step {
        FlowStep::Create { .. } | FlowStep::Update { .. } => vec![Manage],
        FlowStep::Adopt { .. } if flow.is_observe_only() => vec![],
        FlowStep::Adopt { update, .. } => {
            let ours = status.create_intent.is_some();
            let mut needed = if ours { vec![] } else { vec![Adopt] };
            if *update {
                needed.push(Manage);
            }
            needed
        }
        FlowStep::Keep | FlowStep::AwaitVisibility | FlowStep::Refuse(_) => vec![],
    }
}

/// The access of `namespace` (with these labels) to `flow_set_id` under `grants` (`own`: a flow
/// set resource of the namespace created it). Any grant that covers both gives Observe; the
/// operations of all such grants add up.
pub fn granted<'a>(
    grants: impl IntoIterator<Item = &'a CredentialGrant>,
    namespace: &str,
    labels: &BTreeMap<String, String>,
    flow_set_id: &str,
    own: bool,
) -> Access {
    let mut operations = BTreeSet::new();
    let mut names = Vec::new();
    for grant in grants {
        if grant.covers_namespace(namespace, labels) && grant.covers_flow_set(flow_set_id, own) {
            operations.insert(GrantedOperation::Observe);
            operations.extend(grant.spec.operations.iter().copied());
            names.push(grant.name_any());
        }
    }
    if names.is_empty() {
        return Access::NotGranted;
    }
    names.sort();
    Access::Granted {
        operations,
        grants: names,
    }
}

#[cfg(test)]
#[path = "access_tests.rs"]
mod tests;
