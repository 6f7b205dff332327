//! Resolves `/beta/...` paths and methods to operations. Segments match case-insensitively,
//! as Graph's own docs use both `outboundProvisioningFlowSets` and `OutboundProvisioningFlowSets`.

use axum::http::Method;

use crate::odata::GraphError;

/// An addressed resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    FlowSets,
    FlowSet(String),
    Flows(String),
    Flow(String, String),
    Reset(String, String),
    RoleGroups,
    RoleGroup(String),
}

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    ListFlowSets,
    CreateFlowSet,
    GetFlowSet(String),
    UpdateFlowSet(String),
    DeleteFlowSet(String),
    ListFlows(String),
    CreateFlow(String),
    GetFlow(String, String),
    UpdateFlow(String, String),
    DeleteFlow(String, String),
    ResetFlow(String, String),
    ListRoleGroups,
    GetRoleGroup(String),
}

impl Operation {
    /// Whether the operation needs write permission.
    pub fn is_write(&self) -> bool {
        !matches!(
            self,
            Operation::ListFlowSets
                | Operation::GetFlowSet(_)
                | Operation::ListFlows(_)
                | Operation::GetFlow(..)
                | Operation::ListRoleGroups
                | Operation::GetRoleGroup(_)
        )
    }
}

const PREFIX: [&str; 2] = ["external", "industryData"];
const FLOW_SETS: &str = "outboundProvisioningFlowSets";
const ROLE_GROUPS: &str = "roleGroups";

/// Parses the path below `/beta`.
pub fn parse(path: &str) -> Result<Resource, GraphError> {
    let segments: Vec<&str> = path
        .trim_start_matches("/beta")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let mut rest = segments.iter().copied();
    let last = || unknown(segments.last().copied().unwrap_or("beta"));
    for expected in PREFIX {
        let segment = rest.next().ok_or_else(last)?;
        if !segment.eq_ignore_ascii_case(expected) {
            return Err(unknown(segment));
        }
    }
    let collection = rest.next().ok_or_else(last)?;
    let (name, key_from_parens) = split_key(collection);
    if name.eq_ignore_ascii_case(ROLE_GROUPS) {
        let remaining: Vec<&str> = rest.collect();
        return match (key_from_parens, remaining.as_slice()) {
            (None, []) => Ok(Resource::RoleGroups),
            (Some(id), []) => Ok(Resource::RoleGroup(id.to_owned())),
            (None, [id]) => Ok(Resource::RoleGroup((*id).to_owned())),
            (_, [.., extra]) => Err(unknown(extra)),
        };
    }
    if !name.eq_ignore_ascii_case(FLOW_SETS) {
        return Err(unknown(collection));
    }
    let remaining: Vec<&str> = rest.collect();
    let (set_id, remaining) = match (key_from_parens, remaining.as_slice()) {
        (Some(key), tail) => (key.to_owned(), tail.to_vec()),
        (None, []) => return Ok(Resource::FlowSets),
        (None, [id, tail @ ..]) => ((*id).to_owned(), tail.to_vec()),
    };
    match remaining.as_slice() {
        [] => Ok(Resource::FlowSet(set_id)),
        [flows] if flows.eq_ignore_ascii_case("provisioningFlows") => Ok(Resource::Flows(set_id)),
        [flows, flow_id] if flows.eq_ignore_ascii_case("provisioningFlows") => {
            Ok(Resource::Flow(set_id, (*flow_id).to_owned()))
        }
        [flows, flow_id, action] if flows.eq_ignore_ascii_case("provisioningFlows") => {
            if is_reset(action) {
                Ok(Resource::Reset(set_id, (*flow_id).to_owned()))
            } else {
                Err(unknown(action))
            }
        }
        [flows, _, _, extra, ..] if flows.eq_ignore_ascii_case("provisioningFlows") => {
            Err(unknown(extra))
        }
        [other, ..] => Err(unknown(other)),
    }
}

