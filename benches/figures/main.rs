//! `make bench`: the figures of DESIGN §8 for the real `sds-operator` binary (a release build),
//! run against a real etcd + kube-apiserver and the Graph emulator. It prints one `figure:` line
//! per target with the measured value beside the target; it asserts nothing, so a slow machine
//! makes slow figures, never a red build. `make test` does not run it.
//!
//! One operator, one namespace, one emulator; resources of every flow kind in turn, or of the
//! kinds `SDS_BENCH_KINDS` names (see `kinds`), in phases that build on each other:
//! 1. `SDS_BENCH_BURST_CRS` resources applied at once with 20 ms of latency on every emulator
//!    call → time to all Ready against the least time Graph calls at that latency allow;
//! 2. more resources up to `SDS_BENCH_CRS`, then one resync period (`SDS_BENCH_RESYNC_SECONDS`)
//!    of steady state → Graph calls per resource and period, writes per no-op reconcile;
//! 3. a restart (SIGKILL, start again) → Graph calls and writes until the first resync is due;
//! 4. the operator's resident memory, before and after the restart, and per resource;
//! 5. a standby replica started beside the leader → its Graph calls, API writes and memory
//!    through phases 6 and 7;
//! 6. 100 resources applied one at a time, 20 ms latency → apply to Ready, p50 and p99, beside
//!    the sum of each one's call latencies;
//! 7. a storm of 429s while 200 more are applied → calls sent inside a Retry-After window, time
//!    to all Ready once it is over.

mod kinds;
mod measure;
mod scale;
mod single;
mod standby;
mod storm;

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::time::{Duration, Instant};

use futures::{StreamExt, stream};
use graph_emulator::{FaultRule, FaultTarget, SeedFlowSet};
use jiff::Timestamp;
use sds_test_harness::{OperatorProcess, OperatorUnderTest, Options};
use sds_test_support::eventually;

use kinds::Mix;
use measure::{ApiRequests, ApiWrites, Calls, CpuTimes, JournalCursor, Memory};
use scale::Scale;
use standby::Standby;

/// Emulator latency of the burst phase (DESIGN §8).
const BURST_LATENCY: Duration = Duration::from_millis(20);
/// Resources the benchmark applies at once; kube-apiserver, not the client, is the limit.
const APPLY_CONCURRENCY: usize = 32;
const MEMORY_TARGET_MIB: u64 = 48;
/// Resources applied one at a time after the restart, for apply → Ready of a single one.
const SINGLE_CRS: usize = 100;
/// Resources applied into the 429 storm.
const STORM_CRS: usize = 200;

fn main() {
    let scale = Scale::from_environment();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(run(scale));
}

