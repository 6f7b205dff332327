//! The reconcile error: every way a reconcile can fail, classified once where it is born into a
//! bounded reason (condition, event and metric) and a retry class (what `error_policy` does).

use std::time::Duration;

use graph::{ErrorClass, GraphError};
use kube::runtime::finalizer;

pub use super::kube_action::KubeAction;
use crate::crd::{
    CREDENTIAL_LABEL, GrantedOperation, MAX_RESET_TOKEN_LENGTH, PAUSED_ANNOTATION,
    RESET_ANNOTATION, Reason,
};
use crate::credentials_secret::SecretCredentialError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Graph(#[from] GraphError),

    #[error(
        "credentials Secret {namespace}/{name} not found, or not labelled {CREDENTIAL_LABEL}=true: create it with the keys tenantId, clientId and clientSecret and that label, or fix spec.credentialsSecretRef"
    )]
    SecretNotFound { namespace: String, name: String },

    #[error("credentials Secret {namespace}/{name}: {source}")]
    SecretInvalid {
        namespace: String,
        name: String,
        source: SecretCredentialError,
    },

    #[error(
        "Secret {namespace}/{name} has no key `{key}`, or is not there, or not labelled {CREDENTIAL_LABEL}=true (it holds {field}): create it with that key and label, or fix {field}"
    )]
    SecretKeyNotFound {
        namespace: String,
        name: String,
        key: String,
        field: String,
    },

    #[error(
        "no credentials: spec.credentialsSecretRef is not set and the operator has no credential of its own (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)"
    )]
    NoDefaultCredential,

    #[error(
        "the operator cannot list CredentialGrants and namespaces ({cause}): grant its ServiceAccount get, list and watch on credentialgrants.industrydata.sds-operator.io and on namespaces (the chart does)"
    )]
    GrantsNotListed { cause: String },

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

    /// A flow names its set by flowSetRef, and that set has no id yet (or is not there).
    #[error(
        "waiting for OutboundProvisioningFlowSet {namespace}/{name} {why}; the flow is created once it has a flow set id"
    )]
    FlowSetPending {
        namespace: String,
        name: String,
        why: &'static str,
    },

    /// A flow set resource is being deleted while flows in the cluster still name it.
    #[error(
        "deletion waits for the flow resources that still name this flow set ({flows}): delete them first (each one's deletionPolicy decides what becomes of its flow in Graph)"
    )]
    FlowsRemain { flows: String },

    /// Graph answered with something its documentation rules out; the next attempt may not.
    #[error("Graph answered {0}")]
    UnexpectedAnswer(&'static str),

    /// The resource cannot be handled as it is; kube's finalizer helper said why.
    #[error("the resource cannot be reconciled: {0}")]
    UnexpectedResource(&'static str),

    /// Nothing is written until a person changes something.
    #[error(transparent)]
    Refused(#[from] Refusal),

    #[error("Kubernetes API request failed: could not {action}: {source}")]
    Kube {
        action: KubeAction,
        source: Box<kube::Error>,
    },

    #[error(
        "the Kubernetes API server does not allow the operator to {action}: grant its ServiceAccount {} (the chart's rbac values)",
        action.permission()
    )]
    KubeForbidden { action: KubeAction },
}

/// What only a person can unblock: each has its own reason, and all are retried slowly.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "flow set {flow_set_id} holds no {noun}, and managementPolicy ObserveOnly never creates one; create it in SDS or set managementPolicy to Manage"
    )]
    NothingToObserve {
        flow_set_id: String,
        noun: &'static str,
    },

    #[error(
        "flow set {flow_set_id} already holds {noun} {flow_id}, which this resource did not create, and adoption is CreateOnly; set adoption to AdoptOrCreate to manage it"
    )]
    FlowAlreadyExists {
        flow_set_id: String,
        flow_id: String,
        noun: &'static str,
    },

    #[error(
        "Graph accepted the change of {settings} but still reports the old values ({still}); it is not sent again until the spec or the flow in Graph changes: check the flow in the SDS portal"
    )]
    UpdateIgnored {
        settings: &'static str,
        still: String,
    },

    #[error(
        "the {RESET_ANNOTATION} annotation holds {described}, longer than the {MAX_RESET_TOKEN_LENGTH} characters a reset token may have; no reset is sent: set a shorter token, such as the current time in RFC 3339"
    )]
    ResetTokenInvalid {
        /// A short rendering of the token, never the whole of an over-long value.
        described: String,
    },

    #[error(
        "flow set {flow_set_id} is already managed by {owner}, which is older; this resource makes no Graph call until that one is deleted or points elsewhere"
    )]
    Conflict { flow_set_id: String, owner: String },

    #[error(
        "{count} flow sets are named {display_name:?} ({ids}), so the one to adopt is unclear: name it by spec.flowSetId"
    )]
    FlowSetAmbiguous {
        display_name: String,
        count: usize,
        ids: String,
    },

    #[error(
        "a flow set named {display_name:?} exists already ({ids}) and this resource did not create it: set spec.adoption to AdoptOrCreate to take it over, name it by spec.flowSetId, or choose another displayName"
    )]
    FlowSetNameTaken { display_name: String, ids: String },

    #[error(
        "no flow set is named {display_name:?}, and managementPolicy ObserveOnly never creates one: create it in SDS, name another by spec.flowSetId, or set managementPolicy to Manage"
    )]
    NoFlowSetNamed { display_name: String },

    #[error(
        "deletion waits: {PAUSED_ANNOTATION} is \"true\", so the flow cannot be deleted in Graph; remove the annotation, or set spec.deletionPolicy to Orphan"
    )]
    DeletionPaused,

    #[error("{}", not_granted(namespace, flow_set_id, *operation, grants))]
    NotGranted {
        namespace: String,
        flow_set_id: String,
        operation: GrantedOperation,
        /// The grants that cover the namespace and flow set (none: no grant does).
        grants: String,
    },
}

