//! Observe: the credential (the resource's Secret or the operator's own) and the security-group
//! flow as Graph has it now. One Graph read in the steady state: a GET of the recorded flow; the
//! flow set is listed only when no flow is recorded or the recorded one is not found.

use std::sync::Arc;

use graph::{ErrorClass, GraphClient, ProvisioningFlow, SecurityGroupFlow, StoreHandle};
use k8s_openapi::api::core::v1::Secret;
use kube::{Api, ResourceExt};

use super::Error;
use super::refresh_token_store::SecretRefreshTokenStore;
use crate::controller::Context;
use crate::crd::{
    ManagementPolicy, SecurityGroupProvisioningFlow, SecurityGroupProvisioningFlowStatus,
};
use crate::credentials_secret::credential_from_secret_data;

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
            let credential = credential_from_secret_data(&secret.data.unwrap_or_default())
                .map_err(|source| Error::SecretInvalid {
                    namespace: namespace.clone(),
                    name: reference.name.clone(),
                    source,
                })?;
            // A delegated credential writes each rotated refresh token back to this Secret.
            let store =
                SecretRefreshTokenStore::new(context.client.clone(), &namespace, &reference.name);
            credential.with_refresh_token_store(StoreHandle::new(Arc::new(store)))
        }
        None => {
            let credential = context
                .config
                .default_credential
                .clone()
                .ok_or(Error::NoDefaultCredential)?;
            let namespace = flow.namespace().unwrap_or_default();
            let allowed = &context.config.default_credential_namespaces;
            if !allowed.allows(&namespace) {
                return Err(Error::DefaultCredentialNotAllowed {
                    namespace,
                    allowed: allowed.to_string(),
                });
            }
            credential
        }
    };
    let refresh_token = credential.refresh_token().cloned();
    let client = context.graph_clients.client_for(credential);
    if let Some(token) = refresh_token {
        client.offer_refresh_token(&token).await;
    }
    Ok(client)
}

/// Stops before Graph refuses: the token must carry the permission the resource needs
/// (ReadWrite.All to manage, Read.All at least to observe). A token whose claims cannot be read
/// is let through, and Graph itself decides.
pub async fn check_permission(
    graph: &GraphClient,
    flow: &SecurityGroupProvisioningFlow,
) -> Result<(), Error> {
    const READ_WRITE: &str = "IndustryData-OutboundFlow.ReadWrite.All";
    const READ: &str = "IndustryData-OutboundFlow.Read.All";
    let claims = match graph.token_claims().await {
        Ok(claims) => claims,
        Err(error) if error.class() == ErrorClass::Unexpected => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    let observe_only = flow.spec.management_policy == ManagementPolicy::ObserveOnly;
    if claims.grants(READ_WRITE) || (observe_only && claims.grants(READ)) {
        return Ok(());
    }
    Err(Error::MissingPermission {
        permission: if observe_only { READ } else { READ_WRITE },
        observe_hint: if observe_only {
            ""
        } else if claims.grants(READ) {
            " (it has Read.All, which is enough only for managementPolicy ObserveOnly)"
        } else {
            ""
        },
    })
}

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
