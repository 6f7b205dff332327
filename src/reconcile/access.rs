//! Who may use the operator's own credential: the CredentialGrants and the namespaces' labels,
//! cached from watches, and the access they give a resource. A resource that brings its own
//! namespace's Secret needs no grant: that credential's own rights decide.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::Namespace;
use kube::core::PartialObjectMeta;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, ResourceExt};
use tokio::sync::watch;

use super::error::{Error, Refusal};
use super::plan::{FlowStep, Plan, ResetStep};
use crate::crd::{CredentialGrant, FlowKind, FlowStatus, GrantedOperation};

/// What a resource may do in Graph through the operator.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// It names its namespace's own Secret.
    OwnCredential,
    /// The operator's credential, for these operations (Observe always among them), by the
    /// grants named.
    Granted {
        operations: BTreeSet<GrantedOperation>,
        grants: Vec<String>,
    },
    /// The operator's credential, and no grant covers the resource's namespace and flow set.
    NotGranted,
}

impl Access {
    /// A short digest, for noticing that a grant change changed a resource's access.
    pub fn digest(&self) -> u64 {
        std::hash::BuildHasher::hash_one(
            &std::hash::BuildHasherDefault::<std::hash::DefaultHasher>::default(),
            self,
        )
    }

    /// Refuses `operation` unless this access allows it, saying what is missing.
    pub fn require(
        &self,
        flow: &impl FlowKind,
        operation: GrantedOperation,
    ) -> Result<(), Refusal> {
        let grants = match self {
            Self::OwnCredential => return Ok(()),
            Self::Granted { operations, .. } if operations.contains(&operation) => return Ok(()),
            Self::Granted { grants, .. } => grants.join(", "),
            Self::NotGranted => String::new(),
        };
        Err(Refusal::NotGranted {
            namespace: flow.namespace().unwrap_or_default(),
            flow_set_id: flow.flow_spec().flow_set_id.clone(),
            operation,
            grants,
        })
    }

    /// Whether this access may hold a flow set against other resources: a grant for it, or a
    /// credential of its own that has shown it can reach the flow set (a flow recorded).
    pub fn may_claim(&self, flow: &impl FlowKind) -> bool {
        match self {
            Self::Granted { .. } => true,
            Self::NotGranted => false,
            Self::OwnCredential => flow
                .flow_status()
                .is_some_and(|status| status.flow_id.is_some()),
        }
    }
}

/// The plan, with each Graph write that `access` does not allow turned into a refusal saying
/// which grant is missing. Observe was checked before anything was read.
pub fn authorise<K: FlowKind>(
    plan: Plan<K::Config>,
    flow: &K,
    status: &FlowStatus<K::Mirror>,
    access: &Access,
) -> Plan<K::Config> {
    let refused = needed_for_flow(&plan.flow, flow, status)
        .iter()
        .find_map(|operation| access.require(flow, *operation).err());
    let reset = match plan.reset {
        ResetStep::Send { .. }
            if let Err(refusal) = access.require(flow, GrantedOperation::Reset) =>
        {
            ResetStep::Refuse(refusal)
        }
        step => step,
    };
    match refused {
        // A refused flow step sends nothing, the reset included.
        Some(refusal) => Plan {
            flow: FlowStep::Refuse(refusal),
            reset: ResetStep::Nothing,
        },
        None => Plan {
            flow: plan.flow,
            reset,
        },
    }
}

/// The operations a flow step needs. Taking over a flow that this resource created before a crash
/// is not adopting, and an observer that finds the flow only reads it.
fn needed_for_flow<K: FlowKind>(
    step: &FlowStep<K::Config>,
    flow: &K,
    status: &FlowStatus<K::Mirror>,
) -> Vec<GrantedOperation> {
    use GrantedOperation::{Adopt, Manage};
    match step {
        FlowStep::Create { .. } | FlowStep::Update { .. } => vec![Manage],
        FlowStep::Adopt { .. } if flow.is_observe_only() => vec![],
        FlowStep::Adopt { update, .. } => {
            let ours = status.create_intent.is_some();
            let mut needed = if ours { vec![] } else { vec![Adopt] };
            if *update {
                needed.push(Manage);
            }
            needed
        }
        FlowStep::Keep | FlowStep::AwaitVisibility | FlowStep::Refuse(_) => vec![],
    }
}

