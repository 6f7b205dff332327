//! One reconcile of a `SecurityGroupProvisioningFlow`, inside kube's finalizer helper:
//! observe (Secret, Graph) → plan (pure) → apply (Graph calls) → status (one patch, if changed).

mod apply;
pub mod conflict;
mod debounce;
mod error;
mod memory;
mod observe;
mod plan;
mod refresh_token_store;
mod status;

use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::runtime::controller::Action;
use kube::runtime::events::{Event as KubeEvent, EventType};
use kube::runtime::finalizer::{self, Event};
use kube::{Api, CustomResourceExt as _, Resource, ResourceExt};

pub use conflict::same_flow_set;
pub use error::{Error, Retry};
pub use memory::{Memory, SentUpdate, switch_credential};

use graph::ErrorClass;

use self::apply::{Applied, Note, Target};
use self::status::{Health, StatusWriter};
use crate::controller::Context;
use crate::crd::{
    ConditionType, DeletionPolicy, FINALIZER, ManagementPolicy, PAUSED_ANNOTATION, Reason,
    SecurityGroupProvisioningFlow,
};

/// Reconciles one resource; errors go to `controller::error_policy` after status and events say
/// what went wrong.
pub async fn reconcile(
    flow: Arc<SecurityGroupProvisioningFlow>,
    context: Arc<Context>,
) -> Result<Action, Error> {
    let started = Instant::now();
    let trigger = debounce::Trigger::of(&flow);
    let wait = context.remember(&flow, |memory| {
        let wait = debounce::wait_before(memory.last_trigger.as_ref(), &trigger);
        if wait.is_none() {
            memory.last_trigger = Some((trigger, started));
        }
        wait
    });
    if let Some(wait) = wait {
        return Ok(Action::requeue(wait));
    }
    let api: Api<SecurityGroupProvisioningFlow> = Api::namespaced(
        context.client.clone(),
        &flow.namespace().unwrap_or_default(),
    );
    let result = finalizer::finalizer(&api, FINALIZER, flow.clone(), |event| async {
        match event {
            Event::Apply(flow) => sync(&flow, &api, &context).await,
            Event::Cleanup(flow) => {
                let result = cleanup(&flow, &context).await;
                if let Err(error) = &result {
                    report_blocked_deletion(&flow, &api, &context, error).await;
                }
                result
            }
        }
    })
    .await
    .map_err(|error| match error {
        finalizer::Error::ApplyFailed(error) | finalizer::Error::CleanupFailed(error) => error,
        finalizer::Error::AddFinalizer(error) | finalizer::Error::RemoveFinalizer(error) => {
            Error::Kube(error)
        }
        other => Error::Refused {
            reason: Reason::KubernetesApiError,
            message: other.to_string(),
        },
    });
    if result.is_ok() {
        context.remember(&flow, |memory| memory.failures = 0);
    }
    let error = result.as_ref().err().map(Error::reason);
    context.state.metrics.reconciled(error, started.elapsed());
    result
}

/// Brings Graph to the spec and reports what Graph says.
async fn sync(
    flow: &SecurityGroupProvisioningFlow,
    api: &Api<SecurityGroupProvisioningFlow>,
    context: &Context,
) -> Result<Action, Error> {
    let now = Timestamp::now();
    let mut writer = StatusWriter::new(api.clone(), flow);
    let mut working = flow.status.clone().unwrap_or_default();
    let mut notes = Vec::new();
    if let Some(token) = plan::first_sight_token(flow, &working) {
        apply::record_first_sight(&mut working, token, &mut notes);
    }

    if !is_paused(flow) && defer_first_read(flow, context) {
        return Ok(Action::requeue(crate::controller::spread(
            context.config.resync_period,
        )));
    }
    let result = if is_paused(flow) {
        plan::hold_reset_while_paused(flow, &mut working);
        Ok(None)
    } else {
        sync_graph(flow, context, &mut working, &mut writer, &mut notes, now)
            .await
            .map(Some)
    };

    let health = match &result {
        Ok(Some(applied)) => Health::Synced {
            flow: applied.flow.clone(),
        },
        Ok(None) => Health::Paused,
        Err(error) => failed(flow, context, error, error.condition_message()),
    };
    if let Health::Synced {
        flow: Some(graph_flow),
    } = &health
    {
        status::mirror(&mut working, graph_flow);
    }
    let finished = status::finish(flow, working, &health, now);
    if let Err(error) = &result {
        notes.extend(failure_note(flow, error, error.to_string()));
    }
    let written = writer.write(&finished).await;
    publish(context, flow, notes).await;
    written?;

    match result? {
        None => Ok(Action::await_change()),
        Some(applied) => Ok(next_sync(context, &applied, now)),
    }
}

