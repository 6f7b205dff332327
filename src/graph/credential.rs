//! Credentials for the client-credentials grant, read from a Kubernetes Secret or given directly.
//! Secret values are wrapped so that no `Debug`, `Display` or error can print them.

use std::collections::BTreeMap;
use std::fmt;

use aws_lc_rs::digest;
use k8s_openapi::ByteString;

/// Keys a credentials Secret must hold for a client secret.
pub const SECRET_KEYS: [&str; 3] = [TENANT_ID_KEY, CLIENT_ID_KEY, CLIENT_SECRET_KEY];
const TENANT_ID_KEY: &str = "tenantId";
const CLIENT_ID_KEY: &str = "clientId";
const CLIENT_SECRET_KEY: &str = "clientSecret";

/// A string that must never be shown: `Debug` prints a mask and there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that must send it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(***)")
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// How the operator proves its identity to the Microsoft identity platform. Certificates and
/// workload identity are planned as further variants; everything that depends on the kind
/// matches on it, so a new variant shows every place to extend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// An application's client secret.
    ClientSecret {
        tenant_id: String,
        client_id: String,
        client_secret: SecretString,
    },
}

impl Credential {
    /// A client-secret credential, checked like one read from a Secret.
    pub fn client_secret(
        tenant_id: &str,
        client_id: &str,
        client_secret: SecretString,
    ) -> Result<Self, CredentialError> {
        let tenant_id = required(TENANT_ID_KEY, tenant_id)?;
        check_tenant(&tenant_id)?;
        let client_id = required(CLIENT_ID_KEY, client_id)?;
        let secret = required(CLIENT_SECRET_KEY, client_secret.expose_secret())?;
        Ok(Self::ClientSecret {
            tenant_id,
            client_id,
            client_secret: SecretString(secret),
        })
    }

    /// Reads `tenantId`, `clientId` and `clientSecret` from a Secret's `data`.
    pub fn from_secret_data(data: &BTreeMap<String, ByteString>) -> Result<Self, CredentialError> {
        let text = |key: &'static str| -> Result<String, CredentialError> {
            let bytes = data.get(key).ok_or(CredentialError::MissingKey { key })?;
            String::from_utf8(bytes.0.clone()).map_err(|_| CredentialError::NotUtf8 { key })
        };
        let tenant_id = text(TENANT_ID_KEY)?;
        let client_id = text(CLIENT_ID_KEY)?;
        let client_secret = SecretString(text(CLIENT_SECRET_KEY)?);
        Self::client_secret(&tenant_id, &client_id, client_secret)
    }

    /// The tenant (directory) the application signs in to.
    pub fn tenant_id(&self) -> &str {
        match self {
            Self::ClientSecret { tenant_id, .. } => tenant_id,
        }
    }

    /// The application (client) id.
    pub fn client_id(&self) -> &str {
        match self {
            Self::ClientSecret { client_id, .. } => client_id,
        }
    }

    /// A key that changes whenever any part of the credential does (a rotated secret gets a new
    /// client), derived by SHA-256 so that it can be logged and compared without the secret.
    pub fn fingerprint(&self) -> CredentialKey {
        let mut context = digest::Context::new(&digest::SHA256);
        match self {
            Self::ClientSecret {
                tenant_id,
                client_id,
                client_secret,
            } => {
                // Length-prefixed so that no two different triples hash the same input.
                for part in [
                    "client-secret",
                    tenant_id,
                    client_id,
                    client_secret.expose_secret(),
                ] {
                    context.update(&(part.len() as u64).to_be_bytes());
                    context.update(part.as_bytes());
                }
            }
        }
        let hex: String = context
            .finish()
            .as_ref()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        CredentialKey(hex)
    }
}

impl fmt::Display for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClientSecret {
                tenant_id,
                client_id,
                ..
            } => write!(
                f,
                "client secret of application {client_id} in tenant {tenant_id}"
            ),
        }
    }
}

/// Identifies a credential by value without revealing it (see [`Credential::fingerprint`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CredentialKey(String);

impl fmt::Display for CredentialKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a credential could not be built. Names keys, never values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error(
        "the credentials Secret has no `{key}` key; it must hold the keys tenantId, clientId and clientSecret"
    )]
    MissingKey { key: &'static str },
    #[error("the credentials Secret's `{key}` value is not UTF-8 text")]
    NotUtf8 { key: &'static str },
    #[error("the credential's `{key}` is empty")]
    Empty { key: &'static str },
    #[error(
        "the credential's tenantId must be a tenant GUID or a domain name such as contoso.onmicrosoft.com"
    )]
    InvalidTenant,
    #[error(
        "the credential's tenantId is `{tenant}`, a multi-tenant alias; the client-credentials grant needs the tenant's GUID or domain"
    )]
    MultiTenantAlias { tenant: String },
}

