//! Start-up configuration of an emulator and the settings that the admin API can change later.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// App role that allows reading flow sets and flows.
pub const ROLE_READ_ALL: &str = "IndustryData-OutboundFlow.Read.All";
/// App role that allows reading and writing flow sets and flows.
pub const ROLE_READ_WRITE_ALL: &str = "IndustryData-OutboundFlow.ReadWrite.All";

/// Everything needed to start an [`crate::Emulator`].
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Address to bind; port 0 picks a free port.
    pub listen: SocketAddr,
    /// `Some(path)` serves HTTPS with a freshly generated CA, whose PEM is written to `path`.
    pub tls: Option<PathBuf>,
    /// Applications that may obtain tokens.
    pub clients: Vec<ClientRegistration>,
    /// Behaviour that can also be changed at run time through the admin API.
    pub settings: Settings,
    /// Flow sets to create at start-up, by id.
    pub flow_sets: Vec<String>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: None,
            clients: Vec::new(),
            settings: Settings::default(),
            flow_sets: Vec::new(),
        }
    }
}

/// An application registered in a tenant, able to use the client-credentials grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientRegistration {
    pub tenant_id: String,
    pub client_id: String,
    /// The client secret; empty when the application has none (certificate or federation only).
    #[serde(default)]
    pub client_secret: String,
    /// App roles granted to the application; they become the token's `roles` claim.
    #[serde(default)]
    pub roles: Vec<String>,
    /// When true the secret is recognised but answers AADSTS7000222 (expired).
    #[serde(default)]
    pub secret_expired: bool,
    /// PEM certificates uploaded to the application; a client assertion must be signed by the
    /// private key of one of them and name it by its `x5t` or `x5t#S256` thumbprint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<String>,
    /// Federated identity credentials: external tokens the application trusts (graph-api.md §6.3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub federated_credentials: Vec<FederatedCredential>,
    /// "Allow public client flows": the device-code and refresh-token grants may be used without
    /// a client secret or assertion (a CLI or an operator holding only a refresh token).
    #[serde(default)]
    pub allow_public_client: bool,
}

/// The audience Azure expects in a federated token (graph-api.md §6.3).
pub const FEDERATED_AUDIENCE: &str = "api://AzureADTokenExchange";

/// A federated identity credential: which external issuer and subject may sign in as the
/// application. Real Entra ID fetches the issuer's keys through OIDC discovery; the emulator is
/// given them instead (`issuerKeys` as PEM public keys and/or `issuerJwks` as a JWK set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FederatedCredential {
    /// The token's exact `iss`, e.g. `https://127.0.0.1:6443` or an AKS OIDC issuer URL.
    pub issuer: String,
    /// The token's exact `sub`, e.g. `system:serviceaccount:NAMESPACE:NAME`.
    pub subject: String,
    /// Accepted `aud` values; `api://AzureADTokenExchange` when left out.
    #[serde(default = "default_federated_audiences")]
    pub audiences: Vec<String>,
    /// PEM public keys (`PUBLIC KEY`, RSA or EC) that may have signed the token.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issuer_keys: Vec<String>,
    /// The issuer's JWK set (`{"keys":[…]}`), as served at its `jwks_uri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_jwks: Option<serde_json::Value>,
}

fn default_federated_audiences() -> Vec<String> {
    vec![FEDERATED_AUDIENCE.to_owned()]
}

impl FederatedCredential {
    /// Trusts tokens of `issuer` for `subject`, signed by the key in `public_key_pem`, with the
    /// default audience.
    pub fn new(issuer: &str, subject: &str, public_key_pem: &str) -> Self {
        Self {
            issuer: issuer.to_owned(),
            subject: subject.to_owned(),
            audiences: default_federated_audiences(),
            issuer_keys: vec![public_key_pem.to_owned()],
            issuer_jwks: None,
        }
    }
}

impl ClientRegistration {
    /// A client holding `IndustryData-OutboundFlow.ReadWrite.All`.
    pub fn new(tenant_id: &str, client_id: &str, client_secret: &str) -> Self {
        Self {
            tenant_id: tenant_id.to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            roles: vec![ROLE_READ_WRITE_ALL.to_owned()],
            secret_expired: false,
            certificates: Vec::new(),
            federated_credentials: Vec::new(),
            allow_public_client: false,
        }
    }

    /// A public client (no secret) that may use the device-code and refresh-token grants.
    pub fn public(tenant_id: &str, client_id: &str) -> Self {
        Self {
            allow_public_client: true,
            ..Self::new(tenant_id, client_id, "")
        }
    }

    /// Adds a certificate (PEM) the application accepts client assertions from.
    pub fn with_certificate(mut self, certificate_pem: &str) -> Self {
        self.certificates.push(certificate_pem.to_owned());
        self
    }

