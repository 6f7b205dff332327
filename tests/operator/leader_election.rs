//! Leader election with two replicas of the binary on the real control plane. Each replica runs
//! as a ServiceAccount of its own and signs in to Graph as an application of its own, so the API
//! server's audit log and the emulator's journal say which replica wrote or called what.

use std::time::{Duration, Instant};

use graph_emulator::{FaultTarget, JournalEntry};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{Patch, PatchParams};
use sds_operator::crd::ResetOutcome;
use sds_operator::leader::LEASE_NAME;
use sds_test_harness::{CLIENT_ID, OperatorProcess, OperatorUnderTest, Options, is_ready};
use sds_test_support::{DEFAULT_DEADLINE, eventually};
use serde_json::json;

use crate::crash::{hold, resets, status, with_token};

const BINARY: &str = env!("CARGO_BIN_EXE_sds-operator");
/// The second replica's Graph application.
const SECOND_CLIENT: &str = "0f3c9e1a-7b2d-4c5e-9a8b-1d2e3f4a5b6c";
/// The operator's default lease duration, which the replicas run with.
const LEASE_DURATION: Duration = Duration::from_secs(15);
/// The default retry period: how late past the lease duration a takeover may come.
const RETRY_PERIOD: Duration = Duration::from_secs(2);

