//! Request-body validation for flow sets and flows: JSON shape, `@odata.type`, read-only and
//! unknown properties. Property names are case-sensitive unless lenient casing is on.

use serde_json::{Map, Value};

use crate::odata::GraphError;
use crate::state::flow::{ABSTRACT_FLOW_TYPE, FlowKind};

const ODATA_TYPE: &str = "@odata.type";
const FLOW_SET_TYPE: &str = "microsoft.graph.industryData.outboundProvisioningFlowSet";
const BASIC_FILTER_TYPE: &str = "microsoft.graph.industryData.basicFilter";
const FLOW_READ_ONLY: [&str; 4] = [
    "id",
    "createdDateTime",
    "lastModifiedDateTime",
    "readinessStatus",
];
const FLOW_SET_READ_ONLY: [&str; 3] = ["id", "createdDateTime", "lastModifiedDateTime"];

/// Whether property names bind exactly or case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Casing {
    Strict,
    Lenient,
}

impl Casing {
    pub fn from_lenient(lenient: bool) -> Self {
        if lenient {
            Casing::Lenient
        } else {
            Casing::Strict
        }
    }

    /// The canonical name among `known` that `name` binds to.
    fn bind(self, name: &str, known: &[&'static str]) -> Option<&'static str> {
        known.iter().copied().find(|k| match self {
            Casing::Strict => *k == name,
            Casing::Lenient => k.eq_ignore_ascii_case(name),
        })
    }
}

/// Parses a body that must be a JSON object.
pub fn object(body: &[u8]) -> Result<Map<String, Value>, GraphError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(GraphError::bad_request(
            "The request body is empty; a JSON object is required.",
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(GraphError::bad_request(
            "The request body must be a JSON object.",
        )),
        Err(error) => Err(GraphError::bad_request(format!(
            "Invalid JSON in the request body: {error}."
        ))),
    }
}

/// Writable fields of a flow set found in a body; `filter: Some(None)` means explicit null.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlowSetInput {
    pub display_name: Option<String>,
    pub filter: Option<Option<Value>>,
}

/// Validates a flow-set body; `displayName` is required on create (emulator policy) and on
/// update (documented).
pub fn flow_set(body: &[u8]) -> Result<FlowSetInput, GraphError> {
    let map = object(body)?;
    let mut input = FlowSetInput::default();
    for (name, value) in map {
        if name == ODATA_TYPE {
            expect_type(&value, FLOW_SET_TYPE)?;
        } else if FLOW_SET_READ_ONLY.contains(&name.as_str()) {
            return Err(read_only(&name));
        } else if name == "displayName" {
            let text = value
                .as_str()
                .filter(|text| !text.trim().is_empty())
                .ok_or_else(|| {
                    GraphError::bad_request(
                        "The property 'displayName' must be a non-empty string.",
                    )
                })?;
            input.display_name = Some(text.to_owned());
        } else if name == "filter" {
            input.filter = Some(filter(value)?);
        } else if name == "provisioningFlows" {
            return Err(GraphError::bad_request(
                "Creating provisioning flows inside a flow-set body (deep insert) is not supported; create them under provisioningFlows.",
            ));
        } else if !name.starts_with('@') {
            return Err(unknown_property(&name, FLOW_SET_TYPE));
        }
    }
    if input.display_name.is_none() {
        return Err(GraphError::bad_request(
            "The property 'displayName' is required.",
        ));
    }
    Ok(input)
}

fn filter(value: Value) -> Result<Option<Value>, GraphError> {
    let map = match value {
        Value::Null => return Ok(None),
        Value::Object(map) => map,
        _ => {
            return Err(GraphError::bad_request(
                "The property 'filter' must be an object or null.",
            ));
        }
    };
    let odata_type = map.get(ODATA_TYPE).ok_or_else(|| {
        GraphError::bad_request(
            "The 'filter' property needs '@odata.type' because its type is abstract.",
        )
    })?;
    expect_type(odata_type, BASIC_FILTER_TYPE)?;
    let mut normalized = Map::new();
    normalized.insert(
        ODATA_TYPE.to_owned(),
        Value::String(format!("#{BASIC_FILTER_TYPE}")),
    );
    for (name, value) in map {
        match name.as_str() {
            ODATA_TYPE => {}
            "attribute" => {
                if !matches!(value.as_str(), Some("orgExternalId" | "unknownFutureValue")) {
                    return Err(GraphError::bad_request(format!(
                        "The value {value} is not valid for the enum 'microsoft.graph.industryData.filterOptions'."
                    )));
                }
                normalized.insert(name, value);
            }
            "in" => {
                let all_strings = value
                    .as_array()
                    .is_some_and(|items| items.iter().all(Value::is_string));
                if !all_strings {
                    return Err(GraphError::bad_request(
                        "The property 'in' must be an array of strings.",
                    ));
                }
                normalized.insert(name, value);
            }
            _ => return Err(unknown_property(&name, BASIC_FILTER_TYPE)),
        }
    }
    Ok(Some(Value::Object(normalized)))
}

/// A validated flow body: its type and writable properties under canonical names.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowInput {
    pub kind: FlowKind,
    pub properties: Map<String, Value>,
}

