//! Handlers of the admin API. No authentication and no journaling: this is the test's back door.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::model::{
    AdminErrorBody, ClientSummary, Created, FlowSetSnapshot, FlowSnapshot, ReadinessOverride,
    ReadinessScript, SeedFlow, SeedFlowSet, StateSnapshot,
};
use crate::clock;
use crate::config::{ClientRegistration, Settings, SettingsPatch};
use crate::faults::{FaultRule, FaultRuleStatus};
use crate::graph::model::{self, Shape};
use crate::graph::validate::{self, Casing, Rules};
use crate::identity::assertion;
use crate::journal::JournalEntry;
use crate::state::directory::FlowSet;
use crate::state::flow::{Flow, FlowKind, Readiness};
use crate::state::{Inner, Shared};

type AppState = State<Arc<Shared>>;

/// An admin error: status plus a plain message.
#[derive(Debug)]
pub struct AdminError(StatusCode, String);

impl AdminError {
    pub fn new(status: StatusCode, message: String) -> Self {
        Self(status, message)
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (self.0, Json(AdminErrorBody { error: self.1 })).into_response()
    }
}

fn not_found(what: &str, id: &str) -> AdminError {
    AdminError(StatusCode::NOT_FOUND, format!("no {what} with id '{id}'"))
}

pub async fn health() -> Json<Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

pub async fn state(State(shared): AppState) -> Json<StateSnapshot> {
    Json(snapshot(&shared.lock()))
}

fn snapshot(inner: &Inner) -> StateSnapshot {
    let now = Timestamp::now();
    let delay = inner.settings.readiness_delay_ms;
    let flow = |flow: &Flow| FlowSnapshot {
        id: flow.id.clone(),
        odata_type: flow.kind.odata_type(),
        readiness_status: flow.readiness.status(now, delay),
        readiness_forced: matches!(flow.readiness, Readiness::Forced(_)),
        created_date_time: clock::graph_timestamp(flow.created),
        last_modified_date_time: clock::graph_timestamp(flow.modified),
        properties: flow.properties.clone(),
        hidden_reads: flow.hidden_reads,
    };
    StateSnapshot {
        settings: inner.settings.clone(),
        clients: inner.clients.iter().map(summary).collect(),
        flow_sets: inner
            .directory
            .flow_sets
            .iter()
            .map(|set| FlowSetSnapshot {
                id: set.id.clone(),
                display_name: set.display_name.clone(),
                filter: set.filter.clone(),
                created_date_time: clock::graph_timestamp(set.created),
                last_modified_date_time: clock::graph_timestamp(set.modified),
                flows: set.flows.iter().map(flow).collect(),
            })
            .collect(),
    }
}

fn summary(client: &ClientRegistration) -> ClientSummary {
    ClientSummary {
        tenant_id: client.tenant_id.clone(),
        client_id: client.client_id.clone(),
        roles: client.roles.clone(),
        secret_expired: client.secret_expired,
    }
}

/// Clears flow sets, faults and the journal; clients, settings and tokens stay.
pub async fn reset(State(shared): AppState) -> StatusCode {
    let mut inner = shared.lock();
    inner.directory = Default::default();
    inner.faults.clear();
    inner.journal.clear();
    StatusCode::NO_CONTENT
}

pub async fn get_settings(State(shared): AppState) -> Json<Settings> {
    Json(shared.lock().settings.clone())
}

pub async fn patch_settings(
    State(shared): AppState,
    Json(patch): Json<SettingsPatch>,
) -> Json<Settings> {
    let mut inner = shared.lock();
    inner.settings.apply(&patch);
    Json(inner.settings.clone())
}

pub async fn list_clients(State(shared): AppState) -> Json<Vec<ClientSummary>> {
    Json(shared.lock().clients.iter().map(summary).collect())
}

