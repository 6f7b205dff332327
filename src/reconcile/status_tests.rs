use jiff::{SignedDuration, Timestamp};
use kube::api::ObjectMeta;

use super::*;
use crate::crd::{
    AdoptionPolicy, FlowSpec, ManagementPolicy, Policies,
    SecurityGroupCreationOptions as SpecOptions, SecurityGroupProvisioningFlowSpec,
};
use crate::crd::{SecurityGroupProvisioningFlow, SecurityGroupProvisioningFlowStatus};
use graph::SecurityGroupFlow;

fn now() -> Timestamp {
    "2026-11-29T10:00:00Z".parse().unwrap()
}

fn resource() -> SecurityGroupProvisioningFlow {
    let mut flow = SecurityGroupProvisioningFlow::new(
        "groups",
        SecurityGroupProvisioningFlowSpec {
            flow: FlowSpec {
                flow_set_id: Some("9ab41255-5364-4c53-e15c-08dc4ab6ee03".into()),
                flow_set_ref: None,
                adoption: AdoptionPolicy::AdoptOrCreate,
                policies: Policies {
                    deletion_policy: None,
                    management_policy: ManagementPolicy::Manage,
                    credentials_secret_ref: None,
                },
            },
            creation_options: SpecOptions {
                create_based_on_role_group: true,
                create_based_on_org_plus_role_group: false,
            },
        },
    );
    flow.metadata = ObjectMeta {
        generation: Some(3),
        ..ObjectMeta::default()
    };
    flow
}

fn graph_flow(readiness: ReadinessStatus) -> SecurityGroupFlow {
    SecurityGroupFlow {
        id: "4598f62a-7bd9-40a1-d38a-08dc4ac68cf2".into(),
        created_date_time: Some("2024-03-22T23:55:06.3141592Z".into()),
        last_modified_date_time: Some("2024-03-22T23:55:06.3141592Z".into()),
        readiness_status: readiness,
        config: graph::SecurityGroupConfig {
            creation_options: graph::SecurityGroupCreationOptions {
                create_based_on_role_group: true,
                create_based_on_org_plus_role_group: false,
            },
        },
    }
}

fn condition(status: &SecurityGroupProvisioningFlowStatus, kind: ConditionType) -> &Condition {
    status
        .condition(kind)
        .unwrap_or_else(|| panic!("no {kind} condition"))
}

fn synced_status(
    readiness: ReadinessStatus,
    at: Timestamp,
    flow: &SecurityGroupProvisioningFlow,
) -> SecurityGroupProvisioningFlowStatus {
    let graph = graph_flow(readiness);
    let mut working = flow.status.clone().unwrap_or_default();
    mirror::<SecurityGroupProvisioningFlow>(&mut working, &graph);
    finish(flow, working, &Health::Synced { flow: Some(graph) }, at)
}

#[test]
fn a_ready_flow_in_sync_is_ready_and_nothing_else() {
    let status = synced_status(ReadinessStatus::Ready, now(), &resource());
    let states: Vec<_> = ConditionType::ALL
        .iter()
        .map(|kind| (kind.as_str(), condition(&status, *kind).status.as_str()))
        .collect();
    assert_eq!(
        states,
        [
            ("Ready", "True"),
            ("Synced", "True"),
            ("Reconciling", "False"),
            ("Stalled", "False")
        ]
    );
    assert_eq!(status.observed_generation, Some(3));
    assert_eq!(
        status.readiness_status,
        Some(crate::crd::ReadinessStatus::Ready)
    );
    assert!(
        status
            .conditions
            .iter()
            .all(|c| c.observed_generation == Some(3))
    );
}

