//! Deletion: the deletion policy applied before the finalizer is removed, and, when it cannot be,
//! status and an event that say why and how to let the resource go.

use jiff::Timestamp;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::runtime::controller::Action;
use kube::{Api, Client, CustomResourceExt};

use super::error::{Error, KubeAction, Refusal};
use super::events::{self, Note};
use super::progress::Progress;
use super::status::{self, Health};
use super::{Context, observe, requeue};
use crate::crd::{DeletionPolicy, FlowKind, FlowStatus, GrantedOperation, Reason};
use graph::ErrorClass;

/// Applies the deletion policy; the finalizer goes once this succeeds.
pub async fn clean_up<K: FlowKind>(
    flow: &K,
    api: &Api<K>,
    context: &Context<K>,
) -> Result<Action, Error> {
    let result = apply_deletion_policy(flow, context).await;
    if let Err(error) = &result {
        report_blocked(flow, api, context, error).await;
    }
    result
}

async fn apply_deletion_policy<K: FlowKind>(
    flow: &K,
    context: &Context<K>,
) -> Result<Action, Error> {
    let policy = flow.deletion_policy_or(context.config.default_deletion_policy);
    let status = flow.status_or_default();
    let orphan = |why: &str| {
        Note::normal(
            Reason::Orphaned,
            match &status.flow_id {
                Some(id) => format!("left flow {id} in Graph ({why})"),
                None => "no flow was recorded; nothing to leave behind".into(),
            },
        )
    };
    let note = if policy == DeletionPolicy::Orphan {
        orphan("deletion policy Orphan")
    } else if flow.is_observe_only() {
        orphan("managementPolicy ObserveOnly")
    } else if crd_is_going::<K>(&context.client).await? {
        // Removing the CRD deletes every resource; that must never empty Graph.
        orphan("the CustomResourceDefinition itself is being deleted")
    } else if flow.is_paused() {
        return Err(Refusal::DeletionPaused.into());
    } else {
        delete_in_graph(flow, context, &status).await?
    };
    events::publish(context, flow, [note]).wait().await;
    context.forget(flow);
    Ok(Action::await_change())
}

/// A deletion that cannot apply its policy says so in status and in an event, with the way out:
/// Orphan lets the resource go and leaves the flow in Graph. It is retried after a back-off.
async fn report_blocked<K: FlowKind>(flow: &K, api: &Api<K>, context: &Context<K>, error: &Error) {
    let with_way_out = |what: String| {
        if matches!(error, Error::Refused(Refusal::DeletionPaused)) {
            what
        } else {
            format!(
                "deletion waits: the flow cannot be deleted in Graph: {what}; to let the resource \
                 go and leave the flow in Graph, set spec.deletionPolicy to Orphan"
            )
        }
    };
    let stale = requeue::is_stale(flow, context);
    let health = Health::failed(error, with_way_out(error.condition_message()), stale);
    let finished = status::finish(flow, flow.status_or_default(), &health, Timestamp::now());
    let (written, _) = Progress::new(api.clone(), flow).finish(&finished).await;
    if let Err(write_error) = written {
        tracing::warn!(error = %write_error, "could not record why the deletion waits");
    }
    let note = Note::failure(flow, error, with_way_out(error.to_string()));
    events::publish(context, flow, note).detach();
}

/// Whether the CRD of `R` is being deleted (or already gone), which deletes every resource with
/// it.
pub(super) async fn crd_is_going<R: CustomResourceExt>(client: &Client) -> Result<bool, Error> {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let resources = R::crd_name();
    let crd = crds.get_opt(resources).await.map_err(|source| {
        Error::kube(
            KubeAction::ReadCustomResourceDefinition { resources },
            source,
        )
    })?;
    Ok(crd.is_none_or(|crd| crd.metadata.deletion_timestamp.is_some()))
}

async fn delete_in_graph<K: FlowKind>(
    flow: &K,
    context: &Context<K>,
    status: &FlowStatus<K::Mirror>,
) -> Result<Note, Error> {
    let nothing_to_delete = || {
        Note::normal(
            Reason::Deleted,
            "no flow was created for this resource; nothing to delete in Graph".into(),
        )
    };
    if status.flow_id.is_none() && status.create_intent.is_none() {
        return Ok(nothing_to_delete());
    }
    context.grants.wait_until_listed().await?;
    context
        .grants
        .access(flow)
        .require(flow, GrantedOperation::Delete)?;
    let graph = context.credentials.graph_client(flow).await?;
    let flow_set_id = flow.flow_spec().flow_set_id();
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
        return Ok(nothing_to_delete());
    };
    match graph.delete_flow(flow_set_id, &flow_id).await {
        Ok(_) => {}
        Err(error) if error.class() == ErrorClass::NotFound => {}
        Err(error) => return Err(error.into()),
    }
    Ok(Note::normal(
        Reason::Deleted,
        format!("deleted flow {flow_id} from flow set {flow_set_id}"),
    ))
}
