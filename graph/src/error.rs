//! Why a Graph call failed, classified once so that the controller's error policy can decide with
//! a `match` (retry after a delay, stall, treat as gone) instead of reading messages.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use crate::endpoints::EndpointRole;
use crate::identity::token_error::TokenErrorKind;
use crate::odata_error::ODataErrorSummary;
use crate::response::{MAX_RETRY_AFTER, ResponseMeta};

mod message;

/// The client call that failed, so that an error says what was being attempted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    AcquireToken,
    ListFlowSets,
    CreateFlowSet,
    GetFlowSet,
    UpdateFlowSet,
    DeleteFlowSet,
    ListFlows,
    GetFlow,
    CreateFlow,
    UpdateFlow,
    DeleteFlow,
    ResetFlow,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AcquireToken => "acquiring a Graph access token",
            Self::ListFlowSets => "listing the outbound provisioning flow sets",
            Self::CreateFlowSet => "creating the outbound provisioning flow set",
            Self::GetFlowSet => "reading the flow set",
            Self::UpdateFlowSet => "updating the outbound provisioning flow set",
            Self::DeleteFlowSet => "deleting the outbound provisioning flow set",
            Self::ListFlows => "listing the flow set's provisioning flows",
            Self::GetFlow => "reading the provisioning flow",
            Self::CreateFlow => "creating the provisioning flow",
            Self::UpdateFlow => "updating the provisioning flow",
            Self::DeleteFlow => "deleting the provisioning flow",
            Self::ResetFlow => "resetting the provisioning flow",
        })
    }
}

/// What kind of failure an error is, which is all a retry policy needs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// 429: slow down, honouring [`GraphError::retry_after`].
    Throttled,
    /// 500/502/503/504, timeouts and connection failures: transient.
    Unavailable,
    /// 404: the flow set or flow does not exist.
    NotFound,
    /// 400/422: Graph refused the request itself; retrying unchanged will not help.
    BadRequest,
    /// 401 from Graph: the token was refused. The cached token is already dropped.
    Unauthorized,
    /// 403: the application lacks a permission.
    Forbidden,
    /// 409: for example a second security-group flow in one flow set.
    Conflict,
    /// The token endpoint refused or failed.
    Token(TokenErrorKind),
    /// Graph or the token endpoint answered with a redirect, which is never followed: a person
    /// must check the configured endpoints and whatever stands between them and the operator.
    Redirected,
    /// The answer's body exceeded the size this client reads.
    ResponseTooLarge,
    /// Anything else, including answers that could not be read.
    Unexpected,
}

impl ErrorClass {
    /// Whether the same request may succeed later without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Throttled | Self::Unavailable | Self::Token(TokenErrorKind::Unavailable)
        )
    }
}

/// How the call failed, before classification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Graph answered with an error status.
    Status,
    /// No usable HTTP answer: timeout, connection error, broken body.
    Transport { timeout: bool },
    /// The token endpoint refused or failed.
    Token(TokenErrorKind),
    /// A success status with a body that could not be read, or a protocol violation.
    Unreadable,
    /// Not sent: Graph throttled this credential a moment ago and its wait is not over.
    HeldBack,
    /// A 3xx answer from `by`, not followed.
    Redirected { by: EndpointRole },
    /// An answer from `by` whose body exceeded `limit` bytes, not read to its end.
    TooLarge { by: EndpointRole, limit: usize },
}

/// A failed Graph or token call. Its `Display` is a sentence meant for a person (it becomes a
/// condition message): what failed, Graph's own message and what to check, then the ids Graph
/// support asks for. It never contains a secret or a token.
#[derive(Debug)]
pub struct GraphError(Box<Details>);

