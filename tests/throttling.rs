//! Graph throttling and outages, end to end: a 429 with Retry-After holds back every resource of
//! the credential, 5xx answers are retried with growing gaps, a token endpoint outage surfaces
//! and heals, and 200 resources under a throttling Graph stay within what Retry-After allows.
//!
//! The figures depend on timing, so this is a test binary of its own; the scale test also runs
//! alone within it (`alone`), the others side by side (`beside_others`).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt, stream};
use graph_emulator::{FaultRule, FaultTarget, JournalEntry, SeedFlowSet};
use jiff::{SignedDuration, Timestamp};
use kube::Api;
use kube::ResourceExt;
use kube::runtime::{WatchStreamExt, watcher};
use sds_operator::crd::SecurityGroupProvisioningFlow;
use sds_test_support::{DEFAULT_DEADLINE, eventually};
use serde_json::json;
use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use sds_test_harness::{
    OperatorUnderTest, Options, calls_to, condition, condition_is, is_ready, synced_to, writes,
};

static TURNS: RwLock<()> = RwLock::const_new(());

/// For the scale test: no other test of this binary runs meanwhile.
async fn alone() -> RwLockWriteGuard<'static, ()> {
    TURNS.write().await
}

async fn beside_others() -> RwLockReadGuard<'static, ()> {
    TURNS.read().await
}

/// When the emulator received `entry`.
fn arrival(entry: &JournalEntry) -> Timestamp {
    entry
        .time
        .parse()
        .unwrap_or_else(|e| panic!("journal time {:?}: {e}", entry.time))
}

/// Seconds from `from` to `to`.
fn seconds(from: Timestamp, to: Timestamp) -> f64 {
    to.duration_since(from).as_secs_f64()
}

#[tokio::test]
async fn a_429_holds_back_every_resource_of_the_credential_until_retry_after() {
    const RETRY_AFTER: u64 = 6;
    let _turn = beside_others().await;
    let operator = OperatorUnderTest::start("throttle-credential").await;
    let other_set = operator
        .emulator
        .admin()
        .seed_flow_set(&SeedFlowSet::default())
        .await
        .expect("seed a second flow set");
    let mut second = operator.resource("second").flow_set(&other_set).build();
    operator.apply(&operator.resource("first").build()).await;
    operator.apply(&second).await;
    operator.wait_for("first", "Ready", is_ready).await;
    operator.wait_for("second", "Ready", is_ready).await;

    let before = operator.journal_position().await;
    operator
        .emulator
        .admin()
        .add_fault(&FaultRule {
            target: FaultTarget::Graph,
            method: Some("PATCH".into()),
            status: Some(429),
            retry_after_seconds: Some(RETRY_AFTER),
            times: Some(1),
            ..FaultRule::default()
        })
        .await
        .expect("fault");
    let first = operator
        .apply(&operator.resource("first").org_plus_role_group(true).build())
        .await;
    let throttled = eventually(
        "Graph's 429 to the first PATCH",
        DEFAULT_DEADLINE,
        || async {
            let calls = operator.graph_calls(before).await;
            calls
                .iter()
                .find(|call| call.status == 429)
                .cloned()
                .ok_or_else(|| format!("{calls:#?}"))
        },
    )
    .await;
    let throttled_at = arrival(&throttled);

    // The second resource has its own flow and never saw a 429; its change must wait all the same.
    second
        .spec
        .creation_options
        .create_based_on_org_plus_role_group = true;
    let second_changed = operator.apply(&second).await;
    let changed_at = Timestamp::now();
    let held = operator
        .wait_for("second", "held back with reason Throttled", |flow| {
            condition_is(flow, "Synced", "False", "Throttled")
        })
        .await;
    assert!(
        changed_at < throttled_at + SignedDuration::from_secs(RETRY_AFTER as i64),
        "the second change must reach the operator inside the Retry-After window for this test \
         to mean anything (changed {changed_at}, 429 at {throttled_at})"
    );
    let (_, _, message) = condition(&held, "Synced").expect("Synced");
    assert!(message.contains("not sent"), "{message}");

    operator
        .wait_for(
            "first",
            "synced after the wait",
            synced_to(first.metadata.generation, true),
        )
        .await;
    operator
        .wait_for(
            "second",
            "synced after the wait",
            synced_to(second_changed.metadata.generation, true),
        )
        .await;

    let calls = operator.graph_calls(before).await;
    let after_429: Vec<&JournalEntry> = calls
        .iter()
        .filter(|call| call.sequence > throttled.sequence)
        .collect();
    let allowed_from = throttled_at + SignedDuration::from_secs(RETRY_AFTER as i64);
    let early: Vec<_> = after_429
        .iter()
        .filter(|call| arrival(call) < allowed_from)
        .collect();
    assert!(
        early.is_empty(),
        "no Graph request of the credential before {allowed_from} (429 at {throttled_at}): {early:#?}"
    );
    assert_eq!(calls_to(&calls, "PATCH", "").len(), 3, "{calls:#?}");
    assert_eq!(
        writes(&calls)
            .iter()
            .filter(|call| call.status < 300)
            .count(),
        2,
        "one accepted PATCH per resource: {calls:#?}"
    );
    let next = after_429.first().expect("calls after the 429");
    println!(
        "figure: 429 with Retry-After {RETRY_AFTER} s: first Graph request of the credential {:.2} s \
         later; {} requests in the window (0 allowed); the other resource was held back with reason \
         Throttled",
        seconds(throttled_at, arrival(next)),
        early.len(),
    );
}

