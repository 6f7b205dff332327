//! Provisioning-flow operations under a flow set: list, create, get, update, delete, reset.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::call::Call;
use super::flow_sets::not_found as set_not_found;
use super::paging::PageQuery;
use super::render;
use super::validate::{self, Casing};
use crate::clock;
use crate::odata::{GraphError, empty_response, json_response};
use crate::state::Inner;
use crate::state::flow::{Flow, FlowKind};

pub fn list(inner: &Inner, call: &Call<'_>, set_id: &str) -> Result<Response, GraphError> {
    let query = PageQuery::parse(call.query)?;
    let set = inner
        .directory
        .flow_set(set_id)
        .ok_or_else(|| set_not_found(set_id))?;
    let (page, next) = query.page(
        &set.flows,
        inner.settings.page_size,
        &call.url_without_query(),
    );
    let delay = inner.settings.readiness_delay_ms;
    let value: Vec<Value> = page
        .iter()
        .map(|flow| Value::Object(render::flow(flow, readiness(flow, call, delay))))
        .collect();
    let mut body = json!({
        "@odata.context": render::flows_context(call.base_url, &set.id),
        "value": value,
    });
    if let Some(next) = next {
        body["@odata.nextLink"] = Value::String(next);
    }
    Ok(json_response(StatusCode::OK, &body))
}

pub fn create(inner: &mut Inner, call: &Call<'_>, set_id: &str) -> Result<Response, GraphError> {
    let casing = Casing::from_lenient(inner.settings.lenient_casing);
    let hidden_reads = inner.settings.eventual_consistency_reads;
    let delay = inner.settings.readiness_delay_ms;
    let set = inner
        .directory
        .flow_set_mut(set_id)
        .ok_or_else(|| set_not_found(set_id))?;
    let input = validate::flow_create(call.body, casing)?;
    if set.has_kind(input.kind) {
        // Emulator policy: the docs state the one-per-type rule but not its error (§3.4).
        return Err(GraphError::conflict(format!(
            "The flow set '{}' already contains a {}; a flow set may contain no more than one provisioning flow of each type.",
            set.id,
            input.kind.short_name()
        )));
    }
    let mut properties = input.properties;
    fill_boolean_defaults(input.kind, &mut properties);
    let mut flow = Flow::new(
        uuid::Uuid::new_v4().to_string(),
        input.kind,
        properties,
        call.now,
    );
    flow.hidden_reads = hidden_reads;
    let body = entity(&flow, call, &set.id, delay);
    set.flows.push(flow);
    Ok(json_response(StatusCode::CREATED, &body))
}

pub fn get(
    inner: &mut Inner,
    call: &Call<'_>,
    set_id: &str,
    flow_id: &str,
) -> Result<Response, GraphError> {
    let delay = inner.settings.readiness_delay_ms;
    let set = inner
        .directory
        .flow_set_mut(set_id)
        .ok_or_else(|| set_not_found(set_id))?;
    let set_id = set.id.clone();
    let flow = set.flow_mut(flow_id).ok_or_else(|| not_found(flow_id))?;
    if flow.hidden_reads > 0 {
        flow.hidden_reads -= 1;
        return Err(not_found(flow_id).as_fault("eventualConsistency"));
    }
    Ok(json_response(
        StatusCode::OK,
        &entity(flow, call, &set_id, delay),
    ))
}

pub fn update(
    inner: &mut Inner,
    call: &Call<'_>,
    set_id: &str,
    flow_id: &str,
) -> Result<Response, GraphError> {
    let casing = Casing::from_lenient(inner.settings.lenient_casing);
    let set = inner
        .directory
        .flow_set_mut(set_id)
        .ok_or_else(|| set_not_found(set_id))?;
    let flow = set.flow_mut(flow_id).ok_or_else(|| not_found(flow_id))?;
    let changes = validate::flow_update(call.body, flow.kind, casing)?;
    for (name, value) in changes {
        let merged = match (flow.properties.get(&name), value) {
            // Emulator policy: a partial option object keeps the stored values it omits.
            (Some(Value::Object(old)), Value::Object(new))
                if is_boolean_options(flow.kind, &name) =>
            {
                let mut merged = old.clone();
                merged.extend(new);
                Value::Object(merged)
            }
            (_, value) => value,
        };
        flow.properties.insert(name, merged);
    }
    fill_boolean_defaults(flow.kind, &mut flow.properties);
    flow.modified = clock::after(flow.modified, call.now);
    Ok(empty_response(StatusCode::NO_CONTENT))
}

pub fn delete(inner: &mut Inner, set_id: &str, flow_id: &str) -> Result<Response, GraphError> {
    let set = inner
        .directory
        .flow_set_mut(set_id)
        .ok_or_else(|| set_not_found(set_id))?;
    if set.remove_flow(flow_id) {
        Ok(empty_response(StatusCode::NO_CONTENT))
    } else {
        Err(not_found(flow_id))
    }
}

pub fn reset(
    inner: &mut Inner,
    call: &Call<'_>,
    set_id: &str,
    flow_id: &str,
) -> Result<Response, GraphError> {
    // The action takes no parameters: no body, or an empty parameter object (graph-surface.md §1).
    let empty = call.body.iter().all(u8::is_ascii_whitespace)
        || serde_json::from_slice::<Map<String, Value>>(call.body).is_ok_and(|map| map.is_empty());
    if !empty {
        return Err(GraphError::bad_request(
            "The reset action takes no parameters; send the POST without a body, or with {}.",
        ));
    }
    let set = inner
        .directory
        .flow_set_mut(set_id)
        .ok_or_else(|| set_not_found(set_id))?;
    let flow = set.flow_mut(flow_id).ok_or_else(|| not_found(flow_id))?;
    flow.restart_readiness(call.now);
    Ok(empty_response(StatusCode::ACCEPTED))
}

fn entity(flow: &Flow, call: &Call<'_>, set_id: &str, delay: u64) -> Value {
    let mut map = render::flow(flow, readiness(flow, call, delay));
    map.insert(
        "@odata.context".to_owned(),
        Value::String(format!(
            "{}/$entity",
            render::flows_context(call.base_url, set_id)
        )),
    );
    Value::Object(map)
}

fn readiness(flow: &Flow, call: &Call<'_>, delay: u64) -> String {
    render::visible_readiness(
        flow.readiness.status(call.now, delay),
        call.include_unknown_enum_members,
    )
}

fn is_boolean_options(kind: FlowKind, name: &str) -> bool {
    name == "creationOptions" && !validate::boolean_option_names(kind).is_empty()
}

/// Emulator policy: omitted booleans of an option type are stored as `false`.
pub fn fill_boolean_defaults(kind: FlowKind, properties: &mut Map<String, Value>) {
    let names = validate::boolean_option_names(kind);
    if names.is_empty() {
        return;
    }
    let options = properties
        .entry("creationOptions")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(options) = options {
        for name in names {
            options.entry(*name).or_insert(Value::Bool(false));
        }
    }
}

fn not_found(flow_id: &str) -> GraphError {
    GraphError::not_found(format!(
        "The provisioningFlow with id '{flow_id}' was not found."
    ))
}
