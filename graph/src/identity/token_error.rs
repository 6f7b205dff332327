//! Failures of the Microsoft identity platform's token endpoint (graph-api.md §6.4), classified by
//! the OAuth `error` and the AADSTS numbers in `error_codes`, never by the description text.

use serde::Deserialize;

/// Why no access token could be had.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenErrorKind {
    /// AADSTS7000215: the secret is wrong (often the secret's id instead of its value).
    InvalidClientSecret,
    /// AADSTS7000222: the secret has expired.
    ExpiredClientSecret,
    /// AADSTS700016: no such application in the tenant.
    ApplicationNotFound,
    /// AADSTS90002: no such tenant (in this cloud).
    TenantNotFound,
    /// AADSTS70011 / 700022: the scope was refused.
    InvalidScope,
    /// AADSTS700027: the client assertion's signature failed validation; for a certificate,
    /// usually because the certificate is not registered for the application.
    AssertionSignatureInvalid,
    /// AADSTS700024: the assertion is outside its `nbf`…`exp` window.
    AssertionOutOfTime,
    /// AADSTS50012: the assertion was refused (wrong audience, issuer, subject, a reused jti).
    AssertionRejected,
    /// AADSTS70021: no federated identity credential matches the token's issuer, subject and audience.
    NoMatchingFederatedIdentity,
    /// The workload-identity token file could not be read (nothing was sent).
    FederatedTokenUnreadable,
    /// The client certificate could not sign an assertion (nothing was sent).
    AssertionNotSigned,
    /// AADSTS700082 / 70008: the delegated refresh token expired (unused for too long).
    RefreshTokenExpired,
    /// AADSTS50173 / 50133: the user's sessions were revoked (password reset, revoke sessions).
    RefreshTokenRevoked,
    /// AADSTS70000 / 9002313 or another `invalid_grant`: the refresh token is not valid, for
    /// example one already redeemed where reuse is refused.
    RefreshTokenRejected,
    /// AADSTS65001 or `interaction_required` (50076, 50079: MFA): the user must sign in again.
    InteractionRequired,
    /// The token endpoint rotated the refresh token but the new one could not be stored.
    RefreshTokenNotSaved,
    /// 429, 5xx, `temporarily_unavailable`, or the endpoint could not be reached: transient.
    Unavailable,
    /// Any other refusal, with its AADSTS number when there was one.
    Other(Option<u32>),
}

impl TokenErrorKind {
    /// Classifies an error answer of the token endpoint.
    pub(crate) fn classify(status: u16, body: Option<&AadErrorBody>) -> Self {
        let error = body.and_then(|body| body.error.as_deref());
        if status == 429 || status >= 500 || error == Some("temporarily_unavailable") {
            return Self::Unavailable;
        }
        let codes = body.map(|body| body.error_codes.as_slice()).unwrap_or(&[]);
        for code in codes {
            let kind = match code {
                7_000_215 => Self::InvalidClientSecret,
                7_000_222 => Self::ExpiredClientSecret,
                700_016 => Self::ApplicationNotFound,
                90_002 => Self::TenantNotFound,
                70_011 | 700_022 => Self::InvalidScope,
                700_027 => Self::AssertionSignatureInvalid,
                700_024 => Self::AssertionOutOfTime,
                50_012 => Self::AssertionRejected,
                70_021 => Self::NoMatchingFederatedIdentity,
                700_082 | 70_008 => Self::RefreshTokenExpired,
                50_173 | 50_133 => Self::RefreshTokenRevoked,
                70_000 | 9_002_313 | 54_005 => Self::RefreshTokenRejected,
                65_001 | 50_076 | 50_079 => Self::InteractionRequired,
                _ => continue,
            };
            return kind;
        }
        match error {
            Some("invalid_grant") => Self::RefreshTokenRejected,
            Some("interaction_required") => Self::InteractionRequired,
            _ => Self::Other(codes.first().copied()),
        }
    }

