//! Request bodies against the metadata's types (`model.rs`): JSON shapes, `@odata.type`,
//! read-only, unknown and missing non-nullable members, enum values, role-group binds. Property
//! names are case-sensitive unless lenient casing is on. A valid body comes back normalised:
//! canonical names, known codes in their spelling, binds resolved, and no annotation but the
//! `@odata.type` of values of derived types.

use serde_json::{Map, Value};

use super::model::{self, ComplexType, NAMESPACE, Shape};
use crate::odata::GraphError;
use crate::state::directory::RoleGroup;
use crate::state::flow::{ABSTRACT_FLOW_TYPE, FlowKind};

const ODATA_TYPE: &str = "@odata.type";
const BIND: &str = "@odata.bind";
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

    fn lenient(self) -> bool {
        self == Casing::Lenient
    }
}

/// What a body is checked against besides the types: the casing rule and the role groups that
/// binds may name.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub casing: Casing,
    pub role_groups: &'a [RoleGroup],
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

/// Validates a flow-set body; `displayName` is required on create (non-nullable) and on update
/// (documented).
pub fn flow_set(body: &[u8], casing: Casing) -> Result<FlowSetInput, GraphError> {
    let mut map = object(body)?;
    if let Some(value) = map.remove(ODATA_TYPE) {
        expect_type(&value, model::FLOW_SET.name)?;
    }
    for name in map.keys() {
        if let Some(read_only_name) = bind(name, &FLOW_SET_READ_ONLY, casing) {
            return Err(read_only(read_only_name));
        }
        if name == "provisioningFlows" {
            return Err(GraphError::bad_request(
                "Creating provisioning flows inside a flow-set body (deep insert) is not supported; create them under provisioningFlows.",
            ));
        }
    }
    let rules = Rules {
        casing,
        role_groups: &[],
    };
    let properties = complex(&model::FLOW_SET, map, "", rules)?;
    if let Some(missing) = missing_member(&model::FLOW_SET, &properties, "") {
        return Err(missing);
    }
    let display_name = match properties.get("displayName") {
        Some(Value::String(text)) if !text.trim().is_empty() => text.clone(),
        Some(_) => {
            return Err(GraphError::bad_request(
                "The property 'displayName' must be a non-empty string.",
            ));
        }
        None => {
            return Err(GraphError::bad_request(
                "The property 'displayName' is required.",
            ));
        }
    };
    Ok(FlowSetInput {
        display_name: Some(display_name),
        filter: properties.get("filter").map(|filter| match filter {
            Value::Null => None,
            filter => Some(filter.clone()),
        }),
    })
}

/// A validated flow body: its type and writable properties under canonical names.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowInput {
    pub kind: FlowKind,
    pub properties: Map<String, Value>,
}

/// Validates a flow-create body, which must name a concrete type and carry every non-nullable
/// member.
pub fn flow_create(body: &[u8], rules: Rules<'_>) -> Result<FlowInput, GraphError> {
    let mut map = object(body)?;
    let kind = match map.remove(ODATA_TYPE) {
        None => {
            return Err(GraphError::bad_request(format!(
                "The '@odata.type' annotation is required because '{ABSTRACT_FLOW_TYPE}' is abstract; name a concrete derived type."
            )));
        }
        Some(value) => flow_kind(&value)?,
    };
    let properties = flow_properties(map, kind, rules)?;
    if let Some(missing) = missing_member(model::flow_type(kind), &properties, "") {
        return Err(missing);
    }
    Ok(FlowInput { kind, properties })
}

/// Validates a flow-update body against the existing flow's type: the type's main member must
/// be there; members a complex value leaves out keep their stored values (`merge`).
pub fn flow_update(
    body: &[u8],
    kind: FlowKind,
    rules: Rules<'_>,
) -> Result<Map<String, Value>, GraphError> {
    let mut map = object(body)?;
    if let Some(value) = map.remove(ODATA_TYPE)
        && flow_kind(&value)? != kind
    {
        return Err(GraphError::bad_request(format!(
            "The '@odata.type' value {value} does not match the type of the flow, '{}'.",
            kind.odata_type()
        )));
    }
    let properties = flow_properties(map, kind, rules)?;
    let main = model::main_member(kind);
    if !properties.contains_key(main) {
        return Err(GraphError::bad_request(format!(
            "The property '{main}' is required."
        )));
    }
    Ok(properties)
}

