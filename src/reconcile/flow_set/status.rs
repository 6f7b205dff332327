//! A flow set resource's status: what Graph shows of the flow set, and the conditions the sync
//! ends with, computed from plain data.

use graph::FlowSet;
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::Resource as _;

use crate::crd::{
    ConditionStatus, ConditionType, GraphResource as _, OutboundProvisioningFlowSet,
    OutboundProvisioningFlowSetStatus, PAUSED_ANNOTATION, Reason, mirror_filter,
};
use crate::reconcile::error::Error;
use crate::reconcile::events::Note;
use crate::reconcile::status::{Wanted, WantedConditions};

/// How a sync that did not fail ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Graph's flow set is as the spec says (or observed).
    Synced,
    /// The flow set our create made is not listed yet.
    AwaitingVisibility,
    /// The paused annotation: nothing was read.
    Paused,
}

/// Copies what Graph shows of the flow set into status.
pub fn mirror(status: &mut OutboundProvisioningFlowSetStatus, found: &FlowSet) {
    status.display_name.clone_from(&found.display_name);
    status.filter = mirror_filter(found);
    status
        .created_date_time
        .clone_from(&found.created_date_time);
    status
        .last_modified_date_time
        .clone_from(&found.last_modified_date_time);
}

/// Whether Graph's flow set differs from what status last mirrored: someone changed it outside
/// Kubernetes (the SDS portal), rather than the spec changing. A first read is no drift.
pub fn changed_outside(status: &OutboundProvisioningFlowSetStatus, found: &FlowSet) -> bool {
    status.created_date_time.is_some()
        && (status.display_name != found.display_name || status.filter != mirror_filter(found))
}

/// What Graph holds of a flow set, for a message: its displayName and the schools of its filter.
pub fn described(found: &FlowSet) -> String {
    let name = found.display_name.as_deref().unwrap_or_default();
    match mirror_filter(found) {
        Some(filter) => format!(
            "displayName \"{name}\", filter {}",
            filter.org_external_ids.join(", ")
        ),
        None => format!("displayName \"{name}\", no filter"),
    }
}

/// `working` with observedGeneration, the conditions for `result`, and lastSyncTime when it
/// differs from what the API server holds.
pub fn finish(
    set: &OutboundProvisioningFlowSet,
    mut working: OutboundProvisioningFlowSetStatus,
    result: &Result<Outcome, impl std::borrow::Borrow<Error>>,
    now: Timestamp,
) -> OutboundProvisioningFlowSetStatus {
    let previous = set.status_or_default();
    let generation = set.meta().generation;
    working.observed_generation = generation;
    working.conditions =
        wanted(set, &working, result).into_conditions(&previous.conditions, generation, now);
    working.last_sync_time = previous.last_sync_time.clone();
    if working != previous {
        working.last_sync_time = Some(Time(now));
    }
    working
}

fn wanted(
    set: &OutboundProvisioningFlowSet,
    working: &OutboundProvisioningFlowSetStatus,
    result: &Result<Outcome, impl std::borrow::Borrow<Error>>,
) -> WantedConditions {
    use ConditionStatus::{False, True};
    let id = working.flow_set_id.as_deref().unwrap_or_default();
    match result {
        Ok(Outcome::Synced) => {
            let message = match set.is_observe_only() {
                true => format!("observing flow set {id} (managementPolicy ObserveOnly)"),
                false => format!("flow set {id} is as the spec says"),
            };
            let mut wanted =
                WantedConditions::alike([True, True, False, False], Reason::FlowSetReady, &message);
            wanted.synced = Wanted::new(True, Reason::InSync, message);
            wanted
        }
        Ok(Outcome::AwaitingVisibility) => WantedConditions::alike(
            [False, False, True, False],
            Reason::Provisioning,
            "the new flow set is not listed by Graph yet",
        ),
        Ok(Outcome::Paused) => {
            let message = format!("{PAUSED_ANNOTATION} is \"true\": no Graph calls are made");
            let mut wanted = WantedConditions::alike([False; 4], Reason::Paused, &message);
            let synced = set.status.as_ref().is_some_and(|status| {
                status.is_observed() && status.observed_generation == set.meta().generation
            });
            if synced && let Some(ready) = kept_ready(set) {
                wanted.ready = ready;
            }
            wanted
        }
        Err(error) => {
            let error = error.borrow();
            let message = error.condition_message();
            if error.needs_person() {
                return WantedConditions::alike(
                    [False, False, False, True],
                    error.reason(),
                    &message,
                );
            }
            let mut wanted =
                WantedConditions::alike([False, False, True, False], error.reason(), &message);
            if let Some(ready) = kept_ready(set) {
                wanted.ready = ready;
            }
            wanted
        }
    }
}

/// The Ready condition as last written, kept while a transient failure or a pause says
/// nothing new about the flow set. Not while it is being deleted: a resource on its way out
/// is not Ready, and its Ready condition says what the deletion waits for.
fn kept_ready(set: &OutboundProvisioningFlowSet) -> Option<Wanted> {
    if set.meta().deletion_timestamp.is_some() {
        return None;
    }
    let previous = set.status.as_ref()?.condition(ConditionType::Ready)?;
    Some(Wanted::new(
        ConditionStatus::parse(&previous.status),
        Reason::parse(&previous.reason)?,
        previous.message.to_string(),
    ))
}

/// A warning for a failure, once: not again while the Synced condition already shows it.
pub fn failure_note(set: &OutboundProvisioningFlowSet, error: &Error) -> Option<Note> {
    let shown = set
        .status
        .as_ref()
        .and_then(|status| status.condition(ConditionType::Synced))
        .is_some_and(|synced| synced.reason == error.reason().as_str());
    (!shown).then(|| Note::warning(error.reason(), error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph_set(name: &str, schools: &[&str]) -> FlowSet {
        serde_json::from_value(serde_json::json!({
            "id": "s", "displayName": name, "createdDateTime": "2026-12-03T10:00:00Z",
            "filter": {
                "@odata.type": "#microsoft.graph.industryData.basicFilter",
                "attribute": "orgExternalId", "in": schools,
            },
        }))
        .unwrap()
    }

    fn mirrored(found: &FlowSet) -> OutboundProvisioningFlowSetStatus {
        let mut status = OutboundProvisioningFlowSetStatus::default();
        mirror(&mut status, found);
        status
    }

    #[test]
    fn a_change_in_graph_since_the_last_mirror_is_drift_and_a_first_read_is_not() {
        let seen = graph_set("District", &["school-a"]);
        let status = mirrored(&seen);
        assert!(!changed_outside(&status, &seen));
        assert!(changed_outside(
            &status,
            &graph_set("Renamed", &["school-a"])
        ));
        assert!(changed_outside(
            &status,
            &graph_set("District", &["school-z"])
        ));
        assert!(!changed_outside(
            &OutboundProvisioningFlowSetStatus::default(),
            &seen
        ));
    }

    #[test]
    fn a_flow_set_is_described_by_its_name_and_schools() {
        assert_eq!(
            described(&graph_set("District", &["school-a", "school-b"])),
            "displayName \"District\", filter school-a, school-b"
        );
    }
}
