//! Create, update, steady state, readiness and deletion, end to end.

use graph_emulator::Settings;
use k8s_openapi::api::events::v1::Event;
use kube::ResourceExt;
use kube::api::{DeleteParams, ListParams};
use sds_operator::crd::DeletionPolicy;
use sds_test_support::{DEFAULT_DEADLINE, eventually};
use serde_json::json;

use sds_test_harness::{
    OperatorUnderTest, Options, condition, has_condition, is_ready, synced_to, writes,
};

#[tokio::test]
async fn a_new_resource_creates_one_flow_and_becomes_ready() {
    let operator = OperatorUnderTest::start_with(
        "create-ready",
        Options {
            emulator: Settings {
                readiness_delay_ms: 1500,
                ..Settings::default()
            },
            ..Options::default()
        },
    )
    .await;
    operator.apply(&operator.resource("groups").build()).await;

    let provisioning = operator
        .wait_for("groups", "notReady with a flow id", |flow| {
            flow.status
                .as_ref()
                .is_some_and(|status| status.flow_id.is_some())
                && has_condition(flow, "Reconciling", "True")
        })
        .await;
    let ready = operator.wait_for("groups", "Ready", is_ready).await;

    let flows = operator.graph_flows().await;
    assert_eq!(flows.len(), 1, "exactly one flow in Graph: {flows:?}");
    assert_eq!(
        flows[0].creation_options(),
        Some(&json!({"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": false}))
    );
    let status = ready.status.clone().unwrap_or_default();
    assert_eq!(status.flow_id.as_deref(), Some(flows[0].id.as_str()));
    let provisioning = provisioning.status.unwrap_or_default();
    assert_eq!(provisioning.flow_id, status.flow_id);
    assert!(
        provisioning.create_intent.is_none(),
        "the write that records the flow id ends the create intent"
    );
    assert_eq!(
        status.created_date_time.as_deref(),
        Some(flows[0].created_date_time.as_str())
    );
    assert_eq!(status.observed_generation, ready.metadata.generation);
    assert!(
        status.create_intent.is_none(),
        "the create intent stays ended"
    );
    assert_eq!(
        condition(&ready, "Synced").map(|c| c.0).as_deref(),
        Some("True")
    );
    assert_eq!(
        condition(&ready, "Stalled").map(|c| c.0).as_deref(),
        Some("False")
    );

    let calls = operator.graph_calls(0).await;
    let posts: Vec<_> = calls.iter().filter(|call| call.method == "POST").collect();
    assert_eq!(posts.len(), 1, "one create: {calls:#?}");
    assert_eq!(
        posts[0].body,
        json!({
            "@odata.type": "#microsoft.graph.industryData.securityGroupProvisioningFlow",
            "creationOptions": {"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": false}
        })
    );
    assert!(
        calls.iter().all(|call| call.client_request_id.is_some()),
        "every call carries a client-request-id"
    );
    println!(
        "figure: Graph calls from create to Ready = {} ({} writes)",
        calls.len(),
        writes(&calls).len()
    );

    let events = eventually("a Created event", DEFAULT_DEADLINE, || {
        let api = operator.test.api::<Event>();
        async move {
            let events = api
                .list(&ListParams::default())
                .await
                .map_err(|e| e.to_string())?;
            let reasons: Vec<_> = events
                .items
                .iter()
                .filter_map(|e| e.reason.clone())
                .collect();
            if reasons.iter().any(|reason| reason == "Created") {
                Ok(reasons)
            } else {
                Err(format!("{reasons:?}"))
            }
        }
    })
    .await;
    assert!(
        !events.iter().any(|reason| reason == "Recreated"),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_spec_change_sends_exactly_one_patch() {
    let operator = OperatorUnderTest::start("spec-change").await;
    operator
        .apply_ready(&operator.resource("groups").build())
        .await;
    let before = operator.journal_position().await;

    let changed = operator
        .apply(
            &operator
                .resource("groups")
                .org_plus_role_group(true)
                .build(),
        )
        .await;
    let generation = changed.metadata.generation;
    operator
        .wait_for(
            "groups",
            "synced at the new generation",
            synced_to(generation, true),
        )
        .await;

    let calls = operator.graph_calls(before).await;
    let writes = writes(&calls);
    assert_eq!(writes.len(), 1, "one write for one spec change: {calls:#?}");
    assert_eq!(writes[0].method, "PATCH");
    assert_eq!(
        writes[0].body,
        json!({
            "@odata.type": "#microsoft.graph.industryData.securityGroupProvisioningFlow",
            "creationOptions": {"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": true}
        })
    );
    let flows = operator.graph_flows().await;
    assert_eq!(
        flows[0].creation_options(),
        Some(&json!({"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": true}))
    );
}

#[tokio::test]
async fn a_resync_that_finds_nothing_to_do_writes_nothing() {
    let operator =
        OperatorUnderTest::start_with("noop-resync", Options::resyncing_every_second()).await;
    operator
        .apply(
            &operator
                .resource("groups")
                .role_group(false)
                .org_plus_role_group(true)
                .build(),
        )
        .await;
    // The first read after the create clears the create intent; from then on nothing changes.
    let settled = operator
        .wait_for("groups", "Ready with its create settled", |flow| {
            is_ready(flow)
                && flow
                    .status
                    .as_ref()
                    .is_some_and(|s| s.create_intent.is_none())
        })
        .await
        .resource_version();
    let before = operator.journal_position().await;

    let resyncs = eventually("three resyncs", DEFAULT_DEADLINE, || async {
        let calls = operator.graph_calls(before).await;
        if calls.len() >= 3 {
            Ok(calls)
        } else {
            Err(format!("{} calls so far", calls.len()))
        }
    })
    .await;
    assert!(writes(&resyncs).is_empty(), "no Graph writes: {resyncs:#?}");
    assert!(
        resyncs
            .iter()
            .all(|call| call.method == "GET" && call.path.contains("/provisioningFlows/")),
        "each resync is one GET of the flow: {resyncs:#?}"
    );
    let now = operator
        .api
        .get("groups")
        .await
        .expect("get")
        .resource_version();
    assert_eq!(now, settled, "no status write during no-op resyncs");
    println!(
        "figure: {} no-op resyncs made {} Graph GETs, {} Graph writes, and left resourceVersion at {:?} (was {:?})",
        resyncs.len(),
        resyncs.iter().filter(|call| call.method == "GET").count(),
        writes(&resyncs).len(),
        now,
        settled
    );
}

#[tokio::test]
async fn readiness_changes_in_graph_are_mirrored() {
    let operator =
        OperatorUnderTest::start_with("readiness", Options::resyncing_every_second()).await;
    let ready = operator
        .apply_ready(&operator.resource("groups").build())
        .await;
    let flow_id = ready
        .status
        .and_then(|status| status.flow_id)
        .expect("flow id");

    for (value, reason, stalled) in [
        ("failed", "FlowFailed", "True"),
        ("disabled", "Disabled", "False"),
        ("ready", "FlowReady", "False"),
    ] {
        operator
            .emulator
            .admin()
            .force_readiness(&flow_id, Some(value))
            .await
            .expect("force readiness");
        operator
            .wait_for("groups", &format!("mirroring {value}"), |flow| {
                flow.status
                    .as_ref()
                    .and_then(|s| s.readiness_status.as_ref())
                    .map(|r| r.as_str())
                    == Some(value)
                    && condition(flow, "Ready").is_some_and(|(_, r, _)| r == reason)
                    && has_condition(flow, "Stalled", stalled)
                    && has_condition(flow, "Reconciling", "False")
            })
            .await;
    }
}

#[tokio::test]
async fn deleting_with_policy_delete_removes_the_flow_and_orphan_keeps_it() {
    let operator = OperatorUnderTest::start("delete-policies").await;
    let deleting = operator
        .resource("deleting")
        .deletion_policy(DeletionPolicy::Delete)
        .build();
    operator.apply(&deleting).await;
    operator.wait_for("deleting", "Ready", is_ready).await;
    assert_eq!(operator.graph_flows().await.len(), 1);

    operator
        .api
        .delete("deleting", &DeleteParams::default())
        .await
        .expect("delete");
    operator.wait_deleted("deleting").await;
    assert!(
        operator.graph_flows().await.is_empty(),
        "Delete removes the flow from Graph"
    );

    // A flow set holds one security-group flow, so the second resource creates a new one there.
    let orphaning = operator
        .resource("orphaning")
        .deletion_policy(DeletionPolicy::Orphan)
        .build();
    operator.apply(&orphaning).await;
    let ready = operator.wait_for("orphaning", "Ready", is_ready).await;
    operator
        .api
        .delete("orphaning", &DeleteParams::default())
        .await
        .expect("delete");
    operator.wait_deleted("orphaning").await;
    let flows = operator.graph_flows().await;
    assert_eq!(flows.len(), 1, "Orphan leaves the flow in Graph");
    assert_eq!(
        Some(flows[0].id.clone()),
        ready.status.and_then(|s| s.flow_id)
    );
}

#[tokio::test]
async fn kubectl_wait_for_ready_works() {
    let operator = OperatorUnderTest::start("kubectl-wait").await;
    operator.apply(&operator.resource("groups").build()).await;
    let output = operator
        .kubectl(&[
            "wait",
            "--for=condition=Ready",
            "sgpf/groups",
            "--timeout=60s",
        ])
        .await;
    assert!(
        output.status.success(),
        "kubectl wait failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("condition met"));

    let table = operator
        .kubectl(&["get", "sgpf", "groups", "-o", "wide"])
        .await;
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("READY") && table.contains("READINESS") && table.contains("FLOWID"),
        "{table}"
    );
    assert!(table.contains("ready"), "{table}");
}
