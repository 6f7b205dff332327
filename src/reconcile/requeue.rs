//! Timing: when a resource is reconciled next, after success or failure, and when its first Graph
//! read after a restart happens. Every wait is jittered so that many resources spread out.

use std::time::{Duration, Instant};

use jiff::Timestamp;
use kube::runtime::controller::Action;
use kube::runtime::reflector::ObjectRef;

use super::Context;
use super::apply::Applied;
use super::error::Retry;
use super::plan;
use crate::crd::FlowKind;

/// Shortest and longest wait between retries of a transient failure.
const BACKOFF_MIN: Duration = Duration::from_secs(2);
const BACKOFF_MAX: Duration = Duration::from_secs(300);

/// Soon while something is expected to change in Graph, else after the resync period; no later
/// than a waiting reset is due.
pub fn after_sync<K: FlowKind>(
    context: &Context<K>,
    flow: &K,
    applied: &Applied<K::Config>,
    now: Timestamp,
) -> Action {
    let settling = applied.wrote
        || applied.flow.as_ref().is_none_or(|graph_flow| {
            graph_flow.readiness_status == graph::ReadinessStatus::NotReady
        });
    let wait = if settling {
        context.config.poll_interval
    } else {
        jittered(context.config.resync_period)
    };
    let reset_due = applied
        .reset_due
        .and_then(|due| Duration::try_from(due.duration_since(now)).ok());
    context.requeue_after(flow, reset_due.map_or(wait, |due| wait.min(due)))
}

/// The wait before retrying the `failures`-th failure in a row of this retry class.
pub fn after_failure(retry: Retry, failures: u32, resync_period: Duration) -> Duration {
    match retry {
        Retry::After(wait) => wait + jittered(Duration::from_secs(1)),
        Retry::Backoff => backoff(failures),
        Retry::Slowly | Retry::Waiting => jittered(resync_period),
    }
}

/// A resource this process has not read yet but whose status is settled waits for a random
/// moment in the resync period: a restart then spreads its Graph reads instead of reading every
/// resource at once. Ready stays valid meanwhile (the freshness window is longer).
pub fn defer_first_read<K: FlowKind>(flow: &K, context: &Context<K>) -> Option<Duration> {
    // A pause set while no instance led is reported at once.
    let settled = !flow.is_paused()
        && flow
            .flow_status()
            .is_some_and(|status| plan::settled(flow, status));
    let defer = context.remember(flow, |memory| {
        let defer = settled && memory.last_read.is_none() && !memory.first_read_deferred;
        memory.first_read_deferred |= defer;
        defer
    });
    defer.then(|| spread(context.config.resync_period))
}

/// The resources a new term reconciles at once: every cached one but the settled ones, whose
/// spread first reconcile waits in their memory from the start. Through kube's scheduler, every
/// resource would take an entry at once, and its tables never give that memory back.
pub fn first_reconciles<K: FlowKind>(context: &Context<K>) -> Vec<ObjectRef<K>> {
    context
        .resources
        .state()
        .iter()
        .filter(|flow| match defer_first_read(flow.as_ref(), context) {
            Some(wait) => {
                context.wait_in_memory(flow.as_ref(), wait);
                false
            }
            None => true,
        })
        .map(|flow| ObjectRef::from_obj(flow.as_ref()))
        .collect()
}

/// Whether Graph has not been read for this resource for longer than the freshness window.
pub fn is_stale<K: FlowKind>(flow: &K, context: &Context<K>) -> bool {
    let last_read = context.recall(flow).last_read.unwrap_or(context.started);
    last_read.elapsed() > context.config.freshness_window
}

/// Notes a successful Graph read of `flow`, the freshness clock.
pub fn record_read<K: FlowKind>(flow: &K, context: &Context<K>) {
    context.remember(flow, |memory| memory.last_read = Some(Instant::now()));
}

/// Exponential from `BACKOFF_MIN`, capped at `BACKOFF_MAX`, jittered.
fn backoff(failures: u32) -> Duration {
    let exponent = failures.saturating_sub(1).min(16);
    jittered(BACKOFF_MIN.saturating_mul(1 << exponent).min(BACKOFF_MAX))
}

/// A random moment within `period`.
fn spread(period: Duration) -> Duration {
    period.mul_f64(random_fraction())
}

/// A random number in [0, 1).
fn random_fraction() -> f64 {
    (uuid::Uuid::new_v4().as_u128() % 10_000) as f64 / 10_000.0
}

/// `duration` scaled by a random factor in [0.9, 1.1), so that many resources spread out.
pub(super) fn jittered(duration: Duration) -> Duration {
    duration.mul_f64(0.9 + 0.2 * random_fraction())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_two_seconds_up_to_five_minutes() {
        let within = |actual: Duration, nominal: u64| {
            let nominal = Duration::from_secs(nominal);
            actual >= nominal.mul_f64(0.9) && actual < nominal.mul_f64(1.1)
        };
        assert!(within(backoff(1), 2));
        assert!(within(backoff(2), 4));
        assert!(within(backoff(5), 32));
        assert!(within(backoff(30), 300));
    }

    #[test]
    fn a_server_asked_wait_is_kept_and_a_persons_fix_is_awaited_for_a_resync_period() {
        let asked = after_failure(Retry::After(Duration::from_secs(30)), 1, Duration::ZERO);
        assert!(asked >= Duration::from_secs(30) && asked < Duration::from_secs(32));
        let slowly = after_failure(Retry::Slowly, 9, Duration::from_secs(600));
        assert!(slowly >= Duration::from_secs(540) && slowly < Duration::from_secs(660));
    }
}
