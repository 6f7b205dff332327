//! The CredentialGrants and the namespaces' labels, cached from watches: what `access` decides
//! on, when it can be decided (after the first list), and a signal on each change.

use std::sync::Arc;

use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::Namespace;
use kube::core::PartialObjectMeta;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, ResourceExt};
use tokio::sync::watch;

use super::access::{Access, granted};
use super::error::Error;
use super::placement::FlowSets;
use crate::crd::{
    CredentialGrant, FlowKind, FlowSetOrigin, GraphResource as _, OutboundProvisioningFlowSet,
};

/// How long a reconcile waits for the first list of grants and namespaces before it reports
/// why they cannot be listed.
const LIST_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The grants and namespaces as the API server has them, and a signal on each change.
#[derive(Debug)]
pub struct Grants {
    grants: Store<CredentialGrant>,
    namespaces: Store<PartialObjectMeta<Namespace>>,
    /// The flow set resources: which flow set a flow names, and which a namespace created.
    flow_sets: FlowSets,
    ready: watch::Receiver<bool>,
    changed: watch::Receiver<u64>,
    /// Why the last attempt to watch failed, for the resources that wait on the first list.
    last_error: Arc<std::sync::Mutex<Option<String>>>,
}

impl Grants {
    /// No grants, and nothing to watch: for an operator without a credential of its own, whose
    /// resources all bring theirs.
    pub fn none(flow_sets: FlowSets) -> Arc<Self> {
        let (_, ready) = watch::channel(true);
        let (_, changed) = watch::channel(0);
        Arc::new(Self {
            grants: reflector::store().0,
            namespaces: reflector::store().0,
            flow_sets,
            ready,
            changed,
            last_error: Arc::default(),
        })
    }