#[test]
fn not_ready_is_reconciling_and_failed_is_stalled() {
    let provisioning = synced_status(ReadinessStatus::NotReady, now(), &resource());
    assert_eq!(
        condition(&provisioning, ConditionType::Ready).status,
        "False"
    );
    assert_eq!(
        condition(&provisioning, ConditionType::Reconciling).status,
        "True"
    );
    assert_eq!(
        condition(&provisioning, ConditionType::Ready).reason,
        "Provisioning"
    );

    let failed = synced_status(ReadinessStatus::Failed, now(), &resource());
    assert_eq!(condition(&failed, ConditionType::Stalled).status, "True");
    assert_eq!(
        condition(&failed, ConditionType::Stalled).reason,
        "FlowFailed"
    );
}

/// (type, status, reason) of every condition, in the order they are written.
fn states(status: &SecurityGroupProvisioningFlowStatus) -> Vec<(&str, &str, &str)> {
    ConditionType::ALL
        .iter()
        .map(|kind| {
            let condition = condition(status, *kind);
            (
                kind.as_str(),
                condition.status.as_str(),
                condition.reason.as_str(),
            )
        })
        .collect()
}

#[test]
fn disabled_is_not_ready_but_neither_reconciling_nor_stalled() {
    let disabled = synced_status(ReadinessStatus::Disabled, now(), &resource());
    assert_eq!(
        states(&disabled),
        [
            ("Ready", "False", "Disabled"),
            ("Synced", "True", "InSync"),
            ("Reconciling", "False", "Disabled"),
            ("Stalled", "False", "Disabled"),
        ]
    );
    let message = &condition(&disabled, ConditionType::Ready).message;
    assert!(
        message.contains("SDS has not enabled the flow"),
        "{message}"
    );
}

#[test]
fn a_readiness_this_operator_does_not_know_is_ready_unknown_not_stalled() {
    for readiness in [
        ReadinessStatus::UnknownFutureValue,
        ReadinessStatus::Other("paused".into()),
    ] {
        let status = synced_status(readiness, now(), &resource());
        assert_eq!(
            states(&status),
            [
                ("Ready", "Unknown", "UnknownReadiness"),
                ("Synced", "True", "InSync"),
                ("Reconciling", "False", "UnknownReadiness"),
                ("Stalled", "False", "UnknownReadiness"),
            ]
        );
    }
}

#[test]
fn expired_is_stalled() {
    let expired = synced_status(ReadinessStatus::Expired, now(), &resource());
    assert_eq!(
        states(&expired),
        [
            ("Ready", "False", "FlowExpired"),
            ("Synced", "True", "InSync"),
            ("Reconciling", "False", "FlowExpired"),
            ("Stalled", "True", "FlowExpired"),
        ]
    );
}

#[test]
fn an_unchanged_sync_changes_nothing_not_even_the_sync_time() {
    let mut flow = resource();
    flow.status = Some(synced_status(ReadinessStatus::Ready, now(), &flow));
    let later = now() + SignedDuration::from_mins(10);
    let again = synced_status(ReadinessStatus::Ready, later, &flow);
    assert_eq!(Some(&again), flow.status.as_ref());
}

#[test]
fn transition_times_move_only_when_a_condition_changes() {
    let mut flow = resource();
    flow.status = Some(synced_status(ReadinessStatus::NotReady, now(), &flow));
    let later = now() + SignedDuration::from_mins(1);
    let ready = synced_status(ReadinessStatus::Ready, later, &flow);
    assert_eq!(
        condition(&ready, ConditionType::Ready)
            .last_transition_time
            .0,
        later
    );
    assert_eq!(
        condition(&ready, ConditionType::Synced)
            .last_transition_time
            .0,
        now()
    );
    assert_eq!(
        ready.last_sync_time.as_ref().map(|time| time.0),
        Some(later)
    );
}