async fn run(scale: Scale) {
    let started = Instant::now();
    let mix = Mix::from_environment();
    println!("bench: {scale}, {mix}");
    let options = Options {
        in_process: false,
        concurrency: scale.concurrency,
        resync_period: scale.resync_period,
        poll_interval: scale.poll_interval,
        ..Options::default()
    };
    let operator = OperatorUnderTest::start_with("bench", options.clone()).await;
    let flow_sets = seed_flow_sets(&operator, scale.resources + SINGLE_CRS + STORM_CRS).await;
    let mut process = OperatorProcess::start_under(
        &heap_profiler(),
        env!("CARGO_BIN_EXE_sds-operator"),
        &operator,
        &options,
        &overrides()
            .iter()
            .map(|(key, value)| (*key, value.as_str()))
            .collect::<Vec<_>>(),
    );
    let http = reqwest::Client::new();
    eventually("the operator leading", Duration::from_secs(60), || async {
        process
            .is_leading(&http)
            .await
            .then_some(())
            .ok_or_else(|| "not leading yet".to_owned())
    })
    .await;
    let idle = Memory::of(measure::operator_pid().expect("the operator's process"));
    let mut journal = JournalCursor::new(operator.emulator.admin().clone());
    journal.skip().await;

    // 1. The burst.
    add_latency(&operator).await;
    let writes_before = ApiWrites::now(operator.test.control_plane).await;
    let (reconciles_before, busy_before) = (
        process.reconciles(&http).await,
        process.reconcile_seconds(&http).await,
    );
    let cpu_before = CpuTimes::now();
    let requests_before = ApiRequests::now(operator.test.control_plane).await;
    let burst = Instant::now();
    let applying = apply_all(&operator, &mix, &flow_sets, 0..scale.burst).await;
    mix.wait_ready(&operator, scale.burst, scale.ready_deadline(scale.burst))
        .await;
    let to_ready = burst.elapsed();
    let cpu = CpuTimes::now().since(cpu_before);
    let calls = journal.read().await;
    let writes = ApiWrites::now(operator.test.control_plane)
        .await
        .since(&writes_before);
    let reconciles = process.reconciles(&http).await - reconciles_before;
    let busy = process.reconcile_seconds(&http).await - busy_before;
    // Each worker waits for its calls one after another, so `concurrency` calls are in flight at
    // most: the fastest the operator could possibly be is calls × latency / concurrency.
    let limit = BURST_LATENCY.mul_f64(calls.0.len() as f64 / f64::from(scale.concurrency));
    println!(
        "figure: {} CRs applied at once → all Ready (emulator, {} ms latency): {:.1} s for {} \
         emulator calls ({} Graph, {} token); limit {} × {} ms / concurrency {} = {:.1} s; \
         ratio {:.2} (target: bounded by that limit); applying the CRs took {:.1} s; meanwhile \
         {} API-server writes ({} by the benchmark's applies)",
        scale.burst,
        BURST_LATENCY.as_millis(),
        to_ready.as_secs_f64(),
        calls.0.len(),
        calls.graph_count(),
        calls.token_requests(),
        calls.0.len(),
        BURST_LATENCY.as_millis(),
        scale.concurrency,
        limit.as_secs_f64(),
        to_ready.as_secs_f64() / limit.as_secs_f64(),
        applying.as_secs_f64(),
        writes.total(),
        scale.burst,
    );
    let created = scale.burst as u64;
    println!(
        "figure: API-server writes per created CR: {:.2} besides its apply (target ≤ 4): {} \
         writes for {created} CRs; each verb, target and answer per CR: {}",
        writes.total().saturating_sub(created) as f64 / created as f64,
        writes.total(),
        writes.breakdown(created),
    );
    // Where the workers' time went: reconciling (Graph calls, API-server requests, the
    // operator's own work) or waiting for work.
    let capacity = to_ready.as_secs_f64() * f64::from(scale.concurrency);
    let graph = BURST_LATENCY.as_secs_f64() * calls.0.len() as f64;
    println!(
        "figure: the burst's worker time: {} workers × {:.1} s = {capacity:.0} s, of which {:.0} s \
         ({:.0}%) in {reconciles} reconciles: {graph:.0} s waiting on the emulator's latency, \
         {:.0} s on API-server requests, throttling and the operator's own work; {:.0} s ({:.0}%) \
         idle, waiting for work (resources not applied yet, requeues)",
        scale.concurrency,
        to_ready.as_secs_f64(),
        busy,
        100.0 * busy / capacity,
        (busy - graph).max(0.0),
        (capacity - busy).max(0.0),
        100.0 * (capacity - busy).max(0.0) / capacity,
    );
    println!(
        "figure: the burst's API-server requests (every client): {}",
        ApiRequests::now(operator.test.control_plane)
            .await
            .since(&requests_before),
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "figure: the burst's CPU time: {cores} cores × {:.1} s = {:.0} s; kube-apiserver {:.1} s, \
         etcd {:.1} s, the operator {:.1} s, the benchmark (its applies and reads, and the emulator) {:.1} s",
        to_ready.as_secs_f64(),
        cores as f64 * to_ready.as_secs_f64(),
        cpu.apiserver,
        cpu.etcd,
        cpu.operator,
        cpu.bench,
    );
    operator
        .emulator
        .admin()
        .clear_faults()
        .await
        .expect("remove the latency rule");

    // 2. The rest, then steady state.
    let growing = Instant::now();
    let applying = apply_all(&operator, &mix, &flow_sets, scale.burst..scale.resources).await;
    mix.wait_ready(
        &operator,
        scale.resources,
        scale.ready_deadline(scale.resources),
    )
    .await;
    println!(
        "bench: {} CRs Ready {:.1} s after the next {} were applied (applying took {:.1} s)",
        scale.resources,
        growing.elapsed().as_secs_f64(),
        scale.resources - scale.burst,
        applying.as_secs_f64(),
    );
    let before_restart = steady_state(&operator, &mix, &mut journal, &http, &process, &scale).await;
    let pid = measure::operator_pid().expect("the operator's process");
    let memory = Memory::of(pid);

    // 3. The restart.
    let versions = mix.resource_versions(&operator).await;
    let writes_before = ApiWrites::now(operator.test.control_plane).await;
    journal.skip().await;
    process.restart();
    let restarted = Timestamp::now();
    // Until the earliest resync of the reconciles the restart caused (the period less its jitter).
    let window = scale.resync_period.mul_f64(0.85);
    tokio::time::sleep(window).await;
    let calls = journal.read().await;
    let writes = ApiWrites::now(operator.test.control_plane)
        .await
        .since(&writes_before);
    let moved = moved(&versions, &mix.resource_versions(&operator).await);
    let arrivals = calls.graph_arrivals();
    let offset = |at: &Timestamp| at.duration_since(restarted).as_secs_f64();
    let tenth = scale.resync_period.as_secs_f64() / 10.0;
    println!(
        "figure: Graph calls from a restart with {} synced CRs: {} Graph calls ({} CRs read, \
         {} writes), {} API-server writes ({} CRs changed) in the {:.0} s after it (target ≤ {}, \
         0 writes); they arrived from +{:.1} s to +{:.1} s, {} in the first tenth of the {} s \
         resync window (target: spread over the window); {} token request(s)",
        scale.resources,
        calls.graph_count(),
        calls.flow_sets(),
        calls.graph_writes(),
        writes.total(),
        moved,
        window.as_secs_f64(),
        scale.resources,
        arrivals.first().map_or(0.0, offset),
        arrivals.last().map_or(0.0, offset),
        arrivals.iter().filter(|at| offset(at) < tenth).count(),
        scale.resync_period.as_secs(),
        calls.token_requests(),
    );

    // 4. Memory.
    let after_restart = Memory::of(measure::operator_pid().expect("the restarted operator"));
    println!(
        "figure: operator memory with {} CRs: {after_restart} at steady state after a restart \
         (target ≤ {MEMORY_TARGET_MIB} MiB RSS); before the restart, after creating them and {} \
         reconciles: {memory}",
        scale.resources, before_restart,
    );
    let per_resource = |total: Memory| {
        total.rss_kib.saturating_sub(idle.rss_kib) as f64 * 1024.0 / scale.resources as f64
    };
    println!(
        "figure: operator memory per CR ({mix}): {:.0} bytes after a restart, {:.0} bytes after \
         creating them (VmRSS less the idle operator's, divided by {} CRs; idle: {idle})",
        per_resource(after_restart),
        per_resource(memory),
        scale.resources,
    );

    // 5. A standby replica beside the leader, through phases 6 and 7.
    let leader = measure::operator_pid().expect("the leader's process");
    let standby = Standby::start(&operator, &options, leader).await;

    // 6. One resource at a time.
    add_latency(&operator).await;
    single::apply_one_by_one(
        &operator,
        &mix,
        &flow_sets,
        scale.resources,
        SINGLE_CRS,
        BURST_LATENCY,
    )
    .await;
    operator
        .emulator
        .admin()
        .clear_faults()
        .await
        .expect("remove the latency rule");

    // 7. A storm of 429s.
    let first = scale.resources + SINGLE_CRS;
    storm::storm(&operator, &mix, &flow_sets, first..first + STORM_CRS).await;
    standby.report(&operator, scale.resources).await;
    drop(process);
    println!("bench: done in {:.0} s", started.elapsed().as_secs_f64());
}

