//! Conflicts: a flow set holds one flow of each type, so two resources of a kind naming the same
//! flow set would fight over it. The resource that already manages the flow wins, else the oldest; the
//! others stall with reason `Conflict` and make no Graph call until it is gone.

use std::sync::Arc;

use kube::{Api, ResourceExt};

use super::Context;
use super::error::{Error, KubeAction, Refusal};
use crate::crd::FlowKind;

/// Refuses `flow` when another resource manages the same flow set and comes first.
pub async fn refuse_conflict<K: FlowKind>(flow: &K, context: &Context<K>) -> Result<(), Error> {
    let may_claim = |other: &K| context.grants.access(other).may_claim(other);
    let flow_set_of = |other: &K| context.flow_sets.id_of(other);
    let others = context.resources.state();
    let Some(owner) = older_claimant(flow, &others, flow_set_of, may_claim) else {
        return Ok(());
    };
    let (namespace, name) = (owner.namespace().unwrap_or_default(), owner.name_any());
    // The cache may lag a deletion that just finished: ask the API server before refusing.
    if owner.meta().deletion_timestamp.is_some() {
        let api: Api<K> = Api::namespaced(context.client.clone(), &namespace);
        let read = KubeAction::ReadResource {
            resources: KubeAction::resources_of::<K>(),
            namespace: namespace.clone(),
            name: name.clone(),
        };
        let current = api
            .get_opt(&name)
            .await
            .map_err(|source| Error::kube(read, source))?;
        if current.is_none_or(|current| current.uid() != owner.uid()) {
            return Ok(());
        }
    }
    Err(Refusal::Conflict {
        flow_set_id: flow.flow_spec().flow_set_id().to_owned(),
        owner: describe_owner(flow, owner.as_ref()),
    }
    .into())
}

/// How a refusal names the resource that owns the flow set: by name when it is in the same
/// namespace, else without saying which namespace or resource (that is not this tenant's to know).
fn describe_owner<K: FlowKind>(flow: &K, owner: &K) -> String {
    if owner.namespace() == flow.namespace() {
        format!(
            "{}/{}",
            owner.namespace().unwrap_or_default(),
            owner.name_any()
        )
    } else {
        "a resource in another namespace".to_owned()
    }
}

/// Whether two flow set ids name the same flow set. They are GUIDs, which Graph compares without
/// regard to case, so an upper-case copy of an id is the same flow set (DESIGN §4).
pub fn same_flow_set(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The resource that owns `flow`'s flow set instead of `flow`, if any: among the resources naming
/// the same flow set that `may_claim` it, one that has recorded a flow id comes first, then the
/// oldest (creation times have whole seconds, so namespace and name break ties). A resource with
/// no right to the flow set (no grant, or a credential that never read it) blocks nobody.
pub fn older_claimant<K: FlowKind>(
    flow: &K,
    others: &[Arc<K>],
    flow_set_of: impl Fn(&K) -> Option<String>,
    may_claim: impl Fn(&K) -> bool,
) -> Option<Arc<K>> {
    first_claimant(flow, others.iter(), flow_set_of, &may_claim)
        .filter(|other| precedes(other.as_ref(), flow, &may_claim))
}

/// Among `others` naming `flow`'s flow set (by `flow_set_of`: a reference is resolved) that
/// `may_claim` it (`flow` itself left out), the one that comes first.
pub fn first_claimant<'a, K: FlowKind>(
    flow: &K,
    others: impl Iterator<Item = &'a Arc<K>>,
    flow_set_of: impl Fn(&K) -> Option<String>,
    may_claim: impl Fn(&K) -> bool,
) -> Option<Arc<K>> {
    let flow_set = flow_set_of(flow)?;
    others
        .filter(|other| {
            // The cheap tests first: this runs over every resource of the cache.
            other.uid() != flow.uid()
                && flow_set_of(other.as_ref()).is_some_and(|other| same_flow_set(&other, &flow_set))
                && may_claim(other.as_ref())
        })
        .min_by_key(|other| precedence(other.as_ref()))
        .cloned()
}

/// Whether `first` has precedence over `second` for a flow set they both name: one with a right
/// to it comes before one without, whatever their age.
pub fn precedes<K: FlowKind>(first: &K, second: &K, may_claim: impl Fn(&K) -> bool) -> bool {
    (!may_claim(first), precedence(first)) < (!may_claim(second), precedence(second))
}

/// Sorts the rightful owner first, the same way on every replica.
fn precedence<K: FlowKind>(flow: &K) -> (bool, Option<jiff::Timestamp>, String, String) {
    let manages_a_flow = flow
        .flow_status()
        .is_some_and(|status| status.flow_id.is_some());
    (
        !manages_a_flow,
        flow.meta().creation_timestamp.as_ref().map(|time| time.0),
        flow.namespace().unwrap_or_default(),
        flow.name_any(),
    )
}

#[cfg(test)]
mod tests {
    fn spec_id(flow: &SecurityGroupProvisioningFlow) -> Option<String> {
        flow.spec.flow.flow_set_id.clone()
    }

    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    use super::*;
    use crate::crd::SecurityGroupProvisioningFlow;
    use crate::crd::{
        AdoptionPolicy, FlowSpec, ManagementPolicy, Policies, SecurityGroupCreationOptions,
        SecurityGroupProvisioningFlowSpec,
    };

