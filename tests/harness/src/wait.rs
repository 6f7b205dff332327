//! Waiting for what the operator does, under a deadline and with a message naming what was
//! awaited: on the API server's watch where a resource changes, through
//! [`sds_test_support::eventually`] where only polling can tell (events, the emulator's journal).

use std::collections::HashSet;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::events::v1::Event;
use kube::runtime::wait::{await_condition, conditions};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, ResourceExt};
use sds_operator::crd::{FlowKind, GraphResource, SecurityGroupProvisioningFlow};
use sds_test_support::{DEFAULT_DEADLINE, eventually};

use crate::{OperatorUnderTest, event_reasons, is_ready};

impl OperatorUnderTest {
    /// Applies `flow` and waits until it is Ready.
    pub async fn apply_ready(
        &self,
        flow: &SecurityGroupProvisioningFlow,
    ) -> SecurityGroupProvisioningFlow {
        self.apply(flow).await;
        self.wait_for(&flow.name_any(), "Ready", is_ready).await
    }

    /// Waits (on the watch, not by polling) until `name` satisfies `condition`.
    pub async fn wait_for(
        &self,
        name: &str,
        what: &str,
        condition: impl Fn(&SecurityGroupProvisioningFlow) -> bool,
    ) -> SecurityGroupProvisioningFlow {
        wait_on(&self.api, name, what, condition).await
    }

    /// Waits until `name` is gone.
    pub async fn wait_deleted(&self, name: &str) {
        wait_gone(&self.api, name).await;
    }

    /// Waits until an event with `reason` about `name` is recorded, and returns it.
    pub async fn wait_for_event(&self, name: &str, reason: &str) -> Event {
        eventually(
            &format!("a {reason} event about {name}"),
            DEFAULT_DEADLINE,
            || async {
                let events = self.events(name).await;
                events
                    .iter()
                    .find(|event| event.reason.as_deref() == Some(reason))
                    .cloned()
                    .ok_or_else(|| format!("reasons so far: {:?}", event_reasons(&events)))
            },
        )
        .await
    }

    /// Watches every resource of the test's namespace until `count` of them satisfy `condition`
    /// at once; panics after `deadline`, saying how many did.
    pub async fn wait_for_all(
        &self,
        count: usize,
        deadline: Duration,
        what: &str,
        condition: impl Fn(&SecurityGroupProvisioningFlow) -> bool,
    ) {
        wait_all(&self.api, count, deadline, what, condition).await;
    }
}

/// Watches every resource of `api`'s kind until `count` of them satisfy `condition` at once;
/// panics after `deadline`, saying how many did.
pub async fn wait_all<K: FlowKind>(
    api: &Api<K>,
    count: usize,
    deadline: Duration,
    what: &str,
    condition: impl Fn(&K) -> bool,
) {
    let mut satisfied = HashSet::new();
    let mut objects = watcher(api.clone(), watcher::Config::default())
        .default_backoff()
        .applied_objects()
        .boxed();
    let all = async {
        while let Some(flow) = objects.try_next().await.expect("watch") {
            if condition(&flow) {
                satisfied.insert(flow.name_any());
            } else {
                satisfied.remove(&flow.name_any());
            }
            if satisfied.len() >= count {
                return;
            }
        }
    };
    if tokio::time::timeout(deadline, all).await.is_err() {
        panic!(
            "timed out after {deadline:?} waiting for {count} {} to be {what}; {} are",
            K::plural(&()),
            satisfied.len()
        );
    }
}

/// Waits (on the watch, not by polling) until the flow `name` of `api`'s kind satisfies
/// `condition`; panics after the deadline with its status.
pub async fn wait_on<K: GraphResource>(
    api: &Api<K>,
    name: &str,
    what: &str,
    condition: impl Fn(&K) -> bool,
) -> K {
    let satisfied = await_condition(api.clone(), name, move |object: Option<&K>| {
        object.is_some_and(&condition)
    });
    match tokio::time::timeout(DEFAULT_DEADLINE, satisfied).await {
        Ok(Ok(Some(object))) => object,
        other => {
            let current = api.get_opt(name).await.ok().flatten();
            panic!(
                "timed out waiting for {name} to be {what} ({other:?}); it is now: {:#?}",
                current.as_ref().map(status_of)
            )
        }
    }
}

/// Waits until the flow `name` of `api`'s kind is gone.
pub async fn wait_gone<K: GraphResource>(api: &Api<K>, name: &str) {
    let uid = api
        .get(name)
        .await
        .ok()
        .and_then(|object| object.uid())
        .unwrap_or_default();
    tokio::time::timeout(
        DEFAULT_DEADLINE,
        await_condition(api.clone(), name, conditions::is_deleted(&uid)),
    )
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {name} to be deleted"))
    .expect("watching the deletion");
}

/// What a timeout shows of a resource: its status (the whole resource when it has none).
fn status_of<K: GraphResource>(object: &K) -> serde_json::Value {
    let value = serde_json::to_value(object).unwrap_or_default();
    match value.get("status") {
        Some(status) => status.clone(),
        None => value,
    }
}
