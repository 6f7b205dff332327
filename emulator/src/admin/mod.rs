//! The admin API under `/_emulator/`: state inspection and manipulation, settings, clients,
//! fault rules and the journal. See the crate README for every endpoint with an example.

pub mod client;
pub mod delegated;
pub mod handlers;
pub mod model;

use std::sync::Arc;

use axum::Router;
use axum::routing::{delete, get, patch, post, put};

use crate::state::Shared;
use handlers as h;

pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_emulator/health", get(h::health))
        .route("/_emulator/state", get(h::state))
        .route("/_emulator/reset", post(h::reset))
        .route(
            "/_emulator/settings",
            get(h::get_settings).patch(h::patch_settings),
        )
        .route(
            "/_emulator/clients",
            get(h::list_clients).post(h::register_client),
        )
        .route("/_emulator/clients/{client_id}", delete(h::remove_client))
        .route("/_emulator/tokens/expire", post(h::expire_tokens))
        .route("/_emulator/device-codes", get(delegated::list_device_codes))
        .route(
            "/_emulator/device-codes/{user_code}/approve",
            post(delegated::approve_device_code),
        )
        .route(
            "/_emulator/device-codes/{user_code}/deny",
            post(delegated::deny_device_code),
        )
        .route(
            "/_emulator/device-codes/{user_code}/expire",
            post(delegated::expire_device_code),
        )
        .route(
            "/_emulator/refresh-tokens",
            get(delegated::list_refresh_tokens),
        )
        .route(
            "/_emulator/refresh-tokens/revoke",
            post(delegated::revoke_refresh_tokens),
        )
        .route("/_emulator/flow-sets", post(h::seed_flow_set))
        .route("/_emulator/flow-sets/{set_id}", patch(h::edit_flow_set))
        .route("/_emulator/flow-sets/{set_id}/flows", post(h::seed_flow))
        .route("/_emulator/flows/{flow_id}", delete(h::delete_flow))
        .route(
            "/_emulator/flows/{flow_id}/readiness",
            put(h::force_readiness),
        )
        .route(
            "/_emulator/flows/{flow_id}/readiness-script",
            put(h::set_readiness_script),
        )
        .route(
            "/_emulator/flows/{flow_id}/properties",
            patch(h::set_properties),
        )
        .route(
            "/_emulator/faults",
            get(h::list_faults)
                .post(h::add_fault)
                .delete(h::clear_faults),
        )
        .route(
            "/_emulator/journal",
            get(h::journal).delete(h::clear_journal),
        )
}