/// Delays every emulator call by `BURST_LATENCY`, as Graph's own latency.
async fn add_latency(operator: &OperatorUnderTest) {
    operator
        .emulator
        .admin()
        .add_fault(&FaultRule {
            target: FaultTarget::Any,
            latency_ms: Some(BURST_LATENCY.as_millis() as u64),
            ..FaultRule::default()
        })
        .await
        .expect("add the latency rule");
}

/// With `SDS_BENCH_HEAPTRACK=<dir>`, the operator runs under heaptrack's preload library, which
/// records every allocation with its stack into `<dir>/sds-operator.<pid>.raw`, one file per
/// start (`heaptrack_interpret` then `heaptrack_print` read it; see README, Performance). It sees
/// glibc's malloc only: run `cargo bench --no-default-features`, without jemalloc.
/// The operator's environment besides the harness's: logging as a deployment does (the tests'
/// debug lines cost CPU on every Graph call), and jemalloc's options from `SDS_BENCH_MALLOC_CONF`
/// (`narenas:1,dirty_decay_ms:0`, say), to compare them side by side.
fn overrides() -> Vec<(&'static str, String)> {
    let mut overrides = vec![("RUST_LOG", "info".to_owned())];
    if let Ok(options) = std::env::var("SDS_BENCH_MALLOC_CONF") {
        println!("bench: jemalloc options {options}");
        overrides.push(("_RJEM_MALLOC_CONF", options));
    }
    overrides
}

