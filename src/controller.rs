//! The controller, wiring only: the watch that triggers reconciles (trimmed for the cache and
//! filtered by predicates), the mapper that wakes the next claimant of a flow set, the leader gate,
//! and the error policy that turns a failed reconcile into its retry.
//!
//! The watch and its cache run on every instance, so that a standby is warm and Ready; reconciles
//! run only on the leader, in one term per leadership, each with a fresh reconcile context.

mod spec_changes;

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use futures::channel::mpsc;
use futures::{FutureExt as _, StreamExt};
use kube::runtime::controller::{self, Action, Controller};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, ResourceExt as _};
use tokio::sync::{broadcast, watch};

use crate::admin::OperatorState;
use crate::config::Config;
use crate::crd::{
    AdministrativeUnitProvisioningFlow, ClassGroupProvisioningFlow, FlowKind, GraphResource,
    OTHER_ANNOTATIONS_DIGEST, OutboundProvisioningFlowSet, PAUSED_ANNOTATION, RESET_ANNOTATION,
    SecurityGroupProvisioningFlow, UserProvisioningFlow,
};
use crate::leader::Elector;
use crate::reconcile::flow_set::{self, FlowSetContext, FlowStores};
use crate::reconcile::{
    self, Context, Credentials, Error, FlowSets, Grants, after_failure, conflict,
};

/// Runs the controller until `shutdown` resolves: in-flight reconciles finish first, then the
/// Lease is given up.
pub async fn run(
    client: Client,
    config: Config,
    state: Arc<OperatorState>,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) {
    let (set_reader, set_writer) = reflector::store();
    let flow_sets = FlowSets::new(set_reader.clone());
    // Grants say who may use the operator's own credential; without one there is nothing to say.
    let grants = match &config.default_credential {
        Some(_) => Grants::watch(
            client.clone(),
            config.namespace.as_deref(),
            flow_sets.clone(),
        ),
        None => Grants::none(flow_sets.clone()),
    };
    let elector = match &config.leader_election {
        Some(settings) => Elector::start(client.clone(), settings.clone()),
        None => Elector::unopposed(),
    };
    let leading = elector.leading();
    let shutdown = shutdown.shared();
    let (set_changed, _) = broadcast::channel(WAKE_CAPACITY);
    let (flow_gone, _) = broadcast::channel(WAKE_CAPACITY);
    let kinds = Kinds {
        client: client.clone(),
        config: config.clone(),
        grants: grants.clone(),
        credentials: Arc::new(Credentials::new(client.clone(), &config)),
        state: state.clone(),
        leading: leading.clone(),
        flow_sets,
        set_changed: set_changed.clone(),
        flow_gone: flow_gone.clone(),
    };
    let (security_groups, security_groups_listed, security_group_store) =
        kinds.run::<SecurityGroupProvisioningFlow, _>(&shutdown);
    let (units, units_listed, unit_store) =
        kinds.run::<AdministrativeUnitProvisioningFlow, _>(&shutdown);
    let (classes, classes_listed, class_store) =
        kinds.run::<ClassGroupProvisioningFlow, _>(&shutdown);
    let (users, users_listed, user_store) = kinds.run::<UserProvisioningFlow, _>(&shutdown);
    let (sets_listed_sender, sets_listed) = watch::channel(false);
    let set_cache = cache_flow_sets(kinds.api(), set_writer, sets_listed_sender, set_changed);
    // The watch never ends by itself; at shutdown the cache keeps what it last saw, which the
    // reconciles still finishing read.
    let set_cache = async {
        tokio::select! {
            () = set_cache => {}
            () = shutdown.clone() => {}
        }
    };
    let set_controller = run_flow_sets(
        kinds,
        FlowStores {
            security_groups: security_group_store,
            administrative_units: unit_store,
            class_groups: class_store,
            users: user_store,
        },
        set_reader,
        flow_gone,
        sets_listed.clone(),
        shutdown.clone(),
    );
    // Ready once every kind's first list is in its cache, and the grants are listed.
    let ready = async {
        for mut listed in [
            security_groups_listed,
            units_listed,
            classes_listed,
            users_listed,
            sets_listed,
        ] {
            let _ = listed.wait_for(|listed| *listed).await;
        }
        grants.listed().await;
        state.set_ready();
        std::future::pending::<()>().await;
    };
    let flows = futures::future::join4(security_groups, units, classes, users);
    tokio::select! {
        _ = futures::future::join3(flows, set_cache, set_controller) => {}
        () = ready => {}
    }
    elector.release().await;
}