/// Boxed so that `Result<_, GraphError>` stays small.
#[derive(Debug)]
struct Details {
    operation: Operation,
    failure: Failure,
    status: Option<u16>,
    code: Option<String>,
    inner_code: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
    client_request_id: String,
    date: Option<String>,
    retry_after: Option<Duration>,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl GraphError {
    fn new(operation: Operation, failure: Failure, client_request_id: String) -> Self {
        Self(Box::new(Details {
            operation,
            failure,
            status: None,
            code: None,
            inner_code: None,
            message: None,
            request_id: None,
            client_request_id,
            date: None,
            retry_after: None,
            source: None,
        }))
    }

    fn with_meta(mut self, meta: ResponseMeta) -> Self {
        self.0.status = Some(meta.status);
        self.0.request_id = meta.request_id;
        self.0.date = meta.date;
        self.0.retry_after = meta.retry_after.map(|wait| wait.min(MAX_RETRY_AFTER));
        self
    }

    /// Graph answered `meta.status` (not 2xx) with `body`, normally an OData error.
    pub(crate) fn from_status(
        operation: Operation,
        client_request_id: String,
        meta: ResponseMeta,
        body: &[u8],
    ) -> Self {
        let mut error = Self::new(operation, Failure::Status, client_request_id).with_meta(meta);
        if let Some(odata) = ODataErrorSummary::parse(body) {
            let details = &mut error.0;
            details.code = odata.code;
            details.inner_code = odata.inner_code;
            details.message = odata.message;
            // The headers are authoritative; the body fills in what they lack.
            details.request_id = details.request_id.take().or(odata.request_id);
            details.date = details.date.take().or(odata.date);
        }
        error
    }

    /// The request got no usable answer.
    pub(crate) fn transport(
        operation: Operation,
        client_request_id: String,
        source: reqwest::Error,
    ) -> Self {
        let failure = if source.is_builder() {
            Failure::Unreadable
        } else {
            Failure::Transport {
                timeout: source.is_timeout(),
            }
        };
        let mut error = Self::new(operation, failure, client_request_id);
        error.0.status = source.status().map(|status| status.as_u16());
        error.0.source = Some(Box::new(source));
        error
    }

    /// A success status whose body could not be read, or an answer that breaks the protocol.
    pub(crate) fn unreadable(
        operation: Operation,
        client_request_id: String,
        meta: Option<ResponseMeta>,
        what: impl Into<String>,
        source: Option<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        let mut error = Self::new(operation, Failure::Unreadable, client_request_id);
        if let Some(meta) = meta {
            error = error.with_meta(meta);
        }
        error.0.message = Some(what.into());
        error.0.source = source;
        error
    }

    /// Not sent, because Graph throttled this credential and `wait` remains of its Retry-After.
    pub(crate) fn held_back(
        operation: Operation,
        client_request_id: String,
        wait: Duration,
    ) -> Self {
        let mut error = Self::new(operation, Failure::HeldBack, client_request_id);
        error.0.retry_after = Some(wait.min(MAX_RETRY_AFTER));
        error
    }

    /// `by` answered with a redirect (`meta.status`), not followed. `target` is where it pointed,
    /// already stripped of anything that may carry a secret (see `http::redirect_target`).
    pub(crate) fn redirected(
        operation: Operation,
        by: EndpointRole,
        client_request_id: String,
        meta: ResponseMeta,
        target: Option<String>,
    ) -> Self {
        let mut error =
            Self::new(operation, Failure::Redirected { by }, client_request_id).with_meta(meta);
        error.0.message = Some(match target {
            Some(target) => format!("the redirect pointed to {target} and was not followed"),
            None => "the redirect had no readable Location and was not followed".to_owned(),
        });
        error
    }

    /// `by` answered (`meta.status`) with a body larger than `limit` bytes, left unread.
    pub(crate) fn too_large(
        operation: Operation,
        by: EndpointRole,
        client_request_id: String,
        meta: ResponseMeta,
        limit: usize,
    ) -> Self {
        Self::new(
            operation,
            Failure::TooLarge { by, limit },
            client_request_id,
        )
        .with_meta(meta)
    }

    /// The token endpoint refused or failed; `message` must already be free of secrets.
    pub(crate) fn token(
        kind: TokenErrorKind,
        client_request_id: String,
        meta: Option<ResponseMeta>,
        code: Option<String>,
        message: Option<String>,
        source: Option<reqwest::Error>,
    ) -> Self {
        let mut error = Self::new(
            Operation::AcquireToken,
            Failure::Token(kind),
            client_request_id,
        );
        if let Some(meta) = meta {
            error = error.with_meta(meta);
        }
        error.0.code = code;
        error.0.message = message;
        error.0.source = source.map(|source| Box::new(source) as _);
        error
    }

    /// Tells which Graph call needed the token that could not be had.
    pub(crate) fn during(mut self, operation: Operation) -> Self {
        self.0.operation = operation;
        self
    }

    /// The classification every retry decision is based on.
    pub fn class(&self) -> ErrorClass {
        match self.0.failure {
            Failure::Token(kind) => ErrorClass::Token(kind),
            Failure::Transport { .. } => ErrorClass::Unavailable,
            Failure::Unreadable => ErrorClass::Unexpected,
            Failure::HeldBack => ErrorClass::Throttled,
            Failure::Redirected { .. } => ErrorClass::Redirected,
            Failure::TooLarge { .. } => ErrorClass::ResponseTooLarge,
            Failure::Status => match self.0.status {
                Some(429) => ErrorClass::Throttled,
                Some(500 | 502 | 503 | 504) => ErrorClass::Unavailable,
                Some(404) => ErrorClass::NotFound,
                Some(400 | 422) => ErrorClass::BadRequest,
                Some(401) => ErrorClass::Unauthorized,
                Some(403) => ErrorClass::Forbidden,
                Some(409) => ErrorClass::Conflict,
                _ => ErrorClass::Unexpected,
            },
        }
    }

    /// Whether Graph certainly changed nothing, so that a create may be sent again without
    /// looking for its flow first: it never reached Graph, or Graph refused it before acting
    /// (a 4xx other than 408 and 409). Stricter than `had_no_effect` about server errors (a 5xx
    /// may follow a flow that was made), broader about refusals (a 400 is not worth retrying as
    /// is, but no flow came of it). A 409 may be an earlier create of ours seen late.
    pub fn changed_nothing(&self) -> bool {
        self.never_sent()
            || (self.0.failure == Failure::Status
                && matches!(self.0.status, Some(400..=499))
                && !matches!(self.0.status, Some(408 | 409)))
    }

    pub fn operation(&self) -> Operation {
        self.0.operation
    }

    /// HTTP status; `None` when no answer arrived.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// OData `error.code` from Graph, or OAuth `error` from the token endpoint.
    pub fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }

