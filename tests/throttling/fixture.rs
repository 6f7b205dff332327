//! What the throttling tests share: turns (the scale test runs alone), journal times, and the
//! crates' items they use, re-exported here.

pub(crate) use std::collections::{BTreeMap, HashSet};
pub(crate) use std::sync::{Arc, Mutex};
pub(crate) use std::time::{Duration, Instant};

pub(crate) use futures::{StreamExt, TryStreamExt, stream};
pub(crate) use graph_emulator::{FaultRule, FaultTarget, JournalEntry, SeedFlowSet};
pub(crate) use jiff::{SignedDuration, Timestamp};
pub(crate) use kube::Api;
pub(crate) use kube::ResourceExt;
pub(crate) use kube::runtime::{WatchStreamExt, watcher};
pub(crate) use sds_operator::crd::SecurityGroupProvisioningFlow;
pub(crate) use sds_test_support::{DEFAULT_DEADLINE, eventually};
pub(crate) use serde_json::json;
pub(crate) use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

pub(crate) use sds_test_harness::{
    OperatorUnderTest, Options, calls_to, condition, condition_is, is_ready, synced_to, writes,
};

pub(crate) static TURNS: RwLock<()> = RwLock::const_new(());

/// For the scale test: no other test of this binary runs meanwhile.
pub(crate) async fn alone() -> RwLockWriteGuard<'static, ()> {
    TURNS.write().await
}

pub(crate) async fn beside_others() -> RwLockReadGuard<'static, ()> {
    TURNS.read().await
}

/// When the emulator received `entry`.
pub(crate) fn arrival(entry: &JournalEntry) -> Timestamp {
    entry
        .time
        .parse()
        .unwrap_or_else(|e| panic!("journal time {:?}: {e}", entry.time))
}

/// Seconds from `from` to `to`.
pub(crate) fn seconds(from: Timestamp, to: Timestamp) -> f64 {
    to.duration_since(from).as_secs_f64()
}

/// Every change to a resource of the namespace, as seen by a watch, with when it was seen.
pub(crate) type Changes = Arc<Mutex<Vec<(Timestamp, SecurityGroupProvisioningFlow)>>>;

/// Records the changes to the namespace's resources until the test ends.
pub(crate) fn record_changes(api: &Api<SecurityGroupProvisioningFlow>) -> Changes {
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
pub(crate) fn count_changes(
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
