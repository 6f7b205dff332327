//! `sds-operator login`: signs a user in with the OAuth 2.0 device-code flow (RFC 8628) and
//! stores the resulting refresh token in a Secret that a SecurityGroupProvisioningFlow can name
//! as its delegated credential. The flow itself (device authorization request, polling at
//! `interval`, `slow_down`, expiry) is the `oauth2` crate's; this module adapts our reqwest
//! client to it, prints the sign-in instructions and writes the Secret.

use std::io::Write;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use graph::{
    BodyError, EndpointError, GraphEndpoints, MAX_RETRY_AFTER, MAX_TOKEN_BODY, read_body,
    redirect_target,
};
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::{Patch, PatchParams};

use crate::crd::CREDENTIAL_LABEL;
use oauth2::basic::BasicClient;
use oauth2::{
    ClientId, DeviceAuthorizationResponse, DeviceAuthorizationUrl, ExtraDeviceAuthorizationFields,
    HttpRequest, HttpResponse, Scope, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::credentials_secret::{CLIENT_ID_KEY, REFRESH_TOKEN_KEY, TENANT_ID_KEY};

/// Field manager of the Secret fields `login` writes (the operator's write-back forces its own
/// manager onto `refreshToken` afterwards).
pub const LOGIN_FIELD_MANAGER: &str = "sds-operator-login";
/// Delegated permission asked for by default, plus `offline_access` for a refresh token.
pub const DEFAULT_LOGIN_SCOPE: &str =
    "https://graph.microsoft.com/IndustryData-OutboundFlow.ReadWrite.All offline_access";

/// What to sign in to and where to store the result.
#[derive(Debug, Clone)]
pub struct LoginRequest {
    pub tenant_id: String,
    pub client_id: String,
    pub namespace: String,
    pub secret: String,
    pub authority_host: String,
    pub scope: String,
}

/// Why `login` failed; never holds a token.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("invalid authority host: {0}")]
    Authority(#[from] EndpointError),
    #[error("invalid endpoint URL: {0}")]
    Url(String),
    #[error("the device authorization request failed: {0}")]
    DeviceAuthorization(String),
    #[error("the sign-in did not complete: {0}")]
    Token(String),
    #[error("the identity platform returned no refresh token; include offline_access in --scope")]
    NoRefreshToken,
    #[error("could not configure a Kubernetes client from the kubeconfig: {0}")]
    Kubeconfig(String),
    #[error("could not write Secret {namespace}/{name}: {reason}")]
    Secret {
        namespace: String,
        name: String,
        reason: String,
    },
}

/// Entra ID adds a ready-to-print `message` to the device authorization answer.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct Message {
    #[serde(default)]
    message: Option<String>,
}

impl ExtraDeviceAuthorizationFields for Message {}

/// Runs the device-code flow, prints the sign-in instructions to `out`, and stores `tenantId`,
/// `clientId` and `refreshToken` in the Secret (created or updated). Prints no token.
pub async fn login(request: &LoginRequest, out: &mut impl Write) -> Result<(), LoginError> {
    let endpoints = GraphEndpoints::new(graph::DEFAULT_GRAPH_ENDPOINT, &request.authority_host)?;
    let url_error = |error: oauth2::url::ParseError| LoginError::Url(error.to_string());
    let client = BasicClient::new(ClientId::new(request.client_id.clone()))
        .set_device_authorization_url(
            DeviceAuthorizationUrl::new(endpoints.device_code_url(&request.tenant_id).into())
                .map_err(url_error)?,
        )
        .set_token_uri(
            TokenUrl::new(endpoints.token_url(&request.tenant_id).into()).map_err(url_error)?,
        );
    let http = graph::http_client_builder()
        .build()
        .map_err(|error| LoginError::DeviceAuthorization(error.to_string()))?;
    let send = |request: HttpRequest| {
        let http = http.clone();
        async move { send(&http, request).await }
    };
    let scopes = request
        .scope
        .split_whitespace()
        .map(|s| Scope::new(s.to_owned()));
    let details: DeviceAuthorizationResponse<Message> = client
        .exchange_device_code()
        .add_scopes(scopes)
        .request_async(&send)
        .await
        .map_err(|error| LoginError::DeviceAuthorization(describe(&error)))?;
    // `oauth2` lengthens the interval on `slow_down` with a plain addition; an absurd interval
    // would overflow it, and would never let the sign-in finish anyway.
    if details.interval() > MAX_RETRY_AFTER {
        return Err(LoginError::DeviceAuthorization(format!(
            "the identity platform asks to poll only every {} s, more than the {} s this client \
             waits at most",
            details.interval().as_secs(),
            MAX_RETRY_AFTER.as_secs()
        )));
    }
    let instructions = details.extra_fields().message.clone().unwrap_or_else(|| {
        format!(
            "To sign in, use a web browser to open the page {} and enter the code {} to authenticate.",
            details.verification_uri().as_str(),
            details.user_code().secret()
        )
    });
    // The user code is meant to be shown; a failed write to the terminal only loses the hint.
    let _ = writeln!(out, "{instructions}");
    let _ = out.flush();
    let tokens = client
        .exchange_device_access_token(&details)
        .request_async(&send, tokio::time::sleep, None)
        .await
        .map_err(|error| LoginError::Token(describe(&error)))?;
    let refresh_token = tokens.refresh_token().ok_or(LoginError::NoRefreshToken)?;
    let created = store(request, refresh_token.secret()).await?;
    let _ = writeln!(
        out,
        "Signed in. {} Secret {}/{} with tenantId, clientId and refreshToken.",
        if created { "Created" } else { "Updated" },
        request.namespace,
        request.secret
    );
    Ok(())
}

