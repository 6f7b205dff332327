//! OData query options beyond paging, as the metadata's capability annotations allow them:
//! `$select` everywhere; `$orderby` on flow sets and flows (provisioningFlow: Sortable);
//! `$expand=provisioningFlows` on flow sets; `$filter` and `$skip` refused on flow sets
//! (Filterable false, SkipSupported false), `$count`, `$skip` and `$expand` refused on flows.
//! Whether the live service refuses or ignores an unsupported option is unconfirmed: the
//! emulator refuses it (400 naming the option), so a client that relies on one is caught.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use crate::odata::GraphError;

/// Which collection a request addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    FlowSets,
    Flows,
}

impl Target {
    fn type_name(self) -> &'static str {
        match self {
            Target::FlowSets => "microsoft.graph.industryData.outboundProvisioningFlowSet",
            Target::Flows => "microsoft.graph.industryData.provisioningFlow",
        }
    }

    fn refused(self) -> &'static [&'static str] {
        match self {
            Target::FlowSets => &["filter", "skip"],
            Target::Flows => &["count", "skip", "expand", "filter"],
        }
    }

    /// Members `$orderby` may name: the scalar ones.
    fn sortable(self) -> &'static [&'static str] {
        match self {
            Target::FlowSets => &[
                "id",
                "displayName",
                "createdDateTime",
                "lastModifiedDateTime",
            ],
            Target::Flows => &[
                "id",
                "createdDateTime",
                "lastModifiedDateTime",
                "readinessStatus",
            ],
        }
    }

    /// Members `$select` may name (besides any member of a derived flow type).
    fn selectable(self) -> &'static [&'static str] {
        match self {
            Target::FlowSets => &[
                "id",
                "displayName",
                "filter",
                "createdDateTime",
                "lastModifiedDateTime",
                "provisioningFlows",
            ],
            Target::Flows => &[
                "id",
                "createdDateTime",
                "lastModifiedDateTime",
                "readinessStatus",
                "creationOptions",
                "configuration",
                "managementOptions",
                "createUnmatchedUsers",
            ],
        }
    }
}

/// The query options of one request, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryOptions {
    select: Option<Vec<String>>,
    order_by: Option<(String, bool)>,
    /// `$expand=provisioningFlows` on flow sets.
    pub expand_flows: bool,
}

impl QueryOptions {
    /// Checks `options` (name without `$`, lower-cased; value) for `target`.
    pub fn parse(target: Target, options: &[(String, String)]) -> Result<Self, GraphError> {
        let mut parsed = QueryOptions::default();
        for (raw_name, value) in options {
            let name = raw_name
                .strip_prefix('$')
                .unwrap_or(raw_name)
                .to_ascii_lowercase();
            if target.refused().contains(&name.as_str()) {
                return Err(GraphError::bad_request(format!(
                    "The query option '${name}' is not supported on this collection of '{}'.",
                    target.type_name()
                )));
            }
            match name.as_str() {
                "select" => {
                    let fields: Vec<String> = value
                        .split(',')
                        .map(|field| field.trim().to_owned())
                        .filter(|field| !field.is_empty())
                        .collect();
                    if let Some(unknown) = fields
                        .iter()
                        .find(|field| !target.selectable().contains(&field.as_str()))
                    {
                        return Err(not_a_property(unknown, target));
                    }
                    parsed.select = Some(fields);
                }
                "orderby" => {
                    let mut words = value.split_whitespace();
                    let field = words.next().unwrap_or_default().to_owned();
                    let descending = match words.next().map(str::to_ascii_lowercase).as_deref() {
                        None | Some("asc") => false,
                        Some("desc") => true,
                        Some(other) => {
                            return Err(GraphError::bad_request(format!(
                                "'{other}' in $orderby is neither asc nor desc."
                            )));
                        }
                    };
                    if value.contains(',') || words.next().is_some() {
                        return Err(GraphError::bad_request("$orderby takes one property here."));
                    }
                    if !target.sortable().contains(&field.as_str()) {
                        return Err(not_a_property(&field, target));
                    }
                    parsed.order_by = Some((field, descending));
                }
                "expand" => {
                    if !value.eq_ignore_ascii_case("provisioningFlows") {
                        return Err(GraphError::bad_request(format!(
                            "Could not find a navigation property named '{value}' on type '{}'; only provisioningFlows can be expanded.",
                            target.type_name()
                        )));
                    }
                    parsed.expand_flows = true;
                }
                _ => {}
            }
        }
        Ok(parsed)
    }

    /// Puts rendered entities into `$orderby`'s order (stable: equal keys keep creation order).
    pub fn order(&self, entities: &mut [Map<String, Value>]) {
        let Some((field, descending)) = &self.order_by else {
            return;
        };
        entities.sort_by(|a, b| {
            let ordering = compare(a.get(field), b.get(field));
            if *descending {
                ordering.reverse()
            } else {
                ordering
            }
        });
    }

    /// Keeps only the `$select`ed members, and always `id` and `@odata.type` (as Graph does).
    pub fn select(&self, entity: &mut Map<String, Value>) {
        let Some(fields) = &self.select else {
            return;
        };
        entity.retain(|name, _| {
            name == "id"
                || name.starts_with('@')
                || fields.iter().any(|field| {
                    name == field
                        || name
                            .strip_prefix(field.as_str())
                            .is_some_and(|rest| rest.starts_with('@'))
                })
        });
    }
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (Some(Value::String(a)), Some(Value::String(b))) => a.cmp(b),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        _ => Ordering::Equal,
    }
}

fn not_a_property(name: &str, target: Target) -> GraphError {
    GraphError::bad_request(format!(
        "Could not find a property named '{name}' on type '{}'.",
        target.type_name()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn the_capabilities_decide_what_each_collection_takes() {
        assert!(QueryOptions::parse(Target::FlowSets, &options(&[("$filter", "x")])).is_err());
        assert!(QueryOptions::parse(Target::Flows, &options(&[("$count", "true")])).is_err());
        assert!(QueryOptions::parse(Target::Flows, &options(&[("$expand", "x")])).is_err());
        assert!(
            QueryOptions::parse(
                Target::FlowSets,
                &options(&[("expand", "provisioningFlows")])
            )
            .unwrap()
            .expand_flows
        );
        assert!(QueryOptions::parse(Target::Flows, &options(&[("$orderby", "colour")])).is_err());
        assert!(QueryOptions::parse(Target::Flows, &options(&[("$select", "colour")])).is_err());
    }

    #[test]
    fn select_keeps_the_id_the_type_and_the_fields_annotations() {
        let query = QueryOptions::parse(Target::Flows, &options(&[("$select", "readinessStatus")]))
            .unwrap();
        let mut entity: Map<String, Value> = serde_json::from_value(serde_json::json!({
            "@odata.type": "#t", "id": "1", "readinessStatus": "ready", "creationOptions": {},
        }))
        .unwrap();
        query.select(&mut entity);
        let kept: Vec<&str> = entity.keys().map(String::as_str).collect();
        assert_eq!(kept, ["@odata.type", "id", "readinessStatus"]);
    }
}