async fn sync_graph(
    flow: &SecurityGroupProvisioningFlow,
    context: &Context,
    working: &mut crate::crd::SecurityGroupProvisioningFlowStatus,
    writer: &mut StatusWriter,
    notes: &mut Vec<Note>,
    now: Timestamp,
) -> Result<Applied, Error> {
    refuse_conflict(flow, context).await?;
    let graph = observe::graph_client(flow, context).await?;
    context.use_credential(flow, graph.credential().fingerprint());
    observe::check_permission(&graph, flow).await?;
    let observed = observe::observe_flow(&graph, flow, working).await?;
    let last_update = context.remember(flow, |memory| {
        memory.last_read = Some(Instant::now());
        memory.last_update.clone()
    });
    let plan = plan::plan(
        flow,
        working,
        observed.as_ref(),
        last_update.as_ref(),
        now,
        context.config.min_reset_interval,
    );
    let in_sync = plan.flow == plan::FlowStep::Keep;
    let target = Target {
        graph: &graph,
        flow,
        now,
    };
    let applied = apply::apply(&target, plan, observed, working, writer, notes).await?;
    if applied.sent_update.is_some() || in_sync {
        context.remember(flow, |memory| {
            memory.last_update.clone_from(&applied.sent_update)
        });
    }
    Ok(applied)
}

/// A resource this process has not read yet but whose status is settled waits for a random
/// moment in the resync period: a restart then spreads its Graph reads instead of reading every
/// resource at once. Ready stays valid meanwhile (the freshness window is longer).
fn defer_first_read(flow: &SecurityGroupProvisioningFlow, context: &Context) -> bool {
    let settled = flow
        .status
        .as_ref()
        .is_some_and(|status| plan::settled(flow, status));
    context.remember(flow, |memory| {
        let defer = settled && memory.last_read.is_none() && !memory.first_read_deferred;
        memory.first_read_deferred |= defer;
        defer
    })
}

/// The health a failed reconcile reports, with `message` as the conditions' message.
fn failed(
    flow: &SecurityGroupProvisioningFlow,
    context: &Context,
    error: &Error,
    message: String,
) -> Health {
    if error.needs_person() {
        Health::Stalled {
            reason: error.reason(),
            message,
        }
    } else {
        Health::Retrying {
            reason: error.reason(),
            message,
            stale: is_stale(flow, context),
        }
    }
}

/// A warning event for a failure, once: not again while the Synced condition already shows it.
fn failure_note(
    flow: &SecurityGroupProvisioningFlow,
    error: &Error,
    message: String,
) -> Option<Note> {
    (previous_reason(flow, ConditionType::Synced) != Some(error.reason().as_str())).then(|| Note {
        reason: error.reason(),
        message,
        warning: true,
    })
}

/// A deletion that cannot apply its policy says so in status and in an event, with the way out:
/// Orphan lets the resource go and leaves the flow in Graph. It is retried after a back-off.
async fn report_blocked_deletion(
    flow: &SecurityGroupProvisioningFlow,
    api: &Api<SecurityGroupProvisioningFlow>,
    context: &Context,
    error: &Error,
) {
    let with_way_out = |what: String| {
        if error.reason() == Reason::Paused {
            what
        } else {
            format!(
                "deletion waits: the flow cannot be deleted in Graph: {what}; to let the resource \
                 go and leave the flow in Graph, set spec.deletionPolicy to Orphan"
            )
        }
    };
    let health = failed(
        flow,
        context,
        error,
        with_way_out(error.condition_message()),
    );
    let working = flow.status.clone().unwrap_or_default();
    let finished = status::finish(flow, working, &health, Timestamp::now());
    if let Err(write_error) = StatusWriter::new(api.clone(), flow).write(&finished).await {
        tracing::warn!(error = %write_error, "could not record why the deletion waits");
    }
    let note = failure_note(flow, error, with_way_out(error.to_string()));
    publish(context, flow, note.into_iter().collect()).await;
}

