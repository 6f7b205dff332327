//! Observe: the credential (the resource's Secret or the operator's own) and the security-group
//! flow as Graph has it now. One Graph read in the steady state: a GET of the recorded flow; the
//! flow set is listed only when no flow is recorded or the recorded one is not found.

use k8s_openapi::api::core::v1::Secret;
use kube::{Api, ResourceExt};

use super::Error;
use crate::controller::Context;
use crate::crd::{SecurityGroupProvisioningFlow, SecurityGroupProvisioningFlowStatus};
use crate::graph::{
    Credential, ErrorClass, GraphClient, ProvisioningFlow,
    SecurityGroupProvisioningFlow as GraphFlow,
};

/// The Graph client for the credential this resource uses.
pub async fn graph_client(
    flow: &SecurityGroupProvisioningFlow,
    context: &Context,
) -> Result<GraphClient, Error> {
    let credential = match &flow.spec.credentials_secret_ref {
        Some(reference) => {
            let namespace = flow.namespace().unwrap_or_default();
            let secret = Api::<Secret>::namespaced(context.client.clone(), &namespace)
                .get_opt(&reference.name)
                .await?
                .ok_or_else(|| Error::SecretNotFound {
                    namespace: namespace.clone(),
                    name: reference.name.clone(),
                })?;
            Credential::from_secret_data(&secret.data.unwrap_or_default()).map_err(|source| {
                Error::SecretInvalid {
                    namespace,
                    name: reference.name.clone(),
                    source,
                }
            })?
        }
        None => context
            .config
            .default_credential
            .clone()
            .ok_or(Error::NoDefaultCredential)?,
    };
    Ok(context.graph_clients.client_for(credential))
}

/// The security-group flow in the resource's flow set, or `None` when the set holds none.
pub async fn observe_flow(
    graph: &GraphClient,
    flow: &SecurityGroupProvisioningFlow,
    status: &SecurityGroupProvisioningFlowStatus,
) -> Result<Option<GraphFlow>, Error> {
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