/// `Retry-After: 18446744073709551615` once made the operator exit (an `Instant + Duration`
/// overflow). Now the wait is capped at an hour: the resource says it is throttled with that
/// wait, and the operator keeps reconciling (a second resource of the same credential gets its
/// status, held back by the same capped wait).
#[tokio::test]
async fn a_retry_after_of_u64_max_is_capped_at_an_hour_and_the_operator_keeps_running() {
    let _turn = beside_others().await;
    let operator = OperatorUnderTest::start("throttle-huge-retry-after").await;
    operator.apply(&operator.resource("first").build()).await;
    operator.wait_for("first", "Ready", is_ready).await;
    operator
        .emulator
        .admin()
        .add_fault(&FaultRule {
            target: FaultTarget::Graph,
            method: Some("PATCH".into()),
            status: Some(429),
            retry_after_seconds: Some(u64::MAX),
            times: Some(1),
            ..FaultRule::default()
        })
        .await
        .expect("fault");
    operator
        .apply(&operator.resource("first").org_plus_role_group(true).build())
        .await;
    let throttled = operator
        .wait_for("first", "Synced False with reason Throttled", |flow| {
            condition_is(flow, "Synced", "False", "Throttled")
        })
        .await;
    let (_, _, message) = condition(&throttled, "Synced").expect("Synced");
    assert!(message.contains("retry in 3600 s"), "{message}");

    let other_set = operator
        .emulator
        .admin()
        .seed_flow_set(&SeedFlowSet::default())
        .await
        .expect("seed a second flow set");
    let second = operator.resource("second").flow_set(&other_set).build();
    operator.apply(&second).await;
    operator
        .wait_for("second", "held back by the same capped wait", |flow| {
            condition_is(flow, "Synced", "False", "Throttled")
        })
        .await;
}

/// How a transient Graph outage shows itself, for [`outage_keeps_ready_and_heals`].
struct Outage {
    what: &'static str,
    /// Makes `FAILURES` consecutive Graph calls fail.
    rule: FaultRule,
    /// The status the journal records for a failed call.
    journaled: u16,
    /// Part of the Synced message while failing.
    message: &'static str,
    options: Options,
}

