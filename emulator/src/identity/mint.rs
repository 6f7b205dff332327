//! Minting Graph access tokens as the identity platform does: app-only (the application's roles)
//! or delegated (a user's consented scopes), signed and remembered as live.

use aws_lc_rs::digest;
use jiff::Timestamp;

use super::jwt::{Claims, GRAPH_AUDIENCE};
use crate::state::{Inner, Shared};

/// Whom a token speaks for: the application itself (its app roles), or a user through it (the
/// delegated scopes the user consented to).
pub(crate) enum Principal {
    App {
        roles: Vec<String>,
    },
    User {
        scp: String,
        upn: String,
        name: String,
    },
}

/// Signs a Graph access token and remembers it as live; returns it with its lifetime in seconds.
pub(crate) fn mint(
    shared: &Shared,
    inner: &mut Inner,
    tenant_id: &str,
    client_id: &str,
    principal: Principal,
) -> (String, u64) {
    let lifetime = inner.settings.token_lifetime_secs;
    let now = Timestamp::now().as_second();
    let uti = uuid::Uuid::new_v4().simple().to_string();
    let app_id = stable_id(&format!("{tenant_id}/{client_id}"));
    let (oid, sub, idtyp, roles, scp, upn, name) = match principal {
        Principal::App { roles } => (app_id.clone(), app_id, "app", Some(roles), None, None, None),
        Principal::User { scp, upn, name } => {
            let user_id = stable_id(&format!("{tenant_id}/user/{upn}"));
            let sub = stable_id(&format!("{user_id}/{client_id}"));
            (user_id, sub, "user", None, Some(scp), Some(upn), Some(name))
        }
    };
    let claims = Claims {
        aud: GRAPH_AUDIENCE.to_owned(),
        iss: format!("https://sts.windows.net/{tenant_id}/"),
        iat: now,
        nbf: now,
        exp: now.saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX)),
        tid: tenant_id.to_owned(),
        appid: client_id.to_owned(),
        oid,
        sub,
        idtyp: idtyp.to_owned(),
        uti: uti.clone(),
        ver: "1.0".to_owned(),
        roles,
        scp,
        upn,
        name,
    };
    inner.live_tokens.insert(uti);
    (shared.signer.sign(&claims), lifetime)
}

/// A GUID derived from `seed`, the same every time.
pub(crate) fn stable_id(seed: &str) -> String {
    let hash = digest::digest(&digest::SHA256, seed.as_bytes());
    let mut bytes = [0_u8; 16];
    bytes.copy_from_slice(&hash.as_ref()[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}
