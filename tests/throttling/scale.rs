//! Two hundred resources under a throttling Graph stay within what Retry-After allows.

use crate::fixture::*;

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
