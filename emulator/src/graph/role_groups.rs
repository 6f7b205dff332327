//! Role groups (`/external/industryData/roleGroups`): read-only, seeded, bound to by user flows.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::call::Call;
use super::render;
use crate::odata::{GraphError, json_response};
use crate::state::Inner;

pub fn list(inner: &Inner, call: &Call<'_>) -> Result<Response, GraphError> {
    let value: Vec<Value> = inner
        .directory
        .role_groups
        .iter()
        .map(|group| Value::Object(render::role_group(group)))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "@odata.context": render::role_groups_context(call.base_url),
            "value": value,
        }),
    ))
}

pub fn get(inner: &Inner, call: &Call<'_>, id: &str) -> Result<Response, GraphError> {
    let group = inner.directory.role_group(id).ok_or_else(|| {
        GraphError::not_found(format!("The roleGroup with id '{id}' was not found."))
    })?;
    let mut body = render::role_group(group);
    body.insert(
        "@odata.context".to_owned(),
        Value::String(format!(
            "{}/$entity",
            render::role_groups_context(call.base_url)
        )),
    );
    Ok(json_response(StatusCode::OK, &Value::Object(body)))
}
