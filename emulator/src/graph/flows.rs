//! Provisioning-flow operations under a flow set: list, create, get, update, delete, reset.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::call::Call;
use super::flow_sets::not_found as set_not_found;
use super::paging::PageQuery;
use super::query::{QueryOptions, Target};
use super::render;
use super::validate::{self, Casing, Rules};
use crate::clock;
use crate::odata::{GraphError, empty_response, json_response};
use crate::state::Inner;
use crate::state::directory::{FlowSet, RoleGroup};
use crate::state::flow::Flow;

pub fn list(inner: &Inner, call: &Call<'_>, set_id: &str) -> Result<Response, GraphError> {
    let query = PageQuery::parse(call.query)?;
    let options = QueryOptions::parse(Target::Flows, query.others())?;
    let set = inner
        .directory
        .flow_set(set_id)
        .ok_or_else(|| set_not_found(set_id))?;
    let mut flows = rendered_flows(inner, call, set);
    options.order(&mut flows);
    let (page, next) = query.page(&flows, inner.settings.page_size, &call.url_without_query());
    let value: Vec<Value> = page
        .iter()
        .map(|flow| {
            let mut flow = flow.clone();
            options.select(&mut flow);
            Value::Object(flow)
        })
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

/// Every flow of `set` as the caller may see it, in creation order.
pub fn rendered_flows(inner: &Inner, call: &Call<'_>, set: &FlowSet) -> Vec<Map<String, Value>> {
    let delay = inner.settings.readiness_delay_ms;
    set.flows
        .iter()
        .map(|flow| {
            render::flow(
                flow,
                readiness(flow, call, delay),
                call.base_url,
                &inner.directory.role_groups,
            )
        })
        .collect()
}

pub fn create(inner: &mut Inner, call: &Call<'_>, set_id: &str) -> Result<Response, GraphError> {
    let hidden_reads = inner.settings.eventual_consistency_reads;
    let delay = inner.settings.readiness_delay_ms;
    inner
        .directory
        .flow_set(set_id)
        .ok_or_else(|| set_not_found(set_id))?;
    let input = validate::flow_create(call.body, rules(inner))?;
    let role_groups = inner.directory.role_groups.clone();
    let script = inner.settings.readiness_script.clone();
    let set = inner
        .directory
        .flow_set_mut(set_id)
        .ok_or_else(|| set_not_found(set_id))?;
    if set.has_kind(input.kind) {
        // Emulator policy: the docs state the one-per-type rule but not its error (§3.4).
        return Err(GraphError::conflict(format!(
            "The flow set '{}' already contains a {}; a flow set may contain no more than one provisioning flow of each type.",
            set.id,
            input.kind.short_name()
        )));
    }
    let mut flow = Flow::new(
        uuid::Uuid::new_v4().to_string(),
        input.kind,
        input.properties,
        call.now,
    );
    flow.restart_readiness(call.now, &script);
    flow.hidden_reads = hidden_reads;
    let body = entity(&flow, call, &set.id, delay, &role_groups);
    set.flows.push(flow);
    Ok(json_response(StatusCode::CREATED, &body))
}

pub fn get(
    inner: &mut Inner,
    call: &Call<'_>,
    set_id: &str,
    flow_id: &str,
) -> Result<Response, GraphError> {
    let options = QueryOptions::parse(Target::Flows, PageQuery::parse(call.query)?.others())?;
    let delay = inner.settings.readiness_delay_ms;
    let role_groups = inner.directory.role_groups.clone();
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
    let mut body = entity(flow, call, &set_id, delay, &role_groups);
    if let Value::Object(map) = &mut body {
        options.select(map);
    }
    Ok(json_response(StatusCode::OK, &body))
}

pub fn update(
    inner: &mut Inner,
    call: &Call<'_>,
    set_id: &str,
    flow_id: &str,
) -> Result<Response, GraphError> {
    let kind = inner
        .directory
        .flow_set(set_id)
        .ok_or_else(|| set_not_found(set_id))?
        .flow(flow_id)
        .ok_or_else(|| not_found(flow_id))?
        .kind;
    let changes = validate::flow_update(call.body, kind, rules(inner))?;
    let set = inner
        .directory
        .flow_set_mut(set_id)
        .ok_or_else(|| set_not_found(set_id))?;
    let flow = set.flow_mut(flow_id).ok_or_else(|| not_found(flow_id))?;
    // Emulator policy: a complex value that leaves members out keeps their stored values.
    flow.properties = validate::merge_update(kind, &flow.properties, changes)?;
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
    let script = inner.settings.readiness_script.clone();
    let set = inner
        .directory
        .flow_set_mut(set_id)
        .ok_or_else(|| set_not_found(set_id))?;
    let flow = set.flow_mut(flow_id).ok_or_else(|| not_found(flow_id))?;
    flow.restart_readiness(call.now, &script);
    Ok(empty_response(StatusCode::ACCEPTED))
}

fn entity(
    flow: &Flow,
    call: &Call<'_>,
    set_id: &str,
    delay: u64,
    role_groups: &[RoleGroup],
) -> Value {
    let mut map = render::flow(
        flow,
        readiness(flow, call, delay),
        call.base_url,
        role_groups,
    );
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

/// The rules a body is checked with: the settings' casing, the directory's role groups.
fn rules(inner: &Inner) -> Rules<'_> {
    Rules {
        casing: Casing::from_lenient(inner.settings.lenient_casing),
        role_groups: &inner.directory.role_groups,
    }
}

fn not_found(flow_id: &str) -> GraphError {
    GraphError::not_found(format!(
        "The provisioningFlow with id '{flow_id}' was not found."
    ))
}