pub async fn register_client(
    State(shared): AppState,
    Json(client): Json<ClientRegistration>,
) -> Result<StatusCode, AdminError> {
    let bad = |message: String| AdminError(StatusCode::BAD_REQUEST, message);
    if let Some(index) = client
        .certificates
        .iter()
        .position(|pem_text| !assertion::holds_certificate(pem_text))
    {
        return Err(bad(format!(
            "certificates[{index}] holds no PEM X.509 certificate"
        )));
    }
    if let Some(index) = client.federated_credentials.iter().position(|credential| {
        credential.issuer_keys.is_empty() && credential.issuer_jwks.is_none()
    }) {
        return Err(bad(format!(
            "federatedCredentials[{index}] needs issuerKeys or issuerJwks to verify tokens with"
        )));
    }
    shared.lock().register_client(client);
    Ok(StatusCode::NO_CONTENT)
}

pub async fn remove_client(
    State(shared): AppState,
    Path(client_id): Path<String>,
) -> Result<StatusCode, AdminError> {
    let mut inner = shared.lock();
    let before = inner.clients.len();
    inner.clients.retain(|c| c.client_id != client_id);
    if inner.clients.len() == before {
        return Err(not_found("client", &client_id));
    }
    Ok(StatusCode::NO_CONTENT)
}

pub async fn expire_tokens(State(shared): AppState) -> StatusCode {
    shared.lock().live_tokens.clear();
    StatusCode::NO_CONTENT
}

pub async fn seed_flow_set(
    State(shared): AppState,
    Json(seed): Json<SeedFlowSet>,
) -> Result<(StatusCode, Json<Created<String>>), AdminError> {
    let mut inner = shared.lock();
    let id = seed.id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if inner.directory.flow_set(&id).is_some() {
        return Err(AdminError(
            StatusCode::CONFLICT,
            format!("flow set '{id}' already exists"),
        ));
    }
    let name = seed
        .display_name
        .unwrap_or_else(|| format!("Flow set {id}"));
    let set = FlowSet::new(id.clone(), name, seed.filter, Timestamp::now());
    inner.directory.flow_sets.push(set);
    Ok((StatusCode::CREATED, Json(Created { id })))
}

