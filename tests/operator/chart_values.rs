//! The chart's values: a typo is refused by its schema, every option renders objects the real
//! API server accepts (server-side dry run), and the Pod meets the restricted Pod Security
//! profile without a single warning.

use std::process::Stdio;

use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::api::{ObjectMeta, PostParams};
use sds_test_support::TestContext;
use tokio::io::AsyncWriteExt;

use crate::chart::{CHART, run};

/// `helm template` of the chart with `values` (`--set`), as a release named after `namespace`
/// (cluster-scoped objects carry the release's name: tests running at once must not share them).
async fn template(test: &TestContext, namespace: &str, values: &[&str]) -> (bool, String) {
    let mut template = test.control_plane.helm();
    template.args(["template", namespace, CHART, "--namespace", namespace]);
    for value in values {
        template.args(["--set", value]);
    }
    run(template).await
}

/// A server-side apply of `manifests`, dry run: every admission check runs, nothing is stored.
/// (succeeded, stdout and stderr).
async fn dry_run(test: &TestContext, namespace: &str, manifests: &str) -> (bool, String) {
    let mut apply = tokio::process::Command::from(test.control_plane.kubectl());
    apply
        .args([
            "apply",
            "--server-side",
            "--force-conflicts",
            "--field-manager=sds-chart-test",
            "--dry-run=server",
            "--namespace",
            namespace,
            "-f",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = apply.spawn().expect("run kubectl");
    let mut stdin = child.stdin.take().expect("kubectl's stdin");
    stdin
        .write_all(manifests.as_bytes())
        .await
        .expect("write the manifests");
    drop(stdin);
    let output = child.wait_with_output().await.expect("kubectl ends");
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

/// The CRDs, so that rendered CredentialGrants can be checked too.
async fn install_crds(test: &TestContext) {
    let mut apply = test.control_plane.kubectl();
    apply.args([
        "apply",
        "--server-side",
        "-f",
        &format!("{CHART}/files/crds/"),
    ]);
    let (ok, text) = run(apply).await;
    assert!(ok, "install the CRDs: {text}");
}

#[tokio::test]
async fn a_typo_in_the_values_is_refused_by_the_schema() {
    let test = TestContext::new("chart-typos").await;
    for (value, refusal) in [
        (
            "resyncPeriodd=1m",
            "additional properties 'resyncPeriodd' not allowed",
        ),
        ("image.tagg=1.0", "additional properties 'tagg' not allowed"),
        (
            "rbac.secretNamespace={sds}",
            "additional properties 'secretNamespace' not allowed",
        ),
        ("concurrency=0", "minimum"),
        ("defaultDeletionPolicy=delete", "value must be one of"),
        ("resyncPeriod=ten minutes", "does not match pattern"),
        ("image.digest=latest", "does not match pattern"),
        // The operator reads one number and one unit: 1h30m would stop it at start.
        ("pollInterval=1h30m", "does not match pattern"),
        (
            "leaderElection.leaseDuraton=30s",
            "additional properties 'leaseDuraton' not allowed",
        ),
        (
            "podDisruptionBudget.maxUnavailable=half",
            "does not match pattern",
        ),
    ] {
        let (ok, text) = template(&test, &test.namespace, &[value]).await;
        assert!(!ok && text.contains(refusal), "{value}: {text}");
    }
}

#[tokio::test]
async fn every_option_renders_objects_the_api_server_accepts() {
    let test = TestContext::new("chart-options").await;
    install_crds(&test).await;
    let here = test.namespace.clone();
    let secrets_here = format!("rbac.secretNamespaces={{{here}}}");
    let matrix: Vec<Vec<&str>> = vec![
        vec![],
        vec![&secrets_here, "rbac.writeDelegatedSecrets=true"],
        vec!["rbac.secretNamespaces={*}"],
        vec![
            "nameOverride=district-sync",
            "image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "extraArgs={--concurrency=4}",
            "extraEnv[0].name=AZURE_CLIENT_CERTIFICATE_PATH",
            "extraEnv[0].value=/etc/sds-operator/certificate/client.pem",
            "volumes[0].name=certificate",
            "volumes[0].secret.secretName=sds-graph-certificate",
            "volumeMounts[0].name=certificate",
            "volumeMounts[0].mountPath=/etc/sds-operator/certificate",
            "volumeMounts[0].readOnly=true",
            "priorityClassName=system-cluster-critical",
            "topologySpreadConstraints[0].maxSkew=1",
            "topologySpreadConstraints[0].topologyKey=kubernetes.io/hostname",
            "topologySpreadConstraints[0].whenUnsatisfiable=ScheduleAnyway",
        ],
        vec![
            "fullnameOverride=chart-options-sds",
            "credentials.workloadIdentity.enabled=true",
            "credentials.workloadIdentity.clientId=b5e7f8a3-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
            "podLabels.azure\\.workload\\.identity/use=true",
            "podAnnotations.example\\.com/replicas=2",
            "networkPolicy.enabled=true",
            "networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=monitoring",
        ],
        vec![
            "credentials.existingSecret=sds-graph",
            "credentialGrants[0].name=chart-options-grant",
            "credentialGrants[0].namespaces.names={sds}",
            "credentialGrants[0].flowSets.all=true",
            "credentialGrants[0].operations={Manage,Reset}",
            "metrics.service.enabled=false",
        ],
        vec![
            "replicas=1",
            "leaderElection.enabled=false",
            "podDisruptionBudget.enabled=false",
            "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key=kubernetes.io/os",
            "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator=In",
            "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values={linux}",
        ],
        vec![
            "replicas=3",
            "leaderElection.leaseDuration=30s",
            "leaderElection.renewDeadline=20s",
            "leaderElection.retryPeriod=4s",
            "podDisruptionBudget.maxUnavailable=50%",
        ],
    ];
    for values in matrix {
        let (ok, rendered) = template(&test, &here, &values).await;
        assert!(ok, "{values:?}: {rendered}");
        let (ok, applied) = dry_run(&test, &here, &rendered).await;
        assert!(ok, "{values:?}: the API server refused: {applied}");
        assert!(
            !applied.to_lowercase().contains("warning"),
            "{values:?}: {applied}"
        );
    }

    // The ServiceMonitor's CRD is not installed here: it renders, scraping the metrics Service.
    let (ok, rendered) = template(&test, &here, &["metrics.serviceMonitor.enabled=true"]).await;
    assert!(ok, "{rendered}");
    assert!(rendered.contains("kind: ServiceMonitor") && rendered.contains("- port: metrics"));
    let (ok, text) = template(
        &test,
        &here,
        &[
            "metrics.serviceMonitor.enabled=true",
            "metrics.service.enabled=false",
        ],
    )
    .await;
    assert!(
        !ok && text.contains("needs metrics.service.enabled"),
        "{text}"
    );
    let (ok, text) = template(
        &test,
        &here,
        &[
            "credentials.existingSecret=x",
            "credentials.workloadIdentity.enabled=true",
            "credentials.workloadIdentity.clientId=y",
        ],
    )
    .await;
    assert!(!ok && text.contains("keep one"), "{text}");
    let (ok, text) = template(&test, &here, &["leaderElection.enabled=false"]).await;
    assert!(
        !ok && text.contains("replicas > 1 needs leaderElection.enabled"),
        "{text}"
    );
    // Without leader election a new Pod never starts beside the old one.
    let (_, rendered) = template(
        &test,
        &here,
        &["leaderElection.enabled=false", "replicas=1"],
    )
    .await;
    assert!(
        rendered.contains("type: Recreate") && !rendered.contains("leader-election"),
        "{rendered}"
    );

    // Pod labels and annotations are strings, whatever --set made of them.
    let (_, rendered) = template(
        &test,
        &here,
        &[
            "podLabels.azure\\.workload\\.identity/use=true",
            "podAnnotations.replicas=2",
        ],
    )
    .await;
    assert!(
        rendered.contains(r#"azure.workload.identity/use: "true""#),
        "{rendered}"
    );
    assert!(rendered.contains(r#"replicas: "2""#), "{rendered}");
}

#[tokio::test]
async fn the_pod_meets_the_restricted_pod_security_profile_without_a_warning() {
    let test = TestContext::new("chart-restricted").await;
    let namespace = format!("{}-restricted", test.namespace);
    let labels = [
        ("pod-security.kubernetes.io/enforce", "restricted"),
        ("pod-security.kubernetes.io/warn", "restricted"),
        ("pod-security.kubernetes.io/audit", "restricted"),
    ];
    Api::<Namespace>::all(test.client.clone())
        .create(
            &PostParams::default(),
            &Namespace {
                metadata: ObjectMeta {
                    name: Some(namespace.clone()),
                    labels: Some(
                        labels
                            .iter()
                            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
                            .collect(),
                    ),
                    ..ObjectMeta::default()
                },
                ..Namespace::default()
            },
        )
        .await
        .expect("a namespace enforcing the restricted profile");
    let mut install = test.control_plane.helm();
    install.args([
        "install",
        &namespace,
        CHART,
        "--namespace",
        &namespace,
        "--set",
        &format!("watchNamespace={namespace}"),
        // The harness owns the shared control plane's CRDs (tests/chart_crds.rs installs them).
        "--set",
        "crds.enabled=false",
    ]);
    let (ok, text) = run(install).await;
    assert!(ok, "helm install: {text}");
    assert!(
        !text.to_lowercase().contains("warning") && !text.contains("violate"),
        "the API server warned: {text}"
    );
    // The same objects, applied again, draw no warning either (PodSecurity warns on workloads).
    let (_, rendered) =
        template(&test, &namespace, &[&format!("watchNamespace={namespace}")]).await;
    let (ok, applied) = dry_run(&test, &namespace, &rendered).await;
    assert!(
        ok && !applied.to_lowercase().contains("warning"),
        "{applied}"
    );
}
