//! Predicates on a resource's status conditions, for [`OperatorUnderTest::wait_for`] and
//! assertions.
//!
//! [`OperatorUnderTest::wait_for`]: crate::OperatorUnderTest::wait_for

use sds_operator::crd::{FlowKind, SecurityGroupProvisioningFlow};

/// The named condition's (status, reason, message).
pub fn condition<K: FlowKind>(flow: &K, kind: &str) -> Option<(String, String, String)> {
    flow.flow_status()?
        .conditions
        .iter()
        .find(|condition| condition.type_ == kind)
        .map(|condition| {
            (
                condition.status.to_string(),
                condition.reason.to_string(),
                condition.message.to_string(),
            )
        })
}

/// Whether the named condition has this status.
pub fn has_condition<K: FlowKind>(flow: &K, kind: &str, status: &str) -> bool {
    condition(flow, kind).is_some_and(|(actual, _, _)| actual == status)
}

/// Ready=True and Graph says ready.
pub fn is_ready<K: FlowKind>(flow: &K) -> bool {
    has_condition(flow, "Ready", "True")
        && flow
            .flow_status()
            .and_then(|status| status.readiness_status.as_ref())
            .map(|r| r.as_str())
            == Some("ready")
}

/// Ready, synced at `generation`, with Graph's createBasedOnOrgPlusRoleGroup mirrored.
pub fn synced_to(
    generation: Option<i64>,
    org_plus_role_group: bool,
) -> impl Fn(&SecurityGroupProvisioningFlow) -> bool {
    move |flow| {
        let status = flow.status.as_ref();
        is_ready(flow)
            && status.and_then(|s| s.observed_generation) == generation
            && status
                .and_then(|s| s.mirrored.creation_options)
                .is_some_and(|o| o.create_based_on_org_plus_role_group == org_plus_role_group)
    }
}

/// Whether the named condition has this status and reason.
pub fn condition_is<K: FlowKind>(flow: &K, kind: &str, status: &str, reason: &str) -> bool {
    condition(flow, kind)
        .is_some_and(|(actual, actual_reason, _)| actual == status && actual_reason == reason)
}

/// Stalled=True with `reason` and a message containing `fragment`.
pub fn stalled_with<K: FlowKind>(
    reason: &'static str,
    fragment: impl Into<String>,
) -> impl Fn(&K) -> bool {
    let fragment = fragment.into();
    move |flow| {
        condition(flow, "Stalled").is_some_and(|(status, actual, message)| {
            status == "True" && actual == reason && message.contains(&fragment)
        })
    }
}
