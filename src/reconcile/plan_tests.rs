use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::ObjectMeta;

use super::*;
use crate::crd::{
    CreateIntent, ResetStatus, SecurityGroupCreationOptions as SpecOptions,
    SecurityGroupProvisioningFlowSpec,
};

const SET: &str = "9ab41255-5364-4c53-e15c-08dc4ab6ee03";
const FLOW: &str = "4598f62a-7bd9-40a1-d38a-08dc4ac68cf2";

/// No minimum interval between two resets.
const NO_INTERVAL: std::time::Duration = std::time::Duration::ZERO;

/// The plan at `now()` with no update sent before and no minimum reset interval.
fn plan_now(
    flow: &SecurityGroupProvisioningFlow,
    status: &SecurityGroupProvisioningFlowStatus,
    observed: Option<&SecurityGroupFlow>,
) -> Plan {
    plan(flow, status, observed, None, now(), NO_INTERVAL)
}

fn now() -> Timestamp {
    "2026-11-29T10:00:00Z".parse().unwrap()
}

fn resource(role: bool, org: bool) -> SecurityGroupProvisioningFlow {
    let mut flow = SecurityGroupProvisioningFlow::new(
        "groups",
        SecurityGroupProvisioningFlowSpec {
            flow_set_id: SET.into(),
            creation_options: SpecOptions {
                create_based_on_role_group: role,
                create_based_on_org_plus_role_group: org,
            },
            adoption: AdoptionPolicy::AdoptOrCreate,
            deletion_policy: None,
            management_policy: ManagementPolicy::Manage,
            credentials_secret_ref: None,
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

fn with_token(
    mut flow: SecurityGroupProvisioningFlow,
    token: &str,
) -> SecurityGroupProvisioningFlow {
    flow.metadata.annotations = Some(BTreeMap::from([(
        crate::crd::RESET_ANNOTATION.into(),
        token.into(),
    )]));
    flow
}

fn graph_flow(role: bool, org: bool) -> SecurityGroupFlow {
    SecurityGroupFlow {
        id: FLOW.into(),
        created_date_time: Some("2026-11-29T09:00:00.0000000Z".into()),
        last_modified_date_time: Some("2026-11-29T09:00:00.0000000Z".into()),
        readiness_status: graph::ReadinessStatus::Ready,
        creation_options: SecurityGroupCreationOptions {
            create_based_on_role_group: role,
            create_based_on_org_plus_role_group: org,
        },
    }
}

/// The status of a resource that has synced this flow before, with these options seen in Graph.
fn synced(role: bool, org: bool) -> SecurityGroupProvisioningFlowStatus {
    SecurityGroupProvisioningFlowStatus {
        observed_generation: Some(1),
        flow_id: Some(FLOW.into()),
        creation_options: Some(SpecOptions {
            create_based_on_role_group: role,
            create_based_on_org_plus_role_group: org,
        }),
        reset: Some(ResetStatus::default()),
        ..Default::default()
    }
}

fn intent(age_seconds: i64) -> Option<CreateIntent> {
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
    resource.spec.adoption = AdoptionPolicy::CreateOnly;
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
    resource.spec.management_policy = ManagementPolicy::ObserveOnly;
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
fn first_sight_is_decided_by_the_observed_generation_not_by_the_reset_record() {
    let resource = with_token(resource(true, false), "2026-11-29T10:00:00Z");
    assert_eq!(
        first_sight_token(&resource, &Default::default()),
        Some("2026-11-29T10:00:00Z".into()),
        "a new resource"
    );
    let defaulted = SecurityGroupProvisioningFlowStatus {
        observed_generation: Some(0),
        ..Default::default()
    };
    assert_eq!(
        first_sight_token(&resource, &defaulted),
        Some("2026-11-29T10:00:00Z".into()),
        "the schema's default status: not processed yet"
    );
    let mut seen_without_reset_record = synced(true, false);
    seen_without_reset_record.reset = None;
    assert_eq!(
        first_sight_token(&resource, &seen_without_reset_record),
        None,
        "a resource the operator has processed, whose reset record a write dropped"
    );
    let flow = graph_flow(true, false);
    assert_eq!(
        plan_now(&resource, &seen_without_reset_record, Some(&flow)).reset,
        ResetStep::Send {
            token: "2026-11-29T10:00:00Z".into(),
            flow_id: FLOW.into()
        },
        "is reset: the token arrived after the operator first saw it"
    );
}

#[test]
fn a_token_handled_at_any_time_in_the_history_never_fires_again() {
    let flow = graph_flow(true, false);
    let mut status = synced(true, false);
    let reset = status.reset.get_or_insert_default();
    reset.record_handled("A".into(), ResetOutcome::Accepted, None);
    reset.record_handled("B".into(), ResetOutcome::Accepted, None);
    let back_to_a = with_token(resource(true, false), "A");
    assert_eq!(
        plan_now(&back_to_a, &status, Some(&flow)).reset,
        ResetStep::Nothing,
        "GitOps self-heal puts A back after B was set by hand"
    );
}

#[test]
fn the_history_keeps_the_last_sixteen_tokens() {
    let mut reset = ResetStatus::default();
    for token in 0..40 {
        reset.record_handled(format!("t{token}"), ResetOutcome::Accepted, None);
    }
    reset.record_handled("t39".into(), ResetOutcome::Accepted, None);
    assert_eq!(reset.handled_tokens.len(), crate::crd::RESET_HISTORY_LENGTH);
    assert_eq!(
        reset.handled_tokens.first().map(String::as_str),
        Some("t24")
    );
    assert_eq!(reset.handled_tokens.last().map(String::as_str), Some("t39"));
    assert!(reset.has_handled("t24") && !reset.has_handled("t23"));
}

#[test]
fn an_over_long_token_is_refused_and_never_echoed_whole() {
    let long = "x".repeat(crate::crd::MAX_RESET_TOKEN_LENGTH + 1);
    let refused = with_token(resource(true, false), &long);
    let flow = graph_flow(true, false);
    let ResetStep::Refuse(refusal) = plan_now(&refused, &synced(true, false), Some(&flow)).reset
    else {
        panic!("an over-long token is refused");
    };
    assert_eq!(refusal.reason(), Reason::ResetTokenInvalid);
    let message = refusal.to_string();
    assert!(!message.contains(&long), "{message}");
    assert!(
        message.contains("129 characters") && message.contains("128"),
        "{message}"
    );
    assert_eq!(
        first_sight_token(&refused, &Default::default()),
        None,
        "not recorded at first sight either"
    );
    let exactly = "y".repeat(crate::crd::MAX_RESET_TOKEN_LENGTH);
    assert_eq!(
        plan_now(
            &with_token(resource(true, false), &exactly),
            &synced(true, false),
            Some(&flow)
        )
        .reset,
        ResetStep::Send {
            token: exactly,
            flow_id: FLOW.into()
        }
    );
}

#[test]
fn a_reset_sooner_than_the_minimum_interval_waits_until_it_has_passed() {
    let interval = std::time::Duration::from_secs(300);
    let resource = with_token(resource(true, false), "next");
    let flow = graph_flow(true, false);
    let mut status = synced(true, false);
    let reset = status.reset.get_or_insert_default();
    reset.record_handled("previous".into(), ResetOutcome::Accepted, None);
    reset.sent_time = Some(Time(now() - SignedDuration::from_secs(60)));
    assert_eq!(
        plan(&resource, &status, Some(&flow), None, now(), interval).reset,
        ResetStep::Wait {
            token: "next".into(),
            not_before: now() + SignedDuration::from_secs(241)
        }
    );
    status.reset.as_mut().expect("reset").sent_time =
        Some(Time(now() - SignedDuration::from_secs(301)));
    assert_eq!(
        plan(&resource, &status, Some(&flow), None, now(), interval).reset,
        ResetStep::Send {
            token: "next".into(),
            flow_id: FLOW.into()
        }
    );
}

#[test]
fn a_new_token_sends_one_reset_and_a_handled_one_none() {
    let resource = with_token(resource(true, false), "t2");
    let flow = graph_flow(true, false);
    assert_eq!(
        plan_now(&resource, &synced(true, false), Some(&flow)).reset,
        ResetStep::Send {
            token: "t2".into(),
            flow_id: FLOW.into()
        }
    );

    let mut handled = synced(true, false);
    handled.reset = Some(ResetStatus {
        last_handled_token: Some("t2".into()),
        outcome: Some(ResetOutcome::Accepted),
        ..Default::default()
    });
    assert_eq!(
        plan_now(&resource, &handled, Some(&flow)).reset,
        ResetStep::Nothing
    );
}

#[test]
fn a_pending_reset_found_later_is_never_resent() {
    let resource = with_token(resource(true, false), "t3");
    let flow = graph_flow(true, false);
    let mut status = synced(true, false);
    status.reset = Some(ResetStatus {
        last_handled_token: Some("t2".into()),
        pending_token: Some("t3".into()),
        outcome: Some(ResetOutcome::Pending),
        ..Default::default()
    });
    assert_eq!(
        plan_now(&resource, &status, Some(&flow)).reset,
        ResetStep::RecordUnknown { token: "t3".into() }
    );
}

#[test]
fn a_reset_waits_for_the_flow_to_exist() {
    let resource = with_token(resource(true, false), "t4");
    let status = SecurityGroupProvisioningFlowStatus {
        observed_generation: Some(1),
        ..Default::default()
    };
    assert_eq!(plan_now(&resource, &status, None).reset, ResetStep::Defer);
}

#[test]
fn a_reset_token_waits_while_paused_and_says_so() {
    let resource = with_token(resource(true, false), "t5");
    let mut status = synced(true, false);
    hold_reset_while_paused(&resource, &mut status);
    let reset = status.reset.clone().expect("reset status");
    assert!(
        reset.waiting.as_ref().is_some_and(
            |waiting| waiting.token == "t5" && waiting.message.contains("not sent while")
        ),
        "{reset:?}"
    );
    assert_eq!(
        reset.last_handled_token, None,
        "not handled: sent once resumed"
    );

    let flow = graph_flow(true, false);
    assert_eq!(
        plan_now(&resource, &status, Some(&flow)).reset,
        ResetStep::Send {
            token: "t5".into(),
            flow_id: FLOW.into()
        }
    );
}

#[test]
fn only_a_ready_resource_with_nothing_to_do_counts_as_settled() {
    let resource = resource(true, false);
    let mut status = synced(true, false);
    status.conditions = vec![k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition {
        type_: "Ready".into(),
        status: "True".into(),
        reason: "FlowReady".into(),
        message: String::new(),
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
