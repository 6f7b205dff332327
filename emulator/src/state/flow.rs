//! Provisioning flows: their types, stored properties and readiness.

use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value};

use crate::config::ReadinessStep;

/// The four concrete `provisioningFlow` subtypes (graph-api.md §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowKind {
    AdministrativeUnit,
    ClassGroup,
    SecurityGroup,
    User,
}

const NAMESPACE: &str = "microsoft.graph.industryData.";

/// The abstract base type, which cannot be created.
pub const ABSTRACT_FLOW_TYPE: &str = "microsoft.graph.industryData.provisioningFlow";

impl FlowKind {
    pub const ALL: [FlowKind; 4] = [
        FlowKind::AdministrativeUnit,
        FlowKind::ClassGroup,
        FlowKind::SecurityGroup,
        FlowKind::User,
    ];

    /// The type name without namespace, e.g. `securityGroupProvisioningFlow`.
    pub fn short_name(self) -> &'static str {
        match self {
            FlowKind::AdministrativeUnit => "administrativeUnitProvisioningFlow",
            FlowKind::ClassGroup => "classGroupProvisioningFlow",
            FlowKind::SecurityGroup => "securityGroupProvisioningFlow",
            FlowKind::User => "userProvisioningFlow",
        }
    }

    /// The `@odata.type` value as responses carry it (with `#`).
    pub fn odata_type(self) -> String {
        format!("#{NAMESPACE}{}", self.short_name())
    }

    /// Resolves an `@odata.type` value given with or without `#`.
    pub fn from_odata_type(value: &str) -> Option<FlowKind> {
        let name = value.strip_prefix('#').unwrap_or(value);
        let short = name.strip_prefix(NAMESPACE)?;
        FlowKind::ALL
            .into_iter()
            .find(|kind| kind.short_name() == short)
    }

    /// Writable top-level properties of this type.
    pub fn writable_properties(self) -> &'static [&'static str] {
        match self {
            FlowKind::AdministrativeUnit | FlowKind::SecurityGroup => &["creationOptions"],
            FlowKind::ClassGroup => &["configuration"],
            FlowKind::User => &[
                "createUnmatchedUsers",
                "managementOptions",
                "creationOptions",
            ],
        }
    }
}

/// Values of the `readinessStatus` evolvable enum up to and including its sentinel.
pub const KNOWN_READINESS: [&str; 6] = [
    "notReady",
    "ready",
    "failed",
    "disabled",
    "expired",
    "unknownFutureValue",
];

/// How a flow's `readinessStatus` is decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// `notReady` until the readiness delay has passed since `since`, then `ready`.
    Automatic { since: Timestamp },
    /// Pinned by the admin API to this value until the next reset or un-pinning.
    Forced(String),
    /// Following a script from `since`.
    Scripted {
        since: Timestamp,
        steps: Vec<ReadinessStep>,
    },
}

impl Readiness {
    /// The stored value at `now` (computed lazily, so no timers are needed).
    pub fn status(&self, now: Timestamp, delay_ms: u64) -> String {
        match self {
            Readiness::Forced(value) => value.clone(),
            Readiness::Scripted { since, steps } => {
                let mut elapsed =
                    u64::try_from(now.duration_since(*since).as_millis()).unwrap_or(0);
                for step in steps {
                    match step.for_ms {
                        Some(length) if elapsed >= length => elapsed -= length,
                        _ => return step.status.clone(),
                    }
                }
                steps
                    .last()
                    .map_or_else(|| "ready".to_owned(), |step| step.status.clone())
            }
            Readiness::Automatic { since } => {
                let delay =
                    SignedDuration::from_millis(i64::try_from(delay_ms).unwrap_or(i64::MAX));
                if now.duration_since(*since) >= delay {
                    "ready".to_owned()
                } else {
                    "notReady".to_owned()
                }
            }
        }
    }
}

/// One provisioning flow inside a flow set.
#[derive(Debug, Clone)]
pub struct Flow {
    pub id: String,
    pub kind: FlowKind,
    /// Writable properties, stored with canonical names.
    pub properties: Map<String, Value>,
    pub created: Timestamp,
    pub modified: Timestamp,
    pub readiness: Readiness,
    /// GETs of this flow that still answer 404 (simulated eventual consistency).
    pub hidden_reads: u32,
    /// The readiness script of this flow alone (admin API); empty: the settings' script.
    pub script: Vec<ReadinessStep>,
}

impl Flow {
    pub fn new(id: String, kind: FlowKind, properties: Map<String, Value>, now: Timestamp) -> Self {
        Self {
            id,
            kind,
            properties,
            created: now,
            modified: now,
            readiness: Readiness::Automatic { since: now },
            hidden_reads: 0,
            script: Vec::new(),
        }
    }

    /// Starts the readiness cycle from `now`, as creation and a reset do: this flow's own
    /// script, else `default_script` (the settings'), else the automatic cycle.
    pub fn restart_readiness(&mut self, now: Timestamp, default_script: &[ReadinessStep]) {
        let steps = if self.script.is_empty() {
            default_script
        } else {
            &self.script
        };
        self.readiness = if steps.is_empty() {
            Readiness::Automatic { since: now }
        } else {
            Readiness::Scripted {
                since: now,
                steps: steps.to_vec(),
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odata_type_resolves_with_or_without_hash() {
        let full = "#microsoft.graph.industryData.securityGroupProvisioningFlow";
        assert_eq!(
            FlowKind::from_odata_type(full),
            Some(FlowKind::SecurityGroup)
        );
        assert_eq!(
            FlowKind::from_odata_type(&full[1..]),
            Some(FlowKind::SecurityGroup)
        );
        assert_eq!(FlowKind::from_odata_type(ABSTRACT_FLOW_TYPE), None);
        assert_eq!(FlowKind::SecurityGroup.odata_type(), full);
    }

    #[test]
    fn readiness_turns_ready_after_the_delay() {
        let since: Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
        let readiness = Readiness::Automatic { since };
        assert_eq!(readiness.status(since, 1_000), "notReady");
        let later = since + SignedDuration::from_secs(1);
        assert_eq!(readiness.status(later, 1_000), "ready");
        assert_eq!(readiness.status(since, 0), "ready");
    }

    #[test]
    fn a_script_runs_its_steps_and_stays_at_the_last() {
        let since: Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
        let readiness = Readiness::Scripted {
            since,
            steps: vec![
                ReadinessStep::lasting("notReady", 1_000),
                ReadinessStep::lasting("ready", 1_000),
                ReadinessStep::steady("expired"),
            ],
        };
        let at = |ms: i64| readiness.status(since + SignedDuration::from_millis(ms), 0);
        assert_eq!(at(0), "notReady");
        assert_eq!(at(1_500), "ready");
        assert_eq!(at(2_000), "expired");
        assert_eq!(at(3_600_000), "expired");
    }
}
