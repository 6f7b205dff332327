//! `POST /{tenant}/oauth2/v2.0/token`: the client-credentials grant with a client secret, a
//! certificate client assertion or a federated token (checked in [`super::assertion`]); the
//! device-code and refresh-token grants are handled in [`super::delegated`].

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use serde_json::json;

use super::assertion;
use super::delegated;
use super::error::AadError;
use super::jwt::GRAPH_AUDIENCE;
use super::mint::{Principal, mint};
use crate::config::ClientRegistration;
use crate::context::RequestIds;
use crate::state::{Inner, Shared};

/// Resource identifiers that name Microsoft Graph in a scope.
pub(crate) const GRAPH_RESOURCES: [&str; 2] =
    [GRAPH_AUDIENCE, "00000003-0000-0000-c000-000000000000"];
/// The reserved OpenID Connect scopes: they name no resource, so the identity platform takes them
/// beside any resource's scopes, `/.default` included (MSAL for Go adds the first three to every
/// request, client credentials too).
const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];
/// Tenant aliases that the client-credentials grant cannot use.
const MULTI_TENANT_ALIASES: [&str; 3] = ["common", "consumers", "organizations"];

/// The fields of a token request (or device authorization request) that the emulator looks at.
#[derive(Debug, Default)]
pub(crate) struct TokenRequest {
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub client_assertion: Option<String>,
    pub client_assertion_type: Option<String>,
    pub scope: Option<String>,
    pub device_code: Option<String>,
    pub refresh_token: Option<String>,
}

impl TokenRequest {
    pub(crate) fn parse(body: &[u8], headers: &HeaderMap) -> Self {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
        let mut request = TokenRequest::default();
        for (key, value) in pairs {
            let slot = match key.as_str() {
                "grant_type" => &mut request.grant_type,
                "client_id" => &mut request.client_id,
                "client_secret" => &mut request.client_secret,
                "client_assertion" => &mut request.client_assertion,
                "client_assertion_type" => &mut request.client_assertion_type,
                "scope" => &mut request.scope,
                "device_code" => &mut request.device_code,
                "refresh_token" => &mut request.refresh_token,
                _ => continue,
            };
            *slot = Some(value).filter(|v| !v.is_empty());
        }
        // RFC 6749 §2.3.1: HTTP Basic carries the url-encoded id and secret.
        if request.client_secret.is_none()
            && let Some((id, secret)) = basic_credentials(headers)
        {
            request.client_id.get_or_insert(id);
            request.client_secret = Some(secret);
        }
        request
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(&format!("i={id}&s={secret}")).ok()?;
    match pairs.as_slice() {
        [(_, id), (_, secret)] => Some((id.clone(), secret.clone())),
        _ => None,
    }
}

/// Handler for the token endpoint.
pub async fn token(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    axum::Extension(ids): axum::Extension<RequestIds>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = TokenRequest::parse(&body, &headers);
    let token_url = format!("{}/{tenant}/oauth2/v2.0/token", shared.base_url);
    let issued = {
        let mut inner = shared.lock();
        grant(&shared, &mut inner, &token_url, &tenant, &request)
    };
    match issued {
        Ok(body) => {
            let mut response = (StatusCode::OK, Json(body)).into_response();
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store, no-cache"),
            );
            response
        }
        Err(error) => error.into_response(&ids, &shared.base_url),
    }
}

/// Checks the request in the order the identity platform reports problems and answers the
/// grant's success body.
fn grant(
    shared: &Shared,
    inner: &mut Inner,
    token_url: &str,
    tenant: &str,
    request: &TokenRequest,
) -> Result<serde_json::Value, AadError> {
    check_tenant(inner, tenant)?;
    let grant = request
        .grant_type
        .as_deref()
        .ok_or_else(|| AadError::missing_parameter("grant_type"))?;
    match grant {
        "client_credentials" => {}
        delegated::DEVICE_CODE_GRANT | "refresh_token" => {
            return delegated::redeem(shared, inner, token_url, tenant, grant, request);
        }
        _ => return Err(AadError::unsupported_grant(grant)),
    }
    let client_id = request
        .client_id
        .as_deref()
        .ok_or_else(|| AadError::missing_parameter("client_id"))?;
    let scope = request
        .scope
        .as_deref()
        .ok_or_else(|| AadError::missing_parameter("scope"))?;
    check_scope(scope)?;
    let client = find_client(inner, tenant, client_id)?;
    authenticate_client(inner, token_url, &client, request, false)?;
    let (token, lifetime) = issue(shared, inner, &client);
    Ok(json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": token,
    }))
}

/// The tenant must be a registered one, not a multi-tenant alias.
pub(crate) fn check_tenant(inner: &Inner, tenant: &str) -> Result<(), AadError> {
    if MULTI_TENANT_ALIASES.contains(&tenant.to_ascii_lowercase().as_str()) {
        return Err(AadError::multi_tenant_endpoint(tenant));
    }
    if !inner.knows_tenant(tenant) {
        return Err(AadError::tenant_not_found(tenant));
    }
    Ok(())
}

