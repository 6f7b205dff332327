//! Admin calls for the delegated grants: the simulated user who signs in (or declines) at the
//! verification page, expiring a device code, and revoking or listing refresh tokens.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::handlers::AdminError;
use super::model::{DeviceCodeApproval, DeviceCodeSummary, RefreshTokenRevocation, Revoked};
use crate::identity::grants::{Decision, RefreshTokenSummary, SignIn};
use crate::state::Shared;

type AppState = State<Arc<Shared>>;

fn unknown(user_code: &str) -> AdminError {
    AdminError::new(
        StatusCode::NOT_FOUND,
        format!("no device authorization with user code '{user_code}'"),
    )
}

/// Device authorizations not yet redeemed, oldest first.
pub async fn list_device_codes(State(shared): AppState) -> Json<Vec<DeviceCodeSummary>> {
    let inner = shared.lock();
    let now = Instant::now();
    let summaries = inner
        .delegated
        .device_authorizations()
        .iter()
        .map(|device| DeviceCodeSummary {
            user_code: device.user_code.clone(),
            tenant_id: device.tenant_id.clone(),
            client_id: device.client_id.clone(),
            scopes: device.requested.clone(),
            status: match device.decision {
                Decision::Pending => "pending",
                Decision::Approved(_) => "approved",
                Decision::Declined => "declined",
            }
            .to_owned(),
            expired: now >= device.expires_at,
        })
        .collect();
    Json(summaries)
}

/// The user signs in and consents; the next poll gets tokens.
pub async fn approve_device_code(
    State(shared): AppState,
    Path(user_code): Path<String>,
    Json(approval): Json<DeviceCodeApproval>,
) -> Result<StatusCode, AdminError> {
    let mut inner = shared.lock();
    let device = inner
        .delegated
        .by_user_code(&user_code)
        .ok_or_else(|| unknown(&user_code))?;
    let scopes = approval.scopes.unwrap_or_else(|| device.requested.clone());
    if scopes.is_empty() {
        return Err(AdminError::new(
            StatusCode::BAD_REQUEST,
            "the request asked only for .default: name the consented scopes".to_owned(),
        ));
    }
    let name = approval.name.unwrap_or_else(|| {
        approval
            .user
            .split('@')
            .next()
            .unwrap_or_default()
            .to_owned()
    });
    device.decision = Decision::Approved(SignIn {
        upn: approval.user,
        name,
        scopes,
    });
    Ok(StatusCode::NO_CONTENT)
}

/// The user declines; the next poll answers `authorization_declined`.
pub async fn deny_device_code(
    State(shared): AppState,
    Path(user_code): Path<String>,
) -> Result<StatusCode, AdminError> {
    let mut inner = shared.lock();
    let device = inner
        .delegated
        .by_user_code(&user_code)
        .ok_or_else(|| unknown(&user_code))?;
    device.decision = Decision::Declined;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends the code's lifetime now; the next poll answers `expired_token`.
pub async fn expire_device_code(
    State(shared): AppState,
    Path(user_code): Path<String>,
) -> Result<StatusCode, AdminError> {
    let mut inner = shared.lock();
    let device = inner
        .delegated
        .by_user_code(&user_code)
        .ok_or_else(|| unknown(&user_code))?;
    device.expires_at = Instant::now();
    Ok(StatusCode::NO_CONTENT)
}

/// Every refresh token (never its value).
pub async fn list_refresh_tokens(State(shared): AppState) -> Json<Vec<RefreshTokenSummary>> {
    Json(
        shared
            .lock()
            .delegated
            .refresh_token_summaries(Instant::now()),
    )
}

/// Revokes the refresh tokens of a client and/or user, as "revoke sessions" does.
pub async fn revoke_refresh_tokens(
    State(shared): AppState,
    Json(revocation): Json<RefreshTokenRevocation>,
) -> Json<Revoked> {
    let revoked = shared
        .lock()
        .delegated
        .revoke(revocation.client_id.as_deref(), revocation.user.as_deref());
    Json(Revoked { revoked })
}
