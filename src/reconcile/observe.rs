//! Observe: the security-group flow as Graph has it now. One Graph read in the steady state: a
//! GET of the recorded flow; the flow set is listed only when no flow is recorded or the recorded
//! one is not found.

use graph::{ErrorClass, GraphClient, ProvisioningFlow, SecurityGroupFlow};

use super::error::Error;
use crate::crd::{SecurityGroupProvisioningFlow, SecurityGroupProvisioningFlowStatus};

/// The security-group flow in the resource's flow set, or `None` when the set holds none.
pub async fn observe_flow(
    graph: &GraphClient,
    flow: &SecurityGroupProvisioningFlow,
    status: &SecurityGroupProvisioningFlowStatus,
) -> Result<Option<SecurityGroupFlow>, Error> {
    let flow_set_id = &flow.spec.flow_set_id;
    if let Some(flow_id) = &status.flow_id {
        match graph.get_flow(flow_set_id, flow_id).await {
            Ok(response) => {
                if let ProvisioningFlow::SecurityGroup(found) = response.value {
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
            .find_map(ProvisioningFlow::into_security_group)),
        Err(error) if error.class() == ErrorClass::NotFound => Err(Error::FlowSetNotFound {
            flow_set_id: flow_set_id.clone(),
        }),
        Err(error) => Err(error.into()),
    }
}
