//! Client assertions on the token endpoint: a JWT the application signed with the private key of
//! a registered certificate (graph-api.md §6.2), or a token of an external issuer the application
//! trusts through a federated identity credential (§6.3). Signatures and time claims are checked
//! by `jsonwebtoken`; this module decides which key applies and which AADSTS error to answer.

use std::collections::HashMap;

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, Header, Validation};
use serde::Deserialize;
use serde_json::Value;

use super::error::AadError;
use crate::config::{ClientRegistration, FederatedCredential};

/// The only `client_assertion_type` the identity platform accepts.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
const LEEWAY_SECS: i64 = 60;

/// The claims looked at before and after verification. `aud` may be a string or an array.
#[derive(Debug, Clone, Default, Deserialize)]
struct AssertionClaims {
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    aud: Option<Value>,
    #[serde(default)]
    jti: Option<String>,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    exp: Option<i64>,
}

impl AssertionClaims {
    fn audiences(&self) -> Vec<String> {
        match &self.aud {
            Some(Value::String(one)) => vec![one.clone()],
            Some(Value::Array(many)) => many
                .iter()
                .filter_map(|value| value.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// `jti`s of accepted certificate assertions, kept until the assertion expires, so that a
/// captured assertion cannot be replayed. Federated tokens are exempt: Kubernetes hands the same
/// projected token to every request until it rotates it, and Entra ID accepts that.
#[derive(Debug, Default)]
pub struct UsedAssertions {
    by_client: HashMap<(String, String), i64>,
}

impl UsedAssertions {
    /// Records `jti`; false when it was already used and has not expired yet.
    fn record(&mut self, client_id: &str, jti: &str, exp: i64, now: i64) -> bool {
        self.by_client.retain(|_, expiry| *expiry >= now);
        self.by_client
            .insert((client_id.to_owned(), jti.to_owned()), exp)
            .is_none()
    }
}

/// Checks `assertion` for `client`; `token_url` is the URL the request was sent to, which a
/// certificate assertion must name as its audience.
pub fn verify(
    client: &ClientRegistration,
    assertion: &str,
    token_url: &str,
    now: i64,
    used: &mut UsedAssertions,
) -> Result<(), AadError> {
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| AadError::malformed_jwt())?;
    let unverified = jsonwebtoken::dangerous::insecure_decode_claims::<AssertionClaims>(assertion)
        .map_err(|_| AadError::malformed_jwt())?;
    // The application signs its own assertions with iss = its client id; anything else claims
    // to come from an external issuer.
    if unverified.iss.as_deref() == Some(client.client_id.as_str()) {
        let claims = verify_certificate_assertion(client, &header, assertion, token_url, now)?;
        let jti = claims
            .jti
            .as_deref()
            .filter(|jti| !jti.is_empty())
            .ok_or_else(|| {
                AadError::assertion_rejected("The client assertion has no 'jti' claim.")
            })?;
        if !used.record(&client.client_id, jti, claims.exp.unwrap_or(now), now) {
            return Err(AadError::assertion_replayed(jti));
        }
        Ok(())
    } else {
        verify_federated_assertion(client, &header, &unverified, assertion, now)
    }
}

/// A registered certificate, parsed.
struct RegisteredCertificate {
    /// base64url SHA-1 of the DER (`x5t`).
    sha1: String,
    /// base64url SHA-256 of the DER (`x5t#S256`).
    sha256: String,
    /// The subject public key (PKCS#1 `RSAPublicKey` DER).
    public_key: Vec<u8>,
}

/// Parses the `CERTIFICATE` blocks of a PEM text; others (and unreadable ones) are skipped, since
/// registration already refused PEM texts without a certificate.
fn registered_certificates(pem_text: &str) -> Vec<RegisteredCertificate> {
    pem::parse_many(pem_text)
        .unwrap_or_default()
        .iter()
        .filter(|block| block.tag() == "CERTIFICATE")
        .filter_map(|block| {
            let der = block.contents();
            let (_, certificate) = x509_parser::parse_x509_certificate(der).ok()?;
            let thumbprint = |algorithm| URL_SAFE_NO_PAD.encode(digest::digest(algorithm, der));
            Some(RegisteredCertificate {
                sha1: thumbprint(&digest::SHA1_FOR_LEGACY_USE_ONLY),
                sha256: thumbprint(&digest::SHA256),
                public_key: certificate.public_key().subject_public_key.data.to_vec(),
            })
        })
        .collect()
}

/// Whether `pem_text` holds at least one X.509 certificate (checked when a client is registered).
pub fn holds_certificate(pem_text: &str) -> bool {
    !registered_certificates(pem_text).is_empty()
}

fn verify_certificate_assertion(
    client: &ClientRegistration,
    header: &Header,
    assertion: &str,
    token_url: &str,
    now: i64,
) -> Result<AssertionClaims, AadError> {
    let client_id = client.client_id.as_str();
    let thumbprint = header
        .x5t_s256
        .as_deref()
        .or(header.x5t.as_deref())
        .ok_or_else(|| {
            AadError::assertion_rejected(
                "The client assertion's header names no certificate: set 'x5t' or 'x5t#S256'.",
            )
        })?;
    let certificate = client
        .certificates
        .iter()
        .flat_map(|pem_text| registered_certificates(pem_text))
        .find(|certificate| match (&header.x5t_s256, &header.x5t) {
            (Some(sha256), _) => *sha256 == certificate.sha256,
            (None, Some(sha1)) => *sha1 == certificate.sha1,
            (None, None) => false,
        })
        .ok_or_else(|| AadError::certificate_not_registered(client_id, thumbprint))?;
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::PS256) {
        return Err(AadError::assertion_rejected(format!(
            "The client assertion's algorithm {:?} is not supported; use RS256 or PS256.",
            header.alg
        )));
    }
    let mut validation = signature_validation(header.alg);
    validation.validate_aud = true;
    validation.set_audience(&[token_url]);
    validation.set_issuer(&[client_id]);
    validation.sub = Some(client_id.to_owned());
    validation.set_required_spec_claims(&["exp", "nbf", "aud", "iss", "sub"]);
    let key = DecodingKey::from_rsa_der(&certificate.public_key);
    let claims = jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation)
        .map(|data| data.claims)
        .map_err(|error| match error.kind() {
            ErrorKind::InvalidSignature => AadError::assertion_signature_invalid(),
            ErrorKind::InvalidAudience => AadError::assertion_rejected(format!(
                "The client assertion's audience must be the token endpoint '{token_url}'."
            )),
            ErrorKind::InvalidIssuer | ErrorKind::InvalidSubject => AadError::assertion_rejected(
                format!("The client assertion's 'iss' and 'sub' must both be '{client_id}'."),
            ),
            ErrorKind::MissingRequiredClaim(claim) => AadError::assertion_rejected(format!(
                "The client assertion has no '{claim}' claim."
            )),
            _ => AadError::malformed_jwt(),
        })?;
    check_time(&claims, now)?;
    Ok(claims)
}

fn verify_federated_assertion(
    client: &ClientRegistration,
    header: &Header,
    unverified: &AssertionClaims,
    assertion: &str,
    now: i64,
) -> Result<(), AadError> {
    let issuer = unverified.iss.as_deref().unwrap_or_default();
    let subject = unverified.sub.as_deref().unwrap_or_default();
    let audiences = unverified.audiences();
    let no_match = || AadError::no_matching_federated_identity(issuer, subject, &audiences);
    let trusted: Vec<&FederatedCredential> = client
        .federated_credentials
        .iter()
        .filter(|credential| credential.issuer == issuer)
        .collect();
    if trusted.is_empty() {
        return Err(no_match());
    }
    // Audience and subject are matched against the credentials below, for the AADSTS70021 answer.
    let mut validation = signature_validation(header.alg);
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    // Any key of the issuer may have signed it (keys rotate), so each is tried.
    let claims = trusted
        .iter()
        .flat_map(|credential| issuer_keys(credential, header))
        .find_map(|key| jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation).ok())
        .map(|data| data.claims)
        .ok_or_else(AadError::assertion_signature_invalid)?;
    check_time(&claims, now)?;
    let matches = trusted.iter().any(|credential| {
        credential.subject == subject
            && credential
                .audiences
                .iter()
                .any(|audience| audiences.contains(audience))
    });
    if matches { Ok(()) } else { Err(no_match()) }
}

