//! A user flow's default password: read from a Secret key, sent to Graph, shown nowhere (not in
//! the resource, its events or the operator's log, at debug level); a changed key is sent again
//! with one PATCH, and the fingerprint in status keeps it from being sent again after that.

use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Patch, PatchParams};
use sds_operator::crd::UserProvisioningFlow;
use sds_test_harness::{
    KindUnderTest, OperatorProcess, OperatorUnderTest, Options, Variant, calls_after_settling,
    is_ready,
};
use sds_test_support::{DEFAULT_DEADLINE, eventually};
use serde_json::{Value, json};

const NAME: &str = "students";
const SECRET: &str = "sds-passwords";
const FIRST: &str = "Initial-Pa55word!x7";
const SECOND: &str = "Rotated-Pa55word?q2";

/// The default password Graph holds for the flow's one configuration (Graph itself only ever
/// shows it masked; the emulator's state keeps what was sent).
async fn password_in_graph(kind: &KindUnderTest<'_, UserProvisioningFlow>) -> Option<String> {
    let flows = kind.graph_flows().await;
    let flow = flows.first()?;
    flow.properties["creationOptions"]["configurations"][0]["defaultPasswordSettings"]["password"]
        .as_str()
        .map(str::to_owned)
}

fn fingerprints(flow: &UserProvisioningFlow) -> Vec<String> {
    flow.status
        .as_ref()
        .map(|status| status.secret_fingerprints.values().cloned().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_default_password_comes_from_a_secret_reaches_graph_and_nowhere_else() {
    let options = Options {
        in_process: false,
        resync_period: Duration::from_secs(3),
        ..Options::default()
    };
    let operator = OperatorUnderTest::start_with("user-password", options.clone()).await;
    let process = OperatorProcess::start(env!("CARGO_BIN_EXE_sds-operator"), &operator, &options);
    operator
        .create_secret(SECRET, None, &[("students", FIRST)])
        .await;
    let kind = operator.kind::<UserProvisioningFlow>();
    let manifest = kind
        .manifest(NAME, Variant::First)
        .with(
            "creationOptions",
            json!({"configurations": [{
                "roleGroupId": "students",
                "licenseSkus": ["314c4481-f395-4525-be8b-2ec4bb1e9d91"],
                "defaultPasswordSecretRef": {"name": SECRET, "key": "students"},
            }]}),
        )
        .build::<UserProvisioningFlow>();
    kind.apply(&manifest).await;
    let ready = kind
        .wait_for(NAME, "Ready with its create settled", |flow| {
            is_ready(flow)
                && flow
                    .status
                    .as_ref()
                    .is_some_and(|s| s.create_intent.is_none())
        })
        .await;
    assert_eq!(password_in_graph(&kind).await.as_deref(), Some(FIRST));
    let first_fingerprints = fingerprints(&ready);
    assert_eq!(first_fingerprints.len(), 1, "{:?}", ready.status);
    let mirrored = serde_json::to_value(&ready.status).expect("status json");
    assert_eq!(
        mirrored["creationOptions"]["configurations"][0]["defaultPasswordSet"],
        Value::Bool(true),
        "status shows that a password is set: {mirrored:#}"
    );

    // The Secret is rotated: the new value is sent once, at the next resync.
    let before = operator.journal_position().await;
    operator
        .test
        .api::<Secret>()
        .patch(
            SECRET,
            &PatchParams::default(),
            &Patch::Merge(json!({"stringData": {"students": SECOND}})),
        )
        .await
        .expect("rotate the password");
    eventually(
        "the rotated password in Graph",
        DEFAULT_DEADLINE,
        || async {
            match password_in_graph(&kind).await {
                Some(password) if password == SECOND => Ok(()),
                other => Err(format!("Graph holds {other:?}")),
            }
        },
    )
    .await;
    let rotated = kind
        .wait_for(NAME, "the new fingerprint in status", |flow| {
            let now = fingerprints(flow);
            now.len() == 1 && now != first_fingerprints
        })
        .await;
    // Two resyncs' reads after the PATCH, and no second PATCH among them.
    let calls = calls_after_settling(&operator, before, 2).await;
    let patches: Vec<_> = calls.iter().filter(|call| call.method == "PATCH").collect();
    assert_eq!(patches.len(), 1, "one PATCH for the rotation: {calls:#?}");

    let resource = serde_json::to_string(&rotated).expect("resource json");
    let events = serde_json::to_string(&operator.events(NAME).await).expect("events json");
    let log = process.log();
    assert!(log.contains("sds_operator"), "the log was captured: {log}");
    for (place, text) in [
        ("the resource", &resource),
        ("its events", &events),
        ("the log", &log),
    ] {
        for password in [FIRST, SECOND] {
            assert!(!text.contains(password), "a password in {place}: {text}");
        }
    }
}
