//! The credentials Secret's key layout, and reading a [`Credential`] from its data: the
//! Kubernetes side of a credential. The `graph` crate builds credentials from plain values and
//! knows nothing of Secrets.

use std::collections::BTreeMap;

use graph::{AssertionAlgorithm, CertificateOrigin, Credential, CredentialError, SecretString};
use k8s_openapi::ByteString;

pub const TENANT_ID_KEY: &str = "tenantId";
pub const CLIENT_ID_KEY: &str = "clientId";
const CLIENT_SECRET_KEY: &str = "clientSecret";
/// The keys of a `kubernetes.io/tls` Secret, as cert-manager writes them.
const TLS_CERTIFICATE_KEY: &str = "tls.crt";
const TLS_KEY_KEY: &str = "tls.key";
const ALGORITHM_KEY: &str = "assertionAlgorithm";
/// The key a delegated credential's refresh token is kept under, as `sds-operator login` writes
/// it, and written back to after each rotation.
pub const REFRESH_TOKEN_KEY: &str = "refreshToken";

/// Why a credentials Secret holds no usable credential. Names keys, never values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretCredentialError {
    #[error(
        "the credentials Secret has no `{key}` key; it must hold tenantId, clientId, and either clientSecret, both tls.crt and tls.key, or refreshToken (written by `sds-operator login`)"
    )]
    MissingKey { key: &'static str },
    #[error(
        "the credentials Secret holds tls.crt/tls.key together with clientSecret or refreshToken; keep only the credential to use"
    )]
    AmbiguousSecret,
    #[error("the credentials Secret's `{key}` must be RS256 or PS256")]
    InvalidAlgorithm { key: &'static str },
    #[error("the credentials Secret's `{key}` value is not UTF-8 text")]
    NotUtf8 { key: &'static str },
    #[error(transparent)]
    Credential(#[from] CredentialError),
}

/// Reads a Secret's `data`: `tenantId`, `clientId`, and either `clientSecret`, or `tls.crt`
/// and `tls.key` with an optional `assertionAlgorithm` (RS256, the default, or PS256), or
/// `refreshToken` (delegated, with `clientSecret` optional).
pub fn credential_from_secret_data(
    data: &BTreeMap<String, ByteString>,
) -> Result<Credential, SecretCredentialError> {
    let bytes = |key: &'static str| -> Result<&[u8], SecretCredentialError> {
        let value = data
            .get(key)
            .ok_or(SecretCredentialError::MissingKey { key })?;
        Ok(&value.0)
    };
    let text = |key: &'static str| -> Result<String, SecretCredentialError> {
        String::from_utf8(bytes(key)?.to_vec()).map_err(|_| SecretCredentialError::NotUtf8 { key })
    };
    let tenant_id = text(TENANT_ID_KEY)?;
    let client_id = text(CLIENT_ID_KEY)?;
    let has_secret = data.contains_key(CLIENT_SECRET_KEY);
    let has_certificate = data.contains_key(TLS_CERTIFICATE_KEY) || data.contains_key(TLS_KEY_KEY);
    if data.contains_key(REFRESH_TOKEN_KEY) {
        if has_certificate {
            return Err(SecretCredentialError::AmbiguousSecret);
        }
        let client_secret = match has_secret {
            true => Some(SecretString::new(text(CLIENT_SECRET_KEY)?)),
            false => None,
        };
        let refresh_token = SecretString::new(text(REFRESH_TOKEN_KEY)?);
        return Ok(Credential::delegated(
            &tenant_id,
            &client_id,
            client_secret,
            refresh_token,
        )?);
    }
    let credential = match (has_secret, has_certificate) {
        (true, true) => return Err(SecretCredentialError::AmbiguousSecret),
        (false, true) => {
            let algorithm = match data.contains_key(ALGORITHM_KEY) {
                true => text(ALGORITHM_KEY)?
                    .parse()
                    .map_err(|_| SecretCredentialError::InvalidAlgorithm { key: ALGORITHM_KEY })?,
                false => AssertionAlgorithm::default(),
            };
            let origin = CertificateOrigin::Labelled {
                certificate: format!("the credentials Secret's `{TLS_CERTIFICATE_KEY}`"),
                key: format!("the credentials Secret's `{TLS_KEY_KEY}`"),
            };
            Credential::client_certificate(
                &tenant_id,
                &client_id,
                bytes(TLS_CERTIFICATE_KEY)?,
                bytes(TLS_KEY_KEY)?,
                algorithm,
                origin,
            )?
        }
        _ => {
            let client_secret = SecretString::new(text(CLIENT_SECRET_KEY)?);
            Credential::client_secret(&tenant_id, &client_id, client_secret)?
        }
    };
    Ok(credential)
}

#[cfg(test)]
#[path = "credentials_secret_tests.rs"]
mod tests;
