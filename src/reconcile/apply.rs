//! Apply: make the Graph calls the plan asks for. Every write that must survive a crash is
//! recorded in status before (create intent, pending reset) or right after (flow id) its call,
//! so a restarted operator never creates a second flow or sends a reset twice.

use std::collections::BTreeMap;

use graph::{Flow, GraphClient};
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use uuid::Uuid;

use super::error::Error;
use super::events::Note;
use super::memory::SentUpdate;
use super::plan::{FlowStep, Plan, ResetStep, UpdateCause};
use super::progress::Progress;
use super::status::mirror;
use crate::crd::{CreateIntent, FlowKind, Reason, ResetOutcome, ResetStatus, ResetWaiting};

/// What the writes left behind.
#[derive(Debug)]
pub struct Applied<C> {
    /// Graph's flow after the writes, as far as we know it (None: not visible yet).
    pub flow: Option<Flow<C>>,
    /// Whether this reconcile wrote to Graph (then Graph is read again soon).
    pub wrote: bool,
    /// The change of the settings Graph accepted, if one was sent.
    pub sent_update: Option<SentUpdate<C>>,
    /// When a waiting reset token may be sent.
    pub reset_due: Option<Timestamp>,
}

/// Everything apply needs from the reconcile.
#[derive(Debug)]
pub struct Target<'a, K: FlowKind> {
    pub graph: &'a GraphClient,
    pub flow: &'a K,
    /// The settings to send, Secret values included.
    pub desired: &'a K::Config,
    /// The fingerprints of those Secret values, recorded in status once they are sent.
    pub fingerprints: &'a BTreeMap<String, String>,
    pub now: Timestamp,
}

/// Runs the plan on the working status in `progress`: it is updated as calls succeed and
/// persisted where crash safety needs it; what deserves an event is noted as it happens.
pub async fn apply<K: FlowKind>(
    target: &Target<'_, K>,
    plan: Plan<K::Config>,
    observed: Option<Flow<K::Config>>,
    progress: &mut Progress<K>,
) -> Result<Applied<K::Config>, Error> {
    let mut applied = apply_flow(target, plan.flow, observed, progress).await?;
    if applied
        .flow
        .as_ref()
        .is_some_and(|flow| progress.status.flow_id.as_deref() == Some(flow.id.as_str()))
        && !applied.wrote
    {
        // Read back from Graph: the create this intent guarded is done.
        progress.status.create_intent = None;
    }
    match apply_reset(target, plan.reset, progress).await? {
        ResetEffect::None => {}
        ResetEffect::Due(when) => applied.reset_due = Some(when),
        ResetEffect::Sent => {
            if let Some(flow) = applied.flow.as_mut() {
                flow.readiness_status = graph::ReadinessStatus::NotReady;
            }
            applied.wrote = true;
        }
    }
    Ok(applied)
}

