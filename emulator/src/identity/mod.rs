//! The identity-platform side: token endpoint, client assertions, token format and discovery
//! documents.

pub mod assertion;
pub mod discovery;
pub mod error;
pub mod jwt;
pub mod token;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::state::Shared;

/// Routes of the emulated login host.
pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token::token))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route(
            "/common/discovery/instance",
            get(discovery::instance_discovery),
        )
}
