//! The Helm chart: it lints, installs with the real helm, and its RBAC is enough for the whole
//! life of a resource (create, reset, delete) while granting nothing more.

use std::collections::BTreeMap;

use kube::api::DeleteParams;
use sds_operator::crd::{DeletionPolicy, RESET_ANNOTATION, ResetOutcome};
use sds_test_support::TestContext;

use sds_test_harness::{OperatorUnderTest, Options, is_ready};

const CHART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/charts/sds-operator");

async fn run(command: std::process::Command) -> (bool, String) {
    let output = tokio::process::Command::from(command)
        .output()
        .await
        .expect("run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test]
async fn the_charts_rbac_is_enough_to_run_the_operator_and_no_more() {
    let test = TestContext::new("chart").await;
    let mut lint = test.control_plane.helm();
    lint.args(["lint", CHART]);
    let (ok, text) = run(lint).await;
    assert!(ok, "helm lint: {text}");

    let mut install = test.control_plane.helm();
    install.args([
        "install",
        &test.namespace,
        CHART,
        "--namespace",
        &test.namespace,
    ]);
    install.args(["--set", &format!("watchNamespace={}", test.namespace)]);
    let (ok, text) = run(install).await;
    assert!(ok, "helm install: {text}");

    let service_account = format!("{}-sds-operator", test.namespace);
    let (_, kubeconfig) = test
        .control_plane
        .service_account_kubeconfig(&test.client, &test.namespace, &service_account)
        .await
        .expect("a token for the chart's ServiceAccount");
    for (verb, resource, allowed) in [
        (
            "watch",
            "securitygroupprovisioningflows.industrydata.sds-operator.io",
            "yes",
        ),
        (
            "patch",
            "securitygroupprovisioningflows.industrydata.sds-operator.io/status",
            "yes",
        ),
        ("get", "secrets", "yes"),
        ("list", "secrets", "no"),
        (
            "delete",
            "securitygroupprovisioningflows.industrydata.sds-operator.io",
            "no",
        ),
        (
            "update",
            "securitygroupprovisioningflows.industrydata.sds-operator.io/status",
            "no",
        ),
        ("create", "pods", "no"),
        (
            "get",
            "customresourcedefinitions/securitygroupprovisioningflows.industrydata.sds-operator.io",
            "yes",
        ),
        ("get", "customresourcedefinitions/other.example.com", "no"),
        (
            "delete",
            "customresourcedefinitions/securitygroupprovisioningflows.industrydata.sds-operator.io",
            "no",
        ),
    ] {
        let mut can_i = test.control_plane.kubectl();
        can_i.env("KUBECONFIG", &kubeconfig).args([
            "auth",
            "can-i",
            verb,
            resource,
            "--namespace",
            &test.namespace,
        ]);
        let (_, answer) = run(can_i).await;
        // The first line is the answer; kubectl may add warnings (cluster-scoped resources).
        assert_eq!(
            answer.lines().next().unwrap_or_default().trim(),
            allowed,
            "can the operator {verb} {resource}?"
        );
    }

    let operator_client = test
        .control_plane
        .service_account_client(&test.client, &test.namespace, &service_account)
        .await
        .expect("service account client");
    let operator = OperatorUnderTest::start_in(test, Options::default(), operator_client).await;
    let mut flow = operator
        .resource("groups")
        .deletion_policy(DeletionPolicy::Delete)
        .build();
    operator.apply(&flow).await;
    operator
        .wait_for("groups", "Ready under the chart's RBAC", is_ready)
        .await;

    flow.metadata.annotations = Some(BTreeMap::from([(
        RESET_ANNOTATION.to_owned(),
        "t1".to_owned(),
    )]));
    operator.apply(&flow).await;
    operator
        .wait_for("groups", "reset accepted", |flow| {
            flow.status
                .as_ref()
                .and_then(|status| status.reset.as_ref())
                .is_some_and(|reset| reset.outcome == Some(ResetOutcome::Accepted))
        })
        .await;
    operator.wait_for_event("groups", "ResetAccepted").await;

    operator
        .api
        .delete("groups", &DeleteParams::default())
        .await
        .expect("delete");
    operator.wait_deleted("groups").await;
    assert!(operator.graph_flows().await.is_empty());
}