#[test]
fn a_passing_failure_keeps_ready_and_a_stall_clears_it() {
    let mut flow = resource();
    flow.status = Some(synced_status(ReadinessStatus::Ready, now(), &flow));
    let working = flow.status.clone().unwrap_or_default();

    let retrying = finish(
        &flow,
        working.clone(),
        &Health::Retrying {
            reason: Reason::Throttled,
            message: "Graph answered 429".into(),
            stale: false,
        },
        now(),
    );
    assert_eq!(condition(&retrying, ConditionType::Ready).status, "True");
    assert_eq!(
        condition(&retrying, ConditionType::Synced).reason,
        "Throttled"
    );
    assert_eq!(
        condition(&retrying, ConditionType::Reconciling).status,
        "True"
    );

    let stalled = finish(
        &flow,
        working,
        &Health::Stalled {
            reason: Reason::PermissionDenied,
            message: "grant IndustryData-OutboundFlow.ReadWrite.All".into(),
        },
        now(),
    );
    assert_eq!(condition(&stalled, ConditionType::Ready).status, "False");
    assert_eq!(condition(&stalled, ConditionType::Stalled).status, "True");
    assert_eq!(
        condition(&stalled, ConditionType::Stalled).message,
        "grant IndustryData-OutboundFlow.ReadWrite.All"
    );
}

#[test]
fn observe_only_with_other_options_is_not_synced() {
    let mut flow = resource();
    flow.spec.flow.policies.management_policy = ManagementPolicy::ObserveOnly;
    flow.spec
        .creation_options
        .create_based_on_org_plus_role_group = true;
    let status = synced_status(ReadinessStatus::Ready, now(), &flow);
    assert_eq!(condition(&status, ConditionType::Synced).status, "False");
    assert_eq!(
        condition(&status, ConditionType::Synced).reason,
        "ObserveOnly"
    );
}

#[test]
fn a_failure_outlasting_the_freshness_window_makes_ready_unknown() {
    let mut flow = resource();
    flow.status = Some(synced_status(ReadinessStatus::Ready, now(), &flow));
    let stale = finish(
        &flow,
        flow.status.clone().unwrap_or_default(),
        &Health::Retrying {
            reason: Reason::GraphUnavailable,
            message: "Graph could not be reached".into(),
            stale: true,
        },
        now(),
    );
    let ready = condition(&stale, ConditionType::Ready);
    assert_eq!(
        (ready.status.as_str(), ready.reason.as_str()),
        ("Unknown", "Stale")
    );
    assert!(
        ready.message.contains("Graph could not be reached"),
        "{}",
        ready.message
    );
}

#[test]
fn a_pause_keeps_ready_only_for_the_spec_synced_before_it() {
    let mut flow = resource();
    flow.status = Some(synced_status(ReadinessStatus::Ready, now(), &flow));
    let paused = finish(
        &flow,
        flow.status.clone().unwrap_or_default(),
        &Health::Paused,
        now(),
    );
    assert_eq!(condition(&paused, ConditionType::Ready).status, "True");
    assert_eq!(condition(&paused, ConditionType::Synced).reason, "Paused");

    flow.metadata.generation = Some(4);
    let changed = finish(
        &flow,
        flow.status.clone().unwrap_or_default(),
        &Health::Paused,
        now(),
    );
    let ready = condition(&changed, ConditionType::Ready);
    assert_eq!(
        (ready.status.as_str(), ready.reason.as_str()),
        ("False", "Paused")
    );
}

#[test]
fn a_paused_resource_never_synced_says_so_and_is_not_ready() {
    let mut flow = resource();
    // What the API server holds for a new resource: the schema's default status.
    flow.status = Some(SecurityGroupProvisioningFlowStatus {
        observed_generation: Some(0),
        ..SecurityGroupProvisioningFlowStatus::default()
    });
    let paused = finish(
        &flow,
        flow.status.clone().unwrap_or_default(),
        &Health::Paused,
        now(),
    );
    let ready = condition(&paused, ConditionType::Ready);
    assert_eq!(
        (ready.status.as_str(), ready.reason.as_str()),
        ("False", "Paused")
    );
    assert!(
        ready.message.contains("never been synced"),
        "{}",
        ready.message
    );
    assert_eq!(paused.observed_generation, Some(3));
}