    /// The innermost `innerError.code`, when Graph gave a more specific one.
    pub fn inner_code(&self) -> Option<&str> {
        self.0.inner_code.as_deref()
    }

    /// Graph's (or the identity platform's) message, for people; never branch on it.
    pub fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }

    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// The `client-request-id` this client sent with the failed request.
    pub fn client_request_id(&self) -> &str {
        &self.0.client_request_id
    }

    /// `Date` of the answer (or `innerError.date` when the header was missing).
    pub fn date(&self) -> Option<&str> {
        self.0.date.as_deref()
    }

    /// How long Graph asked the caller to wait, from `Retry-After`; never more than an hour
    /// ([`MAX_RETRY_AFTER`]), so a caller may add it to an `Instant` without overflow.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// Whether the request certainly had no effect, so sending it again cannot repeat it: it
    /// never left (held back by throttling, no token, no connection), or Graph answered that it
    /// could not handle it now (429, 5xx) or pointed elsewhere (a redirect, not followed). A
    /// timeout or a broken or oversized answer may hide a request that Graph carried out: that
    /// one is not safe to send again.
    pub fn had_no_effect(&self) -> bool {
        self.never_sent() || (self.0.failure == Failure::Status && self.class().is_transient())
    }

    /// Whether the request was never carried out: held back by throttling, no token, no
    /// connection, or answered with a redirect that was not followed.
    fn never_sent(&self) -> bool {
        match self.0.failure {
            Failure::HeldBack | Failure::Token(_) | Failure::Redirected { .. } => true,
            Failure::Transport { timeout: false } => {
                self.0.source.as_deref().is_some_and(|source| {
                    source
                        .downcast_ref::<reqwest::Error>()
                        .is_some_and(reqwest::Error::is_connect)
                })
            }
            Failure::Status
            | Failure::Transport { timeout: true }
            | Failure::Unreadable
            | Failure::TooLarge { .. } => false,
        }
    }
}

impl StdError for GraphError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
