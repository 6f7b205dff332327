//! The Graph side: `/beta/external/industryData/...`. One handler authenticates, resolves the
//! path, authorizes and dispatches, so the order of checks is visible in one place.

pub mod auth;
pub mod call;
pub mod flow_sets;
pub mod flows;
pub mod model;
pub mod paging;
pub mod query;
pub mod render;
pub mod role_groups;
pub mod route;
pub mod validate;

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use jiff::Timestamp;

use crate::context::RequestIds;
use crate::odata::GraphError;
use crate::state::{Inner, Shared};
use call::Call;
use route::Operation;

/// Handler for every request under `/beta/`.
pub async fn handle(
    State(shared): State<Arc<Shared>>,
    Extension(ids): Extension<RequestIds>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call = Call {
        base_url: &shared.base_url,
        path: uri.path(),
        query: uri.query(),
        body: &body,
        now: Timestamp::now(),
        include_unknown_enum_members: prefers_unknown_members(&headers),
    };
    let mut inner = shared.lock();
    let outcome = auth::authenticate(&headers, &shared.signer, &inner, &shared.base_url)
        .and_then(|principal| {
            let operation = route::operation(route::parse(uri.path())?, &method)?;
            auth::authorize(&principal, &operation, &inner.settings)?;
            Ok(operation)
        })
        .and_then(|operation| execute(&mut inner, &call, operation));
    drop(inner);
    outcome.unwrap_or_else(|error| error.into_response(&ids))
}

fn execute(
    inner: &mut Inner,
    call: &Call<'_>,
    operation: Operation,
) -> Result<Response, GraphError> {
    match operation {
        Operation::ListFlowSets => flow_sets::list(inner, call),
        Operation::CreateFlowSet => flow_sets::create(inner, call),
        Operation::GetFlowSet(id) => flow_sets::get(inner, call, &id),
        Operation::UpdateFlowSet(id) => flow_sets::update(inner, call, &id),
        Operation::DeleteFlowSet(id) => flow_sets::delete(inner, &id),
        Operation::ListFlows(set) => flows::list(inner, call, &set),
        Operation::CreateFlow(set) => flows::create(inner, call, &set),
        Operation::GetFlow(set, id) => flows::get(inner, call, &set, &id),
        Operation::UpdateFlow(set, id) => flows::update(inner, call, &set, &id),
        Operation::DeleteFlow(set, id) => flows::delete(inner, &set, &id),
        Operation::ResetFlow(set, id) => flows::reset(inner, call, &set, &id),
        Operation::ListRoleGroups => role_groups::list(inner, call),
        Operation::GetRoleGroup(id) => role_groups::get(inner, call, &id),
    }
}

fn prefers_unknown_members(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|preference| {
            preference
                .trim()
                .eq_ignore_ascii_case("include-unknown-enum-members")
        })
}
