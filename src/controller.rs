//! The controller, wiring only: the watch that triggers reconciles (trimmed for the cache and
//! filtered by predicates), the mapper that wakes the next claimant of a flow set, the leader gate,
//! and the error policy that turns a failed reconcile into its retry.
//!
//! The watch and its cache run on every instance, so that a standby is warm and Ready; reconciles
//! run only on the leader, in one term per leadership, each with a fresh reconcile context.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use futures::channel::mpsc;
use futures::{FutureExt as _, StreamExt};
use kube::runtime::controller::{self, Action, Controller};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{Predicate as _, WatchStreamExt, predicates, watcher};
use kube::{Api, Client, ResourceExt as _};
use tokio::sync::watch;

use crate::admin::OperatorState;
use crate::config::Config;
use crate::crd::{
    AdministrativeUnitProvisioningFlow, ClassGroupProvisioningFlow, FlowKind,
    OTHER_ANNOTATIONS_DIGEST, PAUSED_ANNOTATION, RESET_ANNOTATION, SecurityGroupProvisioningFlow,
    UserProvisioningFlow,
};
use crate::leader::Elector;
use crate::reconcile::{self, Context, Error, Grants, after_failure, conflict};

/// Runs the controller until `shutdown` resolves: in-flight reconciles finish first, then the
/// Lease is given up.
pub async fn run(
    client: Client,
    config: Config,
    state: Arc<OperatorState>,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) {
    // Grants say who may use the operator's own credential; without one there is nothing to say.
    let grants = match &config.default_credential {
        Some(_) => Grants::watch(client.clone(), config.namespace.as_deref()),
        None => Grants::none(),
    };
    let elector = match &config.leader_election {
        Some(settings) => Elector::start(client.clone(), settings.clone()),
        None => Elector::unopposed(),
    };
    let leading = elector.leading();
    let shutdown = shutdown.shared();
    let kinds = Kinds {
        client,
        config,
        grants: grants.clone(),
        state: state.clone(),
        leading,
    };
    let (security_groups, security_groups_listed) =
        kinds.run::<SecurityGroupProvisioningFlow, _>(&shutdown);
    let (units, units_listed) = kinds.run::<AdministrativeUnitProvisioningFlow, _>(&shutdown);
    let (classes, classes_listed) = kinds.run::<ClassGroupProvisioningFlow, _>(&shutdown);
    let (users, users_listed) = kinds.run::<UserProvisioningFlow, _>(&shutdown);
    // Ready once every kind's first list is in its cache, and the grants are listed.
    let ready = async {
        for mut listed in [
            security_groups_listed,
            units_listed,
            classes_listed,
            users_listed,
        ] {
            let _ = listed.wait_for(|listed| *listed).await;
        }
        grants.listed().await;
        state.set_ready();
        std::future::pending::<()>().await;
    };
    tokio::select! {
        _ = futures::future::join4(security_groups, units, classes, users) => {}
        () = ready => {}
    }
    elector.release().await;
}

/// What the controllers of every kind share.
struct Kinds {
    client: Client,
    config: Config,
    grants: Arc<Grants>,
    state: Arc<OperatorState>,
    leading: watch::Receiver<bool>,
}

impl Kinds {
    /// The controller of kind `K`, and whether its cache has been listed.
    fn run<K: FlowKind, S: Future<Output = ()> + Clone + Send + Sync + 'static>(
        &self,
        shutdown: &S,
    ) -> (impl Future<Output = ()> + use<K, S>, watch::Receiver<bool>) {
        let (listed, cache_listed) = watch::channel(false);
        let controller = run_kind::<K>(
            self.client.clone(),
            self.config.clone(),
            self.grants.clone(),
            self.state.clone(),
            self.leading.clone(),
            listed,
            shutdown.clone(),
        );
        (controller, cache_listed)
    }
}

/// The controller of one flow kind.
async fn run_kind<K: FlowKind>(
    client: Client,
    config: Config,
    grants: Arc<Grants>,
    state: Arc<OperatorState>,
    mut leading: watch::Receiver<bool>,
    listed: watch::Sender<bool>,
    shutdown: impl Future<Output = ()> + Clone + Send + Sync + 'static,
) {
    let api: Api<K> = match &config.namespace {
        Some(namespace) => Api::namespaced(client.clone(), namespace),
        None => Api::all(client.clone()),
    };
    let (reader, writer) = reflector::store();
    let mut cache_listed = listed.subscribe();
    let inbox = Arc::new(Inbox::<K>::default());
    let cache = {
        let (woken, delivered, resources) = (inbox.clone(), inbox.clone(), reader.clone());
        let grants = grants.clone();
        watcher(api, watcher::Config::default())
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
                // behind it.
                Ok(watcher::Event::Apply(leaving) | watcher::Event::Delete(leaving)) => {
                    let next = next_claimant(&resources, leaving, |other: &K| {
                        grants.access(other).may_claim(other)
                    });
                    woken.wake(next);
                }
                _ => {}
            })
            .applied_objects()
            // Our own status writes change none of these, so they never trigger a reconcile; a
            // deletion bumps the generation of a custom resource.
            .predicate_filter(
                predicates::generation
                    .combine(predicates::annotations)
                    .combine(predicates::finalizers),
                Default::default(),
            )
            .for_each(move |flow| {
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
                _ = async {
                    let _ = leading.wait_for(|leading| *leading).await;
                    let _ = cache_listed.wait_for(|listed| *listed).await;
                    grants.listed().await;
                } => {}
            }
            state.metrics.set_leading(true);
            let context = Arc::new(Context::new(
                client.clone(),
                config.clone(),
                reader.clone(),
                grants.clone(),
                state.clone(),
            ));
            let regranted = grants.changes();
            let term = run_term(context, reader.clone(), &inbox, regranted, shutdown.clone());
            let lost = leading.wait_for(|leading| !*leading);
            // Losing the lease drops the term: its reconciles are cancelled where they stand,
            // as a crash would stop them, and nothing more is sent.
            let stopped = tokio::select! {
                () = term => true,
                _ = lost => false,
            };
            inbox.close();
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

/// One term of leadership: every cached resource is reconciled once, then as the watch, the
/// grants and the flow-set mapper ask, until `shutdown` (in-flight reconciles finish).
async fn run_term<K: FlowKind>(
    context: Arc<Context<K>>,
    reader: Store<K>,
    inbox: &Inbox<K>,
    grant_changes: impl futures::Stream<Item = ()> + Send + 'static,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) {
    let (flows, woken) = inbox.open();
    // A grant or namespace change wakes only the resources whose access it changed.
    let regranted = {
        let context = context.clone();
        grant_changes.flat_map(move |()| futures::stream::iter(context.access_changed()))
    };
    let concurrency = context.config.concurrency;
    Controller::for_stream(flows.map(Ok), reader)
        .reconcile_all_on(futures::stream::once(std::future::ready(())))
        .reconcile_on(futures::stream::select(woken, regranted))
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
    may_claim: impl Fn(&K) -> bool,
) -> Option<ObjectRef<K>> {
    leaving.meta().deletion_timestamp.as_ref()?;
    let staying = resources.state();
    let next = conflict::first_claimant(
        leaving,
        staying
            .iter()
            .filter(|other| other.meta().deletion_timestamp.is_none()),
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
    Action::requeue(after_failure(error.retry(), failures, resync))
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
            next_claimant(&writer.as_reader(), flow, |_| true)
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