/// Whether Graph has not been read for this resource for longer than the freshness window.
fn is_stale(flow: &SecurityGroupProvisioningFlow, context: &Context) -> bool {
    let last_read = context.recall(flow).last_read.unwrap_or(context.started);
    last_read.elapsed() > context.config.freshness_window
}

/// Stalls `flow` when an older resource manages the same flow set.
async fn refuse_conflict(
    flow: &SecurityGroupProvisioningFlow,
    context: &Context,
) -> Result<(), Error> {
    let Some(owner) = conflict::older_claimant(flow, &context.resources.state()) else {
        return Ok(());
    };
    // The cache may lag a deletion that just finished: ask the API server before stalling.
    if owner.metadata.deletion_timestamp.is_some() {
        let api: Api<SecurityGroupProvisioningFlow> = Api::namespaced(
            context.client.clone(),
            &owner.namespace().unwrap_or_default(),
        );
        let current = api.get_opt(&owner.name_any()).await?;
        if current.is_none_or(|current| current.uid() != owner.uid()) {
            return Ok(());
        }
    }
    Err(Error::Refused {
        reason: Reason::Conflict,
        message: format!(
            "flow set {} is already managed by {}/{}, which is older; this resource makes no Graph \
             call until that one is deleted or points elsewhere",
            flow.spec.flow_set_id,
            owner.namespace().unwrap_or_default(),
            owner.name_any()
        ),
    })
}

/// Soon while something is expected to change in Graph, else after the resync period; no later
/// than a waiting reset is due.
fn next_sync(context: &Context, applied: &Applied, now: Timestamp) -> Action {
    let settling = applied.wrote
        || applied
            .flow
            .as_ref()
            .is_none_or(|flow| flow.readiness_status == graph::ReadinessStatus::NotReady);
    let wait = if settling {
        context.config.poll_interval
    } else {
        crate::controller::jittered(context.config.resync_period)
    };
    let reset_due = applied
        .reset_due
        .and_then(|due| std::time::Duration::try_from(due.duration_since(now)).ok());
    Action::requeue(reset_due.map_or(wait, |due| wait.min(due)))
}

/// Applies the deletion policy before the finalizer is removed.
async fn cleanup(flow: &SecurityGroupProvisioningFlow, context: &Context) -> Result<Action, Error> {
    let policy = flow
        .spec
        .deletion_policy
        .unwrap_or(context.config.default_deletion_policy);
    let status = flow.status.clone().unwrap_or_default();
    let orphan = |why: &str| Note {
        reason: Reason::Orphaned,
        message: match &status.flow_id {
            Some(id) => format!("left flow {id} in Graph ({why})"),
            None => "no flow was recorded; nothing to leave behind".into(),
        },
        warning: false,
    };
    let note = if policy == DeletionPolicy::Orphan {
        orphan("deletion policy Orphan")
    } else if flow.spec.management_policy == ManagementPolicy::ObserveOnly {
        orphan("managementPolicy ObserveOnly")
    } else if crd_is_going(context).await? {
        // Removing the CRD deletes every resource; that must never empty Graph.
        orphan("the CustomResourceDefinition itself is being deleted")
    } else if is_paused(flow) {
        return Err(Error::Refused {
            reason: Reason::Paused,
            message: format!(
                "deletion waits: {PAUSED_ANNOTATION} is \"true\", so the flow cannot be deleted in Graph; \
                 remove the annotation, or set spec.deletionPolicy to Orphan"
            ),
        });
    } else {
        delete_in_graph(flow, context, &status).await?
    };
    publish(context, flow, vec![note]).await;
    context.forget(flow);
    Ok(Action::await_change())
}

