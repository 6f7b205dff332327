//! Bearer-token validation and the permission check for Graph calls (graph-api.md §4).

use axum::http::{HeaderMap, header};
use jiff::Timestamp;

use crate::config::{ROLE_READ_ALL, ROLE_READ_WRITE_ALL, Settings};
use crate::graph::route::Operation;
use crate::identity::jwt::{Claims, GRAPH_AUDIENCE, TokenSigner};
use crate::odata::GraphError;
use crate::state::Inner;

/// Who is calling, as established from a valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// App-only (client credentials): permissions are app roles in `roles`.
    Application { roles: Vec<String> },
    /// Delegated (a user via an app): permissions are scopes in `scp`.
    Delegated { scopes: Vec<String> },
}

impl Principal {
    fn from_claims(claims: Claims) -> Self {
        match claims.scp {
            Some(scp) if claims.idtyp != "app" => Principal::Delegated {
                scopes: scp.split_whitespace().map(str::to_owned).collect(),
            },
            _ => Principal::Application {
                roles: claims.roles.unwrap_or_default(),
            },
        }
    }

    fn permissions(&self) -> &[String] {
        match self {
            Principal::Application { roles } => roles,
            Principal::Delegated { scopes } => scopes,
        }
    }

    fn holds(&self, permission: &str) -> bool {
        self.permissions()
            .iter()
            .any(|p| p.eq_ignore_ascii_case(permission))
    }
}

/// Validates the `Authorization` header: an emulator-signed, unexpired Graph token.
pub fn authenticate(
    headers: &HeaderMap,
    signer: &TokenSigner,
    inner: &Inner,
    base_url: &str,
) -> Result<Principal, GraphError> {
    let challenge = challenge(base_url);
    let reject = |message: &str| GraphError::unauthorized(message, challenge.clone());
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .trim();
    // Anything but a bearer token (no header, another scheme) counts as no token at all.
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => "",
    };
    if token.is_empty() {
        return Err(reject("Access token is empty."));
    }
    let claims = signer
        .verify(token)
        .map_err(|_| reject("Access token validation failure."))?;
    if !claims.aud.eq_ignore_ascii_case(GRAPH_AUDIENCE) {
        return Err(reject("Access token validation failure. Invalid audience."));
    }
    let now = Timestamp::now().as_second();
    let revoked = !inner.live_tokens.contains(&claims.uti);
    if claims.exp <= now || claims.nbf > now || revoked {
        return Err(reject("Access token has expired or is not yet valid."));
    }
    Ok(Principal::from_claims(claims))
}

/// Reads need Read.All or ReadWrite.All; writes need ReadWrite.All and, for app-only callers,
/// the "app-only writes allowed" switch (the docs disagree on app-only writes, §4.2) and an
/// operation whose permission table lists application permissions at all.
pub fn authorize(
    principal: &Principal,
    operation: &Operation,
    settings: &Settings,
) -> Result<(), GraphError> {
    let app_only = matches!(principal, Principal::Application { .. });
    if app_only && let Some(operation) = without_application_permissions(operation) {
        return Err(GraphError::new(
            axum::http::StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            format!(
                "{operation} is not supported with application permissions; call it as a signed-in user (delegated permissions)."
            ),
        ));
    }
    let allowed = if operation.is_write() {
        principal.holds(ROLE_READ_WRITE_ALL) && (!app_only || settings.app_only_writes_allowed)
    } else {
        principal.holds(ROLE_READ_ALL) || principal.holds(ROLE_READ_WRITE_ALL)
    };
    if allowed {
        Ok(())
    } else {
        Err(GraphError::forbidden())
    }
}

/// The operations whose documented permission table says "Not supported" for application
/// permissions (graph-surface.md §2): only updating a flow set.
fn without_application_permissions(operation: &Operation) -> Option<&'static str> {
    match operation {
        Operation::UpdateFlowSet(_) => Some("Updating an outboundProvisioningFlowSet"),
        _ => None,
    }
}

fn challenge(base_url: &str) -> String {
    format!(
        "Bearer realm=\"\", authorization_uri=\"{base_url}/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\""
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const READ: Operation = Operation::ListFlowSets;
    const WRITE: Operation = Operation::CreateFlowSet;

    fn app(roles: &[&str]) -> Principal {
        Principal::Application {
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        }
    }

    #[test]
    fn read_and_write_permissions() {
        let settings = Settings::default();
        assert!(authorize(&app(&[ROLE_READ_ALL]), &READ, &settings).is_ok());
        assert!(authorize(&app(&[ROLE_READ_ALL]), &WRITE, &settings).is_err());
        assert!(authorize(&app(&[ROLE_READ_WRITE_ALL]), &WRITE, &settings).is_ok());
        assert!(authorize(&app(&[]), &READ, &settings).is_err());
    }

    #[test]
    fn app_only_writes_switch_spares_delegated_callers() {
        let settings = Settings {
            app_only_writes_allowed: false,
            ..Settings::default()
        };
        assert!(authorize(&app(&[ROLE_READ_WRITE_ALL]), &WRITE, &settings).is_err());
        assert!(authorize(&app(&[ROLE_READ_WRITE_ALL]), &READ, &settings).is_ok());
        let user = Principal::Delegated {
            scopes: vec![ROLE_READ_WRITE_ALL.to_owned()],
        };
        assert!(authorize(&user, &WRITE, &settings).is_ok());
    }

    #[test]
    fn updating_a_flow_set_needs_a_signed_in_user() {
        let settings = Settings::default();
        let update = Operation::UpdateFlowSet("set".to_owned());
        let error = authorize(&app(&[ROLE_READ_WRITE_ALL]), &update, &settings).unwrap_err();
        assert!(
            error.message.contains("application permissions"),
            "{}",
            error.message
        );
        let user = Principal::Delegated {
            scopes: vec![ROLE_READ_WRITE_ALL.to_owned()],
        };
        assert!(authorize(&user, &update, &settings).is_ok());
        let create_set = Operation::CreateFlowSet;
        assert!(authorize(&app(&[ROLE_READ_WRITE_ALL]), &create_set, &settings).is_ok());
    }
}