/// Writes the three keys with one server-side apply; returns whether the Secret was new.
async fn store(request: &LoginRequest, refresh_token: &str) -> Result<bool, LoginError> {
    let client = kube::Client::try_default()
        .await
        .map_err(|error| LoginError::Kubeconfig(error.to_string()))?;
    let api: Api<Secret> = Api::namespaced(client, &request.namespace);
    let failed = |error: kube::Error| LoginError::Secret {
        namespace: request.namespace.clone(),
        name: request.secret.clone(),
        reason: match error {
            kube::Error::Api(status) => {
                format!("{} {}: {}", status.code, status.reason, status.message)
            }
            other => other.to_string(),
        },
    };
    let existed = api
        .get_opt(&request.secret)
        .await
        .map_err(failed)?
        .is_some();
    let patch = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": { "name": request.secret, "labels": { CREDENTIAL_LABEL: "true" } },
        "type": "Opaque",
        "data": {
            TENANT_ID_KEY: STANDARD.encode(&request.tenant_id),
            CLIENT_ID_KEY: STANDARD.encode(&request.client_id),
            REFRESH_TOKEN_KEY: STANDARD.encode(refresh_token),
        },
    });
    let params = PatchParams::apply(LOGIN_FIELD_MANAGER).force();
    api.patch(&request.secret, &params, &Patch::Apply(&patch))
        .await
        .map_err(failed)?;
    Ok(!existed)
}

/// The OAuth error code and description, or what went wrong on the way.
fn describe<RE: std::error::Error + 'static, TE: oauth2::ErrorResponse + 'static>(
    error: &oauth2::RequestTokenError<RE, TE>,
) -> String {
    match error {
        oauth2::RequestTokenError::ServerResponse(response) => response.to_string(),
        oauth2::RequestTokenError::Request(error) => format!("request failed: {error}"),
        oauth2::RequestTokenError::Parse(error, _) => format!("unreadable answer: {error}"),
        oauth2::RequestTokenError::Other(text) => text.clone(),
    }
}

/// Why one request of the device-code flow got no answer to hand to `oauth2`.
#[derive(Debug, thiserror::Error)]
enum ExchangeError {
    #[error(transparent)]
    Transport(#[from] reqwest::Error),
    #[error(
        "the identity platform answered HTTP {status} with a redirect to {}, which was not followed so that nothing is sent elsewhere; check --authority-host",
        target.as_deref().unwrap_or("no readable Location")
    )]
    Redirected { status: u16, target: Option<String> },
    #[error(transparent)]
    Body(BodyError),
    #[error("the request URL {0} is not valid")]
    Url(String),
}

/// Adapts our reqwest (0.13) to `oauth2`'s HTTP client interface; the crate's own reqwest
/// support is for an older reqwest. A redirect and an oversized answer are errors here, as for
/// every request to the identity platform.
async fn send(http: &reqwest::Client, request: HttpRequest) -> Result<HttpResponse, ExchangeError> {
    let (parts, body) = request.into_parts();
    let url = reqwest::Url::parse(&parts.uri.to_string())
        .map_err(|_| ExchangeError::Url(parts.uri.to_string()))?;
    let response = http
        .request(parts.method, url.clone())
        .headers(parts.headers)
        .body(body)
        .send()
        .await?;
    let status = response.status();
    if status.is_redirection() {
        return Err(ExchangeError::Redirected {
            status: status.as_u16(),
            target: redirect_target(&url, &response),
        });
    }
    let headers = response.headers().clone();
    let body = read_body(response, MAX_TOKEN_BODY)
        .await
        .map_err(|error| match error {
            BodyError::Transport(source) => ExchangeError::Transport(source),
            too_large => ExchangeError::Body(too_large),
        })?;
    let mut answer = HttpResponse::new(body);
    *answer.status_mut() = status;
    *answer.headers_mut() = headers;
    Ok(answer)
}
