//! Status: mirror what Graph reports, derive the four conditions, and write the result with one
//! server-side-apply patch, skipped when nothing but the sync time would change.

use graph::{Flow, ReadinessStatus};
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::error::Error;
use crate::crd::{
    Condition, ConditionStatus, ConditionType, FlowKind, FlowStatus, Message, Reason, Word,
};

/// What the reconcile learned, as the conditions need it.
#[derive(Clone, Debug)]
pub enum Health<C> {
    /// The sync succeeded; `flow` is Graph's flow after our writes (None while a new flow is not
    /// yet visible).
    Synced { flow: Option<Flow<C>> },
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
pub fn mirror<K: FlowKind>(status: &mut FlowStatus<K::Mirror>, flow: &Flow<K::Config>) {
    status.flow_id = Some(flow.id.clone());
    status.readiness_status = Some(flow.readiness_status.clone());
    status.created_date_time.clone_from(&flow.created_date_time);
    status
        .last_modified_date_time
        .clone_from(&flow.last_modified_date_time);
    status.mirrored = K::mirror(&flow.config);
}

impl<C> Health<C> {
    /// The health of a failed reconcile, with `message` as the conditions' message. `stale`:
    /// Graph has not been read for longer than the freshness window.
    pub fn failed(error: &Error, message: String, stale: bool) -> Self {
        if error.needs_person() {
            Self::Stalled {
                reason: error.reason(),
                message,
            }
        } else {
            Self::Retrying {
                reason: error.reason(),
                message,
                stale,
            }
        }
    }
}

/// The status to write: `working` (mirrored fields, intents, reset records) with conditions and
/// the observed generation for `health`. `lastSyncTime` moves only when something else changed,
/// so a reconcile that finds nothing to do writes nothing.
pub fn finish<K: FlowKind>(
    flow: &K,
    mut working: FlowStatus<K::Mirror>,
    health: &Health<K::Config>,
    now: Timestamp,
) -> FlowStatus<K::Mirror> {
    let previous = flow.status_or_default();
    working.observed_generation = flow.meta().generation;
    let flow_set_id = flow.flow_spec().flow_set_id();
    if !flow_set_id.is_empty() {
        working.flow_set_id = Some(flow_set_id.to_owned());
    }
    let mut wanted = wanted_conditions(flow, health);
    if let Health::Synced { .. } = health
        && let Some(waiting) = working
            .reset
            .as_ref()
            .and_then(|reset| reset.waiting.as_ref())
    {
        // A reset that is due but waits is work in flight.
        wanted.reconciling = Wanted::new(
            ConditionStatus::True,
            Reason::ResetWaiting,
            format!("reset {:?} {}", waiting.token, waiting.message),
        );
    }
    working.conditions = wanted.into_conditions(&previous.conditions, flow.meta().generation, now);
    working.last_sync_time = previous.last_sync_time.clone();
    if working != previous {
        working.last_sync_time = Some(Time(now));
    }
    working
}

/// One condition as the reconcile wants it.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Wanted {
    status: ConditionStatus,
    reason: Reason,
    message: String,
}

impl Wanted {
    pub(super) fn new(status: ConditionStatus, reason: Reason, message: String) -> Self {
        Self {
            status,
            reason,
            message,
        }
    }
}

/// The four conditions as the reconcile wants them.
#[derive(Clone, Debug)]
pub(super) struct WantedConditions {
    pub(super) ready: Wanted,
    pub(super) synced: Wanted,
    pub(super) reconciling: Wanted,
    pub(super) stalled: Wanted,
}

impl WantedConditions {
    /// The same reason and message on all four, with these statuses.
    pub(super) fn alike(
        [ready, synced, reconciling, stalled]: [ConditionStatus; 4],
        reason: Reason,
        message: &str,
    ) -> Self {
        let wanted = |status| Wanted::new(status, reason, message.to_owned());
        Self {
            ready: wanted(ready),
            synced: wanted(synced),
            reconciling: wanted(reconciling),
            stalled: wanted(stalled),
        }
    }

    /// The conditions, keeping each one's lastTransitionTime while its status stays the same.
    pub(super) fn into_conditions(
        self,
        previous: &[Condition],
        generation: Option<i64>,
        now: Timestamp,
    ) -> Vec<Condition> {
        let Self {
            ready,
            synced,
            reconciling,
            stalled,
        } = self;
        ConditionType::ALL
            .into_iter()
            .zip([ready, synced, reconciling, stalled])
            .map(|(kind, wanted)| {
                let last_transition_time = previous
                    .iter()
                    .find(|old| old.type_ == kind.as_str())
                    .filter(|old| old.status == wanted.status.as_str())
                    .map_or(Time(now), |old| old.last_transition_time.clone());
                Condition {
                    type_: Word::from(kind.as_str()),
                    status: Word::from(wanted.status.as_str()),
                    reason: Word::from(wanted.reason.as_str()),
                    message: Message::from(wanted.message),
                    observed_generation: generation,
                    last_transition_time,
                }
            })
            .collect()
    }
}