/// How many wake-ups between kinds may wait to be taken; a slower reader skips the oldest (a
/// resync catches up).
const WAKE_CAPACITY: usize = 1024;

/// What the controllers of every kind share.
struct Kinds {
    client: Client,
    config: Config,
    grants: Arc<Grants>,
    /// Shared by every controller: one Graph client, token and throttle per credential.
    credentials: Arc<Credentials>,
    state: Arc<OperatorState>,
    leading: watch::Receiver<bool>,
    flow_sets: FlowSets,
    /// A flow set resource changed: the flows that name it may now resolve it.
    set_changed: broadcast::Sender<ObjectRef<OutboundProvisioningFlowSet>>,
    /// A flow resource is gone: the flow set it named may now be deleted.
    flow_gone: broadcast::Sender<ObjectRef<OutboundProvisioningFlowSet>>,
}

impl Kinds {
    /// The resources of kind `K` the operator watches: in its namespace, or in all.
    fn api<K: GraphResource>(&self) -> Api<K> {
        match &self.config.namespace {
            Some(namespace) => Api::namespaced(self.client.clone(), namespace),
            None => Api::all(self.client.clone()),
        }
    }

    /// The controller of kind `K`, whether its cache has been listed, and the cache.
    fn run<K: FlowKind, S: Future<Output = ()> + Clone + Send + Sync + 'static>(
        &self,
        shutdown: &S,
    ) -> (
        impl Future<Output = ()> + use<K, S>,
        watch::Receiver<bool>,
        Store<K>,
    ) {
        let (listed, cache_listed) = watch::channel(false);
        let (reader, writer) = reflector::store();
        let controller = run_kind::<K>(
            KindSetup {
                api: self.api(),
                client: self.client.clone(),
                config: self.config.clone(),
                grants: self.grants.clone(),
                credentials: self.credentials.clone(),
                state: self.state.clone(),
                flow_sets: self.flow_sets.clone(),
                set_changed: self.set_changed.clone(),
                flow_gone: self.flow_gone.clone(),
            },
            (reader.clone(), writer),
            self.leading.clone(),
            listed,
            shutdown.clone(),
        );
        (controller, cache_listed, reader)
    }
}

/// What one flow kind's controller is given.
struct KindSetup<K: FlowKind> {
    api: Api<K>,
    client: Client,
    config: Config,
    grants: Arc<Grants>,
    credentials: Arc<Credentials>,
    state: Arc<OperatorState>,
    flow_sets: FlowSets,
    set_changed: broadcast::Sender<ObjectRef<OutboundProvisioningFlowSet>>,
    flow_gone: broadcast::Sender<ObjectRef<OutboundProvisioningFlowSet>>,
}

