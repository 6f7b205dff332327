//! What Argo CD shows for real resources of the control plane, in each state the operator can
//! leave them in, and what its `reset` action does. The verdict comes from the shipped Lua
//! (`gitops/argocd/`) run by `tools/argocd-lua-check`: gopher-lua, the runtime Argo CD embeds, set
//! up as Argo CD sets it up for custom scripts. `make test` builds it and names it in
//! `SDS_ARGOCD_LUA_CHECK`. The `health_test.yaml` cases, in Argo CD's own format, run there too.

use graph_emulator::{FaultRule, FaultTarget};
use kube::ResourceExt;
use kube::api::{Patch, PatchParams};
use sds_operator::crd::{PAUSED_ANNOTATION, RESET_ANNOTATION, ResetOutcome};
use serde::Deserialize;
use serde_json::{Value, json};

use sds_test_harness::{
    CLIENT_ID, OperatorProcess, OperatorUnderTest, Options, condition, condition_is, is_ready,
    judge, judge_tool, stalled_with,
};

const CUSTOMIZATION: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/gitops/argocd/industrydata.sds-operator.io/SecurityGroupProvisioningFlow"
);

fn lua_check() -> String {
    judge_tool(
        "SDS_ARGOCD_LUA_CHECK",
        "the argocd-lua-check tool (tools/argocd-lua-check, on github.com/yuin/gopher-lua)",
    )
}

/// Runs the shipped script `script` (relative to the customization) on `object`.
pub(crate) async fn run_lua(script: &str, object: &[u8]) -> Value {
    let path = format!("{CUSTOMIZATION}/{script}");
    let health = script == "health.lua";
    let args: Vec<&str> = if health {
        vec!["-health", &path]
    } else {
        vec![&path]
    };
    judge(&lua_check(), &args, object).await
}

/// Argo CD's health of resource `name` now: (status, message).
async fn health(operator: &OperatorUnderTest, name: &str) -> (String, String) {
    let verdict = run_lua("health.lua", &operator.resource_json(name).await).await;
    let text = |key: &str| verdict[key].as_str().unwrap_or_default().to_owned();
    (text("status"), text("message"))
}

async fn assert_health(operator: &OperatorUnderTest, state: &str, status: &str, message: &str) {
    let (actual, said) = health(operator, "groups").await;
    assert!(
        actual == status && said == message,
        "{state}: Argo CD should show {status} ({message:?}), but shows {actual} ({said:?})"
    );
}

fn message_of(flow: &sds_operator::crd::SecurityGroupProvisioningFlow, kind: &str) -> String {
    condition(flow, kind)
        .map(|(_, _, message)| message)
        .unwrap_or_else(|| panic!("no {kind} condition"))
}

fn mirrors(
    value: &'static str,
) -> impl Fn(&sds_operator::crd::SecurityGroupProvisioningFlow) -> bool {
    move |flow| {
        flow.status.as_ref().is_some_and(|status| {
            status.readiness_status.as_ref().map(|r| r.as_str()) == Some(value)
                && status.observed_generation == flow.metadata.generation
        })
    }
}

#[tokio::test]
async fn argo_cd_shows_each_state_of_a_resource_with_the_operators_message() {
    lua_check();
    let options = Options {
        in_process: false,
        ..Options::resyncing_every_second()
    };
    let operator = OperatorUnderTest::start_with("argocd", options.clone()).await;
    let mut manifest = operator.resource("groups").build();
    operator.apply(&manifest).await;
    assert_health(
        &operator,
        "just applied, operator not running",
        "Progressing",
        "Waiting for sds-operator to process the resource",
    )
    .await;

    let _process = OperatorProcess::start(env!("CARGO_BIN_EXE_sds-operator"), &operator, &options);
    let ready = operator.wait_for("groups", "Ready", is_ready).await;
    assert_health(&operator, "Ready", "Healthy", &message_of(&ready, "Ready")).await;
    let flow_id = ready
        .status
        .and_then(|status| status.flow_id)
        .expect("flow id");

    for (value, state, status, echoed) in [
        (
            "notReady",
            "Graph says notReady",
            "Progressing",
            "Reconciling",
        ),
        ("failed", "Graph says failed", "Degraded", "Stalled"),
        ("disabled", "Graph says disabled", "Suspended", "Ready"),
        ("expired", "Graph says expired", "Degraded", "Stalled"),
        ("ready", "Graph says ready again", "Healthy", "Ready"),
    ] {
        operator
            .emulator
            .admin()
            .force_readiness(&flow_id, Some(value))
            .await
            .expect("force readiness");
        let seen = operator.wait_for("groups", state, mirrors(value)).await;
        assert_health(&operator, state, status, &message_of(&seen, echoed)).await;
    }

    // The reset action: offered, it stamps the annotation, and the operator sends one reset.
    let object = operator.resource_json("groups").await;
    let actions = run_lua("actions/discovery.lua", &object).await;
    assert_eq!(actions["reset"]["disabled"], json!(false), "{actions}");
    let stamped = run_lua("actions/reset/action.lua", &object).await;
    let token = stamped["metadata"]["annotations"][RESET_ANNOTATION]
        .as_str()
        .expect("a reset token")
        .to_owned();
    token
        .parse::<jiff::Timestamp>()
        .unwrap_or_else(|e| panic!("{token} is an RFC 3339 time: {e}"));
    assert!(token.ends_with('Z'), "UTC: {token}");
    // Argo CD patches the resource with what the action changed.
    operator
        .api
        .patch(
            "groups",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"annotations": {RESET_ANNOTATION: token}}})),
        )
        .await
        .expect("apply the action's change");
    operator
        .wait_for("groups", "reset accepted", |flow| {
            flow.status
                .as_ref()
                .and_then(|status| status.reset.as_ref())
                .is_some_and(|reset| {
                    reset.last_handled_token.as_deref() == Some(token.as_str())
                        && reset.outcome == Some(ResetOutcome::Accepted)
                })
        })
        .await;

    // Paused: Suspended, and the reset is not offered.
    manifest
        .metadata
        .annotations
        .get_or_insert_default()
        .insert(PAUSED_ANNOTATION.into(), "true".into());
    operator.apply(&manifest).await;
    operator
        .wait_for("groups", "Paused", |flow| {
            condition_is(flow, "Synced", "False", "Paused")
        })
        .await;
    assert_health(
        &operator,
        "paused",
        "Suspended",
        "Paused (industrydata.sds-operator.io/paused): no Graph call is made until the annotation is removed",
    )
    .await;
    let actions = run_lua(
        "actions/discovery.lua",
        &operator.resource_json("groups").await,
    )
    .await;
    assert_eq!(actions["reset"]["disabled"], json!(true), "{actions}");

    // Throttled while a spec change is to be made: Synced=False says so, Progressing.
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
    manifest
        .spec
        .creation_options
        .create_based_on_org_plus_role_group = true;
    operator.apply(&manifest).await;
    let throttled = operator
        .wait_for("groups", "throttled", |flow| {
            condition_is(flow, "Synced", "False", "Throttled")
                && flow.status.as_ref().and_then(|s| s.observed_generation)
                    == flow.metadata.generation
        })
        .await;
    assert_health(
        &operator,
        "throttled",
        "Progressing",
        &message_of(&throttled, "Synced"),
    )
    .await;
}

