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
use crate::crd::{CredentialGrant, FlowKind};

/// How long a reconcile waits for the first list of grants and namespaces before it reports
/// why they cannot be listed.
const LIST_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The grants and namespaces as the API server has them, and a signal on each change.
#[derive(Debug)]
pub struct Grants {
    grants: Store<CredentialGrant>,
    namespaces: Store<PartialObjectMeta<Namespace>>,
    ready: watch::Receiver<bool>,
    changed: watch::Receiver<u64>,
    /// Why the last attempt to watch failed, for the resources that wait on the first list.
    last_error: Arc<std::sync::Mutex<Option<String>>>,
}

impl Grants {
    /// No grants, and nothing to watch: for an operator without a credential of its own, whose
    /// resources all bring theirs.
    pub fn none() -> Arc<Self> {
        let (_, ready) = watch::channel(true);
        let (_, changed) = watch::channel(0);
        Arc::new(Self {
            grants: reflector::store().0,
            namespaces: reflector::store().0,
            ready,
            changed,
            last_error: Arc::default(),
        })
    }

    /// Starts watching the grants, and the namespaces (only `watched` when the operator watches
    /// one), on a task of its own.
    pub fn watch(client: Client, watched: Option<&str>) -> Arc<Self> {
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

    /// What `flow` may do in Graph.
    pub fn access(&self, flow: &impl FlowKind) -> Access {
        if flow.flow_spec().credentials_secret_ref.is_some() {
            return Access::OwnCredential;
        }
        let namespace = flow.namespace().unwrap_or_default();
        let labels = self
            .namespaces
            .get(&reflector::ObjectRef::new(&namespace))
            .map(|found| found.labels().clone())
            .unwrap_or_default();
        let grants = self.grants.state();
        granted(
            grants.iter().map(Arc::as_ref),
            &namespace,
            &labels,
            &flow.flow_spec().flow_set_id,
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
