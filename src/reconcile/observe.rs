//! Observe: the resource's flow as Graph has it now. One Graph read in the steady state: a
//! GET of the recorded flow; the flow set is listed only when no flow is recorded or the recorded
//! one is not found.

use graph::{ErrorClass, Flow, GraphClient};

use super::error::Error;
use crate::crd::{FlowKind, FlowStatus};

/// The flow of the resource's kind in its flow set, or `None` when the set holds none.
pub async fn observe_flow<K: FlowKind>(
    graph: &GraphClient,
    flow: &K,
    status: &FlowStatus<K::Mirror>,
) -> Result<Option<Flow<K::Config>>, Error> {
    let flow_set_id = flow.flow_spec().flow_set_id();
    if let Some(flow_id) = &status.flow_id {
        match graph.get_flow(flow_set_id, flow_id).await {
            Ok(response) => {
                if let Some(found) = response.value.into_flow::<K::Config>() {
                    return Ok(Some(found));
                }
            }
            // Deleted, not visible yet, or the whole set is gone: listing the set tells which.
            Err(error) if error.class() == ErrorClass::NotFound => {}
            Err(error) => return Err(error.into()),
        }
    }
    match graph.list_flows(flow_set_id).await {
        Ok(response) => Ok(response
            .value
            .into_iter()
            .find_map(|found| found.into_flow::<K::Config>())),
        Err(error) if error.class() == ErrorClass::NotFound => Err(Error::FlowSetNotFound {
            flow_set_id: flow_set_id.to_owned(),
        }),
        Err(error) => Err(error.into()),
    }
}
