//! The Helm chart: it lints, installs with the real helm, and its RBAC is enough for the whole
//! life of a resource (create, reset, delete) while granting nothing more; where it grants less
//! (no Secret reads), the resource says which permission is missing.

use std::collections::BTreeMap;

use kube::api::DeleteParams;
use sds_operator::crd::{DeletionPolicy, RESET_ANNOTATION, ResetOutcome};
use sds_test_support::TestContext;

use sds_test_harness::{OperatorUnderTest, Options, is_ready, stalled_with};

pub(crate) const CHART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/charts/sds-operator");

pub(crate) async fn run(command: std::process::Command) -> (bool, String) {
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
    let watch = format!("watchNamespace={}", test.namespace);
    let (_, service_account) = install_release(
        test,
        &test.namespace,
        &[&[watch.as_str()][..], values].concat(),
    )
    .await;
    service_account
}

/// Installs the chart as `release` into the test's namespace with `values` set; returns helm's
/// output (NOTES.txt included) and the name of the release's ServiceAccount.
async fn install_release(test: &TestContext, release: &str, values: &[&str]) -> (String, String) {
    let mut install = test.control_plane.helm();
    install.args(["install", release, CHART, "--namespace", &test.namespace]);
    // The harness owns the shared control plane's CRDs (tests/chart_crds.rs installs them).
    install.args(["--set", "crds.enabled=false"]);
    for value in values {
        install.args(["--set", value]);
    }
    let (ok, text) = run(install).await;
    assert!(ok, "helm install: {text}");
    (text, format!("{release}-sds-operator"))
}

/// What `kubectl auth can-i` answers for the ServiceAccount `service_account` of the test's
/// namespace: `verb` on `resource` in `namespace` (cluster-scoped resources: any).
async fn can_i(
    test: &TestContext,
    kubeconfig: &std::path::Path,
    verb: &str,
    resource: &str,
    namespace: &str,
) -> String {
    let mut can_i = test.control_plane.kubectl();
    can_i.env("KUBECONFIG", kubeconfig).args([
        "auth",
        "can-i",
        verb,
        resource,
        "--namespace",
        namespace,
    ]);
    let (_, answer) = run(can_i).await;
    // The first line is the answer; kubectl may add warnings (cluster-scoped resources).
    answer.lines().next().unwrap_or_default().trim().to_owned()
}