pub async fn seed_flow(
    State(shared): AppState,
    Path(set_id): Path<String>,
    Json(seed): Json<SeedFlow>,
) -> Result<(StatusCode, Json<Created<String>>), AdminError> {
    let kind = match seed.odata_type.as_deref() {
        None => FlowKind::SecurityGroup,
        Some(name) => FlowKind::from_odata_type(name).ok_or_else(|| {
            AdminError(
                StatusCode::BAD_REQUEST,
                format!("unknown flow type '{name}'"),
            )
        })?,
    };
    let mut body = seed.properties;
    seed_defaults(kind, &mut body);
    body.insert("@odata.type".to_owned(), Value::String(kind.odata_type()));
    let mut inner = shared.lock();
    let rules = Rules {
        casing: Casing::Strict,
        role_groups: &inner.directory.role_groups,
    };
    let input = validate::flow_create(Value::Object(body).to_string().as_bytes(), rules)
        .map_err(|e| AdminError(StatusCode::BAD_REQUEST, e.message))?;
    let set = inner
        .directory
        .flow_set_mut(&set_id)
        .ok_or_else(|| not_found("flow set", &set_id))?;
    if set.has_kind(kind) {
        return Err(AdminError(
            StatusCode::CONFLICT,
            format!("flow set '{set_id}' already has a {}", kind.short_name()),
        ));
    }
    let id = seed.id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let mut flow = Flow::new(id.clone(), kind, input.properties, Timestamp::now());
    if let Some(forced) = seed.readiness_status {
        flow.readiness = Readiness::Forced(forced);
    }
    set.flows.push(flow);
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// A seed is a convenience: a flow whose required options are all booleans (security groups,
/// administrative units) may leave them out and gets them false. Graph's own create refuses that.
fn seed_defaults(kind: FlowKind, body: &mut serde_json::Map<String, Value>) {
    for member in model::flow_type(kind).members {
        let Shape::Complex(options) = &member.shape else {
            continue;
        };
        let all_booleans = options
            .members
            .iter()
            .all(|option| matches!(option.shape, Shape::Boolean));
        if !(member.required && all_booleans) {
            continue;
        }
        if let Value::Object(values) = body
            .entry(member.name)
            .or_insert_with(|| Value::Object(serde_json::Map::new()))
        {
            for option in options.members {
                values.entry(option.name).or_insert(Value::Bool(false));
            }
        }
    }
}

pub async fn force_readiness(
    State(shared): AppState,
    Path(flow_id): Path<String>,
    Json(change): Json<ReadinessOverride>,
) -> Result<StatusCode, AdminError> {
    let mut inner = shared.lock();
    let flow = inner
        .directory
        .find_flow_mut(&flow_id)
        .ok_or_else(|| not_found("flow", &flow_id))?;
    match change.readiness_status {
        Some(value) => flow.readiness = Readiness::Forced(value),
        None => {
            let script = inner.settings.readiness_script.clone();
            let flow = inner
                .directory
                .find_flow_mut(&flow_id)
                .ok_or_else(|| not_found("flow", &flow_id))?;
            flow.restart_readiness(Timestamp::now(), &script);
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Gives one flow a readiness script of its own (empty: the settings' again) and starts it.
pub async fn set_readiness_script(
    State(shared): AppState,
    Path(flow_id): Path<String>,
    Json(script): Json<ReadinessScript>,
) -> Result<StatusCode, AdminError> {
    let mut inner = shared.lock();
    let default_script = inner.settings.readiness_script.clone();
    let flow = inner
        .directory
        .find_flow_mut(&flow_id)
        .ok_or_else(|| not_found("flow", &flow_id))?;
    flow.script = script.steps;
    flow.restart_readiness(Timestamp::now(), &default_script);
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the given members of a flow as the SDS portal would: no validation, timestamp moves.
pub async fn set_properties(
    State(shared): AppState,
    Path(flow_id): Path<String>,
    Json(members): Json<Map<String, Value>>,
) -> Result<StatusCode, AdminError> {
    let mut inner = shared.lock();
    let flow = inner
        .directory
        .find_flow_mut(&flow_id)
        .ok_or_else(|| not_found("flow", &flow_id))?;
    flow.properties.extend(members);
    flow.modified = clock::after(flow.modified, Timestamp::now());
    Ok(StatusCode::NO_CONTENT)
}

/// Changes a flow set's displayName and filter as the SDS portal would (a seed's members that
/// are present replace the set's): no validation, timestamp moves.
pub async fn edit_flow_set(
    State(shared): AppState,
    Path(set_id): Path<String>,
    Json(edit): Json<SeedFlowSet>,
) -> Result<StatusCode, AdminError> {
    let mut inner = shared.lock();
    let set = inner
        .directory
        .flow_set_mut(&set_id)
        .ok_or_else(|| not_found("flow set", &set_id))?;
    if let Some(name) = edit.display_name {
        set.display_name = name;
    }
    if let Some(filter) = edit.filter {
        set.filter = Some(filter);
    }
    set.modified = clock::after(set.modified, Timestamp::now());
    Ok(StatusCode::NO_CONTENT)
}

pub async fn delete_flow(
    State(shared): AppState,
    Path(flow_id): Path<String>,
) -> Result<StatusCode, AdminError> {
    if shared.lock().directory.remove_flow_anywhere(&flow_id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found("flow", &flow_id))
    }
}

pub async fn list_faults(State(shared): AppState) -> Json<Vec<FaultRuleStatus>> {
    Json(shared.lock().faults.list())
}

pub async fn add_fault(
    State(shared): AppState,
    Json(rule): Json<FaultRule>,
) -> (StatusCode, Json<Created<u64>>) {
    let id = shared.lock().faults.add(rule);
    (StatusCode::CREATED, Json(Created { id }))
}

pub async fn clear_faults(State(shared): AppState) -> StatusCode {
    shared.lock().faults.clear();
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
pub struct JournalQuery {
    #[serde(default)]
    since: u64,
}

pub async fn journal(
    State(shared): AppState,
    Query(query): Query<JournalQuery>,
) -> Json<Vec<JournalEntry>> {
    Json(shared.lock().journal.since(query.since))
}

pub async fn clear_journal(State(shared): AppState) -> StatusCode {
    shared.lock().journal.clear();
    StatusCode::NO_CONTENT
}
