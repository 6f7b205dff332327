//! Graph response building: OData JSON media type, error envelope and the error kinds the
//! emulator answers with.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::clock;
use crate::context::RequestIds;

/// Content type of Graph JSON responses (graph-api.md §5.2).
pub const GRAPH_CONTENT_TYPE: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// Why a fault marker was put on a response, for the journal.
#[derive(Debug, Clone)]
pub struct FaultMarker(pub String);

/// A Graph JSON response with the OData headers.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(GRAPH_CONTENT_TYPE),
    );
    headers.insert("odata-version", HeaderValue::from_static("4.0"));
    response
}

/// A response without body (204, 202).
pub fn empty_response(status: StatusCode) -> Response {
    status.into_response()
}

/// A Graph error: status, OData `code` and developer message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// Rarely used parts, boxed to keep `Result<_, GraphError>` small.
    extras: Option<Box<ErrorExtras>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ErrorExtras {
    /// `WWW-Authenticate` challenge of a 401.
    challenge: Option<String>,
    /// `Allow` header of a 405.
    allow: Option<String>,
    /// Set when the error is a simulated fault rather than a real outcome.
    fault: Option<String>,
}

impl GraphError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            extras: None,
        }
    }

    fn extras(&mut self) -> &mut ErrorExtras {
        self.extras.get_or_insert_with(Box::default)
    }

    /// Marks the error as a simulated fault (journaled as such).
    pub fn as_fault(mut self, reason: &str) -> Self {
        self.extras().fault = Some(reason.to_owned());
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "notFound", message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    pub fn unauthorized(message: impl Into<String>, challenge: String) -> Self {
        let mut error = Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        );
        error.extras().challenge = Some(challenge);
        error
    }

    pub fn method_not_allowed(method: &str, allow: &str) -> Self {
        let mut error = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "methodNotAllowed",
            format!("The HTTP method '{method}' is not allowed for this resource."),
        );
        error.extras().allow = Some(allow.to_owned());
        error
    }

    /// The body and headers Graph would send for this error.
    pub fn into_response(self, ids: &RequestIds) -> Response {
        let body = json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "innerError": {
                    "date": clock::inner_error_date(ids.received),
                    "request-id": ids.request_id,
                    "client-request-id": ids.client_request_id,
                }
            }
        });
        let mut response = json_response(self.status, &body);
        let extras = self.extras.map(|extras| *extras).unwrap_or_default();
        let headers = response.headers_mut();
        if let Some(value) = extras
            .challenge
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        if let Some(value) = extras.allow.and_then(|a| HeaderValue::from_str(&a).ok()) {
            headers.insert(header::ALLOW, value);
        }
        if let Some(reason) = extras.fault {
            response.extensions_mut().insert(FaultMarker(reason));
        }
        response
    }
}