/// What a refusal for a missing grant says: which grant is missing, how to get it, and the other
/// way out. It names only this resource's namespace and the grants that cover it.
fn not_granted(
    namespace: &str,
    flow_set_id: &str,
    operation: GrantedOperation,
    grants: &str,
) -> String {
    let missing = if grants.is_empty() {
        format!(
            "no CredentialGrant lets namespace {namespace} use the operator's credential for flow set {flow_set_id}: a cluster admin can write one naming the namespace, the flow set and the operations (README: Credentials), or set spec.credentialsSecretRef to a Secret of this namespace"
        )
    } else {
        format!(
            "CredentialGrant {grants} lets namespace {namespace} use the operator's credential for flow set {flow_set_id}, but not for {operation}: a cluster admin can add {operation} to its operations"
        )
    };
    let other_way = match operation {
        GrantedOperation::Manage => "; managementPolicy ObserveOnly needs only Observe",
        GrantedOperation::Adopt => {
            "; Adopt is needed to take over a flow this resource did not create"
        }
        GrantedOperation::Reset => "; the reset token waits until then",
        // A deletion that waits says how to let go (deletion.rs).
        GrantedOperation::Delete | GrantedOperation::Observe => "",
    };
    format!("{missing}{other_way}")
}

impl Refusal {
    pub fn reason(&self) -> Reason {
        match self {
            Self::NothingToObserve { .. } => Reason::FlowNotFound,
            Self::FlowAlreadyExists { .. } => Reason::FlowAlreadyExists,
            Self::UpdateIgnored { .. } => Reason::UpdateIgnored,
            Self::ResetTokenInvalid { .. } => Reason::ResetTokenInvalid,
            Self::Conflict { .. } => Reason::Conflict,
            Self::FlowSetAmbiguous { .. } => Reason::FlowSetAmbiguous,
            Self::FlowSetNameTaken { .. } => Reason::FlowSetNameTaken,
            Self::NoFlowSetNamed { .. } => Reason::FlowSetNotFound,
            Self::DeletionPaused => Reason::Paused,
            Self::NotGranted { .. } => Reason::NotGranted,
        }
    }
}

impl Error {
    /// Classifies a failed Kubernetes API call by its HTTP status: a 403 means RBAC lacks the
    /// permission the action needs, which a person must grant.
    pub fn kube(action: KubeAction, source: kube::Error) -> Self {
        match &source {
            kube::Error::Api(status) if status.code == 403 => Self::KubeForbidden { action },
            _ => Self::Kube {
                action,
                source: Box::new(source),
            },
        }
    }

