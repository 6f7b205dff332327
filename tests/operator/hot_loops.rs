//! Nothing hot-loops, whatever users do: a mass deletion of resources that name one flow set, a
//! loop of `kubectl annotate`, foreign annotations, and a deletion whose credential is gone.

use std::time::Instant;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use sds_operator::crd::{DeletionPolicy, RESET_ANNOTATION};
use sds_test_support::{DEFAULT_DEADLINE, eventually};
use serde_json::json;

use sds_test_harness::OperatorProcess;
use sds_test_harness::{
    CLIENT_ID, CLIENT_SECRET, OperatorUnderTest, Options, calls_after_settling, is_ready,
    stalled_with,
};

/// Resources that name one flow set in the deletion storm.
const CLAIMANTS: usize = 200;
/// Reconciles the storm may cost per resource (its cleanup, its finalizer's removal, slack).
const RECONCILES_PER_DELETED_RESOURCE: u64 = 4;

async fn annotate(operator: &OperatorUnderTest, name: &str, key: &str, value: &str) {
    operator
        .api
        .patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"annotations": {key: value}}})),
        )
        .await
        .unwrap_or_else(|e| panic!("annotate {name}: {e}"));
}

#[tokio::test]
async fn deleting_many_resources_that_name_one_flow_set_costs_a_few_reconciles_each() {
    let options = Options {
        in_process: false,
        concurrency: 16,
        ..Options::default()
    };
    let operator = OperatorUnderTest::start_with("deletion-storm", options.clone()).await;
    let process = OperatorProcess::start(env!("CARGO_BIN_EXE_sds-operator"), &operator, &options);
    for index in 0..CLAIMANTS {
        operator
            .apply(&operator.resource(&format!("claimant-{index:03}")).build())
            .await;
    }
    eventually(
        "every claimant to be processed",
        DEFAULT_DEADLINE * 2,
        || async {
            let list = operator
                .api
                .list(&ListParams::default())
                .await
                .map_err(|e| e.to_string())?;
            let processed = list
                .items
                .iter()
                .filter(|flow| {
                    flow.status
                        .as_ref()
                        .and_then(|status| status.observed_generation)
                        .is_some_and(|generation| generation >= 1)
                })
                .count();
            let ready = list.items.iter().filter(|flow| is_ready(*flow)).count();
            if processed == CLAIMANTS && ready == 1 {
                Ok(())
            } else {
                Err(format!("{processed} processed, {ready} ready"))
            }
        },
    )
    .await;

    let http = reqwest::Client::new();
    let before = process.reconciles(&http).await;
    let started = Instant::now();
    operator
        .api
        .delete_collection(&DeleteParams::default(), &ListParams::default())
        .await
        .expect("delete every claimant");
    eventually(
        "every claimant to be gone",
        DEFAULT_DEADLINE * 2,
        || async {
            let left = operator
                .api
                .list(&ListParams::default())
                .await
                .map_err(|e| e.to_string())?
                .items
                .len();
            if left == 0 {
                Ok(())
            } else {
                Err(format!("{left} left"))
            }
        },
    )
    .await;
    let spent = process.reconciles(&http).await - before;
    println!(
        "figure: deletion storm of {CLAIMANTS} resources naming one flow set: {spent} reconciles in \
         {:.1} s (bound {})",
        started.elapsed().as_secs_f64(),
        RECONCILES_PER_DELETED_RESOURCE * CLAIMANTS as u64
    );
    assert!(
        spent <= RECONCILES_PER_DELETED_RESOURCE * CLAIMANTS as u64,
        "{spent} reconciles for deleting {CLAIMANTS} resources; log: {}",
        process.log_tail()
    );
}

#[tokio::test]
async fn a_loop_of_annotation_edits_reaches_graph_about_once_a_second() {
    let operator = OperatorUnderTest::start("annotate-loop").await;
    operator
        .apply_ready(&operator.resource("groups").build())
        .await;
    // Settled: the poll that follows the create has read the flow.
    calls_after_settling(&operator, 0, 1).await;

    // A loop of `kubectl annotate`, of another tool's annotation and then of the reset
    // annotation: each edit is seen, but the resource reconciles about once a second.
    let position = operator.journal_position().await;
    let started = Instant::now();
    let edits = 30;
    for index in 0..edits {
        annotate(
            &operator,
            "groups",
            "example.com/touched",
            &index.to_string(),
        )
        .await;
    }
    for index in 0..edits {
        annotate(
            &operator,
            "groups",
            RESET_ANNOTATION,
            &format!("loop-{index}"),
        )
        .await;
    }
    let tokens = edits;
    let last = format!("loop-{}", tokens - 1);
    operator
        .wait_for("groups", "the last token handled", |flow| {
            flow.status
                .as_ref()
                .and_then(|status| status.reset.as_ref())
                .is_some_and(|reset| reset.last_handled_token.as_deref() == Some(last.as_str()))
        })
        .await;
    let elapsed = started.elapsed().as_secs();
    let calls = operator.graph_calls(position).await;
    let reads = calls.iter().filter(|call| call.method == "GET").count() as u64;
    let resets = calls
        .iter()
        .filter(|call| call.method == "POST" && call.path.ends_with("/reset"))
        .count() as u64;
    // One reconcile reads the flow once; the debounce allows one a second, plus the first.
    assert!(
        reads <= elapsed + 2 && resets <= elapsed + 2,
        "{reads} reads and {resets} resets in {elapsed} s for {} edits: {calls:#?}",
        2 * edits
    );
}

#[tokio::test]
async fn a_deletion_whose_credential_is_gone_says_how_to_let_go_and_orphan_releases_it() {
    let operator = OperatorUnderTest::start("deletion-credential-gone").await;
    operator
        .create_client_secret("district-graph", CLIENT_ID, CLIENT_SECRET)
        .await;
    let manifest = operator
        .resource("groups")
        .deletion_policy(DeletionPolicy::Delete)
        .credentials_secret("district-graph")
        .build();
    operator.apply_ready(&manifest).await;

    // As `kubectl delete namespace` may: the Secret goes first.
    operator
        .test
        .api::<Secret>()
        .delete("district-graph", &DeleteParams::default())
        .await
        .expect("delete the Secret");
    operator
        .api
        .delete("groups", &DeleteParams::default())
        .await
        .expect("delete the resource");
    let waiting = operator
        .wait_for(
            "groups",
            "saying why the deletion waits",
            stalled_with("CredentialsNotFound", "spec.deletionPolicy to Orphan"),
        )
        .await;
    assert!(waiting.metadata.deletion_timestamp.is_some());
    let event = operator
        .wait_for_event("groups", "CredentialsNotFound")
        .await;
    assert!(
        event
            .note
            .as_deref()
            .is_some_and(|note| note.contains("spec.deletionPolicy to Orphan")),
        "{event:?}"
    );

    operator
        .api
        .patch(
            "groups",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"deletionPolicy": "Orphan"}})),
        )
        .await
        .expect("Orphan is accepted on a terminating resource");
    operator.wait_deleted("groups").await;
    assert_eq!(
        operator.graph_flows().await.len(),
        1,
        "the flow stays in Graph"
    );
}