fn wanted_conditions<K: FlowKind>(flow: &K, health: &Health<K::Config>) -> WantedConditions {
    use ConditionStatus::{False, True, Unknown};
    match health {
        Health::Synced { flow: graph_flow } => {
            let readiness = readiness(graph_flow.as_ref());
            let synced = sync_state(flow, graph_flow.as_ref());
            let alike = |status| {
                Wanted::new(
                    status,
                    readiness.ready.reason,
                    readiness.ready.message.clone(),
                )
            };
            WantedConditions {
                reconciling: alike(ConditionStatus::from_bool(readiness.settling)),
                stalled: alike(ConditionStatus::from_bool(readiness.stalled)),
                ready: readiness.ready,
                synced,
            }
        }
        Health::Paused => {
            let message = format!(
                "{} is \"true\": no Graph calls are made",
                crate::crd::PAUSED_ANNOTATION
            );
            // Ready may only vouch for a spec that was synced before the pause.
            let observed = flow.flow_status().filter(|status| status.is_observed());
            let spec_synced =
                observed.and_then(|status| status.observed_generation) == flow.meta().generation;
            let ready = if spec_synced {
                kept(flow, Reason::Paused, &message)
            } else if observed.is_none() {
                let message = format!("{message}; the resource has never been synced");
                Wanted::new(False, Reason::Paused, message)
            } else {
                let message = format!("{message}; the spec changed since the last sync");
                Wanted::new(False, Reason::Paused, message)
            };
            WantedConditions {
                ready,
                ..WantedConditions::alike([False; 4], Reason::Paused, &message)
            }
        }
        Health::Retrying {
            reason,
            message,
            stale,
        } => {
            // A passing failure does not make a ready flow unready, until the freshness window
            // says the last good read is too old to count.
            let ready = if *stale {
                Wanted::new(
                    Unknown,
                    Reason::Stale,
                    format!(
                        "Graph could not be read for longer than the freshness window, so readiness is unknown: {message}"
                    ),
                )
            } else {
                kept(flow, *reason, message)
            };
            WantedConditions {
                ready,
                ..WantedConditions::alike([False, False, True, False], *reason, message)
            }
        }
        Health::Stalled { reason, message } => {
            WantedConditions::alike([False, False, False, True], *reason, message)
        }
    }
}

/// The previous Ready condition (True stays True, anything else reads False) if there was one,
/// else Unknown with this reason and message.
fn kept<K: FlowKind>(flow: &K, reason: Reason, message: &str) -> Wanted {
    match flow.condition(ConditionType::Ready) {
        Some(previous) => Wanted::new(
            ConditionStatus::from_bool(
                ConditionStatus::parse(&previous.status) == ConditionStatus::True,
            ),
            Reason::parse(&previous.reason).unwrap_or(reason),
            previous.message.to_string(),
        ),
        None => Wanted::new(ConditionStatus::Unknown, reason, message.to_owned()),
    }
}

/// What Graph's readinessStatus means for the conditions.
struct Readiness {
    ready: Wanted,
    /// Work is still in flight (Reconciling).
    settling: bool,
    /// A person must act (Stalled).
    stalled: bool,
}

fn readiness<C>(flow: Option<&Flow<C>>) -> Readiness {
    use ConditionStatus::{False, True, Unknown};
    let Some(flow) = flow else {
        let message = "the new flow is not visible in Graph yet".into();
        return Readiness {
            ready: Wanted::new(False, Reason::Provisioning, message),
            settling: true,
            stalled: false,
        };
    };
    let described = |what: &str| {
        format!(
            "Graph reports the flow {what} (readinessStatus {})",
            flow.readiness_status.as_str()
        )
    };
    let (status, reason, what, settling, stalled) = match &flow.readiness_status {
        ReadinessStatus::Ready => (True, Reason::FlowReady, "ready", false, false),
        ReadinessStatus::NotReady => (False, Reason::Provisioning, "not ready yet", true, false),
        ReadinessStatus::Failed => (
            False,
            Reason::FlowFailed,
            "failed: check the flow and its inbound data in the SDS portal, then reset it",
            false,
            true,
        ),
        // Every existing flow in Microsoft's examples reads `disabled`: SDS has simply not turned
        // it on. That is a resting state, not a failure, so nothing is in flight or stalled.
        ReadinessStatus::Disabled => (
            False,
            Reason::Disabled,
            "disabled: SDS has not enabled the flow; it becomes ready once it is enabled in SDS",
            false,
            false,
        ),
        ReadinessStatus::Expired => (
            False,
            Reason::FlowExpired,
            "expired: renew the inbound flow's time period in SDS",
            false,
            true,
        ),
        // A state added after this operator was written: neither ready nor a reason to stall.
        ReadinessStatus::UnknownFutureValue | ReadinessStatus::Other(_) => (
            Unknown,
            Reason::UnknownReadiness,
            "in a state this operator does not know",
            false,
            false,
        ),
    };
    Readiness {
        ready: Wanted::new(status, reason, described(what)),
        settling,
        stalled,
    }
}

fn sync_state<K: FlowKind>(flow: &K, graph_flow: Option<&Flow<K::Config>>) -> Wanted {
    use ConditionStatus::{False, True};
    let settings = K::SETTINGS;
    let (status, reason, message) = match graph_flow {
        None => (
            False,
            Reason::Provisioning,
            "the new flow is not visible in Graph yet".to_owned(),
        ),
        Some(graph_flow) if flow.matches(&graph_flow.config) => (
            True,
            Reason::InSync,
            format!("Graph's {settings} match the spec"),
        ),
        Some(_) if flow.is_observe_only() => (
            False,
            Reason::ObserveOnly,
            format!(
                "Graph's {settings} differ from the spec; managementPolicy ObserveOnly leaves them as they are"
            ),
        ),
        Some(_) => (
            False,
            Reason::Provisioning,
            format!("Graph does not show the spec's {settings} yet"),
        ),
    };
    Wanted::new(status, reason, message)
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