/// Validates a flow-create body, which must name a concrete type.
pub fn flow_create(body: &[u8], casing: Casing) -> Result<FlowInput, GraphError> {
    let map = object(body)?;
    let kind = match map.get(ODATA_TYPE) {
        None => {
            return Err(GraphError::bad_request(format!(
                "The '@odata.type' annotation is required because '{ABSTRACT_FLOW_TYPE}' is abstract; name a concrete derived type."
            )));
        }
        Some(value) => flow_kind(value)?,
    };
    let properties = flow_properties(map, kind, casing)?;
    Ok(FlowInput { kind, properties })
}

/// Validates a flow-update body against the existing flow's type.
pub fn flow_update(
    body: &[u8],
    kind: FlowKind,
    casing: Casing,
) -> Result<Map<String, Value>, GraphError> {
    let map = object(body)?;
    if let Some(value) = map.get(ODATA_TYPE)
        && flow_kind(value)? != kind
    {
        return Err(GraphError::bad_request(format!(
            "The '@odata.type' value {value} does not match the type of the flow, '{}'.",
            kind.odata_type()
        )));
    }
    let properties = flow_properties(map, kind, casing)?;
    if kind == FlowKind::SecurityGroup && !properties.contains_key("creationOptions") {
        return Err(GraphError::bad_request(
            "The property 'creationOptions' is required.",
        ));
    }
    Ok(properties)
}

fn flow_kind(value: &Value) -> Result<FlowKind, GraphError> {
    let name = value
        .as_str()
        .ok_or_else(|| GraphError::bad_request("The '@odata.type' annotation must be a string."))?;
    if name.trim_start_matches('#') == ABSTRACT_FLOW_TYPE {
        return Err(GraphError::bad_request(format!(
            "Cannot create an instance of the abstract type '{ABSTRACT_FLOW_TYPE}'; name a concrete derived type."
        )));
    }
    FlowKind::from_odata_type(name).ok_or_else(|| {
        GraphError::bad_request(format!(
            "A type named '{name}' could not be resolved by the model. When a model is available, each type name must resolve to a valid type."
        ))
    })
}

fn flow_properties(
    map: Map<String, Value>,
    kind: FlowKind,
    casing: Casing,
) -> Result<Map<String, Value>, GraphError> {
    let type_name = kind.odata_type();
    let type_name = type_name.trim_start_matches('#');
    let mut properties = Map::new();
    for (name, value) in map {
        if name.starts_with('@') {
            continue;
        }
        if let Some(read_only_name) = casing.bind(&name, &FLOW_READ_ONLY) {
            return Err(read_only(read_only_name));
        }
        let canonical = casing
            .bind(&name, kind.writable_properties())
            .ok_or_else(|| unknown_property(&name, type_name))?;
        let value = flow_property(kind, canonical, value, casing)?;
        properties.insert(canonical.to_owned(), value);
    }
    Ok(properties)
}

/// Per-property checks: strict for the boolean option types, light for the rest.
fn flow_property(
    kind: FlowKind,
    name: &str,
    value: Value,
    casing: Casing,
) -> Result<Value, GraphError> {
    match (kind, name) {
        (FlowKind::SecurityGroup, "creationOptions") => boolean_options(
            value,
            "microsoft.graph.industryData.securityGroupCreationOptions",
            &["createBasedOnRoleGroup", "createBasedOnOrgPlusRoleGroup"],
            casing,
        ),
        (FlowKind::AdministrativeUnit, "creationOptions") => boolean_options(
            value,
            "microsoft.graph.industryData.adminUnitCreationOptions",
            &["createBasedOnOrg", "createBasedOnOrgPlusRoleGroup"],
            casing,
        ),
        (FlowKind::User, "createUnmatchedUsers") if !value.is_boolean() => Err(
            GraphError::bad_request("The property 'createUnmatchedUsers' must be a boolean."),
        ),
        (_, _) if !(value.is_object() || value.is_boolean()) => Err(GraphError::bad_request(
            format!("The property '{name}' must be an object."),
        )),
        _ => Ok(value),
    }
}

