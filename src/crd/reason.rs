//! Condition types and the bounded set of reasons shared by conditions, events and metric labels.

use std::fmt;

/// The condition types the operator sets on every resource (kstatus-compatible).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConditionType {
    /// The last sync succeeded and Graph reports the flow `ready`.
    Ready,
    /// Graph matches the spec as of the last sync.
    Synced,
    /// Work is in flight: creating, waiting for readiness, a reset pending, or a transient retry.
    Reconciling,
    /// A person must act before progress is possible.
    Stalled,
}

impl ConditionType {
    /// Every condition type, in the order they are written.
    pub const ALL: [Self; 4] = [Self::Ready, Self::Synced, Self::Reconciling, Self::Stalled];

    /// The condition's `type` string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "Ready",
            Self::Synced => "Synced",
            Self::Reconciling => "Reconciling",
            Self::Stalled => "Stalled",
        }
    }
}

impl fmt::Display for ConditionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A condition's status, as metav1.Condition spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConditionStatus {
    True,
    False,
    Unknown,
}

impl ConditionStatus {
    /// `True` when `holds`, else `False`.
    pub const fn from_bool(holds: bool) -> Self {
        if holds { Self::True } else { Self::False }
    }

    /// The condition's `status` string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::True => "True",
            Self::False => "False",
            Self::Unknown => "Unknown",
        }
    }

    /// Reads a condition's `status` string; anything but "True" or "False" is Unknown.
    pub fn parse(status: &str) -> Self {
        match status {
            "True" => Self::True,
            "False" => Self::False,
            _ => Self::Unknown,
        }
    }
}

/// Why a condition has its status, why an event was emitted, or a metric's `reason` label.
///
/// Bounded on purpose: metric label cardinality and users' alerts depend on this set. Messages,
/// not reasons, carry the details.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The flow was created in Graph.
    Created,
    /// An existing flow in the flow set was adopted.
    Adopted,
    /// The flow's creationOptions were changed to follow a spec change.
    Updated,
    /// The flow had been changed outside Kubernetes and was brought back to the spec.
    DriftCorrected,
    /// The flow had been deleted outside Kubernetes and was created again.
    Recreated,
    /// Graph accepted a change of creationOptions but still reports the old values.
    UpdateIgnored,
    /// Graph matches the spec.
    InSync,
    /// Graph matches the spec and reports the flow ready.
    FlowReady,
    /// The flow exists but Graph reports it notReady, or a new flow is not yet visible.
    Provisioning,
    /// A reset was requested and is being sent.
    ResetPending,
    /// A reset token waits for the minimum interval since the flow's previous reset.
    ResetWaiting,
    /// The reset annotation holds a value that is not a usable token (too long).
    ResetTokenInvalid,
    /// Graph accepted a reset.
    ResetAccepted,
    /// Graph refused a reset.
    ResetRejected,
    /// The operator stopped between sending a reset and recording its result; it is not resent.
    ResetOutcomeUnknown,
    /// A reset token found when the operator first saw the resource was recorded without a reset.
    ResetSkipped,
    /// The paused annotation stops all Graph calls.
    Paused,
    /// managementPolicy ObserveOnly: the flow is mirrored, never written.
    ObserveOnly,
    /// The flow set named by spec.flowSetId does not exist in Graph.
    FlowSetNotFound,
    /// The flow set holds no security-group flow and the operator may not create one (ObserveOnly).
    FlowNotFound,
    /// adoption CreateOnly and the flow set already holds a flow this resource did not create.
    FlowAlreadyExists,
    /// An older resource manages the same flow set.
    Conflict,
    /// Graph answered 400: the request needs a person to look at it.
    GraphBadRequest,
    /// Graph answered 401 or 403 with a valid token: the application lacks permissions.
    PermissionDenied,
    /// The credential was refused by the token endpoint or is incomplete.
    CredentialsInvalid,
    /// The credentials Secret, or the operator's own credential, is missing.
    CredentialsNotFound,
    /// A Secret key the spec takes a value from (a default password) is missing or unlabelled.
    SecretKeyNotFound,
    /// No CredentialGrant lets this resource's namespace use the operator's credential for its
    /// flow set and the operation it needs.
    NotGranted,
    /// The credential's token lacks the Graph permission the resource needs.
    MissingPermission,
    /// Graph answered 429; calls for the tenant are slowed down.
    Throttled,
    /// Graph or the token endpoint failed transiently (5xx, timeout, connection error).
    GraphUnavailable,
    /// The Kubernetes API server failed a read or write the reconcile needed.
    KubernetesApiError,
    /// The API server refused the operator's ServiceAccount a read or write (403): its RBAC lacks
    /// a permission, which the message names.
    KubernetesForbidden,
    /// Graph has not been read successfully for longer than the freshness window.
    Stale,
    /// Graph reports the flow failed.
    FlowFailed,
    /// Graph reports the flow disabled: SDS has not enabled it. Not a failure (neither
    /// Reconciling nor Stalled).
    Disabled,
    /// Graph reports the flow expired.
    FlowExpired,
    /// Graph reports a readinessStatus this operator does not know.
    UnknownReadiness,
    /// The resource is being deleted and the deletion policy is being applied.
    Deleting,
    /// The flow was deleted from Graph because its resource was deleted.
    Deleted,
    /// The resource was deleted and the flow left in Graph (deletionPolicy Orphan or ObserveOnly).
    Orphaned,
    /// The flow set is as the spec says.
    FlowSetReady,
    /// The flow waits for its flowSetRef to have a flow set id.
    FlowSetPending,
    /// The flow set's deletion waits for the flows that still name it.
    FlowsRemain,
    /// Several flow sets have the displayName a resource was asked to adopt by.
    FlowSetAmbiguous,
    /// A flow set of this displayName exists already, and the resource was not asked to adopt it.
    FlowSetNameTaken,
}