/// Trims surrounding whitespace (a Secret made with `echo` ends in a newline; generated client
/// secrets never contain whitespace) and refuses empty values.
fn required(key: &'static str, value: &str) -> Result<String, CredentialError> {
    let value = value.trim();
    if value.is_empty() {
        Err(CredentialError::Empty { key })
    } else {
        Ok(value.to_owned())
    }
}

/// The tenant becomes a URL path segment, so only GUID and domain characters are allowed.
fn check_tenant(tenant: &str) -> Result<(), CredentialError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
    if !tenant.chars().all(allowed) {
        return Err(CredentialError::InvalidTenant);
    }
    let lower = tenant.to_ascii_lowercase();
    if ["common", "organizations", "consumers"].contains(&lower.as_str()) {
        return Err(CredentialError::MultiTenantAlias { tenant: lower });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "sup3r~s3cret.value";

    fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, ByteString> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), ByteString(v.as_bytes().to_vec())))
            .collect()
    }

    fn complete() -> BTreeMap<String, ByteString> {
        data(&[
            ("tenantId", "8c33d025-5e64-4550-2aa3-08dc4ac66fca\n"),
            ("clientId", " 6f0b5e43-1c6a-4f0e-9a43-0a1b2c3d4e5f"),
            ("clientSecret", SECRET),
        ])
    }

    #[test]
    fn reads_a_secret_and_never_shows_the_value() {
        let credential = Credential::from_secret_data(&complete()).unwrap();
        assert_eq!(
            credential.tenant_id(),
            "8c33d025-5e64-4550-2aa3-08dc4ac66fca"
        );
        assert_eq!(
            credential.client_id(),
            "6f0b5e43-1c6a-4f0e-9a43-0a1b2c3d4e5f"
        );
        let shown = format!("{credential} {credential:?} {}", credential.fingerprint());
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(shown.contains("***"));
    }

    #[test]
    fn a_missing_key_is_named_with_the_expected_keys() {
        let mut partial = complete();
        partial.remove("clientSecret");
        let error = Credential::from_secret_data(&partial).unwrap_err();
        assert_eq!(
            error,
            CredentialError::MissingKey {
                key: "clientSecret"
            }
        );
        let text = error.to_string();
        assert!(text.contains("`clientSecret`") && text.contains("tenantId, clientId"));
    }

    #[test]
    fn refuses_bad_values_without_echoing_secrets() {
        let mut empty = complete();
        empty.insert("clientSecret".to_owned(), ByteString(b"  \n".to_vec()));
        assert_eq!(
            Credential::from_secret_data(&empty).unwrap_err(),
            CredentialError::Empty {
                key: "clientSecret"
            }
        );
        let mut binary = complete();
        binary.insert("clientSecret".to_owned(), ByteString(vec![0xff, 0xfe]));
        assert_eq!(
            Credential::from_secret_data(&binary).unwrap_err(),
            CredentialError::NotUtf8 {
                key: "clientSecret"
            }
        );
        let mut path = complete();
        path.insert("tenantId".to_owned(), ByteString(b"x/../y".to_vec()));
        assert_eq!(
            Credential::from_secret_data(&path).unwrap_err(),
            CredentialError::InvalidTenant
        );
        let mut common = complete();
        common.insert("tenantId".to_owned(), ByteString(b"Common".to_vec()));
        assert!(matches!(
            Credential::from_secret_data(&common).unwrap_err(),
            CredentialError::MultiTenantAlias { .. }
        ));
    }

    #[test]
    fn fingerprint_is_stable_and_follows_rotation() {
        let one = Credential::from_secret_data(&complete()).unwrap();
        let same = Credential::from_secret_data(&complete()).unwrap();
        assert_eq!(one.fingerprint(), same.fingerprint());
        let mut rotated = complete();
        rotated.insert("clientSecret".to_owned(), ByteString(b"another".to_vec()));
        let rotated = Credential::from_secret_data(&rotated).unwrap();
        assert_ne!(one.fingerprint(), rotated.fingerprint());
        assert_eq!(one.fingerprint().to_string().len(), 64);
    }
}
