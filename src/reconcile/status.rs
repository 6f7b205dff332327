//! Status: mirror what Graph reports, derive the four conditions, and write the result with one
//! server-side-apply patch, skipped when nothing but the sync time would change.

use graph::{ReadinessStatus, SecurityGroupCreationOptions, SecurityGroupFlow};
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::json;

use crate::crd::{
    ConditionType, FIELD_MANAGER, ManagementPolicy, Reason, SecurityGroupProvisioningFlow,
    SecurityGroupProvisioningFlowStatus,
};

/// What the reconcile learned, as the conditions need it.
#[derive(Clone, Debug)]
pub enum Health {
    /// The sync succeeded; `flow` is Graph's flow after our writes (None while a new flow is not
    /// yet visible).
    Synced { flow: Option<SecurityGroupFlow> },
    /// The paused annotation is set: nothing was read or written.
    Paused,
    /// The sync failed and will be retried by itself. `stale`: Graph has not been read for
    /// longer than the freshness window, so Ready can no longer be vouched for.
    Retrying {
        reason: Reason,
        message: String,
        stale: bool,
    },
    /// The sync failed and a person must act.
    Stalled { reason: Reason, message: String },
}

/// Copies what Graph reports about `flow` into `status`.
pub fn mirror(status: &mut SecurityGroupProvisioningFlowStatus, flow: &SecurityGroupFlow) {
    status.flow_id = Some(flow.id.clone());
    status.readiness_status = Some(flow.readiness_status.clone());
    status.created_date_time.clone_from(&flow.created_date_time);
    status
        .last_modified_date_time
        .clone_from(&flow.last_modified_date_time);
    status.creation_options = Some(flow.creation_options.into());
}

/// The status to write: `working` (mirrored fields, intents, reset records) with conditions and
/// the observed generation for `health`. `lastSyncTime` moves only when something else changed,
/// so a reconcile that finds nothing to do writes nothing.
pub fn finish(
    flow: &SecurityGroupProvisioningFlow,
    mut working: SecurityGroupProvisioningFlowStatus,
    health: &Health,
    now: Timestamp,
) -> SecurityGroupProvisioningFlowStatus {
    let previous = flow.status.clone().unwrap_or_default();
    working.observed_generation = flow.metadata.generation;
    let mut wanted = wanted_conditions(flow, health);
    if let Health::Synced { .. } = health
        && let Some(waiting) = working
            .reset
            .as_ref()
            .and_then(|reset| reset.waiting.as_ref())
        && let Some(reconciling) = wanted
            .iter_mut()
            .find(|(kind, ..)| *kind == ConditionType::Reconciling)
    {
        // A reset that is due but waits is work in flight.
        *reconciling = (
            ConditionType::Reconciling,
            "True",
            Reason::ResetWaiting,
            format!("reset {:?} {}", waiting.token, waiting.message),
        );
    }
    working.conditions = conditions(&previous.conditions, &wanted, flow.metadata.generation, now);
    working.last_sync_time = previous.last_sync_time.clone();
    if working != previous {
        working.last_sync_time = Some(Time(now));
    }
    working
}

