//! Credentials: for the client-credentials grant a client secret, a client certificate, or Azure
//! Workload Identity's federated token file; for delegated access a user's refresh token from
//! `sds-operator login`. Built from plain values; where those values are kept (a Kubernetes
//! Secret, the environment) is the caller's business.
//! Secret values and keys are wrapped so that no `Debug`, `Display` or error can print them.

use std::fmt;
use std::path::{Path, PathBuf};

use super::certificate::{AssertionAlgorithm, CertificateError, ClientCertificate, PemPart};
use super::delegated::StoreHandle;

mod fingerprint;

pub use super::secret::SecretString;
pub use fingerprint::CredentialKey;

// The credential's parts as the identity platform names them, for error messages.
const TENANT_ID: &str = "tenantId";
const CLIENT_ID: &str = "clientId";
const CLIENT_SECRET: &str = "clientSecret";
const REFRESH_TOKEN: &str = "refreshToken";

/// How the operator proves its identity to the Microsoft identity platform. Everything that
/// depends on the kind matches on it, so a new variant shows every place to extend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// An application's client secret.
    ClientSecret {
        tenant_id: String,
        client_id: String,
        client_secret: SecretString,
    },
    /// A certificate registered with the application; each token request sends a fresh
    /// assertion signed with its private key (graph-api.md §6.2).
    ClientCertificate {
        tenant_id: String,
        client_id: String,
        certificate: ClientCertificate,
    },
    /// Azure Workload Identity: the Kubernetes service-account token in `token_file` is sent as
    /// the assertion (graph-api.md §6.3). The file is read before every token request, because
    /// the kubelet replaces it long before it expires.
    WorkloadIdentity {
        tenant_id: String,
        client_id: String,
        token_file: PathBuf,
    },
    /// Delegated access: a user's refresh token, redeemed for access tokens that carry the
    /// user's consented permissions in `scp`. Each redemption may rotate the refresh token; the
    /// new one is written to `store` before it is relied on. `refresh_token` is the token the
    /// credential was read with; the client tracks the current one.
    Delegated {
        tenant_id: String,
        client_id: String,
        client_secret: Option<SecretString>,
        refresh_token: SecretString,
        store: Option<StoreHandle>,
    },
}

impl Credential {
    /// A client-secret credential; surrounding whitespace is trimmed and empty values refused.
    pub fn client_secret(
        tenant_id: &str,
        client_id: &str,
        client_secret: SecretString,
    ) -> Result<Self, CredentialError> {
        let tenant_id = required(TENANT_ID, tenant_id)?;
        check_tenant(&tenant_id)?;
        let client_id = required(CLIENT_ID, client_id)?;
        let secret = required(CLIENT_SECRET, client_secret.expose_secret())?;
        Ok(Self::ClientSecret {
            tenant_id,
            client_id,
            client_secret: SecretString::new(secret),
        })
    }

    /// A client-certificate credential from PEM texts (they may be one combined text);
    /// `origin` names where they came from in errors, e.g. "the credentials Secret".
    pub fn client_certificate(
        tenant_id: &str,
        client_id: &str,
        certificate_pem: &[u8],
        key_pem: &[u8],
        algorithm: AssertionAlgorithm,
        origin: CertificateOrigin,
    ) -> Result<Self, CredentialError> {
        let tenant_id = required(TENANT_ID, tenant_id)?;
        check_tenant(&tenant_id)?;
        let client_id = required(CLIENT_ID, client_id)?;
        let certificate = ClientCertificate::from_pem(certificate_pem, key_pem, algorithm)
            .map_err(|(part, problem)| CredentialError::Certificate {
                origin: origin.describe(part),
                problem,
            })?;
        Ok(Self::ClientCertificate {
            tenant_id,
            client_id,
            certificate,
        })
    }

    /// A client-certificate credential from one PEM file holding the private key and the
    /// certificate, as the Azure SDKs read `AZURE_CLIENT_CERTIFICATE_PATH`.
    pub fn client_certificate_file(
        tenant_id: &str,
        client_id: &str,
        path: &Path,
        algorithm: AssertionAlgorithm,
    ) -> Result<Self, CredentialError> {
        let pem = std::fs::read(path).map_err(|error| CredentialError::CertificateFile {
            path: path.to_owned(),
            reason: error.kind().to_string(),
        })?;
        let origin = CertificateOrigin::File(path.to_owned());
        Self::client_certificate(tenant_id, client_id, &pem, &pem, algorithm, origin)
    }

