//! The chart's CRDs with the real helm, from a cluster without them: installed with the release,
//! updated by `helm upgrade`, left in place (with every resource) by `helm uninstall` unless
//! `crds.keep=false`, and taken over from an older release that installed them from `crds/`.
//! In a binary of its own: these tests install and delete the cluster's CRDs, which the other
//! binaries' harness owns.

use std::path::Path;
use std::process::Command;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::runtime::wait::{await_condition, conditions};
use sds_test_support::{DEFAULT_DEADLINE, TestContext};
use serde_json::Value;

const CHART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/charts/sds-operator");
const FLOWS: &str = "securitygroupprovisioningflows.industrydata.sds-operator.io";
const GRANTS: &str = "credentialgrants.industrydata.sds-operator.io";
/// A CredentialGrant in the chart's values.
const GRANT: &[&str] = &[
    "--set",
    "credentialGrants[0].name=chart-crds",
    "--set",
    "credentialGrants[0].namespaces.names={sds}",
    "--set",
    "credentialGrants[0].flowSets.all=true",
    "--set",
    "credentialGrants[0].operations={Manage}",
];

fn run(mut command: Command) -> (bool, String) {
    let output = command.output().expect("run");
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

/// `helm <verb> sds <chart> --namespace <test namespace> <args>`.
fn helm(test: &TestContext, verb: &str, chart: &Path, args: &[&str]) -> (bool, String) {
    let mut command = test.control_plane.helm();
    command.args([verb, "sds"]);
    if verb != "uninstall" {
        command.arg(chart);
    }
    command.args(["--namespace", &test.namespace]).args(args);
    run(command)
}

async fn crd(test: &TestContext, name: &str) -> Option<CustomResourceDefinition> {
    Api::<CustomResourceDefinition>::all(test.client.clone())
        .get_opt(name)
        .await
        .expect("read the CRD")
}

async fn established(test: &TestContext, name: &str) {
    let crds = Api::<CustomResourceDefinition>::all(test.client.clone());
    tokio::time::timeout(
        DEFAULT_DEADLINE,
        await_condition(crds, name, conditions::is_crd_established()),
    )
    .await
    .unwrap_or_else(|_| panic!("{name} to be established"))
    .expect("watch the CRD");
}

/// kube-apiserver's CRD finalizer sometimes takes minutes to remove a deleted CRD: when its list
/// of the instances meets "storage is (re)initializing" (the CRD was updated just before), its
/// retry comes late. Measured here with kube-apiserver 1.35.4: most deletions within a second,
/// about one run in three with one CRD taking 290-300 s.
const CRD_FINALIZER_DEADLINE: std::time::Duration = std::time::Duration::from_secs(420);

/// Asserts that Helm deleted every CRD the chart ships (each gone or terminating), then waits
/// until the API server has removed them: a CRD still terminating would make the next install
/// wait for it forever.
async fn all_gone(test: &TestContext) {
    let names = chart_crd_names();
    for name in &names {
        let deleted = crd(test, name)
            .await
            .is_none_or(|crd| crd.metadata.deletion_timestamp.is_some());
        assert!(deleted, "helm uninstall deleted {name}");
    }
    for name in &names {
        gone(test, name).await;
    }
}

/// The names of the CRDs the chart ships, from its files (one per CRD, named by it).
fn chart_crd_names() -> Vec<String> {
    let names: Vec<String> = std::fs::read_dir(Path::new(CHART).join("files/crds"))
        .expect("read the chart's CRDs")
        .map(|entry| {
            let path = entry.expect("a CRD file").path();
            let stem = path.file_stem().expect("a file name").to_string_lossy();
            stem.into_owned()
        })
        .collect();
    assert!(names.iter().any(|name| name == FLOWS) && names.iter().any(|name| name == GRANTS));
    names
}

async fn gone(test: &TestContext, name: &str) {
    let crds = Api::<CustomResourceDefinition>::all(test.client.clone());
    let Some(uid) = crd(test, name).await.and_then(|crd| crd.metadata.uid) else {
        return;
    };
    tokio::time::timeout(
        CRD_FINALIZER_DEADLINE,
        await_condition(crds, name, conditions::is_deleted(&uid)),
    )
    .await
    .unwrap_or_else(|_| panic!("{name} to be deleted"))
    .expect("watch the CRD");
}

/// The printer columns the cluster's flow CRD serves.
async fn served_columns(test: &TestContext) -> Vec<String> {
    let crd = crd(test, FLOWS).await.expect("the flow CRD");
    crd.spec.versions[0]
        .additional_printer_columns
        .iter()
        .flatten()
        .map(|column| column.name.clone())
        .collect()
}

/// The chart as an older release had it: its flow CRD without the last printer column.
fn older_chart(test: &TestContext) -> (std::path::PathBuf, String) {
    let dir = test
        .control_plane
        .scratch_dir()
        .join(format!("{}-older-chart", test.namespace));
    let (ok, text) = run({
        let mut copy = Command::new("cp");
        copy.args(["-R", CHART]).arg(&dir);
        copy
    });
    assert!(ok, "copy the chart: {text}");
    let path = dir.join(format!("files/crds/{FLOWS}.yaml"));
    let mut crd: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(&path).expect("read the CRD"))
            .expect("the CRD's YAML");
    let columns = crd["spec"]["versions"][0]["additionalPrinterColumns"]
        .as_array_mut()
        .expect("printer columns");
    let dropped = columns.pop().expect("a column")["name"]
        .as_str()
        .expect("its name")
        .to_owned();
    std::fs::write(&path, serde_json::to_string(&crd).expect("JSON is YAML")).expect("write");
    (dir, dropped)
}