/// A Ready resource meets `FAILURES` failing Graph calls in a row: Synced turns False with reason
/// GraphUnavailable while Ready is kept, the retries come with growing gaps, and it heals by
/// itself without writing to Graph.
async fn outage_keeps_ready_and_heals(test_name: &str, outage: Outage) {
    const FAILURES: usize = 3;
    assert_eq!(outage.rule.times, Some(FAILURES as u32));
    let _turn = beside_others().await;
    let operator = OperatorUnderTest::start_with(test_name, outage.options).await;
    let flow = operator.resource("groups").build();
    operator.apply(&flow).await;
    operator.wait_for("groups", "Ready", is_ready).await;
    let before = operator.journal_position().await;
    operator
        .emulator
        .admin()
        .add_fault(&outage.rule)
        .await
        .expect("fault");

    // A spec-neutral change makes the operator read Graph now.
    let mut touched = flow.clone();
    touched.metadata.annotations = Some([("example.com/touch".to_owned(), "1".to_owned())].into());
    let changes = record_changes(&operator.api);
    operator.apply(&touched).await;
    let failing = operator
        .wait_for(
            "groups",
            "Synced False with reason GraphUnavailable",
            |flow| condition_is(flow, "Synced", "False", "GraphUnavailable"),
        )
        .await;
    assert!(
        is_ready(&failing),
        "a passing outage keeps Ready: {:#?}",
        failing.status
    );
    let (_, _, message) = condition(&failing, "Synced").expect("Synced");
    assert!(message.contains(outage.message), "{message}");

    let recovered = operator
        .wait_for("groups", "Synced again without intervention", |flow| {
            condition_is(flow, "Synced", "True", "InSync")
        })
        .await;
    assert!(is_ready(&recovered));
    // Status writes that report the failure (each failed retry may write its own message).
    let failure_writes = count_changes(&changes, |_, flow| {
        condition_is(flow, "Synced", "False", "GraphUnavailable")
    });
    assert!((1..=FAILURES).contains(&failure_writes), "{failure_writes}");

    let calls = operator.graph_calls(before).await;
    assert!(
        calls.len() > FAILURES
            && calls[..FAILURES]
                .iter()
                .all(|call| call.status == outage.journaled)
            && calls[FAILURES..]
                .iter()
                .all(|call| call.status != outage.journaled),
        "each retry starts with the read that failed, then one succeeds: {calls:#?}"
    );
    assert!(writes(&calls).is_empty(), "{calls:#?}");
    let attempts: Vec<Timestamp> = calls.iter().map(arrival).collect();
    let gaps: Vec<f64> = attempts
        .windows(2)
        .take(FAILURES)
        .map(|pair| seconds(pair[0], pair[1]))
        .collect();
    assert!(
        gaps[0] >= 1.5,
        "the first retry waits the minimum backoff: {gaps:?}"
    );
    assert!(
        gaps.windows(2).all(|pair| pair[1] > pair[0] * 1.4),
        "each retry waits clearly longer than the one before: {gaps:?}"
    );
    println!(
        "figure: {FAILURES} Graph {}: retry gaps {} s, Ready kept throughout, recovered {:.1} s \
         after the first failure with no Graph write; {failure_writes} status writes reporting \
         the failure",
        outage.what,
        gaps.iter()
            .map(|gap| format!("{gap:.2}"))
            .collect::<Vec<_>>()
            .join(", "),
        seconds(attempts[0], attempts[FAILURES]),
    );
}

#[tokio::test]
async fn graph_5xx_keeps_ready_backs_off_with_growing_gaps_and_recovers() {
    outage_keeps_ready_and_heals(
        "graph-5xx",
        Outage {
            what: "503s",
            rule: FaultRule {
                target: FaultTarget::Graph,
                status: Some(503),
                times: Some(3),
                ..FaultRule::default()
            },
            journaled: 503,
            message: "HTTP 503",
            options: Options::default(),
        },
    )
    .await;
}

