//! Access tokens: the client-credentials grant (with a client secret, a signed certificate
//! assertion or a federated token read from its file), a cache refreshed shortly before expiry,
//! and reading (not verifying) the token's claims for a permission preflight.
//!
//! One in-flight token request at a time: callers queue on a tokio mutex and the first one to
//! get it fetches while the others wait for its result.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::ACCEPT;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;
use uuid::Uuid;

use super::credential::{Credential, SecretString};
use super::endpoints::GraphEndpoints;
use super::error::{GraphError, Operation};
use super::response::ResponseMeta;
use super::token_error::{AadErrorBody, TokenErrorKind};

/// The only scope this client asks for: the API is global-only (graph-api.md §5.9), so the
/// resource is always the global Graph, whichever host serves the token endpoint.
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// The `client_assertion_type` of certificate and federated assertions (RFC 7523).
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Refresh this long before expiry, or at half the lifetime for tokens shorter than twice this.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// When a token obtained now should be replaced, given its lifetime.
pub(crate) fn refresh_after(lifetime: Duration) -> Duration {
    lifetime - REFRESH_MARGIN.min(lifetime / 2)
}

/// A token handed to one request; `generation` identifies it for [`TokenSource::invalidate`].
#[derive(Clone, Debug)]
pub(crate) struct AccessToken {
    pub value: SecretString,
    pub generation: u64,
}

#[derive(Debug)]
struct CachedToken {
    token: AccessToken,
    refresh_at: Instant,
}

#[derive(Debug, Default)]
struct CacheState {
    cached: Option<CachedToken>,
    generations: u64,
}

/// Obtains and caches tokens for one credential.
#[derive(Debug)]
pub(crate) struct TokenSource {
    credential: Credential,
    state: Mutex<CacheState>,
}

impl TokenSource {
    pub fn new(credential: Credential) -> Self {
        Self {
            credential,
            state: Mutex::new(CacheState::default()),
        }
    }

    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// A cached token while it is fresh, else a new one.
    pub async fn token(
        &self,
        http: &reqwest::Client,
        endpoints: &GraphEndpoints,
        timeout: Duration,
    ) -> Result<AccessToken, GraphError> {
        let mut state = self.state.lock().await;
        if let Some(cached) = &state.cached
            && Instant::now() < cached.refresh_at
        {
            return Ok(cached.token.clone());
        }
        let requested_at = Instant::now();
        let (value, lifetime) = self.fetch(http, endpoints, timeout).await?;
        state.generations += 1;
        let token = AccessToken {
            value,
            generation: state.generations,
        };
        state.cached = Some(CachedToken {
            token: token.clone(),
            refresh_at: requested_at + refresh_after(lifetime),
        });
        Ok(token)
    }

    /// Forgets the token of `generation` (Graph refused it), unless a newer one replaced it.
    pub async fn invalidate(&self, generation: u64) {
        let mut state = self.state.lock().await;
        if state
            .cached
            .as_ref()
            .is_some_and(|cached| cached.token.generation == generation)
        {
            state.cached = None;
        }
    }

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
        }
    }

    async fn fetch(
        &self,
        http: &reqwest::Client,
        endpoints: &GraphEndpoints,
        timeout: Duration,
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
        let mut form: Vec<(&str, &str)> = vec![
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("scope", GRAPH_SCOPE),
        ];
        form.extend(proof.iter().map(|(name, value)| (*name, value.as_str())));
        let sent = http
            .post(token_url)
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
        let body = response.bytes().await.map_err(unavailable)?;
        tracing::debug!(
            status = meta.status,
            request_id = meta.request_id.as_deref(),
            client_request_id,
            tenant_id,
            client_id,
            "token endpoint answered"
        );
        if !(200..300).contains(&meta.status) {
            return Err(refusal(client_request_id, meta, &body, &sent_secret));
        }
        read_token(&body).ok_or_else(|| {
            GraphError::unreadable(
                Operation::AcquireToken,
                client_request_id,
                Some(meta),
                "the token endpoint's answer holds no usable access_token and expires_in",
                None,
            )
        })
    }
}

