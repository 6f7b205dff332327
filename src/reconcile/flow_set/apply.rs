//! The Graph half of a flow set's sync and deletion: credentials, observe, the plan authorised
//! by the grants, and its one Graph write, with the create intent made durable before the POST.

use graph::{ErrorClass, FlowSet, GraphClient};
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;
use uuid::Uuid;

use super::plan::{self, Observed, Step};
use super::status::{self, Outcome};
use super::{FlowSetContext, Writer};
use crate::crd::{
    CreateIntent, FlowSetOrigin, GrantedOperation, OutboundProvisioningFlowSet,
    OutboundProvisioningFlowSetStatus, Reason,
};
use crate::reconcile::access::Access;
use crate::reconcile::credentials;
use crate::reconcile::error::Error;
use crate::reconcile::events::Note;

/// How refusals name a flow set not made yet.
const NEW_FLOW_SET: &str = "(a new flow set)";

/// Credentials, observe, plan, authorise, apply.
pub async fn sync_graph(
    set: &OutboundProvisioningFlowSet,
    context: &FlowSetContext,
    status: &mut OutboundProvisioningFlowSetStatus,
    writer: &mut Writer,
    notes: &mut Vec<Note>,
) -> Result<Outcome, Error> {
    context.grants.wait_until_listed().await?;
    let access = context.grants.access_to_set(set);
    let namespace = set.namespace().unwrap_or_default();
    let described = set.flow_set_id().unwrap_or(NEW_FLOW_SET);
    access.require_in(&namespace, described, GrantedOperation::Observe)?;
    let graph = context.credentials.graph_client(set).await?;
    credentials::check_permission(&graph, set).await?;
    let observed = observe(&graph, set).await?;
    let step = plan::plan(set, status, observed, Timestamp::now())?;
    authorise(&step, set, context, &access)?;
    apply(&graph, set, step, status, writer, notes).await
}

/// The flow set by its id, or, without one, every flow set of the tenant (Graph filters no
/// flow set list, so the names are compared here).
async fn observe(
    graph: &GraphClient,
    set: &OutboundProvisioningFlowSet,
) -> Result<Observed, Error> {
    let Some(id) = set.flow_set_id() else {
        return Ok(Observed::Listed(graph.list_flow_sets().await?.value));
    };
    let found = match graph.get_flow_set(id).await {
        Ok(found) => Some(found.value),
        Err(error) if error.class() == ErrorClass::NotFound => None,
        Err(error) => return Err(error.into()),
    };
    Ok(Observed::ById {
        id: id.to_owned(),
        found,
    })
}

/// Refuses a step whose writes the grants do not allow. Taking over a flow set found in Graph is
/// judged by that flow set's id, never as the namespace's own.
fn authorise(
    step: &Step,
    set: &OutboundProvisioningFlowSet,
    context: &FlowSetContext,
    access: &Access,
) -> Result<(), Error> {
    use GrantedOperation::{Adopt, Manage, Observe};
    let namespace = set.namespace().unwrap_or_default();
    let described = set.flow_set_id().unwrap_or(NEW_FLOW_SET);
    match step {
        Step::Create { .. } | Step::Update(_) => {
            access.require_in(&namespace, described, Manage)?
        }
        Step::Adopt {
            found,
            origin: FlowSetOrigin::Created,
            update,
        } if *update => access.require_in(&namespace, &found.id, Manage)?,
        Step::Adopt {
            found,
            origin: FlowSetOrigin::Adopted,
            update,
        } => {
            let found_access = context.grants.access_to_found(set, &found.id);
            found_access.require_in(&namespace, &found.id, Observe)?;
            if !crate::crd::GraphResource::is_observe_only(set) {
                found_access.require_in(&namespace, &found.id, Adopt)?;
            }
            if *update {
                found_access.require_in(&namespace, &found.id, Manage)?;
            }
        }
        Step::Adopt { .. } | Step::Keep(_) | Step::AwaitVisibility => {}
    }
    Ok(())
}

