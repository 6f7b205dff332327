//! Flow-set operations: list, create, get, update, delete.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::call::Call;
use super::paging::PageQuery;
use super::query::{QueryOptions, Target};
use super::{flows, render, validate};
use crate::clock;
use crate::odata::{GraphError, empty_response, json_response};
use crate::state::Inner;
use crate::state::directory::FlowSet;

pub fn list(inner: &Inner, call: &Call<'_>) -> Result<Response, GraphError> {
    let query = PageQuery::parse(call.query)?;
    let options = QueryOptions::parse(Target::FlowSets, query.others())?;
    let mut sets: Vec<Map<String, Value>> = inner
        .directory
        .flow_sets
        .iter()
        .map(|set| rendered(inner, call, set, &options))
        .collect();
    options.order(&mut sets);
    let (page, next) = query.page(&sets, inner.settings.page_size, &call.url_without_query());
    let value: Vec<Value> = page
        .iter()
        .map(|set| {
            let mut set = set.clone();
            options.select(&mut set);
            Value::Object(set)
        })
        .collect();
    let mut body = json!({
        "@odata.context": render::flow_sets_context(call.base_url),
        "value": value,
    });
    if let Some(next) = next {
        body["@odata.nextLink"] = Value::String(next);
    }
    Ok(json_response(StatusCode::OK, &body))
}

/// A flow set as answered, its flows inline when `$expand=provisioningFlows` asked for them.
fn rendered(
    inner: &Inner,
    call: &Call<'_>,
    set: &FlowSet,
    options: &QueryOptions,
) -> Map<String, Value> {
    let mut map = render::flow_set(set);
    if options.expand_flows {
        map.insert(
            "provisioningFlows".to_owned(),
            Value::Array(
                flows::rendered_flows(inner, call, set)
                    .into_iter()
                    .map(Value::Object)
                    .collect(),
            ),
        );
    }
    map
}

pub fn create(inner: &mut Inner, call: &Call<'_>) -> Result<Response, GraphError> {
    let input = validate::flow_set(
        call.body,
        validate::Casing::from_lenient(inner.settings.lenient_casing),
    )?;
    let set = FlowSet::new(
        uuid::Uuid::new_v4().to_string(),
        input.display_name.unwrap_or_default(),
        input.filter.flatten(),
        call.now,
    );
    let body = entity(&set, call.base_url);
    inner.directory.flow_sets.push(set);
    Ok(json_response(StatusCode::CREATED, &body))
}

pub fn get(inner: &Inner, call: &Call<'_>, id: &str) -> Result<Response, GraphError> {
    let options = QueryOptions::parse(Target::FlowSets, PageQuery::parse(call.query)?.others())?;
    let set = inner.directory.flow_set(id).ok_or_else(|| not_found(id))?;
    let mut map = rendered(inner, call, set, &options);
    options.select(&mut map);
    map.insert(
        "@odata.context".to_owned(),
        Value::String(format!(
            "{}/$entity",
            render::flow_sets_context(call.base_url)
        )),
    );
    Ok(json_response(StatusCode::OK, &Value::Object(map)))
}

pub fn update(inner: &mut Inner, call: &Call<'_>, id: &str) -> Result<Response, GraphError> {
    let input = validate::flow_set(
        call.body,
        validate::Casing::from_lenient(inner.settings.lenient_casing),
    )?;
    let set = inner
        .directory
        .flow_set_mut(id)
        .ok_or_else(|| not_found(id))?;
    if let Some(name) = input.display_name {
        set.display_name = name;
    }
    if let Some(filter) = input.filter {
        set.filter = filter;
    }
    set.modified = clock::after(set.modified, call.now);
    Ok(empty_response(StatusCode::NO_CONTENT))
}

pub fn delete(inner: &mut Inner, id: &str) -> Result<Response, GraphError> {
    if inner.directory.remove_flow_set(id) {
        Ok(empty_response(StatusCode::NO_CONTENT))
    } else {
        Err(not_found(id))
    }
}

fn entity(set: &FlowSet, base_url: &str) -> Value {
    let mut map = render::flow_set(set);
    map.insert(
        "@odata.context".to_owned(),
        Value::String(format!("{}/$entity", render::flow_sets_context(base_url))),
    );
    Value::Object(map)
}

/// 404 for a flow set id that does not exist.
pub fn not_found(id: &str) -> GraphError {
    GraphError::not_found(format!(
        "The outboundProvisioningFlowSet with id '{id}' was not found."
    ))
}
