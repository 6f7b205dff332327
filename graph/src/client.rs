//! The Graph calls the operator makes on provisioning flows (flow sets: `flow_sets`).
//!
//! Each method is exactly one HTTP request (a list: one per page) and never retries: retrying is
//! the controller's decision, made in one place, so nothing here can repeat a POST. A 401 from
//! Graph drops the cached token so that the controller's next attempt gets a fresh one.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use uuid::Uuid;

use crate::endpoints::GraphEndpoints;
use crate::error::{GraphError, Operation};
use crate::identity::claims::TokenClaims;
use crate::identity::credential::{Credential, SecretString};
use crate::identity::token_source::TokenSource;
use crate::model::{FlowBody, FlowConfig, FlowSet, Page, ProvisioningFlow};
use crate::response::{Response, ResponseMeta};
use crate::throttle::Throttle;

mod flow_sets;
mod request;

use request::{decode, discard, json_body};

/// Default time a single request (token or Graph) may take.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Most pages a list follows: far more than a tenant's flow sets or a set's four flows fill, so
/// more means a broken link.
const MAX_PAGES: usize = 100;

const FLOW_SETS: [&str; 3] = ["external", "industryData", "outboundProvisioningFlowSets"];

/// Tunables of a [`GraphClient`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GraphClientOptions {
    /// Limit for each request, from sending to the last byte of the answer.
    pub request_timeout: Duration,
}

