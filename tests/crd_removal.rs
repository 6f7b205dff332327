//! Deleting the CRD deletes every resource with it; that must never delete a flow in Graph, even
//! for resources whose deletion policy is Delete. In a binary of its own: the CRD goes away.

use sds_operator::crd::DeletionPolicy;

use sds_test_harness::{OperatorUnderTest, is_ready};

#[tokio::test]
async fn removing_the_crd_leaves_every_flow_in_graph() {
    let operator = OperatorUnderTest::start("crd-removal").await;
    let flow = operator
        .resource("groups")
        .deletion_policy(DeletionPolicy::Delete)
        .build();
    operator.apply(&flow).await;
    operator.wait_for("groups", "Ready", is_ready).await;
    let flows = operator.graph_flows().await;
    assert_eq!(flows.len(), 1);

    let output = operator
        .kubectl(&[
            "delete",
            "crd",
            "securitygroupprovisioningflows.industrydata.sds-operator.io",
            "--timeout=60s",
        ])
        .await;
    assert!(
        output.status.success(),
        "kubectl delete crd: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let orphaned = operator.wait_for_event("groups", "Orphaned").await;
    let note = orphaned.note.unwrap_or_default();
    assert!(note.contains("CustomResourceDefinition"), "{note}");
    let after = operator.graph_flows().await;
    assert_eq!(after.len(), 1, "the flow stays in Graph");
    assert_eq!(after[0].id, flows[0].id);
    let deletes = operator
        .graph_calls(0)
        .await
        .into_iter()
        .filter(|call| call.method == "DELETE")
        .count();
    assert_eq!(deletes, 0);
}