/// (type, status, reason, message) for each condition type.
type Wanted = [(ConditionType, &'static str, Reason, String); 4];

fn wanted_conditions(flow: &SecurityGroupProvisioningFlow, health: &Health) -> Wanted {
    use ConditionType::{Ready, Reconciling, Stalled, Synced};
    let previous_ready = flow
        .status
        .as_ref()
        .and_then(|status| find(&status.conditions, Ready))
        .map(|condition| {
            let status = if condition.status == "True" {
                "True"
            } else {
                "False"
            };
            (status, condition.reason.clone(), condition.message.clone())
        });
    match health {
        Health::Synced { flow: graph_flow } => {
            let (ready, readiness_reason, readiness_message, settling, stalled) =
                readiness(graph_flow.as_ref());
            let (synced, sync_reason, sync_message) = sync_state(flow, graph_flow.as_ref());
            [
                (Ready, ready, readiness_reason, readiness_message.clone()),
                (Synced, synced, sync_reason, sync_message),
                (
                    Reconciling,
                    true_if(settling),
                    readiness_reason,
                    readiness_message.clone(),
                ),
                (
                    Stalled,
                    true_if(stalled),
                    readiness_reason,
                    readiness_message,
                ),
            ]
        }
        Health::Paused => {
            let message = format!(
                "{} is \"true\": no Graph calls are made",
                crate::crd::PAUSED_ANNOTATION
            );
            // Ready may only vouch for a spec that was synced before the pause.
            let observed = flow.status.as_ref().filter(|status| status.is_observed());
            let spec_synced =
                observed.and_then(|status| status.observed_generation) == flow.metadata.generation;
            let (ready_status, ready_reason, ready_message) = if spec_synced {
                kept(previous_ready, Reason::Paused, &message)
            } else if observed.is_none() {
                (
                    "False",
                    Reason::Paused,
                    format!("{message}; the resource has never been synced"),
                )
            } else {
                (
                    "False",
                    Reason::Paused,
                    format!("{message}; the spec changed since the last sync"),
                )
            };
            [
                (Ready, ready_status, ready_reason, ready_message),
                (Synced, "False", Reason::Paused, message.clone()),
                (Reconciling, "False", Reason::Paused, message.clone()),
                (Stalled, "False", Reason::Paused, message),
            ]
        }
        Health::Retrying {
            reason,
            message,
            stale,
        } => {
            // A passing failure does not make a ready flow unready, until the freshness window
            // says the last good read is too old to count.
            let (ready_status, ready_reason, ready_message) = if *stale {
                (
                    "Unknown",
                    Reason::Stale,
                    format!(
                        "Graph could not be read for longer than the freshness window, so readiness is unknown: {message}"
                    ),
                )
            } else {
                kept(previous_ready, *reason, message)
            };
            [
                (Ready, ready_status, ready_reason, ready_message),
                (Synced, "False", *reason, message.clone()),
                (Reconciling, "True", *reason, message.clone()),
                (Stalled, "False", *reason, message.clone()),
            ]
        }
        Health::Stalled { reason, message } => [
            (Ready, "False", *reason, message.clone()),
            (Synced, "False", *reason, message.clone()),
            (Reconciling, "False", *reason, message.clone()),
            (Stalled, "True", *reason, message.clone()),
        ],
    }
}

/// The previous Ready condition if there was one, else Unknown with this reason.
fn kept(
    previous: Option<(&'static str, String, String)>,
    reason: Reason,
    message: &str,
) -> (&'static str, Reason, String) {
    match previous {
        Some((status, previous_reason, previous_message)) => {
            let reason = Reason::ALL
                .into_iter()
                .find(|known| known.as_str() == previous_reason)
                .unwrap_or(reason);
            (status, reason, previous_message)
        }
        None => ("Unknown", reason, message.to_owned()),
    }
}

/// Ready status, reason, message, whether work is still settling, whether a person must act.
fn readiness(flow: Option<&SecurityGroupFlow>) -> (&'static str, Reason, String, bool, bool) {
    let Some(flow) = flow else {
        return (
            "False",
            Reason::Provisioning,
            "the new flow is not visible in Graph yet".into(),
            true,
            false,
        );
    };
    let described = |what: &str| {
        format!(
            "Graph reports the flow {what} (readinessStatus {})",
            flow.readiness_status.as_str()
        )
    };
    match &flow.readiness_status {
        ReadinessStatus::Ready => ("True", Reason::FlowReady, described("ready"), false, false),
        ReadinessStatus::NotReady => (
            "False",
            Reason::Provisioning,
            described("not ready yet"),
            true,
            false,
        ),
        ReadinessStatus::Failed => (
            "False",
            Reason::FlowFailed,
            described(
                "failed: check the flow and its inbound data in the SDS portal, then reset it",
            ),
            false,
            true,
        ),
        // Every existing flow in Microsoft's examples reads `disabled`: SDS has simply not turned
        // it on. That is a resting state, not a failure, so nothing is in flight or stalled.
        ReadinessStatus::Disabled => (
            "False",
            Reason::Disabled,
            described(
                "disabled: SDS has not enabled the flow; it becomes ready once it is enabled in SDS",
            ),
            false,
            false,
        ),
        ReadinessStatus::Expired => (
            "False",
            Reason::FlowExpired,
            described("expired: renew the inbound flow's time period in SDS"),
            false,
            true,
        ),
        // A state added after this operator was written: neither ready nor a reason to stall.
        ReadinessStatus::UnknownFutureValue | ReadinessStatus::Other(_) => (
            "Unknown",
            Reason::UnknownReadiness,
            described("in a state this operator does not know"),
            false,
            false,
        ),
    }
}

fn sync_state(
    flow: &SecurityGroupProvisioningFlow,
    graph_flow: Option<&SecurityGroupFlow>,
) -> (&'static str, Reason, String) {
    let desired = SecurityGroupCreationOptions::from(flow.spec.creation_options);
    match graph_flow {
        None => ("False", Reason::Provisioning, "the new flow is not visible in Graph yet".into()),
        Some(graph_flow) if graph_flow.creation_options == desired => {
            ("True", Reason::InSync, "Graph's creationOptions match the spec".into())
        }
        Some(_) if flow.spec.management_policy == ManagementPolicy::ObserveOnly => (
            "False",
            Reason::ObserveOnly,
            "Graph's creationOptions differ from the spec; managementPolicy ObserveOnly leaves them as they are".into(),
        ),
        Some(_) => ("False", Reason::Provisioning, "Graph does not show the spec's creationOptions yet".into()),
    }
}

fn true_if(condition: bool) -> &'static str {
    if condition { "True" } else { "False" }
}

fn find(conditions: &[Condition], kind: ConditionType) -> Option<&Condition> {
    conditions
        .iter()
        .find(|condition| condition.type_ == kind.as_str())
}

/// Builds the conditions, keeping each one's lastTransitionTime while its status stays the same.
fn conditions(
    previous: &[Condition],
    wanted: &Wanted,
    generation: Option<i64>,
    now: Timestamp,
) -> Vec<Condition> {
    wanted
        .iter()
        .map(|(kind, status, reason, message)| {
            let last_transition_time = find(previous, *kind)
                .filter(|old| old.status == *status)
                .map_or(Time(now), |old| old.last_transition_time.clone());
            Condition {
                type_: kind.as_str().to_owned(),
                status: (*status).to_owned(),
                reason: reason.as_str().to_owned(),
                message: message.clone(),
                observed_generation: generation,
                last_transition_time,
            }
        })
        .collect()
}

/// Writes status with server-side apply, remembering what it wrote so that an unchanged status is
/// never sent twice.
pub struct StatusWriter {
    api: Api<SecurityGroupProvisioningFlow>,
    name: String,
    written: SecurityGroupProvisioningFlowStatus,
}

impl std::fmt::Debug for StatusWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusWriter")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl StatusWriter {
    pub fn new(
        api: Api<SecurityGroupProvisioningFlow>,
        flow: &SecurityGroupProvisioningFlow,
    ) -> Self {
        Self {
            api,
            name: flow.metadata.name.clone().unwrap_or_default(),
            written: flow.status.clone().unwrap_or_default(),
        }
    }

    /// Applies `status` unless it is what the API server already holds.
    pub async fn write(
        &mut self,
        status: &SecurityGroupProvisioningFlowStatus,
    ) -> Result<(), kube::Error> {
        if *status == self.written {
            return Ok(());
        }
        let patch = json!({
            "apiVersion": "industrydata.sds-operator.io/v1alpha1",
            "kind": "SecurityGroupProvisioningFlow",
            "status": status,
        });
        let params = PatchParams::apply(FIELD_MANAGER).force();
        self.api
            .patch_status(&self.name, &params, &Patch::Apply(&patch))
            .await?;
        self.written = status.clone();
        Ok(())
    }
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
