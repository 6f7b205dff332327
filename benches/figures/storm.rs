//! A storm of 429s while resources are being created: Graph answers every few calls with 429 and
//! a Retry-After. Counts the calls the operator sent while a Retry-After it had been given was
//! still running (the operator holds every call of that credential until it is over), and how
//! long the resources take to become Ready once the storm is over.

use std::ops::Range;
use std::time::{Duration, Instant};

use graph_emulator::{FaultRule, FaultTarget, JournalEntry};
use jiff::Timestamp;
use sds_test_harness::OperatorUnderTest;

use crate::kinds::Mix;
use crate::measure::JournalCursor;

/// Graph answers every `EVERY`th call with 429 and this Retry-After during the storm.
const RETRY_AFTER: Duration = Duration::from_secs(2);
const EVERY: u32 = 3;
const STORM: Duration = Duration::from_secs(20);
/// A call that arrives this soon after a 429 was answered was already on its way then.
const IN_FLIGHT: Duration = Duration::from_millis(100);

pub async fn storm(
    operator: &OperatorUnderTest,
    mix: &Mix,
    flow_sets: &[String],
    range: Range<usize>,
) {
    let admin = operator.emulator.admin();
    let mut journal = JournalCursor::new(admin.clone());
    journal.skip().await;
    admin
        .add_fault(&FaultRule {
            target: FaultTarget::Graph,
            status: Some(429),
            retry_after_seconds: Some(RETRY_AFTER.as_secs()),
            every: Some(EVERY),
            ..FaultRule::default()
        })
        .await
        .expect("add the 429 rule");
    let count = range.len();
    let total = range.end;
    crate::apply_all(operator, mix, flow_sets, range).await;
    tokio::time::sleep(STORM).await;
    admin.clear_faults().await.expect("end the storm");
    let calm = Instant::now();
    mix.wait_ready(operator, total, Duration::from_secs(300))
        .await;
    let drained = calm.elapsed();
    let calls = journal.read().await;
    let graph: Vec<(Timestamp, u16)> = calls
        .graph()
        .map(|entry: &JournalEntry| (arrival(entry), entry.status))
        .collect();
    let (inside, in_flight) = inside_retry_after(&graph);
    let throttled = graph.iter().filter(|(_, status)| *status == 429).count();
    println!(
        "figure: 429 storm ({} s of 429 with Retry-After {} s on every {EVERY}rd Graph call, {count} \
         CRs applied into it): {inside} calls sent inside a Retry-After window (target 0; {in_flight} \
         more arrived within {} ms of a 429, already on their way); {} Graph calls, {throttled} \
         answered 429; all Ready {:.1} s after the storm ended",
        STORM.as_secs(),
        RETRY_AFTER.as_secs(),
        IN_FLIGHT.as_millis(),
        graph.len(),
        drained.as_secs_f64(),
    );
}

fn arrival(entry: &JournalEntry) -> Timestamp {
    entry
        .time
        .parse()
        .unwrap_or_else(|e| panic!("journal time {:?}: {e}", entry.time))
}

/// Of `calls` (arrival, status) in order: how many arrived while the Retry-After of an earlier
/// 429 was running, and how many of those arrived within `IN_FLIGHT` of that 429.
fn inside_retry_after(calls: &[(Timestamp, u16)]) -> (usize, usize) {
    let (mut inside, mut in_flight) = (0, 0);
    let mut last_throttle: Option<Timestamp> = None;
    for &(at, status) in calls {
        if let Some(throttled) = last_throttle {
            let after = at.duration_since(throttled);
            if after < jiff::SignedDuration::try_from(RETRY_AFTER).expect("a duration") {
                if after < jiff::SignedDuration::try_from(IN_FLIGHT).expect("a duration") {
                    in_flight += 1;
                } else {
                    inside += 1;
                }
            }
        }
        if status == 429 {
            last_throttle = Some(at);
        }
    }
    (inside, in_flight)
}
