//! One reconcile of a flow resource of any kind (a `FlowKind`), inside kube's finalizer helper:
//! observe (Secret, Graph) → plan (pure) → apply (Graph calls) → status (one patch, if changed).

mod access;
mod apply;
pub mod conflict;
mod context;
mod credentials;
mod debounce;
mod deletion;
mod error;
mod events;
pub mod flow_set;
mod grants;
mod kube_action;
mod memory;
mod observe;
mod placement;
mod plan;
mod progress;
mod refresh_token_store;
mod requeue;
mod secret_values;
mod status;

use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;
use kube::runtime::controller::Action;
use kube::runtime::finalizer::{self, Event};
use kube::{Api, ResourceExt};

pub use context::Context;
pub use credentials::Credentials;
pub use error::{Error, KubeAction, Refusal, Retry};
pub use grants::Grants;
pub use placement::FlowSets;
pub use requeue::{after_failure, first_reconciles};

use self::apply::{Applied, Target};
use self::events::Note;
use self::progress::Progress;
use self::status::Health;
use crate::crd::{FINALIZER, FlowKind, GrantedOperation, Inputs};

/// Reconciles one resource; errors go to `controller::error_policy` after status and events say
/// what went wrong.
pub async fn reconcile<K: FlowKind>(
    flow: Arc<K>,
    context: Arc<Context<K>>,
) -> Result<Action, Error> {
    let trigger = debounce::Trigger::of(flow.as_ref());
    if let Some(wait) = context.remember(flow.as_ref(), |memory| {
        memory.debounce(trigger, Instant::now())
    }) {
        return Ok(Action::requeue(wait));
    }
    let _slot = context.state.reconcile_slot().await;
    let started = Instant::now();
    let namespace = flow.namespace().unwrap_or_default();
    let api: Api<K> = Api::namespaced(context.client.clone(), &namespace);
    let result = finalizer::finalizer(&api, FINALIZER, flow.clone(), |event| async {
        match event {
            Event::Apply(flow) => sync(flow.as_ref(), &api, &context).await,
            Event::Cleanup(flow) => {
                let flow = placement::recorded(flow.as_ref());
                deletion::clean_up(flow.as_ref(), &api, &context).await
            }
        }
    })
    .await
    .map_err(|error| Error::from_finalizer(error, KubeAction::resources_of::<K>(), namespace));
    if result.is_ok() {
        context.remember(flow.as_ref(), |memory| memory.failures = 0);
    }
    let error = result.as_ref().err().map(Error::reason);
    context.state.metrics.reconciled(error, started.elapsed());
    result
}

/// Brings Graph to the spec and reports what Graph says.
async fn sync<K: FlowKind>(flow: &K, api: &Api<K>, context: &Context<K>) -> Result<Action, Error> {
    let now = Timestamp::now();
    let mut progress = Progress::new(api.clone(), flow);
    if let Some(token) = plan::first_sight_token(flow, &progress.status) {
        apply::record_first_sight(&mut progress, token);
    }
    if flow.is_paused() {
        plan::hold_reset_while_paused(flow, &mut progress.status);
        return report(flow, context, progress, Ok(None), now).await;
    }
    let placed = match placement::resolve(flow, &context.flow_sets) {
        Ok(placed) => placed,
        Err(error) => return report(flow, context, progress, Err(error), now).await,
    };
    let flow = placed.as_ref();
    // Remembered before a first read is put off, so that only a grant change that changes it
    // wakes the resource early.
    let access = match context.grants.wait_until_listed().await {
        Ok(()) => context.grants.access(flow),
        Err(error) => return report(flow, context, progress, Err(error), now).await,
    };
    context.remember(flow, |memory| memory.access = Some(access.digest()));
    if let Some(wait) = requeue::defer_first_read(flow, context) {
        return Ok(context.requeue_after(flow, wait));
    }
    let result = sync_graph(flow, context, &mut progress, &access, now).await;
    report(flow, context, progress, result.map(Some), now).await
}

/// The Graph half of a sync: credentials, conflicts, observe, plan, apply.
async fn sync_graph<K: FlowKind>(
    flow: &K,
    context: &Context<K>,
    progress: &mut Progress<K>,
    access: &access::Access,
    now: Timestamp,
) -> Result<Applied<K::Config>, Error> {
    access.require(flow, GrantedOperation::Observe)?;
    conflict::refuse_conflict(flow, context).await?;
    let graph = context.credentials.graph_client(flow).await?;
    credentials::check_permission(&graph, flow).await?;
    // ObserveOnly never sends a value, so it needs none.
    let secrets = match flow.is_observe_only() {
        true => secret_values::SecretValues::default(),
        false => secret_values::read(&context.client, flow).await?,
    };
    let desired = flow.desired(&Inputs {
        endpoints: &context.config.endpoints,
        secrets: &secrets.values,
    });
    let observed = observe::observe_flow(&graph, flow, &progress.status).await?;
    requeue::record_read(flow, context);
    let shows_recorded = observed
        .as_ref()
        .is_some_and(|found| progress.status.flow_id.as_deref() == Some(found.id.as_str()));
    let memory = context.remember(flow, |memory| {
        memory.flow_seen |= shows_recorded;
        memory.clone()
    });
    let plan = plan::plan(
        flow,
        &progress.status,
        observed.as_ref(),
        &secrets.fingerprints,
        &memory,
        now,
        context.config.min_reset_interval,
    );
    let plan = access::authorise(plan, flow, &progress.status, access);
    let in_sync = plan.flow == plan::FlowStep::Keep;
    if matches!(plan.flow, plan::FlowStep::Create { .. }) {
        // A new flow: not shown by Graph yet.
        context.remember(flow, |memory| memory.flow_seen = false);
    }
    let target = Target {
        graph: &graph,
        flow,
        desired: &desired,
        fingerprints: &secrets.fingerprints,
        now,
    };
    let applied = apply::apply(&target, plan, observed, progress).await?;
    if applied.sent_update.is_some() || in_sync {
        context.remember(flow, |memory| {
            memory.last_update = applied.sent_update.clone().map(Box::new);
        });
    }
    Ok(applied)
}

/// Writes the status the sync ends with, publishes its events, and decides when to come back.
/// `Ok(None)`: paused, nothing was read.
async fn report<K: FlowKind>(
    flow: &K,
    context: &Context<K>,
    mut progress: Progress<K>,
    result: Result<Option<Applied<K::Config>>, Error>,
    now: Timestamp,
) -> Result<Action, Error> {
    let health = match &result {
        Ok(Some(applied)) => Health::Synced {
            flow: applied.flow.clone(),
        },
        Ok(None) => Health::Paused,
        Err(error) => {
            let stale = requeue::is_stale(flow, context);
            Health::failed(error, error.condition_message(), stale)
        }
    };
    if let Health::Synced {
        flow: Some(graph_flow),
    } = &health
    {
        status::mirror::<K>(&mut progress.status, graph_flow);
    }
    let finished = status::finish(flow, progress.status.clone(), &health, now);
    if let Err(error) = &result {
        progress
            .notes
            .extend(Note::failure(flow, error, error.to_string()));
    }
    let (written, notes) = progress.finish(&finished).await;
    events::publish(context, flow, notes).detach();
    written?;
    match result? {
        None => Ok(Action::await_change()),
        Some(applied) => Ok(requeue::after_sync(context, flow, &applied, now)),
    }
}