    /// What a person should check, as the end of an error sentence.
    pub(crate) fn advice(self) -> String {
        match self {
            Self::InvalidClientSecret => "the identity platform rejected the client secret \
                (AADSTS7000215); store the secret's value, not its id, in the credential"
                .into(),
            Self::ExpiredClientSecret => "the client secret has expired (AADSTS7000222); create \
                a new secret for the application and update the credential"
                .into(),
            Self::ApplicationNotFound => "the application (clientId) was not found in the \
                tenant (AADSTS700016); check clientId and tenantId and that the application \
                is consented in that tenant"
                .into(),
            Self::TenantNotFound => "the tenant was not found (AADSTS90002); check tenantId and \
                that the tenant is in the global Azure cloud, the only one serving this API"
                .into(),
            Self::InvalidScope => "the identity platform refused the Graph scope (AADSTS70011); \
                check the authority host"
                .into(),
            Self::AssertionSignatureInvalid => "the client assertion failed signature \
                validation (AADSTS700027): the certificate is not registered for this \
                application; upload the certificate (tls.crt, public part only) under the \
                application's Certificates & secrets, or use the key that belongs to a registered \
                certificate"
                .into(),
            Self::AssertionOutOfTime => "the client assertion is outside its valid time range \
                (AADSTS700024); check this machine's clock, and for workload identity that the \
                projected service-account token file is being refreshed"
                .into(),
            Self::AssertionRejected => "the identity platform rejected the client assertion \
                (AADSTS50012); check clientId and tenantId and this machine's clock"
                .into(),
            Self::NoMatchingFederatedIdentity => "no federated identity credential of the \
                application matches the service-account token (AADSTS70021); add one with the \
                cluster's OIDC issuer URL as issuer, system:serviceaccount:NAMESPACE:NAME of the \
                operator's service account as subject and api://AzureADTokenExchange as audience"
                .into(),
            Self::FederatedTokenUnreadable => "the Azure Workload Identity token file could not \
                be used; check that the operator's pod has the label \
                azure.workload.identity/use=true and that AZURE_FEDERATED_TOKEN_FILE names the \
                projected token"
                .into(),
            Self::AssertionNotSigned => "the client certificate's key could not sign an \
                assertion; replace tls.key with an unencrypted RSA key of at least 2048 bits"
                .into(),
            Self::RefreshTokenExpired => "the delegated refresh token has expired \
                (unused for too long); run `sds-operator login` again to store a new one in the \
                credentials Secret"
                .into(),
            Self::RefreshTokenRevoked => "the delegated refresh token was revoked (the user's \
                sessions were revoked or the password changed); run `sds-operator login` again \
                to store a new one in the credentials Secret"
                .into(),
            Self::RefreshTokenRejected => "the identity platform refused the delegated refresh \
                token (revoked, already redeemed or not issued to this application); run \
                `sds-operator login` again to store a new one in the credentials Secret"
                .into(),
            Self::InteractionRequired => "the user must sign in again (consent or multi-factor \
                authentication is required); run `sds-operator login` again"
                .into(),
            Self::RefreshTokenNotSaved => "the rotated refresh token could not be written back \
                to the credentials Secret; let the operator patch Secrets (chart value \
                rbac.writeDelegatedSecrets) — the new token is kept in memory until then, and if \
                the operator restarts first, run `sds-operator login` again"
                .into(),
            Self::Unavailable => {
                "the identity platform is unavailable or throttling; retry later".into()
            }
            Self::Other(Some(code)) => format!(
                "the identity platform refused the token request (AADSTS{code}); see \
                 https://login.microsoftonline.com/error?code={code}"
            ),
            Self::Other(None) => "the identity platform refused the token request".into(),
        }
    }
}

/// The identity platform's error body.
#[derive(Deserialize, Debug, Default)]
pub(crate) struct AadErrorBody {
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub error_codes: Vec<u32>,
    #[serde(default)]
    pub trace_id: Option<String>,
}