pub(crate) fn find_client(
    inner: &Inner,
    tenant: &str,
    client_id: &str,
) -> Result<ClientRegistration, AadError> {
    inner
        .clients
        .iter()
        .find(|c| c.client_id == client_id && c.tenant_id.eq_ignore_ascii_case(tenant))
        .cloned()
        .ok_or_else(|| AadError::unknown_client(client_id, tenant))
}

/// Checks the client's secret or assertion. With `public_allowed` (the delegated grants), a
/// client registered with "allow public client flows" may send neither.
pub(crate) fn authenticate_client(
    inner: &mut Inner,
    token_url: &str,
    client: &ClientRegistration,
    request: &TokenRequest,
    public_allowed: bool,
) -> Result<(), AadError> {
    let client_id = client.client_id.as_str();
    let no_proof = request.client_secret.is_none() && request.client_assertion.is_none();
    if no_proof && public_allowed && client.allow_public_client {
        return Ok(());
    }
    if let (None, Some(assertion)) = (&request.client_secret, &request.client_assertion) {
        if request.client_assertion_type.as_deref() != Some(assertion::JWT_BEARER) {
            return Err(AadError::wrong_assertion_type());
        }
        if client.certificates.is_empty() && client.federated_credentials.is_empty() {
            return Err(AadError::assertion_unsupported());
        }
        let now = Timestamp::now().as_second();
        assertion::verify(
            client,
            assertion,
            token_url,
            now,
            &mut inner.used_assertions,
        )?;
        return Ok(());
    }
    let secret = request
        .client_secret
        .as_deref()
        .ok_or_else(AadError::missing_credential)?;
    if client.client_secret.is_empty() || secret != client.client_secret {
        return Err(AadError::wrong_secret(client_id));
    }
    if client.secret_expired {
        return Err(AadError::expired_secret(client_id));
    }
    Ok(())
}

/// Whether `item` is one of the reserved OpenID Connect scopes, in any case.
pub(crate) fn is_oidc_scope(item: &str) -> bool {
    OIDC_SCOPES
        .iter()
        .any(|oidc| oidc.eq_ignore_ascii_case(item))
}

/// A client-credentials scope must be exactly one resource's `/.default`, with or without
/// reserved OpenID Connect scopes beside it; no other scope may be combined with `/.default`.
fn check_scope(scope: &str) -> Result<(), AadError> {
    let scopes: Vec<&str> = scope
        .split_whitespace()
        .filter(|item| !is_oidc_scope(item))
        .collect();
    let mut resources: Vec<String> = scopes
        .iter()
        .filter_map(|s| {
            s.rsplit_once('/')
                .map(|(resource, _)| resource.to_ascii_lowercase())
        })
        .collect();
    resources.sort();
    resources.dedup();
    if resources.len() > 1 {
        return Err(AadError::multi_resource_scope(scope));
    }
    let valid = match scopes.as_slice() {
        [only] => only.strip_suffix("/.default").is_some_and(|resource| {
            GRAPH_RESOURCES
                .iter()
                .any(|g| g.eq_ignore_ascii_case(resource))
        }),
        _ => false,
    };
    if valid {
        Ok(())
    } else {
        Err(AadError::invalid_scope(scope))
    }
}

/// Signs an app-only Graph token for `client` and remembers it as live.
fn issue(shared: &Shared, inner: &mut Inner, client: &ClientRegistration) -> (String, u64) {
    let principal = Principal::App {
        roles: client.roles.clone(),
    };
    mint(
        shared,
        inner,
        &client.tenant_id,
        &client.client_id,
        principal,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_rules() {
        assert!(check_scope("https://graph.microsoft.com/.default").is_ok());
        assert!(check_scope("00000003-0000-0000-c000-000000000000/.default").is_ok());
        assert_eq!(check_scope("User.Read").unwrap_err().code, 70011);
        assert_eq!(
            check_scope("https://graph.microsoft.com/User.Read")
                .unwrap_err()
                .code,
            70011
        );
        assert_eq!(
            check_scope(
                "https://graph.microsoft.com/.default https://management.azure.com/.default"
            )
            .unwrap_err()
            .code,
            700022
        );
    }

    #[test]
    fn reserved_oidc_scopes_may_stand_beside_default() {
        for scope in [
            "https://graph.microsoft.com/.default openid offline_access profile",
            "openid https://graph.microsoft.com/.default email",
            "00000003-0000-0000-c000-000000000000/.default offline_access",
            "https://graph.microsoft.com/.default OpenID Profile",
        ] {
            assert!(check_scope(scope).is_ok(), "{scope}");
        }
    }

    #[test]
    fn reserved_oidc_scopes_do_not_make_other_combinations_valid() {
        for scope in [
            "openid offline_access profile",
            "https://graph.microsoft.com/.default openid User.Read",
            "https://graph.microsoft.com/.default https://graph.microsoft.com/User.Read profile",
            "https://graph.microsoft.com/.default phone",
            "https://management.azure.com/.default openid",
        ] {
            assert_eq!(check_scope(scope).unwrap_err().code, 70011, "{scope}");
        }
        assert_eq!(
            check_scope(
                "https://graph.microsoft.com/.default openid https://management.azure.com/.default"
            )
            .unwrap_err()
            .code,
            700022
        );
    }
}
