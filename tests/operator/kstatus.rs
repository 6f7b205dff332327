//! What kstatus (sigs.k8s.io/cli-utils `pkg/kstatus/status`, the health library of Flux and kpt)
//! says about real resources of the control plane in each state the operator can leave them in.
//! The verdict comes from kstatus itself: `tools/kstatus-check`, which `make test` builds into the
//! per-user tool cache and names in `SDS_KSTATUS_CHECK`, reads `kubectl get -o json` and prints it.
//!
//! kstatus v0.37.2 decides in this order: observedGeneration behind generation → InProgress;
//! Reconciling=True → InProgress; Stalled=True → Failed; Ready=True → Current; Ready=False or
//! Unknown → InProgress (with Ready's message); no Ready condition → Current. Hence:
//! - `disabled` (Ready=False reason Disabled, neither Reconciling nor Stalled) is InProgress, not
//!   the Current that DESIGN §4 expects: kstatus reads every Ready=False as work in progress.
//! - Paused keeps the verdict of the spec synced before the pause (Current when that was Ready),
//!   since the operator has done all it was asked; a spec changed while paused is not in Graph,
//!   so Ready=False reason Paused, and kstatus says InProgress until the pause is lifted.

use graph_emulator::{FaultRule, FaultTarget};
use kube::ResourceExt;
use sds_operator::crd::{PAUSED_ANNOTATION, SecurityGroupProvisioningFlow};
use serde::Deserialize;

use sds_test_harness::{
    CLIENT_ID, OperatorUnderTest, Options, condition, condition_is, is_ready, stalled_with,
};
use sds_test_harness::{OperatorProcess, judge, judge_tool};

/// kstatus's answer for one resource, as `kstatus-check` prints it.
#[derive(Debug, Deserialize)]
pub(crate) struct Verdict {
    pub(crate) status: String,
    pub(crate) message: String,
}

/// The kstatus-check binary. Without it these tests fail (each asks first): they never skip.
fn kstatus_check() -> String {
    judge_tool(
        "SDS_KSTATUS_CHECK",
        "the kstatus-check tool (tools/kstatus-check, on sigs.k8s.io/cli-utils v0.37.2)",
    )
}

/// Asks kstatus about resource `name` as the API server serves it now.
async fn kstatus(operator: &OperatorUnderTest, name: &str) -> Verdict {
    kstatus_of(&operator.resource_json(name).await).await
}

/// Asks kstatus about `object`, a resource's JSON.
pub(crate) async fn kstatus_of(object: &[u8]) -> Verdict {
    let verdict = judge(&kstatus_check(), &[], object).await;
    serde_json::from_value(verdict).expect("kstatus-check's verdict")
}

/// Asserts kstatus's verdict on `name`: its status and its message.
async fn assert_kstatus(
    operator: &OperatorUnderTest,
    name: &str,
    state: &str,
    status: &str,
    message: &str,
) {
    let verdict = kstatus(operator, name).await;
    assert!(
        verdict.status == status && verdict.message == message,
        "{state}: kstatus should say {status} ({message:?}), but says {verdict:?}"
    );
}

/// Graph's readiness `value` is mirrored into status at the current generation.
fn mirrors(value: &'static str) -> impl Fn(&SecurityGroupProvisioningFlow) -> bool {
    move |flow| {
        flow.status.as_ref().is_some_and(|status| {
            status.readiness_status.as_ref().map(|r| r.as_str()) == Some(value)
                && status.observed_generation == flow.metadata.generation
        })
    }
}

/// kstatus's message for a resource it calls Current because Ready is True.
const READY: &str = "Resource is Ready";

/// The message of condition `kind`, which must not be empty (kstatus would have nothing to echo).
fn condition_message(flow: &SecurityGroupProvisioningFlow, kind: &str) -> String {
    let (_, _, message) = condition(flow, kind).unwrap_or_else(|| panic!("no {kind} condition"));
    assert!(!message.is_empty(), "{kind} has a message");
    message
}

fn observed_at_generation(flow: &SecurityGroupProvisioningFlow) -> bool {
    flow.status
        .as_ref()
        .is_some_and(|status| status.observed_generation == flow.metadata.generation)
}