/// Merges a validated update into a flow's stored properties: complex values member by member
/// (emulator policy), everything else replaced; then checks that nothing non-nullable is missing.
pub fn merge_update(
    kind: FlowKind,
    stored: &Map<String, Value>,
    changes: Map<String, Value>,
) -> Result<Map<String, Value>, GraphError> {
    let ty = model::flow_type(kind);
    let mut merged = stored.clone();
    for (name, change) in changes {
        let shape = ty.member(&name, false).map(|member| &member.shape);
        match (merged.get_mut(&name), shape) {
            (Some(old), Some(Shape::Complex(complex))) => merge_complex(old, change, complex),
            _ => {
                merged.insert(name, change);
            }
        }
    }
    match missing_member(ty, &merged, "") {
        Some(missing) => Err(missing),
        None => Ok(merged),
    }
}

fn merge_complex(old: &mut Value, change: Value, ty: &ComplexType) {
    let (Value::Object(old), Value::Object(change)) = (&mut *old, &change) else {
        *old = change;
        return;
    };
    for (name, value) in change {
        let shape = ty.member(name, false).map(|member| &member.shape);
        match (old.get_mut(name), shape) {
            (Some(existing), Some(Shape::Complex(inner))) => {
                merge_complex(existing, value.clone(), inner);
            }
            _ => {
                old.insert(name.clone(), value.clone());
            }
        }
    }
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
    rules: Rules<'_>,
) -> Result<Map<String, Value>, GraphError> {
    for name in map.keys() {
        if let Some(read_only_name) = bind(name, &FLOW_READ_ONLY, rules.casing) {
            return Err(read_only(read_only_name));
        }
    }
    complex(model::flow_type(kind), map, "", rules)
}

/// The members of `map` checked against `ty`; a member left out is not an error here (see
/// [`missing_member`]).
fn complex(
    ty: &ComplexType,
    map: Map<String, Value>,
    path: &str,
    rules: Rules<'_>,
) -> Result<Map<String, Value>, GraphError> {
    let mut checked = Map::new();
    for (name, value) in map {
        if let Some(navigation) = name.strip_suffix(BIND) {
            let member = ty
                .member(navigation, rules.casing.lenient())
                .filter(|member| matches!(member.shape, Shape::RoleGroup))
                .ok_or_else(|| unknown_property(&name, ty.name))?;
            checked.insert(
                member.name.to_owned(),
                role_group_bind(&value, &at(path, member.name), rules)?,
            );
            continue;
        }
        if name.starts_with('@') {
            continue;
        }
        let member = ty
            .member(&name, rules.casing.lenient())
            .ok_or_else(|| unknown_property(&name, ty.name))?;
        let path = at(path, member.name);
        if let Shape::RoleGroup = member.shape {
            return Err(GraphError::bad_request(format!(
                "The navigation property '{path}' is set with '{}{BIND}' and the role group's URL.",
                member.name
            )));
        }
        let value = match value {
            Value::Null if member.required => {
                return Err(GraphError::bad_request(format!(
                    "The property '{path}' cannot be null: it is non-nullable on type '{NAMESPACE}.{}'.",
                    ty.name
                )));
            }
            Value::Null => Value::Null,
            value => shaped(&member.shape, value, &path, rules)?,
        };
        checked.insert(member.name.to_owned(), value);
    }
    Ok(checked)
}