    /// Adds a federated identity credential.
    pub fn with_federated_credential(mut self, credential: FederatedCredential) -> Self {
        self.federated_credentials.push(credential);
        self
    }

    /// Replaces the granted app roles.
    pub fn with_roles(mut self, roles: &[&str]) -> Self {
        self.roles = roles.iter().map(|role| (*role).to_owned()).collect();
        self
    }
}

/// One step of a readiness script: `readinessStatus` reads `status` for `for_ms` milliseconds,
/// then the next step begins; the last step (or one without `forMs`) lasts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadinessStep {
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_ms: Option<u64>,
}

impl ReadinessStep {
    /// A step of `status` lasting `for_ms` milliseconds.
    pub fn lasting(status: &str, for_ms: u64) -> Self {
        Self {
            status: status.to_owned(),
            for_ms: Some(for_ms),
        }
    }

    /// A step of `status` that lasts.
    pub fn steady(status: &str) -> Self {
        Self {
            status: status.to_owned(),
            for_ms: None,
        }
    }
}

/// Run-time behaviour switches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Time after creation or reset before `readinessStatus` turns from `notReady` to `ready`.
    pub readiness_delay_ms: u64,
    /// The readiness every flow follows after creation or reset unless it has a script of its
    /// own, e.g. `notReady` for 2 s then `disabled` (a flow whose SDS scenario is off); empty:
    /// `notReady` for `readinessDelayMs`, then `ready`.
    pub readiness_script: Vec<ReadinessStep>,
    /// Largest number of items in one collection page.
    pub page_size: usize,
    /// `expires_in` of issued tokens, in seconds.
    pub token_lifetime_secs: u64,
    /// When false, app-only tokens are refused (403) for every write (graph-api.md §4.2).
    pub app_only_writes_allowed: bool,
    /// When true, property names in flow bodies bind case-insensitively (graph-api.md §2.4).
    pub lenient_casing: bool,
    /// Number of GETs of a newly created flow that answer 404 before it becomes visible.
    pub eventual_consistency_reads: u32,
    /// `interval` of device authorizations: polling faster answers `slow_down`.
    pub device_code_interval_secs: u64,
    /// `expires_in` of device authorizations; polling later answers `expired_token`.
    pub device_code_lifetime_secs: u64,
    /// How long a refresh token stays usable without being used (AADSTS700082 after that).
    pub refresh_token_lifetime_secs: u64,
    /// When false, a refresh token that was already redeemed answers AADSTS70000 (every refresh
    /// rotates the token; Entra ID itself keeps old ones valid, hence the default).
    pub refresh_token_reuse_allowed: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            readiness_delay_ms: 2_000,
            readiness_script: Vec::new(),
            page_size: 100,
            token_lifetime_secs: 3_599,
            app_only_writes_allowed: true,
            lenient_casing: false,
            eventual_consistency_reads: 0,
            device_code_interval_secs: 5,
            device_code_lifetime_secs: 900,
            refresh_token_lifetime_secs: 90 * 24 * 3600,
            refresh_token_reuse_allowed: true,
        }
    }
}

/// A partial update of [`Settings`]; absent fields keep their value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_delay_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_script: Option<Vec<ReadinessStep>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_lifetime_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_only_writes_allowed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lenient_casing: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eventual_consistency_reads: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_code_interval_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_code_lifetime_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_lifetime_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_reuse_allowed: Option<bool>,
}

impl Settings {
    /// Applies the fields present in `patch`; a page size of 0 is raised to 1.
    pub fn apply(&mut self, patch: &SettingsPatch) {
        if let Some(value) = patch.readiness_delay_ms {
            self.readiness_delay_ms = value;
        }
        if let Some(value) = &patch.readiness_script {
            self.readiness_script = value.clone();
        }
        if let Some(value) = patch.page_size {
            self.page_size = value.max(1);
        }
        if let Some(value) = patch.token_lifetime_secs {
            self.token_lifetime_secs = value;
        }
        if let Some(value) = patch.app_only_writes_allowed {
            self.app_only_writes_allowed = value;
        }
        if let Some(value) = patch.lenient_casing {
            self.lenient_casing = value;
        }
        if let Some(value) = patch.eventual_consistency_reads {
            self.eventual_consistency_reads = value;
        }
        if let Some(value) = patch.device_code_interval_secs {
            self.device_code_interval_secs = value;
        }
        if let Some(value) = patch.device_code_lifetime_secs {
            self.device_code_lifetime_secs = value;
        }
        if let Some(value) = patch.refresh_token_lifetime_secs {
            self.refresh_token_lifetime_secs = value;
        }
        if let Some(value) = patch.refresh_token_reuse_allowed {
            self.refresh_token_reuse_allowed = value;
        }
    }
}
