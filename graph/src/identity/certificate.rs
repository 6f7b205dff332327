//! Client certificates: an RSA private key and its X.509 certificate, read from PEM, and the
//! signed client assertion (private_key_jwt) that proves the application holds the key
//! (graph-api.md §6.2). Signing is `jsonwebtoken`'s, certificate parsing `x509-parser`'s and
//! PEM framing `pem`'s; only the choice of blocks and the thumbprints are done here.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use uuid::Uuid;

use super::credential::SecretString;

/// How long an assertion is valid: short, as the identity platform recommends (5–10 minutes).
pub const ASSERTION_LIFETIME_SECS: i64 = 600;

/// The two documented assertion forms (graph-api.md §6.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AssertionAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256, naming the certificate by its SHA-1 thumbprint (`x5t`):
    /// the older documented form, which most libraries still send.
    #[default]
    Rs256,
    /// RSASSA-PSS with SHA-256, naming the certificate by its SHA-256 thumbprint (`x5t#S256`):
    /// the form the current documentation shows.
    Ps256,
}

impl AssertionAlgorithm {
    fn jwt_algorithm(self) -> Algorithm {
        match self {
            Self::Rs256 => Algorithm::RS256,
            Self::Ps256 => Algorithm::PS256,
        }
    }
}

impl FromStr for AssertionAlgorithm {
    type Err = UnknownAlgorithm;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_uppercase().as_str() {
            "RS256" => Ok(Self::Rs256),
            "PS256" => Ok(Self::Ps256),
            _ => Err(UnknownAlgorithm),
        }
    }
}

impl fmt::Display for AssertionAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Rs256 => "RS256",
            Self::Ps256 => "PS256",
        })
    }
}

/// The algorithm is neither RS256 nor PS256.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the client assertion algorithm must be RS256 or PS256")]
pub struct UnknownAlgorithm;

/// Why a certificate and key could not be used. Never contains key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    #[error("holds no PEM `CERTIFICATE` block")]
    NoCertificate,
    #[error("holds a certificate that is not valid X.509 DER")]
    UnreadableCertificate,
    #[error(
        "holds a certificate whose public key is not RSA; application certificates must be RSA"
    )]
    NotRsa,
    #[error(
        "holds no PEM private key (`PRIVATE KEY` or `RSA PRIVATE KEY`, unencrypted; convert an encrypted one with `openssl pkcs8 -topk8 -nocrypt`)"
    )]
    NoPrivateKey,
    #[error(
        "holds a private key that is not a usable RSA key (at least 2048 bits, PKCS#1 or PKCS#8)"
    )]
    UnusableKey,
    #[error("holds a private key that does not belong to the certificate")]
    KeyMismatch,
    #[error("could not be used to sign a client assertion")]
    SigningFailed,
}

/// An RSA key with its certificate, ready to sign assertions. Cheap to clone. `Debug` and
/// `Display` show only the public thumbprint and the algorithm.
#[derive(Clone)]
pub struct ClientCertificate(Arc<Parsed>);

struct Parsed {
    key: EncodingKey,
    algorithm: AssertionAlgorithm,
    /// base64url SHA-1 of the certificate DER (`x5t`).
    x5t: String,
    /// base64url SHA-256 of the certificate DER (`x5t#S256`).
    x5t_s256: String,
    /// Upper-case hex SHA-1 of the DER, as the Azure portal lists certificates.
    thumbprint: String,
    /// SHA-256 of the private key's DER, so that a new key under the same certificate (which
    /// cannot work, but may be tried) is still a different credential.
    key_digest: Vec<u8>,
}

