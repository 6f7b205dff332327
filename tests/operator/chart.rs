//! The Helm chart: it lints, installs with the real helm, and its RBAC is enough for the whole
//! life of a resource (create, reset, delete) while granting nothing more; where it grants less
//! (no Secret reads), the resource says which permission is missing.

use std::collections::BTreeMap;

use kube::api::DeleteParams;
use sds_operator::crd::{DeletionPolicy, RESET_ANNOTATION, ResetOutcome};
use sds_test_support::TestContext;

use sds_test_harness::{OperatorUnderTest, Options, is_ready, stalled_with};

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

/// Installs the chart into the test's namespace, watching only it, with `values` set; returns the
/// name of the chart's ServiceAccount.
async fn install_chart(test: &TestContext, values: &[&str]) -> String {
    let mut install = test.control_plane.helm();
    install.args([
        "install",
        &test.namespace,
        CHART,
        "--namespace",
        &test.namespace,
    ]);
    install.args(["--set", &format!("watchNamespace={}", test.namespace)]);
    for value in values {
        install.args(["--set", value]);
    }
    let (ok, text) = run(install).await;
    assert!(ok, "helm install: {text}");
    format!("{}-sds-operator", test.namespace)
}

#[tokio::test]
async fn the_charts_rbac_is_enough_to_run_the_operator_and_no_more() {
    let test = TestContext::new("chart").await;
    let mut lint = test.control_plane.helm();
    lint.args(["lint", CHART]);
    let (ok, text) = run(lint).await;
    assert!(ok, "helm lint: {text}");

    let service_account = install_chart(&test, &[]).await;
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

#[tokio::test]
async fn delegated_write_back_never_renders_patch_on_every_secret_of_the_cluster() {
    let test = TestContext::new("chart-delegated").await;
    let template = |values: &[&str]| {
        let mut template = test.control_plane.helm();
        template.args(["template", "sds", CHART, "--namespace", &test.namespace]);
        for value in values {
            template.args(["--set", value]);
        }
        run(template)
    };
    let (ok, text) = template(&["rbac.writeDelegatedSecrets=true"]).await;
    assert!(!ok, "rendered patch on every Secret: {text}");
    assert!(text.contains("rbac.delegatedSecretNames"), "{text}");

    let named = [
        "rbac.writeDelegatedSecrets=true",
        "rbac.delegatedSecretNames={district-delegated}",
    ];
    let (ok, text) = template(&named).await;
    assert!(ok, "helm template with names: {text}");
    assert!(
        text.contains(r#"resourceNames: ["district-delegated"]"#),
        "patch limited to the named Secret: {text}"
    );

    let scoped = format!("watchNamespace={}", test.namespace);
    let (ok, text) = template(&["rbac.writeDelegatedSecrets=true", &scoped]).await;
    assert!(ok, "helm template for one namespace: {text}");
    assert!(
        text.contains("kind: Role\n"),
        "a Role in the watched namespace: {text}"
    );
}

#[tokio::test]
async fn a_secret_the_chart_does_not_let_the_operator_read_stalls_naming_the_permission() {
    let test = TestContext::new("chart-no-secrets").await;
    let service_account = install_chart(&test, &["rbac.readSecrets=false"]).await;
    let operator_client = test
        .control_plane
        .service_account_client(&test.client, &test.namespace, &service_account)
        .await
        .expect("service account client");
    let namespace = test.namespace.clone();
    let operator = OperatorUnderTest::start_in(test, Options::default(), operator_client).await;
    operator
        .create_client_secret(
            "graph",
            sds_test_harness::CLIENT_ID,
            sds_test_harness::CLIENT_SECRET,
        )
        .await;
    let flow = operator
        .resource("groups")
        .credentials_secret("graph")
        .build();
    operator.apply(&flow).await;
    let permission = format!("get on secrets in namespace {namespace}");
    operator
        .wait_for(
            "groups",
            "Stalled with the missing Secret permission named",
            stalled_with("KubernetesForbidden", permission.as_str()),
        )
        .await;
    operator
        .wait_for_event("groups", "KubernetesForbidden")
        .await;
    assert!(
        operator.graph_calls(0).await.is_empty(),
        "no Graph call without the credential"
    );
}
