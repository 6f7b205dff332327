//! [`GraphError`]'s sentence for people: what failed, Graph's own message, what to check by
//! class, then the ids Graph support asks for.

use std::fmt;

use super::{ErrorClass, Failure, GraphError, Operation};
use crate::endpoints::EndpointRole;

impl GraphError {
    /// What a person should do about it, by class.
    fn advice(&self) -> String {
        match self.class() {
            // No number of seconds here: this text becomes a condition message, and a message
            // that changes on every retry would rewrite the status every time.
            ErrorClass::Throttled if self.0.failure == Failure::HeldBack => {
                "not sent: Graph throttled this application moments ago, so every resource \
                 using this credential waits until Graph's Retry-After has passed"
                    .into()
            }
            ErrorClass::Throttled => match self.0.retry_after {
                Some(wait) => format!(
                    "Graph is throttling this application; retry in {} s",
                    wait.as_secs()
                ),
                None => "Graph is throttling this application; retry after a back-off".into(),
            },
            ErrorClass::Unavailable => match self.0.failure {
                Failure::Transport { timeout: true } => {
                    "Graph did not answer in time; retry later".into()
                }
                Failure::Transport { timeout: false } => {
                    "Graph could not be reached; check the network path and the Graph endpoint"
                        .into()
                }
                _ => "Graph is temporarily unavailable; retry later".into(),
            },
            ErrorClass::NotFound => {
                "Graph does not know this flow set or flow; check flowSetId and that the \
                 credential belongs to the flow set's tenant"
                    .into()
            }
            ErrorClass::BadRequest => {
                "Graph refused the request as invalid; correct the resource and apply it again"
                    .into()
            }
            ErrorClass::Unauthorized => {
                "Graph refused the access token; a new token is requested on the next attempt"
                    .into()
            }
            ErrorClass::Forbidden => {
                "the application lacks permission; grant it the IndustryData-OutboundFlow.\
                 ReadWrite.All application permission with admin consent"
                    .into()
            }
            ErrorClass::Conflict => {
                "Graph reports a conflict, for example the flow set already holds a \
                 security-group flow"
                    .into()
            }
            ErrorClass::Token(kind) => kind.advice(),
            ErrorClass::Redirected => {
                let flag = match self.0.failure {
                    Failure::Redirected {
                        by: EndpointRole::Authority,
                    } => "--authority-host",
                    _ => "--graph-endpoint",
                };
                format!(
                    "the {} answered with a redirect, which this client never follows so that                      no credential or token is sent anywhere else; check {flag} and any proxy                      in between",
                    self.endpoint_role()
                )
            }
            ErrorClass::ResponseTooLarge => {
                let limit = match self.0.failure {
                    Failure::TooLarge { limit, .. } => limit,
                    _ => 0,
                };
                format!(
                    "the {}'s answer is larger than {} KiB, the most this client reads; check                      the endpoint and any proxy in between",
                    self.endpoint_role(),
                    limit / 1024
                )
            }
            ErrorClass::Unexpected => {
                "Graph's answer was not what this client understands; if it persists, report \
                 it with the ids below"
                    .into()
            }
        }
    }
}

impl GraphError {
    /// Which endpoint a redirect or oversized answer came from.
    fn endpoint_role(&self) -> EndpointRole {
        match self.0.failure {
            Failure::Redirected { by } | Failure::TooLarge { by, .. } => by,
            Failure::Token(_) => EndpointRole::Authority,
            _ => EndpointRole::Graph,
        }
    }

    /// The sentence without the ids of this one request: stable from one failed attempt to the
    /// next, so a condition carrying it is not rewritten on every retry.
    pub fn summary(&self) -> String {
        Summary(self).to_string()
    }
}

/// [`GraphError`]'s sentence without its request ids.
struct Summary<'a>(&'a GraphError);

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let error = self.0;
        write!(f, "{} failed", error.0.operation)?;
        if error.endpoint_role() == EndpointRole::Authority
            && error.0.operation != Operation::AcquireToken
        {
            f.write_str(" because no access token could be acquired")?;
        }
        match (error.0.status, &error.0.code) {
            (Some(status), Some(code)) => write!(f, " (HTTP {status}, {code})")?,
            (Some(status), None) => write!(f, " (HTTP {status})")?,
            (None, Some(code)) => write!(f, " ({code})")?,
            (None, None) => {}
        }
        write!(f, ": {}", error.advice())?;
        if let Some(message) = &error.0.message {
            write!(f, ". Message: {message}")?;
        }
        if let Some(source) = &error.0.source {
            write!(f, ". Cause: {source}")?;
        }
        Ok(())
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Summary(self).fmt(f)?;
        if let Some(request_id) = &self.0.request_id {
            write!(f, " [request-id {request_id}]")?;
        }
        write!(f, " [client-request-id {}]", self.0.client_request_id)?;
        if let Some(date) = &self.0.date {
            write!(f, " [date {date}]")?;
        }
        Ok(())
    }
}
