//! The token request itself: one form POST of the grant (client credentials with a secret, a
//! fresh certificate assertion or the federated token; or a delegated refresh token), the rotated
//! refresh token kept before the answer is used, and refusals classified with secrets scrubbed.

use std::time::Duration;

use reqwest::header::ACCEPT;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::super::credential::{Credential, SecretString};
use super::super::delegated::{DELEGATED_SCOPE, RefreshState, rotated_refresh_token};
use super::super::token_error::{AadErrorBody, TokenErrorKind};
use crate::endpoints::{EndpointRole, GraphEndpoints};
use crate::error::{GraphError, Operation};
use crate::http::{BodyError, MAX_TOKEN_BODY, is_redirect, read_body, redirect_target};
use crate::response::ResponseMeta;

use super::{GRAPH_SCOPE, JWT_BEARER, MAX_TOKEN_LIFETIME, TokenSource};

impl TokenSource {
    /// The form fields that prove the application's identity, built afresh for each request:
    /// a new assertion (new `jti`, `exp` ten minutes ahead) or the federated token as the file
    /// holds it now. The second element is the secret text sent, for [`Self::scrub`].
    async fn proof(
        &self,
        token_url: &str,
    ) -> Result<(Vec<(&'static str, String)>, SecretString), (TokenErrorKind, String)> {
        let assertion = |assertion: SecretString| {
            let fields = vec![
                ("client_assertion_type", JWT_BEARER.to_owned()),
                ("client_assertion", assertion.expose_secret().to_owned()),
            ];
            (fields, assertion)
        };
        match &self.credential {
            Credential::ClientSecret { client_secret, .. } => Ok((
                vec![("client_secret", client_secret.expose_secret().to_owned())],
                client_secret.clone(),
            )),
            Credential::ClientCertificate {
                client_id,
                certificate,
                ..
            } => certificate
                .assertion(client_id, token_url)
                .map(assertion)
                .map_err(|problem| {
                    let message = format!("the client certificate {problem}");
                    (TokenErrorKind::AssertionNotSigned, message)
                }),
            Credential::WorkloadIdentity { token_file, .. } => {
                let unreadable = |reason: String| {
                    let message =
                        format!("the federated token file {} {reason}", token_file.display());
                    (TokenErrorKind::FederatedTokenUnreadable, message)
                };
                let token = tokio::fs::read_to_string(token_file)
                    .await
                    .map_err(|error| unreadable(format!("could not be read: {}", error.kind())))?;
                let token = token.trim();
                if token.is_empty() {
                    return Err(unreadable("is empty".to_owned()));
                }
                Ok(assertion(SecretString::new(token)))
            }
            // A public client proves nothing but the refresh token; a confidential one adds
            // its secret.
            Credential::Delegated { client_secret, .. } => Ok(match client_secret {
                Some(secret) => (
                    vec![("client_secret", secret.expose_secret().to_owned())],
                    secret.clone(),
                ),
                None => (Vec::new(), SecretString::new("")),
            }),
        }
    }

    pub(super) async fn fetch(
        &self,
        http: &reqwest::Client,
        endpoints: &GraphEndpoints,
        timeout: Duration,
        refresh: Option<&mut RefreshState>,
    ) -> Result<(SecretString, Duration), GraphError> {
        let tenant_id = self.credential.tenant_id();
        let client_id = self.credential.client_id();
        let client_request_id = Uuid::new_v4().to_string();
        let token_url = endpoints.token_url(tenant_id);
        let (proof, sent_secret) =
            self.proof(token_url.as_str())
                .await
                .map_err(|(kind, message)| {
                    GraphError::token(
                        kind,
                        client_request_id.clone(),
                        None,
                        None,
                        Some(message),
                        None,
                    )
                })?;
        let redeemed = refresh.as_ref().map(|refresh| refresh.current().clone());
        let mut form: Vec<(&str, &str)> = match &redeemed {
            Some(refresh_token) => vec![
                ("grant_type", "refresh_token"),
                ("client_id", client_id),
                ("refresh_token", refresh_token.expose_secret()),
                ("scope", DELEGATED_SCOPE),
            ],
            None => vec![
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("scope", GRAPH_SCOPE),
            ],
        };
        form.extend(proof.iter().map(|(name, value)| (*name, value.as_str())));
        let sent = http
            .post(token_url.clone())
            .header(ACCEPT, "application/json")
            .header("client-request-id", &client_request_id)
            .form(&form)
            .timeout(timeout)
            .send()
            .await;
        let unavailable = |source| {
            GraphError::token(
                TokenErrorKind::Unavailable,
                client_request_id.clone(),
                None,
                None,
                None,
                Some(source),
            )
        };
        let response = sent.map_err(unavailable)?;
        let meta = ResponseMeta::from_headers(response.status().as_u16(), response.headers());
        if is_redirect(meta.status) {
            let target = redirect_target(&token_url, &response);
            return Err(GraphError::redirected(
                Operation::AcquireToken,
                EndpointRole::Authority,
                client_request_id,
                meta,
                target,
            ));
        }
        let body = match read_body(response, MAX_TOKEN_BODY).await {
            Ok(body) => body,
            Err(BodyError::Transport(source)) => return Err(unavailable(source)),
            Err(BodyError::TooLarge { limit }) => {
                return Err(GraphError::too_large(
                    Operation::AcquireToken,
                    EndpointRole::Authority,
                    client_request_id,
                    meta,
                    limit,
                ));
            }
        };
        tracing::debug!(
            status = meta.status,
            request_id = meta.request_id.as_deref(),
            client_request_id,
            tenant_id,
            client_id,
            "token endpoint answered"
        );
        if !(200..300).contains(&meta.status) {
            let sent: Vec<&SecretString> = [Some(&sent_secret), redeemed.as_ref()]
                .into_iter()
                .flatten()
                .collect();
            return Err(refusal(client_request_id, meta, &body, &sent));
        }
        let token = read_token(&body).ok_or_else(|| {
            GraphError::unreadable(
                Operation::AcquireToken,
                client_request_id.clone(),
                Some(meta),
                "the token endpoint's answer holds no usable access_token and expires_in",
                None,
            )
        })?;
        if let Some(refresh) = refresh
            && let Some(rotated) = rotated_refresh_token(&body)
        {
            self.keep_rotated(refresh, rotated, client_request_id)
                .await?;
        }
        Ok(token)
    }

    /// Persists a rotated refresh token before the access token that came with it is used, so
    /// that a crash can never leave the store holding only a redeemed (perhaps refused) token.
    /// The new token is current in memory either way: if the store failed, the next attempt
    /// redeems it and tries the store again.
    async fn keep_rotated(
        &self,
        refresh: &mut RefreshState,
        rotated: SecretString,
        client_request_id: String,
    ) -> Result<(), GraphError> {
        if &rotated == refresh.current() {
            return Ok(());
        }
        let saved = match &self.credential {
            Credential::Delegated {
                store: Some(store), ..
            } => store
                .save(&rotated)
                .await
                .map_err(|error| (store.id(), error)),
            _ => Ok(()),
        };
        refresh.rotate(rotated);
        saved.map_err(|(store, error)| {
            let message =
                format!("the rotated refresh token could not be written to {store}: {error}");
            GraphError::token(
                TokenErrorKind::RefreshTokenNotSaved,
                client_request_id,
                None,
                None,
                Some(message),
                None,
            )
        })
    }
}

fn refusal(
    client_request_id: String,
    mut meta: ResponseMeta,
    body: &[u8],
    sent: &[&SecretString],
) -> GraphError {
    let parsed = serde_json::from_slice::<AadErrorBody>(body).ok();
    let kind = TokenErrorKind::classify(meta.status, parsed.as_ref());
    let (code, message) = match &parsed {
        Some(body) => {
            if meta.request_id.is_none() {
                meta.request_id.clone_from(&body.trace_id);
            }
            (
                body.error.clone(),
                body.summary().map(|text| scrub(text, sent)),
            )
        }
        None => (None, None),
    };
    GraphError::token(kind, client_request_id, Some(meta), code, message, None)
}

/// Belt and braces: no text from the identity platform leaves here with the secret, assertion,
/// federated token or refresh token that was sent in it.
fn scrub(mut text: String, sent: &[&SecretString]) -> String {
    for secret in sent {
        let secret = secret.expose_secret();
        if !secret.is_empty() {
            text = text.replace(secret, "***");
        }
    }
    text
}

/// `access_token` and `expires_in` (a number, or a string as some endpoints send it), the
/// lifetime capped at [`MAX_TOKEN_LIFETIME`].
fn read_token(body: &[u8]) -> Option<(SecretString, Duration)> {
    #[derive(Deserialize)]
    struct TokenResponse {
        access_token: String,
        expires_in: Value,
    }
    let parsed: TokenResponse = serde_json::from_slice(body).ok()?;
    let seconds = match &parsed.expires_in {
        Value::Number(number) => number.as_u64()?,
        Value::String(text) => text.trim().parse().ok()?,
        _ => return None,
    };
    if parsed.access_token.is_empty() {
        return None;
    }
    Some((
        SecretString::new(parsed.access_token),
        Duration::from_secs(seconds).min(MAX_TOKEN_LIFETIME),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_token_answers() {
        let (token, lifetime) =
            read_token(br#"{"token_type":"Bearer","expires_in":3599,"access_token":"abc"}"#)
                .unwrap();
        assert_eq!(token.expose_secret(), "abc");
        assert_eq!(lifetime, Duration::from_secs(3599));
        let (_, lifetime) = read_token(br#"{"expires_in":"60","access_token":"x"}"#).unwrap();
        assert_eq!(lifetime, Duration::from_secs(60));
        let (_, lifetime) =
            read_token(br#"{"expires_in":18446744073709551615,"access_token":"x"}"#).unwrap();
        assert_eq!(
            lifetime, MAX_TOKEN_LIFETIME,
            "capped, so no deadline overflows"
        );
        assert!(read_token(br#"{"expires_in":60}"#).is_none());
        assert!(read_token(br#"{"expires_in":-1,"access_token":"x"}"#).is_none());
        assert!(read_token(b"not json").is_none());
    }
}
