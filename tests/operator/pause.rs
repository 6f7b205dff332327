//! The paused annotation: no Graph call of any kind for that resource until it is removed, also
//! when its spec changes or it is deleted.

use std::collections::BTreeMap;
use std::time::Duration;

use kube::api::DeleteParams;
use sds_operator::crd::{DeletionPolicy, PAUSED_ANNOTATION, SecurityGroupProvisioningFlow};

use sds_test_harness::{
    OperatorUnderTest, Options, calls_to, condition, condition_is, has_condition, is_ready,
    options_json, writes,
};

fn paused(mut flow: SecurityGroupProvisioningFlow) -> SecurityGroupProvisioningFlow {
    flow.metadata.annotations = Some(BTreeMap::from([(
        PAUSED_ANNOTATION.to_owned(),
        "true".to_owned(),
    )]));
    flow
}

/// Synced=False with reason Paused, observed at `generation`.
fn is_paused_at(generation: Option<i64>) -> impl Fn(&SecurityGroupProvisioningFlow) -> bool {
    move |flow| {
        condition_is(flow, "Synced", "False", "Paused")
            && flow.status.as_ref().and_then(|s| s.observed_generation) == generation
    }
}

fn has_options(flow: &SecurityGroupProvisioningFlow, role_group: bool, org_plus: bool) -> bool {
    flow.status
        .as_ref()
        .and_then(|status| status.mirrored.creation_options)
        .is_some_and(|options| {
            options.create_based_on_role_group == role_group
                && options.create_based_on_org_plus_role_group == org_plus
        })
}

#[tokio::test]
async fn a_paused_new_resource_makes_no_graph_calls_until_resumed() {
    let operator = OperatorUnderTest::start("pause-new").await;
    let created = operator
        .apply(&paused(operator.resource("groups").build()))
        .await;
    let first = operator
        .wait_for(
            "groups",
            "Paused",
            is_paused_at(created.metadata.generation),
        )
        .await;
    let (_, _, message) = condition(&first, "Synced").expect("Synced");
    assert!(message.contains(PAUSED_ANNOTATION), "{message}");
    assert!(
        condition_is(&first, "Stalled", "False", "Paused")
            && condition_is(&first, "Reconciling", "False", "Paused"),
        "{:?}",
        first.status
    );
    assert!(
        !has_condition(&first, "Ready", "True"),
        "a flow never synced is not Ready: {:?}",
        first.status
    );
    assert!(first.status.as_ref().is_some_and(|s| s.flow_id.is_none()));

    // A spec change while paused is observed, and still nothing reaches Graph.
    let changed = operator
        .apply(&paused(
            operator
                .resource("groups")
                .role_group(false)
                .org_plus_role_group(true)
                .build(),
        ))
        .await;
    assert_ne!(changed.metadata.generation, created.metadata.generation);
    operator
        .wait_for(
            "groups",
            "Paused at the new generation",
            is_paused_at(changed.metadata.generation),
        )
        .await;
    operator.assert_quiet(0, Duration::from_secs(2), 0).await;
    let journal = operator.emulator.admin().journal(0).await.expect("journal");
    assert!(journal.is_empty(), "not even a token request: {journal:#?}");

    operator
        .apply(
            &operator
                .resource("groups")
                .role_group(false)
                .org_plus_role_group(true)
                .build(),
        )
        .await;
    let ready = operator
        .wait_for("groups", "Ready after resuming", |flow| {
            is_ready(flow) && has_options(flow, false, true)
        })
        .await;
    let calls = operator.graph_calls(0).await;
    let posts = calls_to(&calls, "POST", "/provisioningFlows");
    assert_eq!(posts.len(), 1, "{calls:#?}");
    assert_eq!(posts[0].body["creationOptions"], options_json(false, true));
    let flows = operator.graph_flows().await;
    assert_eq!(flows.len(), 1, "{flows:?}");
    assert_eq!(
        ready.status.and_then(|status| status.flow_id),
        Some(flows[0].id.clone())
    );
}