#[tokio::test]
async fn graph_timeouts_keep_ready_back_off_with_growing_gaps_and_recover() {
    outage_keeps_ready_and_heals(
        "graph-timeouts",
        Outage {
            what: "timeouts (1 s limit, 3 s latency)",
            rule: FaultRule {
                target: FaultTarget::Graph,
                latency_ms: Some(3000),
                times: Some(3),
                ..FaultRule::default()
            },
            // The emulator journals a call its client gave up on as 499.
            journaled: 499,
            message: "did not answer in time",
            options: Options {
                graph_timeout: Duration::from_secs(1),
                ..Options::default()
            },
        },
    )
    .await;
}

#[tokio::test]
async fn a_token_endpoint_outage_surfaces_as_a_condition_and_heals() {
    const FAILURES: u32 = 2;
    let _turn = beside_others().await;
    let operator = OperatorUnderTest::start("token-outage").await;
    operator
        .emulator
        .admin()
        .add_fault(&FaultRule {
            target: FaultTarget::Token,
            status: Some(503),
            times: Some(FAILURES),
            ..FaultRule::default()
        })
        .await
        .expect("fault");
    operator.apply(&operator.resource("groups").build()).await;
    let failing = operator
        .wait_for("groups", "Synced False naming the token endpoint", |flow| {
            condition(flow, "Synced").is_some_and(|(status, reason, message)| {
                status == "False"
                    && reason == "GraphUnavailable"
                    && message.contains("access token")
            })
        })
        .await;
    let (_, _, message) = condition(&failing, "Synced").expect("Synced");
    assert!(message.contains("identity platform"), "{message}");
    assert!(
        condition_is(&failing, "Stalled", "False", "GraphUnavailable"),
        "an outage needs no person: {:#?}",
        failing.status
    );

    operator
        .wait_for("groups", "Ready once tokens are issued again", is_ready)
        .await;
    let journal = operator.emulator.admin().journal(0).await.expect("journal");
    let tokens: Vec<&JournalEntry> = journal
        .iter()
        .filter(|entry| entry.target == FaultTarget::Token)
        .collect();
    assert_eq!(
        tokens.len(),
        FAILURES as usize + 1,
        "the failed attempts, then one token that is kept: {tokens:#?}"
    );
    let first_graph = journal
        .iter()
        .find(|entry| entry.target == FaultTarget::Graph)
        .expect("Graph calls");
    assert!(
        first_graph.sequence > tokens[FAILURES as usize].sequence,
        "no Graph call without a token"
    );
    let flows = operator.graph_flows().await;
    assert_eq!(flows.len(), 1, "{flows:#?}");
    println!(
        "figure: token endpoint down for {FAILURES} attempts: condition GraphUnavailable naming the \
         token, healed {:.1} s after the first failure without intervention",
        seconds(arrival(tokens[0]), arrival(tokens[FAILURES as usize])),
    );
}

/// Every change to a resource of the namespace, as seen by a watch, with when it was seen.
type Changes = Arc<Mutex<Vec<(Timestamp, SecurityGroupProvisioningFlow)>>>;

/// Records the changes to the namespace's resources until the test ends.
fn record_changes(api: &Api<SecurityGroupProvisioningFlow>) -> Changes {
    let seen = Changes::default();
    let events = watcher(api.clone(), watcher::Config::default()).default_backoff();
    let record = seen.clone();
    tokio::spawn(events.try_for_each(move |event| {
        if let watcher::Event::Apply(flow) = event {
            record
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push((Timestamp::now(), flow));
        }
        futures::future::ready(Ok(()))
    }));
    seen
}

/// How many recorded changes satisfy `filter`.
fn count_changes(
    changes: &Changes,
    filter: impl Fn(Timestamp, &SecurityGroupProvisioningFlow) -> bool,
) -> usize {
    changes
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .iter()
        .filter(|(at, flow)| filter(*at, flow))
        .count()
}

