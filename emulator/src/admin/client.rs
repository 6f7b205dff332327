//! A typed client for the admin API, over HTTP like any other caller.

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::model::ReadinessScript;
use super::model::{
    ClientSummary, Created, DeviceCodeApproval, DeviceCodeSummary, ReadinessOverride,
    RefreshTokenRevocation, Revoked, SeedFlow, SeedFlowSet, StateSnapshot,
};
use crate::config::{ClientRegistration, ReadinessStep, Settings, SettingsPatch};
use crate::faults::{FaultRule, FaultRuleStatus};
use crate::identity::grants::RefreshTokenSummary;
use crate::journal::JournalEntry;

/// Why an admin call failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("admin request failed: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("admin API answered {status}: {body}")]
    Status { status: StatusCode, body: String },
}

/// Client of one emulator's `/_emulator/` API.
#[derive(Debug, Clone)]
pub struct AdminClient {
    http: reqwest::Client,
    base_url: String,
}

impl AdminClient {
    /// `base_url` is the emulator's `http(s)://host:port`; `http` must trust its CA when TLS is on.
    pub fn new(http: reqwest::Client, base_url: &str) -> Self {
        Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    async fn send<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<reqwest::Response, AdminError> {
        let mut request = self
            .http
            .request(method, format!("{}/_emulator{path}", self.base_url));
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        if response.status().is_success() {
            Ok(response)
        } else {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            Err(AdminError::Status { status, body })
        }
    }

    async fn call<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, AdminError> {
        Ok(self.send(method, path, body).await?.json().await?)
    }

    async fn call_empty<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<(), AdminError> {
        self.send(method, path, body).await.map(drop)
    }

    /// Everything the emulator holds.
    pub async fn state(&self) -> Result<StateSnapshot, AdminError> {
        self.call::<(), _>(Method::GET, "/state", None).await
    }

    /// Clears flow sets, faults and the journal (clients, settings and tokens stay).
    pub async fn reset(&self) -> Result<(), AdminError> {
        self.call_empty::<()>(Method::POST, "/reset", None).await
    }

    pub async fn settings(&self) -> Result<Settings, AdminError> {
        self.call::<(), _>(Method::GET, "/settings", None).await
    }

    /// Changes the given settings and returns all of them.
    pub async fn update_settings(&self, patch: &SettingsPatch) -> Result<Settings, AdminError> {
        self.call(Method::PATCH, "/settings", Some(patch)).await
    }

    pub async fn clients(&self) -> Result<Vec<ClientSummary>, AdminError> {
        self.call::<(), _>(Method::GET, "/clients", None).await
    }

    /// Adds a client, or replaces the one with the same client id.
    pub async fn register_client(&self, client: &ClientRegistration) -> Result<(), AdminError> {
        self.call_empty(Method::POST, "/clients", Some(client))
            .await
    }

    pub async fn remove_client(&self, client_id: &str) -> Result<(), AdminError> {
        self.call_empty::<()>(Method::DELETE, &format!("/clients/{client_id}"), None)
            .await
    }

    /// Makes every token issued so far answer 401 "expired".
    pub async fn expire_tokens(&self) -> Result<(), AdminError> {
        self.call_empty::<()>(Method::POST, "/tokens/expire", None)
            .await
    }

    /// Device authorizations not yet redeemed.
    pub async fn device_codes(&self) -> Result<Vec<DeviceCodeSummary>, AdminError> {
        self.call::<(), _>(Method::GET, "/device-codes", None).await
    }

    /// A user signs in at the verification page with `user_code` and consents.
    pub async fn approve_device_code(
        &self,
        user_code: &str,
        approval: &DeviceCodeApproval,
    ) -> Result<(), AdminError> {
        let path = format!("/device-codes/{user_code}/approve");
        self.call_empty(Method::POST, &path, Some(approval)).await
    }

    /// The user declines the sign-in.
    pub async fn deny_device_code(&self, user_code: &str) -> Result<(), AdminError> {
        let path = format!("/device-codes/{user_code}/deny");
        self.call_empty::<()>(Method::POST, &path, None).await
    }

    /// Ends the device code's lifetime now.
    pub async fn expire_device_code(&self, user_code: &str) -> Result<(), AdminError> {
        let path = format!("/device-codes/{user_code}/expire");
        self.call_empty::<()>(Method::POST, &path, None).await
    }

    /// Every refresh token issued (not their values).
    pub async fn refresh_tokens(&self) -> Result<Vec<RefreshTokenSummary>, AdminError> {
        self.call::<(), _>(Method::GET, "/refresh-tokens", None)
            .await
    }

    /// Revokes matching refresh tokens; returns how many.
    pub async fn revoke_refresh_tokens(
        &self,
        revocation: &RefreshTokenRevocation,
    ) -> Result<usize, AdminError> {
        let revoked: Revoked = self
            .call(Method::POST, "/refresh-tokens/revoke", Some(revocation))
            .await?;
        Ok(revoked.revoked)
    }

    /// Creates a flow set without going through Graph; returns its id.
    pub async fn seed_flow_set(&self, seed: &SeedFlowSet) -> Result<String, AdminError> {
        let created: Created<String> = self.call(Method::POST, "/flow-sets", Some(seed)).await?;
        Ok(created.id)
    }

    /// Creates a flow without going through Graph; returns its id.
    pub async fn seed_flow(&self, set_id: &str, seed: &SeedFlow) -> Result<String, AdminError> {
        let created: Created<String> = self
            .call(
                Method::POST,
                &format!("/flow-sets/{set_id}/flows"),
                Some(seed),
            )
            .await?;
        Ok(created.id)
    }

    /// Gives flow `flow_id` a readiness script of its own and starts it (empty: the settings').
    pub async fn set_readiness_script(
        &self,
        flow_id: &str,
        steps: &[ReadinessStep],
    ) -> Result<(), AdminError> {
        let body = ReadinessScript {
            steps: steps.to_vec(),
        };
        self.call_empty(
            Method::PUT,
            &format!("/flows/{flow_id}/readiness-script"),
            Some(&body),
        )
        .await
    }

    /// Pins `readinessStatus` to `value` (any string), or with `None` restarts the automatic cycle.
    pub async fn force_readiness(
        &self,
        flow_id: &str,
        value: Option<&str>,
    ) -> Result<(), AdminError> {
        let body = ReadinessOverride {
            readiness_status: value.map(str::to_owned),
        };
        self.call_empty(
            Method::PUT,
            &format!("/flows/{flow_id}/readiness"),
            Some(&body),
        )
        .await
    }

    /// Overwrites `creationOptions` as a portal edit would (drift).
    pub async fn set_creation_options(
        &self,
        flow_id: &str,
        options: &Map<String, Value>,
    ) -> Result<(), AdminError> {
        let members =
            Map::from_iter([("creationOptions".to_owned(), Value::Object(options.clone()))]);
        self.set_properties(flow_id, &members).await
    }

    /// Overwrites the given members of a flow as a portal edit would (drift).
    pub async fn set_properties(
        &self,
        flow_id: &str,
        members: &Map<String, Value>,
    ) -> Result<(), AdminError> {
        self.call_empty(
            Method::PATCH,
            &format!("/flows/{flow_id}/properties"),
            Some(members),
        )
        .await
    }

    /// Changes the displayName and filter given in `edit` (its id is ignored) of flow set
    /// `set_id`, as a portal edit would (drift).
    pub async fn edit_flow_set(&self, set_id: &str, edit: &SeedFlowSet) -> Result<(), AdminError> {
        self.call_empty(Method::PATCH, &format!("/flow-sets/{set_id}"), Some(edit))
            .await
    }

    /// Deletes a flow as if someone removed it outside the operator.
    pub async fn delete_flow(&self, flow_id: &str) -> Result<(), AdminError> {
        self.call_empty::<()>(Method::DELETE, &format!("/flows/{flow_id}"), None)
            .await
    }

    /// Installs a fault rule; returns its id.
    pub async fn add_fault(&self, rule: &FaultRule) -> Result<u64, AdminError> {
        let created: Created<u64> = self.call(Method::POST, "/faults", Some(rule)).await?;
        Ok(created.id)
    }

    pub async fn faults(&self) -> Result<Vec<FaultRuleStatus>, AdminError> {
        self.call::<(), _>(Method::GET, "/faults", None).await
    }

    pub async fn clear_faults(&self) -> Result<(), AdminError> {
        self.call_empty::<()>(Method::DELETE, "/faults", None).await
    }

    /// Journal entries with a sequence number above `since` (0 for all).
    pub async fn journal(&self, since: u64) -> Result<Vec<JournalEntry>, AdminError> {
        self.call::<(), _>(Method::GET, &format!("/journal?since={since}"), None)
            .await
    }

    pub async fn clear_journal(&self) -> Result<(), AdminError> {
        self.call_empty::<()>(Method::DELETE, "/journal", None)
            .await
    }
}
