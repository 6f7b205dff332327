//! The Kubernetes side of credentials: the one a resource uses (its namespace's Secret or the
//! operator's own), the Graph client for it, the permission check on its token, and the one owner
//! of a credential's lifetime: a client and its cached token live while a resource uses them.
//! One `Credentials` serves every controller, so that all resources of a credential share one
//! client: one token, and one Retry-After hold-back (graph's throttle) for all kinds.

use std::any::TypeId;
use std::collections::HashMap;
use std::hash::{Hash as _, Hasher as _};
use std::sync::{Arc, Mutex};

use graph::{
    Credential, CredentialKey, ErrorClass, GraphClient, GraphClientOptions, GraphClients,
    StoreHandle,
};
use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client, ResourceExt};

use super::error::{Error, KubeAction};
use super::refresh_token_store::SecretRefreshTokenStore;
use crate::config::Config;
use crate::crd::{CREDENTIAL_LABEL, GraphResource};
use crate::credentials_secret::credential_from_secret_data;

/// Where credentials come from, the Graph clients of those in use, and which resource uses which.
pub struct Credentials {
    client: Client,
    /// The operator's own credential, for the resources its grants cover (checked before).
    default: Option<Credential>,
    in_use: InUse,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credentials themselves.
        f.debug_struct("Credentials").finish_non_exhaustive()
    }
}

impl Credentials {
    pub fn new(client: Client, config: &Config) -> Self {
        let clients = GraphClients::new(
            graph::http_client(),
            config.endpoints.clone(),
            GraphClientOptions {
                request_timeout: config.graph_timeout,
            },
        );
        Self {
            client,
            default: config.default_credential.clone(),
            in_use: InUse::new(clients),
        }
    }

    /// `flow` is gone: its credential goes too unless another resource uses it.
    pub fn release(&self, flow: &impl GraphResource) {
        self.in_use.release(flow);
    }

    /// The controller of kind `R` stopped (its lease term ended): its resources use nothing.
    pub fn release_kind<R: GraphResource>(&self) {
        self.in_use.release_kind(TypeId::of::<R>());
    }

    /// The Graph client for the credential `flow` uses: its namespace's Secret, else the
    /// operator's own (a grant must allow that first: see `access`).
    pub async fn graph_client(&self, flow: &impl GraphResource) -> Result<GraphClient, Error> {
        let credential = match &flow.policies().credentials_secret_ref {
            Some(reference) => self.read_secret(flow, &reference.name).await?,
            None => self.default.clone().ok_or(Error::NoDefaultCredential)?,
        };
        let refresh_token = credential.refresh_token().cloned();
        let client = self.in_use.client_for(flow, credential);
        if let Some(token) = refresh_token {
            client.offer_refresh_token(&token).await;
        }
        Ok(client)
    }

    async fn read_secret(
        &self,
        flow: &impl GraphResource,
        name: &str,
    ) -> Result<Credential, Error> {
        let namespace = flow.namespace().unwrap_or_default();
        let secret = labelled_secret(&self.client, &namespace, name)
            .await?
            .ok_or_else(|| Error::SecretNotFound {
                namespace: namespace.clone(),
                name: name.to_owned(),
            })?;
        let credential =
            credential_from_secret_data(&secret.data.unwrap_or_default()).map_err(|source| {
                Error::SecretInvalid {
                    namespace: namespace.clone(),
                    name: name.to_owned(),
                    source,
                }
            })?;
        // A delegated credential writes each rotated refresh token back to this Secret.
        let store = SecretRefreshTokenStore::new(self.client.clone(), &namespace, name);
        Ok(credential.with_refresh_token_store(StoreHandle::new(Arc::new(store))))
    }
}

/// Secret `name` in `namespace`, if it is labelled as one the operator may read. A Secret without
/// the label is as good as absent, and described as such: a resource's author learns nothing of
/// the namespace's other Secrets.
pub(super) async fn labelled_secret(
    client: &Client,
    namespace: &str,
    name: &str,
) -> Result<Option<Secret>, Error> {
    let read = KubeAction::ReadSecret {
        namespace: namespace.to_owned(),
        name: name.to_owned(),
    };
    Ok(Api::<Secret>::namespaced(client.clone(), namespace)
        .get_opt(name)
        .await
        .map_err(|source| Error::kube(read, source))?
        .filter(|secret| secret.labels().get(CREDENTIAL_LABEL).map(String::as_str) == Some("true")))
}

/// The Graph clients of the credentials in use, and which resource uses which.
struct InUse {
    clients: GraphClients,
    /// By kind, namespace and name.
    users: Mutex<HashMap<User, CredentialKey>>,
}

impl InUse {
    fn new(clients: GraphClients) -> Self {
        Self {
            clients,
            users: Mutex::default(),
        }
    }

    /// The client for `credential`, noted as the one `flow` uses now. The credential `flow` used
    /// before a rotation goes, with its client and cached token, once no resource uses it.
    fn client_for(&self, flow: &impl GraphResource, credential: Credential) -> GraphClient {
        let current = credential.fingerprint();
        let client = self.clients.client_for(credential);
        let mut users = self.lock();
        let previous = users.insert(user(flow), current);
        if let Some(previous) = previous.filter(|previous| *previous != current) {
            self.retire_unused(&users, previous);
        }
        client
    }