#[tokio::test]
async fn argo_cd_shows_a_refused_credential_degraded() {
    lua_check();
    let operator = OperatorUnderTest::start("argocd-credential").await;
    operator
        .create_client_secret("district", CLIENT_ID, "not-the-registered-secret")
        .await;
    operator
        .apply(
            &operator
                .resource("groups")
                .credentials_secret("district")
                .build(),
        )
        .await;
    let stalled = operator
        .wait_for(
            "groups",
            "Stalled: credential refused",
            stalled_with("CredentialsInvalid", ""),
        )
        .await;
    assert_health(
        &operator,
        "credential refused",
        "Degraded",
        &message_of(&stalled, "Stalled"),
    )
    .await;
}

/// Argo CD's `health_test.yaml`: each case's input and the health it must give.
#[derive(Deserialize)]
struct HealthTests {
    tests: Vec<HealthCase>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HealthCase {
    health_status: Value,
    input_path: String,
}

#[tokio::test]
async fn the_health_test_cases_in_argo_cds_format_hold() {
    lua_check();
    let cases: HealthTests = serde_saphyr::from_str(
        &std::fs::read_to_string(format!("{CUSTOMIZATION}/health_test.yaml"))
            .expect("health_test.yaml"),
    )
    .expect("health_test.yaml parses");
    assert!(cases.tests.len() >= 8, "every state has a case");
    for case in cases.tests {
        let input: Value = serde_saphyr::from_str(
            &std::fs::read_to_string(format!("{CUSTOMIZATION}/{}", case.input_path))
                .unwrap_or_else(|e| panic!("{}: {e}", case.input_path)),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", case.input_path));
        let verdict = run_lua("health.lua", &serde_json::to_vec(&input).expect("JSON")).await;
        assert_eq!(verdict, case.health_status, "{}", case.input_path);
    }
}

#[test]
fn the_argocd_cm_keys_embed_the_shipped_scripts_verbatim() {
    let read = |path: &str| {
        std::fs::read_to_string(format!("{CUSTOMIZATION}/{path}"))
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let config_map: Value =
        serde_saphyr::from_str(&read("../../argocd-cm.yaml")).expect("argocd-cm.yaml parses");
    let data = &config_map["data"];
    let drifted =
        "gitops/argocd/argocd-cm.yaml differs from the scripts beside it: embed them again";
    for kind in [
        "SecurityGroupProvisioningFlow",
        "AdministrativeUnitProvisioningFlow",
        "ClassGroupProvisioningFlow",
        "UserProvisioningFlow",
    ] {
        let key = format!("industrydata.sds-operator.io_{kind}");
        let health = data[format!("resource.customizations.health.{key}")]
            .as_str()
            .unwrap_or_else(|| panic!("the health key of {kind}"));
        let actions: Value = serde_saphyr::from_str(
            data[format!("resource.customizations.actions.{key}")]
                .as_str()
                .unwrap_or_else(|| panic!("the actions key of {kind}")),
        )
        .expect("the actions key holds YAML");
        assert_eq!(health, read("health.lua"), "{kind}: {drifted}");
        assert_eq!(
            actions["discovery.lua"],
            json!(read("actions/discovery.lua")),
            "{kind}: {drifted}"
        );
        assert_eq!(actions["definitions"][0]["name"], json!("reset"));
        assert_eq!(
            actions["definitions"][0]["action.lua"],
            json!(read("actions/reset/action.lua")),
            "{kind}: {drifted}"
        );
    }
    // Flow sets: the same health check, and no reset action (Graph has none for a flow set).
    let key = "industrydata.sds-operator.io_OutboundProvisioningFlowSet";
    let health = data[format!("resource.customizations.health.{key}")]
        .as_str()
        .expect("the health key of OutboundProvisioningFlowSet");
    assert_eq!(
        health,
        read("health.lua"),
        "OutboundProvisioningFlowSet: {drifted}"
    );
    assert!(data[format!("resource.customizations.actions.{key}")].is_null());
}
