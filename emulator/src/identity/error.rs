//! OAuth 2.0 errors in the Microsoft identity platform's shape (graph-api.md §6.4).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::clock;
use crate::context::RequestIds;

/// One identity-platform error: HTTP status, OAuth `error`, AADSTS number and message text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AadError {
    pub status: StatusCode,
    pub error: String,
    pub code: u32,
    /// The message after `AADSTSnnnn: `.
    pub text: String,
}

impl AadError {
    fn new(status: StatusCode, error: &str, code: u32, text: impl Into<String>) -> Self {
        Self {
            status,
            error: error.to_owned(),
            code,
            text: text.into(),
        }
    }

    /// Builds an error with an arbitrary status and OAuth error (used by fault injection).
    pub fn custom(status: StatusCode, error: &str, code: u32, text: impl Into<String>) -> Self {
        Self::new(status, error, code, text)
    }

    pub fn tenant_not_found(tenant: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        )
    }

    pub fn multi_tenant_endpoint(tenant: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            9001023,
            format!(
                "The grant type is not supported over the /{tenant} endpoint. Please use a tenant-specific endpoint."
            ),
        )
    }

    pub fn missing_parameter(name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{name}'."),
        )
    }

    pub fn unsupported_grant(grant: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant}'."),
        )
    }

    pub fn invalid_scope(scope: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            format!(
                "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
            ),
        )
    }

    pub fn multi_resource_scope(scope: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            700022,
            format!(
                "The provided value for the input parameter scope is not valid because it contains more than one resource. Scope {scope} is not valid."
            ),
        )
    }

    pub fn unknown_client(client_id: &str, tenant: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
            ),
        )
    }

    pub fn missing_credential() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )
    }

    pub fn wrong_secret(client_id: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
            ),
        )
    }

    pub fn expired_secret(client_id: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000222,
            format!(
                "The provided client secret keys for app '{client_id}' are expired. Create new keys for your app, or consider using certificate credentials for added security."
            ),
        )
    }

    pub fn assertion_unsupported() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700027,
            "Client assertion failed signature validation. The emulator has no certificate or federated credential registered for this application.",
        )
    }

    /// The assertion is not a compact JWS with JSON header and claims.
    pub fn malformed_jwt() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50027,
            "JWT token is invalid or malformed.",
        )
    }

    /// The assertion names a certificate (by thumbprint) that the application does not have.
    pub fn certificate_not_registered(client_id: &str, thumbprint: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700027,
            format!(
                "Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '{thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{client_id}'.]"
            ),
        )
    }

    /// The assertion's signature does not verify under the key it names or its issuer's keys.
    pub fn assertion_signature_invalid() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700027,
            "Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value.]",
        )
    }

    /// A claim or header of the assertion is missing or wrong (`detail` says which).
    pub fn assertion_rejected(detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            50012,
            format!("Authentication failed. {detail}"),
        )
    }

    /// The assertion's `jti` was seen before (emulator policy: 50012, graph-api.md §6.4).
    pub fn assertion_replayed(jti: &str) -> Self {
        Self::assertion_rejected(format!(
            "The client assertion with jti '{jti}' was already used; every assertion needs a new jti."
        ))
    }

    /// `nbf`/`exp` of the assertion do not include now (beyond the tolerated skew).
    pub fn assertion_out_of_time(now: i64, nbf: Option<i64>, exp: Option<i64>) -> Self {
        let show = |at: Option<i64>| at.map_or_else(|| "(none)".to_owned(), |at| at.to_string());
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            700024,
            format!(
                "Client assertion is not within its valid time range. Current time: {now}, assertion valid from {}, expiry time of assertion {}.",
                show(nbf),
                show(exp)
            ),
        )
    }

    /// No federated identity credential of the application trusts this issuer, subject and audience.
    pub fn no_matching_federated_identity(
        issuer: &str,
        subject: &str,
        audiences: &[String],
    ) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            70021,
            format!(
                "No matching federated identity record found for presented assertion. Assertion Issuer: '{issuer}'. Assertion Subject: '{subject}'. Assertion Audience: '{}'.",
                audiences.join(",")
            ),
        )
    }

    /// `client_assertion` without the jwt-bearer `client_assertion_type`.
    pub fn wrong_assertion_type() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_assertion_type' with the value 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.",
        )
    }

    /// Device flow: the user has not finished signing in (RFC 8628 §3.5).
    pub fn authorization_pending() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        )
    }

    /// Device flow: polled again sooner than `interval` (emulator policy: code 70016).
    pub fn slow_down(interval_secs: u64) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "slow_down",
            70016,
            format!(
                "OAuth 2.0 device flow error. Polled faster than the interval of {interval_secs} seconds; slow down."
            ),
        )
    }

    /// Device flow: the user declined to sign in.
    pub fn authorization_declined() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "authorization_declined",
            70000,
            "The end user declined the authorization request.",
        )
    }

    /// Device flow: the device code expired before the user signed in.
    pub fn expired_token() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "expired_token",
            70019,
            "Verification code expired.",
        )
    }

    /// An unknown device code, or one issued to another client.
    pub fn invalid_device_code() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            70000,
            "The provided value for the input parameter 'device_code' is not valid.",
        )
    }

    /// A refresh token this emulator never issued.
    pub fn refresh_token_malformed() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid.",
        )
    }

    /// A refresh token issued to another client, or redeemed before while reuse is off.
    pub fn grant_invalid(detail: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            70000,
            format!("Provided grant is invalid or malformed. {detail}"),
        )
    }

    /// The refresh token was not used within its lifetime.
    pub fn refresh_token_expired() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            700082,
            "The refresh token has expired due to inactivity. The token was issued to a session that was inactive for longer than the refresh token lifetime.",
        )
    }

    /// The session behind the refresh token was revoked (password reset, revoked sessions).
    pub fn refresh_token_revoked() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            50173,
            "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
        )
    }

    /// A refresh asked for a permission the user never consented to.
    pub fn consent_required(permission: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            65001,
            format!(
                "The user or administrator has not consented to use the application with the permission '{permission}'. Send an interactive authorization request for this user and resource."
            ),
        )
    }

    /// The JSON body and status, correlated with this request.
    pub fn into_response(self, ids: &RequestIds, base_url: &str) -> Response {
        let timestamp = clock::aad_timestamp(ids.received);
        let description = format!(
            "AADSTS{}: {}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {timestamp}",
            self.code, self.text, ids.request_id, ids.client_request_id
        );
        let body = json!({
            "error": self.error,
            "error_description": description,
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": ids.request_id,
            "correlation_id": ids.client_request_id,
            "error_uri": format!("{base_url}/error?code={}", self.code),
        });
        (self.status, Json(body)).into_response()
    }
}
