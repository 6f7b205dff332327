//! A local emulator of Microsoft Graph's industryData outbound provisioning API
//! (`/beta/external/industryData/outboundProvisioningFlowSets/...`) and of the Microsoft identity
//! platform's token endpoint (client credentials, device code, refresh token), with an admin API
//! for tests under `/_emulator/`.
//!
//! It is written from the Graph documentation (`shared/graph-api.md`), independently of the
//! operator's own Graph types, so that one naming mistake cannot pass on both sides.

pub mod admin;
pub mod cli;
pub mod clock;
pub mod config;
pub mod context;
pub mod faults;
pub mod graph;
pub mod identity;
pub mod intercept;
pub mod journal;
pub mod odata;
pub mod server;
pub mod state;
pub mod tls;

pub use admin::client::{AdminClient, AdminError};
pub use admin::model::{
    ClientSummary, DeviceCodeApproval, DeviceCodeSummary, FlowSetSnapshot, FlowSnapshot,
    ReadinessOverride, ReadinessScript, RefreshTokenRevocation, SeedFlow, SeedFlowSet,
    StateSnapshot,
};
pub use config::{
    ClientRegistration, EmulatorConfig, FEDERATED_AUDIENCE, FederatedCredential, ROLE_READ_ALL,
    ROLE_READ_WRITE_ALL, ReadinessStep, Settings, SettingsPatch,
};
pub use faults::{FaultRule, FaultRuleStatus, FaultTarget, RetryAfterFormat};
pub use identity::grants::RefreshTokenSummary;
pub use journal::JournalEntry;
pub use server::{Emulator, EmulatorError};
