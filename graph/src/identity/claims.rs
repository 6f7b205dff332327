//! Reading (not verifying) an access token's claims, for the permission preflight.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

/// The claims of an access token that matter for a permission preflight. Read without
/// verifying the signature: the token came straight from the identity platform over TLS.
#[derive(Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenClaims {
    /// App roles granted to the application (app-only tokens).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Delegated scopes, space-separated (delegated tokens only).
    #[serde(default)]
    pub scp: Option<String>,
    /// Tenant id.
    #[serde(default)]
    pub tid: Option<String>,
    /// Application id (`appid` in v1 tokens, `azp` in v2 tokens).
    #[serde(default, alias = "azp")]
    pub appid: Option<String>,
    /// Expiry, in seconds since the Unix epoch.
    #[serde(default)]
    pub exp: Option<i64>,
}

impl TokenClaims {
    /// Whether the token grants `permission`, as an app role or a delegated scope.
    pub fn grants(&self, permission: &str) -> bool {
        let scopes = self.scp.as_deref().unwrap_or_default().split_whitespace();
        self.roles
            .iter()
            .map(String::as_str)
            .chain(scopes)
            .any(|granted| granted.eq_ignore_ascii_case(permission))
    }

    /// Reads the payload of a compact JWT.
    pub(crate) fn decode(token: &str) -> Option<Self> {
        let payload = token.split('.').nth(1)?;
        let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_claims_without_verifying() {
        let payload = URL_SAFE_NO_PAD.encode(
            br#"{"aud":"https://graph.microsoft.com","tid":"t","azp":"a","exp":5,"roles":["IndustryData-OutboundFlow.ReadWrite.All"]}"#,
        );
        let claims = TokenClaims::decode(&format!("h.{payload}.s")).unwrap();
        assert_eq!(claims.tid.as_deref(), Some("t"));
        assert_eq!(claims.appid.as_deref(), Some("a"));
        assert_eq!(claims.exp, Some(5));
        assert!(claims.grants("industrydata-outboundflow.readwrite.all"));
        assert!(!claims.grants("IndustryData-OutboundFlow.Read.All"));
        let delegated = TokenClaims {
            scp: Some("User.Read IndustryData-OutboundFlow.Read.All".to_owned()),
            ..TokenClaims::default()
        };
        assert!(delegated.grants("IndustryData-OutboundFlow.Read.All"));
        assert!(TokenClaims::decode("not-a-jwt").is_none());
    }
}