#[tokio::test]
async fn pausing_a_ready_resource_stops_resyncs_and_holds_spec_changes() {
    let operator =
        OperatorUnderTest::start_with("pause-ready", Options::resyncing_every_second()).await;
    operator
        .apply_ready(&operator.resource("groups").build())
        .await;

    let pausing = operator
        .apply(&paused(operator.resource("groups").build()))
        .await;
    operator
        .wait_for(
            "groups",
            "Paused",
            is_paused_at(pausing.metadata.generation),
        )
        .await;
    let since = operator.journal_position().await;
    // With a one-second resync, a few seconds would show several reads if polling went on.
    operator
        .assert_quiet(since, Duration::from_secs(3), 0)
        .await;

    let changed = operator
        .apply(&paused(
            operator
                .resource("groups")
                .role_group(false)
                .org_plus_role_group(true)
                .build(),
        ))
        .await;
    operator
        .wait_for(
            "groups",
            "Paused at the new generation",
            is_paused_at(changed.metadata.generation),
        )
        .await;
    operator
        .assert_quiet(since, Duration::from_secs(1), 0)
        .await;
    let flows = operator.graph_flows().await;
    assert_eq!(
        flows[0].creation_options(),
        Some(&options_json(true, false)),
        "Graph keeps the old options while paused"
    );

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
        .wait_for("groups", "Ready with the new options", |flow| {
            is_ready(flow)
                && has_options(flow, false, true)
                && condition_is(flow, "Synced", "True", "InSync")
        })
        .await;
    let calls = operator.graph_calls(since).await;
    let writes = writes(&calls);
    assert_eq!(writes.len(), 1, "one PATCH on resume: {calls:#?}");
    assert_eq!(writes[0].method, "PATCH");
    assert_eq!(writes[0].body["creationOptions"], options_json(false, true));
}

#[tokio::test]
async fn a_spec_change_while_paused_is_not_reported_ready_at_its_generation() {
    let operator = OperatorUnderTest::start("pause-generation").await;
    operator
        .apply_ready(&operator.resource("groups").build())
        .await;
    operator
        .apply(&paused(operator.resource("groups").build()))
        .await;
    let changed = operator
        .apply(&paused(
            operator
                .resource("groups")
                .role_group(false)
                .org_plus_role_group(true)
                .build(),
        ))
        .await;
    let held = operator
        .wait_for(
            "groups",
            "Paused at the new generation",
            is_paused_at(changed.metadata.generation),
        )
        .await;
    // kstatus and `kubectl wait --for=condition=Ready` read a True Ready stamped with the current
    // generation as "the spec is in effect"; Graph still has the old creationOptions.
    let ready = held
        .status
        .as_ref()
        .and_then(|status| status.conditions.iter().find(|c| c.type_ == "Ready"))
        .expect("a Ready condition");
    assert!(
        !(ready.status == "True" && ready.observed_generation == changed.metadata.generation),
        "Ready claims generation {:?}, which was never synced to Graph: {ready:?}",
        changed.metadata.generation
    );
}

#[tokio::test]
async fn deleting_a_paused_resource_with_policy_delete_waits_for_resume() {
    let operator = OperatorUnderTest::start("pause-delete").await;
    let manifest = operator
        .resource("groups")
        .deletion_policy(DeletionPolicy::Delete)
        .build();
    operator.apply(&manifest).await;
    let ready = operator.wait_for("groups", "Ready", is_ready).await;
    let flow_id = ready
        .status
        .and_then(|status| status.flow_id)
        .expect("flow id");

    let pausing = operator.apply(&paused(manifest.clone())).await;
    operator
        .wait_for(
            "groups",
            "Paused",
            is_paused_at(pausing.metadata.generation),
        )
        .await;
    let since = operator.journal_position().await;
    operator
        .api
        .delete("groups", &DeleteParams::default())
        .await
        .expect("delete");
    operator
        .wait_for("groups", "marked for deletion", |flow| {
            flow.metadata.deletion_timestamp.is_some()
        })
        .await;
    operator
        .assert_quiet(since, Duration::from_secs(3), 0)
        .await;
    let waiting = operator
        .api
        .get_opt("groups")
        .await
        .expect("get")
        .expect("the finalizer holds the resource while the flow cannot be deleted");
    assert!(
        condition_is(&waiting, "Synced", "False", "Paused"),
        "the conditions still say why nothing happens: {:?}",
        waiting.status
    );
    assert_eq!(
        operator.graph_flows().await.len(),
        1,
        "the flow stays in Graph"
    );

    operator.apply(&manifest).await;
    operator.wait_deleted("groups").await;
    let calls = operator.graph_calls(since).await;
    let deletes = calls_to(&calls, "DELETE", &flow_id);
    assert_eq!(deletes.len(), 1, "{calls:#?}");
    assert_eq!(writes(&calls).len(), 1, "{calls:#?}");
    assert!(operator.graph_flows().await.is_empty());
}
