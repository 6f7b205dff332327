//! Delegated access: `POST /{tenant}/oauth2/v2.0/devicecode` (RFC 8628 device authorization),
//! and the `device_code` and `refresh_token` grants of the token endpoint. Tokens issued here
//! carry the user's consented permissions in `scp` (`idtyp: user`), never `roles`; each refresh
//! rotates the refresh token.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error::AadError;
use super::grants::{
    Decision, DelegatedGrant, DeviceAuthorization, PollError, RefreshError, new_user_code,
};

use super::mint::{Principal, mint};
use super::token::{
    GRAPH_RESOURCES, TokenRequest, authenticate_client, check_tenant, find_client, is_oidc_scope,
};
use crate::context::RequestIds;
use crate::state::{Inner, Shared};

/// `grant_type` of the device flow's token requests.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A parsed `scope`: Graph permissions by name, whether `.default` was asked, `offline_access`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Scopes {
    permissions: Vec<String>,
    default: bool,
    offline: bool,
}

/// Delegated scopes must all be Graph's, named with or without its resource prefix.
fn parse_scopes(scope: &str) -> Result<Scopes, AadError> {
    let mut parsed = Scopes::default();
    for item in scope.split_whitespace() {
        if item.eq_ignore_ascii_case("offline_access") {
            parsed.offline = true;
            continue;
        }
        if is_oidc_scope(item) {
            continue;
        }
        let name = match item.rsplit_once('/') {
            Some((resource, name)) => {
                let graph = GRAPH_RESOURCES
                    .iter()
                    .any(|g| g.eq_ignore_ascii_case(resource));
                if !graph {
                    return Err(AadError::multi_resource_scope(scope));
                }
                name
            }
            None => item,
        };
        if name == ".default" {
            parsed.default = true;
        } else if !name.is_empty() {
            parsed.permissions.push(name.to_owned());
        }
    }
    if parsed.permissions.is_empty() && !parsed.default {
        return Err(AadError::invalid_scope(scope));
    }
    Ok(parsed)
}

/// Handler of `POST /{tenant}/oauth2/v2.0/devicecode`.
pub async fn device_code(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    axum::Extension(ids): axum::Extension<RequestIds>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = TokenRequest::parse(&body, &headers);
    let started = {
        let mut inner = shared.lock();
        start(&shared, &mut inner, &tenant, &request)
    };
    match started {
        Ok(body) => (StatusCode::OK, Json(body)).into_response(),
        Err(error) => error.into_response(&ids, &shared.base_url),
    }
}

