//! A credential's fingerprint: a SHA-256 key that identifies it by value without revealing it,
//! so that clients can be shared per credential and retired when it rotates.

use std::fmt;

use aws_lc_rs::digest;

use super::super::delegated::StoreHandle;
use super::Credential;

impl Credential {
    /// A key that changes whenever any part of the credential does (a rotated secret gets a new
    /// client), derived by SHA-256 so that it can be logged and compared without the secret.
    ///
    /// A delegated credential is keyed by tenant, client, client secret and the store (the
    /// Secret's namespace and name), not by the refresh token: the operator rotates that token
    /// itself on every refresh, and keying by it would retire the client, its cached access
    /// token and its record of replaced tokens at each write-back. A token put into the Secret
    /// by a new `sds-operator login` reaches the same client through
    /// `GraphClient::offer_refresh_token`.
    pub fn fingerprint(&self) -> CredentialKey {
        let mut context = digest::Context::new(&digest::SHA256);
        let mut parts: Vec<&[u8]> = Vec::with_capacity(6);
        match self {
            Self::ClientSecret {
                tenant_id,
                client_id,
                client_secret,
            } => parts.extend([
                b"client-secret".as_slice(),
                tenant_id.as_bytes(),
                client_id.as_bytes(),
                client_secret.expose_secret().as_bytes(),
            ]),
            Self::ClientCertificate {
                tenant_id,
                client_id,
                certificate,
            } => {
                parts.extend([
                    b"client-certificate".as_slice(),
                    tenant_id.as_bytes(),
                    client_id.as_bytes(),
                ]);
                parts.extend(certificate.identity());
            }
            Self::WorkloadIdentity {
                tenant_id,
                client_id,
                token_file,
            } => parts.extend([
                b"workload-identity".as_slice(),
                tenant_id.as_bytes(),
                client_id.as_bytes(),
                token_file.as_os_str().as_encoded_bytes(),
            ]),
            Self::Delegated {
                tenant_id,
                client_id,
                client_secret,
                store,
                ..
            } => parts.extend([
                b"delegated".as_slice(),
                tenant_id.as_bytes(),
                client_id.as_bytes(),
                client_secret
                    .as_ref()
                    .map_or(b"".as_slice(), |secret| secret.expose_secret().as_bytes()),
                store.as_ref().map_or("", StoreHandle::id).as_bytes(),
            ]),
        }
        // Length-prefixed so that no two different sequences hash the same input.
        for part in parts {
            context.update(&(part.len() as u64).to_be_bytes());
            context.update(part);
        }
        let mut key = [0; 32];
        key.copy_from_slice(context.finish().as_ref());
        CredentialKey(key)
    }
}

/// Identifies a credential by value without revealing it (see [`Credential::fingerprint`]): the
/// digest itself, 32 bytes kept inline, since every resource's entry holds one; hex when shown.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CredentialKey([u8; 32]);

impl fmt::Debug for CredentialKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CredentialKey({self})")
    }
}

impl fmt::Display for CredentialKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}