/// A complex value made only of booleans. Absent members are left out here; the caller fills
/// them (false on create, the stored value on update).
fn boolean_options(
    value: Value,
    type_name: &str,
    known: &[&'static str],
    casing: Casing,
) -> Result<Value, GraphError> {
    let Value::Object(map) = value else {
        return Err(GraphError::bad_request(format!(
            "The property 'creationOptions' must be an object of type '{type_name}'."
        )));
    };
    let mut canonical = Map::new();
    for (name, value) in map {
        if name.starts_with('@') {
            continue;
        }
        let bound = casing
            .bind(&name, known)
            .ok_or_else(|| unknown_property(&name, type_name))?;
        if !value.is_boolean() {
            return Err(GraphError::bad_request(format!(
                "The property '{bound}' must be a boolean (true or false)."
            )));
        }
        canonical.insert(bound.to_owned(), value);
    }
    Ok(Value::Object(canonical))
}

/// Names of the boolean members of a flow's option type, for filling defaults.
pub fn boolean_option_names(kind: FlowKind) -> &'static [&'static str] {
    match kind {
        FlowKind::SecurityGroup => &["createBasedOnRoleGroup", "createBasedOnOrgPlusRoleGroup"],
        FlowKind::AdministrativeUnit => &["createBasedOnOrg", "createBasedOnOrgPlusRoleGroup"],
        FlowKind::ClassGroup | FlowKind::User => &[],
    }
}

fn expect_type(value: &Value, expected: &str) -> Result<(), GraphError> {
    match value.as_str().map(|v| v.trim_start_matches('#')) {
        Some(name) if name == expected => Ok(()),
        _ => Err(GraphError::bad_request(format!(
            "The '@odata.type' value {value} is not valid here; expected '#{expected}'."
        ))),
    }
}

fn read_only(name: &str) -> GraphError {
    GraphError::bad_request(format!(
        "The property '{name}' is read-only and cannot be set."
    ))
}

fn unknown_property(name: &str, type_name: &str) -> GraphError {
    GraphError::bad_request(format!(
        "The property '{name}' does not exist on type '{type_name}'. Make sure to only use property names that are defined by the type or mark the type as open type."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SG: &str =
        r#""@odata.type":"microsoft.graph.industryData.securityGroupProvisioningFlow""#;

    #[test]
    fn miscased_option_is_rejected_unless_lenient() {
        let body = format!(r#"{{{SG},"creationOptions":{{"createBasedOnroleGroup":true}}}}"#);
        let error = flow_create(body.as_bytes(), Casing::Strict).unwrap_err();
        assert!(
            error.message.contains("'createBasedOnroleGroup'"),
            "{}",
            error.message
        );
        let input = flow_create(body.as_bytes(), Casing::Lenient).unwrap();
        assert_eq!(
            input.properties["creationOptions"]["createBasedOnRoleGroup"],
            true
        );
    }

    #[test]
    fn type_and_read_only_rules() {
        assert!(flow_create(br#"{"creationOptions":{}}"#, Casing::Strict).is_err());
        let abstract_type =
            br##"{"@odata.type":"#microsoft.graph.industryData.provisioningFlow"}"##;
        assert!(flow_create(abstract_type, Casing::Strict).is_err());
        let body = format!(r#"{{{SG},"readinessStatus":"ready"}}"#);
        let error = flow_create(body.as_bytes(), Casing::Strict).unwrap_err();
        assert!(error.message.contains("read-only"));
    }

    #[test]
    fn flow_set_needs_display_name_and_valid_filter() {
        assert!(flow_set(br#"{}"#).is_err());
        let input = flow_set(
            br#"{"displayName":"x","filter":{"@odata.type":"microsoft.graph.industryData.basicFilter","attribute":"orgExternalId","in":["a"]}}"#,
        )
        .unwrap();
        let filter = input.filter.unwrap().unwrap();
        assert_eq!(
            filter["@odata.type"],
            "#microsoft.graph.industryData.basicFilter"
        );
        assert!(
            flow_set(br#"{"displayName":"x","filter":{"attribute":"orgExternalId"}}"#).is_err()
        );
    }
}