/// Maps a resource and method to an operation, or 405.
pub fn operation(resource: Resource, method: &Method) -> Result<Operation, GraphError> {
    let m = method.as_str();
    let op = match (resource, m) {
        (Resource::FlowSets, "GET") => Operation::ListFlowSets,
        (Resource::FlowSets, "POST") => Operation::CreateFlowSet,
        (Resource::FlowSet(id), "GET") => Operation::GetFlowSet(id),
        (Resource::FlowSet(id), "PATCH") => Operation::UpdateFlowSet(id),
        (Resource::FlowSet(id), "DELETE") => Operation::DeleteFlowSet(id),
        (Resource::Flows(set), "GET") => Operation::ListFlows(set),
        (Resource::Flows(set), "POST") => Operation::CreateFlow(set),
        (Resource::Flow(set, id), "GET") => Operation::GetFlow(set, id),
        (Resource::Flow(set, id), "PATCH") => Operation::UpdateFlow(set, id),
        (Resource::Flow(set, id), "DELETE") => Operation::DeleteFlow(set, id),
        (Resource::Reset(set, id), "POST") => Operation::ResetFlow(set, id),
        (Resource::RoleGroups, "GET") => Operation::ListRoleGroups,
        (Resource::RoleGroup(id), "GET") => Operation::GetRoleGroup(id),
        (Resource::RoleGroups | Resource::RoleGroup(_), _) => {
            return Err(GraphError::method_not_allowed(m, "GET"));
        }
        (Resource::FlowSets | Resource::Flows(_), _) => {
            return Err(GraphError::method_not_allowed(m, "GET, POST"));
        }
        (Resource::FlowSet(_) | Resource::Flow(..), _) => {
            return Err(GraphError::method_not_allowed(m, "GET, PATCH, DELETE"));
        }
        (Resource::Reset(..), _) => return Err(GraphError::method_not_allowed(m, "POST")),
    };
    Ok(op)
}

fn is_reset(segment: &str) -> bool {
    segment.eq_ignore_ascii_case("reset")
        || segment.eq_ignore_ascii_case("microsoft.graph.industryData.reset")
}

/// Splits OData key syntax: `outboundProvisioningFlowSets('id')` → (name, Some(id)).
fn split_key(segment: &str) -> (&str, Option<&str>) {
    match segment.split_once('(') {
        Some((name, rest)) => {
            let key = rest.trim_end_matches(')').trim_matches('\'');
            (name, Some(key))
        }
        None => (segment, None),
    }
}

fn unknown(segment: &str) -> GraphError {
    GraphError::bad_request(format!("Resource not found for the segment '{segment}'."))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETS: &str = "/beta/external/industryData/outboundProvisioningFlowSets";

    #[test]
    fn resolves_documented_paths_in_any_case() {
        assert_eq!(parse(SETS), Ok(Resource::FlowSets));
        assert_eq!(
            parse("/beta/External/IndustryData/OutboundProvisioningFlowSets/a/ProvisioningFlows/b"),
            Ok(Resource::Flow("a".into(), "b".into()))
        );
        assert_eq!(
            parse(&format!("{SETS}('a')/provisioningFlows")),
            Ok(Resource::Flows("a".into()))
        );
        for action in ["reset", "microsoft.graph.industryData.reset"] {
            assert_eq!(
                parse(&format!("{SETS}/a/provisioningFlows/b/{action}")),
                Ok(Resource::Reset("a".into(), "b".into()))
            );
        }
    }

    #[test]
    fn role_groups_are_under_industry_data() {
        let groups = "/beta/external/industryData/roleGroups";
        assert_eq!(parse(groups), Ok(Resource::RoleGroups));
        assert_eq!(
            parse(&format!("{groups}/staff")),
            Ok(Resource::RoleGroup("staff".into()))
        );
        assert_eq!(
            parse(&format!("{groups}('students')")),
            Ok(Resource::RoleGroup("students".into()))
        );
        assert!(parse(&format!("{groups}/staff/roles")).is_err());
    }

    #[test]
    fn names_the_unknown_segment() {
        let error = parse("/beta/external/industryData/mef").unwrap_err();
        assert_eq!(error.message, "Resource not found for the segment 'mef'.");
        let error = parse(&format!("{SETS}/a/flows")).unwrap_err();
        assert_eq!(error.message, "Resource not found for the segment 'flows'.");
    }
}
