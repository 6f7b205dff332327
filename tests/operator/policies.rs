//! managementPolicy ObserveOnly, adoption CreateOnly and AdoptOrCreate, and the operator's default
//! deletion policy, against flows that already exist in Graph.

use std::time::Duration;

use kube::api::DeleteParams;
use sds_operator::crd::{AdoptionPolicy, DeletionPolicy, ManagementPolicy};

use sds_test_harness::{
    OperatorUnderTest, Options, calls_after_settling, condition_is, event_reasons, is_ready,
    options_json, stalled_with, writes,
};

/// Seeds a security-group flow in the test's flow set, as if made in the SDS portal.
fn mirrors(
    flow: &sds_operator::crd::SecurityGroupProvisioningFlow,
    flow_id: &str,
    readiness: &str,
    role_group: bool,
    org_plus: bool,
) -> bool {
    flow.status.as_ref().is_some_and(|status| {
        status.flow_id.as_deref() == Some(flow_id)
            && status.readiness_status.as_ref().map(|r| r.as_str()) == Some(readiness)
            && status.mirrored.creation_options.is_some_and(|options| {
                options.create_based_on_role_group == role_group
                    && options.create_based_on_org_plus_role_group == org_plus
            })
    })
}

#[tokio::test]
async fn observe_only_mirrors_an_existing_flow_and_never_writes() {
    let operator =
        OperatorUnderTest::start_with("observe-only", Options::resyncing_every_second()).await;
    let flow_id = operator.seed_flow(true, false).await;
    let mut manifest = operator
        .resource("groups")
        .management_policy(ManagementPolicy::ObserveOnly)
        .deletion_policy(DeletionPolicy::Delete)
        .build();
    operator.apply(&manifest).await;
    let observed = operator
        .wait_for("groups", "Ready, mirroring the seeded flow", |flow| {
            is_ready(flow)
                && mirrors(flow, &flow_id, "ready", true, false)
                && condition_is(flow, "Synced", "True", "InSync")
        })
        .await;
    assert!(
        observed
            .status
            .is_some_and(|s| s.created_date_time.is_some())
    );

    operator
        .emulator
        .admin()
        .force_readiness(&flow_id, Some("disabled"))
        .await
        .expect("force readiness");
    operator
        .wait_for("groups", "mirroring disabled", |flow| {
            mirrors(flow, &flow_id, "disabled", true, false)
                && condition_is(flow, "Ready", "False", "Disabled")
                && condition_is(flow, "Stalled", "False", "Disabled")
        })
        .await;
    operator
        .emulator
        .admin()
        .force_readiness(&flow_id, Some("ready"))
        .await
        .expect("force readiness");

    // A spec that differs from Graph is reported, not written.
    manifest.spec.creation_options.create_based_on_role_group = false;
    manifest
        .spec
        .creation_options
        .create_based_on_org_plus_role_group = true;
    let changed = operator.apply(&manifest).await;
    let differing = operator
        .wait_for("groups", "Synced False with reason ObserveOnly", |flow| {
            condition_is(flow, "Synced", "False", "ObserveOnly")
                && flow.status.as_ref().and_then(|s| s.observed_generation)
                    == changed.metadata.generation
                && mirrors(flow, &flow_id, "ready", true, false)
        })
        .await;
    assert!(
        is_ready(&differing),
        "readiness is Graph's: {:?}",
        differing.status
    );
    let before_delete = operator.journal_position().await;
    calls_after_settling(&operator, before_delete, 2).await;

    operator
        .api
        .delete("groups", &DeleteParams::default())
        .await
        .expect("delete");
    operator.wait_deleted("groups").await;
    let flows = operator.graph_flows().await;
    assert_eq!(flows.len(), 1, "ObserveOnly never deletes: {flows:?}");
    assert_eq!(flows[0].id, flow_id);
    assert_eq!(
        flows[0].creation_options(),
        Some(&options_json(true, false))
    );

    let calls = operator.graph_calls(0).await;
    assert!(
        calls.iter().all(|call| call.method == "GET"),
        "only reads: {:#?}",
        writes(&calls)
    );
    let reasons = event_reasons(&operator.events("groups").await);
    assert!(reasons.iter().any(|r| r == "Orphaned"), "{reasons:?}");
}