async fn apply(
    graph: &GraphClient,
    set: &OutboundProvisioningFlowSet,
    step: Step,
    status: &mut OutboundProvisioningFlowSetStatus,
    writer: &mut Writer,
    notes: &mut Vec<Note>,
) -> Result<Outcome, Error> {
    let desired = set.desired();
    match step {
        Step::Keep(found) => status::mirror(status, &found),
        Step::Update(found) => {
            let id = found.id.clone();
            let drifted = status::changed_outside(status, &found);
            graph.update_flow_set(&id, &desired).await?;
            notes.push(match drifted {
                false => Note::normal(Reason::Updated, format!("updated flow set {id} to the spec")),
                true => Note::warning(
                    Reason::DriftCorrected,
                    format!(
                        "flow set {id} had been changed outside Kubernetes (Graph had {}); set it back to the spec",
                        status::described(&found)
                    ),
                ),
            });
            status::mirror(status, &as_updated(found, &desired));
        }
        Step::Create { recreate } => {
            if recreate {
                notes.push(Note::warning(
                    Reason::Recreated,
                    format!(
                        "flow set {} is gone from Graph; creating it again",
                        status.flow_set_id.take().unwrap_or_default()
                    ),
                ));
                status.origin = None;
            }
            let client_request_id = Uuid::new_v4();
            status.create_intent = Some(CreateIntent {
                client_request_id: client_request_id.to_string(),
                recorded_time: Time(Timestamp::now()),
            });
            // Durable before the POST: after a crash, the flow set it made is found by name.
            writer.write(status).await?;
            let created = match graph.create_flow_set(&desired, client_request_id).await {
                Ok(created) => created.value,
                Err(error) => {
                    if error.changed_nothing() {
                        status.create_intent = None;
                    }
                    return Err(error.into());
                }
            };
            notes.push(Note::normal(
                Reason::Created,
                format!("created flow set {}", created.id),
            ));
            record(status, &created, FlowSetOrigin::Created);
        }
        Step::Adopt {
            found,
            origin,
            update,
        } => {
            let message = match origin {
                FlowSetOrigin::Created => format!(
                    "found flow set {}, made by this resource's create request",
                    found.id
                ),
                FlowSetOrigin::Adopted => format!("adopted existing flow set {}", found.id),
            };
            notes.push(Note::normal(Reason::Adopted, message));
            record(status, &found, origin);
            if update {
                graph.update_flow_set(&found.id, &desired).await?;
                notes.push(Note::normal(
                    Reason::Updated,
                    format!("updated flow set {} to the spec", found.id),
                ));
                status::mirror(status, &as_updated(found, &desired));
            }
        }
        Step::AwaitVisibility => return Ok(Outcome::AwaitingVisibility),
    }
    Ok(Outcome::Synced)
}

/// Records `found` as the resource's flow set: its id at once, then what Graph shows of it.
fn record(status: &mut OutboundProvisioningFlowSetStatus, found: &FlowSet, origin: FlowSetOrigin) {
    status.flow_set_id = Some(found.id.clone());
    status.origin = Some(origin);
    status.create_intent = None;
    status::mirror(status, found);
}

/// `found` as the update just sent leaves it.
fn as_updated(mut found: FlowSet, desired: &graph::FlowSetSettings) -> FlowSet {
    found.display_name = Some(desired.display_name.clone());
    found.filter.clone_from(&desired.filter);
    found
}

/// Deletes the flow set in Graph (one already gone counts as deleted), if one was made.
pub async fn delete_in_graph(
    set: &OutboundProvisioningFlowSet,
    context: &FlowSetContext,
) -> Result<Note, Error> {
    let status = set.status_or_default();
    let nothing = || {
        Note::normal(
            Reason::Deleted,
            "no flow set was created for this resource; nothing to delete in Graph".into(),
        )
    };
    if set.flow_set_id().is_none() && status.create_intent.is_none() {
        return Ok(nothing());
    }
    context.grants.wait_until_listed().await?;
    let namespace = set.namespace().unwrap_or_default();
    let access = context.grants.access_to_set(set);
    let described = set.flow_set_id().unwrap_or(NEW_FLOW_SET);
    access.require_in(&namespace, described, GrantedOperation::Delete)?;
    let graph = context.credentials.graph_client(set).await?;
    // A create intent without an id: the POST may have made a flow set never recorded.
    let id = match set.flow_set_id() {
        Some(id) => Some(id.to_owned()),
        None => match plan::plan(set, &status, observe(&graph, set).await?, Timestamp::now()) {
            Ok(Step::Adopt {
                found,
                origin: FlowSetOrigin::Created,
                ..
            }) => Some(found.id),
            _ => None,
        },
    };
    let Some(id) = id else {
        return Ok(nothing());
    };
    match graph.delete_flow_set(&id).await {
        Ok(_) => {}
        Err(error) if error.class() == ErrorClass::NotFound => {}
        Err(error) => return Err(error.into()),
    }
    Ok(Note::normal(
        Reason::Deleted,
        format!("deleted flow set {id}"),
    ))
}
