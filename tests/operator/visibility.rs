//! Graph answers that look like absence: a new flow that reads as 404 for a while is not created
//! twice, and a flow set that does not exist stalls the resource until it does.

use std::collections::BTreeMap;
use std::time::Duration;

use graph_emulator::{SeedFlowSet, Settings};
use sds_test_support::{DEFAULT_DEADLINE, eventually};

use sds_test_harness::{
    OperatorUnderTest, Options, calls_to, event_reasons, is_ready, stalled_with, writes,
};

const HIDDEN_READS: u32 = 3;

#[tokio::test]
async fn a_new_flow_that_reads_as_not_found_is_not_created_twice() {
    let operator = OperatorUnderTest::start_with(
        "eventual-consistency",
        Options {
            emulator: Settings {
                readiness_delay_ms: 0,
                eventual_consistency_reads: HIDDEN_READS,
                ..Settings::default()
            },
            resync_period: Duration::from_secs(1),
            ..Options::default()
        },
    )
    .await;
    let ready = operator
        .apply_ready(&operator.resource("groups").build())
        .await;
    let flow_id = ready
        .status
        .and_then(|status| status.flow_id)
        .expect("flow id");

    // Wait until every hidden read has been spent and the flow has been read back by id.
    let calls = eventually(
        "the hidden reads spent and a successful GET of the flow",
        DEFAULT_DEADLINE,
        || async {
            let calls = operator.graph_calls(0).await;
            let hidden = calls.iter().filter(|call| call.fault).count();
            let seen = calls.iter().any(|call| {
                call.method == "GET" && call.path.ends_with(&flow_id) && call.status == 200
            });
            if hidden >= HIDDEN_READS as usize && seen {
                Ok(calls)
            } else {
                Err(format!(
                    "{hidden} hidden reads, read back: {seen}; {calls:#?}"
                ))
            }
        },
    )
    .await;

    let hidden: Vec<_> = calls.iter().filter(|call| call.fault).collect();
    assert_eq!(hidden.len(), HIDDEN_READS as usize, "{calls:#?}");
    assert!(
        hidden.iter().all(|call| call.method == "GET"
            && call.status == 404
            && call.path.ends_with(&flow_id)),
        "only GETs of the new flow read as 404: {hidden:#?}"
    );
    assert_eq!(
        calls_to(&calls, "POST", "/provisioningFlows").len(),
        1,
        "a 404 right after the create is not a deletion: {calls:#?}"
    );
    assert_eq!(writes(&calls).len(), 1, "{calls:#?}");

    let flows = operator.graph_flows().await;
    assert_eq!(flows.len(), 1, "{flows:?}");
    assert_eq!(flows[0].id, flow_id);
    let current = operator.api.get("groups").await.expect("get");
    assert!(is_ready(&current), "{:?}", current.status);
    let reasons = event_reasons(&operator.events("groups").await);
    assert!(
        !reasons.iter().any(|reason| reason == "Recreated"),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn a_missing_flow_set_stalls_until_it_exists() {
    const MISSING: &str = "0c4f9d2e-7a1b-4e36-9d85-3f2a6b1c8e47";
    let operator = OperatorUnderTest::start("flow-set-missing").await;
    let mut flow = operator.resource("groups").flow_set(MISSING).build();
    operator.apply(&flow).await;

    operator
        .wait_for(
            "groups",
            "Stalled on the missing flow set",
            stalled_with("FlowSetNotFound", MISSING),
        )
        .await;
    let since = operator.journal_position().await;
    let calls = operator.graph_calls(0).await;
    assert!(
        writes(&calls).is_empty(),
        "nothing is written to a set that does not exist: {calls:#?}"
    );
    assert!(
        calls.len() <= 2,
        "one list of the set before stalling: {calls:#?}"
    );
    operator
        .assert_quiet(since, Duration::from_secs(3), 0)
        .await;

    let seeded = operator
        .emulator
        .admin()
        .seed_flow_set(&SeedFlowSet {
            id: Some(MISSING.into()),
            display_name: Some("late schools".into()),
            ..SeedFlowSet::default()
        })
        .await
        .expect("seed the flow set");
    assert_eq!(seeded, MISSING);
    // The flow set is outside Kubernetes: a spec-neutral touch of the resource retries at once.
    flow.metadata.annotations = Some(BTreeMap::from([(
        "example.com/touch".to_owned(),
        "1".to_owned(),
    )]));
    operator.apply(&flow).await;
    let ready = operator
        .wait_for("groups", "Ready once the flow set exists", is_ready)
        .await;

    let flows = operator.graph_flows_in(MISSING).await;
    assert_eq!(flows.len(), 1, "{flows:?}");
    assert_eq!(
        ready.status.and_then(|status| status.flow_id),
        Some(flows[0].id.clone())
    );
    assert!(
        operator.graph_flows().await.is_empty(),
        "the other set is untouched"
    );
}