fn refusal(
    client_request_id: String,
    mut meta: ResponseMeta,
    body: &[u8],
    sent_secret: &SecretString,
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
                body.summary().map(|text| scrub(text, sent_secret)),
            )
        }
        None => (None, None),
    };
    GraphError::token(kind, client_request_id, Some(meta), code, message, None)
}

/// Belt and braces: no text from the identity platform leaves here with the secret, assertion
/// or federated token that was sent in it.
fn scrub(text: String, sent_secret: &SecretString) -> String {
    let secret = sent_secret.expose_secret();
    if secret.is_empty() {
        text
    } else {
        text.replace(secret, "***")
    }
}

/// `access_token` and `expires_in` (a number, or a string as some endpoints send it).
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
        Duration::from_secs(seconds),
    ))
}

/// The claims of an access token that matter for a permission preflight. Read without
/// verifying the signature: the token came straight from the identity platform over TLS.
#[derive(Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenClaims {
    /// App roles granted to the application (app-only tokens).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Delegated scopes, space-separated (delegated tokens only).
    #[serde(default)]
    pub scp: Option<String>,
    /// Tenant id.
    #[serde(default)]
    pub tid: Option<String>,
    /// Application id (`appid` in v1 tokens, `azp` in v2 tokens).
    #[serde(default, alias = "azp")]
    pub appid: Option<String>,
    /// Expiry, in seconds since the Unix epoch.
    #[serde(default)]
    pub exp: Option<i64>,
}

impl TokenClaims {
    /// Whether the token grants `permission`, as an app role or a delegated scope.
    pub fn grants(&self, permission: &str) -> bool {
        let scopes = self.scp.as_deref().unwrap_or_default().split_whitespace();
        self.roles
            .iter()
            .map(String::as_str)
            .chain(scopes)
            .any(|granted| granted.eq_ignore_ascii_case(permission))
    }

    /// Reads the payload of a compact JWT.
    pub(crate) fn decode(token: &str) -> Option<Self> {
        let payload = token.split('.').nth(1)?;
        let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refreshes_five_minutes_early_or_at_half_life() {
        assert_eq!(
            refresh_after(Duration::from_secs(3599)),
            Duration::from_secs(3299)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(600)),
            Duration::from_secs(300)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(60)),
            Duration::from_secs(30)
        );
        assert_eq!(refresh_after(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn reads_token_answers() {
        let (token, lifetime) =
            read_token(br#"{"token_type":"Bearer","expires_in":3599,"access_token":"abc"}"#)
                .unwrap();
        assert_eq!(token.expose_secret(), "abc");
        assert_eq!(lifetime, Duration::from_secs(3599));
        let (_, lifetime) = read_token(br#"{"expires_in":"60","access_token":"x"}"#).unwrap();
        assert_eq!(lifetime, Duration::from_secs(60));
        assert!(read_token(br#"{"expires_in":60}"#).is_none());
        assert!(read_token(br#"{"expires_in":-1,"access_token":"x"}"#).is_none());
        assert!(read_token(b"not json").is_none());
    }

    #[test]
    fn decodes_claims_without_verifying() {
        let payload = URL_SAFE_NO_PAD.encode(
            br#"{"aud":"https://graph.microsoft.com","tid":"t","azp":"a","exp":5,"roles":["IndustryData-OutboundFlow.ReadWrite.All"]}"#,
        );
        let claims = TokenClaims::decode(&format!("h.{payload}.s")).unwrap();
        assert_eq!(claims.tid.as_deref(), Some("t"));
        assert_eq!(claims.appid.as_deref(), Some("a"));
        assert_eq!(claims.exp, Some(5));
        assert!(claims.grants("industrydata-outboundflow.readwrite.all"));
        assert!(!claims.grants("IndustryData-OutboundFlow.Read.All"));
        let delegated = TokenClaims {
            scp: Some("User.Read IndustryData-OutboundFlow.Read.All".to_owned()),
            ..TokenClaims::default()
        };
        assert!(delegated.grants("IndustryData-OutboundFlow.Read.All"));
        assert!(TokenClaims::decode("not-a-jwt").is_none());
    }
}
