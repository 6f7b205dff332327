//! One resource at a time: how long a single apply takes to become Ready, against the least its
//! own Graph calls allow at the emulator's latency (their latencies summed, since one reconcile
//! makes them one after another).

use std::time::{Duration, Instant};

use sds_test_harness::OperatorUnderTest;

use crate::kinds::Mix;
use crate::measure::JournalCursor;

/// One resource applied and awaited `count` times in turn, resources `first..first + count` on
/// flow sets of their own: prints apply → Ready beside the sum of its calls' latencies.
pub async fn apply_one_by_one(
    operator: &OperatorUnderTest,
    mix: &Mix,
    flow_sets: &[String],
    first: usize,
    count: usize,
    latency: Duration,
) {
    let mut journal = JournalCursor::new(operator.emulator.admin().clone());
    journal.skip().await;
    let mut to_ready = Vec::with_capacity(count);
    let mut floors = Vec::with_capacity(count);
    for (index, flow_set_id) in flow_sets.iter().enumerate().skip(first).take(count) {
        let name = format!("flow-{}", &flow_set_id[..13]);
        let kind = mix.kind_at(index);
        let started = Instant::now();
        kind.apply(operator, &name, flow_set_id).await;
        kind.wait_one_ready(operator, &name).await;
        to_ready.push(started.elapsed());
        // Its own calls are those on its flow set (the settled resources' resync reads go on
        // meanwhile, on sets of their own).
        let own = journal
            .read()
            .await
            .0
            .iter()
            .filter(|entry| entry.path.contains(flow_set_id.as_str()))
            .count();
        floors.push(latency * own as u32);
    }
    let calls = floors.iter().sum::<Duration>().as_secs_f64() / latency.as_secs_f64();
    println!(
        "figure: one CR applied → Ready, {count} in turn ({mix}, {} ms latency): p50 {:.2} s, p99 \
         {:.2} s; its own calls' latencies add up to p50 {:.2} s, p99 {:.2} s ({:.1} calls a CR); \
         the rest is the operator's and the API server's time (target: near that sum)",
        latency.as_millis(),
        percentile(&mut to_ready, 50).as_secs_f64(),
        percentile(&mut to_ready, 99).as_secs_f64(),
        percentile(&mut floors, 50).as_secs_f64(),
        percentile(&mut floors, 99).as_secs_f64(),
        calls / count as f64,
    );
}

/// The `p`th percentile of `values` (nearest rank).
pub fn percentile(values: &mut [Duration], p: usize) -> Duration {
    values.sort_unstable();
    let rank = (values.len() * p).div_ceil(100).max(1);
    values[rank - 1]
}
