//! The controller, wiring only: the watch that triggers reconciles (trimmed for the cache and
//! filtered by predicates), the mapper that wakes the next claimant of a flow set, and the error
//! policy that turns a failed reconcile into its retry.

use std::future::Future;
use std::sync::Arc;

use futures::StreamExt;
use kube::runtime::controller::{self, Action, Controller};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{Predicate as _, WatchStreamExt, predicates, watcher};
use kube::{Api, Client, ResourceExt as _};

use crate::admin::OperatorState;
use crate::config::Config;
use crate::crd::{
    FlowKind, OTHER_ANNOTATIONS_DIGEST, PAUSED_ANNOTATION, RESET_ANNOTATION,
    SecurityGroupProvisioningFlow,
};
use crate::reconcile::{self, Context, Error, Grants, after_failure, conflict};

/// Runs the controller until `shutdown` resolves; in-flight reconciles finish first.
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
    run_kind::<SecurityGroupProvisioningFlow>(client, config, grants, state, shutdown).await;
}

/// The controller of one flow kind.
async fn run_kind<K: FlowKind>(
    client: Client,
    config: Config,
    grants: Arc<Grants>,
    state: Arc<OperatorState>,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) {
    let api: Api<K> = match &config.namespace {
        Some(namespace) => Api::namespaced(client.clone(), namespace),
        None => Api::all(client.clone()),
    };
    let concurrency = config.concurrency;
    let (reader, writer) = reflector::store();
    let context = Arc::new(Context::new(
        client,
        config,
        reader.clone(),
        grants.clone(),
        state.clone(),
    ));
    let resources = reader.clone();
    let claimants = grants.clone();
    // A grant or namespace change wakes only the resources whose access it changed.
    let regranted = {
        let context = context.clone();
        grants
            .changes()
            .flat_map(move |()| futures::stream::iter(context.access_changed()))
    };
    // Our own status writes change none of these, so they never trigger a reconcile; a deletion
    // bumps the generation of a custom resource.
    let triggers = watcher(api.clone(), watcher::Config::default())
        .default_backoff()
        .modify(trim_for_cache::<K>)
        .reflect(writer)
        // Ready once the first list is in the cache. Read from the stream itself: the store's
        // readiness signal wakes only one of several waiters, and the Controller is one of them.
        .inspect(move |event| {
            if matches!(event, Ok(watcher::Event::InitDone)) {
                let (state, grants) = (state.clone(), grants.clone());
                tokio::spawn(async move {
                    grants.listed().await;
                    state.set_ready();
                });
            }
        })
        .applied_objects()
        .predicate_filter(
            predicates::generation
                .combine(predicates::annotations)
                .combine(predicates::finalizers),
            Default::default(),
        );
    Controller::for_stream(triggers, reader)
        // A resource on its way out may free its flow set for the one that stalled behind it.
        .watches(api, watcher::Config::default(), move |leaving: K| {
            next_claimant(&resources, &leaving, |other: &K| {
                claimants.access(other).may_claim(other)
            })
        })
        .reconcile_on(regranted)
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