impl AadErrorBody {
    /// The description without the trailing "Trace ID / Correlation ID / Timestamp" lines,
    /// which the error repeats in its own fields.
    pub fn summary(&self) -> Option<String> {
        let description = self.error_description.as_deref()?;
        let first = description.lines().next()?.trim();
        (!first.is_empty()).then(|| first.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(error: &str, codes: &[u32]) -> AadErrorBody {
        AadErrorBody {
            error: Some(error.to_owned()),
            error_codes: codes.to_vec(),
            ..AadErrorBody::default()
        }
    }

    #[test]
    fn classifies_by_aadsts_code() {
        let cases = [
            (401, 7_000_215, TokenErrorKind::InvalidClientSecret),
            (401, 7_000_222, TokenErrorKind::ExpiredClientSecret),
            (400, 700_016, TokenErrorKind::ApplicationNotFound),
            (400, 90_002, TokenErrorKind::TenantNotFound),
            (400, 70_011, TokenErrorKind::InvalidScope),
            (400, 700_022, TokenErrorKind::InvalidScope),
            (400, 50_012, TokenErrorKind::AssertionRejected),
            (401, 700_027, TokenErrorKind::AssertionSignatureInvalid),
            (400, 700_024, TokenErrorKind::AssertionOutOfTime),
            (400, 70_021, TokenErrorKind::NoMatchingFederatedIdentity),
            (400, 700_082, TokenErrorKind::RefreshTokenExpired),
            (400, 50_173, TokenErrorKind::RefreshTokenRevoked),
            (400, 70_000, TokenErrorKind::RefreshTokenRejected),
            (400, 9_002_313, TokenErrorKind::RefreshTokenRejected),
            (400, 65_001, TokenErrorKind::InteractionRequired),
            (400, 7_000_218, TokenErrorKind::Other(Some(7_000_218))),
        ];
        for (status, code, kind) in cases {
            let body = body("invalid_client", &[code]);
            assert_eq!(
                TokenErrorKind::classify(status, Some(&body)),
                kind,
                "{code}"
            );
        }
    }

    #[test]
    fn refresh_failures_name_the_login_command() {
        assert_eq!(
            TokenErrorKind::classify(400, Some(&body("invalid_grant", &[12_345]))),
            TokenErrorKind::RefreshTokenRejected
        );
        assert_eq!(
            TokenErrorKind::classify(400, Some(&body("interaction_required", &[]))),
            TokenErrorKind::InteractionRequired
        );
        for kind in [
            TokenErrorKind::RefreshTokenExpired,
            TokenErrorKind::RefreshTokenRevoked,
            TokenErrorKind::RefreshTokenRejected,
            TokenErrorKind::InteractionRequired,
        ] {
            assert!(kind.advice().contains("sds-operator login"), "{kind:?}");
        }
    }

    #[test]
    fn transient_answers_are_unavailable() {
        let body = body("temporarily_unavailable", &[90_033]);
        assert_eq!(
            TokenErrorKind::classify(400, Some(&body)),
            TokenErrorKind::Unavailable
        );
        assert_eq!(
            TokenErrorKind::classify(503, None),
            TokenErrorKind::Unavailable
        );
        assert_eq!(
            TokenErrorKind::classify(429, None),
            TokenErrorKind::Unavailable
        );
        assert_eq!(
            TokenErrorKind::classify(400, None),
            TokenErrorKind::Other(None)
        );
    }

    #[test]
    fn summary_drops_trace_lines() {
        let body: AadErrorBody = serde_json::from_value(serde_json::json!({
            "error": "invalid_scope",
            "error_description": "AADSTS70011: The scope is not valid.\r\nTrace ID: t\r\nCorrelation ID: c\r\nTimestamp: 2016-01-09 02:02:12Z",
            "error_codes": [70011],
            "trace_id": "t",
            "error_uri": "https://login.microsoftonline.com/error?code=70011"
        }))
        .unwrap();
        assert_eq!(
            body.summary().as_deref(),
            Some("AADSTS70011: The scope is not valid.")
        );
        assert_eq!(body.trace_id.as_deref(), Some("t"));
    }
}
