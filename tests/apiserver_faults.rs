//! The operator against Kubernetes API faults: kube-apiserver and etcd killed and restarted under
//! it, and other writers changing its resources while it writes their status.
//!
//! A restart disturbs every test of the binary that shares the control plane, so these tests live
//! in a binary of their own and take turns (`one_at_a_time`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use graph_emulator::SeedFlowSet;
use kube::ResourceExt;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;
use tokio::sync::{Mutex, MutexGuard};

use sds_test_harness::{
    OperatorUnderTest, Options, calls_to, condition, is_ready, synced_to, writes,
};

/// Tests of this binary run one after the other: a restart must not hit another test's steps.
async fn one_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::const_new(());
    TURN.lock().await
}

/// Reads Graph every couple of seconds, so that reconciles run while the control plane is down.
fn resyncing() -> Options {
    Options {
        resync_period: Duration::from_secs(2),
        ..Options::default()
    }
}

#[derive(Clone, Copy, Debug)]
enum Component {
    ApiServer,
    Etcd,
}

/// One resource Ready; `component` killed and restarted; then a spec change and a new resource
/// must each cost exactly one Graph write, and nothing before them may have written anything.
async fn survives_a_restart_of(component: Component, test_name: &str) {
    let _turn = one_at_a_time().await;
    let operator = OperatorUnderTest::start_with(test_name, resyncing()).await;
    let second_set = operator
        .emulator
        .admin()
        .seed_flow_set(&SeedFlowSet::default())
        .await
        .expect("seed a second flow set");
    operator.apply(&operator.resource("first").build()).await;
    let ready = operator.wait_for("first", "Ready", is_ready).await;
    let flow_id = ready.status.as_ref().and_then(|s| s.flow_id.clone());
    let before = operator.journal_position().await;

    let control_plane = operator.test.control_plane;
    let restart_started = Instant::now();
    match component {
        Component::ApiServer => control_plane.restart_apiserver().await,
        Component::Etcd => control_plane.restart_etcd().await,
    }
    .unwrap_or_else(|e| panic!("restarting {component:?}: {e}"));
    let outage = restart_started.elapsed();
    let during = operator.graph_calls(before).await;
    assert!(
        writes(&during).is_empty(),
        "no Graph write while {component:?} restarted: {during:#?}"
    );

    let after_restart = operator.journal_position().await;
    let recovery_started = Instant::now();
    let changed = operator
        .apply(&operator.resource("first").org_plus_role_group(true).build())
        .await;
    let updated = operator
        .wait_for(
            "first",
            "synced to the spec changed after the restart",
            synced_to(changed.metadata.generation, true),
        )
        .await;
    let spec_change_applied = recovery_started.elapsed();
    assert_eq!(
        updated.status.as_ref().and_then(|s| s.flow_id.clone()),
        flow_id,
        "the recorded flow survived the restart"
    );

    let second = operator
        .resource("second")
        .role_group(false)
        .org_plus_role_group(true)
        .flow_set(&second_set)
        .build();
    let created = operator.apply(&second).await;
    operator
        .wait_for(
            "second",
            "Ready after the restart",
            synced_to(created.metadata.generation, true),
        )
        .await;

    let calls = operator.graph_calls(after_restart).await;
    let writes = writes(&calls);
    let flow_path = format!("provisioningFlows/{}", flow_id.clone().unwrap_or_default());
    assert_eq!(
        calls_to(&calls, "PATCH", &flow_path).len(),
        1,
        "one PATCH for the spec change: {writes:#?}"
    );
    assert_eq!(
        calls_to(&calls, "POST", &second_set).len(),
        1,
        "one POST for the new resource: {writes:#?}"
    );
    assert_eq!(writes.len(), 2, "no other Graph write: {writes:#?}");
    assert_eq!(operator.graph_flows().await.len(), 1);
    assert_eq!(operator.graph_flows_in(&second_set).await.len(), 1);
    println!(
        "figure: {component:?} restart: down and back to ready in {:.1} s; Graph calls meanwhile {} \
         (0 writes); spec change applied {:.1} s after the restart; Graph writes after it {} \
         (1 PATCH, 1 POST)",
        outage.as_secs_f64(),
        during.len(),
        spec_change_applied.as_secs_f64(),
        writes.len(),
    );
}