#[tokio::test]
async fn kstatus_judges_each_state_of_a_resource_as_flux_should_see_it() {
    kstatus_check();
    let options = Options {
        in_process: false,
        ..Options::resyncing_every_second()
    };
    let operator = OperatorUnderTest::start_with("kstatus", options.clone()).await;
    let mut manifest = operator.resource("groups").build();

    // Applied while no operator runs: not processed, so never Current.
    operator.apply(&manifest).await;
    assert_kstatus(
        &operator,
        "groups",
        "just applied, operator not running",
        "InProgress",
        "SecurityGroupProvisioningFlow generation is 1, but latest observed generation is 0",
    )
    .await;

    let mut process =
        OperatorProcess::start(env!("CARGO_BIN_EXE_sds-operator"), &operator, &options);
    let ready = operator.wait_for("groups", "Ready", is_ready).await;
    assert_kstatus(&operator, "groups", "Ready", "Current", READY).await;
    let flow_id = ready
        .status
        .and_then(|status| status.flow_id)
        .expect("flow id");

    // Unless Ready=True, kstatus passes on the message of the condition it went by.
    for (value, state, status, echoed) in [
        (
            "notReady",
            "Graph says notReady",
            "InProgress",
            "Reconciling",
        ),
        ("failed", "Graph says failed", "Failed", "Stalled"),
        ("disabled", "Graph says disabled", "InProgress", "Ready"),
        ("expired", "Graph says expired", "Failed", "Stalled"),
        ("ready", "Graph says ready again", "Current", ""),
    ] {
        operator
            .emulator
            .admin()
            .force_readiness(&flow_id, Some(value))
            .await
            .expect("force readiness");
        let seen = operator.wait_for("groups", state, mirrors(value)).await;
        let message = match echoed {
            "" => READY.to_owned(),
            kind => condition_message(&seen, kind),
        };
        assert_kstatus(&operator, "groups", state, status, &message).await;
    }

    // A spec change the operator has not seen yet: it is down.
    process.kill();
    manifest
        .spec
        .creation_options
        .create_based_on_org_plus_role_group = true;
    let changed = operator.apply(&manifest).await;
    assert_eq!(changed.metadata.generation, Some(2));
    assert_kstatus(
        &operator,
        "groups",
        "spec changed while the operator is down",
        "InProgress",
        "SecurityGroupProvisioningFlow generation is 2, but latest observed generation is 1",
    )
    .await;
    process.restart();
    operator
        .wait_for("groups", "Ready at generation 2", |flow| {
            is_ready(flow) && observed_at_generation(flow)
        })
        .await;
    assert_kstatus(
        &operator,
        "groups",
        "Ready after the restart",
        "Current",
        READY,
    )
    .await;

    // Paused, as the module's comment says: first at the synced spec, then with a spec change.
    manifest
        .metadata
        .annotations
        .get_or_insert_default()
        .insert(PAUSED_ANNOTATION.into(), "true".into());
    operator.apply(&manifest).await;
    operator
        .wait_for("groups", "Paused", |flow| {
            condition_is(flow, "Synced", "False", "Paused") && observed_at_generation(flow)
        })
        .await;
    assert_kstatus(&operator, "groups", "paused", "Current", READY).await;
    manifest
        .spec
        .creation_options
        .create_based_on_org_plus_role_group = false;
    operator.apply(&manifest).await;
    let held = operator
        .wait_for("groups", "Paused with the spec change held", |flow| {
            condition_is(flow, "Ready", "False", "Paused") && observed_at_generation(flow)
        })
        .await;
    assert_kstatus(
        &operator,
        "groups",
        "spec changed while paused",
        "InProgress",
        &condition_message(&held, "Ready"),
    )
    .await;

    // Throttled: Graph answers 429 to everything while a spec change is to be made.
    operator
        .emulator
        .admin()
        .add_fault(&FaultRule {
            target: FaultTarget::Graph,
            status: Some(429),
            retry_after_seconds: Some(120),
            ..FaultRule::default()
        })
        .await
        .expect("add the 429 fault");
    manifest.annotations_mut().remove(PAUSED_ANNOTATION);
    manifest.spec.creation_options.create_based_on_role_group = false;
    operator.apply(&manifest).await;
    let throttled = operator
        .wait_for("groups", "Reconciling because throttled", |flow| {
            condition_is(flow, "Reconciling", "True", "Throttled") && observed_at_generation(flow)
        })
        .await;
    assert_kstatus(
        &operator,
        "groups",
        "throttled",
        "InProgress",
        &condition_message(&throttled, "Reconciling"),
    )
    .await;
}

#[tokio::test]
async fn kstatus_calls_a_resource_with_a_refused_credential_failed() {
    kstatus_check();
    let operator = OperatorUnderTest::start("kstatus-credential").await;
    operator
        .create_client_secret("district", CLIENT_ID, "not-the-registered-secret")
        .await;
    let manifest = operator
        .resource("groups")
        .credentials_secret("district")
        .build();
    operator.apply(&manifest).await;
    let stalled = operator
        .wait_for(
            "groups",
            "Stalled: credential refused",
            stalled_with("CredentialsInvalid", ""),
        )
        .await;
    assert_kstatus(
        &operator,
        "groups",
        "credential refused",
        "Failed",
        &condition_message(&stalled, "Stalled"),
    )
    .await;
}
