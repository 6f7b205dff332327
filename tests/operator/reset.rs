//! The reset annotation: one reset per new token, none for a token present at first sight, none
//! when GitOps re-applies the same manifest.

use std::collections::BTreeMap;

use sds_operator::crd::{RESET_ANNOTATION, ResetOutcome, SecurityGroupProvisioningFlow};

use crate::fixture::{OperatorUnderTest, is_ready};

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

#[tokio::test]
async fn each_new_token_resets_once_however_often_it_is_applied() {
    let operator = OperatorUnderTest::start("reset-once").await;
    let manifest = operator.resource("groups", true, false);
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
            operator.resource("groups", true, false),
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
