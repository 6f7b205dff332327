//! Unit tests of the flow half of the plan (create, adopt, update, drift, visibility) and the
//! fixtures the reset tests share.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::ObjectMeta;

use super::*;
use crate::crd::{
    CreateIntent, FlowSpec, Policies, SecurityGroupCreationOptions as SpecOptions,
    SecurityGroupProvisioningFlowSpec,
};
use crate::crd::{
    SecurityGroupMirror, SecurityGroupProvisioningFlow, SecurityGroupProvisioningFlowStatus,
};
use graph::SecurityGroupFlow;

pub(super) const SET: &str = "9ab41255-5364-4c53-e15c-08dc4ab6ee03";
pub(super) const FLOW: &str = "4598f62a-7bd9-40a1-d38a-08dc4ac68cf2";

/// No minimum interval between two resets.
pub(super) const NO_INTERVAL: std::time::Duration = std::time::Duration::ZERO;

/// The plan at `now()` with no update sent before and no minimum reset interval.
pub(super) fn plan_now(
    flow: &SecurityGroupProvisioningFlow,
    status: &SecurityGroupProvisioningFlowStatus,
    observed: Option<&SecurityGroupFlow>,
) -> Plan<graph::SecurityGroupConfig> {
    plan(
        flow,
        status,
        observed,
        &Default::default(),
        &Default::default(),
        now(),
        NO_INTERVAL,
    )
}

pub(super) fn now() -> Timestamp {
    "2026-11-29T10:00:00Z".parse().unwrap()
}

pub(super) fn resource(role: bool, org: bool) -> SecurityGroupProvisioningFlow {
    let mut flow = SecurityGroupProvisioningFlow::new(
        "groups",
        SecurityGroupProvisioningFlowSpec {
            flow: FlowSpec {
                flow_set_id: Some(SET.into()),
                flow_set_ref: None,
                adoption: AdoptionPolicy::AdoptOrCreate,
                policies: Policies {
                    deletion_policy: None,
                    management_policy: ManagementPolicy::Manage,
                    credentials_secret_ref: None,
                },
            },
            creation_options: SpecOptions {
                create_based_on_role_group: role,
                create_based_on_org_plus_role_group: org,
            },
        },
    );
    flow.metadata = ObjectMeta {
        name: Some("groups".into()),
        namespace: Some("sds".into()),
        generation: Some(1),
        ..ObjectMeta::default()
    };
    flow
}

pub(super) fn with_token(
    mut flow: SecurityGroupProvisioningFlow,
    token: &str,
) -> SecurityGroupProvisioningFlow {
    flow.metadata.annotations = Some(BTreeMap::from([(
        crate::crd::RESET_ANNOTATION.into(),
        token.into(),
    )]));
    flow
}

pub(super) fn graph_flow(role: bool, org: bool) -> SecurityGroupFlow {
    SecurityGroupFlow {
        id: FLOW.into(),
        created_date_time: Some("2026-11-29T09:00:00.0000000Z".into()),
        last_modified_date_time: Some("2026-11-29T09:00:00.0000000Z".into()),
        readiness_status: graph::ReadinessStatus::Ready,
        config: graph::SecurityGroupConfig {
            creation_options: graph::SecurityGroupCreationOptions {
                create_based_on_role_group: role,
                create_based_on_org_plus_role_group: org,
            },
        },
    }
}

/// The status of a resource that has synced this flow before, with these options seen in Graph.
pub(super) fn synced(role: bool, org: bool) -> SecurityGroupProvisioningFlowStatus {
    SecurityGroupProvisioningFlowStatus {
        observed_generation: Some(1),
        flow_id: Some(FLOW.into()),
        mirrored: SecurityGroupMirror {
            creation_options: Some(SpecOptions {
                create_based_on_role_group: role,
                create_based_on_org_plus_role_group: org,
            }),
        },
        reset: Some(Box::default()),
        ..Default::default()
    }
}

pub(super) fn intent(age_seconds: i64) -> Option<CreateIntent> {
    Some(CreateIntent {
        client_request_id: "5a0c5e0e-0000-4000-8000-000000000000".into(),
        recorded_time: Time(now() - SignedDuration::from_secs(age_seconds)),
    })
}

#[test]
fn an_empty_flow_set_gets_a_new_flow() {
    let plan = plan_now(&resource(true, false), &Default::default(), None);
    assert_eq!(plan.flow, FlowStep::Create { recreate: false });
}

#[test]
fn a_matching_flow_needs_no_write() {
    let flow = graph_flow(true, false);
    let plan = plan_now(&resource(true, false), &synced(true, false), Some(&flow));
    assert_eq!(
        plan,
        Plan {
            flow: FlowStep::Keep,
            reset: ResetStep::Nothing
        }
    );
}

#[test]
fn a_spec_change_is_an_update() {
    let mut resource = resource(true, true);
    resource.metadata.generation = Some(2);
    let flow = graph_flow(true, false);
    let plan = plan_now(&resource, &synced(true, false), Some(&flow));
    assert_eq!(
        plan.flow,
        FlowStep::Update {
            found: flow,
            cause: UpdateCause::Spec
        }
    );
}