/// The chart as it was before crds.enabled: the CRD files in crds/, no CRD template.
fn chart_with_a_crds_dir(test: &TestContext) -> std::path::PathBuf {
    let dir = test
        .control_plane
        .scratch_dir()
        .join(format!("{}-crds-dir-chart", test.namespace));
    let mut copy = Command::new("cp");
    copy.args(["-R", CHART]).arg(&dir);
    let (ok, text) = run(copy);
    assert!(ok, "copy the chart: {text}");
    std::fs::remove_file(dir.join("templates/crds.yaml")).expect("remove the CRD template");
    std::fs::rename(dir.join("files/crds"), dir.join("crds")).expect("move the CRDs to crds/");
    dir
}

#[tokio::test]
async fn the_release_installs_upgrades_and_keeps_its_crds_and_takes_over_older_ones() {
    let test = TestContext::new("chart-crds").await;
    assert!(
        crd(&test, FLOWS).await.is_none(),
        "a cluster without the CRDs"
    );

    // The older chart installs them, the current one's upgrade updates them.
    let (older, dropped) = older_chart(&test);
    let (ok, text) = helm(&test, "install", &older, &[]);
    assert!(ok, "helm install (older chart): {text}");
    established(&test, FLOWS).await;
    established(&test, GRANTS).await;
    assert!(!served_columns(&test).await.contains(&dropped));
    let (ok, text) = helm(
        &test,
        "upgrade",
        Path::new(CHART),
        // A grant in the same release: its kind exists by the time the release is applied.
        GRANT,
    );
    assert!(ok, "helm upgrade: {text}");
    assert!(
        served_columns(&test).await.contains(&dropped),
        "helm upgrade updated the CRD: {:?}",
        served_columns(&test).await
    );
    let flows = crd(&test, FLOWS).await.expect("the flow CRD");
    let annotations = flows.metadata.annotations.unwrap_or_default();
    assert_eq!(
        annotations
            .get("helm.sh/resource-policy")
            .map(String::as_str),
        Some("keep")
    );
    assert_eq!(
        annotations
            .get("meta.helm.sh/release-name")
            .map(String::as_str),
        Some("sds")
    );

    // A resource, then uninstall: the CRDs stay, and so does the resource.
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/securitygroupprovisioningflow.yaml"
    ))
    .expect("the example")
    .replace("namespace: sds", &format!("namespace: {}", test.namespace));
    let manifest = test
        .control_plane
        .scratch_dir()
        .join(format!("{}-example.yaml", test.namespace));
    std::fs::write(&manifest, example).expect("write the example");
    let mut apply = test.control_plane.kubectl();
    apply.arg("apply").arg("-f").arg(&manifest);
    let (ok, text) = run(apply);
    assert!(ok, "kubectl apply the example: {text}");
    let (ok, text) = helm(&test, "uninstall", Path::new(CHART), &[]);
    assert!(ok, "helm uninstall: {text}");
    assert!(crd(&test, FLOWS).await.is_some() && crd(&test, GRANTS).await.is_some());
    let mut get = test.control_plane.kubectl();
    get.args([
        "get",
        "securitygroupprovisioningflows",
        "--namespace",
        &test.namespace,
        "-o",
        "name",
    ]);
    let (ok, text) = run(get);
    assert!(ok && !text.trim().is_empty(), "the resource stays: {text}");

    // Installed again, the release takes its kept CRDs back; with crds.keep=false an uninstall
    // deletes them.
    let (ok, text) = helm(
        &test,
        "install",
        Path::new(CHART),
        &["--set", "crds.keep=false"],
    );
    assert!(ok, "helm install again: {text}");
    let (ok, text) = helm(&test, "uninstall", Path::new(CHART), &[]);
    assert!(ok, "helm uninstall: {text}");
    all_gone(&test).await;

    // A release of the chart as it was before crds.enabled, with its CRDs in crds/ (which Helm
    // installs unowned, and never upgrades): a plain upgrade is refused naming them, and
    // --take-ownership takes them over.
    let previous = chart_with_a_crds_dir(&test);
    let (ok, text) = helm(&test, "install", &previous, &[]);
    assert!(ok, "helm install (CRDs in crds/): {text}");
    established(&test, FLOWS).await;
    let unowned = crd(&test, FLOWS)
        .await
        .and_then(|crd| crd.metadata.annotations);
    assert!(
        unowned.is_none_or(|annotations| !annotations.contains_key("meta.helm.sh/release-name")),
        "crds/ leaves the CRDs unowned"
    );
    let (ok, text) = helm(&test, "upgrade", Path::new(CHART), &[]);
    assert!(
        !ok && text.contains("cannot be imported into the current release"),
        "helm upgrade over unowned CRDs: {text}"
    );
    // As README has it: values kept, new defaults taken.
    let (ok, text) = helm(
        &test,
        "upgrade",
        Path::new(CHART),
        &["--take-ownership", "--reset-then-reuse-values"],
    );
    assert!(ok, "helm upgrade --take-ownership: {text}");
    assert!(
        served_columns(&test).await.len() > 1,
        "the CRDs are this chart's"
    );
    let owner = crd(&test, FLOWS)
        .await
        .and_then(|crd| crd.metadata.annotations)
        .and_then(|annotations| annotations.get("meta.helm.sh/release-name").cloned());
    assert_eq!(owner.as_deref(), Some("sds"));

    // A first install into a cluster without the CRDs cannot hold grants as well: Helm maps
    // every kind before it applies anything. Helm says so; the grants come with the next upgrade.
    let (ok, text) = helm(
        &test,
        "upgrade",
        Path::new(CHART),
        &["--set", "crds.keep=false"],
    );
    assert!(ok, "helm upgrade: {text}");
    let (ok, text) = helm(&test, "uninstall", Path::new(CHART), &[]);
    assert!(ok, "helm uninstall: {text}");
    all_gone(&test).await;
    let (ok, text) = helm(&test, "install", Path::new(CHART), GRANT);
    assert!(
        !ok && text.contains("ensure CRDs are installed first"),
        "helm install with a grant, the CRDs absent: {text}"
    );
    let (ok, text) = helm(&test, "install", Path::new(CHART), &[]);
    assert!(ok, "helm install: {text}");
    established(&test, GRANTS).await;
    let (ok, text) = helm(&test, "upgrade", Path::new(CHART), GRANT);
    assert!(ok, "helm upgrade with the grant: {text}");
    let mut get = test.control_plane.kubectl();
    get.args(["get", "credentialgrant", "chart-crds", "-o", "name"]);
    let (ok, text) = run(get);
    assert!(ok, "the grant exists: {text}");

    // crds.enabled=false renders none.
    let mut template = test.control_plane.helm();
    template.args(["template", "sds", CHART, "--set", "crds.enabled=false"]);
    let (ok, text) = run(template);
    assert!(
        ok && !text.contains("kind: CustomResourceDefinition"),
        "{text}"
    );
}
