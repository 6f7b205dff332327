//! Crashes: the operator binary is killed with SIGKILL inside the windows where Graph has done
//! something that status does not record yet, then started again. The emulator holds the answer
//! of the create or reset POST (`delayAfterMs`: carried out, not answered) or holds the POST
//! itself (`latencyMs`: not carried out), so the kill lands exactly in the window every time.
//! The invariants come from the emulator's journal and state and from the resource's status.

use std::collections::BTreeMap;
use std::time::Instant;

use graph_emulator::{FaultRule, FaultTarget, JournalEntry, SeedFlow, SeedFlowSet};
use kube::api::{DeleteParams, Patch, PatchParams};
use sds_operator::crd::{
    AdoptionPolicy, RESET_ANNOTATION, ResetOutcome, SecurityGroupProvisioningFlow,
    SecurityGroupProvisioningFlowStatus,
};
use sds_test_support::{DEFAULT_DEADLINE, eventually};
use serde_json::json;

use sds_test_harness::OperatorProcess;
use sds_test_harness::{OperatorUnderTest, Options, is_ready, options_json, stalled_with, writes};

/// Crashes injected between the create POST and the status write.
const CREATE_CRASHES: usize = 30;
/// Long enough that only the kill ends the wait.
pub(crate) const HOLD_MS: u64 = 60_000;

async fn start(test_name: &str) -> (OperatorUnderTest, OperatorProcess) {
    start_resyncing(test_name, Options::default().resync_period).await
}

/// A restarted operator puts off its first read of a settled resource to a random moment in the
/// resync period; a short period keeps a test that waits for that read short.
pub(crate) async fn start_resyncing(
    test_name: &str,
    resync_period: std::time::Duration,
) -> (OperatorUnderTest, OperatorProcess) {
    let options = Options {
        in_process: false,
        resync_period,
        ..Options::default()
    };
    let operator = OperatorUnderTest::start_with(test_name, options.clone()).await;
    let process = OperatorProcess::start(env!("CARGO_BIN_EXE_sds-operator"), &operator, &options);
    (operator, process)
}

pub(crate) fn status(flow: &SecurityGroupProvisioningFlow) -> SecurityGroupProvisioningFlowStatus {
    flow.status.clone().unwrap_or_default()
}

async fn seed_flow_set(operator: &OperatorUnderTest, name: &str) -> String {
    operator
        .emulator
        .admin()
        .seed_flow_set(&SeedFlowSet {
            display_name: Some(name.to_owned()),
            ..SeedFlowSet::default()
        })
        .await
        .expect("seed a flow set")
}

/// Handled create POSTs (not abandoned ones) to flow set `set_id`.
fn creates_in<'a>(calls: &'a [JournalEntry], set_id: &str) -> Vec<&'a JournalEntry> {
    let suffix = format!("{set_id}/provisioningFlows");
    calls
        .iter()
        .filter(|call| call.method == "POST" && call.path.ends_with(&suffix) && call.status != 499)
        .collect()
}

/// Reset POSTs; `handled` drops the ones the emulator abandoned unhandled.
pub(crate) fn resets(calls: &[JournalEntry], handled: bool) -> Vec<&JournalEntry> {
    calls
        .iter()
        .filter(|call| call.method == "POST" && call.path.ends_with("/reset"))
        .filter(|call| !handled || call.status != 499)
        .collect()
}

/// Waits until the operator has read Graph after journal position `since`.
pub(crate) async fn wait_for_graph_read(operator: &OperatorUnderTest, since: u64, who: &str) {
    eventually(
        &format!("a Graph read by {who}"),
        DEFAULT_DEADLINE,
        || async {
            let calls = operator.graph_calls(since).await;
            if calls.iter().any(|call| call.method == "GET") {
                Ok(())
            } else {
                Err(format!("{calls:#?}"))
            }
        },
    )
    .await;
}

pub(crate) fn with_token(
    mut flow: SecurityGroupProvisioningFlow,
    token: &str,
) -> SecurityGroupProvisioningFlow {
    flow.metadata
        .annotations
        .get_or_insert_with(BTreeMap::new)
        .insert(RESET_ANNOTATION.to_owned(), token.to_owned());
    flow
}

