//! The test harness itself: a real kube-apiserver and etcd, RBAC enforced, tokens minted through
//! the TokenRequest API, and the real kubectl and helm driving the same cluster.

use std::process::Output;

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, ServiceAccount};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use kube::api::{ListParams, ObjectMeta, PostParams};
use kube::{Api, Client};
use sds_test_support::{DEFAULT_DEADLINE, TestContext, eventually};

fn stdout_of(what: &str, output: std::io::Result<Output>) -> String {
    let output = output.unwrap_or_else(|e| panic!("{what} did not run: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn named<T: Default>(name: &str, build: impl FnOnce(ObjectMeta) -> T) -> T {
    build(ObjectMeta {
        name: Some(name.to_string()),
        ..Default::default()
    })
}

async fn create_service_account(test: &TestContext, name: &str) {
    test.api::<ServiceAccount>()
        .create(
            &PostParams::default(),
            &named(name, |metadata| ServiceAccount {
                metadata,
                ..Default::default()
            }),
        )
        .await
        .expect("create service account");
}

#[tokio::test]
async fn serves_the_pinned_kubernetes_version_to_an_admin_client() {
    let test = TestContext::new("serves-version").await;
    let version = test.client.apiserver_version().await.expect("GET /version");
    assert_eq!(version.git_version, "v1.35.4");
    assert_eq!(
        (version.major.as_str(), version.minor.as_str()),
        ("1", "35")
    );

    let namespaces = Api::<Namespace>::all(test.client.clone())
        .list(&ListParams::default())
        .await
        .expect("list namespaces");
    let names: Vec<_> = namespaces
        .items
        .iter()
        .filter_map(|ns| ns.metadata.name.as_deref())
        .collect();
    assert!(names.contains(&"kube-system"), "{names:?}");
    assert!(names.contains(&test.namespace.as_str()), "{names:?}");
}

#[tokio::test]
async fn gives_every_test_its_own_namespace() {
    let first = TestContext::new("own-namespace").await;
    let second = TestContext::new("own-namespace").await;
    assert_ne!(first.namespace, second.namespace);
    let created = Api::<Namespace>::all(first.client.clone())
        .get(&second.namespace)
        .await
        .expect("the second namespace exists");
    assert_eq!(
        created.metadata.name.as_deref(),
        Some(second.namespace.as_str())
    );
}

#[tokio::test]
async fn mints_service_account_tokens_that_authenticate_as_that_account() {
    let test = TestContext::new("mints-tokens").await;
    create_service_account(&test, "operator").await;
    let client = test
        .control_plane
        .service_account_client(&test.client, &test.namespace, "operator")
        .await
        .expect("service account client");

    let review = Api::<SelfSubjectReview>::all(client)
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await
        .expect("self subject review");
    let user = review
        .status
        .and_then(|s| s.user_info)
        .and_then(|u| u.username);
    assert_eq!(
        user,
        Some(format!("system:serviceaccount:{}:operator", test.namespace))
    );
}

#[tokio::test]
async fn enforces_rbac_on_a_restricted_identity() {
    let test = TestContext::new("enforces-rbac").await;
    create_service_account(&test, "reader").await;
    let reader = test
        .control_plane
        .service_account_client(&test.client, &test.namespace, "reader")
        .await
        .expect("service account client");
    let config_maps = Api::<ConfigMap>::namespaced(reader.clone(), &test.namespace);

    let refused = config_maps.list(&ListParams::default()).await;
    assert!(
        matches!(&refused, Err(kube::Error::Api(status)) if status.is_forbidden()),
        "listing without a grant must be forbidden, got {refused:?}"
    );

    grant_config_map_reads(&test.client, &test.namespace, "reader").await;
    eventually(
        "the Role to let the reader list ConfigMaps",
        DEFAULT_DEADLINE,
        || {
            let config_maps = config_maps.clone();
            async move {
                config_maps
                    .list(&ListParams::default())
                    .await
                    .map_err(|e| e.to_string())
            }
        },
    )
    .await;

    let still_refused = Api::<Namespace>::all(reader)
        .list(&ListParams::default())
        .await;
    assert!(
        matches!(&still_refused, Err(kube::Error::Api(status)) if status.is_forbidden()),
        "what was not granted stays forbidden, got {still_refused:?}"
    );
}

async fn grant_config_map_reads(admin: &Client, namespace: &str, service_account: &str) {
    let role = named("config-map-reader", |metadata| Role {
        metadata,
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(vec!["configmaps".into()]),
            verbs: vec!["get".into(), "list".into()],
            ..Default::default()
        }]),
    });
    Api::<Role>::namespaced(admin.clone(), namespace)
        .create(&PostParams::default(), &role)
        .await
        .expect("create role");
    let binding = named("config-map-reader", |metadata| RoleBinding {
        metadata,
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "Role".into(),
            name: "config-map-reader".into(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: service_account.into(),
            namespace: Some(namespace.into()),
            ..Default::default()
        }]),
    });
    Api::<RoleBinding>::namespaced(admin.clone(), namespace)
        .create(&PostParams::default(), &binding)
        .await
        .expect("create role binding");
}

#[tokio::test]
async fn kubectl_works_as_admin_and_as_a_service_account() {
    let test = TestContext::new("kubectl").await;
    let version = stdout_of(
        "kubectl version",
        test.control_plane
            .kubectl()
            .args(["version", "-o", "json"])
            .output(),
    );
    let version: serde_json::Value = serde_json::from_str(&version).expect("kubectl version JSON");
    assert_eq!(version["serverVersion"]["gitVersion"], "v1.35.4");
    assert_eq!(version["clientVersion"]["gitVersion"], "v1.35.4");

    create_service_account(&test, "cli").await;
    let (_, kubeconfig) = test
        .control_plane
        .service_account_kubeconfig(&test.client, &test.namespace, "cli")
        .await
        .expect("service account kubeconfig");
    let whoami = stdout_of(
        "kubectl auth whoami",
        test.control_plane
            .kubectl()
            .env("KUBECONFIG", &kubeconfig)
            .args([
                "auth",
                "whoami",
                "-o",
                "jsonpath={.status.userInfo.username}",
            ])
            .output(),
    );
    assert_eq!(
        whoami,
        format!("system:serviceaccount:{}:cli", test.namespace)
    );
}

#[tokio::test]
async fn helm_installs_a_chart_into_the_cluster() {
    let test = TestContext::new("helm").await;
    let chart = test
        .control_plane
        .scratch_dir()
        .join(format!("chart-{}", test.namespace));
    std::fs::create_dir_all(chart.join("templates")).expect("chart dir");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: probe\nversion: 0.1.0\n",
    )
    .expect("Chart.yaml");
    std::fs::write(
        chart.join("templates/configmap.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-probe\ndata:\n  greeting: {{ .Values.greeting | quote }}\n",
    )
    .expect("template");

    stdout_of(
        "helm install",
        test.control_plane
            .helm()
            .args([
                "install",
                "probe",
                &chart.display().to_string(),
                "--namespace",
                &test.namespace,
            ])
            .args(["--set", "greeting=hello"])
            .output(),
    );

    let config_map = test
        .api::<ConfigMap>()
        .get("probe-probe")
        .await
        .expect("the chart's ConfigMap");
    assert_eq!(
        config_map
            .data
            .and_then(|data| data.get("greeting").cloned())
            .as_deref(),
        Some("hello")
    );
}
