//! Middleware in front of the Graph and identity routes: applies fault rules (latency and
//! injected answers) and writes the journal entry for every call.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jiff::{SignedDuration, Timestamp};

use crate::clock;
use crate::context::RequestIds;
use crate::faults::{FaultRule, FaultTarget, RetryAfterFormat};
use crate::identity::error::AadError;
use crate::journal::{JournalEntry, journal_body};
use crate::odata::{FaultMarker, GraphError};
use crate::state::Shared;

/// Largest request body the emulator reads.
const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// Which endpoint family a path belongs to.
fn target_of(path: &str) -> FaultTarget {
    let is_graph = path
        .get(..5)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("/beta"));
    if is_graph {
        FaultTarget::Graph
    } else {
        FaultTarget::Token
    }
}

/// Applies the fault rules to one call and journals it. A call is either never handled (the
/// client disconnected during the latency before handling; journaled with status 499) or handled
/// completely, even if the client goes away meanwhile: handling runs in a task of its own.
pub async fn intercept(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let ids = request
        .extensions()
        .get::<RequestIds>()
        .cloned()
        .unwrap_or_else(RequestIds::detached);
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let target = target_of(parts.uri.path());
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let decision = shared.lock().faults.decide(target, &method, &path);
    let entry = JournalEntry {
        sequence: 0,
        time: ids.received.to_string(),
        target,
        method,
        path,
        query: parts.uri.query().map(str::to_owned),
        client_request_id: ids.sent_client_request_id.clone(),
        authorization_present: parts.headers.contains_key(header::AUTHORIZATION),
        caller: caller(&parts.headers, &shared),
        body: journal_body(
            parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            &bytes,
        ),
        status: 0,
        request_id: ids.request_id.clone(),
        fault: false,
        fault_reason: None,
    };
    // hyper drops this future when the client disconnects; until handling starts, the guard
    // then journals the call as abandoned.
    let mut unhandled = Abandoned {
        shared: shared.clone(),
        entry: Some(entry),
    };
    if decision.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(decision.latency_ms)).await;
    }
    let Some(mut entry) = unhandled.entry.take() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let handling = tokio::spawn({
        let shared = shared.clone();
        async move {
            let response = match decision.answer {
                Some(rule) => {
                    entry.fault_reason = Some(match (&rule.redirect_to, rule.body_bytes) {
                        (Some(_), _) => "injected redirect".to_owned(),
                        (None, Some(bytes)) => format!("injected {bytes}-byte body"),
                        (None, None) => format!("injected {}", rule.status.unwrap_or(0)),
                    });
                    fault_response(&rule, target, &ids, &shared.base_url)
                }
                None => {
                    let request = Request::from_parts(parts, Body::from(bytes));
                    let response = next.run(request).await;
                    entry.fault_reason = response
                        .extensions()
                        .get::<FaultMarker>()
                        .map(|m| m.0.clone());
                    response
                }
            };
            entry.status = response.status().as_u16();
            entry.fault = entry.fault_reason.is_some();
            shared.lock().journal.record(entry);
            response
        }
    });
    let response = match handling.await {
        Ok(response) => response,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    if decision.delay_after_ms > 0 {
        tokio::time::sleep(Duration::from_millis(decision.delay_after_ms)).await;
    }
    response
}

/// The application of the bearer token in `headers`, if the emulator signed it (expiry and
/// audience are the handlers' business; this only names who called).
fn caller(headers: &axum::http::HeaderMap, shared: &Shared) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    shared
        .signer
        .verify(token.trim())
        .ok()
        .map(|claims| claims.appid)
}

/// Status journaled for a call whose client went away before it was handled (nginx's "client
/// closed request").
pub const CLIENT_CLOSED_REQUEST: u16 = 499;

/// Journals a call that was dropped before handling started.
struct Abandoned {
    shared: Arc<Shared>,
    entry: Option<JournalEntry>,
}

impl Drop for Abandoned {
    fn drop(&mut self) {
        if let Some(mut entry) = self.entry.take() {
            entry.status = CLIENT_CLOSED_REQUEST;
            entry.fault = true;
            entry.fault_reason =
                Some("client disconnected during injected latency; not handled".to_owned());
            self.shared.lock().journal.record(entry);
        }
    }
}

/// The answer of a firing rule, in the shape of the target it imitates.
fn fault_response(
    rule: &FaultRule,
    target: FaultTarget,
    ids: &RequestIds,
    base_url: &str,
) -> Response {
    let status = |absent| {
        rule.status
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(absent)
    };
    if let Some(location) = &rule.redirect_to {
        return redirect(status(StatusCode::TEMPORARY_REDIRECT), location);
    }
    if let Some(bytes) = rule.body_bytes {
        return oversized(status(StatusCode::OK), bytes);
    }
    let status = status(StatusCode::SERVICE_UNAVAILABLE);
    let mut response = match target {
        FaultTarget::Token => AadError::custom(
            status,
            rule.error_code
                .as_deref()
                .unwrap_or("temporarily_unavailable"),
            90033,
            rule.message
                .clone()
                .unwrap_or_else(|| "A transient error has occurred. Please try again.".to_owned()),
        )
        .into_response(ids, base_url),
        FaultTarget::Graph | FaultTarget::Any => {
            let (code, message) = graph_fault_defaults(status);
            GraphError::new(
                status,
                rule.error_code.as_deref().unwrap_or(code),
                rule.message.clone().unwrap_or_else(|| message.to_owned()),
            )
            .into_response(ids)
        }
    };
    if let Some(value) = retry_after(rule) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// A redirect with an empty body; an unusable `location` is sent as an empty `Location`.
fn redirect(status: StatusCode, location: &str) -> Response {
    let location = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static(""));
    (status, [(header::LOCATION, location)]).into_response()
}

/// A JSON object of `bytes` bytes (at least its two braces), padded with spaces and streamed in
/// chunks, so that no `Content-Length` announces its size.
fn oversized(status: StatusCode, bytes: u64) -> Response {
    const CHUNK: u64 = 64 * 1024;
    let padding = bytes.saturating_sub(2);
    let chunk = Bytes::from(vec![b' '; CHUNK as usize]);
    let last = Bytes::from(vec![b' '; (padding % CHUNK) as usize]);
    let parts = std::iter::once(Bytes::from_static(b"{"))
        .chain(std::iter::repeat_n(chunk, (padding / CHUNK) as usize))
        .chain([last, Bytes::from_static(b"}")])
        .map(Ok::<_, std::convert::Infallible>);
    let body = Body::from_stream(futures::stream::iter(parts));
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn graph_fault_defaults(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        429 => (
            "TooManyRequests",
            "Too many requests. Retry after the interval in the Retry-After header.",
        ),
        500 => ("InternalServerError", "An internal server error occurred."),
        502 => ("BadGateway", "The gateway received an invalid response."),
        503 => (
            "ServiceUnavailable",
            "The service is temporarily unavailable. Retry later.",
        ),
        504 => ("GatewayTimeout", "The gateway timed out."),
        _ => ("UnknownError", "An injected fault answered this request."),
    }
}

fn retry_after(rule: &FaultRule) -> Option<HeaderValue> {
    let seconds = rule.retry_after_seconds?;
    let text = match rule.retry_after_format {
        RetryAfterFormat::Seconds => seconds.to_string(),
        RetryAfterFormat::HttpDate => {
            let wait = SignedDuration::from_secs(i64::try_from(seconds).unwrap_or(i64::MAX));
            let at = Timestamp::now().checked_add(wait).unwrap_or(Timestamp::MAX);
            clock::http_date(at)
        }
    };
    HeaderValue::from_str(&text).ok()
}
