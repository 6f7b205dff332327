//! Writes a delegated credential's rotated refresh token back to the Secret it was read from:
//! one server-side apply of `data.refreshToken` with the operator's field manager (forced, so it
//! takes the field over from `sds-operator login`). Needs `patch` on Secrets
//! (chart value `rbac.writeDelegatedSecrets`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures::future::BoxFuture;
use graph::{RefreshTokenStore, RefreshTokenStoreError, SecretString};
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::json;

use crate::crd::FIELD_MANAGER;
use crate::credentials_secret::REFRESH_TOKEN_KEY;

/// The Secret `namespace/name` as a [`RefreshTokenStore`].
#[derive(Clone)]
pub struct SecretRefreshTokenStore {
    api: Api<Secret>,
    name: String,
    id: String,
}

impl std::fmt::Debug for SecretRefreshTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.id)
    }
}

impl SecretRefreshTokenStore {
    pub fn new(client: kube::Client, namespace: &str, name: &str) -> Self {
        Self {
            api: Api::namespaced(client, namespace),
            name: name.to_owned(),
            id: format!("Secret {namespace}/{name}"),
        }
    }
}

impl RefreshTokenStore for SecretRefreshTokenStore {
    fn id(&self) -> &str {
        &self.id
    }

    fn save<'a>(
        &'a self,
        refresh_token: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), RefreshTokenStoreError>> {
        Box::pin(async move {
            let patch = json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": { "name": self.name },
                "data": { REFRESH_TOKEN_KEY: STANDARD.encode(refresh_token.expose_secret()) },
            });
            let params = PatchParams::apply(FIELD_MANAGER).force();
            self.api
                .patch(&self.name, &params, &Patch::Apply(&patch))
                .await
                .map(drop)
                .map_err(|error| RefreshTokenStoreError(describe(&error)))
        })
    }
}

/// The API server's status code and reason, never a request body.
fn describe(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => format!(
            "the Kubernetes API answered {} {} ({})",
            status.code, status.reason, status.message
        ),
        _ => "the Kubernetes API could not be reached".to_owned(),
    }
}
