//! State of the delegated grants: device authorizations waiting for a (simulated) user to sign in
//! (RFC 8628), and the refresh tokens issued to users' sessions, with rotation, single use,
//! expiry and revocation. Pure bookkeeping; the HTTP side is in [`super::delegated`].

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// A user's sign-in and consent, as the admin API approved it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignIn {
    /// User principal name, e.g. `alex@contoso.edu`; becomes the `upn` claim.
    pub upn: String,
    /// Display name; becomes the `name` claim.
    pub name: String,
    /// Consented delegated permissions (without resource prefix); become the `scp` claim.
    pub scopes: Vec<String>,
}

/// What a user consented to for one application, shared by every token of that session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegatedGrant {
    pub tenant_id: String,
    pub client_id: String,
    pub user: SignIn,
    /// `offline_access` was asked for: the session gets refresh tokens.
    pub offline: bool,
}

/// Where a device authorization stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Pending,
    Approved(SignIn),
    Declined,
}

/// One `devicecode` request.
#[derive(Debug, Clone)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub tenant_id: String,
    pub client_id: String,
    /// Delegated permissions named in the request (resource prefix removed; no `.default`).
    pub requested: Vec<String>,
    pub offline: bool,
    pub expires_at: Instant,
    pub interval: Duration,
    pub last_poll: Option<Instant>,
    pub decision: Decision,
}

/// Why polling did not yield tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollError {
    Unknown,
    OtherClient,
    Expired,
    SlowDown,
    Pending,
    Declined,
}

/// Why a refresh token was not redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshError {
    Unknown,
    OtherClient,
    Revoked,
    Expired,
    Reused,
}

#[derive(Debug, Clone)]
struct RefreshRecord {
    grant: DelegatedGrant,
    expires_at: Instant,
    used: bool,
    revoked: bool,
}

/// A refresh token as the admin API shows it (never its value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshTokenSummary {
    pub tenant_id: String,
    pub client_id: String,
    pub upn: String,
    pub scopes: Vec<String>,
    pub used: bool,
    pub revoked: bool,
    pub expired: bool,
}

/// Device authorizations and refresh tokens of one emulator.
#[derive(Debug, Default)]
pub struct DelegatedState {
    devices: Vec<DeviceAuthorization>,
    refresh_tokens: HashMap<String, RefreshRecord>,
}

impl DelegatedState {
    pub fn start_device_authorization(&mut self, authorization: DeviceAuthorization) {
        self.devices.push(authorization);
    }

    /// Device authorizations, oldest first.
    pub fn device_authorizations(&self) -> &[DeviceAuthorization] {
        &self.devices
    }

    /// The authorization a user code names, for the admin API to decide.
    pub fn by_user_code(&mut self, user_code: &str) -> Option<&mut DeviceAuthorization> {
        self.devices
            .iter_mut()
            .find(|device| device.user_code.eq_ignore_ascii_case(user_code))
    }

    /// One poll of the token endpoint with a device code. Every poll counts for `slow_down`;
    /// a declined or redeemed authorization is gone afterwards.
    pub fn poll(
        &mut self,
        device_code: &str,
        client_id: &str,
        now: Instant,
    ) -> Result<DelegatedGrant, PollError> {
        let index = self
            .devices
            .iter()
            .position(|device| device.device_code == device_code)
            .ok_or(PollError::Unknown)?;
        let device = &mut self.devices[index];
        if device.client_id != client_id {
            return Err(PollError::OtherClient);
        }
        if now >= device.expires_at {
            return Err(PollError::Expired);
        }
        let previous = device.last_poll.replace(now);
        if previous.is_some_and(|at| now.duration_since(at) < device.interval) {
            return Err(PollError::SlowDown);
        }
        match &device.decision {
            Decision::Pending => Err(PollError::Pending),
            Decision::Declined => {
                self.devices.remove(index);
                Err(PollError::Declined)
            }
            Decision::Approved(user) => {
                let grant = DelegatedGrant {
                    tenant_id: device.tenant_id.clone(),
                    client_id: device.client_id.clone(),
                    user: user.clone(),
                    offline: device.offline,
                };
                self.devices.remove(index);
                Ok(grant)
            }
        }
    }

    /// A new refresh token for `grant`, usable for `lifetime`.
    pub fn issue_refresh_token(
        &mut self,
        grant: DelegatedGrant,
        lifetime: Duration,
        now: Instant,
    ) -> String {
        let token = format!(
            "emu-rt.{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let record = RefreshRecord {
            grant,
            expires_at: now + lifetime,
            used: false,
            revoked: false,
        };
        self.refresh_tokens.insert(token.clone(), record);
        token
    }

    /// Redeems a refresh token: the grant behind it, after which the token counts as used.
    pub fn redeem_refresh_token(
        &mut self,
        token: &str,
        client_id: &str,
        now: Instant,
        reuse_allowed: bool,
    ) -> Result<DelegatedGrant, RefreshError> {
        let record = self
            .refresh_tokens
            .get_mut(token)
            .ok_or(RefreshError::Unknown)?;
        if record.grant.client_id != client_id {
            return Err(RefreshError::OtherClient);
        }
        if record.revoked {
            return Err(RefreshError::Revoked);
        }
        if now >= record.expires_at {
            return Err(RefreshError::Expired);
        }
        if record.used && !reuse_allowed {
            return Err(RefreshError::Reused);
        }
        record.used = true;
        Ok(record.grant.clone())
    }