#[tokio::test]
async fn the_charts_rbac_is_enough_to_run_the_operator_and_no_more() {
    let test = TestContext::new("chart").await;
    let mut lint = test.control_plane.helm();
    lint.args(["lint", "--strict", CHART]);
    let (ok, text) = run(lint).await;
    assert!(ok, "helm lint: {text}");

    let secrets_here = format!("rbac.secretNamespaces={{{}}}", test.namespace);
    let service_account = install_chart(&test, &[&secrets_here]).await;
    let (_, kubeconfig) = test
        .control_plane
        .service_account_kubeconfig(&test.client, &test.namespace, &service_account)
        .await
        .expect("a token for the chart's ServiceAccount");
    let flows = "securitygroupprovisioningflows.industrydata.sds-operator.io";
    let here = test.namespace.as_str();
    for (verb, resource, namespace, allowed) in [
        ("watch", flows, here, "yes"),
        ("patch", &format!("{flows}/status"), here, "yes"),
        ("watch", flows, "kube-system", "no"),
        ("get", "secrets", here, "yes"),
        ("get", "secrets", "kube-system", "no"),
        ("list", "secrets", here, "no"),
        ("patch", "secrets", here, "no"),
        ("delete", flows, here, "no"),
        ("update", &format!("{flows}/status"), here, "no"),
        ("create", "pods", here, "no"),
        (
            "get",
            &format!("customresourcedefinitions/{flows}"),
            here,
            "yes",
        ),
        (
            "get",
            "customresourcedefinitions/other.example.com",
            here,
            "no",
        ),
        (
            "delete",
            &format!("customresourcedefinitions/{flows}"),
            here,
            "no",
        ),
        (
            "watch",
            "credentialgrants.industrydata.sds-operator.io",
            here,
            "yes",
        ),
        (
            "create",
            "credentialgrants.industrydata.sds-operator.io",
            here,
            "no",
        ),
        ("watch", &format!("namespaces/{here}"), here, "yes"),
        ("create", "leases.coordination.k8s.io", here, "yes"),
        (
            "update",
            "leases.coordination.k8s.io/sds-operator-leader",
            here,
            "yes",
        ),
        (
            "update",
            "leases.coordination.k8s.io/kube-controller-manager",
            here,
            "no",
        ),
        ("delete", "leases.coordination.k8s.io", here, "no"),
        ("create", "leases.coordination.k8s.io", "kube-system", "no"),
        ("get", "namespaces/kube-system", here, "no"),
    ] {
        assert_eq!(
            can_i(&test, &kubeconfig, verb, resource, namespace).await,
            allowed,
            "can the operator {verb} {resource} in {namespace}?"
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
    assert!(!ok, "rendered patch without saying where: {text}");
    assert!(text.contains("rbac.secretNamespaces"), "{text}");
    let (ok, text) = template(&[
        "rbac.writeDelegatedSecrets=true",
        "rbac.secretNamespaces={*}",
    ])
    .await;
    assert!(!ok, "rendered patch on every Secret of the cluster: {text}");
    assert!(text.contains("rbac.delegatedSecretNames"), "{text}");

    let named = [
        "rbac.writeDelegatedSecrets=true",
        "rbac.secretNamespaces={*}",
        "rbac.delegatedSecretNames={district-delegated}",
    ];
    let (ok, text) = template(&named).await;
    assert!(ok, "helm template with names: {text}");
    assert!(
        text.contains(r#"resourceNames: ["district-delegated"]"#),
        "patch limited to the named Secret: {text}"
    );

    let scoped = format!("rbac.secretNamespaces={{{}}}", test.namespace);
    let (ok, text) = template(&["rbac.writeDelegatedSecrets=true", &scoped]).await;
    assert!(ok, "helm template for one namespace: {text}");
    assert!(
        text.contains(&format!(
            "kind: Role\nmetadata:\n  name: sds-sds-operator-secrets\n  namespace: {}\n",
            test.namespace
        )),
        "a Role in the namespace: {text}"
    );

    // Values of older versions are refused with the way to migrate, not ignored.
    let (ok, text) = template(&["rbac.readSecrets=true"]).await;
    assert!(
        !ok && text.contains("replaced by rbac.secretNamespaces"),
        "{text}"
    );
    let (ok, text) = template(&["credentials.allowedNamespaces={sds}"]).await;
    assert!(
        !ok && text.contains("replaced by CredentialGrants"),
        "{text}"
    );
}

#[tokio::test]
async fn each_rbac_mode_lets_the_operator_read_secrets_only_where_asked() {
    let test = TestContext::new("chart-rbac-modes").await;
    let here = test.namespace.clone();
    let listed = format!("rbac.secretNamespaces={{{here}}}");
    let modes: [(&str, Vec<&str>, [&str; 4]); 4] = [
        // release, values, can it: get here, get in kube-system, patch here, patch in kube-system
        ("none", vec![], ["no", "no", "no", "no"]),
        ("listed", vec![listed.as_str()], ["yes", "no", "no", "no"]),
        (
            "listed-delegated",
            vec![listed.as_str(), "rbac.writeDelegatedSecrets=true"],
            ["yes", "no", "yes", "no"],
        ),
        (
            "everywhere",
            vec!["rbac.secretNamespaces={*}"],
            ["yes", "yes", "no", "no"],
        ),
    ];
    for (release, values, expected) in modes {
        let (notes, service_account) = install_release(&test, release, &values).await;
        assert_eq!(
            notes.contains("WARNING: rbac.secretNamespaces is [\"*\"]"),
            release == "everywhere",
            "{release}: {notes}"
        );
        let (_, kubeconfig) = test
            .control_plane
            .service_account_kubeconfig(&test.client, &here, &service_account)
            .await
            .expect("a token");
        let mut answers = Vec::new();
        for (verb, namespace) in [
            ("get", here.as_str()),
            ("get", "kube-system"),
            ("patch", here.as_str()),
            ("patch", "kube-system"),
        ] {
            answers.push(can_i(&test, &kubeconfig, verb, "secrets", namespace).await);
        }
        assert_eq!(
            answers, expected,
            "{release}: get here, get kube-system, patch here, patch kube-system"
        );
    }
    // Delegated write-back limited by name: that Secret only, and in no other namespace.
    let (_, service_account) = install_release(
        &test,
        "named",
        &[
            "rbac.secretNamespaces={*}",
            "rbac.writeDelegatedSecrets=true",
            "rbac.delegatedSecretNames={district-delegated}",
        ],
    )
    .await;
    let (_, kubeconfig) = test
        .control_plane
        .service_account_kubeconfig(&test.client, &here, &service_account)
        .await
        .expect("a token");
    assert_eq!(
        can_i(
            &test,
            &kubeconfig,
            "patch",
            "secrets/district-delegated",
            &here
        )
        .await,
        "yes"
    );
    assert_eq!(
        can_i(&test, &kubeconfig, "patch", "secrets/other", &here).await,
        "no"
    );
    assert_eq!(
        can_i(&test, &kubeconfig, "patch", "secrets", "kube-system").await,
        "no"
    );
}

#[tokio::test]
async fn a_secret_the_chart_does_not_let_the_operator_read_stalls_naming_the_permission() {
    let test = TestContext::new("chart-no-secrets").await;
    // By default the chart lets the operator read Secrets nowhere.
    let service_account = install_chart(&test, &[]).await;
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
