//! `FlowKind`: what differs between flow kinds, as one small implementation per kind, and the
//! accessors every kind shares (annotations, policies, conditions), so that no other module
//! spells an annotation key or a condition string.

use std::collections::BTreeMap;
use std::fmt;

use graph::{GraphEndpoints, SecretString};

use kube::ResourceExt as _;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    Condition, ConditionStatus, ConditionType, FlowSpec, FlowStatus, GraphResource,
    RESET_ANNOTATION, SecretKeyReference,
};

/// A Secret key the settings take a value from: the slot it fills in `Inputs::secrets`, and the
/// spec field that names it, for messages.
#[derive(Clone, Debug)]
pub struct SecretSlot<'a> {
    pub slot: &'a str,
    pub field: String,
    pub reference: &'a SecretKeyReference,
}

/// What a kind's settings take from outside its spec, read at each sync: Graph's URLs (a role
/// group is bound by its URL) and the values of the Secret keys the spec names, by slot.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'a> {
    pub endpoints: &'a GraphEndpoints,
    pub secrets: &'a BTreeMap<String, SecretString>,
}

/// A kind of provisioning flow. The reconcile (create intent and adoption, reset, deletion
/// policy, pause and observe-only, conditions, throttling, status writing) is written once over
/// this trait; an implementation says only what is the kind's own.
pub trait FlowKind: GraphResource {
    /// The kind's settings in Graph's wire shape (what a create or update sends).
    type Config: graph::FlowConfig;
    /// What the status mirrors of Graph's settings.
    type Mirror: Clone
        + schemars::JsonSchema
        + fmt::Debug
        + Default
        + PartialEq
        + Serialize
        + DeserializeOwned
        + Send
        + Sync
        + 'static;

    /// How messages name one flow of this kind ("security-group flow").
    const FLOW_NOUN: &'static str;
    /// How messages name the settings (the spec member, "creationOptions").
    const SETTINGS: &'static str;

    /// The flow set and the policies.
    fn flow_spec(&self) -> &FlowSpec;

    /// The same, to fill in the flow set id a reference resolved to.
    fn flow_spec_mut(&mut self) -> &mut FlowSpec;

    /// The status as last written, if any.
    fn flow_status(&self) -> Option<&FlowStatus<Self::Mirror>>;

    /// The settings the spec asks for, as sent to Graph.
    fn desired(&self, inputs: &Inputs<'_>) -> Self::Config;

    /// Whether Graph's settings are what the spec asks for (the drift comparison), as far as
    /// Graph shows them: a write-only value (a password) compares by its presence only; a change
    /// of its Secret is noticed by its fingerprint in status instead.
    fn matches(&self, found: &Self::Config) -> bool;

    /// The Secret keys the settings take values from (a user flow's default passwords). None for
    /// most kinds.
    fn secret_keys(&self) -> Vec<SecretSlot<'_>> {
        Vec::new()
    }

    /// What status keeps of the settings Graph reports.
    fn mirror(config: &Self::Config) -> Self::Mirror;

    /// The settings status last mirrored, if any.
    fn mirrored(mirror: &Self::Mirror) -> Option<Self::Config>;

    /// The value of the reset annotation, if any (an empty value is none).
    fn reset_token(&self) -> Option<&str> {
        self.annotations()
            .get(RESET_ANNOTATION)
            .map(String::as_str)
            .filter(|token| !token.is_empty())
    }

    /// The status as last written, or the empty status of a new resource.
    fn status_or_default(&self) -> FlowStatus<Self::Mirror> {
        self.flow_status().cloned().unwrap_or_default()
    }

    /// The condition of this type in the status, if written.
    fn condition(&self, kind: ConditionType) -> Option<&Condition> {
        self.flow_status()?.condition(kind)
    }
}

impl<M> FlowStatus<M> {
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
    use crate::crd::{PAUSED_ANNOTATION, SecurityGroupProvisioningFlow};

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
            flow.condition(ConditionType::Ready).map(|c| &*c.reason),
            Some("FlowReady")
        );
    }
}
