//! What a flow set resource's sync does, decided from plain data: the resource, its working
//! status and what Graph showed. Pure, so every rule is unit-tested without IO.

use graph::FlowSet;
use jiff::Timestamp;

use crate::crd::{
    FlowSetAdoption, FlowSetOrigin, GraphResource as _, OutboundProvisioningFlowSet,
    OutboundProvisioningFlowSetStatus,
};
use crate::reconcile::error::{Error, Refusal};
use crate::reconcile::plan::VISIBILITY_WINDOW;

/// A created flow set may show in a list this much before its create intent was recorded (the
/// clocks of the cluster and of Graph differ).
const CLOCK_SKEW: jiff::SignedDuration = jiff::SignedDuration::from_secs(120);

/// What Graph showed of the resource's flow set.
#[derive(Clone, Debug, PartialEq)]
pub enum Observed {
    /// The flow set of the id the resource names or recorded; None: Graph says there is none.
    ById { id: String, found: Option<FlowSet> },
    /// The resource has no id yet: every flow set of the tenant.
    Listed(Vec<FlowSet>),
}

/// The one thing a sync does in Graph.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Graph is as the spec says (or the resource only observes).
    Keep(FlowSet),
    /// Bring Graph's flow set to the spec.
    Update(FlowSet),
    /// Create a flow set; `recreate`: the one recorded is gone from Graph.
    Create { recreate: bool },
    /// Record `found` as this resource's flow set, and update it when `update`.
    Adopt {
        found: FlowSet,
        origin: FlowSetOrigin,
        update: bool,
    },
    /// A create may have succeeded without the new flow set being listed yet: wait.
    AwaitVisibility,
}

/// The step for `set`, whose status is `status`, given what Graph showed.
pub fn plan(
    set: &OutboundProvisioningFlowSet,
    status: &OutboundProvisioningFlowSetStatus,
    observed: Observed,
    now: Timestamp,
) -> Result<Step, Error> {
    let observe_only = set.is_observe_only();
    let needs_update = |found: &FlowSet| !observe_only && !set.matches(found);
    match observed {
        Observed::ById {
            found: Some(found), ..
        } if status.flow_set_id.is_none() => Ok(Step::Adopt {
            update: needs_update(&found),
            origin: FlowSetOrigin::Adopted,
            found,
        }),
        Observed::ById {
            found: Some(found), ..
        } if needs_update(&found) => Ok(Step::Update(found)),
        Observed::ById {
            found: Some(found), ..
        } => Ok(Step::Keep(found)),
        Observed::ById { id, found: None } => {
            // Named by the spec, or only observed: nothing here may make it again.
            if set.spec.flow_set_id.is_some() || observe_only {
                return Err(Error::FlowSetNotFound { flow_set_id: id });
            }
            // Recorded but never seen: Graph may not list a new flow set at once.
            if status.created_date_time.is_none() {
                return Ok(Step::AwaitVisibility);
            }
            Ok(Step::Create { recreate: true })
        }
        Observed::Listed(sets) => plan_without_id(set, status, sets, now),
    }
}

/// A resource with no flow set id yet: its own create after a crash, else adoption by name, else
/// a create.
fn plan_without_id(
    set: &OutboundProvisioningFlowSet,
    status: &OutboundProvisioningFlowSetStatus,
    sets: Vec<FlowSet>,
    now: Timestamp,
) -> Result<Step, Error> {
    let name = set.spec.display_name.as_str();
    let named: Vec<FlowSet> = sets
        .into_iter()
        .filter(|found| found.display_name.as_deref() == Some(name))
        .collect();
    if let Some(intent) = &status.create_intent {
        let since = intent.recorded_time.0 - CLOCK_SKEW;
        // The earliest flow set of this name made since the intent is the one our POST made.
        let ours = named
            .iter()
            .filter(|found| created(found).is_some_and(|time| time >= since))
            .min_by_key(|found| created(found));
        if let Some(found) = ours {
            return Ok(Step::Adopt {
                update: !set.matches(found),
                origin: FlowSetOrigin::Created,
                found: found.clone(),
            });
        }
        let age = now.duration_since(intent.recorded_time.0);
        if age.as_secs() < VISIBILITY_WINDOW.as_secs() as i64 {
            return Ok(Step::AwaitVisibility);
        }
    }
    let ids = |sets: &[FlowSet]| {
        sets.iter()
            .map(|found| found.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (set.spec.adoption, named.as_slice()) {
        (_, []) if set.is_observe_only() => Err(Refusal::NoFlowSetNamed {
            display_name: name.to_owned(),
        }
        .into()),
        (_, []) => Ok(Step::Create { recreate: false }),
        // Never a second flow set of one name: taking one over is only done when asked.
        (FlowSetAdoption::CreateOnly, taken) => Err(Refusal::FlowSetNameTaken {
            display_name: name.to_owned(),
            ids: ids(taken),
        }
        .into()),
        (FlowSetAdoption::AdoptOrCreate, [found]) => Ok(Step::Adopt {
            update: !set.is_observe_only() && !set.matches(found),
            origin: FlowSetOrigin::Adopted,
            found: found.clone(),
        }),
        (FlowSetAdoption::AdoptOrCreate, several) => Err(Refusal::FlowSetAmbiguous {
            display_name: name.to_owned(),
            count: several.len(),
            ids: ids(several),
        }
        .into()),
    }
}

fn created(found: &FlowSet) -> Option<Timestamp> {
    found.created_date_time.as_deref()?.parse().ok()
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