    /// Starts watching the grants, and the namespaces (only `watched` when the operator watches
    /// one), on a task of its own.
    pub fn watch(client: Client, watched: Option<&str>, flow_sets: FlowSets) -> Arc<Self> {
        let (grants, grant_writer) = reflector::store();
        let (namespaces, namespace_writer) = reflector::store();
        let (ready_sender, ready) = watch::channel(false);
        let (changed_sender, changed) = watch::channel(0);
        let last_error = Arc::<std::sync::Mutex<Option<String>>>::default();
        let failed = last_error.clone();
        let namespace_config = match watched {
            Some(name) => watcher::Config::default().fields(&format!("metadata.name={name}")),
            None => watcher::Config::default(),
        };
        let grant_events = watcher(
            Api::<CredentialGrant>::all(client.clone()),
            Default::default(),
        )
        .default_backoff()
        .reflect(grant_writer)
        .map(|event| event.map(|event| Kind::of(&event, true)));
        let namespace_events = watcher(
            Api::<PartialObjectMeta<Namespace>>::all(client),
            namespace_config,
        )
        .default_backoff()
        .modify(|namespace| {
            namespace.managed_fields_mut().clear();
            namespace.annotations_mut().clear();
        })
        .reflect(namespace_writer)
        .map(|event| event.map(|event| Kind::of(&event, false)));
        tokio::spawn(async move {
            let mut events =
                std::pin::pin!(futures::stream::select(grant_events, namespace_events));
            let (mut grants_listed, mut namespaces_listed) = (false, false);
            while let Some(event) = events.next().await {
                let ready = *ready_sender.borrow();
                let changed = || changed_sender.send_modify(|count| *count += 1);
                match event {
                    // A list after the first (the watch was lost) may hold changes it missed.
                    Ok(Kind::Listed { .. }) if ready => changed(),
                    Ok(Kind::Listed { grants: true }) => grants_listed = true,
                    Ok(Kind::Listed { grants: false }) => namespaces_listed = true,
                    Ok(Kind::Changed) => changed(),
                    Ok(Kind::Listing) => {}
                    Err(error) => {
                        tracing::warn!(%error, "watching CredentialGrants or namespaces failed");
                        *failed
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner()) =
                            Some(error.to_string());
                    }
                }
                // The first list is no change: the resources' own first reconciles read it.
                if grants_listed && namespaces_listed && !*ready_sender.borrow() {
                    let _ = ready_sender.send(true);
                }
            }
        });
        Arc::new(Self {
            grants,
            namespaces,
            flow_sets,
            ready,
            changed,
            last_error,
        })
    }

    /// Waits until the grants and namespaces have been listed once (before that, every resource
    /// would look ungranted), for a while: then says why they could not be.
    pub async fn wait_until_listed(&self) -> Result<(), Error> {
        if tokio::time::timeout(LIST_WAIT, self.listed()).await.is_ok() {
            return Ok(());
        }
        let cause = self
            .last_error
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        Err(Error::GrantsNotListed {
            cause: cause.unwrap_or_else(|| "no answer yet".into()),
        })
    }

    /// Resolves once the grants and namespaces have been listed: part of the operator's readiness.
    pub async fn listed(&self) {
        let _ = self.ready.clone().wait_for(|ready| *ready).await;
    }

    /// What `flow` may do in Graph: on its flow set, which counts as its namespace's own when a
    /// flow set resource of the namespace created it.
    pub fn access(&self, flow: &impl FlowKind) -> Access {
        if flow.credentials_secret().is_some() {
            return Access::OwnCredential;
        }
        let namespace = flow.namespace().unwrap_or_default();
        let flow_set_id = self.flow_sets.id_of(flow).unwrap_or_default();
        let own = self.flow_sets.created_in(&namespace, &flow_set_id);
        self.granted_in(&namespace, &flow_set_id, own)
    }

    /// What flow set resource `set` may do in Graph: a flow set it is yet to create, or that it
    /// created, is its namespace's own.
    pub fn access_to_set(&self, set: &OutboundProvisioningFlowSet) -> Access {
        if set.credentials_secret().is_some() {
            return Access::OwnCredential;
        }
        let namespace = set.namespace().unwrap_or_default();
        let origin = set.status.as_ref().and_then(|status| status.origin);
        let own = match set.flow_set_id() {
            None => true,
            Some(_) => origin == Some(FlowSetOrigin::Created),
        };
        self.granted_in(&namespace, set.flow_set_id().unwrap_or_default(), own)
    }

    /// What flow set resource `set` may do with flow set `flow_set_id`, found in Graph and not
    /// created by it: no namespace's own, whatever `set` would create.
    pub fn access_to_found(&self, set: &OutboundProvisioningFlowSet, flow_set_id: &str) -> Access {
        if set.credentials_secret().is_some() {
            return Access::OwnCredential;
        }
        self.granted_in(&set.namespace().unwrap_or_default(), flow_set_id, false)
    }

    fn granted_in(&self, namespace: &str, flow_set_id: &str, own: bool) -> Access {
        let labels = self
            .namespaces
            .get(&reflector::ObjectRef::new(namespace))
            .map(|found| found.labels().clone())
            .unwrap_or_default();
        let grants = self.grants.state();
        granted(
            grants.iter().map(Arc::as_ref),
            namespace,
            &labels,
            flow_set_id,
            own,
        )
    }

    /// One item after each change to a grant or a namespace, changes close together coalesced.
    pub fn changes(&self) -> impl Stream<Item = ()> + Send + 'static {
        futures::stream::unfold(self.changed.clone(), |mut changed| async move {
            changed.changed().await.ok()?;
            Some(((), changed))
        })
    }
}

/// What a watch event means for access.
enum Kind {
    /// The first list is complete.
    Listed {
        grants: bool,
    },
    /// Part of a list: nothing is decided on it yet.
    Listing,
    Changed,
}

impl Kind {
    fn of<K>(event: &watcher::Event<K>, grants: bool) -> Self {
        match event {
            watcher::Event::InitDone => Self::Listed { grants },
            watcher::Event::Init | watcher::Event::InitApply(_) => Self::Listing,
            watcher::Event::Apply(_) | watcher::Event::Delete(_) => Self::Changed,
        }
    }
}
