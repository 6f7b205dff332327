//! Where a flow lives: the flow set its spec names by id, or the one its `flowSetRef` names by
//! resource, resolved through the cache of flow set resources to the id that resource recorded.

use std::borrow::Cow;
use std::sync::Arc;

use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Resource as _, ResourceExt};

use super::error::Error;
use crate::crd::{FlowKind, FlowSetOrigin, OutboundProvisioningFlowSet};

/// The flow set resources as the watch has them.
#[derive(Clone)]
pub struct FlowSets {
    store: Store<OutboundProvisioningFlowSet>,
}

impl std::fmt::Debug for FlowSets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowSets").finish_non_exhaustive()
    }
}

impl FlowSets {
    pub fn new(store: Store<OutboundProvisioningFlowSet>) -> Self {
        Self { store }
    }

    /// The flow set resource `flow`'s flowSetRef names, if it names one and it is there.
    pub fn referenced(&self, flow: &impl FlowKind) -> Option<Arc<OutboundProvisioningFlowSet>> {
        let reference = flow.flow_spec().flow_set_ref.as_ref()?;
        let namespace = flow.namespace().unwrap_or_default();
        self.store
            .get(&ObjectRef::new(&reference.name).within(&namespace))
    }

    /// The flow set resource `flow` names: by flowSetRef, or by the id a flow set resource of
    /// its namespace manages.
    pub fn named_by(&self, flow: &impl FlowKind) -> Option<ObjectRef<OutboundProvisioningFlowSet>> {
        let namespace = flow.namespace().unwrap_or_default();
        if let Some(reference) = &flow.flow_spec().flow_set_ref {
            return Some(ObjectRef::new(&reference.name).within(&namespace));
        }
        let id = flow.flow_spec().flow_set_id.as_deref()?;
        self.store
            .state()
            .iter()
            .find(|set| {
                set.namespace().as_deref() == Some(namespace.as_str())
                    && set
                        .flow_set_id()
                        .is_some_and(|managed| managed.eq_ignore_ascii_case(id))
            })
            .map(|set| ObjectRef::from_obj(set.as_ref()))
    }

    /// The id of `flow`'s flow set, as far as it is known: the spec's, else the referenced
    /// resource's, else the one `flow` recorded when it last resolved its reference.
    pub fn id_of(&self, flow: &impl FlowKind) -> Option<String> {
        if let Some(id) = &flow.flow_spec().flow_set_id {
            return Some(id.clone());
        }
        self.referenced(flow)
            .and_then(|set| set.flow_set_id().map(str::to_owned))
            .or_else(|| flow.flow_status()?.flow_set_id.clone())
    }

    /// Whether a flow set resource of `namespace` created the flow set `flow_set_id` through the
    /// operator: such a flow set counts as the namespace's own for CredentialGrants.
    pub fn created_in(&self, namespace: &str, flow_set_id: &str) -> bool {
        self.store.state().iter().any(|set| {
            set.namespace().as_deref() == Some(namespace)
                && set.status.as_ref().is_some_and(|status| {
                    status.origin == Some(FlowSetOrigin::Created)
                        && status
                            .flow_set_id
                            .as_deref()
                            .is_some_and(|id| id.eq_ignore_ascii_case(flow_set_id))
                })
        })
    }

    /// The flow resources, among `flows`, that name the flow set resource `set` (by flowSetRef,
    /// or by the id it manages), as `kind/name`.
    pub fn naming<'a, K: FlowKind>(
        set: &OutboundProvisioningFlowSet,
        flows: impl IntoIterator<Item = &'a Arc<K>>,
    ) -> Vec<String> {
        let namespace = set.namespace();
        let id = set.flow_set_id();
        flows
            .into_iter()
            .filter(|flow| flow.namespace() == namespace)
            .filter(|flow| {
                let spec = flow.flow_spec();
                spec.flow_set_ref
                    .as_ref()
                    .is_some_and(|reference| reference.name == set.name_any())
                    || spec
                        .flow_set_id
                        .as_deref()
                        .zip(id)
                        .is_some_and(|(named, id)| named.eq_ignore_ascii_case(id))
            })
            .map(|flow| format!("{}/{}", K::kind(&()).to_lowercase(), flow.name_any()))
            .collect()
    }
}

/// `flow` with the id of its flow set in its spec, as every later step reads it: as it is when
/// the spec names the id; else the id its flowSetRef resolves to. Without one, the flow waits.
pub fn resolve<'a, K: FlowKind>(flow: &'a K, flow_sets: &FlowSets) -> Result<Cow<'a, K>, Error> {
    if flow.flow_spec().flow_set_id.is_some() {
        return Ok(Cow::Borrowed(flow));
    }
    let Some(reference) = &flow.flow_spec().flow_set_ref else {
        return Err(Error::UnexpectedResource(
            "it names neither flowSetId nor flowSetRef",
        ));
    };
    let namespace = flow.namespace().unwrap_or_default();
    let pending = |why| Error::FlowSetPending {
        namespace: namespace.clone(),
        name: reference.name.clone(),
        why,
    };
    let set = flow_sets.referenced(flow).ok_or_else(|| {
        pending("to exist (flowSetRef names no flow set resource of this namespace)")
    })?;
    if set.meta().deletion_timestamp.is_some() && set.flow_set_id().is_none() {
        return Err(pending("to be recreated (it is being deleted)"));
    }
    let id = set
        .flow_set_id()
        .ok_or_else(|| pending("to create or find its flow set"))?;
    Ok(Cow::Owned(with_flow_set_id(flow, id)))
}

/// `flow` as deletion sees it: with the id its spec names, else the one it recorded (a flow that
/// never resolved its reference made nothing in Graph).
pub fn recorded<K: FlowKind>(flow: &K) -> Cow<'_, K> {
    match flow
        .flow_status()
        .and_then(|status| status.flow_set_id.as_deref())
    {
        Some(id) if flow.flow_spec().flow_set_id.is_none() => {
            Cow::Owned(with_flow_set_id(flow, id))
        }
        _ => Cow::Borrowed(flow),
    }
}

fn with_flow_set_id<K: FlowKind>(flow: &K, id: &str) -> K {
    let mut placed = flow.clone();
    placed.flow_spec_mut().flow_set_id = Some(id.to_owned());
    placed
}