async fn apply_flow<K: FlowKind>(
    target: &Target<'_, K>,
    step: FlowStep<K::Config>,
    observed: Option<Flow<K::Config>>,
    progress: &mut Progress<K>,
) -> Result<Applied<K::Config>, Error> {
    let flow_set_id = target.flow.flow_spec().flow_set_id();
    let mut applied = Applied {
        flow: observed,
        wrote: false,
        sent_update: None,
        reset_due: None,
    };
    match step {
        FlowStep::Keep | FlowStep::AwaitVisibility => {}
        FlowStep::Refuse(refusal) => return Err(refusal.into()),
        FlowStep::Create { recreate } => {
            let client_request_id = Uuid::new_v4();
            progress.status.create_intent = Some(CreateIntent {
                client_request_id: client_request_id.to_string(),
                recorded_time: Time(target.now),
            });
            progress.persist().await?;
            let answer = target
                .graph
                .create_flow(flow_set_id, target.desired, client_request_id)
                .await;
            let created = answer
                .inspect_err(|error| {
                    if error.changed_nothing() {
                        // No flow can come of it: the next attempt creates at once instead of
                        // waiting out the visibility window for a flow that will never appear.
                        progress.status.create_intent = None;
                    }
                })?
                .value
                .into_flow::<K::Config>()
                .ok_or(Error::UnexpectedAnswer(
                    "the create with a flow of another type",
                ))?;
            // Not persisted on its own: the reconcile's last status write carries the flow id a
            // moment later, and a crash before it is what the durable intent is for. That write
            // also ends the intent once Graph has said when it created the flow: that time keeps
            // a 404 right after the create from reading as a deletion (plan::creating_recently),
            // so no later write is needed just to clear the intent.
            mirror::<K>(&mut progress.status, &created);
            if created.created_date_time.is_some() {
                progress.status.create_intent = None;
            }
            progress.status.secret_fingerprints = target.fingerprints.clone();
            progress.note(if recreate {
                Note::warning(
                    Reason::Recreated,
                    format!(
                        "flow was deleted outside Kubernetes; created it again as {}",
                        created.id
                    ),
                )
            } else {
                Note::normal(
                    Reason::Created,
                    format!("created flow {} in flow set {flow_set_id}", created.id),
                )
            });
            applied.flow = Some(created);
            applied.wrote = true;
        }
        FlowStep::Adopt { found, update } => {
            progress.status.flow_id = Some(found.id.clone());
            progress.persist().await?;
            progress.note(Note::normal(
                Reason::Adopted,
                format!(
                    "adopted existing flow {} in flow set {flow_set_id}",
                    found.id
                ),
            ));
            if update {
                send_update(target, found, &mut applied, progress).await?;
                progress.note(Note::normal(
                    Reason::Updated,
                    format!("set {} to the spec", K::SETTINGS),
                ));
            }
        }
        FlowStep::Update { found, cause } => {
            let replaced = send_update(target, found, &mut applied, progress).await?;
            progress.note(match cause {
                UpdateCause::Spec => {
                    Note::normal(Reason::Updated, format!("set {} to the spec", K::SETTINGS))
                }
                UpdateCause::Drift => Note::warning(
                    Reason::DriftCorrected,
                    format!(
                        "{} had been changed outside Kubernetes (Graph had {replaced}); set them back to the spec",
                        K::SETTINGS
                    ),
                ),
                UpdateCause::SecretChanged => Note::normal(
                    Reason::Updated,
                    "a default password's Secret changed; sent the new value".to_owned(),
                ),
            });
        }
    }
    Ok(applied)
}

/// PATCHes `found`'s settings to the spec; `applied` then holds the flow as changed and
/// what the change replaced, which is returned.
async fn send_update<K: FlowKind>(
    target: &Target<'_, K>,
    mut found: Flow<K::Config>,
    applied: &mut Applied<K::Config>,
    progress: &mut Progress<K>,
) -> Result<K::Config, Error> {
    let desired = target.desired.clone();
    target
        .graph
        .update_flow(target.flow.flow_spec().flow_set_id(), &found.id, &desired)
        .await?;
    progress.status.secret_fingerprints = target.fingerprints.clone();
    let replaced = std::mem::replace(&mut found.config, desired.clone());
    applied.sent_update = Some(SentUpdate {
        desired,
        replaced: replaced.clone(),
        replaced_modified: found.last_modified_date_time.clone(),
    });
    applied.flow = Some(found);
    applied.wrote = true;
    Ok(replaced)
}

/// Records the token present when the operator first sees the resource as handled, without a
/// reset (see `plan::first_sight_token`).
pub fn record_first_sight<K: FlowKind>(progress: &mut Progress<K>, token: String) {
    let message = format!(
        "reset token {token:?} was already set when the operator first saw this resource; \
         recorded without a reset"
    );
    progress.note(Note::normal(Reason::ResetSkipped, message.clone()));
    progress
        .status
        .reset
        .get_or_insert_default()
        .record_handled(token, ResetOutcome::Skipped, Some(message));
}

/// What a reset step changed beyond status.
enum ResetEffect {
    None,
    /// Graph accepted a reset: the flow provisions again.
    Sent,
    /// A token waits until then.
    Due(Timestamp),
}

