//! The reconcile error: every way a reconcile can fail, classified once into a bounded reason
//! (condition, event and metric) and a retry class (what `error_policy` does with it).

use std::time::Duration;

use graph::{ErrorClass, GraphError};

use crate::crd::Reason;
use crate::credentials_secret::SecretCredentialError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Graph(#[from] GraphError),

    #[error(
        "credentials Secret {namespace}/{name} not found: create it with the keys tenantId, clientId and clientSecret, or fix spec.credentialsSecretRef"
    )]
    SecretNotFound { namespace: String, name: String },

    #[error("credentials Secret {namespace}/{name}: {source}")]
    SecretInvalid {
        namespace: String,
        name: String,
        source: SecretCredentialError,
    },

    #[error(
        "no credentials: spec.credentialsSecretRef is not set and the operator has no credential of its own (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)"
    )]
    NoDefaultCredential,

    #[error(
        "the operator's own credential may not be used from namespace {namespace} (it is allowed in {allowed}): set spec.credentialsSecretRef to a Secret in this namespace, or have the operator's administrators allow the namespace (--default-credential-namespaces)"
    )]
    DefaultCredentialNotAllowed { namespace: String, allowed: String },

    #[error(
        "the credential's token does not grant {permission}: grant the application the {permission} permission (application permission with admin consent, or delegated for a signed-in account){observe_hint}"
    )]
    MissingPermission {
        permission: &'static str,
        observe_hint: &'static str,
    },

    #[error(
        "flow set {flow_set_id} does not exist in Graph, or this credential cannot see it: check spec.flowSetId"
    )]
    FlowSetNotFound { flow_set_id: String },

    /// The plan refused to write: a person must change something first.
    #[error("{message}")]
    Refused { reason: Reason, message: String },

    #[error("Kubernetes API request failed: {0}")]
    Kube(#[from] kube::Error),
}

/// What the controller does after an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Transient, with a wait the server asked for (Retry-After).
    After(Duration),
    /// Transient: back off exponentially with jitter.
    Backoff,
    /// A person must act: retry slowly (and at once on any change to the resource).
    Slowly,
}

impl Error {
    /// The reason shown in conditions and events and used as the metric label.
    pub fn reason(&self) -> Reason {
        match self {
            Self::Graph(error) => match error.class() {
                ErrorClass::Throttled => Reason::Throttled,
                ErrorClass::Unavailable
                | ErrorClass::Unexpected
                | ErrorClass::Redirected
                | ErrorClass::ResponseTooLarge => Reason::GraphUnavailable,
                ErrorClass::NotFound => Reason::FlowNotFound,
                ErrorClass::BadRequest => Reason::GraphBadRequest,
                ErrorClass::Unauthorized | ErrorClass::Forbidden => Reason::PermissionDenied,
                ErrorClass::Conflict => Reason::FlowAlreadyExists,
                ErrorClass::Token(_) if error.class().is_transient() => Reason::GraphUnavailable,
                ErrorClass::Token(_) => Reason::CredentialsInvalid,
            },
            Self::SecretNotFound { .. } | Self::NoDefaultCredential => Reason::CredentialsNotFound,
            Self::SecretInvalid { .. } => Reason::CredentialsInvalid,
            Self::DefaultCredentialNotAllowed { .. } => Reason::CredentialNotAllowed,
            Self::MissingPermission { .. } => Reason::MissingPermission,
            Self::FlowSetNotFound { .. } => Reason::FlowSetNotFound,
            Self::Refused { reason, .. } => *reason,
            Self::Kube(_) => Reason::KubernetesApiError,
        }
    }

    pub fn retry(&self) -> Retry {
        match self {
            Self::Graph(error) => match error.class() {
                class if class.is_transient() => {
                    error.retry_after().map_or(Retry::Backoff, Retry::After)
                }
                // A flow that vanished between two calls, a token refused once, or a create that
                // raced a flow Graph did not list yet: the next observe sorts these out.
                ErrorClass::NotFound | ErrorClass::Unauthorized | ErrorClass::Conflict => {
                    Retry::Backoff
                }
                _ => Retry::Slowly,
            },
            Self::Kube(_) => Retry::Backoff,
            _ => Retry::Slowly,
        }
    }

    /// When a retry may go out, if the server said (Retry-After).
    pub fn retry_after_from(&self, now: jiff::Timestamp) -> Option<jiff::Timestamp> {
        let Retry::After(wait) = self.retry() else {
            return None;
        };
        now.checked_add(jiff::SignedDuration::try_from(wait).ok()?)
            .ok()
    }

    /// The message for conditions: like `Display`, but without the ids of the one failed request
    /// (events and logs carry those), so that retries of the same failure write no new status.
    pub fn condition_message(&self) -> String {
        match self {
            Self::Graph(error) => error.summary(),
            other => other.to_string(),
        }
    }

    /// Whether a person must act before the reconcile can succeed.
    pub fn needs_person(&self) -> bool {
        self.retry() == Retry::Slowly
    }
}
