//! The identity-platform side: token endpoint, client assertions, the delegated grants (device
//! code, refresh token), token format and discovery documents.

pub mod assertion;
pub mod delegated;
pub mod discovery;
pub mod error;
pub mod grants;
pub mod jwt;
pub mod mint;
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
            "/{tenant}/oauth2/v2.0/devicecode",
            post(delegated::device_code),
        )
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route(
            "/common/discovery/instance",
            get(discovery::instance_discovery),
        )
}