/// Groups arrival times into bursts separated by quiet gaps longer than `quiet`.
fn bursts(times: &[Timestamp], quiet: SignedDuration) -> Vec<(Timestamp, usize)> {
    let mut bursts: Vec<(Timestamp, usize, Timestamp)> = Vec::new();
    for &time in times {
        match bursts.last_mut() {
            Some((_, size, last)) if time.duration_since(*last) <= quiet => {
                *size += 1;
                *last = time;
            }
            _ => bursts.push((time, 1, time)),
        }
    }
    bursts
        .into_iter()
        .map(|(start, size, _)| (start, size))
        .collect()
}

#[tokio::test]
async fn two_hundred_resources_under_throttling_stay_within_retry_after() {
    const RESOURCES: usize = 200;
    const CONCURRENCY: u16 = 16; // the operator's default
    const RETRY_AFTER: i64 = 5;
    const WINDOW: SignedDuration = SignedDuration::from_secs(10);
    const DEADLINE: Duration = Duration::from_secs(120);
    let _turn = alone().await;
    let operator = OperatorUnderTest::start_with(
        "throttle-scale",
        Options {
            concurrency: CONCURRENCY,
            ..Options::default()
        },
    )
    .await;
    let admin = operator.emulator.admin();
    let mut flow_sets = vec![operator.flow_set_id.clone()];
    for _ in 1..RESOURCES {
        flow_sets.push(
            admin
                .seed_flow_set(&SeedFlowSet::default())
                .await
                .expect("seed a flow set"),
        );
    }
    let resources = |org_plus_role_group: bool| {
        flow_sets
            .iter()
            .enumerate()
            .map(|(index, flow_set_id)| {
                operator
                    .resource(&format!("flow-{index:03}"))
                    .org_plus_role_group(org_plus_role_group)
                    .flow_set(flow_set_id)
                    .build()
            })
            .collect::<Vec<_>>()
    };
    let apply_all = |flows: Vec<SecurityGroupProvisioningFlow>| {
        let operator = &operator;
        async move {
            stream::iter(flows)
                .map(|flow| async move { operator.apply(&flow).await })
                .buffer_unordered(8)
                .collect::<Vec<_>>()
                .await
        }
    };

    let started = Instant::now();
    apply_all(resources(false)).await;
    operator
        .wait_for_all(RESOURCES, DEADLINE, "Ready", is_ready)
        .await;
    let to_ready = started.elapsed();
    let setup_calls = operator.graph_calls(0).await;
    println!(
        "figure: {RESOURCES} resources created to Ready in {:.1} s with concurrency {CONCURRENCY}: \
         {} Graph calls ({:.2} per resource, {} writes)",
        to_ready.as_secs_f64(),
        setup_calls.len(),
        setup_calls.len() as f64 / RESOURCES as f64,
        writes(&setup_calls).len(),
    );

    let before = operator.journal_position().await;
    admin
        .add_fault(&FaultRule {
            target: FaultTarget::Graph,
            status: Some(429),
            retry_after_seconds: Some(RETRY_AFTER as u64),
            times: Some(u32::MAX),
            ..FaultRule::default()
        })
        .await
        .expect("fault");
    let changes = record_changes(&operator.api);
    let changed = apply_all(resources(true)).await;
    let applied_at = Timestamp::now();
    let first_429 = eventually("Graph's first 429", DEFAULT_DEADLINE, || async {
        let calls = operator.graph_calls(before).await;
        calls
            .iter()
            .find(|call| call.status == 429)
            .map(arrival)
            .ok_or_else(|| format!("{} calls, none throttled", calls.len()))
    })
    .await;
    // A measurement window, not a synchronisation: Graph throttles for WINDOW, then stops.
    let window_end = first_429 + WINDOW;
    let remaining = window_end.duration_since(Timestamp::now());
    if remaining.is_positive() {
        tokio::time::sleep(remaining.unsigned_abs()).await;
    }
    admin.clear_faults().await.expect("remove the fault");
    let cleared_at = Timestamp::now();
    let operator_updates = count_changes(&changes, |at, _| (applied_at..=cleared_at).contains(&at));
    let converging = Instant::now();

    let generations: BTreeMap<String, Option<i64>> = changed
        .iter()
        .map(|flow| (flow.name_any(), flow.metadata.generation))
        .collect();
    operator
        .wait_for_all(RESOURCES, DEADLINE, "synced to the changed spec", |flow| {
            synced_to(generations[&flow.name_any()], true)(flow)
        })
        .await;
    let to_converge = converging.elapsed();

    let calls = operator.graph_calls(before).await;
    let throttled: Vec<Timestamp> = calls
        .iter()
        .filter(|call| call.status == 429)
        .map(arrival)
        .collect();
    let window = cleared_at.duration_since(first_429);
    let in_window = calls
        .iter()
        .filter(|call| (first_429..=cleared_at).contains(&arrival(call)))
        .count();
    let periods = window.as_secs() / RETRY_AFTER + 1;
    let budget = usize::from(CONCURRENCY) * periods as usize;
    let bursts = bursts(&throttled, SignedDuration::from_secs(2));
    let shape = bursts
        .iter()
        .map(|(start, size)| format!("{size} at +{:.1} s", seconds(first_429, *start)))
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "figure: Graph answering 429 (Retry-After {RETRY_AFTER} s) to every call for {:.1} s while \
         {RESOURCES} resources changed: {in_window} requests arrived in the window, budget \
         {budget} (concurrency {CONCURRENCY} x {periods} Retry-After periods); bursts: {shape}",
        window.as_secs_f64(),
    );
    assert!(
        bursts
            .iter()
            .all(|(_, size)| *size <= usize::from(CONCURRENCY)),
        "at most one request per worker in each burst: {shape}"
    );
    assert!(
        bursts.windows(2).all(|pair| {
            pair[1].0.duration_since(pair[0].0) >= SignedDuration::from_secs(RETRY_AFTER)
        }),
        "a new burst only once Retry-After has passed: {shape}"
    );
    assert!(
        in_window <= budget,
        "{in_window} requests in {:.1} s of throttling exceed {budget}",
        window.as_secs_f64()
    );

    let patches: Vec<&JournalEntry> = calls_to(&calls, "PATCH", "");
    let patched: HashSet<&str> = patches.iter().map(|call| call.path.as_str()).collect();
    assert!(
        patches.iter().all(|call| call.status < 300),
        "no PATCH was sent while throttled"
    );
    assert_eq!(patches.len(), RESOURCES, "one PATCH per resource");
    assert_eq!(patched.len(), RESOURCES, "one PATCH per resource");
    assert_eq!(
        writes(&calls).len(),
        RESOURCES,
        "no write but the PATCHes: {:#?}",
        writes(&calls)
            .iter()
            .filter(|call| call.method != "PATCH")
            .collect::<Vec<_>>()
    );
    let after_window = calls
        .iter()
        .filter(|call| arrival(call) > cleared_at)
        .count();
    println!(
        "figure: API-server writes to the resources while held back ({:.1} s from the last spec \
         change to the end of throttling): {operator_updates}",
        cleared_at.duration_since(applied_at).as_secs_f64(),
    );
    println!(
        "figure: after the throttling, all {RESOURCES} resources synced in {:.1} s with {} Graph \
         calls ({} PATCHes, exactly one per resource); total Graph calls from the spec change: {}",
        to_converge.as_secs_f64(),
        after_window,
        patches.len(),
        calls.len(),
    );
    let state = admin.state().await.expect("state");
    let options = json!({"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": true});
    for flow_set_id in &flow_sets {
        let flows = state
            .flow_set(flow_set_id)
            .map(|set| set.flows.clone())
            .unwrap_or_default();
        assert_eq!(flows.len(), 1, "one flow in {flow_set_id}");
        assert_eq!(flows[0].creation_options(), Some(&options));
    }
}