/// The controller of one flow kind.
async fn run_kind<K: FlowKind>(
    setup: KindSetup<K>,
    (reader, writer): (Store<K>, reflector::store::Writer<K>),
    mut leading: watch::Receiver<bool>,
    listed: watch::Sender<bool>,
    shutdown: impl Future<Output = ()> + Clone + Send + Sync + 'static,
) {
    let KindSetup {
        api,
        client,
        config,
        grants,
        credentials,
        state,
        flow_sets,
        set_changed,
        flow_gone,
    } = setup;
    let mut cache_listed = listed.subscribe();
    let inbox = Arc::new(Inbox::<K>::default());
    let cache = {
        let (woken, delivered, resources) = (inbox.clone(), inbox.clone(), reader.clone());
        let grants = grants.clone();
        let flow_sets = flow_sets.clone();
        let events = watcher(api, watcher::Config::default())
            .default_backoff()
            .modify(trim_for_cache::<K>)
            .reflect(writer)
            .inspect(move |event| match event {
                // Listed once the first list is in the cache. Read from the stream itself: the
                // store's readiness signal wakes only one of several waiters.
                Ok(watcher::Event::InitDone) => {
                    listed.send_replace(true);
                }
                // A resource on its way out may free its flow set for the one that stalled
                // behind it; once gone, its flow set resource may be deleted.
                Ok(watcher::Event::Apply(leaving) | watcher::Event::Delete(leaving)) => {
                    let next = next_claimant(
                        &resources,
                        leaving,
                        |other: &K| flow_sets.id_of(other),
                        |other: &K| grants.access(other).may_claim(other),
                    );
                    woken.wake(next);
                    if let watcher::Event::Delete(gone) = event.as_ref().expect("matched Ok")
                        && let Some(set) = flow_sets.named_by(gone)
                    {
                        let _ = flow_gone.send(set);
                    }
                }
                _ => {}
            });
        spec_changes::triggers(events).for_each(move |flow| {
            match flow {
                Ok(flow) => delivered.deliver(flow),
                // The watch retries on its own backoff; the cache stays as it was meanwhile.
                Err(error) => tracing::warn!(%error, "watching the resources failed"),
            }
            std::future::ready(())
        })
    };
    let terms = async {
        loop {
            tokio::select! {
                () = shutdown.clone() => return,
                () = term_may_start(&mut leading, &mut cache_listed, &grants) => {}
            }
            state.metrics.set_leading(true);
            let context = Arc::new(Context::new(
                client.clone(),
                config.clone(),
                reader.clone(),
                grants.clone(),
                credentials.clone(),
                flow_sets.clone(),
                state.clone(),
            ));
            let regranted = grants.changes();
            let resolvable = naming_flows(&reader, received(set_changed.subscribe()));
            let wakers = futures::stream::select(
                regranted.map(|()| Wake::Regranted),
                resolvable.map(Wake::Flow),
            );
            let term = run_term(context, reader.clone(), &inbox, wakers, shutdown.clone());
            let lost = leading.wait_for(|leading| !*leading);
            // Losing the lease drops the term: its reconciles are cancelled where they stand,
            // as a crash would stop them, and nothing more is sent.
            let stopped = tokio::select! {
                () = term => true,
                _ = lost => false,
            };
            inbox.close();
            credentials.release_kind::<K>();
            state.metrics.set_leading(false);
            if stopped {
                return;
            }
            tracing::warn!("lost the Lease: reconciles stopped");
        }
    };
    tokio::select! {
        () = cache => {}
        () = terms => {}
    }
}

/// Why a term wakes resources besides their own watch.
enum Wake<K: FlowKind> {
    /// A grant or namespace changed: the resources whose access it changed.
    Regranted,
    /// A flow set resource this one names changed.
    Flow(ObjectRef<K>),
}

/// The items sent on a broadcast channel from now on; those a slow reader missed are skipped.
fn received<T: Clone + Send + 'static>(
    receiver: broadcast::Receiver<T>,
) -> impl futures::Stream<Item = T> + Send + 'static {
    futures::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(item) => return Some((item, receiver)),
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

/// For each changed flow set resource, the flows of `resources` that name it by flowSetRef.
fn naming_flows<K: FlowKind>(
    resources: &Store<K>,
    changed: impl futures::Stream<Item = ObjectRef<OutboundProvisioningFlowSet>> + Send + 'static,
) -> impl futures::Stream<Item = ObjectRef<K>> + Send + 'static {
    let resources = resources.clone();
    changed.flat_map(move |set| {
        let named: Vec<ObjectRef<K>> = resources
            .state()
            .iter()
            .filter(|flow| {
                flow.namespace() == set.namespace
                    && flow
                        .flow_spec()
                        .flow_set_ref
                        .as_ref()
                        .is_some_and(|reference| reference.name == set.name)
            })
            .map(|flow| ObjectRef::from_obj(flow.as_ref()))
            .collect();
        futures::stream::iter(named)
    })
}

