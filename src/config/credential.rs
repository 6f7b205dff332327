//! The operator's own credential from its environment, under the names the Azure SDKs use and
//! chosen in their order: a client secret, else a client certificate, else Azure Workload
//! Identity's federated token file (as `EnvironmentCredential` precedes
//! `WorkloadIdentityCredential` in `DefaultAzureCredential`).

use std::path::PathBuf;

use graph::{AssertionAlgorithm, Credential, CredentialError, SecretString};

/// The raw settings, as parsed from flags and environment variables.
#[derive(Debug, Clone, Default)]
pub struct EnvironmentCredential {
    /// `AZURE_TENANT_ID`.
    pub tenant_id: Option<String>,
    /// `AZURE_CLIENT_ID`.
    pub client_id: Option<String>,
    /// `AZURE_CLIENT_SECRET`.
    pub client_secret: Option<SecretString>,
    /// `AZURE_CLIENT_CERTIFICATE_PATH`: one PEM file with the private key and the certificate.
    pub client_certificate_path: Option<PathBuf>,
    /// The assertion form for the certificate.
    pub assertion_algorithm: AssertionAlgorithm,
    /// `AZURE_FEDERATED_TOKEN_FILE`, set by the Azure Workload Identity webhook.
    pub federated_token_file: Option<PathBuf>,
}

/// Why the environment holds no usable credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvironmentCredentialError {
    /// Some settings are present but not a complete credential.
    #[error(
        "set AZURE_TENANT_ID and AZURE_CLIENT_ID with one of AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE, or none of them"
    )]
    Incomplete,
    #[error(transparent)]
    Credential(#[from] CredentialError),
}

impl EnvironmentCredential {
    /// The credential, `None` when nothing is set. An empty variable counts as unset, as the
    /// Azure SDKs treat it.
    pub fn into_credential(self) -> Result<Option<Credential>, EnvironmentCredentialError> {
        let text = |value: Option<String>| value.filter(|value| !value.trim().is_empty());
        let path = |value: Option<PathBuf>| value.filter(|path| !path.as_os_str().is_empty());
        let tenant_id = text(self.tenant_id);
        let client_id = text(self.client_id);
        let secret = self
            .client_secret
            .filter(|secret| !secret.expose_secret().trim().is_empty());
        let certificate_path = path(self.client_certificate_path);
        let token_file = path(self.federated_token_file);
        let proof_given = secret.is_some() || certificate_path.is_some() || token_file.is_some();
        let (tenant_id, client_id) = match (tenant_id, client_id) {
            (None, None) if !proof_given => return Ok(None),
            (Some(tenant_id), Some(client_id)) if proof_given => (tenant_id, client_id),
            _ => return Err(EnvironmentCredentialError::Incomplete),
        };
        let credential = if let Some(secret) = secret {
            Credential::client_secret(&tenant_id, &client_id, secret)?
        } else if let Some(certificate_path) = certificate_path {
            Credential::client_certificate_file(
                &tenant_id,
                &client_id,
                &certificate_path,
                self.assertion_algorithm,
            )?
        } else if let Some(token_file) = token_file {
            Credential::workload_identity(&tenant_id, &client_id, &token_file)?
        } else {
            return Err(EnvironmentCredentialError::Incomplete);
        };
        Ok(Some(credential))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> EnvironmentCredential {
        EnvironmentCredential {
            tenant_id: Some("contoso.example".to_owned()),
            client_id: Some("app".to_owned()),
            ..EnvironmentCredential::default()
        }
    }

    #[test]
    fn nothing_set_is_no_credential_and_half_set_is_an_error() {
        assert_eq!(EnvironmentCredential::default().into_credential(), Ok(None));
        assert_eq!(
            ids().into_credential(),
            Err(EnvironmentCredentialError::Incomplete)
        );
        let no_client = EnvironmentCredential {
            client_id: None,
            federated_token_file: Some("/token".into()),
            ..ids()
        };
        assert_eq!(
            no_client.into_credential(),
            Err(EnvironmentCredentialError::Incomplete)
        );
    }

    #[test]
    fn secret_then_certificate_then_federated_token() {
        let federated = EnvironmentCredential {
            federated_token_file: Some("/var/run/secrets/azure/tokens/azure-identity-token".into()),
            ..ids()
        };
        assert!(matches!(
            federated.clone().into_credential(),
            Ok(Some(Credential::WorkloadIdentity { .. }))
        ));
        let missing_certificate = EnvironmentCredential {
            client_certificate_path: Some("/nonexistent/client.pem".into()),
            ..federated.clone()
        };
        assert!(matches!(
            missing_certificate.clone().into_credential(),
            Err(EnvironmentCredentialError::Credential(
                CredentialError::CertificateFile { .. }
            ))
        ));
        let with_secret = EnvironmentCredential {
            client_secret: Some(SecretString::new("s3cret")),
            ..missing_certificate
        };
        assert!(matches!(
            with_secret.into_credential(),
            Ok(Some(Credential::ClientSecret { .. }))
        ));
        let empty_secret = EnvironmentCredential {
            client_secret: Some(SecretString::new("")),
            ..federated
        };
        assert!(matches!(
            empty_secret.into_credential(),
            Ok(Some(Credential::WorkloadIdentity { .. }))
        ));
    }
}
