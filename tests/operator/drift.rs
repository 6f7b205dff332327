//! Graph changed outside Kubernetes: edited creationOptions are set back with one PATCH, and a
//! deleted flow is created again, each with a warning event.

use serde_json::json;

use sds_test_harness::{
    OperatorUnderTest, Options, calls_after_settling, calls_to, is_ready, options_json, writes,
};
use sds_test_support::{DEFAULT_DEADLINE, eventually};

fn fast_resync() -> Options {
    Options::resyncing_every_second()
}

/// Ready, and the flow read back from Graph since its create (from then on a 404 is a deletion,
/// not eventual consistency): the flow id.
async fn settled_flow_id(operator: &OperatorUnderTest, name: &str) -> String {
    let settled = operator
        .wait_for(name, "Ready with its create settled", |flow| {
            is_ready(flow)
                && flow
                    .status
                    .as_ref()
                    .is_some_and(|status| status.create_intent.is_none())
        })
        .await;
    let flow_id = settled
        .status
        .and_then(|status| status.flow_id)
        .expect("a Ready resource records its flow id");
    eventually("the new flow read back", DEFAULT_DEADLINE, || async {
        let calls = operator.graph_calls(0).await;
        calls_to(&calls, "GET", &flow_id)
            .iter()
            .any(|call| call.status == 200)
            .then_some(())
            .ok_or_else(|| format!("no GET of {flow_id} yet"))
    })
    .await;
    flow_id
}

#[tokio::test]
async fn creation_options_edited_in_graph_are_set_back_with_one_patch() {
    let operator = OperatorUnderTest::start_with("drift", fast_resync()).await;
    operator.apply(&operator.resource("groups").build()).await;
    let flow_id = settled_flow_id(&operator, "groups").await;
    let before = operator.journal_position().await;

    let portal_edit = options_json(false, true);
    operator
        .emulator
        .admin()
        .set_creation_options(&flow_id, portal_edit.as_object().expect("object"))
        .await
        .expect("edit creationOptions in Graph");

    let event = operator.wait_for_event("groups", "DriftCorrected").await;
    assert_eq!(event.type_.as_deref(), Some("Warning"), "{event:?}");
    let note = event.note.unwrap_or_default();
    assert!(
        note.contains("createBasedOnRoleGroup=false, createBasedOnOrgPlusRoleGroup=true"),
        "the event says what Graph had: {note}"
    );

    let calls = calls_after_settling(&operator, before, 2).await;
    let writes = writes(&calls);
    assert_eq!(writes.len(), 1, "one write fixes the drift: {calls:#?}");
    assert_eq!(writes[0].method, "PATCH");
    assert!(writes[0].path.ends_with(&flow_id), "{:?}", writes[0].path);
    assert_eq!(
        writes[0].body,
        json!({
            "@odata.type": "#microsoft.graph.industryData.securityGroupProvisioningFlow",
            "creationOptions": options_json(true, false),
        })
    );

    let flows = operator.graph_flows().await;
    assert_eq!(flows.len(), 1, "{flows:?}");
    assert_eq!(flows[0].id, flow_id);
    assert_eq!(
        flows[0].creation_options(),
        Some(&options_json(true, false))
    );
    let current = operator.api.get("groups").await.expect("get");
    assert!(is_ready(&current), "{:?}", current.status);
    let options = current
        .status
        .and_then(|status| status.mirrored.creation_options);
    assert!(
        options.is_some_and(|o| o.create_based_on_role_group
            && !o.create_based_on_org_plus_role_group),
        "status shows Graph's options, which match the spec again: {options:?}"
    );
    assert!(
        !sds_test_harness::event_reasons(&operator.events("groups").await)
            .iter()
            .any(|reason| reason == "Updated"),
        "a drift fix is not reported as a spec update"
    );
}

#[tokio::test]
async fn a_flow_deleted_in_graph_long_after_create_is_created_again_once() {
    let operator = OperatorUnderTest::start_with("external-deletion", fast_resync()).await;
    operator
        .apply(
            &operator
                .resource("groups")
                .role_group(false)
                .org_plus_role_group(true)
                .build(),
        )
        .await;
    let old_id = settled_flow_id(&operator, "groups").await;
    let before = operator.journal_position().await;

    operator
        .emulator
        .admin()
        .delete_flow(&old_id)
        .await
        .expect("delete the flow outside Kubernetes");

    let recreated = operator
        .wait_for("groups", "Ready with a new flow id", |flow| {
            is_ready(flow)
                && flow
                    .status
                    .as_ref()
                    .and_then(|status| status.flow_id.as_deref())
                    .is_some_and(|id| id != old_id)
        })
        .await;
    let new_id = recreated
        .status
        .and_then(|status| status.flow_id)
        .expect("flow id");
    let event = operator.wait_for_event("groups", "Recreated").await;
    assert_eq!(event.type_.as_deref(), Some("Warning"), "{event:?}");
    assert!(
        event
            .note
            .as_deref()
            .is_some_and(|note| note.contains(&new_id)),
        "{event:?}"
    );

    let calls = calls_after_settling(&operator, before, 2).await;
    let writes = writes(&calls);
    assert_eq!(writes.len(), 1, "one create, nothing else: {calls:#?}");
    assert_eq!(calls_to(&calls, "POST", "/provisioningFlows").len(), 1);
    assert_eq!(
        writes[0].body["creationOptions"],
        options_json(false, true),
        "the spec is created again"
    );

    let flows = operator.graph_flows().await;
    assert_eq!(flows.len(), 1, "still one flow in the set: {flows:?}");
    assert_eq!(flows[0].id, new_id);
    assert_eq!(
        flows[0].creation_options(),
        Some(&options_json(false, true))
    );
}