    /// The finalizer helper's own failures: adding or removing the finalizer is an API write.
    pub fn from_finalizer(
        error: finalizer::Error<Self>,
        resources: &'static str,
        namespace: String,
    ) -> Self {
        match error {
            finalizer::Error::ApplyFailed(error) | finalizer::Error::CleanupFailed(error) => error,
            finalizer::Error::AddFinalizer(source) | finalizer::Error::RemoveFinalizer(source) => {
                let action = KubeAction::UpdateFinalizer {
                    resources,
                    namespace,
                };
                Self::kube(action, source)
            }
            finalizer::Error::UnnamedObject | finalizer::Error::InvalidFinalizer => {
                Self::UnexpectedResource("it has no name, or the finalizer name is invalid")
            }
        }
    }

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
            Self::SecretKeyNotFound { .. } => Reason::SecretKeyNotFound,
            Self::MissingPermission { .. } => Reason::MissingPermission,
            Self::FlowSetNotFound { .. } => Reason::FlowSetNotFound,
            Self::FlowSetPending { .. } => Reason::FlowSetPending,
            Self::FlowsRemain { .. } => Reason::FlowsRemain,
            Self::UnexpectedAnswer(_) => Reason::GraphUnavailable,
            Self::Refused(refusal) => refusal.reason(),
            Self::Kube { .. } | Self::UnexpectedResource(_) => Reason::KubernetesApiError,
            Self::KubeForbidden { .. } => Reason::KubernetesForbidden,
            Self::GrantsNotListed { .. } => Reason::KubernetesApiError,
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
            Self::UnexpectedAnswer(_) | Self::GrantsNotListed { .. } => Retry::Backoff,
            Self::FlowSetPending { .. } | Self::FlowsRemain { .. } => Retry::Waiting,
            Self::Kube { source, .. } => match source.as_ref() {
                // The request itself is wrong (422 Invalid, 400): retrying it unchanged cannot help.
                kube::Error::Api(status) if matches!(status.code, 400 | 422) => Retry::Slowly,
                _ => Retry::Backoff,
            },
            Self::SecretNotFound { .. }
            | Self::SecretInvalid { .. }
            | Self::SecretKeyNotFound { .. }
            | Self::NoDefaultCredential
            | Self::MissingPermission { .. }
            | Self::FlowSetNotFound { .. }
            | Self::Refused(_)
            | Self::UnexpectedResource(_)
            | Self::KubeForbidden { .. } => Retry::Slowly,
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

/// What the controller does after an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Transient, with a wait the server asked for (Retry-After).
    After(Duration),
    /// Transient: back off exponentially with jitter.
    Backoff,
    /// A person must act: retry slowly (and at once on any change to the resource).
    Slowly,
    /// Waiting for another resource, whose change wakes this one; retried slowly besides.
    Waiting,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_error(code: u16) -> kube::Error {
        kube::Error::Api(
            kube::core::Status::failure("refused", "Refused")
                .with_code(code)
                .boxed(),
        )
    }

    #[test]
    fn a_forbidden_secret_read_names_the_permission_and_waits_for_a_person() {
        let action = KubeAction::ReadSecret {
            namespace: "school".into(),
            name: "graph".into(),
        };
        let error = Error::kube(action, api_error(403));
        assert_eq!(error.reason(), Reason::KubernetesForbidden);
        assert_eq!(error.retry(), Retry::Slowly);
        let message = error.to_string();
        assert!(
            message.contains("read Secret school/graph")
                && message.contains("get on secrets in namespace school"),
            "{message}"
        );
    }

    #[test]
    fn kube_errors_are_classified_by_status_code() {
        let status = || KubeAction::WriteStatus {
            resources: "flows.example.com",
            namespace: "school".into(),
        };
        for (code, retry) in [
            (409, Retry::Backoff),
            (500, Retry::Backoff),
            (429, Retry::Backoff),
            (422, Retry::Slowly),
        ] {
            let error = Error::kube(status(), api_error(code));
            assert_eq!(error.reason(), Reason::KubernetesApiError, "{code}");
            assert_eq!(error.retry(), retry, "{code}");
        }
    }

    #[test]
    fn an_unexpected_graph_answer_is_retried_not_stalled() {
        let error = Error::UnexpectedAnswer("the create with a flow of another type");
        assert_eq!(error.reason(), Reason::GraphUnavailable);
        assert!(!error.needs_person());
    }

    #[test]
    fn every_refusal_waits_for_a_person_under_its_own_reason() {
        let refusals = [
            Refusal::NothingToObserve {
                flow_set_id: "s".into(),
                noun: "flow",
            },
            Refusal::FlowAlreadyExists {
                flow_set_id: "s".into(),
                flow_id: "f".into(),
                noun: "flow",
            },
            Refusal::UpdateIgnored {
                settings: "creationOptions",
                still: "x".into(),
            },
            Refusal::ResetTokenInvalid {
                described: "\"x\"".into(),
            },
            Refusal::Conflict {
                flow_set_id: "s".into(),
                owner: "o".into(),
            },
            Refusal::DeletionPaused,
            Refusal::NotGranted {
                namespace: "n".into(),
                flow_set_id: "s".into(),
                operation: GrantedOperation::Reset,
                grants: "g".into(),
            },
        ];
        let reasons: std::collections::HashSet<_> = refusals.iter().map(Refusal::reason).collect();
        assert_eq!(reasons.len(), refusals.len());
        for refusal in refusals {
            assert!(Error::from(refusal).needs_person());
        }
    }
}
