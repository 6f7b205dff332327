//! Plan: what to do in Graph, decided from the resource and what observe found. Pure: no IO, so
//! every rule of DESIGN §4 (create, adopt, update, drift, reset at most once) is unit-tested here.

use std::collections::BTreeMap;
use std::time::Duration;

use graph::Flow;
use jiff::Timestamp;

use super::error::Refusal;
use super::memory::{Memory, SentUpdate};
use crate::crd::{
    AdoptionPolicy, ConditionStatus, ConditionType, FlowKind, FlowStatus, MAX_RESET_TOKEN_LENGTH,
    ManagementPolicy, Reason, ResetOutcome, ResetWaiting,
};

/// How long a flow we created may stay invisible to reads before we believe it is gone: Graph is
/// eventually consistent, and a 404 right after a create is not a deletion.
pub const VISIBILITY_WINDOW: Duration = Duration::from_secs(300);

/// The Graph writes one reconcile makes, in order: first the flow, then the reset.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan<C> {
    pub flow: FlowStep<C>,
    pub reset: ResetStep,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FlowStep<C> {
    /// Graph already matches the spec (or may not be written): nothing to send.
    Keep,
    /// No flow of the kind exists in the set: record a create intent, then POST.
    Create {
        /// The flow this resource had recorded is gone from Graph: it was deleted outside Kubernetes.
        recreate: bool,
    },
    /// The set holds a flow of the kind this resource has not recorded: take it over.
    Adopt { found: Flow<C>, update: bool },
    /// Graph's settings differ from the spec.
    Update { found: Flow<C>, cause: UpdateCause },
    /// We created the flow moments ago and Graph does not show it yet: wait, do not create again.
    AwaitVisibility,
    /// A person must act before anything is written.
    Refuse(Refusal),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateCause {
    /// The spec changed.
    Spec,
    /// Someone changed the flow outside Kubernetes: Graph no longer has what we last saw.
    Drift,
    /// Only a write-only value changed (a default password's Secret): Graph cannot show it.
    SecretChanged,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ResetStep {
    /// No new token.
    Nothing,
    /// A token was marked pending and its result never recorded (the operator stopped in
    /// between): record OutcomeUnknown, never send it again.
    RecordUnknown { token: String },
    /// Send one reset for this token to the flow with this id.
    Send { token: String, flow_id: String },
    /// A new token that may not be sent; recorded as handled with the reason.
    Decline { token: String, message: String },
    /// A new token that must wait for the flow to exist.
    Defer,
    /// A new token that must wait until the minimum interval since the last reset has passed.
    Wait {
        token: String,
        not_before: Timestamp,
    },
    /// The annotation's value is too long to be a token; it is refused and never echoed whole.
    Refuse(Refusal),
}

/// The token present when the operator first sees the resource (observedGeneration below 1: new,
/// adopted from another tool, restored from a backup), which is recorded as handled without a
/// reset. Decided by the generation, not by the presence of `status.reset`, which a status write
/// may have dropped.
pub fn first_sight_token<K: FlowKind>(flow: &K, status: &FlowStatus<K::Mirror>) -> Option<String> {
    let seen = status
        .observed_generation
        .is_some_and(|generation| generation >= 1);
    let token = flow.reset_token()?;
    let handled = status
        .reset
        .as_ref()
        .is_some_and(|reset| reset.has_handled(token));
    (!seen && !handled && valid_token(token)).then(|| token.to_owned())
}

fn valid_token(token: &str) -> bool {
    token.chars().count() <= MAX_RESET_TOKEN_LENGTH
}

/// A short, safe rendering of a token for messages: never the whole of an over-long value.
pub fn describe_token(token: &str) -> String {
    if valid_token(token) {
        return format!("{token:?}");
    }
    let start: String = token.chars().take(16).collect();
    format!("{start:?}… ({} characters)", token.chars().count())
}

/// Whether the status vouches for the current spec with nothing left to do: synced at this
/// generation, Ready, the flow recorded, and no reset waiting. A restarted operator spreads its
/// first Graph reads of such resources over the resync period instead of reading them all at once.
pub fn settled<K: FlowKind>(flow: &K, status: &FlowStatus<K::Mirror>) -> bool {
    let ready = status.condition_status(ConditionType::Ready) == ConditionStatus::True;
    let reset = status.reset.clone().unwrap_or_default();
    let reset_handled = reset.pending_token.is_none()
        && reset.waiting.is_none()
        && flow
            .reset_token()
            .is_none_or(|token| reset.has_handled(token));
    ready
        && reset_handled
        && status.observed_generation == flow.meta().generation
        && status.flow_id.is_some()
        && status.create_intent.is_none()
}

/// While paused nothing is sent: a new reset token waits, and the reset status says so. It is
/// sent once the paused annotation is removed.
pub fn hold_reset_while_paused<K: FlowKind>(flow: &K, status: &mut FlowStatus<K::Mirror>) {
    let Some(token) = flow.reset_token() else {
        return;
    };
    let handled = status
        .reset
        .as_ref()
        .is_some_and(|reset| reset.has_handled(token));
    if handled || !valid_token(token) {
        return;
    }
    status.reset.get_or_insert_default().waiting = Some(ResetWaiting {
        token: token.to_owned(),
        reason: Reason::Paused.as_str().to_owned(),
        message: format!(
            "not sent while {} is \"true\"; it is sent once the annotation is removed",
            crate::crd::PAUSED_ANNOTATION
        ),
        not_before: None,
    });
}

/// Decides the flow and reset steps. `observed` is the flow of the kind Graph holds in the set
/// (found by id or by listing the set), or `None` when the set holds none; `memory` holds the
/// last change Graph accepted for this resource, to notice one that did not stick, and whether
/// Graph has shown the recorded flow since it was created.
pub fn plan<K: FlowKind>(
    flow: &K,
    status: &FlowStatus<K::Mirror>,
    observed: Option<&Flow<K::Config>>,
    fingerprints: &BTreeMap<String, String>,
    memory: &Memory<K::Config>,
    now: Timestamp,
    min_reset_interval: Duration,
) -> Plan<K::Config> {
    let recently = creating_recently(status, memory.flow_seen, now);
    let flow_step = match plan_flow(flow, status, observed, fingerprints, recently) {
        FlowStep::Update { .. } | FlowStep::Adopt { update: true, .. }
            if let (Some(found), Some(sent)) = (observed, memory.last_update.as_deref())
                && ignored(sent, found, flow) =>
        {
            FlowStep::Refuse(Refusal::UpdateIgnored {
                settings: K::SETTINGS,
                still: found.config.to_string(),
            })
        }
        step => step,
    };
    let flow_id = observed
        .filter(|_| !matches!(flow_step, FlowStep::Refuse(_)))
        .map(|found| found.id.as_str());
    Plan {
        reset: plan_reset(
            flow.reset_token(),
            status,
            flow.policies().management_policy,
            flow_id,
            ResetClock {
                now,
                min_interval: min_reset_interval,
            },
        ),
        flow: flow_step,
    }
}

fn plan_flow<K: FlowKind>(
    flow: &K,
    status: &FlowStatus<K::Mirror>,
    observed: Option<&Flow<K::Config>>,
    fingerprints: &BTreeMap<String, String>,
    creating_recently: bool,
) -> FlowStep<K::Config> {
    let spec = flow.flow_spec();
    let observe_only = flow.is_observe_only();

    let Some(found) = observed else {
        if creating_recently {
            return FlowStep::AwaitVisibility;
        }
        if observe_only {
            return FlowStep::Refuse(Refusal::NothingToObserve {
                flow_set_id: spec.flow_set_id().to_owned(),
                noun: K::FLOW_NOUN,
            });
        }
        return FlowStep::Create {
            recreate: status.flow_id.is_some(),
        };
    };

    let settings_differ = !flow.matches(&found.config);
    // A write-only value Graph cannot show: sent again when its Secret's value is not the one
    // last sent (or, for an adopted flow, never sent by us).
    let secrets_differ = *fingerprints != status.secret_fingerprints;
    let needs_update = !observe_only && (settings_differ || secrets_differ);
    let recorded = status.flow_id.as_deref() == Some(found.id.as_str());
    if !recorded {
        let our_create = status.create_intent.is_some();
        if spec.adoption == AdoptionPolicy::CreateOnly && !our_create && !observe_only {
            return FlowStep::Refuse(Refusal::FlowAlreadyExists {
                flow_set_id: spec.flow_set_id().to_owned(),
                flow_id: found.id.clone(),
                noun: K::FLOW_NOUN,
            });
        }
        return FlowStep::Adopt {
            found: found.clone(),
            update: needs_update,
        };
    }
    if !needs_update {
        return FlowStep::Keep;
    }
    let last_seen = K::mirrored(&status.mirrored);
    let spec_unchanged = status.observed_generation == flow.meta().generation;
    let cause = if !settings_differ {
        UpdateCause::SecretChanged
    } else if spec_unchanged && last_seen.is_some_and(|seen| flow.matches(&seen)) {
        UpdateCause::Drift
    } else {
        UpdateCause::Spec
    };
    FlowStep::Update {
        found: found.clone(),
        cause,
    }
}

/// Graph answered our PATCH with success, yet the flow is exactly as it was before it.
fn ignored<K: FlowKind>(sent: &SentUpdate<K::Config>, found: &Flow<K::Config>, flow: &K) -> bool {
    flow.matches(&sent.desired)
        && found.config == sent.replaced
        && found.last_modified_date_time == sent.replaced_modified
}

/// Whether this resource created its flow less than the visibility window ago: a create intent
/// that young, or a recorded flow whose creation time (Graph's, kept in status once the create
/// answered) is that young and which Graph has not shown since (`flow_seen`: once it has, a
/// 404 means the flow was deleted).
fn creating_recently<M>(status: &FlowStatus<M>, flow_seen: bool, now: Timestamp) -> bool {
    let young =
        |since: Timestamp| now.duration_since(since).as_secs() < VISIBILITY_WINDOW.as_secs() as i64;
    let intended = status
        .create_intent
        .as_ref()
        .is_some_and(|intent| young(intent.recorded_time.0));
    let created = !flow_seen
        && status.flow_id.is_some()
        && status
            .created_date_time
            .as_deref()
            .and_then(|time| time.parse::<Timestamp>().ok())
            .is_some_and(young);
    intended || created
}

/// The precision of a `metav1.Time` in status.
const TIME_PRECISION: jiff::SignedDuration = jiff::SignedDuration::from_secs(1);

/// When a reset may be sent: `min_interval` after the previous one.
#[derive(Clone, Copy, Debug)]
struct ResetClock {
    now: Timestamp,
    min_interval: Duration,
}

fn plan_reset<M>(
    token: Option<&str>,
    status: &FlowStatus<M>,
    policy: ManagementPolicy,
    flow_id: Option<&str>,
    clock: ResetClock,
) -> ResetStep {
    let reset = status.reset.clone().unwrap_or_default();
    if let Some(pending) = &reset.pending_token
        && reset.outcome == Some(ResetOutcome::Pending)
    {
        return ResetStep::RecordUnknown {
            token: pending.clone(),
        };
    }
    let Some(token) = token.filter(|token| !reset.has_handled(token)) else {
        return ResetStep::Nothing;
    };
    if !valid_token(token) {
        return ResetStep::Refuse(Refusal::ResetTokenInvalid {
            described: describe_token(token),
        });
    }
    if policy == ManagementPolicy::ObserveOnly {
        return ResetStep::Decline {
            token: token.to_owned(),
            message: "reset not sent: managementPolicy is ObserveOnly".into(),
        };
    }
    let Some(flow_id) = flow_id else {
        return ResetStep::Defer;
    };
    // sentTime keeps whole seconds: the reset may have left up to a second after it.
    let not_before = reset.sent_time.as_ref().and_then(|sent| {
        let interval = jiff::SignedDuration::try_from(clock.min_interval).ok()?;
        sent.0.checked_add(interval + TIME_PRECISION).ok()
    });
    if !clock.min_interval.is_zero()
        && let Some(not_before) = not_before
        && not_before > clock.now
    {
        return ResetStep::Wait {
            token: token.to_owned(),
            not_before,
        };
    }
    ResetStep::Send {
        token: token.to_owned(),
        flow_id: flow_id.to_owned(),
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "plan_reset_tests.rs"]
mod reset_tests;
