//! The token endpoint: success shape, claims, and every OAuth error in the AADSTS shape.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::support::*;

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// Asserts the identity platform's error shape and returns the body.
async fn aad_error(response: reqwest::Response, status: u16, error: &str, code: u64) -> Value {
    assert_eq!(response.status(), status);
    let request_id = response.headers()["request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"], serde_json::json!([code]));
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{description}"
    );
    assert!(description.contains("\r\nTrace ID: "));
    assert!(description.contains("\r\nCorrelation ID: "));
    assert!(description.contains("\r\nTimestamp: "));
    assert_eq!(body["trace_id"], request_id.as_str());
    assert!(body["correlation_id"].is_string());
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    assert!(
        body["error_uri"]
            .as_str()
            .unwrap()
            .ends_with(&format!("error?code={code}"))
    );
    body
}

fn form<'a>(client: &'a str, secret: &'a str, scope: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("client_id", client),
        ("client_secret", secret),
        ("scope", scope),
    ]
}

#[tokio::test]
async fn client_credentials_issue_a_graph_jwt() {
    let h = Harness::start().await;
    let response = h
        .token_request(TENANT, &form(WRITER, WRITER_SECRET, GRAPH_SCOPE))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["ext_expires_in"], 3599);
    let claims = claims_of(body["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], "https://graph.microsoft.com");
    assert_eq!(claims["iss"], format!("https://sts.windows.net/{TENANT}/"));
    assert_eq!(claims["tid"], TENANT);
    assert_eq!(claims["appid"], WRITER);
    assert_eq!(claims["idtyp"], "app");
    assert_eq!(
        claims["roles"],
        serde_json::json!(["IndustryData-OutboundFlow.ReadWrite.All"])
    );
    assert!(claims["oid"].is_string());
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(claims["nbf"].as_i64().unwrap(), iat);
    assert_eq!(claims["exp"].as_i64().unwrap(), iat + 3599);
}

#[tokio::test]
async fn http_basic_credentials_are_accepted() {
    let h = Harness::start().await;
    let response = h
        .http
        .post(h.emu.token_url(TENANT))
        .basic_auth(WRITER, Some(WRITER_SECRET))
        .form(&[("grant_type", "client_credentials"), ("scope", GRAPH_SCOPE)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn unknown_tenant_is_aadsts90002() {
    let h = Harness::start().await;
    let response = h
        .token_request("contoso.example", &form(WRITER, WRITER_SECRET, GRAPH_SCOPE))
        .await;
    aad_error(response, 400, "invalid_request", 90002).await;
}

#[tokio::test]
async fn multi_tenant_aliases_are_refused_for_client_credentials() {
    let h = Harness::start().await;
    for alias in ["common", "consumers", "organizations"] {
        let response = h
            .token_request(alias, &form(WRITER, WRITER_SECRET, GRAPH_SCOPE))
            .await;
        aad_error(response, 400, "invalid_request", 9001023).await;
    }
}

#[tokio::test]
async fn unknown_client_is_aadsts700016() {
    let h = Harness::start().await;
    let response = h
        .token_request(
            TENANT,
            &form("00000000-0000-0000-0000-000000000001", "x", GRAPH_SCOPE),
        )
        .await;
    aad_error(response, 400, "unauthorized_client", 700016).await;
}

#[tokio::test]
async fn wrong_secret_is_aadsts7000215_and_never_echoed() {
    let h = Harness::start().await;
    let response = h
        .token_request(TENANT, &form(WRITER, "not-the-secret-42", GRAPH_SCOPE))
        .await;
    let body = aad_error(response, 401, "invalid_client", 7000215).await;
    assert!(!body.to_string().contains("not-the-secret-42"));
}

#[tokio::test]
async fn expired_secret_is_aadsts7000222() {
    let h = Harness::start().await;
    let response = h
        .token_request(TENANT, &form(EXPIRED, EXPIRED_SECRET, GRAPH_SCOPE))
        .await;
    aad_error(response, 401, "invalid_client", 7000222).await;
}

#[tokio::test]
async fn missing_secret_is_aadsts7000218() {
    let h = Harness::start().await;
    let response = h
        .token_request(
            TENANT,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", WRITER),
                ("scope", GRAPH_SCOPE),
            ],
        )
        .await;
    aad_error(response, 400, "invalid_client", 7000218).await;
}

#[tokio::test]
async fn bad_scope_is_aadsts70011() {
    let h = Harness::start().await;
    for scope in [
        "User.Read",
        "https://graph.microsoft.com/User.Read",
        "https://management.azure.com/.default",
    ] {
        let response = h
            .token_request(TENANT, &form(WRITER, WRITER_SECRET, scope))
            .await;
        aad_error(response, 400, "invalid_scope", 70011).await;
    }
}

/// MSAL for Go sends `openid offline_access profile` beside `.default` on every request; the
/// identity platform takes the reserved OpenID Connect scopes beside a resource's `.default`.
#[tokio::test]
async fn reserved_oidc_scopes_beside_default_get_an_app_token() {
    let h = Harness::start().await;
    for scope in [
        "https://graph.microsoft.com/.default openid offline_access profile",
        "https://graph.microsoft.com/.default email",
    ] {
        let response = h
            .token_request(TENANT, &form(WRITER, WRITER_SECRET, scope))
            .await;
        assert_eq!(response.status(), 200, "{scope}");
        let body: Value = response.json().await.unwrap();
        assert!(body.get("refresh_token").is_none(), "{scope}");
        assert!(body.get("id_token").is_none(), "{scope}");
        let claims = claims_of(body["access_token"].as_str().unwrap());
        assert_eq!(claims["idtyp"], "app");
        assert_eq!(
            claims["roles"],
            serde_json::json!(["IndustryData-OutboundFlow.ReadWrite.All"])
        );
    }
}

#[tokio::test]
async fn reserved_oidc_scopes_alone_or_beside_a_permission_are_aadsts70011() {
    let h = Harness::start().await;
    for scope in [
        "openid offline_access profile",
        "https://graph.microsoft.com/.default openid User.Read",
    ] {
        let response = h
            .token_request(TENANT, &form(WRITER, WRITER_SECRET, scope))
            .await;
        aad_error(response, 400, "invalid_scope", 70011).await;
    }
}

#[tokio::test]
async fn scope_spanning_two_resources_is_aadsts700022() {
    let h = Harness::start().await;
    let scope = "https://graph.microsoft.com/.default https://management.azure.com/.default";
    let response = h
        .token_request(TENANT, &form(WRITER, WRITER_SECRET, scope))
        .await;
    aad_error(response, 400, "invalid_scope", 700022).await;
}

#[tokio::test]
async fn unsupported_grant_type() {
    let h = Harness::start().await;
    let response = h
        .token_request(
            TENANT,
            &[
                ("grant_type", "password"),
                ("client_id", WRITER),
                ("scope", GRAPH_SCOPE),
            ],
        )
        .await;
    aad_error(response, 400, "unsupported_grant_type", 70003).await;
}

#[tokio::test]
async fn missing_parameters_are_aadsts900144() {
    let h = Harness::start().await;
    let response = h.token_request(TENANT, &[("client_id", WRITER)]).await;
    let body = aad_error(response, 400, "invalid_request", 900144).await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("'grant_type'")
    );
    let response = h
        .token_request(
            TENANT,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", WRITER),
                ("client_secret", WRITER_SECRET),
            ],
        )
        .await;
    let body = aad_error(response, 400, "invalid_request", 900144).await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("'scope'")
    );
}

