//! One reconcile of an `OutboundProvisioningFlowSet`, inside kube's finalizer helper: observe
//! (Graph) → plan (pure) → apply (Graph calls) → status (one patch, if changed). Its deletion
//! waits until no flow resource names the flow set.

mod apply;
mod context;
mod plan;
mod status;

use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;
use kube::runtime::controller::Action;
use kube::runtime::finalizer::{self, Event};
use kube::{Api, ResourceExt};

pub use context::{FlowSetContext, FlowStores};

use self::status::Outcome;
use super::error::{Error, KubeAction, Refusal};
use super::events::{self, Note};
use super::progress::StatusWriter;
use super::requeue::after_failure;
use crate::crd::{
    DeletionPolicy, FINALIZER, GraphResource as _, OutboundProvisioningFlowSet,
    OutboundProvisioningFlowSetStatus, Reason,
};

type Writer = StatusWriter<OutboundProvisioningFlowSet, OutboundProvisioningFlowSetStatus>;

/// Reconciles one flow set resource.
pub async fn reconcile(
    set: Arc<OutboundProvisioningFlowSet>,
    context: Arc<FlowSetContext>,
) -> Result<Action, Error> {
    let _slot = context.state.reconcile_slot().await;
    let started = Instant::now();
    let namespace = set.namespace().unwrap_or_default();
    let api: Api<OutboundProvisioningFlowSet> = Api::namespaced(context.client.clone(), &namespace);
    let result = finalizer::finalizer(&api, FINALIZER, set.clone(), |event| async {
        match event {
            Event::Apply(set) => sync(&set, &api, &context).await,
            Event::Cleanup(set) => clean_up(&set, &api, &context).await,
        }
    })
    .await
    .map_err(|error| {
        let resources = KubeAction::resources_of::<OutboundProvisioningFlowSet>();
        Error::from_finalizer(error, resources, namespace)
    });
    if result.is_ok() {
        context.succeeded(&set);
    }
    let error = result.as_ref().err().map(Error::reason);
    context.state.metrics.reconciled(error, started.elapsed());
    result
}

/// Maps a failed reconcile to its retry; status and events already say what went wrong.
pub fn error_policy(
    set: Arc<OutboundProvisioningFlowSet>,
    error: &Error,
    context: Arc<FlowSetContext>,
) -> Action {
    let failures = context.count_failure(&set);
    let name = set.name_any();
    tracing::warn!(name, reason = %error.reason(), failures, %error, "reconcile failed");
    Action::requeue(after_failure(
        error.retry(),
        failures,
        context.config.resync_period,
    ))
}

/// Brings Graph's flow set to the spec and reports it.
async fn sync(
    set: &OutboundProvisioningFlowSet,
    api: &Api<OutboundProvisioningFlowSet>,
    context: &FlowSetContext,
) -> Result<Action, Error> {
    let mut status = set.status_or_default();
    let mut writer = Writer::new(api.clone(), set, status.clone());
    let mut notes = Vec::new();
    let result = match set.is_paused() {
        true => Ok(Outcome::Paused),
        false => apply::sync_graph(set, context, &mut status, &mut writer, &mut notes).await,
    };
    report(set, context, status, writer, notes, result).await
}

/// Writes the status the sync ends with, publishes its events, and decides when to come back.
async fn report(
    set: &OutboundProvisioningFlowSet,
    context: &FlowSetContext,
    status: OutboundProvisioningFlowSetStatus,
    mut writer: Writer,
    mut notes: Vec<Note>,
    result: Result<Outcome, Error>,
) -> Result<Action, Error> {
    let finished = status::finish(set, status, &result, Timestamp::now());
    if let Err(error) = &result {
        notes.extend(status::failure_note(set, error));
    }
    let written = writer.write(&finished).await;
    events::record(&context.recorder, &context.state, set, notes).detach();
    written?;
    Ok(match result? {
        Outcome::Paused => Action::await_change(),
        Outcome::AwaitingVisibility => Action::requeue(std::time::Duration::from_secs(5)),
        Outcome::Synced => Action::requeue(super::requeue::jittered(context.config.resync_period)),
    })
}

/// Deletion: once no flow resource names the flow set, the deletion policy is applied.
async fn clean_up(
    set: &OutboundProvisioningFlowSet,
    api: &Api<OutboundProvisioningFlowSet>,
    context: &FlowSetContext,
) -> Result<Action, Error> {
    let result = apply_deletion_policy(set, context).await;
    if let Err(error) = &result {
        let finished = status::finish(set, set.status_or_default(), &Err(error), Timestamp::now());
        let mut writer = Writer::new(api.clone(), set, set.status_or_default());
        if let Err(write_error) = writer.write(&finished).await {
            tracing::warn!(error = %write_error, "could not record why the deletion waits");
        }
        let note = status::failure_note(set, error);
        events::record(&context.recorder, &context.state, set, note).detach();
    }
    result
}

async fn apply_deletion_policy(
    set: &OutboundProvisioningFlowSet,
    context: &FlowSetContext,
) -> Result<Action, Error> {
    let flows = context.flows.naming(set);
    if !flows.is_empty() {
        return Err(Error::FlowsRemain {
            flows: flows.join(", "),
        });
    }
    let policy = set.deletion_policy_or(context.config.default_deletion_policy);
    let orphan = |why: &str| {
        let message = match set.flow_set_id() {
            Some(id) => format!("left flow set {id} in Graph ({why})"),
            None => "no flow set was recorded; nothing to leave behind".into(),
        };
        Note::normal(Reason::Orphaned, message)
    };
    let note = if policy == DeletionPolicy::Orphan {
        orphan("deletion policy Orphan")
    } else if set.is_observe_only() {
        orphan("managementPolicy ObserveOnly")
    } else if super::deletion::crd_is_going::<OutboundProvisioningFlowSet>(&context.client).await? {
        orphan("the CustomResourceDefinition itself is being deleted")
    } else if set.is_paused() {
        return Err(Refusal::DeletionPaused.into());
    } else {
        apply::delete_in_graph(set, context).await?
    };
    events::record(&context.recorder, &context.state, set, [note])
        .wait()
        .await;
    context.forget(set);
    Ok(Action::await_change())
}