async fn apply_reset<K: FlowKind>(
    target: &Target<'_, K>,
    step: ResetStep,
    progress: &mut Progress<K>,
) -> Result<ResetEffect, Error> {
    let reset = progress.status.reset.get_or_insert_default();
    match step {
        ResetStep::Nothing | ResetStep::Defer => {}
        ResetStep::RecordUnknown { token } => {
            let message = "the operator stopped after marking this reset pending and before recording its result; \
                           it is not sent again: set a new token to reset again";
            reset.record_handled(
                token.clone(),
                ResetOutcome::OutcomeUnknown,
                Some(message.into()),
            );
            progress.note(Note::warning(
                Reason::ResetOutcomeUnknown,
                format!("reset {token:?}: {message}"),
            ));
        }
        ResetStep::Decline { token, message } => {
            let note = format!("reset {token:?}: {message}");
            reset.record_handled(token, ResetOutcome::Skipped, Some(message));
            progress.note(Note::warning(Reason::ResetSkipped, note));
        }
        ResetStep::Wait { token, not_before } => {
            reset.waiting = Some(ResetWaiting {
                token,
                reason: Reason::ResetWaiting.as_str().to_owned(),
                message: format!(
                    "sent at {not_before:.0}: two resets of one flow are at least the operator's \
                     minimum reset interval apart"
                ),
                not_before: Some(Time(not_before)),
            });
            return Ok(ResetEffect::Due(not_before));
        }
        ResetStep::Refuse(refusal) => return Err(refusal.into()),
        ResetStep::Send { token, flow_id } => {
            return send_reset(target, token, &flow_id, progress).await;
        }
    }
    Ok(ResetEffect::None)
}

async fn send_reset<K: FlowKind>(
    target: &Target<'_, K>,
    token: String,
    flow_id: &str,
    progress: &mut Progress<K>,
) -> Result<ResetEffect, Error> {
    let reset = progress.status.reset.get_or_insert_default();
    let before = reset.clone();
    reset.sent_time = Some(Time(target.now));
    reset.pending_token = Some(token.clone());
    reset.waiting = None;
    reset.outcome = Some(ResetOutcome::Pending);
    // At most once: the pending record is in the API server before the request leaves.
    progress.persist().await?;
    let result = target
        .graph
        .reset_flow(target.flow.flow_spec().flow_set_id(), flow_id)
        .await;
    let reset = progress.status.reset.get_or_insert_default();
    let (outcome, message, note) = match result {
        Ok(response) => {
            reset.request_id = response.request_id;
            let note = Note::normal(
                Reason::ResetAccepted,
                format!("Graph accepted reset {token:?}"),
            );
            (ResetOutcome::Accepted, None, note)
        }
        // Graph did not act on it: the token stays due, visibly, and is sent after the wait.
        Err(error) if error.had_no_effect() => {
            let error = Error::from(error);
            **reset = ResetStatus {
                waiting: Some(ResetWaiting {
                    token,
                    reason: error.reason().as_str().to_owned(),
                    message: format!(
                        "not sent yet; sent once the wait is over: {}",
                        error.condition_message()
                    ),
                    not_before: error.retry_after_from(target.now).map(Time),
                }),
                ..*before
            };
            progress.persist().await?;
            return Err(error);
        }
        Err(error) if error.status().is_some() => {
            reset.request_id = error.request_id().map(str::to_owned);
            let note = Note::warning(
                Reason::ResetRejected,
                format!("reset {token:?} refused: {error}"),
            );
            let message = format!("{error}; set a new token to try again");
            (ResetOutcome::Rejected, Some(message), note)
        }
        Err(error) => {
            let message = format!(
                "the reset request got no answer ({error}); it may have reached Graph, so it is \
                 not resent: set a new token to reset again"
            );
            reset.request_id = None;
            let note = Note::warning(
                Reason::ResetOutcomeUnknown,
                format!("reset {token:?}: {message}"),
            );
            (ResetOutcome::OutcomeUnknown, Some(message), note)
        }
    };
    let accepted = outcome == ResetOutcome::Accepted;
    reset.record_handled(token, outcome, message);
    progress.note(note);
    progress.persist().await?;
    Ok(if accepted {
        ResetEffect::Sent
    } else {
        ResetEffect::None
    })
}
