//! Delegated access from a refresh token that `sds-operator login` obtained: which refresh token
//! is current, and the [`RefreshTokenStore`] that persists each rotated one. The store is a trait
//! so that this module stays free of Kubernetes types; the reconcile layer provides one that
//! writes the Secret the token came from.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use aws_lc_rs::digest;
use futures::future::BoxFuture;
use serde::Deserialize;

use super::credential::SecretString;

/// The scope of the refresh-token grant. `.default` asks for every delegated Graph permission
/// the user (or an administrator) consented to for the application, so the operator need not
/// know whether Read.All or ReadWrite.All was granted (the permission preflight reads `scp`),
/// and it cannot fail with AADSTS65001 for a permission left out at consent. `offline_access`
/// asks for the next refresh token.
pub const DELEGATED_SCOPE: &str = "https://graph.microsoft.com/.default offline_access";

/// Where a delegated credential's refresh token is kept, so that each rotated token is persisted
/// before it is relied on.
pub trait RefreshTokenStore: Send + Sync + fmt::Debug {
    /// Names the place, e.g. `secret NAMESPACE/NAME`; part of the credential's fingerprint.
    fn id(&self) -> &str;

    /// Persists `refresh_token` as the one to use from now on.
    fn save<'a>(
        &'a self,
        refresh_token: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), RefreshTokenStoreError>>;
}

/// Why a rotated refresh token could not be persisted; the text never holds the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RefreshTokenStoreError(pub String);

/// A shared [`RefreshTokenStore`], compared and shown by its id only.
#[derive(Clone)]
pub struct StoreHandle(Arc<dyn RefreshTokenStore>);

impl StoreHandle {
    pub fn new(store: Arc<dyn RefreshTokenStore>) -> Self {
        Self(store)
    }

    pub fn id(&self) -> &str {
        self.0.id()
    }

    pub(crate) async fn save(&self, token: &SecretString) -> Result<(), RefreshTokenStoreError> {
        self.0.save(token).await
    }
}

impl fmt::Debug for StoreHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StoreHandle").field(&self.id()).finish()
    }
}

impl PartialEq for StoreHandle {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl Eq for StoreHandle {}

/// The refresh token to redeem next, and digests of those this client already replaced.
#[derive(Debug)]
pub(crate) struct RefreshState {
    current: SecretString,
    superseded: HashSet<Vec<u8>>,
}

impl RefreshState {
    pub fn new(current: SecretString) -> Self {
        Self {
            current,
            superseded: HashSet::new(),
        }
    }

    pub fn current(&self) -> &SecretString {
        &self.current
    }

    /// Makes `next` (from the token endpoint) current; the old one is remembered as replaced.
    pub fn rotate(&mut self, next: SecretString) {
        if next != self.current {
            let old = std::mem::replace(&mut self.current, next);
            self.superseded.insert(digest_of(&old));
        }
    }

    /// A token read from the store: adopted when it is new (someone ran `sds-operator login`
    /// again), ignored when it is current or one this client replaced itself (a read that raced
    /// the write-back). Returns whether it was adopted.
    pub fn offer(&mut self, token: &SecretString) -> bool {
        if *token == self.current || self.superseded.contains(&digest_of(token)) {
            return false;
        }
        let old = std::mem::replace(&mut self.current, token.clone());
        self.superseded.insert(digest_of(&old));
        true
    }
}

fn digest_of(token: &SecretString) -> Vec<u8> {
    digest::digest(&digest::SHA256, token.expose_secret().as_bytes())
        .as_ref()
        .to_vec()
}

/// The `refresh_token` of a token answer, when the endpoint rotated it.
pub(crate) fn rotated_refresh_token(body: &[u8]) -> Option<SecretString> {
    #[derive(Deserialize)]
    struct Rotated {
        refresh_token: Option<String>,
    }
    let parsed: Rotated = serde_json::from_slice(body).ok()?;
    parsed
        .refresh_token
        .filter(|token| !token.trim().is_empty())
        .map(SecretString::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(value: &str) -> SecretString {
        SecretString::new(value)
    }

    #[test]
    fn rotation_remembers_replaced_tokens_and_adopts_only_new_ones() {
        let mut state = RefreshState::new(token("one"));
        state.rotate(token("two"));
        assert_eq!(state.current(), &token("two"));
        // A stale read of the Secret (before the write-back landed) changes nothing.
        assert!(!state.offer(&token("one")));
        assert!(!state.offer(&token("two")));
        assert_eq!(state.current(), &token("two"));
        // A fresh login's token is adopted.
        assert!(state.offer(&token("three")));
        assert_eq!(state.current(), &token("three"));
        assert!(!state.offer(&token("two")));
    }

    #[test]
    fn reads_rotated_refresh_tokens() {
        let body = br#"{"access_token":"a","expires_in":1,"refresh_token":"r2"}"#;
        assert_eq!(rotated_refresh_token(body), Some(token("r2")));
        assert_eq!(
            rotated_refresh_token(br#"{"access_token":"a","expires_in":1}"#),
            None
        );
        assert_eq!(rotated_refresh_token(br#"{"refresh_token":""}"#), None);
    }

    #[test]
    fn handles_compare_by_id_and_never_show_more() {
        #[derive(Debug)]
        struct Named(&'static str);
        impl RefreshTokenStore for Named {
            fn id(&self) -> &str {
                self.0
            }
            fn save<'a>(
                &'a self,
                _: &'a SecretString,
            ) -> BoxFuture<'a, Result<(), RefreshTokenStoreError>> {
                Box::pin(async { Ok(()) })
            }
        }
        let a = StoreHandle::new(Arc::new(Named("secret ns/a")));
        let again = StoreHandle::new(Arc::new(Named("secret ns/a")));
        let b = StoreHandle::new(Arc::new(Named("secret ns/b")));
        assert_eq!(a, again);
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), r#"StoreHandle("secret ns/a")"#);
    }
}
