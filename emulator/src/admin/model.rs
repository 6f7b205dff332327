//! JSON shapes of the admin API, shared by the server handlers and [`super::client::AdminClient`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::Settings;

/// A registered client as listed (the secret is never returned).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientSummary {
    pub tenant_id: String,
    pub client_id: String,
    pub roles: Vec<String>,
    pub secret_expired: bool,
}

/// Everything the emulator holds, for assertions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateSnapshot {
    pub settings: Settings,
    pub clients: Vec<ClientSummary>,
    pub flow_sets: Vec<FlowSetSnapshot>,
}

impl StateSnapshot {
    /// Finds a flow in any set.
    pub fn flow(&self, flow_id: &str) -> Option<&FlowSnapshot> {
        self.flow_sets
            .iter()
            .flat_map(|set| &set.flows)
            .find(|flow| flow.id == flow_id)
    }

    /// Finds a flow set by id.
    pub fn flow_set(&self, set_id: &str) -> Option<&FlowSetSnapshot> {
        self.flow_sets.iter().find(|set| set.id == set_id)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowSetSnapshot {
    pub id: String,
    pub display_name: String,
    pub filter: Option<Value>,
    pub created_date_time: String,
    pub last_modified_date_time: String,
    pub flows: Vec<FlowSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowSnapshot {
    pub id: String,
    /// e.g. `#microsoft.graph.industryData.securityGroupProvisioningFlow`.
    pub odata_type: String,
    /// The current value, unfiltered (an unknown forced value is shown as is).
    pub readiness_status: String,
    /// True while the admin API pins the value.
    pub readiness_forced: bool,
    pub created_date_time: String,
    pub last_modified_date_time: String,
    /// Writable properties under canonical names (e.g. `creationOptions`).
    pub properties: Map<String, Value>,
    /// GETs that will still answer 404 (simulated eventual consistency).
    pub hidden_reads: u32,
}

impl FlowSnapshot {
    /// The stored `creationOptions`, if the flow type has them.
    pub fn creation_options(&self) -> Option<&Value> {
        self.properties.get("creationOptions")
    }
}

/// `POST /_emulator/flow-sets`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SeedFlowSet {
    /// Chosen id; a GUID is generated when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// A `basicFilter` object, stored as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<Value>,
}

/// `POST /_emulator/flow-sets/{setId}/flows`: a flow that exists before the test starts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SeedFlow {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Defaults to the security-group flow type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
    /// Pins `readinessStatus`; absent starts the automatic cycle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readiness_status: Option<String>,
    /// Writable properties, validated like a Graph create body.
    pub properties: Map<String, Value>,
}

/// Answer of the seeding and fault-adding calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created<T> {
    pub id: T,
}

/// `PUT /_emulator/flows/{flowId}/readiness`: `null` restarts the automatic cycle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadinessOverride {
    pub readiness_status: Option<String>,
}

/// `PUT /_emulator/flows/{flowId}/readiness-script`: the flow's own script, started at once and
/// again at each reset; no steps: back to the settings' script.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadinessScript {
    pub steps: Vec<crate::config::ReadinessStep>,
}

/// Error body of the admin API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminErrorBody {
    pub error: String,
}

/// A simulated user's sign-in at the verification page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceCodeApproval {
    /// User principal name (`upn` claim).
    pub user: String,
    /// Display name (`name` claim); the part of `user` before `@` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Consented delegated permissions (`scp`); the requested ones when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

/// A device authorization as the admin API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceCodeSummary {
    pub user_code: String,
    pub tenant_id: String,
    pub client_id: String,
    /// Requested delegated permissions (without `.default` and OpenID scopes).
    pub scopes: Vec<String>,
    /// `pending`, `approved` or `declined`.
    pub status: String,
    pub expired: bool,
}

/// Which refresh tokens to revoke; an absent field matches all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshTokenRevocation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// How many refresh tokens a revocation hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revoked {
    pub revoked: usize,
}
