//! Shared in-memory state of one emulator instance, behind a single lock. Handlers never hold
//! the lock across an `.await`.

pub mod directory;
pub mod flow;

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::config::{ClientRegistration, Settings};
use crate::faults::FaultBook;
use crate::identity::assertion::UsedAssertions;
use crate::identity::grants::DelegatedState;
use crate::identity::jwt::TokenSigner;
use crate::journal::Journal;
use directory::Directory;

/// Everything mutable, guarded together so each request sees one consistent view.
#[derive(Debug, Default)]
pub struct Inner {
    pub settings: Settings,
    pub clients: Vec<ClientRegistration>,
    pub directory: Directory,
    pub faults: FaultBook,
    pub journal: Journal,
    /// `uti` claims of issued tokens that are still honoured; expiring all tokens empties it.
    pub live_tokens: HashSet<String>,
    /// `jti`s of accepted certificate assertions, refused if presented again.
    pub used_assertions: UsedAssertions,
    /// Device authorizations and refresh tokens of the delegated grants.
    pub delegated: DelegatedState,
}

impl Inner {
    /// Whether any registered client lives in `tenant`.
    pub fn knows_tenant(&self, tenant: &str) -> bool {
        self.clients
            .iter()
            .any(|client| client.tenant_id.eq_ignore_ascii_case(tenant))
    }

    /// Adds or replaces (by client id) a registration.
    pub fn register_client(&mut self, client: ClientRegistration) {
        self.clients.retain(|c| c.client_id != client.client_id);
        self.clients.push(client);
    }
}

/// State shared by all handlers of one emulator.
#[derive(Debug)]
pub struct Shared {
    inner: Mutex<Inner>,
    pub signer: TokenSigner,
    /// `http(s)://host:port`, without trailing slash.
    pub base_url: String,
}

impl Shared {
    pub fn new(inner: Inner, signer: TokenSigner, base_url: String) -> Self {
        Self {
            inner: Mutex::new(inner),
            signer,
            base_url,
        }
    }

    /// Locks the state. A panic in another handler cannot leave it half-written in a way that
    /// matters for a test double, so a poisoned lock is simply taken over.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
