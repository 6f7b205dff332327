//! The reset annotation: one reset per new token, none for a token present at first sight, none
//! when GitOps re-applies the same manifest or puts an older token back; a throttled reset is
//! late, never lost; two resets of one flow keep the minimum interval; an over-long token is
//! refused.

use std::collections::BTreeMap;
use std::time::Duration;

use graph_emulator::{FaultRule, FaultTarget};
use kube::ResourceExt;
use sds_operator::crd::{RESET_ANNOTATION, ResetOutcome, SecurityGroupProvisioningFlow};
use sds_test_support::{DEFAULT_DEADLINE, eventually};

use sds_test_harness::{OperatorUnderTest, Options, is_ready};

fn resets(calls: &[graph_emulator::JournalEntry]) -> usize {
    calls
        .iter()
        .filter(|call| call.method == "POST" && call.path.ends_with("/reset"))
        .count()
}

fn with_token(
    mut flow: SecurityGroupProvisioningFlow,
    token: &str,
) -> SecurityGroupProvisioningFlow {
    flow.metadata.annotations = Some(BTreeMap::from([(
        RESET_ANNOTATION.to_owned(),
        token.to_owned(),
    )]));
    flow
}

fn handled(flow: &SecurityGroupProvisioningFlow, token: &str, outcome: ResetOutcome) -> bool {
    flow.status
        .as_ref()
        .and_then(|status| status.reset.as_ref())
        .is_some_and(|reset| {
            reset.last_handled_token.as_deref() == Some(token) && reset.outcome == Some(outcome)
        })
}

/// Applies `manifest` with reset `token`, as Git would, and waits until Graph accepted the reset.
async fn reset_accepted(
    operator: &OperatorUnderTest,
    manifest: &SecurityGroupProvisioningFlow,
    token: &str,
) -> SecurityGroupProvisioningFlow {
    operator.apply(&with_token(manifest.clone(), token)).await;
    operator
        .wait_for(
            &manifest.name_any(),
            &format!("reset {token} accepted"),
            |flow| handled(flow, token, ResetOutcome::Accepted),
        )
        .await
}

