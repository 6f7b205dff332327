//! Access tokens: compact JWTs signed with HS256 under a key that lives only as long as the
//! emulator, so only tokens this instance issued verify.

use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// Audience of Graph access tokens.
pub const GRAPH_AUDIENCE: &str = "https://graph.microsoft.com";

/// The claims the emulator issues and checks. App-only tokens carry `roles` (`idtyp: app`);
/// delegated tokens carry `scp` instead (space-separated), `idtyp: user`, `upn` and `name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub tid: String,
    pub appid: String,
    pub oid: String,
    pub sub: String,
    pub idtyp: String,
    pub uti: String,
    pub ver: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Why a presented token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token signature is invalid")]
    BadSignature,
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    typ: String,
    alg: String,
    kid: String,
}

/// Signs and verifies tokens with a per-instance random key.
pub struct TokenSigner {
    key: hmac::Key,
    kid: String,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The system random source failed; nothing sensible can be signed.
#[derive(Debug, thiserror::Error)]
#[error("the system random number generator failed")]
pub struct RandomError;

impl TokenSigner {
    pub fn generate() -> Result<Self, RandomError> {
        let mut secret = [0_u8; 32];
        SystemRandom::new()
            .fill(&mut secret)
            .map_err(|_| RandomError)?;
        Ok(Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
            kid: uuid::Uuid::new_v4().simple().to_string(),
        })
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let header = Header {
            typ: "JWT".to_owned(),
            alg: "HS256".to_owned(),
            kid: self.kid.clone(),
        };
        let signing_input = format!("{}.{}", encode_json(&header), encode_json(claims));
        let tag = hmac::sign(&self.key, signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// Checks structure and signature; time and audience checks are the caller's.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let signing_input = &token[..header.len() + 1 + payload.len()];
        hmac::verify(&self.key, signing_input.as_bytes(), &signature)
            .map_err(|_| TokenError::BadSignature)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Malformed)?;
        serde_json::from_slice(&payload).map_err(|_| TokenError::Malformed)
    }
}

fn encode_json(value: &impl Serialize) -> String {
    // Serialising these plain structs cannot fail; an empty object keeps the token well formed.
    let bytes = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            aud: GRAPH_AUDIENCE.to_owned(),
            iss: "https://sts.windows.net/t/".to_owned(),
            iat: 1,
            nbf: 1,
            exp: 2,
            tid: "t".to_owned(),
            appid: "a".to_owned(),
            oid: "o".to_owned(),
            sub: "o".to_owned(),
            idtyp: "app".to_owned(),
            uti: "u".to_owned(),
            ver: "1.0".to_owned(),
            roles: Some(vec!["r".to_owned()]),
            scp: None,
            upn: None,
            name: None,
        }
    }

    #[test]
    fn round_trips_and_rejects_foreign_tokens() {
        let signer = TokenSigner::generate().unwrap();
        let token = signer.sign(&claims());
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(signer.verify(&token).unwrap(), claims());
        let other = TokenSigner::generate().unwrap();
        assert_eq!(other.verify(&token), Err(TokenError::BadSignature));
        assert_eq!(signer.verify("abc"), Err(TokenError::Malformed));
    }
}