fn start(
    shared: &Shared,
    inner: &mut Inner,
    tenant: &str,
    request: &TokenRequest,
) -> Result<Value, AadError> {
    check_tenant(inner, tenant)?;
    let client_id = request
        .client_id
        .as_deref()
        .ok_or_else(|| AadError::missing_parameter("client_id"))?;
    let scope = request
        .scope
        .as_deref()
        .ok_or_else(|| AadError::missing_parameter("scope"))?;
    let scopes = parse_scopes(scope)?;
    let client = find_client(inner, tenant, client_id)?;
    let settings = &inner.settings;
    let interval = settings.device_code_interval_secs;
    let lifetime = settings.device_code_lifetime_secs;
    let user_code = new_user_code();
    let device_code = format!(
        "emu-dc.{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let verification_uri = format!("{}/devicelogin", shared.base_url);
    inner
        .delegated
        .start_device_authorization(DeviceAuthorization {
            device_code: device_code.clone(),
            user_code: user_code.clone(),
            tenant_id: client.tenant_id.clone(),
            client_id: client.client_id.clone(),
            requested: scopes.permissions,
            offline: scopes.offline,
            expires_at: Instant::now() + Duration::from_secs(lifetime),
            interval: Duration::from_secs(interval),
            last_poll: None,
            decision: Decision::Pending,
        });
    Ok(json!({
        "user_code": user_code,
        "device_code": device_code,
        "verification_uri": verification_uri,
        "expires_in": lifetime,
        "interval": interval,
        "message": format!(
            "To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate."
        ),
    }))
}

/// The `device_code` and `refresh_token` grants, after the tenant and grant type were checked.
pub(crate) fn redeem(
    shared: &Shared,
    inner: &mut Inner,
    token_url: &str,
    tenant: &str,
    grant_type: &str,
    request: &TokenRequest,
) -> Result<Value, AadError> {
    let client_id = request
        .client_id
        .as_deref()
        .ok_or_else(|| AadError::missing_parameter("client_id"))?;
    let client = find_client(inner, tenant, client_id)?;
    let now = Instant::now();
    let (grant, asked) = if grant_type == DEVICE_CODE_GRANT {
        let code = request
            .device_code
            .as_deref()
            .ok_or_else(|| AadError::missing_parameter("device_code"))?;
        authenticate_client(inner, token_url, &client, request, true)?;
        let interval = inner.settings.device_code_interval_secs;
        let grant = inner
            .delegated
            .poll(code, client_id, now)
            .map_err(|error| match error {
                PollError::Unknown | PollError::OtherClient => AadError::invalid_device_code(),
                PollError::Expired => AadError::expired_token(),
                PollError::SlowDown => AadError::slow_down(interval),
                PollError::Pending => AadError::authorization_pending(),
                PollError::Declined => AadError::authorization_declined(),
            })?;
        (grant, None)
    } else {
        let token = request
            .refresh_token
            .as_deref()
            .ok_or_else(|| AadError::missing_parameter("refresh_token"))?;
        let scope = request
            .scope
            .as_deref()
            .ok_or_else(|| AadError::missing_parameter("scope"))?;
        let scopes = parse_scopes(scope)?;
        authenticate_client(inner, token_url, &client, request, true)?;
        let reuse = inner.settings.refresh_token_reuse_allowed;
        let grant = inner
            .delegated
            .redeem_refresh_token(token, client_id, now, reuse)
            .map_err(|error| match error {
                RefreshError::Unknown => AadError::refresh_token_malformed(),
                RefreshError::OtherClient => {
                    AadError::grant_invalid("The refresh token was issued to another client.")
                }
                RefreshError::Reused => AadError::grant_invalid(
                    "The refresh token was already redeemed; use the one returned with it.",
                ),
                RefreshError::Expired => AadError::refresh_token_expired(),
                RefreshError::Revoked => AadError::refresh_token_revoked(),
            })?;
        if let Some(missing) = scopes.permissions.iter().find(|asked| {
            !grant
                .user
                .scopes
                .iter()
                .any(|granted| granted.eq_ignore_ascii_case(asked))
        }) {
            return Err(AadError::consent_required(missing));
        }
        let asked = (!scopes.permissions.is_empty()).then_some(scopes.permissions);
        (grant, asked)
    };
    Ok(issue(shared, inner, grant, asked, now))
}

/// Signs a delegated access token (and, for offline sessions, a new refresh token).
fn issue(
    shared: &Shared,
    inner: &mut Inner,
    grant: DelegatedGrant,
    asked: Option<Vec<String>>,
    now: Instant,
) -> Value {
    let scopes = asked.unwrap_or_else(|| grant.user.scopes.clone());
    let scp = scopes.join(" ");
    let principal = Principal::User {
        scp: scp.clone(),
        upn: grant.user.upn.clone(),
        name: grant.user.name.clone(),
    };
    let (access_token, lifetime) =
        mint(shared, inner, &grant.tenant_id, &grant.client_id, principal);
    let mut body = json!({
        "token_type": "Bearer",
        "scope": scp,
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access_token,
    });
    if grant.offline {
        let refresh_lifetime = Duration::from_secs(inner.settings.refresh_token_lifetime_secs);
        let refresh_token = inner
            .delegated
            .issue_refresh_token(grant, refresh_lifetime, now);
        body["refresh_token"] = Value::String(refresh_token);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_parsing() {
        let parsed = parse_scopes(
            "https://graph.microsoft.com/IndustryData-OutboundFlow.ReadWrite.All offline_access openid",
        )
        .unwrap();
        assert_eq!(
            parsed.permissions,
            vec!["IndustryData-OutboundFlow.ReadWrite.All"]
        );
        assert!(parsed.offline && !parsed.default);
        let parsed = parse_scopes("https://graph.microsoft.com/.default offline_access").unwrap();
        assert!(parsed.default && parsed.permissions.is_empty());
        assert_eq!(parse_scopes("offline_access").unwrap_err().code, 70011);
        assert_eq!(
            parse_scopes("https://management.azure.com/user_impersonation")
                .unwrap_err()
                .code,
            700022
        );
    }
}
