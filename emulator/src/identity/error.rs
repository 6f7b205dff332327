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