/// The cache of flow set resources that flows resolve their flowSetRef through: on every
/// instance, like the flows' caches.
async fn cache_flow_sets(
    api: Api<OutboundProvisioningFlowSet>,
    writer: reflector::store::Writer<OutboundProvisioningFlowSet>,
    listed: watch::Sender<bool>,
    changed: broadcast::Sender<ObjectRef<OutboundProvisioningFlowSet>>,
) {
    watcher(api, watcher::Config::default())
        .default_backoff()
        .modify(|set| set.managed_fields_mut().clear())
        .reflect(writer)
        .for_each(|event| {
            match event {
                Ok(watcher::Event::InitDone) => {
                    listed.send_replace(true);
                }
                Ok(watcher::Event::Apply(set) | watcher::Event::Delete(set)) => {
                    let _ = changed.send(ObjectRef::from_obj(&set));
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "watching the flow sets failed"),
            }
            std::future::ready(())
        })
        .await;
}

/// Returns once this instance leads, the resources' cache is listed and the grants are: a term
/// starts with everything its first reconciles look up.
async fn term_may_start(
    leading: &mut watch::Receiver<bool>,
    listed: &mut watch::Receiver<bool>,
    grants: &Grants,
) {
    let _ = leading.wait_for(|leading| *leading).await;
    let _ = listed.wait_for(|listed| *listed).await;
    grants.listed().await;
}

/// The flow set resources' controller: reconciles while this instance leads, woken also when a
/// flow that named a flow set is gone (its deletion may be waiting for that).
async fn run_flow_sets(
    kinds: Kinds,
    flows: FlowStores,
    reader: Store<OutboundProvisioningFlowSet>,
    flow_gone: broadcast::Sender<ObjectRef<OutboundProvisioningFlowSet>>,
    mut listed: watch::Receiver<bool>,
    shutdown: impl Future<Output = ()> + Clone + Send + Sync + 'static,
) {
    let mut leading = kinds.leading.clone();
    loop {
        tokio::select! {
            () = shutdown.clone() => return,
            () = term_may_start(&mut leading, &mut listed, &kinds.grants) => {}
        }
        let context = Arc::new(FlowSetContext::new(
            kinds.client.clone(),
            kinds.config.clone(),
            kinds.grants.clone(),
            kinds.credentials.clone(),
            kinds.state.clone(),
            flows.clone(),
        ));
        // This term's own watch triggers reconciles; the shared cache answers the lookups.
        let triggers = watcher(
            kinds.api::<OutboundProvisioningFlowSet>(),
            watcher::Config::default(),
        )
        .default_backoff();
        let triggers = spec_changes::triggers(triggers);
        let term = Controller::for_stream(triggers, reader.clone())
            .reconcile_on(received(flow_gone.subscribe()))
            .with_config(controller::Config::default().concurrency(kinds.config.concurrency))
            .graceful_shutdown_on(shutdown.clone())
            .run(flow_set::reconcile, flow_set::error_policy, context)
            .for_each(|result| async move {
                if let Err(error) = result {
                    tracing::debug!(%error, "reconcile failed");
                }
            });
        let lost = leading.wait_for(|leading| !*leading);
        tokio::select! {
            () = term => return,
            _ = lost => {}
        }
        kinds
            .credentials
            .release_kind::<OutboundProvisioningFlowSet>();
    }
}

/// One term of leadership: every cached resource is reconciled once (a settled one at a random
/// moment of the resync period), then as the watch, the grants, the flow-set mapper and the
/// resources' own waits ask, until `shutdown` (in-flight reconciles finish).
async fn run_term<K: FlowKind>(
    context: Arc<Context<K>>,
    reader: Store<K>,
    inbox: &Inbox<K>,
    wakes: impl futures::Stream<Item = Wake<K>> + Send + 'static,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) {
    let (flows, woken) = inbox.open();
    // A grant or namespace change wakes only the resources whose access it changed.
    let regranted = {
        let context = context.clone();
        wakes.flat_map(move |wake| {
            futures::stream::iter(match wake {
                Wake::Regranted => context.access_changed(),
                Wake::Flow(flow) => vec![flow],
            })
        })
    };
    let concurrency = context.config.concurrency;
    let first = futures::stream::iter(reconcile::first_reconciles(&context));
    let due = context.clone().due();
    Controller::for_stream(flows.map(Ok), reader)
        .reconcile_on(futures::stream::select_all([
            first.boxed(),
            woken.boxed(),
            regranted.boxed(),
            due.boxed(),
        ]))
        .with_config(controller::Config::default().concurrency(concurrency))
        .graceful_shutdown_on(shutdown)
        .run(reconcile::reconcile, error_policy, context)
        .for_each(|result| async move {
            if let Err(error) = result {
                tracing::debug!(%error, "reconcile failed");
            }
        })
        .await;
}

