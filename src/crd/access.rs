//! What the reconcile reads off a resource, in one place: its annotations, its policies and its
//! conditions, so that no other module spells an annotation key or a condition string.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::ResourceExt as _;

use super::{
    ConditionStatus, ConditionType, DeletionPolicy, ManagementPolicy, PAUSED_ANNOTATION,
    RESET_ANNOTATION, SecurityGroupProvisioningFlow, SecurityGroupProvisioningFlowStatus,
};

impl SecurityGroupProvisioningFlow {
    /// Whether the paused annotation is `"true"`: then no Graph call is made.
    pub fn is_paused(&self) -> bool {
        self.annotations()
            .get(PAUSED_ANNOTATION)
            .is_some_and(|value| value == "true")
    }

    /// The value of the reset annotation, if any (an empty value is none).
    pub fn reset_token(&self) -> Option<&str> {
        self.annotations()
            .get(RESET_ANNOTATION)
            .map(String::as_str)
            .filter(|token| !token.is_empty())
    }

    /// Whether managementPolicy is ObserveOnly: Graph is read, never written.
    pub fn is_observe_only(&self) -> bool {
        self.spec.management_policy == ManagementPolicy::ObserveOnly
    }

    /// The deletion policy in force: the spec's, else the operator's default.
    pub fn deletion_policy_or(&self, default: DeletionPolicy) -> DeletionPolicy {
        self.spec.deletion_policy.unwrap_or(default)
    }

    /// The status as last written, or the empty status of a new resource.
    pub fn status_or_default(&self) -> SecurityGroupProvisioningFlowStatus {
        self.status.clone().unwrap_or_default()
    }

    /// The condition of this type in the status, if written.
    pub fn condition(&self, kind: ConditionType) -> Option<&Condition> {
        self.status.as_ref()?.condition(kind)
    }
}

impl SecurityGroupProvisioningFlowStatus {
    /// The condition of this type, if present.
    pub fn condition(&self, kind: ConditionType) -> Option<&Condition> {
        self.conditions
            .iter()
            .find(|condition| condition.type_ == kind.as_str())
    }

    /// The status of the condition of this type (Unknown when absent).
    pub fn condition_status(&self, kind: ConditionType) -> ConditionStatus {
        self.condition(kind)
            .map_or(ConditionStatus::Unknown, |condition| {
                ConditionStatus::parse(&condition.status)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(annotations: serde_json::Value) -> SecurityGroupProvisioningFlow {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "industrydata.sds-operator.io/v1alpha1",
            "kind": "SecurityGroupProvisioningFlow",
            "metadata": {"name": "groups", "annotations": annotations},
            "spec": {
                "flowSetId": "9ab41255-5364-4c53-e15c-08dc4ab6ee03",
                "creationOptions": {"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": false},
            },
            "status": {"conditions": [{
                "type": "Ready", "status": "True", "reason": "FlowReady", "message": "",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
            }]},
        }))
        .expect("a resource")
    }

    #[test]
    fn only_a_paused_value_of_true_pauses_and_an_empty_reset_value_is_no_token() {
        assert!(resource(serde_json::json!({PAUSED_ANNOTATION: "true"})).is_paused());
        assert!(!resource(serde_json::json!({PAUSED_ANNOTATION: "yes"})).is_paused());
        assert_eq!(
            resource(serde_json::json!({RESET_ANNOTATION: ""})).reset_token(),
            None
        );
        assert_eq!(
            resource(serde_json::json!({RESET_ANNOTATION: "t1"})).reset_token(),
            Some("t1")
        );
    }

    #[test]
    fn conditions_are_found_by_type_and_read_as_typed_statuses() {
        let flow = resource(serde_json::json!({}));
        let status = flow.status.as_ref().expect("status");
        assert_eq!(
            status.condition_status(ConditionType::Ready),
            ConditionStatus::True
        );
        assert_eq!(
            status.condition_status(ConditionType::Stalled),
            ConditionStatus::Unknown
        );
        assert_eq!(
            flow.condition(ConditionType::Ready)
                .map(|c| c.reason.as_str()),
            Some("FlowReady")
        );
    }
}
