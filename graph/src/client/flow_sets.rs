//! The flow-set calls: list, create, update and delete (reading one is with the flow calls).

use reqwest::Method;
use uuid::Uuid;

use super::GraphClient;
use super::request::{decode, discard, json_body};
use crate::error::{GraphError, Operation};
use crate::model::{FlowSet, FlowSetSettings};
use crate::response::Response;

impl GraphClient {
    /// Every flow set of the tenant, following `@odata.nextLink` to the end.
    pub async fn list_flow_sets(&self) -> Result<Response<Vec<FlowSet>>, GraphError> {
        self.list_all(Operation::ListFlowSets, self.url(&[])).await
    }

    /// `POST .../outboundProvisioningFlowSets`, with `client_request_id` so that a create whose
    /// answer was lost can be recognised.
    pub async fn create_flow_set(
        &self,
        settings: &FlowSetSettings,
        client_request_id: Uuid,
    ) -> Result<Response<FlowSet>, GraphError> {
        let answer = self
            .send(
                Operation::CreateFlowSet,
                Method::POST,
                self.url(&[]),
                Some(json_body(settings)),
                client_request_id,
            )
            .await?;
        decode(Operation::CreateFlowSet, answer)
    }

    /// `PATCH .../outboundProvisioningFlowSets/{flowSetId}` with every setting (a filter of
    /// `None` clears it). The docs list no application permission for it: app-only callers
    /// may get 403.
    pub async fn update_flow_set(
        &self,
        flow_set_id: &str,
        settings: &FlowSetSettings,
    ) -> Result<Response<()>, GraphError> {
        let answer = self
            .send(
                Operation::UpdateFlowSet,
                Method::PATCH,
                self.url(&[flow_set_id]),
                Some(json_body(settings)),
                Uuid::new_v4(),
            )
            .await?;
        Ok(discard(answer))
    }

    /// `DELETE .../outboundProvisioningFlowSets/{flowSetId}`.
    pub async fn delete_flow_set(&self, flow_set_id: &str) -> Result<Response<()>, GraphError> {
        let answer = self
            .send(
                Operation::DeleteFlowSet,
                Method::DELETE,
                self.url(&[flow_set_id]),
                None,
                Uuid::new_v4(),
            )
            .await?;
        Ok(discard(answer))
    }
}