#[test]
fn a_change_made_in_graph_is_drift() {
    let flow = graph_flow(false, true);
    let plan = plan_now(&resource(true, false), &synced(true, false), Some(&flow));
    assert_eq!(
        plan.flow,
        FlowStep::Update {
            found: flow,
            cause: UpdateCause::Drift
        }
    );
}

#[test]
fn an_unrecorded_flow_is_adopted_by_default() {
    let flow = graph_flow(true, true);
    let plan = plan_now(&resource(true, false), &Default::default(), Some(&flow));
    assert_eq!(
        plan.flow,
        FlowStep::Adopt {
            found: flow,
            update: true
        }
    );
}

#[test]
fn create_only_refuses_a_foreign_flow_but_adopts_its_own() {
    let mut resource = resource(true, false);
    resource.spec.flow.adoption = AdoptionPolicy::CreateOnly;
    let flow = graph_flow(true, false);

    let foreign = plan_now(&resource, &Default::default(), Some(&flow));
    assert!(
        matches!(
            foreign.flow,
            FlowStep::Refuse(Refusal::FlowAlreadyExists { .. })
        ),
        "{foreign:?}"
    );

    let ours = SecurityGroupProvisioningFlowStatus {
        create_intent: intent(5),
        ..Default::default()
    };
    assert_eq!(
        plan_now(&resource, &ours, Some(&flow)).flow,
        FlowStep::Adopt {
            found: flow,
            update: false
        }
    );
}

#[test]
fn a_flow_created_moments_ago_is_awaited_not_created_again() {
    let status = SecurityGroupProvisioningFlowStatus {
        flow_id: Some(FLOW.into()),
        create_intent: intent(10),
        ..Default::default()
    };
    assert_eq!(
        plan_now(&resource(true, false), &status, None).flow,
        FlowStep::AwaitVisibility
    );
}

#[test]
fn a_flow_graph_created_moments_ago_is_awaited_once_its_intent_has_ended() {
    let created = |age: i64| SecurityGroupProvisioningFlowStatus {
        created_date_time: Some((now() - SignedDuration::from_secs(age)).to_string()),
        ..synced(true, false)
    };
    assert_eq!(
        plan_now(&resource(true, false), &created(10), None).flow,
        FlowStep::AwaitVisibility
    );
    assert_eq!(
        plan_now(
            &resource(true, false),
            &created(VISIBILITY_WINDOW.as_secs() as i64 + 1),
            None
        )
        .flow,
        FlowStep::Create { recreate: true }
    );
    let seen = Memory {
        flow_seen: true,
        ..Memory::default()
    };
    let after_a_read = plan(
        &resource(true, false),
        &created(10),
        None,
        &Default::default(),
        &seen,
        now(),
        NO_INTERVAL,
    );
    assert_eq!(
        after_a_read.flow,
        FlowStep::Create { recreate: true },
        "once Graph has shown the flow, a 404 means it was deleted"
    );
}

#[test]
fn a_recorded_flow_gone_for_good_is_recreated() {
    assert_eq!(
        plan_now(&resource(true, false), &synced(true, false), None).flow,
        FlowStep::Create { recreate: true }
    );
    let stale_intent = SecurityGroupProvisioningFlowStatus {
        create_intent: intent(VISIBILITY_WINDOW.as_secs() as i64 + 1),
        ..synced(true, false)
    };
    assert_eq!(
        plan_now(&resource(true, false), &stale_intent, None).flow,
        FlowStep::Create { recreate: true }
    );
}

#[test]
fn observe_only_never_writes() {
    let mut resource = resource(true, false);
    resource.spec.flow.policies.management_policy = ManagementPolicy::ObserveOnly;
    let differing = graph_flow(false, false);
    assert_eq!(
        plan_now(&resource, &synced(true, false), Some(&differing)).flow,
        FlowStep::Keep
    );
    assert!(matches!(
        plan_now(&resource, &synced(true, false), None).flow,
        FlowStep::Refuse(Refusal::NothingToObserve { .. })
    ));
    let token = with_token(resource, "t1");
    assert!(matches!(
        plan_now(&token, &synced(true, false), Some(&differing)).reset,
        ResetStep::Decline { .. }
    ));
}

#[test]
fn only_a_ready_resource_with_nothing_to_do_counts_as_settled() {
    let resource = resource(true, false);
    let mut status = synced(true, false);
    status.conditions = vec![crate::crd::Condition {
        type_: "Ready".into(),
        status: "True".into(),
        reason: "FlowReady".into(),
        message: crate::crd::Message::new(""),
        observed_generation: Some(1),
        last_transition_time: Time(now()),
    }];
    assert!(settled(&resource, &status));

    let mut changed = resource.clone();
    changed.metadata.generation = Some(2);
    assert!(!settled(&changed, &status), "a spec change is work to do");
    assert!(
        !settled(&with_token(resource.clone(), "new"), &status),
        "so is a new reset token"
    );
    let mut not_ready = status.clone();
    not_ready.conditions[0].status = "False".into();
    assert!(!settled(&resource, &not_ready));
    let mut creating = status.clone();
    creating.create_intent = intent(1);
    assert!(!settled(&resource, &creating));
}
