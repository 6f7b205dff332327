//! Per-request correlation: every response gets `request-id`, `client-request-id`, `Date` and
//! `x-ms-ags-diagnostic`, as Graph and the identity platform send them.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use jiff::Timestamp;
use uuid::Uuid;

use crate::clock;

/// Identifiers of one request, available to handlers as a request extension.
#[derive(Debug, Clone)]
pub struct RequestIds {
    /// Fresh id chosen by the emulator.
    pub request_id: String,
    /// The caller's `client-request-id`, or a generated one.
    pub client_request_id: String,
    /// The caller's `client-request-id` exactly as sent, if any.
    pub sent_client_request_id: Option<String>,
    /// When the request arrived.
    pub received: Timestamp,
}

impl RequestIds {
    /// Ids for a request that did not pass through [`stamp`] (only in misconfigured routers).
    pub fn detached() -> Self {
        Self::from_headers(&HeaderMap::new())
    }

    fn from_headers(headers: &HeaderMap) -> Self {
        let sent = headers
            .get("client-request-id")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        Self {
            request_id: Uuid::new_v4().to_string(),
            client_request_id: sent.clone().unwrap_or_else(|| Uuid::new_v4().to_string()),
            sent_client_request_id: sent,
            received: Timestamp::now(),
        }
    }
}

const DIAGNOSTIC: &str = r#"{"ServerInfo":{"DataCenter":"Emulator","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"graph-emulator"}}"#;

/// Middleware that assigns [`RequestIds`] and stamps the correlation headers on the response.
pub async fn stamp(mut request: Request, next: Next) -> Response {
    let ids = RequestIds::from_headers(request.headers());
    request.extensions_mut().insert(ids.clone());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    set(headers, "request-id", &ids.request_id);
    set(headers, "client-request-id", &ids.client_request_id);
    set(headers, "date", &clock::http_date(Timestamp::now()));
    set(headers, "x-ms-ags-diagnostic", DIAGNOSTIC);
    response
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    // A client-request-id that is not a valid header value was never accepted by hyper in the
    // first place, so a failed conversion only skips a header we could not have echoed anyway.
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}