impl Reason {
    /// Every reason, for tests and for pre-registering metric label values.
    pub const ALL: [Self; 46] = [
        Self::Created,
        Self::Adopted,
        Self::Updated,
        Self::DriftCorrected,
        Self::Recreated,
        Self::UpdateIgnored,
        Self::InSync,
        Self::FlowReady,
        Self::Provisioning,
        Self::ResetPending,
        Self::ResetWaiting,
        Self::ResetTokenInvalid,
        Self::ResetAccepted,
        Self::ResetRejected,
        Self::ResetOutcomeUnknown,
        Self::ResetSkipped,
        Self::Paused,
        Self::ObserveOnly,
        Self::FlowSetNotFound,
        Self::FlowNotFound,
        Self::FlowAlreadyExists,
        Self::Conflict,
        Self::GraphBadRequest,
        Self::PermissionDenied,
        Self::CredentialsInvalid,
        Self::CredentialsNotFound,
        Self::SecretKeyNotFound,
        Self::NotGranted,
        Self::MissingPermission,
        Self::Throttled,
        Self::GraphUnavailable,
        Self::KubernetesApiError,
        Self::KubernetesForbidden,
        Self::Stale,
        Self::FlowFailed,
        Self::Disabled,
        Self::FlowExpired,
        Self::UnknownReadiness,
        Self::Deleting,
        Self::Deleted,
        Self::Orphaned,
        Self::FlowSetReady,
        Self::FlowSetPending,
        Self::FlowsRemain,
        Self::FlowSetAmbiguous,
        Self::FlowSetNameTaken,
    ];

    /// The reason spelled `word`, if it is one of ours.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|reason| reason.as_str() == word)
    }

    /// The PascalCase word used as condition reason, event reason and metric label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Created => "Created",
            Self::Adopted => "Adopted",
            Self::Updated => "Updated",
            Self::DriftCorrected => "DriftCorrected",
            Self::Recreated => "Recreated",
            Self::UpdateIgnored => "UpdateIgnored",
            Self::InSync => "InSync",
            Self::FlowReady => "FlowReady",
            Self::Provisioning => "Provisioning",
            Self::ResetPending => "ResetPending",
            Self::ResetWaiting => "ResetWaiting",
            Self::ResetTokenInvalid => "ResetTokenInvalid",
            Self::ResetAccepted => "ResetAccepted",
            Self::ResetRejected => "ResetRejected",
            Self::ResetOutcomeUnknown => "ResetOutcomeUnknown",
            Self::ResetSkipped => "ResetSkipped",
            Self::Paused => "Paused",
            Self::ObserveOnly => "ObserveOnly",
            Self::FlowSetNotFound => "FlowSetNotFound",
            Self::FlowNotFound => "FlowNotFound",
            Self::FlowAlreadyExists => "FlowAlreadyExists",
            Self::Conflict => "Conflict",
            Self::GraphBadRequest => "GraphBadRequest",
            Self::PermissionDenied => "PermissionDenied",
            Self::CredentialsInvalid => "CredentialsInvalid",
            Self::CredentialsNotFound => "CredentialsNotFound",
            Self::SecretKeyNotFound => "SecretKeyNotFound",
            Self::NotGranted => "NotGranted",
            Self::MissingPermission => "MissingPermission",
            Self::Throttled => "Throttled",
            Self::GraphUnavailable => "GraphUnavailable",
            Self::KubernetesApiError => "KubernetesApiError",
            Self::KubernetesForbidden => "KubernetesForbidden",
            Self::Stale => "Stale",
            Self::FlowFailed => "FlowFailed",
            Self::Disabled => "Disabled",
            Self::FlowExpired => "FlowExpired",
            Self::UnknownReadiness => "UnknownReadiness",
            Self::Deleting => "Deleting",
            Self::Deleted => "Deleted",
            Self::Orphaned => "Orphaned",
            Self::FlowSetReady => "FlowSetReady",
            Self::FlowSetPending => "FlowSetPending",
            Self::FlowsRemain => "FlowsRemain",
            Self::FlowSetAmbiguous => "FlowSetAmbiguous",
            Self::FlowSetNameTaken => "FlowSetNameTaken",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn is_pascal_case(word: &str) -> bool {
        word.starts_with(|c: char| c.is_ascii_uppercase())
            && word.chars().all(|c| c.is_ascii_alphanumeric())
    }

    #[test]
    fn reasons_are_unique_pascal_case_words_matching_their_variant() {
        let words: HashSet<_> = Reason::ALL.iter().map(|reason| reason.as_str()).collect();
        assert_eq!(words.len(), Reason::ALL.len());
        for reason in Reason::ALL {
            assert!(is_pascal_case(reason.as_str()), "{reason}");
            assert_eq!(format!("{reason:?}"), reason.as_str());
        }
    }

    #[test]
    fn condition_statuses_read_back_as_written_and_anything_else_is_unknown() {
        for status in [
            ConditionStatus::True,
            ConditionStatus::False,
            ConditionStatus::Unknown,
        ] {
            assert_eq!(ConditionStatus::parse(status.as_str()), status);
        }
        assert_eq!(ConditionStatus::parse("true"), ConditionStatus::Unknown);
        assert_eq!(ConditionStatus::from_bool(true), ConditionStatus::True);
    }

    #[test]
    fn condition_types_match_the_design() {
        let names: Vec<_> = ConditionType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(names, ["Ready", "Synced", "Reconciling", "Stalled"]);
    }
}
