//! Retry-After: a 429 holds back every resource of the credential, and a huge value is capped.

use crate::fixture::*;

#[tokio::test]
async fn a_429_holds_back_every_resource_of_the_credential_until_retry_after() {
    const RETRY_AFTER: u64 = 6;
    let _turn = beside_others().await;
    let operator = OperatorUnderTest::start("throttle-credential").await;
    let other_set = operator
        .emulator
        .admin()
        .seed_flow_set(&SeedFlowSet::default())
        .await
        .expect("seed a second flow set");
    let mut second = operator.resource("second").flow_set(&other_set).build();
    operator.apply(&operator.resource("first").build()).await;
    operator.apply(&second).await;
    operator.wait_for("first", "Ready", is_ready).await;
    operator.wait_for("second", "Ready", is_ready).await;

    let before = operator.journal_position().await;
    operator
        .emulator
        .admin()
        .add_fault(&FaultRule {
            target: FaultTarget::Graph,
            method: Some("PATCH".into()),
            status: Some(429),
            retry_after_seconds: Some(RETRY_AFTER),
            times: Some(1),
            ..FaultRule::default()
        })
        .await
        .expect("fault");
    let first = operator
        .apply(&operator.resource("first").org_plus_role_group(true).build())
        .await;
    let throttled = eventually(
        "Graph's 429 to the first PATCH",
        DEFAULT_DEADLINE,
        || async {
            let calls = operator.graph_calls(before).await;
            calls
                .iter()
                .find(|call| call.status == 429)
                .cloned()
                .ok_or_else(|| format!("{calls:#?}"))
        },
    )
    .await;
    let throttled_at = arrival(&throttled);

    // The second resource has its own flow and never saw a 429; its change must wait all the same.
    second
        .spec
        .creation_options
        .create_based_on_org_plus_role_group = true;
    let second_changed = operator.apply(&second).await;
    let changed_at = Timestamp::now();
    let held = operator
        .wait_for("second", "held back with reason Throttled", |flow| {
            condition_is(flow, "Synced", "False", "Throttled")
        })
        .await;
    assert!(
        changed_at < throttled_at + SignedDuration::from_secs(RETRY_AFTER as i64),
        "the second change must reach the operator inside the Retry-After window for this test \
         to mean anything (changed {changed_at}, 429 at {throttled_at})"
    );
    let (_, _, message) = condition(&held, "Synced").expect("Synced");
    assert!(message.contains("not sent"), "{message}");

    operator
        .wait_for(
            "first",
            "synced after the wait",
            synced_to(first.metadata.generation, true),
        )
        .await;
    operator
        .wait_for(
            "second",
            "synced after the wait",
            synced_to(second_changed.metadata.generation, true),
        )
        .await;

    let calls = operator.graph_calls(before).await;
    let after_429: Vec<&JournalEntry> = calls
        .iter()
        .filter(|call| call.sequence > throttled.sequence)
        .collect();
    let allowed_from = throttled_at + SignedDuration::from_secs(RETRY_AFTER as i64);
    let early: Vec<_> = after_429
        .iter()
        .filter(|call| arrival(call) < allowed_from)
        .collect();
    assert!(
        early.is_empty(),
        "no Graph request of the credential before {allowed_from} (429 at {throttled_at}): {early:#?}"
    );
    assert_eq!(calls_to(&calls, "PATCH", "").len(), 3, "{calls:#?}");
    assert_eq!(
        writes(&calls)
            .iter()
            .filter(|call| call.status < 300)
            .count(),
        2,
        "one accepted PATCH per resource: {calls:#?}"
    );
    let next = after_429.first().expect("calls after the 429");
    println!(
        "figure: 429 with Retry-After {RETRY_AFTER} s: first Graph request of the credential {:.2} s \
         later; {} requests in the window (0 allowed); the other resource was held back with reason \
         Throttled",
        seconds(throttled_at, arrival(next)),
        early.len(),
    );
}

/// `Retry-After: 18446744073709551615` once made the operator exit (an `Instant + Duration`
/// overflow). Now the wait is capped at an hour: the resource says it is throttled with that
/// wait, and the operator keeps reconciling (a second resource of the same credential gets its
/// status, held back by the same capped wait).
#[tokio::test]
async fn a_retry_after_of_u64_max_is_capped_at_an_hour_and_the_operator_keeps_running() {
    let _turn = beside_others().await;
    let operator = OperatorUnderTest::start("throttle-huge-retry-after").await;
    operator.apply(&operator.resource("first").build()).await;
    operator.wait_for("first", "Ready", is_ready).await;
    operator
        .emulator
        .admin()
        .add_fault(&FaultRule {
            target: FaultTarget::Graph,
            method: Some("PATCH".into()),
            status: Some(429),
            retry_after_seconds: Some(u64::MAX),
            times: Some(1),
            ..FaultRule::default()
        })
        .await
        .expect("fault");
    operator
        .apply(&operator.resource("first").org_plus_role_group(true).build())
        .await;
    let throttled = operator
        .wait_for("first", "Synced False with reason Throttled", |flow| {
            condition_is(flow, "Synced", "False", "Throttled")
        })
        .await;
    let (_, _, message) = condition(&throttled, "Synced").expect("Synced");
    assert!(message.contains("retry in 3600 s"), "{message}");

    let other_set = operator
        .emulator
        .admin()
        .seed_flow_set(&SeedFlowSet::default())
        .await
        .expect("seed a second flow set");
    let second = operator.resource("second").flow_set(&other_set).build();
    operator.apply(&second).await;
    operator
        .wait_for("second", "held back by the same capped wait", |flow| {
            condition_is(flow, "Synced", "False", "Throttled")
        })
        .await;
}