    /// An Azure Workload Identity credential; `token_file` is read at each token request.
    pub fn workload_identity(
        tenant_id: &str,
        client_id: &str,
        token_file: &Path,
    ) -> Result<Self, CredentialError> {
        let tenant_id = required(TENANT_ID, tenant_id)?;
        check_tenant(&tenant_id)?;
        let client_id = required(CLIENT_ID, client_id)?;
        if token_file.as_os_str().is_empty() {
            return Err(CredentialError::Empty {
                key: "federated token file",
            });
        }
        Ok(Self::WorkloadIdentity {
            tenant_id,
            client_id,
            token_file: token_file.to_owned(),
        })
    }

    /// A delegated credential from a refresh token; `client_secret` only for confidential
    /// clients. Without a store, rotated refresh tokens are kept in memory only.
    pub fn delegated(
        tenant_id: &str,
        client_id: &str,
        client_secret: Option<SecretString>,
        refresh_token: SecretString,
    ) -> Result<Self, CredentialError> {
        let tenant_id = required(TENANT_ID, tenant_id)?;
        check_tenant(&tenant_id)?;
        let client_id = required(CLIENT_ID, client_id)?;
        let refresh_token = required(REFRESH_TOKEN, refresh_token.expose_secret())?;
        let client_secret = match client_secret {
            Some(secret) => Some(SecretString::new(required(
                CLIENT_SECRET,
                secret.expose_secret(),
            )?)),
            None => None,
        };
        Ok(Self::Delegated {
            tenant_id,
            client_id,
            client_secret,
            refresh_token: SecretString::new(refresh_token),
            store: None,
        })
    }

    /// Where a delegated credential writes rotated refresh tokens; other kinds are unchanged.
    pub fn with_refresh_token_store(mut self, handle: StoreHandle) -> Self {
        if let Self::Delegated { store, .. } = &mut self {
            *store = Some(handle);
        }
        self
    }

    /// The refresh token a delegated credential was read with.
    pub fn refresh_token(&self) -> Option<&SecretString> {
        match self {
            Self::Delegated { refresh_token, .. } => Some(refresh_token),
            _ => None,
        }
    }

    /// The tenant (directory) the application signs in to.
    pub fn tenant_id(&self) -> &str {
        match self {
            Self::ClientSecret { tenant_id, .. }
            | Self::ClientCertificate { tenant_id, .. }
            | Self::WorkloadIdentity { tenant_id, .. }
            | Self::Delegated { tenant_id, .. } => tenant_id,
        }
    }

    /// The application (client) id.
    pub fn client_id(&self) -> &str {
        match self {
            Self::ClientSecret { client_id, .. }
            | Self::ClientCertificate { client_id, .. }
            | Self::WorkloadIdentity { client_id, .. }
            | Self::Delegated { client_id, .. } => client_id,
        }
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
            Self::ClientCertificate {
                tenant_id,
                client_id,
                certificate,
            } => write!(
                f,
                "certificate {} ({}) of application {client_id} in tenant {tenant_id}",
                certificate.thumbprint(),
                certificate.algorithm()
            ),
            Self::WorkloadIdentity {
                tenant_id,
                client_id,
                token_file,
            } => write!(
                f,
                "workload identity (federated token file {}) of application {client_id} in tenant {tenant_id}",
                token_file.display()
            ),
            Self::Delegated {
                tenant_id,
                client_id,
                store,
                ..
            } => write!(
                f,
                "delegated refresh token ({}) of application {client_id} in tenant {tenant_id}",
                store.as_ref().map_or("in memory", StoreHandle::id)
            ),
        }
    }
}

/// Why a credential could not be built. Names keys, never values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("{origin} {problem}")]
    Certificate {
        origin: String,
        problem: CertificateError,
    },
    #[error("the client certificate file {} could not be read: {reason}", path.display())]
    CertificateFile { path: PathBuf, reason: String },
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

/// Where a certificate and key were read from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateOrigin {
    /// Named by the caller, e.g. "the credentials Secret's `tls.crt`" and "... `tls.key`".
    Labelled { certificate: String, key: String },
    /// A combined PEM file (`AZURE_CLIENT_CERTIFICATE_PATH`).
    File(PathBuf),
    /// Given in code.
    Direct,
}

impl CertificateOrigin {
    fn describe(&self, part: PemPart) -> String {
        match (self, part) {
            (Self::Labelled { certificate, .. }, PemPart::Certificate) => certificate.clone(),
            (Self::Labelled { key, .. }, PemPart::Key) => key.clone(),
            (Self::File(path), _) => format!("the client certificate file {}", path.display()),
            (Self::Direct, PemPart::Certificate) => "the client certificate".to_owned(),
            (Self::Direct, PemPart::Key) => "the client certificate's private key".to_owned(),
        }
    }
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
#[path = "credential_tests.rs"]
mod tests;