#[tokio::test]
async fn discovery_documents_point_at_the_emulator() {
    let h = Harness::start().await;
    let base = h.emu.base_url();
    let oidc: Value = h
        .http
        .get(format!(
            "{base}/{TENANT}/v2.0/.well-known/openid-configuration"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        oidc["token_endpoint"],
        format!("{base}/{TENANT}/oauth2/v2.0/token")
    );
    assert_eq!(oidc["issuer"], format!("{base}/{TENANT}/v2.0"));
    for key in [
        "authorization_endpoint",
        "device_authorization_endpoint",
        "jwks_uri",
    ] {
        assert!(oidc[key].as_str().unwrap().starts_with(base), "{key}");
    }
    assert!(oidc["token_endpoint_auth_methods_supported"].is_array());
    let authorize = format!("{base}/{TENANT}/oauth2/v2.0/authorize");
    let instance: Value = h
        .http
        .get(format!(
            "{base}/common/discovery/instance?{}",
            serde_urlencoded::to_string([
                ("api-version", "1.1"),
                ("authorization_endpoint", authorize.as_str()),
            ])
            .unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        instance["tenant_discovery_endpoint"],
        format!("{base}/{TENANT}/v2.0/.well-known/openid-configuration")
    );
    assert_eq!(instance["api-version"], "1.1");
    let host = base.trim_start_matches("http://");
    assert_eq!(instance["metadata"][0]["aliases"][0], host);
    assert_eq!(instance["metadata"][0]["preferred_network"], host);
}