fn options() -> Options {
    Options {
        in_process: false,
        ..Options::default()
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("an HTTP client")
}

/// Replica `replica-a` leading, then `replica-b` started and Ready as its standby.
async fn two_replicas(test_name: &str) -> (OperatorUnderTest, OperatorProcess, OperatorProcess) {
    let operator = OperatorUnderTest::start_with(test_name, options()).await;
    let a = operator
        .start_replica(BINARY, &options(), "replica-a", CLIENT_ID)
        .await;
    wait_for_holder(&operator, "replica-a").await;
    let b = operator
        .start_replica(BINARY, &options(), "replica-b", SECOND_CLIENT)
        .await;
    wait_ready(&b, "the standby replica-b").await;
    (operator, a, b)
}

async fn wait_for_holder(operator: &OperatorUnderTest, replica: &str) {
    eventually(
        &format!("{replica} to hold the Lease"),
        DEFAULT_DEADLINE,
        || async {
            match operator.lease_holder().await {
                Some(holder) if holder == replica => Ok(()),
                other => Err(format!("held by {other:?}")),
            }
        },
    )
    .await;
}

async fn wait_ready(process: &OperatorProcess, who: &str) {
    let http = http();
    eventually(&format!("{who} to be Ready"), DEFAULT_DEADLINE, || async {
        let response = http
            .get(process.admin_url("/readyz"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        match response.status().as_u16() {
            200 => Ok(()),
            other => Err(format!("/readyz answered {other}")),
        }
    })
    .await;
}

/// Journal entries made by application `client_id`: its token requests and its Graph calls.
fn made_by<'a>(journal: &'a [JournalEntry], client_id: &str) -> Vec<&'a JournalEntry> {
    journal
        .iter()
        .filter(|entry| match entry.target {
            FaultTarget::Token => entry.body["client_id"] == client_id,
            _ => entry.caller.as_deref() == Some(client_id),
        })
        .collect()
}

async fn journal(operator: &OperatorUnderTest) -> Vec<JournalEntry> {
    operator.emulator.admin().journal(0).await.expect("journal")
}

#[tokio::test]
async fn only_the_leader_works_and_the_standby_is_ready_with_no_call_and_no_write() {
    let started = Instant::now();
    let (operator, a, b) = two_replicas("ha-standby").await;
    let groups = operator.resource("groups").build();
    operator.apply(&groups).await;
    let other_set = operator
        .emulator
        .admin()
        .seed_flow_set(&graph_emulator::SeedFlowSet::default())
        .await
        .expect("seed a flow set");
    let reset_me = operator.resource("reset-me").flow_set(&other_set).build();
    operator.apply(&reset_me).await;
    operator.wait_for("groups", "Ready", is_ready).await;
    operator.wait_for("reset-me", "Ready", is_ready).await;
    operator
        .apply(&with_token(reset_me, "2026-12-02T18:00:00Z"))
        .await;
    operator
        .wait_for("reset-me", "Ready with its reset Accepted", |flow| {
            is_ready(flow)
                && status(flow)
                    .reset
                    .is_some_and(|reset| reset.outcome == Some(ResetOutcome::Accepted))
        })
        .await;
    // A spec change too: the leader's PATCH.
    let changed = operator
        .resource("groups")
        .org_plus_role_group(true)
        .build();
    operator.apply(&changed).await;
    operator
        .wait_for("groups", "Ready with the change applied", |flow| {
            is_ready(flow) && status(flow).observed_generation == flow.metadata.generation
        })
        .await;
    // Over at least two of the leader's renewals.
    eventually(
        "replica-a to renew its Lease twice",
        DEFAULT_DEADLINE,
        || async {
            let renewals = operator
                .writes_by_replica("replica-a")
                .into_iter()
                .filter(|write| write.resource == "leases" && write.verb == "update")
                .count();
            (renewals >= 2)
                .then_some(())
                .ok_or_else(|| format!("{renewals} renewals"))
        },
    )
    .await;
    wait_ready(&b, "the standby replica-b").await;

    let http = http();
    assert!(a.is_leading(&http).await, "replica-a says it leads");
    assert!(!b.is_leading(&http).await, "replica-b says it stands by");
    let journal = journal(&operator).await;
    let by_a = made_by(&journal, CLIENT_ID);
    let by_b = made_by(&journal, SECOND_CLIENT);
    let writes_a = operator.writes_by_replica("replica-a");
    let writes_b = operator.writes_by_replica("replica-b");
    println!(
        "figure: standby over {:.1} s: {} Graph or token calls, {} API writes; leader: {} Graph or \
         token calls, {} API writes ({} on its Lease)",
        started.elapsed().as_secs_f64(),
        by_b.len(),
        writes_b.len(),
        by_a.len(),
        writes_a.len(),
        writes_a
            .iter()
            .filter(|write| write.resource == "leases")
            .count(),
    );
    assert!(by_b.is_empty(), "the standby called: {by_b:#?}");
    assert!(writes_b.is_empty(), "the standby wrote: {writes_b:#?}");
    // The judges can see writes and calls at all: the leader's are there.
    assert!(
        by_a.iter()
            .any(|call| call.method == "POST" && call.path.ends_with("/reset")),
        "{by_a:#?}"
    );
    for resource in ["leases", "securitygroupprovisioningflows/status", "events"] {
        assert!(
            writes_a.iter().any(|write| write.resource == resource),
            "no write of {resource} by the leader: {writes_a:#?}"
        );
    }
}

#[tokio::test]
async fn a_killed_leader_is_replaced_within_the_lease_duration_with_no_duplicate_and_no_second_reset()
 {
    let (operator, mut a, mut b) = two_replicas("ha-failover").await;
    let admin = operator.emulator.admin();
    let set = operator.flow_set_id.clone();

    // The leader dies after Graph created the flow, before it could record it.
    admin
        .add_fault(&hold(format!("{set}/provisioningFlows"), false))
        .await
        .expect("add fault");
    operator.apply(&operator.resource("groups").build()).await;
    eventually(
        "Graph to carry out the create POST",
        DEFAULT_DEADLINE,
        || async {
            let calls = operator.graph_calls(0).await;
            match creates(&calls) {
                0 => Err(format!("{calls:#?}")),
                _ => Ok(()),
            }
        },
    )
    .await;
    let killed = Instant::now();
    a.kill();
    admin.clear_faults().await.expect("clear faults");
    wait_for_holder(&operator, "replica-b").await;
    let first_takeover = killed.elapsed();
    let flows = operator.graph_flows().await;
    assert_eq!(flows.len(), 1, "{flows:#?}");
    let adopted = operator
        .wait_for("groups", "Ready with the flow adopted", |flow| {
            is_ready(flow) && status(flow).flow_id.as_deref() == Some(flows[0].id.as_str())
        })
        .await;
    let first_ready = killed.elapsed();
    assert!(status(&adopted).create_intent.is_none());

    // The killed replica comes back as the standby; the new leader dies after Graph carried out
    // a reset, before it could record it.
    a.restart();
    wait_ready(&a, "replica-a, restarted").await;
    assert!(!a.is_leading(&http()).await, "replica-a stands by");
    admin
        .add_fault(&hold("/reset".to_owned(), false))
        .await
        .expect("add fault");
    let since = operator.journal_position().await;
    let token = "2026-12-02T18:30:00Z";
    operator
        .apply(&with_token(operator.resource("groups").build(), token))
        .await;
    eventually("Graph to carry out the reset", DEFAULT_DEADLINE, || async {
        let calls = operator.graph_calls(since).await;
        match resets(&calls, true).len() {
            0 => Err(format!("{calls:#?}")),
            _ => Ok(()),
        }
    })
    .await;
    let killed = Instant::now();
    b.kill();
    admin.clear_faults().await.expect("clear faults");
    wait_for_holder(&operator, "replica-a").await;
    let second_takeover = killed.elapsed();
    operator
        .wait_for("groups", "the reset outcome recorded", |flow| {
            status(flow).reset.is_some_and(|reset| {
                reset.last_handled_token.as_deref() == Some(token) && reset.pending_token.is_none()
            })
        })
        .await;

    let calls = operator.graph_calls(0).await;
    println!(
        "figure: kill -9 of the leader -> standby holds the Lease after {:.1} s and {:.1} s \
         (lease duration {} s); the crashed create adopted, Ready {:.1} s after the kill; {} create \
         POST, {} flow, {} reset POST for the token",
        first_takeover.as_secs_f64(),
        second_takeover.as_secs_f64(),
        LEASE_DURATION.as_secs(),
        first_ready.as_secs_f64(),
        creates(&calls),
        operator.graph_flows().await.len(),
        resets(&operator.graph_calls(since).await, true).len(),
    );
    assert_eq!(creates(&calls), 1, "{calls:#?}");
    assert_eq!(operator.graph_flows().await.len(), 1);
    assert_eq!(resets(&operator.graph_calls(since).await, true).len(), 1);
    for takeover in [first_takeover, second_takeover] {
        assert!(
            takeover <= LEASE_DURATION + RETRY_PERIOD,
            "took over after {takeover:?}"
        );
    }
}

#[tokio::test]
async fn sigterm_finishes_the_work_and_hands_the_lease_over_at_once() {
    let (operator, mut a, b) = two_replicas("ha-sigterm").await;
    operator.apply(&operator.resource("groups").build()).await;
    operator.wait_for("groups", "Ready", is_ready).await;
    let asked = Instant::now();
    assert!(
        a.terminate(Duration::from_secs(30)).await,
        "replica-a stopped by itself on SIGTERM:\n{}",
        a.log_tail()
    );
    wait_for_holder(&operator, "replica-b").await;
    let handover = asked.elapsed();
    eventually("replica-b to lead", DEFAULT_DEADLINE, || async {
        b.is_leading(&http())
            .await
            .then_some(())
            .ok_or_else(|| "it stands by".to_owned())
    })
    .await;
    println!(
        "figure: SIGTERM of the leader -> standby holds the Lease after {:.2} s",
        handover.as_secs_f64()
    );
    assert!(
        handover < LEASE_DURATION / 2,
        "released, not left to expire: {handover:?}"
    );
    // The new leader works.
    let since = operator.journal_position().await;
    operator
        .apply(
            &operator
                .resource("groups")
                .org_plus_role_group(true)
                .build(),
        )
        .await;
    operator
        .wait_for("groups", "Ready with the change applied", |flow| {
            is_ready(flow) && status(flow).observed_generation == flow.metadata.generation
        })
        .await;
    let calls = operator.graph_calls(since).await;
    assert!(
        calls
            .iter()
            .all(|call| call.caller.as_deref() == Some(SECOND_CLIENT)),
        "{calls:#?}"
    );
}

#[tokio::test]
async fn a_leader_that_loses_its_lease_stops_at_once_and_calls_nothing_until_it_leads_again() {
    let operator = OperatorUnderTest::start_with("ha-lost", options()).await;
    let a = operator
        .start_replica(BINARY, &options(), "replica-a", CLIENT_ID)
        .await;
    wait_for_holder(&operator, "replica-a").await;
    operator.apply(&operator.resource("groups").build()).await;
    operator.wait_for("groups", "Ready", is_ready).await;

    // Someone else takes the Lease (an instance the API server believes, on a partitioned node).
    let leases = operator.test.api::<Lease>();
    let taken = Instant::now();
    leases
        .patch(
            LEASE_NAME,
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {
                "holderIdentity": "elsewhere",
                "renewTime": MicroTime(jiff::Timestamp::now()),
            }})),
        )
        .await
        .expect("take the Lease");
    let http = http();
    eventually("replica-a to stop leading", DEFAULT_DEADLINE, || async {
        (!a.is_leading(&http).await)
            .then_some(())
            .ok_or_else(|| "it still leads".to_owned())
    })
    .await;
    let stopped = taken.elapsed();
    let stopped_at = jiff::Timestamp::now();

    // Work that arrives meanwhile waits for a leader.
    operator
        .apply(
            &operator
                .resource("groups")
                .org_plus_role_group(true)
                .build(),
        )
        .await;
    wait_for_holder(&operator, "replica-a").await;
    let regained = taken.elapsed();
    operator
        .wait_for("groups", "Ready with the change applied", |flow| {
            is_ready(flow) && status(flow).observed_generation == flow.metadata.generation
        })
        .await;
    let acquired: jiff::Timestamp = leases
        .get(LEASE_NAME)
        .await
        .expect("the Lease")
        .spec
        .and_then(|spec| spec.acquire_time)
        .expect("an acquire time")
        .0;
    let journal = journal(&operator).await;
    let between: Vec<_> = made_by(&journal, CLIENT_ID)
        .into_iter()
        .filter(|entry| {
            let time: jiff::Timestamp = entry.time.parse().expect("journal time");
            stopped_at < time && time < acquired
        })
        .collect();
    println!(
        "figure: a leader whose Lease was taken stopped after {:.1} s, led again after {:.1} s \
         (the taker never renewed), {} calls in between",
        stopped.as_secs_f64(),
        regained.as_secs_f64(),
        between.len()
    );
    assert!(between.is_empty(), "{between:#?}");
    assert!(
        stopped < RETRY_PERIOD,
        "stopped as soon as its watch showed the Lease taken, not at its next renewal: {stopped:?}"
    );
}

fn creates(calls: &[JournalEntry]) -> usize {
    calls
        .iter()
        .filter(|call| {
            call.method == "POST" && call.path.ends_with("/provisioningFlows") && call.status != 499
        })
        .count()
}