    fn resource(
        namespace: &str,
        name: &str,
        flow_set: &str,
        created: &str,
    ) -> Arc<SecurityGroupProvisioningFlow> {
        let mut flow = SecurityGroupProvisioningFlow::new(
            name,
            SecurityGroupProvisioningFlowSpec {
                flow: FlowSpec {
                    flow_set_id: Some(flow_set.into()),
                    flow_set_ref: None,
                    adoption: AdoptionPolicy::AdoptOrCreate,
                    policies: Policies {
                        deletion_policy: None,
                        management_policy: ManagementPolicy::Manage,
                        credentials_secret_ref: None,
                    },
                },
                creation_options: SecurityGroupCreationOptions::default(),
            },
        );
        flow.metadata.namespace = Some(namespace.into());
        flow.metadata.uid = Some(format!("{namespace}/{name}"));
        flow.metadata.creation_timestamp = Some(Time(created.parse().expect("timestamp")));
        Arc::new(flow)
    }

    const SET: &str = "9ab41255-5364-4c53-e15c-08dc4ab6ee03";
    const OTHER_SET: &str = "8c33d025-5e64-4550-2aa3-08dc4ac66fca";

    #[test]
    fn a_squatter_without_a_right_to_the_flow_set_blocks_nobody() {
        let squatter = resource("attacker", "groups", SET, "2026-01-01T00:00:00Z");
        let rightful = resource("district", "groups", SET, "2026-02-01T00:00:00Z");
        let all = vec![squatter.clone(), rightful.clone()];
        let granted =
            |flow: &SecurityGroupProvisioningFlow| flow.namespace().as_deref() == Some("district");
        assert!(older_claimant(rightful.as_ref(), &all, spec_id, granted).is_none());
        assert_eq!(
            older_claimant(squatter.as_ref(), &all, spec_id, granted).and_then(|o| o.namespace()),
            Some("district".into()),
            "the squatter is the one refused, though it came first"
        );
    }

    #[test]
    fn the_oldest_resource_owns_the_flow_set() {
        let old = resource("north", "groups", SET, "2026-01-01T00:00:00Z");
        let new = resource("south", "groups", SET, "2026-02-01T00:00:00Z");
        let unrelated = resource("east", "groups", OTHER_SET, "2025-01-01T00:00:00Z");
        let all = vec![old.clone(), new.clone(), unrelated];

        assert_eq!(
            older_claimant(new.as_ref(), &all, spec_id, |_| true).map(|o| o.name_any()),
            Some("groups".into())
        );
        assert_eq!(
            older_claimant(new.as_ref(), &all, spec_id, |_| true).and_then(|o| o.namespace()),
            Some("north".into())
        );
        assert!(older_claimant(old.as_ref(), &all, spec_id, |_| true).is_none());
    }

    #[test]
    fn flow_set_ids_are_compared_without_regard_to_case() {
        assert!(same_flow_set(SET, &SET.to_ascii_uppercase()));
        assert!(same_flow_set(" 9AB41255-5364-4c53-E15C-08dc4ab6ee03", SET));
        assert!(!same_flow_set(SET, OTHER_SET));
        let old = resource("north", "groups", SET, "2026-01-01T00:00:00Z");
        let shouting = resource(
            "south",
            "groups",
            &SET.to_ascii_uppercase(),
            "2026-02-01T00:00:00Z",
        );
        let all = vec![old.clone(), shouting.clone()];
        assert_eq!(
            older_claimant(shouting.as_ref(), &all, spec_id, |_| true).and_then(|o| o.namespace()),
            Some("north".into()),
            "an upper-case copy of the id names the same flow set"
        );
        assert!(older_claimant(old.as_ref(), &all, spec_id, |_| true).is_none());
    }

    #[test]
    fn the_resource_managing_the_flow_wins_over_an_older_one() {
        let older = resource("north", "groups", SET, "2026-01-01T00:00:00Z");
        let mut managing = (*resource("south", "groups", SET, "2026-02-01T00:00:00Z")).clone();
        managing.status = Some(crate::crd::SecurityGroupProvisioningFlowStatus {
            flow_id: Some("4598f62a-7bd9-40a1-d38a-08dc4ac68cf2".into()),
            ..Default::default()
        });
        let managing = Arc::new(managing);
        let all = vec![older.clone(), managing.clone()];
        assert!(older_claimant(managing.as_ref(), &all, spec_id, |_| true).is_none());
        assert!(older_claimant(older.as_ref(), &all, spec_id, |_| true).is_some());
    }

    #[test]
    fn a_conflict_names_an_owner_in_the_same_namespace_only() {
        let owner = resource("north", "groups", SET, "2026-01-01T00:00:00Z");
        let neighbour = resource("north", "groups-too", SET, "2026-02-01T00:00:00Z");
        let stranger = resource("south", "groups", SET, "2026-02-01T00:00:00Z");
        assert_eq!(
            describe_owner(neighbour.as_ref(), owner.as_ref()),
            "north/groups"
        );
        let hidden = describe_owner(stranger.as_ref(), owner.as_ref());
        assert!(
            !hidden.contains("north") && !hidden.contains("groups"),
            "{hidden}"
        );
    }

    #[test]
    fn same_second_ties_are_broken_by_namespace_then_name() {
        let a = resource("a", "groups", SET, "2026-01-01T00:00:00Z");
        let b = resource("b", "groups", SET, "2026-01-01T00:00:00Z");
        let all = vec![a.clone(), b.clone()];
        assert!(older_claimant(a.as_ref(), &all, spec_id, |_| true).is_none());
        assert!(older_claimant(b.as_ref(), &all, spec_id, |_| true).is_some());
    }
}
