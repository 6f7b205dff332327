//! The in-memory tree of flow sets and their flows, in creation order.

use jiff::Timestamp;
use serde_json::Value;

use super::flow::{Flow, FlowKind};

/// One `outboundProvisioningFlowSet`.
#[derive(Debug, Clone)]
pub struct FlowSet {
    pub id: String,
    pub display_name: String,
    pub filter: Option<Value>,
    pub created: Timestamp,
    pub modified: Timestamp,
    pub flows: Vec<Flow>,
}

impl FlowSet {
    pub fn new(id: String, display_name: String, filter: Option<Value>, now: Timestamp) -> Self {
        Self {
            id,
            display_name,
            filter,
            created: now,
            modified: now,
            flows: Vec::new(),
        }
    }

    pub fn flow(&self, id: &str) -> Option<&Flow> {
        self.flows
            .iter()
            .find(|flow| flow.id.eq_ignore_ascii_case(id))
    }

    pub fn flow_mut(&mut self, id: &str) -> Option<&mut Flow> {
        self.flows
            .iter_mut()
            .find(|flow| flow.id.eq_ignore_ascii_case(id))
    }

    /// Removes a flow; returns whether it existed.
    pub fn remove_flow(&mut self, id: &str) -> bool {
        let before = self.flows.len();
        self.flows.retain(|flow| !flow.id.eq_ignore_ascii_case(id));
        self.flows.len() != before
    }

    pub fn has_kind(&self, kind: FlowKind) -> bool {
        self.flows.iter().any(|flow| flow.kind == kind)
    }
}

/// One `roleGroup`: a grouping of SDS roles that user flows bind their creation settings to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleGroup {
    pub id: String,
    pub display_name: String,
    /// The codes of its roles.
    pub roles: Vec<String>,
}

/// All flow sets and role groups of the emulated tenant.
#[derive(Debug, Clone)]
pub struct Directory {
    pub flow_sets: Vec<FlowSet>,
    pub role_groups: Vec<RoleGroup>,
}

impl Default for Directory {
    /// No flow set; the role groups `staff` and `students`, which exist by default (the docs).
    /// Their names and roles are emulator data.
    fn default() -> Self {
        let group = |id: &str, name: &str, roles: &[&str]| RoleGroup {
            id: id.to_owned(),
            display_name: name.to_owned(),
            roles: roles.iter().map(|role| (*role).to_owned()).collect(),
        };
        Self {
            flow_sets: Vec::new(),
            role_groups: vec![
                group(
                    "staff",
                    "Staff",
                    &["teacher", "administrator", "aide", "staff"],
                ),
                group("students", "Students", &["student"]),
            ],
        }
    }
}

impl Directory {
    pub fn role_group(&self, id: &str) -> Option<&RoleGroup> {
        self.role_groups
            .iter()
            .find(|group| group.id.eq_ignore_ascii_case(id))
    }

    pub fn flow_set(&self, id: &str) -> Option<&FlowSet> {
        self.flow_sets
            .iter()
            .find(|set| set.id.eq_ignore_ascii_case(id))
    }

    pub fn flow_set_mut(&mut self, id: &str) -> Option<&mut FlowSet> {
        self.flow_sets
            .iter_mut()
            .find(|set| set.id.eq_ignore_ascii_case(id))
    }

    /// Removes a flow set and, by containment, its flows; returns whether it existed.
    pub fn remove_flow_set(&mut self, id: &str) -> bool {
        let before = self.flow_sets.len();
        self.flow_sets
            .retain(|set| !set.id.eq_ignore_ascii_case(id));
        self.flow_sets.len() != before
    }

    /// Finds a flow anywhere (flow ids are unique across sets).
    pub fn find_flow_mut(&mut self, flow_id: &str) -> Option<&mut Flow> {
        self.flow_sets
            .iter_mut()
            .find_map(|set| set.flow_mut(flow_id))
    }

    /// Removes a flow from whichever set holds it; returns whether it existed.
    pub fn remove_flow_anywhere(&mut self, flow_id: &str) -> bool {
        self.flow_sets
            .iter_mut()
            .any(|set| set.remove_flow(flow_id))
    }
}