fn shaped(shape: &Shape, value: Value, path: &str, rules: Rules<'_>) -> Result<Value, GraphError> {
    match (shape, value) {
        (Shape::Boolean, value @ Value::Bool(_)) | (Shape::String, value @ Value::String(_)) => {
            Ok(value)
        }
        (Shape::Enum(enumeration), Value::String(text)) => {
            if enumeration.members.contains(&text.as_str()) {
                Ok(Value::String(text))
            } else {
                Err(GraphError::bad_request(format!(
                    "The value '{text}' of '{path}' is not valid for the enum '{NAMESPACE}.{}'.",
                    enumeration.name
                )))
            }
        }
        (Shape::Code(known), Value::String(text)) => Ok(Value::String(
            known
                .iter()
                .find(|code| code.eq_ignore_ascii_case(&text))
                .map_or(text, |code| (*code).to_owned()),
        )),
        (Shape::Complex(ty), Value::Object(map)) => {
            Ok(Value::Object(complex(ty, map, path, rules)?))
        }
        (Shape::Abstract { base, derived }, Value::Object(mut map)) => {
            let named = map.remove(ODATA_TYPE);
            let ty = named
                .as_ref()
                .and_then(Value::as_str)
                .map(|name| name.trim_start_matches('#'))
                .and_then(|name| {
                    derived
                        .iter()
                        .find(|ty| name == format!("{NAMESPACE}.{}", ty.name))
                })
                .ok_or_else(|| {
                    let names: Vec<String> = derived
                        .iter()
                        .map(|ty| format!("#{NAMESPACE}.{}", ty.name))
                        .collect();
                    GraphError::bad_request(format!(
                        "The property '{path}' needs '@odata.type' naming one of {} because its type '{NAMESPACE}.{base}' is abstract.",
                        names.join(", ")
                    ))
                })?;
            let mut checked = Map::new();
            checked.insert(
                ODATA_TYPE.to_owned(),
                Value::String(format!("#{NAMESPACE}.{}", ty.name)),
            );
            checked.extend(complex(ty, map, path, rules)?);
            Ok(Value::Object(checked))
        }
        (Shape::Collection(item), Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(index, value)| match value {
                Value::Null => Err(GraphError::bad_request(format!(
                    "The collection '{path}' cannot hold null (item {index})."
                ))),
                value => shaped(item, value, &format!("{path}[{index}]"), rules),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        (shape, value) => Err(GraphError::bad_request(format!(
            "The property '{path}' must be {}, not {}.",
            expected(shape),
            json_kind(&value)
        ))),
    }
}

/// `{"id": ...}` for a `roleGroup@odata.bind` naming a role group that exists.
fn role_group_bind(value: &Value, path: &str, rules: Rules<'_>) -> Result<Value, GraphError> {
    let url = value.as_str().ok_or_else(|| {
        GraphError::bad_request(format!("'{path}{BIND}' must be the role group's URL."))
    })?;
    let id = url
        .rsplit_once("/roleGroups/")
        .map(|(_, id)| id.trim_end_matches('/'))
        .or_else(|| {
            url.rsplit_once("/roleGroups('")
                .and_then(|(_, rest)| rest.strip_suffix("')"))
        })
        .filter(|id| !id.is_empty() && !id.contains('/'))
        .ok_or_else(|| {
            GraphError::bad_request(format!(
                "'{path}{BIND}' must be the URL of a role group, .../external/industryData/roleGroups/{{id}}; got '{url}'."
            ))
        })?;
    if !rules
        .role_groups
        .iter()
        .any(|group| group.id.eq_ignore_ascii_case(id))
    {
        return Err(GraphError::bad_request(format!(
            "'{path}{BIND}' names the role group '{id}', which does not exist."
        )));
    }
    let mut reference = Map::new();
    reference.insert("id".to_owned(), Value::String(id.to_owned()));
    Ok(Value::Object(reference))
}

/// The first non-nullable member that `map` (of type `ty`), or any value inside it, leaves out.
fn missing_member(ty: &ComplexType, map: &Map<String, Value>, path: &str) -> Option<GraphError> {
    ty.members.iter().find_map(|member| {
        let path = at(path, member.name);
        match map.get(member.name) {
            None if member.required => Some(GraphError::bad_request(format!(
                "The property '{path}' is required: it is non-nullable on type '{NAMESPACE}.{}'.",
                ty.name
            ))),
            Some(value) => missing_in(&member.shape, value, &path),
            None => None,
        }
    })
}

fn missing_in(shape: &Shape, value: &Value, path: &str) -> Option<GraphError> {
    match (shape, value) {
        (Shape::Complex(ty), Value::Object(map)) => missing_member(ty, map, path),
        (Shape::Abstract { derived, .. }, Value::Object(map)) => {
            let named = map.get(ODATA_TYPE).and_then(Value::as_str)?;
            let ty = derived
                .iter()
                .find(|ty| named.ends_with(&format!(".{}", ty.name)))?;
            missing_member(ty, map, path)
        }
        (Shape::Collection(item), Value::Array(items)) => items
            .iter()
            .enumerate()
            .find_map(|(index, value)| missing_in(item, value, &format!("{path}[{index}]"))),
        _ => None,
    }
}

fn at(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn expected(shape: &Shape) -> String {
    match shape {
        Shape::Boolean => "a boolean (true or false)".to_owned(),
        Shape::String | Shape::Code(_) => "a string".to_owned(),
        Shape::Enum(enumeration) => format!("a member of '{NAMESPACE}.{}'", enumeration.name),
        Shape::Complex(ty) => format!("an object of type '{NAMESPACE}.{}'", ty.name),
        Shape::Abstract { base, .. } => {
            format!("an object of a type derived from '{NAMESPACE}.{base}'")
        }
        Shape::Collection(_) => "an array".to_owned(),
        Shape::RoleGroup => "a role group".to_owned(),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn bind(name: &str, known: &[&'static str], casing: Casing) -> Option<&'static str> {
    known.iter().copied().find(|k| match casing {
        Casing::Strict => *k == name,
        Casing::Lenient => k.eq_ignore_ascii_case(name),
    })
}

fn expect_type(value: &Value, expected: &str) -> Result<(), GraphError> {
    match value.as_str().map(|v| v.trim_start_matches('#')) {
        Some(name) if name == format!("{NAMESPACE}.{expected}") => Ok(()),
        _ => Err(GraphError::bad_request(format!(
            "The '@odata.type' value {value} is not valid here; expected '#{NAMESPACE}.{expected}'."
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
        "The property '{name}' does not exist on type '{NAMESPACE}.{type_name}'. Make sure to only use property names that are defined by the type or mark the type as open type."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SG: &str =
        r#""@odata.type":"microsoft.graph.industryData.securityGroupProvisioningFlow""#;

    fn rules(casing: Casing) -> Rules<'static> {
        Rules {
            casing,
            role_groups: &[],
        }
    }

    #[test]
    fn miscased_option_is_rejected_unless_lenient() {
        let body = format!(
            r#"{{{SG},"creationOptions":{{"createBasedOnroleGroup":true,"createBasedOnOrgPlusRoleGroup":false}}}}"#
        );
        let error = flow_create(body.as_bytes(), rules(Casing::Strict)).unwrap_err();
        assert!(
            error.message.contains("'createBasedOnroleGroup'"),
            "{}",
            error.message
        );
        let input = flow_create(body.as_bytes(), rules(Casing::Lenient)).unwrap();
        assert_eq!(
            input.properties["creationOptions"]["createBasedOnRoleGroup"],
            true
        );
    }

    #[test]
    fn type_and_read_only_rules() {
        assert!(flow_create(br#"{"creationOptions":{}}"#, rules(Casing::Strict)).is_err());
        let abstract_type =
            br##"{"@odata.type":"#microsoft.graph.industryData.provisioningFlow"}"##;
        assert!(flow_create(abstract_type, rules(Casing::Strict)).is_err());
        let body = format!(r#"{{{SG},"readinessStatus":"ready"}}"#);
        let error = flow_create(body.as_bytes(), rules(Casing::Strict)).unwrap_err();
        assert!(error.message.contains("read-only"));
    }

    #[test]
    fn flow_set_needs_display_name_and_valid_filter() {
        assert!(flow_set(br#"{}"#, Casing::Strict).is_err());
        let input = flow_set(
            br#"{"displayName":"x","filter":{"@odata.type":"microsoft.graph.industryData.basicFilter","attribute":"orgExternalId","in":["a"]}}"#,
            Casing::Strict,
        )
        .unwrap();
        let filter = input.filter.unwrap().unwrap();
        assert_eq!(
            filter["@odata.type"],
            "#microsoft.graph.industryData.basicFilter"
        );
        assert!(
            flow_set(
                br#"{"displayName":"x","filter":{"attribute":"orgExternalId"}}"#,
                Casing::Strict
            )
            .is_err()
        );
    }
}
