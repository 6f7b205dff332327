//! Unit tests of the reset half of the plan: first sight, the token history, the minimum interval,
//! at most once.

use jiff::SignedDuration;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::tests::*;
use super::*;
use crate::crd::ResetStatus;
use crate::crd::SecurityGroupProvisioningFlowStatus;

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
        plan(
            &resource,
            &status,
            Some(&flow),
            &Default::default(),
            &Default::default(),
            now(),
            interval
        )
        .reset,
        ResetStep::Wait {
            token: "next".into(),
            not_before: now() + SignedDuration::from_secs(241)
        }
    );
    status.reset.as_mut().expect("reset").sent_time =
        Some(Time(now() - SignedDuration::from_secs(301)));
    assert_eq!(
        plan(
            &resource,
            &status,
            Some(&flow),
            &Default::default(),
            &Default::default(),
            now(),
            interval
        )
        .reset,
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
    handled.reset = Some(Box::new(ResetStatus {
        last_handled_token: Some("t2".into()),
        outcome: Some(ResetOutcome::Accepted),
        ..Default::default()
    }));
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
    status.reset = Some(Box::new(ResetStatus {
        last_handled_token: Some("t2".into()),
        pending_token: Some("t3".into()),
        outcome: Some(ResetOutcome::Pending),
        ..Default::default()
    }));
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
