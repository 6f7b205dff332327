//! Two resources naming one flow set: the older keeps working, the newer stalls without calling
//! Graph, and takes over once the older is gone.

use kube::api::DeleteParams;

use sds_test_harness::{OperatorUnderTest, condition, has_condition, is_ready};

#[tokio::test]
async fn the_newer_of_two_resources_on_one_flow_set_waits_for_the_older() {
    let operator = OperatorUnderTest::start("conflict").await;
    operator.apply(&operator.resource("older").build()).await;
    let older = operator.wait_for("older", "Ready", is_ready).await;
    let flow_id = older
        .status
        .and_then(|status| status.flow_id)
        .expect("flow id");

    let before = operator.journal_position().await;
    operator
        .apply(
            &operator
                .resource("newer")
                .role_group(false)
                .org_plus_role_group(true)
                .build(),
        )
        .await;
    let stalled = operator
        .wait_for("newer", "Stalled in Conflict", |flow| {
            has_condition(flow, "Stalled", "True")
                && condition(flow, "Stalled").is_some_and(|(_, reason, message)| {
                    reason == "Conflict"
                        && message.contains(&format!("{}/older", operator.test.namespace))
                })
        })
        .await;
    assert!(stalled.status.and_then(|status| status.flow_id).is_none());
    let calls = operator.graph_calls(before).await;
    assert!(
        calls.is_empty(),
        "the newer resource makes no Graph call: {calls:#?}"
    );
    let flows = operator.graph_flows().await;
    assert_eq!(flows.len(), 1);
    assert_eq!(
        flows[0].creation_options(),
        Some(
            &serde_json::json!({"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": false})
        ),
        "the older resource's options stay"
    );

    operator
        .api
        .delete("older", &DeleteParams::default())
        .await
        .expect("delete the older");
    operator.wait_deleted("older").await;
    let took_over = operator
        .wait_for("newer", "Ready after taking over", is_ready)
        .await;
    assert_eq!(
        took_over.status.and_then(|status| status.flow_id),
        Some(flow_id),
        "the flow is adopted, not duplicated"
    );
    let flows = operator.graph_flows().await;
    assert_eq!(flows.len(), 1);
    assert_eq!(
        flows[0].creation_options(),
        Some(
            &serde_json::json!({"createBasedOnRoleGroup": false, "createBasedOnOrgPlusRoleGroup": true})
        ),
        "now the newer resource's options apply"
    );
}