#[tokio::test]
async fn survives_an_apiserver_restart_without_losing_or_repeating_work() {
    survives_a_restart_of(Component::ApiServer, "apiserver-restart").await;
}

#[tokio::test]
async fn survives_an_etcd_restart_without_losing_or_repeating_work() {
    survives_a_restart_of(Component::Etcd, "etcd-restart").await;
}

/// Other managers keep writing the resource (labels by `kubectl label`, an annotation by
/// server-side apply, labels by read-modify-replace with a resourceVersion) while the operator
/// reconciles a spec change. Status goes through server-side apply, so the operator has no
/// resourceVersion to conflict on: its status converges and it never reports an API error, while
/// the optimistic writer does run into conflicts.
#[tokio::test]
async fn status_converges_while_other_managers_write_the_resource() {
    let _turn = one_at_a_time().await;
    let operator = Arc::new(OperatorUnderTest::start("status-writers").await);
    operator
        .apply_ready(&operator.resource("groups").build())
        .await;
    let before = operator.journal_position().await;
    let requests_before = resource_requests(&operator).await;

    let stop = Arc::new(AtomicBool::new(false));
    let replaced = Arc::new(AtomicUsize::new(0));
    let conflicts = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::new();
    writers.push(tokio::spawn({
        let (operator, stop) = (operator.clone(), stop.clone());
        async move {
            let mut count = 0_usize;
            while !stop.load(Ordering::Relaxed) {
                count += 1;
                let output = operator
                    .kubectl(&[
                        "label",
                        "--overwrite",
                        "securitygroupprovisioningflows/groups",
                        &format!("example.com/tick={count}"),
                    ])
                    .await;
                assert!(
                    output.status.success(),
                    "kubectl label: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            count
        }
    }));
    writers.push(tokio::spawn({
        let (operator, stop) = (operator.clone(), stop.clone());
        async move {
            let mut count = 0_usize;
            while !stop.load(Ordering::Relaxed) {
                count += 1;
                let body = json!({
                    "apiVersion": "industrydata.sds-operator.io/v1alpha1",
                    "kind": "SecurityGroupProvisioningFlow",
                    "metadata": {"annotations": {"example.com/revision": count.to_string()}},
                });
                operator
                    .api
                    .patch(
                        "groups",
                        &PatchParams::apply("annotator"),
                        &Patch::Apply(&body),
                    )
                    .await
                    .expect("server-side apply of an annotation");
            }
            count
        }
    }));
    writers.push(tokio::spawn({
        let (operator, stop) = (operator.clone(), stop.clone());
        let (replaced, conflicts) = (replaced.clone(), conflicts.clone());
        async move {
            let mut count = 0_usize;
            while !stop.load(Ordering::Relaxed) {
                count += 1;
                let mut current = operator.api.get("groups").await.expect("get");
                current
                    .labels_mut()
                    .insert("example.com/replaced".into(), count.to_string());
                match operator
                    .api
                    .replace("groups", &PostParams::default(), &current)
                    .await
                {
                    Ok(_) => replaced.fetch_add(1, Ordering::Relaxed),
                    Err(kube::Error::Api(status)) if status.code == 409 => {
                        conflicts.fetch_add(1, Ordering::Relaxed)
                    }
                    Err(error) => panic!("replace: {error}"),
                };
            }
            count
        }
    }));

    // Several spec changes, each waited for, so that the operator writes status again and again
    // while the others write.
    const SPEC_CHANGES: usize = 4;
    let mut converged = None;
    for change in 1..=SPEC_CHANGES {
        let org_plus_role_group = change % 2 == 1;
        let changed = operator
            .apply(
                &operator
                    .resource("groups")
                    .org_plus_role_group(org_plus_role_group)
                    .build(),
            )
            .await;
        converged = Some(
            operator
                .wait_for(
                    "groups",
                    "synced to the spec change despite the other writers",
                    synced_to(changed.metadata.generation, org_plus_role_group),
                )
                .await,
        );
    }
    stop.store(true, Ordering::Relaxed);
    let mut foreign_writes = 0;
    for writer in writers {
        foreign_writes += writer.await.expect("a writer failed");
    }

    let requests = resource_requests(&operator).await.since(&requests_before);
    assert!(
        requests.status_writes >= SPEC_CHANGES,
        "the operator wrote status during the test: {requests:?}"
    );
    assert_eq!(
        requests.status_conflicts, 0,
        "server-side apply of status never conflicts: {requests:?}"
    );
    let converged = converged.expect("at least one spec change");
    let latest = operator.api.get("groups").await.expect("get");
    assert!(
        latest.labels().contains_key("example.com/tick")
            && latest.annotations().contains_key("example.com/revision"),
        "the other writers did write while the operator worked: {:?}",
        latest.metadata
    );
    let events = operator.events("groups").await;
    let reasons = sds_test_harness::event_reasons(&events);
    assert!(
        !reasons.iter().any(|reason| reason == "KubernetesApiError"),
        "the operator never failed a status write: {reasons:?}"
    );
    let synced = condition(&converged, "Synced").expect("a Synced condition");
    assert_eq!(synced.1, "InSync");
    let calls = operator.graph_calls(before).await;
    assert_eq!(
        writes(&calls).len(),
        SPEC_CHANGES,
        "one PATCH per spec change, however many reconciles the annotations caused: {calls:#?}"
    );
    println!(
        "figure: {SPEC_CHANGES} spec changes under {foreign_writes} concurrent foreign write attempts: \
         status converged each time; API server counted {} status writes with 0 conflicts, \
         and {} conflicts on the resource itself; the read-modify-replace writer got {} \
         resourceVersion conflicts and {} successes; Graph calls meanwhile {} ({} writes)",
        requests.status_writes,
        requests.resource_conflicts,
        conflicts.load(Ordering::Relaxed),
        replaced.load(Ordering::Relaxed),
        calls.len(),
        writes(&calls).len(),
    );
}

/// What kube-apiserver counted (its `apiserver_request_total` metric) for write requests on
/// SecurityGroupProvisioningFlows: the only resources of that kind are those of the test running.
#[derive(Debug, Default)]
struct ResourceRequests {
    status_writes: usize,
    status_conflicts: usize,
    resource_conflicts: usize,
}

impl ResourceRequests {
    fn since(&self, earlier: &Self) -> Self {
        Self {
            status_writes: self.status_writes - earlier.status_writes,
            status_conflicts: self.status_conflicts - earlier.status_conflicts,
            resource_conflicts: self.resource_conflicts - earlier.resource_conflicts,
        }
    }
}

async fn resource_requests(operator: &OperatorUnderTest) -> ResourceRequests {
    let all = operator
        .test
        .control_plane
        .request_counts()
        .await
        .expect("kube-apiserver's request counts");
    let mut counts = ResourceRequests::default();
    let writes_to_resources = all
        .iter()
        .filter(|count| count.resource == "securitygroupprovisioningflows" && count.is_write());
    for count in writes_to_resources {
        let value = count.count as usize;
        let conflict = count.code == "409";
        match count.subresource.as_str() {
            "status" => {
                counts.status_writes += value;
                counts.status_conflicts += if conflict { value } else { 0 };
            }
            _ if conflict => counts.resource_conflicts += value,
            _ => {}
        }
    }
    counts
}
