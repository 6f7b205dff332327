//! What every reconcile shares: the clients, the configuration, the cache of resources, and what
//! is remembered about each resource between its reconciles.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt as _};
use kube::Client;
use kube::runtime::controller::Action;
use kube::runtime::reflector::{ObjectRef, ObjectRefExtra, Store};

use super::credentials::Credentials;
use super::events::Recorder;
use super::grants::Grants;
use super::memory::Memory;
use super::placement::FlowSets;
use crate::admin::OperatorState;
use crate::config::Config;
use crate::crd::{FIELD_MANAGER, FlowKind};

/// `resource`'s key in what a controller remembers: its name and namespace, all that the key's
/// equality compares. `ObjectRef::from_obj` also copies the resourceVersion and uid, which
/// would only take memory, for every resource, until it is gone.
fn memory_key<K: FlowKind>(resource: &K) -> ObjectRef<K> {
    let mut key = ObjectRef::from_obj(resource);
    key.extra = ObjectRefExtra::default();
    key
}

/// How often the resources whose long wait is over are looked for, from the resync period: up to
/// a hundredth of it late, and every second at most.
fn due_scan_interval(resync_period: Duration) -> Duration {
    (resync_period / 100).clamp(Duration::from_millis(10), Duration::from_secs(1))
}

/// The event recorder of one controller.
pub(super) fn recorder(client: &Client, config: &Config) -> Recorder {
    Recorder::new(client.clone(), FIELD_MANAGER, config.instance.as_deref())
}

/// What the reconciles of one kind `K` share.
pub struct Context<K: FlowKind> {
    pub client: Client,
    pub config: Config,
    pub recorder: Recorder,
    /// Every resource the controller sees, for conflict checks.
    pub resources: Store<K>,
    /// Metrics and readiness, shared with the admin endpoints.
    pub state: Arc<OperatorState>,
    /// When this controller started: the freshness clock of resources it has not read yet.
    pub started: Instant,
    pub(super) credentials: Arc<Credentials>,
    /// Who may use the operator's own credential.
    pub(super) grants: Arc<Grants>,
    /// The flow set resources, through which a flowSetRef resolves.
    pub(super) flow_sets: FlowSets,
    memory: Mutex<HashMap<ObjectRef<K>, Memory<K::Config>>>,
}

impl<K: FlowKind> std::fmt::Debug for Context<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<K: FlowKind> Context<K> {
    pub fn new(
        client: Client,
        config: Config,
        resources: Store<K>,
        grants: Arc<Grants>,
        credentials: Arc<Credentials>,
        flow_sets: FlowSets,
        state: Arc<OperatorState>,
    ) -> Self {
        Self {
            recorder: recorder(&client, &config),
            credentials,
            client,
            config,
            resources,
            grants,
            flow_sets,
            state,
            memory: Mutex::default(),
            started: Instant::now(),
        }
    }

    /// Counts one more failed reconcile of `flow` in a row, and returns the count.
    pub fn count_failure(&self, flow: &K) -> u32 {
        self.remember(flow, |memory| {
            memory.failures = memory.failures.saturating_add(1);
            memory.failures
        })
    }

    /// What is remembered about `flow` (default when nothing is).
    pub(super) fn recall(&self, flow: &K) -> Memory<K::Config> {
        self.lock()
            .get(&ObjectRef::from_obj(flow))
            .cloned()
            .unwrap_or_default()
    }

    /// Changes what is remembered about `flow`.
    pub(super) fn remember<T>(
        &self,
        flow: &K,
        change: impl FnOnce(&mut Memory<K::Config>) -> T,
    ) -> T {
        change(self.lock().entry(memory_key(flow)).or_default())
    }

    /// The action that brings `flow` back after `wait`: kube's requeue for a short wait, the
    /// resource's memory for a long one, where it replaces the long wait an earlier reconcile
    /// left. Long is ten scans or more (resyncs, a restart's spread first reads, slow retries), so
    /// that the scan makes it at most a tenth late. Kube's scheduler keeps two copies of the
    /// resource's reference for each resource waiting, about 550 bytes: with every resource
    /// waiting for its resync, that was a tenth of the operator's memory.
    pub fn requeue_after(&self, flow: &K, wait: Duration) -> Action {
        if wait >= 10 * due_scan_interval(self.config.resync_period) {
            self.wait_in_memory(flow, wait);
            Action::await_change()
        } else {
            self.remember(flow, |memory| memory.due = None);
            Action::requeue(wait)
        }
    }

    /// Brings `flow` back after `wait` through the scan, whatever the wait.
    pub(super) fn wait_in_memory(&self, flow: &K, wait: Duration) {
        self.remember(flow, |memory| memory.due = Some(Instant::now() + wait));
    }

    /// The resources whose long wait is over, each once, as they come due.
    pub fn due(self: Arc<Self>) -> impl Stream<Item = ObjectRef<K>> + Send + 'static {
        let mut ticks = tokio::time::interval(due_scan_interval(self.config.resync_period));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        futures::stream::unfold((self, ticks), |(context, mut ticks)| async move {
            ticks.tick().await;
            let due = context.take_due(Instant::now());
            Some((futures::stream::iter(due), (context, ticks)))
        })
        .flatten()
    }

    /// The resources whose long wait ended by `now`, their waits cleared.
    fn take_due(&self, now: Instant) -> Vec<ObjectRef<K>> {
        self.lock()
            .iter_mut()
            .filter(|(_, memory)| memory.due.is_some_and(|due| due <= now))
            .map(|(key, memory)| {
                memory.due = None;
                key.clone()
            })
            .collect()
    }

    /// The resources whose access the grants give differs from what their last reconcile found:
    /// after a grant or namespace change, only these can have a different outcome.
    pub fn access_changed(&self) -> Vec<ObjectRef<K>> {
        let memory = self.lock();
        self.resources
            .state()
            .iter()
            .filter(|flow| {
                let reference = ObjectRef::from_obj(flow.as_ref());
                let last = memory.get(&reference).and_then(|memory| memory.access);
                last != Some(self.grants.access(flow.as_ref()).digest())
            })
            .map(|flow| ObjectRef::from_obj(flow.as_ref()))
            .collect()
    }

    /// Drops everything remembered about a resource that is gone, its credential included.
    pub(super) fn forget(&self, flow: &K) {
        self.lock().remove(&ObjectRef::from_obj(flow));
        self.credentials.release(flow);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ObjectRef<K>, Memory<K::Config>>> {
        self.memory
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