/// The keys of a federated credential usable for the token's algorithm (by `kid` in a JWK set).
fn issuer_keys(credential: &FederatedCredential, header: &Header) -> Vec<DecodingKey> {
    let family = header.alg.family();
    let from_pem = credential
        .issuer_keys
        .iter()
        .filter_map(|pem_text| match family {
            AlgorithmFamily::Ec => DecodingKey::from_ec_pem(pem_text.as_bytes()).ok(),
            AlgorithmFamily::Rsa => DecodingKey::from_rsa_pem(pem_text.as_bytes()).ok(),
            _ => None,
        });
    let jwks: Option<JwkSet> = credential
        .issuer_jwks
        .clone()
        .and_then(|value| serde_json::from_value(value).ok());
    let from_jwks = jwks
        .map(|set| set.keys)
        .unwrap_or_default()
        .into_iter()
        .filter(|jwk| match (&header.kid, &jwk.common.key_id) {
            (Some(wanted), Some(kid)) => wanted == kid,
            _ => true,
        })
        .filter_map(|jwk| DecodingKey::from_jwk(&jwk).ok());
    from_pem.chain(from_jwks).collect()
}

/// A validation of the signature and the presence of claims only. Time is checked by
/// [`check_time`] against the caller's `now` (jsonwebtoken would read the system clock itself).
fn signature_validation(algorithm: Algorithm) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation
}

/// `nbf - leeway <= now < exp + leeway`; `exp` is required, `nbf` optional.
fn check_time(claims: &AssertionClaims, now: i64) -> Result<(), AadError> {
    let started = claims.nbf.is_none_or(|nbf| nbf - LEEWAY_SECS <= now);
    let unexpired = claims.exp.is_some_and(|exp| now < exp + LEEWAY_SECS);
    if started && unexpired {
        Ok(())
    } else {
        Err(AadError::assertion_out_of_time(now, claims.nbf, claims.exp))
    }
}

#[cfg(test)]
#[path = "assertion_tests.rs"]
mod tests;
