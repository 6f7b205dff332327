//! One request to Graph: the bearer token, the `client-request-id`, the throttle's hold-back,
//! the answer read within its size limit and classified, and the next-link check that keeps the
//! token on Graph's origin.

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::{Answer, FLOW_SETS, GraphClient};
use crate::endpoints::EndpointRole;
use crate::error::{GraphError, Operation};
use crate::http::{BodyError, MAX_GRAPH_BODY, is_redirect, read_body, redirect_target};
use crate::response::{Response, ResponseMeta};

impl GraphClient {
    pub(super) async fn access_token(
        &self,
        operation: Operation,
    ) -> Result<crate::identity::token_source::AccessToken, GraphError> {
        let inner = &self.inner;
        inner
            .tokens
            .token(&inner.http, &inner.endpoints, inner.options.request_timeout)
            .await
            .map_err(|error| error.during(operation))
    }

    pub(super) fn url(&self, segments: &[&str]) -> Url {
        let path: Vec<&str> = FLOW_SETS.iter().chain(segments).copied().collect();
        self.inner.endpoints.beta_url(&path)
    }

    /// Follows a next link only to the Graph origin, so the bearer token goes nowhere else.
    pub(super) fn next_page_url(
        &self,
        next: &str,
        client_request_id: &str,
        meta: ResponseMeta,
    ) -> Result<Url, GraphError> {
        Url::parse(next)
            .ok()
            .filter(|url| self.inner.endpoints.is_graph_origin(url))
            .ok_or_else(|| {
                GraphError::unreadable(
                    Operation::ListFlows,
                    client_request_id.to_owned(),
                    Some(meta),
                    "Graph's @odata.nextLink does not point at the configured Graph endpoint",
                    None,
                )
            })
    }

    /// Sends one request with a token and the correlation headers; a non-2xx answer becomes a
    /// classified error, a redirect among them.
    pub(super) async fn send(
        &self,
        operation: Operation,
        method: Method,
        url: Url,
        json: Option<Vec<u8>>,
        client_request_id: Uuid,
    ) -> Result<Answer, GraphError> {
        let client_request_id = client_request_id.to_string();
        if let Some(wait) = self.inner.throttle.remaining() {
            return Err(GraphError::held_back(operation, client_request_id, wait));
        }
        let token = self.access_token(operation).await?;
        let mut request = self
            .inner
            .http
            .request(method.clone(), url.clone())
            .bearer_auth(token.value.expose_secret())
            .header(ACCEPT, "application/json")
            .header("client-request-id", &client_request_id)
            .timeout(self.inner.options.request_timeout);
        request = match json {
            Some(body) => request.header(CONTENT_TYPE, "application/json").body(body),
            // An explicit empty body makes the POST carry `Content-Length: 0`.
            None if method == Method::POST => request.body(Vec::new()),
            None => request,
        };
        let transport =
            |source| GraphError::transport(operation, client_request_id.clone(), source);
        let response = request.send().await.map_err(transport)?;
        let meta = ResponseMeta::from_headers(response.status().as_u16(), response.headers());
        if is_redirect(meta.status) {
            let target = redirect_target(&url, &response);
            return Err(GraphError::redirected(
                operation,
                EndpointRole::Graph,
                client_request_id,
                meta,
                target,
            ));
        }
        let body = match read_body(response, MAX_GRAPH_BODY).await {
            Ok(body) => body,
            Err(BodyError::Transport(source)) => return Err(transport(source)),
            Err(BodyError::TooLarge { limit }) => {
                return Err(GraphError::too_large(
                    operation,
                    EndpointRole::Graph,
                    client_request_id,
                    meta,
                    limit,
                ));
            }
        };
        tracing::debug!(
            %method,
            path = url.path(),
            status = meta.status,
            request_id = meta.request_id.as_deref(),
            client_request_id,
            "graph answered"
        );
        if (200..300).contains(&meta.status) {
            return Ok(Answer {
                meta,
                body,
                client_request_id,
            });
        }
        if meta.status == 401 {
            self.inner.tokens.invalidate(token.generation).await;
        }
        self.inner.throttle.observe(meta.status, meta.retry_after);
        Err(GraphError::from_status(
            operation,
            client_request_id,
            meta,
            &body,
        ))
    }
}

pub(super) fn json_body(body: &impl serde::Serialize) -> Vec<u8> {
    // These bodies are plain structs of strings and booleans; serialising them cannot fail.
    serde_json::to_vec(body).unwrap_or_default()
}

/// Reads the JSON body of a success.
pub(super) fn decode<T: DeserializeOwned>(
    operation: Operation,
    answer: Answer,
) -> Result<Response<T>, GraphError> {
    match serde_json::from_slice(&answer.body) {
        Ok(value) => Ok(Response {
            value,
            request_id: answer.meta.request_id,
            client_request_id: answer.client_request_id,
        }),
        Err(source) => Err(GraphError::unreadable(
            operation,
            answer.client_request_id,
            Some(answer.meta),
            "Graph's answer could not be read as the expected JSON",
            Some(Box::new(source)),
        )),
    }
}

/// A success whose body, if any, carries nothing the caller needs (204, 202).
pub(super) fn discard(answer: Answer) -> Response<()> {
    Response {
        value: (),
        request_id: answer.meta.request_id,
        client_request_id: answer.client_request_id,
    }
}
