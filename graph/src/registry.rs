//! One [`GraphClient`] per credential, so that every resource using the same credential shares
//! its token cache and connections, and a rotated secret gets a fresh client.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::client::{GraphClient, GraphClientOptions};
use crate::endpoints::GraphEndpoints;
use crate::identity::credential::{Credential, CredentialKey};

/// The clients in use, keyed by [`Credential::fingerprint`]. Cloning shares the registry.
#[derive(Clone, Debug)]
pub struct GraphClients {
    inner: Arc<Registry>,
}

#[derive(Debug)]
struct Registry {
    http: reqwest::Client,
    endpoints: GraphEndpoints,
    options: GraphClientOptions,
    clients: Mutex<HashMap<CredentialKey, GraphClient>>,
}

impl GraphClients {
    pub fn new(
        http: reqwest::Client,
        endpoints: GraphEndpoints,
        options: GraphClientOptions,
    ) -> Self {
        Self {
            inner: Arc::new(Registry {
                http,
                endpoints,
                options,
                clients: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The client for `credential`, created on first use.
    pub fn client_for(&self, credential: Credential) -> GraphClient {
        let registry = &self.inner;
        let mut clients = registry
            .clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        clients
            .entry(credential.fingerprint())
            .or_insert_with(|| {
                GraphClient::with_options(
                    registry.http.clone(),
                    registry.endpoints.clone(),
                    credential,
                    registry.options,
                )
            })
            .clone()
    }

    /// Drops the clients whose credential `keep` rejects, e.g. those of rotated secrets.
    pub fn retain(&self, keep: impl Fn(&CredentialKey) -> bool) {
        self.inner
            .clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|key, _| keep(key));
    }

    /// How many clients are held.
    pub fn len(&self) -> usize {
        self.inner
            .clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SecretString;

    fn credential(secret: &str) -> Credential {
        Credential::client_secret("tenant", "client", SecretString::new(secret)).unwrap()
    }

    #[test]
    fn one_client_per_credential_and_a_new_one_after_rotation() {
        let clients = GraphClients::new(
            reqwest::Client::new(),
            GraphEndpoints::default(),
            GraphClientOptions::default(),
        );
        let first = clients.client_for(credential("one"));
        let again = clients.client_for(credential("one"));
        assert!(first.shares_state_with(&again));
        let rotated = clients.client_for(credential("two"));
        assert!(!first.shares_state_with(&rotated));
        assert_eq!(clients.len(), 2);
        let current = credential("two").fingerprint();
        clients.retain(|key| *key == current);
        assert_eq!(clients.len(), 1);
    }
}