/// What the always-running watch hands to the current term, if there is one; dropped between
/// terms (a new term reconciles everything anyway).
struct Inbox<K: FlowKind> {
    senders: Mutex<Option<Senders<K>>>,
}

struct Senders<K: FlowKind> {
    flows: mpsc::UnboundedSender<K>,
    woken: mpsc::UnboundedSender<ObjectRef<K>>,
}

impl<K: FlowKind> Default for Inbox<K> {
    fn default() -> Self {
        Self {
            senders: Mutex::new(None),
        }
    }
}

impl<K: FlowKind> Inbox<K> {
    /// Starts a term: what arrives from now on goes to the returned streams.
    fn open(
        &self,
    ) -> (
        mpsc::UnboundedReceiver<K>,
        mpsc::UnboundedReceiver<ObjectRef<K>>,
    ) {
        let (flows, flows_received) = mpsc::unbounded();
        let (woken, woken_received) = mpsc::unbounded();
        *self.lock() = Some(Senders { flows, woken });
        (flows_received, woken_received)
    }

    fn close(&self) {
        *self.lock() = None;
    }

    fn deliver(&self, flow: K) {
        if let Some(senders) = self.lock().as_ref() {
            let _ = senders.flows.unbounded_send(flow);
        }
    }

    fn wake(&self, flow: Option<ObjectRef<K>>) {
        if let (Some(flow), Some(senders)) = (flow, self.lock().as_ref()) {
            let _ = senders.woken.unbounded_send(flow);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Senders<K>>> {
        self.senders.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Drops from a watched resource what the operator never reads, before it is cached:
/// managedFields and every annotation but the operator's own (kubectl's last-applied copy of the
/// manifest, other tools' notes), which were most of each cached resource's memory. A digest of
/// the dropped annotations stays, so that touching a resource (`kubectl annotate`) still triggers
/// a reconcile, debounced like any annotation edit.
fn trim_for_cache<K: FlowKind>(flow: &mut K) {
    flow.managed_fields_mut().clear();
    let annotations = flow.annotations_mut();
    let mut digest = std::hash::DefaultHasher::new();
    let mut foreign = 0;
    annotations.retain(|key, value| {
        let ours = key == RESET_ANNOTATION || key == PAUSED_ANNOTATION;
        if !ours {
            std::hash::Hash::hash(&(key, value), &mut digest);
            foreign += 1;
        }
        ours
    });
    if foreign > 0 {
        let digest = std::hash::Hasher::finish(&digest);
        annotations.insert(
            OTHER_ANNOTATIONS_DIGEST.to_owned(),
            format!("{digest:016x}"),
        );
    }
}

/// The resource that takes over `leaving`'s flow set once `leaving` is gone: only it can change
/// its outcome, so only it is woken. Nothing when `leaving` is not being deleted, or did not come
/// before that resource anyway.
fn next_claimant<K: FlowKind>(
    resources: &Store<K>,
    leaving: &K,
    flow_set_of: impl Fn(&K) -> Option<String>,
    may_claim: impl Fn(&K) -> bool,
) -> Option<ObjectRef<K>> {
    leaving.meta().deletion_timestamp.as_ref()?;
    let staying = resources.state();
    let next = conflict::first_claimant(
        leaving,
        staying
            .iter()
            .filter(|other| other.meta().deletion_timestamp.is_none()),
        flow_set_of,
        &may_claim,
    )?;
    conflict::precedes(leaving, &next, may_claim).then(|| ObjectRef::from_obj(next.as_ref()))
}

/// Maps a failed reconcile to its retry; status and events already say what went wrong.
fn error_policy<K: FlowKind>(flow: Arc<K>, error: &Error, context: Arc<Context<K>>) -> Action {
    let failures = context.count_failure(flow.as_ref());
    let name = flow.meta().name.as_deref().unwrap_or_default();
    tracing::warn!(name, reason = %error.reason(), failures, %error, "reconcile failed");
    let resync = context.config.resync_period;
    context.requeue_after(
        flow.as_ref(),
        after_failure(error.retry(), failures, resync),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(name: &str, flow_set: &str, deleting: bool) -> SecurityGroupProvisioningFlow {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "industrydata.sds-operator.io/v1alpha1",
            "kind": "SecurityGroupProvisioningFlow",
            "metadata": {
                "name": name, "namespace": "sds", "uid": name,
                "deletionTimestamp": deleting.then_some("2026-01-01T00:00:00Z"),
            },
            "spec": {
                "flowSetId": flow_set,
                "creationOptions": {
                    "createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": false,
                },
            },
        }))
        .expect("a resource")
    }

    #[test]
    fn a_deletion_wakes_only_the_next_claimant_of_its_flow_set_whatever_the_case_of_its_id() {
        const SET: &str = "9ab41255-5364-4c53-e15c-08dc4ab6ee03";
        let leaving = resource("a-leaving", SET, true);
        let late_leaver = resource("z-leaving", SET, true);
        let mut writer = reflector::store::Writer::default();
        for flow in [
            leaving.clone(),
            late_leaver.clone(),
            resource("b-shouting", &SET.to_ascii_uppercase(), false),
            resource("c-waiting-too", SET, false),
            resource("a-elsewhere", "8c33d025-5e64-4550-2aa3-08dc4ac66fca", false),
        ] {
            writer.apply_watcher_event(&watcher::Event::Apply(flow));
        }
        let woken = |flow: &SecurityGroupProvisioningFlow| -> Vec<String> {
            next_claimant(
                &writer.as_reader(),
                flow,
                |flow| flow.spec.flow.flow_set_id.clone(),
                |_| true,
            )
            .into_iter()
            .map(|reference| reference.name)
            .collect()
        };
        assert_eq!(woken(&leaving), ["b-shouting"]);
        assert!(
            woken(&late_leaver).is_empty(),
            "it blocked nobody: the next claimant already came before it"
        );
        assert!(
            woken(&resource("a-leaving", SET, false)).is_empty(),
            "not being deleted"
        );
    }

    #[test]
    fn the_cache_keeps_only_the_operators_own_annotations_and_no_managed_fields() {
        let mut flow: SecurityGroupProvisioningFlow = serde_json::from_value(serde_json::json!({
            "apiVersion": "industrydata.sds-operator.io/v1alpha1",
            "kind": "SecurityGroupProvisioningFlow",
            "metadata": {
                "name": "groups",
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": "x".repeat(200 * 1024),
                    "example.com/note": "hello",
                    RESET_ANNOTATION: "2026-11-29T10:00:00Z",
                    PAUSED_ANNOTATION: "true",
                },
                "managedFields": [{"manager": "kubectl", "operation": "Apply"}],
            },
            "spec": {
                "flowSetId": "9ab41255-5364-4c53-e15c-08dc4ab6ee03",
                "creationOptions": {"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": false},
            },
        }))
        .expect("a resource");
        let mut touched = flow.clone();
        touched
            .annotations_mut()
            .insert("example.com/note".into(), "hello again".into());
        trim_for_cache(&mut flow);
        let kept: Vec<&str> = flow.annotations().keys().map(String::as_str).collect();
        assert_eq!(
            kept,
            [
                OTHER_ANNOTATIONS_DIGEST,
                PAUSED_ANNOTATION,
                RESET_ANNOTATION
            ]
        );
        assert_eq!(flow.annotations()[OTHER_ANNOTATIONS_DIGEST].len(), 16);
        assert!(flow.managed_fields().is_empty());
        trim_for_cache(&mut touched);
        assert_ne!(
            touched.annotations()[OTHER_ANNOTATIONS_DIGEST],
            flow.annotations()[OTHER_ANNOTATIONS_DIGEST],
            "a touch is still seen"
        );
    }
}