/// Whether the CRD is being deleted (or already gone), which deletes every resource with it.
async fn crd_is_going(context: &Context) -> Result<bool, Error> {
    let crds: Api<CustomResourceDefinition> = Api::all(context.client.clone());
    let crd = crds
        .get_opt(SecurityGroupProvisioningFlow::crd_name())
        .await?;
    Ok(crd.is_none_or(|crd| crd.metadata.deletion_timestamp.is_some()))
}

async fn delete_in_graph(
    flow: &SecurityGroupProvisioningFlow,
    context: &Context,
    status: &crate::crd::SecurityGroupProvisioningFlowStatus,
) -> Result<Note, Error> {
    let graph = observe::graph_client(flow, context).await?;
    let flow_set_id = &flow.spec.flow_set_id;
    // A create intent without an id means a POST may have created a flow we never recorded.
    let flow_id = match (&status.flow_id, &status.create_intent) {
        (Some(id), _) => Some(id.clone()),
        (None, Some(_)) => match observe::observe_flow(&graph, flow, status).await {
            Ok(found) => found.map(|found| found.id),
            Err(Error::FlowSetNotFound { .. }) => None,
            Err(error) => return Err(error),
        },
        (None, None) => None,
    };
    let Some(flow_id) = flow_id else {
        return Ok(Note {
            reason: Reason::Deleted,
            message: "no flow was created for this resource; nothing to delete in Graph".into(),
            warning: false,
        });
    };
    match graph.delete_flow(flow_set_id, &flow_id).await {
        Ok(_) => {}
        Err(error) if error.class() == ErrorClass::NotFound => {}
        Err(error) => return Err(error.into()),
    }
    Ok(Note {
        reason: Reason::Deleted,
        message: format!("deleted flow {flow_id} from flow set {flow_set_id}"),
        warning: false,
    })
}

fn is_paused(flow: &SecurityGroupProvisioningFlow) -> bool {
    flow.annotations()
        .get(PAUSED_ANNOTATION)
        .is_some_and(|value| value == "true")
}

fn previous_reason(flow: &SecurityGroupProvisioningFlow, kind: ConditionType) -> Option<&str> {
    flow.status
        .as_ref()?
        .conditions
        .iter()
        .find(|condition| condition.type_ == kind.as_str())
        .map(|condition| condition.reason.as_str())
}

/// The API server refuses an event whose note is longer than this many bytes.
const EVENT_NOTE_LIMIT: usize = 1024;

/// `message` cut to fit an event's note, on a character boundary, marked as cut.
fn truncate_note(mut message: String) -> String {
    const MARK: &str = " …";
    if message.len() <= EVENT_NOTE_LIMIT {
        return message;
    }
    let mut end = EVENT_NOTE_LIMIT - MARK.len();
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    message.truncate(end);
    message.push_str(MARK);
    message
}

/// Events are best effort: a failure to record one is logged, never retried.
async fn publish(context: &Context, flow: &SecurityGroupProvisioningFlow, notes: Vec<Note>) {
    let reference = flow.object_ref(&());
    for note in notes {
        context.state.metrics.event(note.reason, note.warning);
        let event = KubeEvent {
            type_: if note.warning {
                EventType::Warning
            } else {
                EventType::Normal
            },
            reason: note.reason.as_str().to_owned(),
            note: Some(truncate_note(note.message)),
            action: "Reconcile".into(),
            secondary: None,
        };
        if let Err(error) = context.recorder.publish(&event, &reference).await {
            tracing::warn!(%error, "could not record an event");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_event_notes_are_cut_to_the_api_limit_on_a_character_boundary() {
        assert_eq!(truncate_note("short".into()), "short");
        let exact = "a".repeat(EVENT_NOTE_LIMIT);
        assert_eq!(truncate_note(exact.clone()), exact);
        let long = "é".repeat(EVENT_NOTE_LIMIT);
        let cut = truncate_note(long);
        assert!(cut.len() <= EVENT_NOTE_LIMIT, "{}", cut.len());
        assert!(cut.ends_with(" …") && cut.starts_with("éé"), "{cut}");
    }
}
