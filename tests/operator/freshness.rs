//! Ready never vouches for stale data, and a change Graph accepts but does not keep is reported
//! instead of being sent again and again.

use std::time::Duration;

use graph_emulator::{FaultRule, FaultTarget};

use sds_test_harness::{
    OperatorUnderTest, Options, calls_after_settling, calls_to, condition_is, is_ready,
    stalled_with,
};

#[tokio::test]
async fn ready_turns_unknown_when_graph_is_unreachable_past_the_freshness_window() {
    let operator = OperatorUnderTest::start_with(
        "freshness",
        Options {
            resync_period: Duration::from_secs(1),
            freshness_window: Duration::from_secs(3),
            ..Options::default()
        },
    )
    .await;
    operator
        .apply_ready(&operator.resource("groups").build())
        .await;

    let outage = FaultRule {
        target: FaultTarget::Graph,
        status: Some(503),
        ..FaultRule::default()
    };
    operator
        .emulator
        .admin()
        .add_fault(&outage)
        .await
        .expect("outage");
    let passing = operator
        .wait_for("groups", "retrying while still Ready", |flow| {
            condition_is(flow, "Synced", "False", "GraphUnavailable")
        })
        .await;
    assert!(
        condition_is(&passing, "Ready", "True", "FlowReady"),
        "a passing failure keeps Ready: {:?}",
        passing.status
    );
    operator
        .wait_for("groups", "Ready Unknown because stale", |flow| {
            condition_is(flow, "Ready", "Unknown", "Stale")
        })
        .await;

    operator
        .emulator
        .admin()
        .clear_faults()
        .await
        .expect("end the outage");
    operator.wait_for("groups", "Ready again", is_ready).await;
}

#[tokio::test]
async fn a_change_graph_accepts_but_does_not_keep_is_reported_not_repeated() {
    let operator =
        OperatorUnderTest::start_with("update-ignored", Options::resyncing_every_second()).await;
    operator
        .apply_ready(&operator.resource("groups").build())
        .await;

    // Graph answers 204 without storing anything.
    let swallow = FaultRule {
        target: FaultTarget::Graph,
        method: Some("PATCH".into()),
        status: Some(204),
        ..FaultRule::default()
    };
    operator
        .emulator
        .admin()
        .add_fault(&swallow)
        .await
        .expect("fault");
    let before = operator.journal_position().await;
    operator
        .apply(
            &operator
                .resource("groups")
                .org_plus_role_group(true)
                .build(),
        )
        .await;
    operator
        .wait_for(
            "groups",
            "Stalled because the update did not stick",
            stalled_with("UpdateIgnored", "still reports the old values"),
        )
        .await;
    // Stalled resources are still read at the (here one-second) resync pace; the PATCH is not
    // repeated however many reads follow.
    let calls = calls_after_settling(&operator, before, 3).await;
    assert_eq!(
        calls_to(&calls, "PATCH", "/provisioningFlows/").len(),
        1,
        "one PATCH, not a loop: {calls:#?}"
    );

    // A new spec is a new attempt.
    operator
        .emulator
        .admin()
        .clear_faults()
        .await
        .expect("clear");
    operator
        .apply(
            &operator
                .resource("groups")
                .role_group(false)
                .org_plus_role_group(true)
                .build(),
        )
        .await;
    operator
        .wait_for("groups", "Ready with the new spec", |flow| {
            is_ready(flow)
                && flow
                    .status
                    .as_ref()
                    .and_then(|s| s.mirrored.creation_options)
                    .is_some_and(|o| !o.create_based_on_role_group)
        })
        .await;
}
