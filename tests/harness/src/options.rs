//! How the operator under test is configured: the knobs a test may turn, and the tenant and
//! application the emulator registers for it.

use std::time::Duration;

use graph::Credential;
use graph_emulator::Settings;
use sds_operator::crd::{CredentialGrantSpec, DeletionPolicy};

/// The tenant the emulator serves.
pub const TENANT: &str = "6babcaad-604b-40ac-a9d7-9fd97c0b779f";
/// The application registered in [`TENANT`], with the roles of [`Options::roles`].
pub const CLIENT_ID: &str = "b5e7f8a3-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
/// The client secret of [`CLIENT_ID`]; also the operator's own credential by default.
pub const CLIENT_SECRET: &str = "s3cr3t~value-for-tests-only";

/// Knobs a test may turn before the operator starts.
#[derive(Debug, Clone)]
pub struct Options {
    /// The emulator's behaviour (default: flows ready at once).
    pub emulator: Settings,
    /// How often a settled flow is read from Graph again (`SDS_RESYNC_PERIOD`).
    pub resync_period: Duration,
    /// How often a flow is read while a change is expected (`SDS_POLL_INTERVAL`).
    pub poll_interval: Duration,
    /// How long without a successful Graph read before Ready turns Unknown
    /// (`SDS_FRESHNESS_WINDOW`).
    pub freshness_window: Duration,
    /// Shortest time between two resets of one flow.
    pub min_reset_interval: Duration,
    /// The deletion policy of resources that name none.
    pub default_deletion_policy: DeletionPolicy,
    /// Roles of the registered application.
    pub roles: Vec<&'static str>,
    /// Resources the controller reconciles at once.
    pub concurrency: u16,
    /// Limit of one Graph or token request.
    pub graph_timeout: Duration,
    /// Run the controller in-process; off when the test runs the binary itself
    /// ([`OperatorProcess`](crate::OperatorProcess)).
    pub in_process: bool,
    /// Watch every namespace, not only the test's (for tests across namespaces, in a test binary
    /// of their own: other tests' resources would be seen too).
    pub watch_all_namespaces: bool,
    /// The CredentialGrant written for the test, named after its namespace, before the operator
    /// starts (default: [`Options::grant_everything`]); `None` writes none.
    pub grant: Option<CredentialGrantSpec>,
    /// The operator's own credential (default: the registered application's client secret).
    pub default_credential: Option<Credential>,
}

impl Options {
    /// A grant of every operation on every flow set to the test's namespace (written with the
    /// namespace's name filled in).
    pub fn grant_everything() -> CredentialGrantSpec {
        Self::grant(
            serde_json::json!({"all": true}),
            &["Observe", "Manage", "Adopt", "Reset", "Delete"],
        )
    }

    /// A grant to the test's namespace of `operations` on `flow_sets` (`{"ids": [...]}` or
    /// `{"all": true}`).
    pub fn grant(flow_sets: serde_json::Value, operations: &[&str]) -> CredentialGrantSpec {
        serde_json::from_value(serde_json::json!({
            "namespaces": {"names": []},
            "flowSets": flow_sets,
            "operations": operations,
        }))
        .expect("a grant")
    }

    /// The defaults, with settled resources read again every second.
    pub fn resyncing_every_second() -> Self {
        Self {
            resync_period: Duration::from_secs(1),
            ..Self::default()
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            emulator: Settings {
                readiness_delay_ms: 0,
                ..Settings::default()
            },
            resync_period: Duration::from_secs(3600),
            poll_interval: Duration::from_millis(500),
            freshness_window: Duration::from_secs(900),
            min_reset_interval: Duration::ZERO,
            default_deletion_policy: DeletionPolicy::Orphan,
            roles: vec![graph_emulator::ROLE_READ_WRITE_ALL],
            concurrency: 4,
            graph_timeout: Duration::from_secs(10),
            in_process: true,
            watch_all_namespaces: false,
            grant: Some(Self::grant_everything()),
            default_credential: None,
        }
    }
}