impl Default for GraphClientOptions {
    fn default() -> Self {
        Self {
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

/// A Graph client for one credential, shared by every resource that uses that credential.
/// Cloning is cheap and clones share the token cache and the connection pool.
#[derive(Clone, Debug)]
pub struct GraphClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    endpoints: GraphEndpoints,
    tokens: TokenSource,
    options: GraphClientOptions,
    throttle: Throttle,
}

/// An answer with a success status, before its body is read.
struct Answer {
    meta: ResponseMeta,
    body: Vec<u8>,
    client_request_id: String,
}

impl GraphClient {
    /// `http` should be shared process-wide (it pools connections); it must trust the Graph
    /// endpoint's certificate and follow no redirects (build it from
    /// [`http_client_builder`](crate::http_client_builder)).
    pub fn new(http: reqwest::Client, endpoints: GraphEndpoints, credential: Credential) -> Self {
        Self::with_options(http, endpoints, credential, GraphClientOptions::default())
    }

    pub fn with_options(
        http: reqwest::Client,
        endpoints: GraphEndpoints,
        credential: Credential,
        options: GraphClientOptions,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                http,
                endpoints,
                tokens: TokenSource::new(credential),
                options,
                throttle: Throttle::default(),
            }),
        }
    }

    /// The credential this client signs in with.
    pub fn credential(&self) -> &Credential {
        self.inner.tokens.credential()
    }

    pub fn endpoints(&self) -> &GraphEndpoints {
        &self.inner.endpoints
    }

    /// Whether both handles are clones of one client (same token cache).
    #[cfg(test)]
    pub(crate) fn shares_state_with(&self, other: &GraphClient) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// `GET .../outboundProvisioningFlowSets/{flowSetId}`.
    pub async fn get_flow_set(&self, flow_set_id: &str) -> Result<Response<FlowSet>, GraphError> {
        let url = self.url(&[flow_set_id]);
        let answer = self
            .send(
                Operation::GetFlowSet,
                Method::GET,
                url,
                None,
                Uuid::new_v4(),
            )
            .await?;
        decode(Operation::GetFlowSet, answer)
    }

    /// Every flow of the flow set, of every type, following `@odata.nextLink` to the end.
    pub async fn list_flows(
        &self,
        flow_set_id: &str,
    ) -> Result<Response<Vec<ProvisioningFlow>>, GraphError> {
        self.list_all(
            Operation::ListFlows,
            self.url(&[flow_set_id, "provisioningFlows"]),
        )
        .await
    }

    /// Every item of the collection at `url`, following `@odata.nextLink` to the end.
    async fn list_all<T: serde::de::DeserializeOwned>(
        &self,
        operation: Operation,
        mut url: reqwest::Url,
    ) -> Result<Response<Vec<T>>, GraphError> {
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let answer = self
                .send(operation, Method::GET, url, None, Uuid::new_v4())
                .await?;
            let meta = answer.meta.clone();
            let page: Response<Page<T>> = decode(operation, answer)?;
            items.extend(page.value.value);
            let Some(next) = page.value.next_link else {
                // The ids are those of the last page: the request that completed the list.
                return Ok(Response {
                    value: items,
                    request_id: page.request_id,
                    client_request_id: page.client_request_id,
                });
            };
            url = self.next_page_url(&next, &page.client_request_id, meta)?;
        }
        Err(GraphError::unreadable(
            operation,
            Uuid::new_v4().to_string(),
            None,
            format!("the list did not end after {MAX_PAGES} pages"),
            None,
        ))
    }

    /// `GET .../provisioningFlows/{flowId}`.
    pub async fn get_flow(
        &self,
        flow_set_id: &str,
        flow_id: &str,
    ) -> Result<Response<ProvisioningFlow>, GraphError> {
        let url = self.url(&[flow_set_id, "provisioningFlows", flow_id]);
        let answer = self
            .send(Operation::GetFlow, Method::GET, url, None, Uuid::new_v4())
            .await?;
        decode(Operation::GetFlow, answer)
    }

    /// `POST .../provisioningFlows` with a flow of the type whose settings are `config`.
    /// `client_request_id` is the caller's, so that it can record the create intent before
    /// sending; Graph echoes it back.
    pub async fn create_flow<C: FlowConfig>(
        &self,
        flow_set_id: &str,
        config: &C,
        client_request_id: Uuid,
    ) -> Result<Response<ProvisioningFlow>, GraphError> {
        let url = self.url(&[flow_set_id, "provisioningFlows"]);
        let body = json_body(&FlowBody::new(config));
        let answer = self
            .send(
                Operation::CreateFlow,
                Method::POST,
                url,
                Some(body),
                client_request_id,
            )
            .await?;
        decode(Operation::CreateFlow, answer)
    }

    /// `PATCH .../provisioningFlows/{flowId}` with `@odata.type` and the type's full settings
    /// (whether Graph merges a partial object is undocumented).
    pub async fn update_flow<C: FlowConfig>(
        &self,
        flow_set_id: &str,
        flow_id: &str,
        config: &C,
    ) -> Result<Response<()>, GraphError> {
        let url = self.url(&[flow_set_id, "provisioningFlows", flow_id]);
        let body = json_body(&FlowBody::new(config));
        let answer = self
            .send(
                Operation::UpdateFlow,
                Method::PATCH,
                url,
                Some(body),
                Uuid::new_v4(),
            )
            .await?;
        Ok(discard(answer))
    }

    /// `DELETE .../provisioningFlows/{flowId}`.
    pub async fn delete_flow(
        &self,
        flow_set_id: &str,
        flow_id: &str,
    ) -> Result<Response<()>, GraphError> {
        let url = self.url(&[flow_set_id, "provisioningFlows", flow_id]);
        let answer = self
            .send(
                Operation::DeleteFlow,
                Method::DELETE,
                url,
                None,
                Uuid::new_v4(),
            )
            .await?;
        Ok(discard(answer))
    }

    /// `POST .../provisioningFlows/{flowId}/reset` with no body; Graph answers 202.
    pub async fn reset_flow(
        &self,
        flow_set_id: &str,
        flow_id: &str,
    ) -> Result<Response<()>, GraphError> {
        let url = self.url(&[flow_set_id, "provisioningFlows", flow_id, "reset"]);
        let answer = self
            .send(
                Operation::ResetFlow,
                Method::POST,
                url,
                None,
                Uuid::new_v4(),
            )
            .await?;
        Ok(discard(answer))
    }

    /// Offers a delegated credential the refresh token its Secret holds now: a token the client
    /// has not seen (a new `sds-operator login`) becomes current; the current one, or one the
    /// client replaced itself (a read that raced its write-back), changes nothing. Other
    /// credential kinds ignore it.
    pub async fn offer_refresh_token(&self, token: &SecretString) {
        self.inner.tokens.offer_refresh_token(token).await;
    }

    /// The claims of the current access token (fetching one if needed), for checking granted
    /// permissions before any write.
    pub async fn token_claims(&self) -> Result<TokenClaims, GraphError> {
        let token = self.access_token(Operation::AcquireToken).await?;
        TokenClaims::decode(token.value.expose_secret()).ok_or_else(|| {
            GraphError::unreadable(
                Operation::AcquireToken,
                Uuid::new_v4().to_string(),
                None,
                "the access token is not a JWT whose claims can be read",
                None,
            )
        })
    }
}