#[tokio::test]
async fn each_new_token_resets_once_however_often_it_is_applied() {
    let operator = OperatorUnderTest::start("reset-once").await;
    let manifest = operator.resource("groups").build();
    operator.apply(&manifest).await;
    operator.wait_for("groups", "Ready", is_ready).await;

    let first = with_token(manifest.clone(), "2026-11-29T10:00:00Z");
    operator.apply(&first).await;
    let accepted = operator
        .wait_for("groups", "reset accepted", |flow| {
            handled(flow, "2026-11-29T10:00:00Z", ResetOutcome::Accepted)
        })
        .await;
    let reset = accepted
        .status
        .and_then(|status| status.reset)
        .expect("reset status");
    assert!(
        reset.request_id.is_some(),
        "Graph's request-id is recorded: {reset:?}"
    );
    assert!(
        reset.sent_time.is_some() && reset.pending_token.is_none(),
        "{reset:?}"
    );

    // GitOps re-applies the same manifest over and over; kubectl too.
    for _ in 0..10 {
        operator.apply(&first).await;
    }
    let path = operator
        .test
        .control_plane
        .scratch_dir()
        .join(format!("{}-reset.json", operator.test.namespace));
    let mut manifest_json = serde_json::to_value(&first).expect("json");
    manifest_json["apiVersion"] = "industrydata.sds-operator.io/v1alpha1".into();
    manifest_json["kind"] = "SecurityGroupProvisioningFlow".into();
    std::fs::write(&path, manifest_json.to_string()).expect("write manifest");
    for _ in 0..3 {
        let output = operator
            .kubectl(&["apply", "-f", &path.display().to_string()])
            .await;
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let second = with_token(manifest, "2026-11-29T11:00:00Z");
    operator.apply(&second).await;
    operator
        .wait_for("groups", "second reset accepted", |flow| {
            handled(flow, "2026-11-29T11:00:00Z", ResetOutcome::Accepted)
        })
        .await;
    operator.wait_for("groups", "Ready again", is_ready).await;

    let calls = operator.graph_calls(0).await;
    assert_eq!(resets(&calls), 2, "one reset per token: {calls:#?}");
    let annotation = operator
        .api
        .get("groups")
        .await
        .expect("get")
        .metadata
        .annotations
        .unwrap_or_default();
    assert_eq!(
        annotation.get(RESET_ANNOTATION).map(String::as_str),
        Some("2026-11-29T11:00:00Z"),
        "the operator never edits the annotation"
    );
}

#[tokio::test]
async fn a_token_present_at_creation_is_recorded_without_a_reset() {
    let operator = OperatorUnderTest::start("reset-first-sight").await;
    operator
        .apply(&with_token(
            operator.resource("groups").build(),
            "restored-from-git",
        ))
        .await;
    let ready = operator.wait_for("groups", "Ready", is_ready).await;
    assert!(
        handled(&ready, "restored-from-git", ResetOutcome::Skipped),
        "{:?}",
        ready.status
    );
    assert_eq!(resets(&operator.graph_calls(0).await), 0);
}

/// Reset POSTs Graph carried out (not the ones a fault answered).
fn carried_out(calls: &[graph_emulator::JournalEntry]) -> usize {
    calls
        .iter()
        .filter(|call| call.method == "POST" && call.path.ends_with("/reset") && !call.fault)
        .count()
}

fn waiting_with(flow: &SecurityGroupProvisioningFlow, token: &str, reason: &str) -> bool {
    flow.status
        .as_ref()
        .and_then(|status| status.reset.as_ref())
        .and_then(|reset| reset.waiting.as_ref())
        .is_some_and(|waiting| waiting.token == token && waiting.reason == reason)
}

/// `fault` answers the next two reset POSTs; the token must be reported waiting, then sent once.
async fn reset_through(
    operator: &OperatorUnderTest,
    manifest: &SecurityGroupProvisioningFlow,
    token: &str,
    fault: &FaultRule,
    waiting_reason: &str,
) {
    let position = operator.journal_position().await;
    operator
        .emulator
        .admin()
        .add_fault(fault)
        .await
        .expect("add the fault");
    operator.apply(&with_token(manifest.clone(), token)).await;
    operator
        .wait_for(&manifest.name_any(), "showing the reset waiting", |flow| {
            waiting_with(flow, token, waiting_reason)
        })
        .await;
    operator
        .wait_for(
            &manifest.name_any(),
            "reset accepted after the wait",
            |flow| handled(flow, token, ResetOutcome::Accepted),
        )
        .await;
    let calls = operator.graph_calls(position).await;
    assert_eq!(
        resets(&calls),
        3,
        "two refused attempts, then one: {calls:#?}"
    );
    assert_eq!(carried_out(&calls), 1, "exactly one reset carried out");
}

fn refusing_resets(status: u16) -> FaultRule {
    FaultRule {
        target: FaultTarget::Graph,
        method: Some("POST".into()),
        path_contains: Some("/reset".into()),
        status: Some(status),
        retry_after_seconds: (status == 429).then_some(2),
        times: Some(2),
        ..FaultRule::default()
    }
}

#[tokio::test]
async fn a_throttled_or_failing_reset_waits_visibly_and_is_sent_exactly_once() {
    let operator = OperatorUnderTest::start("reset-throttled").await;
    let manifest = operator.resource("groups").build();
    operator.apply_ready(&manifest).await;

    // The first reset this resource ever handles, then later ones.
    for (token, status, reason) in [
        ("first", 429, "Throttled"),
        ("second", 429, "Throttled"),
        ("third", 503, "GraphUnavailable"),
    ] {
        reset_through(
            &operator,
            &manifest,
            token,
            &refusing_resets(status),
            reason,
        )
        .await;
    }

    let operator = OperatorUnderTest::start("reset-5xx-first").await;
    let manifest = operator.resource("groups").build();
    operator.apply_ready(&manifest).await;
    reset_through(
        &operator,
        &manifest,
        "first",
        &refusing_resets(503),
        "GraphUnavailable",
    )
    .await;
    let events = operator.events("groups").await;
    assert!(
        !sds_test_harness::event_reasons(&events).contains(&"ResetSkipped".to_owned()),
        "never reported as skipped: {:?}",
        sds_test_harness::event_reasons(&events)
    );
}

#[tokio::test]
async fn a_token_fires_once_ever_even_when_gitops_puts_an_older_one_back() {
    let operator = OperatorUnderTest::start("reset-history").await;
    let manifest = operator.resource("groups").build();
    operator.apply_ready(&manifest).await;

    // Git holds A.
    reset_accepted(&operator, &manifest, "A").await;
    // Someone annotates B by hand.
    let output = operator
        .kubectl(&[
            "annotate",
            "--overwrite",
            "securitygroupprovisioningflow/groups",
            &format!("{RESET_ANNOTATION}=B"),
        ])
        .await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    operator
        .wait_for("groups", "B handled", |flow| {
            handled(flow, "B", ResetOutcome::Accepted)
        })
        .await;
    // Self-heal puts Git's A back.
    let position = operator.journal_position().await;
    operator.apply(&with_token(manifest.clone(), "A")).await;
    eventually(
        "the operator to read Graph for A",
        DEFAULT_DEADLINE,
        || async {
            let calls = operator.graph_calls(position).await;
            if calls.iter().any(|call| call.method == "GET") {
                Ok(())
            } else {
                Err(format!("{calls:?}"))
            }
        },
    )
    .await;
    operator
        .assert_quiet(position, Duration::from_secs(2), 2)
        .await;
    let calls = operator.graph_calls(0).await;
    assert_eq!(resets(&calls), 2, "A then B, never A again: {calls:#?}");
    let flow = operator.api.get("groups").await.expect("get");
    let reset = flow.status.and_then(|status| status.reset).expect("reset");
    assert_eq!(reset.last_handled_token.as_deref(), Some("B"), "{reset:?}");
    assert_eq!(reset.handled_tokens, ["A", "B"], "{reset:?}");
}

#[tokio::test]
async fn a_reset_sooner_than_the_minimum_interval_waits_and_status_says_until_when() {
    let interval = Duration::from_secs(4);
    let operator = OperatorUnderTest::start_with(
        "reset-interval",
        Options {
            min_reset_interval: interval,
            ..Options::default()
        },
    )
    .await;
    let manifest = operator.resource("groups").build();
    operator.apply_ready(&manifest).await;
    reset_accepted(&operator, &manifest, "one").await;

    operator.apply(&with_token(manifest.clone(), "two")).await;
    let waiting = operator
        .wait_for("groups", "two waiting for the interval", |flow| {
            waiting_with(flow, "two", "ResetWaiting")
        })
        .await;
    assert!(
        sds_test_harness::condition_is(&waiting, "Reconciling", "True", "ResetWaiting"),
        "{:#?}",
        waiting.status
    );
    let not_before = waiting
        .status
        .and_then(|status| status.reset)
        .and_then(|reset| reset.waiting)
        .and_then(|waiting| waiting.not_before)
        .expect("notBefore");
    operator
        .wait_for("groups", "two handled after the interval", |flow| {
            handled(flow, "two", ResetOutcome::Accepted)
        })
        .await;

    let calls = operator.graph_calls(0).await;
    let times: Vec<jiff::Timestamp> = calls
        .iter()
        .filter(|call| call.method == "POST" && call.path.ends_with("/reset"))
        .map(|call| call.time.parse().expect("RFC 3339"))
        .collect();
    assert_eq!(times.len(), 2, "{calls:#?}");
    let apart = times[1].duration_since(times[0]);
    assert!(
        apart >= jiff::SignedDuration::try_from(interval).expect("interval"),
        "{apart:?}"
    );
    assert!(
        times[1] >= not_before.0,
        "not before {not_before:?}: {times:?}"
    );
}

#[tokio::test]
async fn an_over_long_token_is_refused_with_a_condition_and_never_echoed() {
    let operator = OperatorUnderTest::start("reset-long-token").await;
    let manifest = operator.resource("groups").build();
    operator.apply_ready(&manifest).await;
    let long = format!("{}-end", "x".repeat(200));
    operator.apply(&with_token(manifest.clone(), &long)).await;
    let refused = operator
        .wait_for("groups", "Stalled with ResetTokenInvalid", |flow| {
            sds_test_harness::condition_is(flow, "Stalled", "True", "ResetTokenInvalid")
        })
        .await;
    let status = serde_json::to_string(&refused.status).expect("json");
    assert!(!status.contains(&long), "{status}");
    let events = operator.wait_for_event("groups", "ResetTokenInvalid").await;
    assert!(!events.note.unwrap_or_default().contains(&long));

    operator.apply(&with_token(manifest, "short")).await;
    operator
        .wait_for("groups", "the next token handled", |flow| {
            handled(flow, "short", ResetOutcome::Accepted) && is_ready(flow)
        })
        .await;
    assert_eq!(resets(&operator.graph_calls(0).await), 1);
}