/// The access of `namespace` (with these labels) to `flow_set_id` under `grants`. Any grant that
/// covers both gives Observe; the operations of all such grants add up.
pub fn granted<'a>(
    grants: impl IntoIterator<Item = &'a CredentialGrant>,
    namespace: &str,
    labels: &BTreeMap<String, String>,
    flow_set_id: &str,
) -> Access {
    let mut operations = BTreeSet::new();
    let mut names = Vec::new();
    for grant in grants {
        if grant.covers_namespace(namespace, labels) && grant.covers_flow_set(flow_set_id) {
            operations.insert(GrantedOperation::Observe);
            operations.extend(grant.spec.operations.iter().copied());
            names.push(grant.name_any());
        }
    }
    if names.is_empty() {
        return Access::NotGranted;
    }
    names.sort();
    Access::Granted {
        operations,
        grants: names,
    }
}

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
                match event {
                    Ok(Kind::Listed { grants: true }) => grants_listed = true,
                    Ok(Kind::Listed { grants: false }) => namespaces_listed = true,
                    Ok(Kind::Changed) => changed_sender.send_modify(|count| *count += 1),
                    Ok(Kind::Listing) => {}
                    Err(error) => {
                        tracing::warn!(%error, "watching CredentialGrants or namespaces failed");
                        *failed
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner()) =
                            Some(error.to_string());
                    }
                }
                if grants_listed && namespaces_listed && !*ready_sender.borrow() {
                    let _ = ready_sender.send(true);
                    changed_sender.send_modify(|count| *count += 1);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::SecurityGroupProvisioningFlow;

    const SET: &str = "9ab41255-5364-4c53-e15c-08dc4ab6ee03";

    fn grant(name: &str, namespace: &str, operations: &[&str]) -> CredentialGrant {
        CredentialGrant::new(
            name,
            serde_json::from_value(serde_json::json!({
                "namespaces": {"names": [namespace]},
                "flowSets": {"ids": [SET]},
                "operations": operations,
            }))
            .expect("a spec"),
        )
    }

    fn resource(secret: Option<&str>) -> SecurityGroupProvisioningFlow {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "industrydata.sds-operator.io/v1alpha1",
            "kind": "SecurityGroupProvisioningFlow",
            "metadata": {"name": "groups", "namespace": "district-a"},
            "spec": {
                "flowSetId": SET,
                "creationOptions": {"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": false},
                "credentialsSecretRef": secret.map(|name| serde_json::json!({"name": name})),
            },
        }))
        .expect("a resource")
    }

    #[test]
    fn the_operations_of_every_covering_grant_add_up_and_observe_comes_with_any() {
        let grants = [
            grant("b-resets", "district-a", &["Reset"]),
            grant("a-manages", "district-a", &["Manage"]),
            grant("elsewhere", "district-b", &["Delete"]),
        ];
        let access = granted(&grants, "district-a", &BTreeMap::new(), SET);
        let flow = resource(None);
        for allowed in [
            GrantedOperation::Observe,
            GrantedOperation::Manage,
            GrantedOperation::Reset,
        ] {
            assert_eq!(access.require(&flow, allowed), Ok(()));
        }
        let refused = access
            .require(&flow, GrantedOperation::Delete)
            .expect_err("Delete is granted only to district-b");
        let message = refused.to_string();
        assert!(message.contains("a-manages, b-resets"), "{message}");
        assert!(!message.contains("elsewhere"), "{message}");
        assert!(message.contains("not for Delete"), "{message}");
    }

    #[test]
    fn each_graph_write_of_a_plan_needs_its_operation() {
        use graph::{Flow, SecurityGroupConfig};
        let flow = resource(None);
        let status = FlowStatus::default();
        let found: Flow<SecurityGroupConfig> = serde_json::from_value(serde_json::json!({
            "id": "4598f62a-7bd9-40a1-d38a-08dc4ac68cf2",
            "readinessStatus": "ready",
            "creationOptions": {"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": false},
        }))
        .expect("a flow");
        let send = ResetStep::Send {
            token: "t".into(),
            flow_id: found.id.clone(),
        };
        let only = |operations: &[GrantedOperation]| Access::Granted {
            operations: operations.iter().copied().collect(),
            grants: vec!["g".into()],
        };
        let observe = only(&[GrantedOperation::Observe]);
        let refused = |plan: &Plan<SecurityGroupConfig>| match &plan.flow {
            FlowStep::Refuse(Refusal::NotGranted { operation, .. }) => Some(*operation),
            _ => None,
        };
        let create = Plan {
            flow: FlowStep::Create { recreate: false },
            reset: ResetStep::Nothing,
        };
        let authorised = authorise(create.clone(), &flow, &status, &observe);
        assert_eq!(refused(&authorised), Some(GrantedOperation::Manage));
        let authorised = authorise(create, &flow, &status, &only(&[GrantedOperation::Manage]));
        assert_eq!(authorised.flow, FlowStep::Create { recreate: false });

        let adopt = Plan {
            flow: FlowStep::Adopt {
                found: found.clone(),
                update: true,
            },
            reset: send.clone(),
        };
        let manage = only(&[GrantedOperation::Manage]);
        let authorised = authorise(adopt.clone(), &flow, &status, &manage);
        assert_eq!(refused(&authorised), Some(GrantedOperation::Adopt));
        assert_eq!(authorised.reset, ResetStep::Nothing, "nothing is sent");
        let mut ours = status.clone();
        ours.create_intent = Some(crate::crd::CreateIntent {
            client_request_id: "c".into(),
            recorded_time: k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                jiff::Timestamp::UNIX_EPOCH,
            ),
        });
        let authorised = authorise(adopt, &flow, &ours, &manage);
        assert_eq!(
            refused(&authorised),
            None,
            "its own flow, found after a crash"
        );
        assert!(matches!(
            authorised.reset,
            ResetStep::Refuse(Refusal::NotGranted {
                operation: GrantedOperation::Reset,
                ..
            })
        ));

        let keep_and_reset = Plan {
            flow: FlowStep::Keep,
            reset: send.clone(),
        };
        let reset = only(&[GrantedOperation::Reset]);
        assert_eq!(
            authorise(keep_and_reset, &flow, &status, &reset).reset,
            send
        );
    }

    #[test]
    fn no_grant_means_no_access_and_the_refusal_names_no_other_namespace() {
        let grants = [grant("district-b", "district-b", &["Manage"])];
        let access = granted(&grants, "district-a", &BTreeMap::new(), SET);
        assert_eq!(access, Access::NotGranted);
        let flow = resource(None);
        let message = access
            .require(&flow, GrantedOperation::Observe)
            .expect_err("refused")
            .to_string();
        assert!(message.contains("no CredentialGrant"), "{message}");
        assert!(!message.contains("district-b"), "{message}");
        assert!(
            !access.may_claim(&flow),
            "an ungranted resource holds no flow set"
        );
    }

    #[test]
    fn its_own_credential_may_do_anything_but_claims_a_flow_set_only_once_it_read_it() {
        let mut flow = resource(Some("district-graph"));
        let access = Access::OwnCredential;
        assert_eq!(access.require(&flow, GrantedOperation::Delete), Ok(()));
        assert!(!access.may_claim(&flow), "not yet proven");
        flow.status = Some(Default::default());
        flow.status.as_mut().unwrap().last_sync_time = Some(
            k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(jiff::Timestamp::UNIX_EPOCH),
        );
        assert!(
            !access.may_claim(&flow),
            "a status written for a failure proves nothing"
        );
        flow.status.as_mut().unwrap().flow_id = Some("4598f62a-7bd9-40a1-d38a-08dc4ac68cf2".into());
        assert!(access.may_claim(&flow));
    }
}