    /// Revokes the refresh tokens of a client and/or user (`None` matches any); returns how many.
    pub fn revoke(&mut self, client_id: Option<&str>, upn: Option<&str>) -> usize {
        let mut count = 0;
        for record in self.refresh_tokens.values_mut() {
            let client_matches = client_id.is_none_or(|id| record.grant.client_id == id);
            let user_matches =
                upn.is_none_or(|upn| record.grant.user.upn.eq_ignore_ascii_case(upn));
            if client_matches && user_matches && !record.revoked {
                record.revoked = true;
                count += 1;
            }
        }
        count
    }

    pub fn refresh_token_summaries(&self, now: Instant) -> Vec<RefreshTokenSummary> {
        self.refresh_tokens
            .values()
            .map(|record| RefreshTokenSummary {
                tenant_id: record.grant.tenant_id.clone(),
                client_id: record.grant.client_id.clone(),
                upn: record.grant.user.upn.clone(),
                scopes: record.grant.user.scopes.clone(),
                used: record.used,
                revoked: record.revoked,
                expired: now >= record.expires_at,
            })
            .collect()
    }
}

/// A user code like Entra ID's: nine characters from an alphabet without look-alikes.
pub fn new_user_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    uuid::Uuid::new_v4().as_bytes()[..9]
        .iter()
        .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(now: Instant) -> DeviceAuthorization {
        DeviceAuthorization {
            device_code: "dc".to_owned(),
            user_code: "ABCDEFGHJ".to_owned(),
            tenant_id: "t".to_owned(),
            client_id: "c".to_owned(),
            requested: vec!["IndustryData-OutboundFlow.ReadWrite.All".to_owned()],
            offline: true,
            expires_at: now + Duration::from_secs(60),
            interval: Duration::from_secs(5),
            last_poll: None,
            decision: Decision::Pending,
        }
    }

    fn user() -> SignIn {
        SignIn {
            upn: "alex@contoso.edu".to_owned(),
            name: "Alex".to_owned(),
            scopes: vec!["IndustryData-OutboundFlow.ReadWrite.All".to_owned()],
        }
    }

    #[test]
    fn device_poll_pending_slow_down_approved_then_gone() {
        let now = Instant::now();
        let mut state = DelegatedState::default();
        state.start_device_authorization(device(now));
        assert_eq!(state.poll("dc", "c", now), Err(PollError::Pending));
        let soon = now + Duration::from_secs(1);
        assert_eq!(state.poll("dc", "c", soon), Err(PollError::SlowDown));
        assert_eq!(state.poll("dc", "other", soon), Err(PollError::OtherClient));
        state.by_user_code("abcdefghj").unwrap().decision = Decision::Approved(user());
        let later = soon + Duration::from_secs(5);
        let grant = state.poll("dc", "c", later).unwrap();
        assert_eq!(grant.user, user());
        assert_eq!(state.poll("dc", "c", later), Err(PollError::Unknown));
    }

    #[test]
    fn device_poll_expired_and_declined() {
        let now = Instant::now();
        let mut state = DelegatedState::default();
        state.start_device_authorization(device(now));
        let late = now + Duration::from_secs(60);
        assert_eq!(state.poll("dc", "c", late), Err(PollError::Expired));
        let mut declined = device(now);
        declined.device_code = "dc2".to_owned();
        declined.decision = Decision::Declined;
        state.start_device_authorization(declined);
        assert_eq!(state.poll("dc2", "c", now), Err(PollError::Declined));
        assert_eq!(state.poll("dc2", "c", now), Err(PollError::Unknown));
    }

    #[test]
    fn refresh_tokens_rotate_expire_and_revoke() {
        let now = Instant::now();
        let mut state = DelegatedState::default();
        let grant = DelegatedGrant {
            tenant_id: "t".to_owned(),
            client_id: "c".to_owned(),
            user: user(),
            offline: true,
        };
        let lifetime = Duration::from_secs(10);
        let first = state.issue_refresh_token(grant.clone(), lifetime, now);
        assert!(state.redeem_refresh_token(&first, "c", now, false).is_ok());
        assert_eq!(
            state.redeem_refresh_token(&first, "c", now, false),
            Err(RefreshError::Reused)
        );
        assert!(state.redeem_refresh_token(&first, "c", now, true).is_ok());
        let second = state.issue_refresh_token(grant, lifetime, now);
        assert_eq!(
            state.redeem_refresh_token(&second, "x", now, true),
            Err(RefreshError::OtherClient)
        );
        assert_eq!(
            state.redeem_refresh_token(&second, "c", now + lifetime, true),
            Err(RefreshError::Expired)
        );
        assert_eq!(state.revoke(Some("c"), Some("ALEX@contoso.edu")), 2);
        assert_eq!(
            state.redeem_refresh_token(&second, "c", now, true),
            Err(RefreshError::Revoked)
        );
        assert_eq!(
            state.redeem_refresh_token("nope", "c", now, true),
            Err(RefreshError::Unknown)
        );
        assert_eq!(new_user_code().len(), 9);
    }
}