    fn release(&self, flow: &impl GraphResource) {
        let mut users = self.lock();
        if let Some(credential) = users.remove(&user(flow)) {
            self.retire_unused(&users, credential);
        }
    }

    fn release_kind(&self, kind: TypeId) {
        let mut users = self.lock();
        users.retain(|(of, _), _| *of != kind);
        self.clients
            .retain(|candidate| users.values().any(|used| used == candidate));
    }

    fn retire_unused(&self, users: &HashMap<User, CredentialKey>, credential: CredentialKey) {
        if !users.values().any(|used| *used == credential) {
            self.clients.retain(|candidate| *candidate != credential);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<User, CredentialKey>> {
        self.users
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A resource among the users of credentials: its kind and a hash of its namespace and name, as
/// every resource has an entry. Two resources whose hashes collide (about 1 in 10^11 with 10,000
/// of a kind) would share one: one's change of credential could retire the other's Graph client,
/// which its next reconcile builds again.
type User = (TypeId, u64);

fn user<R: GraphResource>(resource: &R) -> User {
    let mut name = std::hash::DefaultHasher::new();
    (
        resource.meta().namespace.as_deref(),
        resource.meta().name.as_deref(),
    )
        .hash(&mut name);
    (TypeId::of::<R>(), name.finish())
}

/// Stops before Graph refuses: the token must carry the permission the resource needs
/// (ReadWrite.All to manage, Read.All at least to observe). A token whose claims cannot be read
/// is let through, and Graph itself decides.
pub async fn check_permission(graph: &GraphClient, flow: &impl GraphResource) -> Result<(), Error> {
    const READ_WRITE: &str = "IndustryData-OutboundFlow.ReadWrite.All";
    const READ: &str = "IndustryData-OutboundFlow.Read.All";
    let claims = match graph.token_claims().await {
        Ok(claims) => claims,
        Err(error) if error.class() == ErrorClass::Unexpected => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    let observe_only = flow.is_observe_only();
    if claims.grants(READ_WRITE) || (observe_only && claims.grants(READ)) {
        return Ok(());
    }
    Err(Error::MissingPermission {
        permission: if observe_only { READ } else { READ_WRITE },
        observe_hint: if observe_only {
            ""
        } else if claims.grants(READ) {
            " (it has Read.All, which is enough only for managementPolicy ObserveOnly)"
        } else {
            ""
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::SecurityGroupProvisioningFlow;
    use graph::SecretString;

    fn credential(secret: &str) -> Credential {
        Credential::client_secret(
            "contoso.example",
            "b5e7f8a3-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
            SecretString::new(secret),
        )
        .expect("credential")
    }

    fn resource(name: &str) -> SecurityGroupProvisioningFlow {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "industrydata.sds-operator.io/v1alpha1",
            "kind": "SecurityGroupProvisioningFlow",
            "metadata": {"name": name, "namespace": "sds"},
            "spec": {
                "flowSetId": "9ab41255-5364-4c53-e15c-08dc4ab6ee03",
                "creationOptions": {"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": false},
            },
        }))
        .expect("a resource")
    }

    fn credentials() -> InUse {
        InUse::new(GraphClients::new(
            graph::http_client(),
            graph::GraphEndpoints::default(),
            GraphClientOptions::default(),
        ))
    }

    #[test]
    fn a_rotated_credential_is_retired_once_nobody_uses_it() {
        let credentials = credentials();
        let (mine, other) = (resource("mine"), resource("other"));
        credentials.client_for(&mine, credential("old"));
        credentials.client_for(&mine, credential("old"));
        assert_eq!(credentials.clients.len(), 1, "unchanged: one client");

        credentials.client_for(&other, credential("old"));
        credentials.client_for(&mine, credential("new"));
        assert_eq!(credentials.clients.len(), 2, "old is still used elsewhere");

        credentials.client_for(&other, credential("newer"));
        assert_eq!(credentials.clients.len(), 2, "old retired: new and newer");

        credentials.release(&mine);
        assert_eq!(credentials.clients.len(), 1, "new went with its last user");
        credentials.release(&other);
        assert!(credentials.clients.is_empty());
    }

    #[test]
    fn every_kind_shares_one_client_per_credential_until_its_controller_stops() {
        let credentials = credentials();
        let groups = resource("district");
        let units: crate::crd::AdministrativeUnitProvisioningFlow =
            serde_json::from_value(serde_json::json!({
                "apiVersion": "industrydata.sds-operator.io/v1alpha1",
                "kind": "AdministrativeUnitProvisioningFlow",
                "metadata": {"name": "district", "namespace": "sds"},
                "spec": {
                    "flowSetId": "9ab41255-5364-4c53-e15c-08dc4ab6ee03",
                    "creationOptions": {"createBasedOnOrg": true, "createBasedOnOrgPlusRoleGroup": false},
                },
            }))
            .expect("a resource");
        credentials.client_for(&groups, credential("shared"));
        credentials.client_for(&units, credential("shared"));
        assert_eq!(
            credentials.clients.len(),
            1,
            "one client (one token, one throttle) for both kinds"
        );
        credentials.release_kind(TypeId::of::<SecurityGroupProvisioningFlow>());
        assert_eq!(credentials.clients.len(), 1, "still used by the other kind");
        credentials.release_kind(TypeId::of::<crate::crd::AdministrativeUnitProvisioningFlow>());
        assert!(credentials.clients.is_empty());
    }
}