fn heap_profiler() -> Vec<String> {
    let Some(dir) = std::env::var_os("SDS_BENCH_HEAPTRACK") else {
        return Vec::new();
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    println!(
        "bench: heaptrack records the operator into {}",
        dir.display()
    );
    vec![
        "/usr/bin/env".to_owned(),
        "LD_PRELOAD=/usr/lib/heaptrack/libheaptrack_preload.so".to_owned(),
        // heaptrack puts the process id in place of `$$`.
        format!(
            "DUMP_HEAPTRACK_OUTPUT={}",
            dir.join("sds-operator.$$.raw").display()
        ),
    ]
}

/// Seeds one empty flow set per resource (the harness seeded the first) and checks that the
/// emulator lists them all through Graph paging.
async fn seed_flow_sets(operator: &OperatorUnderTest, count: usize) -> Vec<String> {
    let seeding = Instant::now();
    let admin = operator.emulator.admin();
    let mut flow_sets = vec![operator.flow_set_id.clone()];
    let more: Vec<String> = stream::iter(1..count)
        .map(|_| {
            let admin = admin.clone();
            async move {
                admin
                    .seed_flow_set(&SeedFlowSet::default())
                    .await
                    .expect("seed a flow set")
            }
        })
        .buffered(16)
        .collect()
        .await;
    flow_sets.extend(more);
    let seeded = seeding.elapsed();
    let (pages, listed, took) = measure::list_flow_sets(&operator.emulator).await;
    assert_eq!(
        listed,
        flow_sets.iter().cloned().collect::<HashSet<_>>(),
        "Graph paging must list every flow set once"
    );
    println!(
        "bench: emulator: {} flow sets seeded in {:.1} s; Graph lists them in {pages} pages in \
         {:.2} s ({:.1} ms a page)",
        flow_sets.len(),
        seeded.as_secs_f64(),
        took.as_secs_f64(),
        took.as_secs_f64() * 1000.0 / pages as f64,
    );
    flow_sets
}

/// Applies resources `range`, each of the mix's kind for its index on a flow set of its own,
/// `APPLY_CONCURRENCY` at a time; returns how long it took.
async fn apply_all(
    operator: &OperatorUnderTest,
    mix: &Mix,
    flow_sets: &[String],
    range: Range<usize>,
) -> Duration {
    let started = Instant::now();
    stream::iter(range)
        .map(|index| async move {
            let flow_set_id = &flow_sets[index];
            let name = format!("flow-{}", &flow_set_id[..13]);
            mix.kind_at(index).apply(operator, &name, flow_set_id).await;
        })
        .buffer_unordered(APPLY_CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
    started.elapsed()
}

/// Waits until the operator writes nothing any more, then measures one resync period and prints
/// the steady-state figures; returns how many reconciles the operator had finished by then.
async fn steady_state(
    operator: &OperatorUnderTest,
    mix: &Mix,
    journal: &mut JournalCursor,
    http: &reqwest::Client,
    process: &OperatorProcess,
    scale: &Scale,
) -> u64 {
    // Settled: the polls that follow the last writes are done and two quiet samples in a row saw
    // no write to Graph or to the API server.
    tokio::time::sleep(scale.poll_interval * 2).await;
    let mut quiet = 0;
    let mut writes = ApiWrites::now(operator.test.control_plane).await;
    journal.skip().await;
    while quiet < 2 {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let now = ApiWrites::now(operator.test.control_plane).await;
        let calls = journal.read().await;
        quiet = if now == writes && calls.graph_writes() == 0 {
            quiet + 1
        } else {
            0
        };
        writes = now;
    }

    let versions = mix.resource_versions(operator).await;
    let reconciles_before = process.reconciles(http).await;
    let started = Instant::now();
    tokio::time::sleep(scale.resync_period).await;
    let elapsed = started.elapsed();
    let calls: Calls = journal.read().await;
    let reconciles_after = process.reconciles(http).await;
    let api_writes = ApiWrites::now(operator.test.control_plane)
        .await
        .since(&writes);
    let moved = moved(&versions, &mix.resource_versions(operator).await);
    let reconciles = reconciles_after - reconciles_before;
    let per_reconcile = |count: u64| {
        if count == 0 {
            "0".to_owned()
        } else {
            format!("{:.4}", count as f64 / reconciles.max(1) as f64)
        }
    };
    println!(
        "figure: Graph writes / API-server writes per no-op reconcile: {} / {} (target 0 / 0): \
         {reconciles} reconciles of {} settled CRs in {:.0} s made {} Graph writes and {} \
         API-server writes ({} to the CRs, {} events); {moved} CRs changed resourceVersion",
        per_reconcile(calls.graph_writes() as u64),
        per_reconcile(api_writes.total()),
        scale.resources,
        elapsed.as_secs_f64(),
        calls.graph_writes(),
        api_writes.total(),
        api_writes.resources(),
        api_writes.events(),
    );
    let periods = elapsed.as_secs_f64() / scale.resync_period.as_secs_f64();
    println!(
        "figure: Graph calls per CR per resync period at steady state: {:.2} (target ≤ 1): {} \
         Graph calls ({} writes) for {} CRs in {:.2} resync periods of {} s; {} CRs read at least \
         once; {} token request(s)",
        calls.graph_count() as f64 / scale.resources as f64 / periods,
        calls.graph_count(),
        calls.graph_writes(),
        scale.resources,
        periods,
        scale.resync_period.as_secs(),
        calls.flow_sets(),
        calls.token_requests(),
    );
    reconciles_after
}

/// Resources whose resourceVersion differs (or that appeared or went).
fn moved(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> usize {
    let names: HashSet<&String> = before.keys().chain(after.keys()).collect();
    names
        .into_iter()
        .filter(|name| before.get(*name) != after.get(*name))
        .count()
}