pub(crate) fn hold(path_contains: String, before_handling: bool) -> FaultRule {
    FaultRule {
        target: FaultTarget::Graph,
        method: Some("POST".to_owned()),
        path_contains: Some(path_contains),
        times: Some(1),
        latency_ms: before_handling.then_some(HOLD_MS),
        delay_after_ms: (!before_handling).then_some(HOLD_MS),
        ..FaultRule::default()
    }
}

#[tokio::test]
async fn crash_between_create_post_and_status_write_never_duplicates() {
    let started = Instant::now();
    let (operator, mut process) = start("crash-create").await;
    let admin = operator.emulator.admin();

    // A flow someone else made, under CreateOnly: refused before and after every restart.
    let foreign_set = seed_flow_set(&operator, "foreign").await;
    let foreign_flow = admin
        .seed_flow(&foreign_set, &SeedFlow::default())
        .await
        .expect("seed a foreign flow");
    let foreign = operator
        .resource("foreign")
        .flow_set(&foreign_set)
        .adoption(AdoptionPolicy::CreateOnly)
        .build();
    operator.apply(&foreign).await;
    operator
        .wait_for(
            "foreign",
            "Stalled with FlowAlreadyExists",
            stalled_with("FlowAlreadyExists", foreign_flow.as_str()),
        )
        .await;

    let mut sets = Vec::new();
    for crash in 0..CREATE_CRASHES {
        let name = format!("groups-{crash}");
        let set = seed_flow_set(&operator, &name).await;
        let mut manifest = operator.resource(&name).flow_set(&set).build();
        // Every other resource refuses foreign flows: its own must still be adopted.
        if crash % 2 == 1 {
            manifest.spec.flow.adoption = AdoptionPolicy::CreateOnly;
        }
        admin
            .add_fault(&hold(format!("{set}/provisioningFlows"), false))
            .await
            .expect("add fault");
        operator.apply(&manifest).await;
        let post = eventually(
            &format!("Graph to carry out the create POST of {name}"),
            DEFAULT_DEADLINE,
            || async {
                let calls = operator.graph_calls(0).await;
                creates_in(&calls, &set)
                    .first()
                    .map(|post| (*post).clone())
                    .ok_or_else(|| format!("{} calls, none a create in {set}", calls.len()))
            },
        )
        .await;
        process.kill();

        // Graph has the flow; the resource has only the intent recorded before the POST.
        let flows = operator.graph_flows_in(&set).await;
        assert_eq!(flows.len(), 1, "{name}: {flows:#?}");
        let crashed = status(&operator.api.get(&name).await.expect("get"));
        let intent = crashed.create_intent.as_ref().expect("a create intent");
        assert_eq!(crashed.flow_id, None, "{name}: the id was never recorded");
        assert_eq!(
            post.client_request_id.as_deref(),
            Some(intent.client_request_id.as_str()),
            "{name}: the intent names the POST"
        );

        admin.clear_faults().await.expect("clear faults");
        process.restart();
        let flow_id = flows[0].id.clone();
        operator
            .wait_for(&name, "Ready with the flow adopted", |flow| {
                let status = status(flow);
                is_ready(flow)
                    && status.flow_id.as_deref() == Some(flow_id.as_str())
                    && status.create_intent.is_none()
            })
            .await;
        sets.push(set);
    }

    let calls = operator.graph_calls(0).await;
    // The emulator refuses a second flow of a type in a set (409), so a repeated create shows
    // as a second POST even where it cannot leave a second flow.
    let mut duplicates = 0;
    let mut repeated_posts = 0;
    for set in &sets {
        duplicates += operator.graph_flows_in(set).await.len().saturating_sub(1);
        repeated_posts += creates_in(&calls, set).len().saturating_sub(1);
    }
    println!(
        "figure: {CREATE_CRASHES} crashes between create POST and status write -> {duplicates} \
         duplicate flows ({repeated_posts} repeated create POSTs, {} operator starts, {:.1} s)",
        process.starts(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!((duplicates, repeated_posts), (0, 0), "{calls:#?}");

    // Still refused after all those restarts, and never written to.
    let foreign_now = operator.api.get("foreign").await.expect("get");
    assert!(
        stalled_with("FlowAlreadyExists", foreign_flow.as_str())(&foreign_now),
        "{:?}",
        foreign_now.status
    );
    assert_eq!(status(&foreign_now).flow_id, None);
    let foreign_writes: Vec<_> = writes(&calls)
        .into_iter()
        .filter(|call| call.path.contains(&foreign_set))
        .collect();
    assert!(foreign_writes.is_empty(), "{foreign_writes:#?}");
}

#[tokio::test]
async fn a_cluster_rebuilt_from_the_same_manifests_adopts_and_writes_nothing() {
    let (operator, mut process) = start("crash-rebuild").await;
    let second_set = seed_flow_set(&operator, "second").await;
    let mut manifests = vec![
        operator.resource("plain").build(),
        operator
            .resource("second")
            .role_group(false)
            .org_plus_role_group(true)
            .flow_set(&second_set)
            .build(),
    ];
    for manifest in &manifests {
        operator.apply(manifest).await;
    }
    for manifest in &manifests {
        operator
            .wait_for(
                &manifest.metadata.name.clone().unwrap_or_default(),
                "Ready",
                is_ready,
            )
            .await;
    }
    // Git now carries a reset token too, which the old cluster handled.
    manifests[0] = with_token(manifests[0].clone(), "before-the-rebuild");
    operator.apply(&manifests[0]).await;
    operator
        .wait_for("plain", "reset Accepted", |flow| {
            status(flow).reset.is_some_and(|reset| {
                reset.last_handled_token.as_deref() == Some("before-the-rebuild")
                    && reset.outcome == Some(ResetOutcome::Accepted)
            })
        })
        .await;
    let graph_before = operator.emulator.admin().state().await.expect("state");

    // The old cluster is gone with its operator: nothing ran the finalizer.
    process.kill();
    for manifest in &manifests {
        let name = manifest.metadata.name.clone().unwrap_or_default();
        operator
            .api
            .delete(&name, &DeleteParams::default())
            .await
            .expect("delete");
        operator
            .api
            .patch(
                &name,
                &PatchParams::default(),
                &Patch::Merge(json!({ "metadata": { "finalizers": null } })),
            )
            .await
            .expect("strip the finalizer");
        operator.wait_deleted(&name).await;
    }

    let since = operator.journal_position().await;
    for manifest in &manifests {
        operator.apply(manifest).await;
    }
    process.restart();
    let flow_ids: Vec<String> = [
        operator.graph_flows().await,
        operator.graph_flows_in(&second_set).await,
    ]
    .iter()
    .map(|flows| {
        assert_eq!(flows.len(), 1, "{flows:#?}");
        flows[0].id.clone()
    })
    .collect();
    for (manifest, flow_id) in manifests.iter().zip(&flow_ids) {
        operator
            .wait_for(
                &manifest.metadata.name.clone().unwrap_or_default(),
                "Ready with the existing flow adopted",
                |flow| is_ready(flow) && status(flow).flow_id.as_deref() == Some(flow_id.as_str()),
            )
            .await;
    }
    let plain = operator.api.get("plain").await.expect("get");
    let reset = status(&plain).reset.expect("reset status");
    assert_eq!(
        (reset.last_handled_token.as_deref(), reset.outcome),
        (Some("before-the-rebuild"), Some(ResetOutcome::Skipped)),
        "a token found at first sight is recorded, not sent"
    );

    let calls = operator.graph_calls(since).await;
    assert!(
        writes(&calls).is_empty(),
        "no Graph writes after the rebuild: {calls:#?}"
    );
    let graph_after = operator.emulator.admin().state().await.expect("state");
    for set in [&operator.flow_set_id, &second_set] {
        let flows = |state: &graph_emulator::StateSnapshot| {
            state
                .flow_set(set)
                .map(|set| set.flows.clone())
                .unwrap_or_default()
        };
        assert_eq!(flows(&graph_after), flows(&graph_before), "flow set {set}");
    }
    let second = &graph_after.flow_set(&second_set).expect("second set").flows[0];
    assert_eq!(
        second.properties["creationOptions"],
        options_json(false, true)
    );
}