impl ClientCertificate {
    /// Reads the leaf certificate (the first `CERTIFICATE` block; a chain may follow) from
    /// `certificate_pem` and the private key from `key_pem`; both may be the same text, as in a
    /// combined PEM file. Checks that the key belongs to the certificate.
    pub fn from_pem(
        certificate_pem: &[u8],
        key_pem: &[u8],
        algorithm: AssertionAlgorithm,
    ) -> Result<Self, (PemPart, CertificateError)> {
        let certificate = first_block(certificate_pem, &["CERTIFICATE"])
            .ok_or((PemPart::Certificate, CertificateError::NoCertificate))?;
        let der = certificate.contents();
        let public_key = rsa_public_key(der).map_err(|error| (PemPart::Certificate, error))?;
        let key_block = first_block(key_pem, &["PRIVATE KEY", "RSA PRIVATE KEY"])
            .ok_or((PemPart::Key, CertificateError::NoPrivateKey))?;
        let key = EncodingKey::from_rsa_pem(pem::encode(&key_block).as_bytes())
            .map_err(|_| (PemPart::Key, CertificateError::UnusableKey))?;
        check_pair(&key, &public_key, algorithm).map_err(|error| (PemPart::Key, error))?;
        let sha1 = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, der);
        Ok(Self(Arc::new(Parsed {
            key,
            algorithm,
            x5t: URL_SAFE_NO_PAD.encode(sha1),
            x5t_s256: URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, der)),
            thumbprint: sha1.as_ref().iter().map(|b| format!("{b:02X}")).collect(),
            key_digest: digest::digest(&digest::SHA256, key_block.contents())
                .as_ref()
                .to_vec(),
        })))
    }

    pub fn algorithm(&self) -> AssertionAlgorithm {
        self.0.algorithm
    }

    /// The SHA-1 thumbprint in upper-case hex, as the Azure portal shows it.
    pub fn thumbprint(&self) -> &str {
        &self.0.thumbprint
    }

    /// Bytes that identify the certificate, key and algorithm, for [`crate::Credential::fingerprint`].
    pub(crate) fn identity(&self) -> [&[u8]; 3] {
        let algorithm: &[u8] = match self.0.algorithm {
            AssertionAlgorithm::Rs256 => b"RS256",
            AssertionAlgorithm::Ps256 => b"PS256",
        };
        [algorithm, self.0.x5t_s256.as_bytes(), &self.0.key_digest]
    }

    /// A fresh assertion for `client_id`, addressed to `token_url`, valid from now for
    /// [`ASSERTION_LIFETIME_SECS`].
    pub fn assertion(
        &self,
        client_id: &str,
        token_url: &str,
    ) -> Result<SecretString, CertificateError> {
        let now = jiff::Timestamp::now().as_second();
        self.assertion_at(client_id, token_url, now, &Uuid::new_v4().to_string())
    }

    pub(crate) fn assertion_at(
        &self,
        client_id: &str,
        token_url: &str,
        now: i64,
        jti: &str,
    ) -> Result<SecretString, CertificateError> {
        let claims = AssertionClaims {
            aud: token_url,
            iss: client_id,
            sub: client_id,
            jti,
            nbf: now,
            iat: now,
            exp: now + ASSERTION_LIFETIME_SECS,
        };
        let mut header = Header::new(self.0.algorithm.jwt_algorithm());
        header.typ = Some("JWT".to_owned());
        match self.0.algorithm {
            AssertionAlgorithm::Rs256 => header.x5t = Some(self.0.x5t.clone()),
            AssertionAlgorithm::Ps256 => header.x5t_s256 = Some(self.0.x5t_s256.clone()),
        }
        jsonwebtoken::encode(&header, &claims, &self.0.key)
            .map(SecretString::new)
            .map_err(|_| CertificateError::SigningFailed)
    }
}

impl PartialEq for ClientCertificate {
    fn eq(&self, other: &Self) -> bool {
        self.identity() == other.identity()
    }
}

impl Eq for ClientCertificate {}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("thumbprint", &self.0.thumbprint)
            .field("algorithm", &self.0.algorithm)
            .finish_non_exhaustive()
    }
}

/// Which half of the PEM input a [`CertificateError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PemPart {
    Certificate,
    Key,
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: &'a str,
    nbf: i64,
    iat: i64,
    exp: i64,
}

fn first_block(text: &[u8], tags: &[&str]) -> Option<pem::Pem> {
    pem::parse_many(text)
        .ok()?
        .into_iter()
        .find(|block| tags.contains(&block.tag()))
}

/// The certificate's RSA public key as PKCS#1 `RSAPublicKey` DER.
fn rsa_public_key(der: &[u8]) -> Result<Vec<u8>, CertificateError> {
    let (_, certificate) = x509_parser::parse_x509_certificate(der)
        .map_err(|_| CertificateError::UnreadableCertificate)?;
    let public_key = certificate.public_key();
    if public_key.algorithm.algorithm != x509_parser::oid_registry::OID_PKCS1_RSAENCRYPTION {
        return Err(CertificateError::NotRsa);
    }
    Ok(public_key.subject_public_key.data.to_vec())
}

/// Signs a probe and verifies it with the certificate's key: no library compares an RSA private
/// key with a certificate directly, and a mismatch found here is clearer than AADSTS700027 later.
fn check_pair(
    key: &EncodingKey,
    public_key: &[u8],
    algorithm: AssertionAlgorithm,
) -> Result<(), CertificateError> {
    let algorithm = algorithm.jwt_algorithm();
    let probe = jsonwebtoken::encode(&Header::new(algorithm), &ProbeClaims { exp: 0 }, key)
        .map_err(|_| CertificateError::UnusableKey)?;
    let mut validation = Validation::new(algorithm);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<ProbeClaims>(&probe, &DecodingKey::from_rsa_der(public_key), &validation)
        .map(drop)
        .map_err(|_| CertificateError::KeyMismatch)
}

#[derive(Serialize, serde::Deserialize)]
struct ProbeClaims {
    exp: i64,
}

#[cfg(test)]
#[path = "certificate_tests.rs"]
pub(crate) mod tests;