#[tokio::test]
async fn observe_only_without_a_flow_stalls_with_flow_not_found() {
    let operator = OperatorUnderTest::start("observe-only-missing").await;
    let manifest = operator
        .resource("groups")
        .management_policy(ManagementPolicy::ObserveOnly)
        .build();
    operator.apply(&manifest).await;
    operator
        .wait_for(
            "groups",
            "Stalled with FlowNotFound",
            stalled_with("FlowNotFound", operator.flow_set_id.clone()),
        )
        .await;
    let since = operator.journal_position().await;
    operator
        .assert_quiet(since, Duration::from_secs(2), 0)
        .await;
    let calls = operator.graph_calls(0).await;
    assert!(writes(&calls).is_empty(), "{calls:#?}");
    assert!(operator.graph_flows().await.is_empty());
}

#[tokio::test]
async fn create_only_refuses_a_foreign_flow_and_adopt_or_create_takes_it_over() {
    let operator = OperatorUnderTest::start("create-only").await;
    let foreign = operator.seed_flow(false, true).await;
    let mut manifest = operator
        .resource("groups")
        .adoption(AdoptionPolicy::CreateOnly)
        .build();
    operator.apply(&manifest).await;
    let stalled = operator
        .wait_for(
            "groups",
            "Stalled with FlowAlreadyExists",
            stalled_with("FlowAlreadyExists", foreign.clone()),
        )
        .await;
    assert!(stalled.status.is_some_and(|s| s.flow_id.is_none()));
    let since = operator.journal_position().await;
    operator
        .assert_quiet(since, Duration::from_secs(2), 0)
        .await;
    let calls = operator.graph_calls(0).await;
    assert!(writes(&calls).is_empty(), "no POST or PATCH: {calls:#?}");

    manifest.spec.flow.adoption = AdoptionPolicy::AdoptOrCreate;
    operator.apply(&manifest).await;
    operator
        .wait_for("groups", "Ready with the adopted flow", |flow| {
            is_ready(flow) && mirrors(flow, &foreign, "ready", true, false)
        })
        .await;
    let event = operator.wait_for_event("groups", "Adopted").await;
    assert!(
        event
            .note
            .as_deref()
            .is_some_and(|note| note.contains(&foreign)),
        "{event:?}"
    );
    let calls = operator.graph_calls(since).await;
    let writes = writes(&calls);
    assert_eq!(writes.len(), 1, "one PATCH to the spec: {calls:#?}");
    assert_eq!(writes[0].method, "PATCH");
    assert!(writes[0].path.ends_with(&foreign), "{:?}", writes[0].path);
    assert_eq!(writes[0].body["creationOptions"], options_json(true, false));
    let flows = operator.graph_flows().await;
    assert_eq!(flows.len(), 1, "{flows:?}");
    assert_eq!(
        flows[0].creation_options(),
        Some(&options_json(true, false))
    );
}

#[tokio::test]
async fn adopting_a_flow_that_already_matches_writes_nothing() {
    let operator = OperatorUnderTest::start("adopt-matching").await;
    let existing = operator.seed_flow(true, true).await;
    operator
        .apply(
            &operator
                .resource("groups")
                .org_plus_role_group(true)
                .build(),
        )
        .await;
    operator
        .wait_for("groups", "Ready with the adopted flow", |flow| {
            is_ready(flow) && mirrors(flow, &existing, "ready", true, true)
        })
        .await;
    operator.wait_for_event("groups", "Adopted").await;
    let calls = operator.graph_calls(0).await;
    assert!(writes(&calls).is_empty(), "{calls:#?}");
    assert_eq!(operator.graph_flows().await.len(), 1);
}

#[tokio::test]
async fn deletion_policy_unset_uses_the_operator_default_orphan() {
    let operator = OperatorUnderTest::start_with(
        "default-orphan",
        Options {
            default_deletion_policy: DeletionPolicy::Orphan,
            ..Options::default()
        },
    )
    .await;
    let manifest = operator.resource("groups").build();
    assert_eq!(manifest.spec.flow.policies.deletion_policy, None);
    operator.apply(&manifest).await;
    let ready = operator.wait_for("groups", "Ready", is_ready).await;
    let flow_id = ready
        .status
        .and_then(|status| status.flow_id)
        .expect("flow id");
    let since = operator.journal_position().await;

    operator
        .api
        .delete("groups", &DeleteParams::default())
        .await
        .expect("delete");
    operator.wait_deleted("groups").await;
    let calls = operator.graph_calls(since).await;
    assert!(writes(&calls).is_empty(), "no DELETE: {calls:#?}");
    let flows = operator.graph_flows().await;
    assert_eq!(flows.len(), 1, "{flows:?}");
    assert_eq!(flows[0].id, flow_id);
    let event = operator.wait_for_event("groups", "Orphaned").await;
    assert!(
        event
            .note
            .as_deref()
            .is_some_and(|note| note.contains(&flow_id)),
        "{event:?}"
    );
}
