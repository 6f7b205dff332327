//! Access tokens: the client-credentials grant (with a client secret, a signed certificate
//! assertion or a federated token read from its file) or, for a delegated credential, the
//! refresh-token grant with the rotated refresh token persisted before the access token is used;
//! and a cache refreshed shortly before expiry.
//!
//! Written by hand rather than with the `oauth2` crate: these are single form POSTs, and the
//! decisions that matter (AADSTS codes from `error_codes`, the HTTP status for 429/5xx,
//! `client-request-id`, scrubbing what was sent from error text) need the raw answer, which
//! `oauth2`'s typed errors do not keep.
//!
//! One in-flight token request at a time: callers queue on a tokio mutex and the first one to
//! get it fetches while the others wait for its result.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use super::credential::{Credential, SecretString};
use super::delegated::RefreshState;
use crate::endpoints::GraphEndpoints;
use crate::error::GraphError;

mod grant;

/// The only scope this client asks for: the API is global-only (graph-api.md §5.9), so the
/// resource is always the global Graph, whichever host serves the token endpoint.
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// The `client_assertion_type` of certificate and federated assertions (RFC 7523).
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Refresh this long before expiry, or at half the lifetime for tokens shorter than twice this.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// The longest lifetime believed of a token answer: the identity platform issues tokens for at
/// most a day, and a larger `expires_in` must not overflow the cache's deadline.
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// When a token obtained now should be replaced, given its lifetime.
pub(crate) fn refresh_after(lifetime: Duration) -> Duration {
    lifetime - REFRESH_MARGIN.min(lifetime / 2)
}

/// A token handed to one request; `generation` identifies it for [`TokenSource::invalidate`].
#[derive(Clone, Debug)]
pub(crate) struct AccessToken {
    pub value: SecretString,
    pub generation: u64,
}

#[derive(Debug)]
struct CachedToken {
    token: AccessToken,
    refresh_at: Instant,
}

#[derive(Debug, Default)]
struct CacheState {
    cached: Option<CachedToken>,
    generations: u64,
    /// The current refresh token of a delegated credential.
    refresh: Option<RefreshState>,
}

/// Obtains and caches tokens for one credential.
#[derive(Debug)]
pub(crate) struct TokenSource {
    credential: Credential,
    state: Mutex<CacheState>,
}

impl TokenSource {
    pub fn new(credential: Credential) -> Self {
        let refresh = credential.refresh_token().cloned().map(RefreshState::new);
        Self {
            credential,
            state: Mutex::new(CacheState {
                refresh,
                ..CacheState::default()
            }),
        }
    }

    /// Offers a delegated credential the refresh token its store holds now; a token it has not
    /// seen (a new `sds-operator login`) replaces the current one and drops the cached access
    /// token, which may belong to another user.
    pub async fn offer_refresh_token(&self, token: &SecretString) {
        let mut state = self.state.lock().await;
        let adopted = state
            .refresh
            .as_mut()
            .is_some_and(|refresh| refresh.offer(token));
        if adopted {
            state.cached = None;
        }
    }

    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// A cached token while it is fresh, else a new one.
    pub async fn token(
        &self,
        http: &reqwest::Client,
        endpoints: &GraphEndpoints,
        timeout: Duration,
    ) -> Result<AccessToken, GraphError> {
        let mut state = self.state.lock().await;
        if let Some(cached) = &state.cached
            && Instant::now() < cached.refresh_at
        {
            return Ok(cached.token.clone());
        }
        let requested_at = Instant::now();
        let (value, lifetime) = self
            .fetch(http, endpoints, timeout, state.refresh.as_mut())
            .await?;
        state.generations += 1;
        let token = AccessToken {
            value,
            generation: state.generations,
        };
        state.cached = Some(CachedToken {
            token: token.clone(),
            refresh_at: requested_at + refresh_after(lifetime),
        });
        Ok(token)
    }

    /// Forgets the token of `generation` (Graph refused it), unless a newer one replaced it.
    pub async fn invalidate(&self, generation: u64) {
        let mut state = self.state.lock().await;
        if state
            .cached
            .as_ref()
            .is_some_and(|cached| cached.token.generation == generation)
        {
            state.cached = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refreshes_five_minutes_early_or_at_half_life() {
        assert_eq!(
            refresh_after(Duration::from_secs(3599)),
            Duration::from_secs(3299)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(600)),
            Duration::from_secs(300)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(60)),
            Duration::from_secs(30)
        );
        assert_eq!(refresh_after(Duration::ZERO), Duration::ZERO);
    }
}
