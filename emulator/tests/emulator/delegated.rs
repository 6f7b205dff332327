//! Delegated access: the device-code flow (pending, slow_down, declined, expired, approved),
//! delegated tokens with `scp`, and refresh-token rotation, reuse, expiry and revocation.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use graph_emulator::{RefreshTokenRevocation, Settings, SettingsPatch};
use reqwest::Method;
use serde_json::Value;

use crate::sign_in::*;
use crate::support::*;

async fn harness(settings: Settings) -> Harness {
    let h = Harness::start_with(settings).await;
    register_public_client(&h).await;
    h
}

fn fast() -> Settings {
    Settings {
        device_code_interval_secs: 0,
        ..Settings::default()
    }
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn expect_error(response: reqwest::Response, error: &str, code: u64) {
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"], serde_json::json!([code]), "{body}");
}

async fn refresh(h: &Harness, refresh_token: &str, scope: &str) -> reqwest::Response {
    h.token_request(
        TENANT,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", PUBLIC),
            ("refresh_token", refresh_token),
            ("scope", scope),
        ],
    )
    .await
}

#[tokio::test]
async fn device_flow_issues_delegated_tokens_that_write_when_app_only_writes_are_refused() {
    let h = harness(Settings {
        app_only_writes_allowed: false,
        ..fast()
    })
    .await;
    let started = start_device_flow(&h, PUBLIC).await;
    let user_code = started["user_code"].as_str().unwrap();
    let device_code = started["device_code"].as_str().unwrap();
    let uri = format!("{}/devicelogin", h.emu.base_url());
    assert_eq!(started["verification_uri"], uri.as_str());
    assert_eq!(started["expires_in"], 900);
    assert_eq!(started["interval"], 0);
    let message = started["message"].as_str().unwrap();
    assert!(
        message.contains(&uri) && message.contains(user_code),
        "{message}"
    );
    let listed = h.emu.admin().device_codes().await.unwrap();
    assert_eq!(listed[0].status, "pending");
    assert_eq!(
        listed[0].scopes,
        vec!["IndustryData-OutboundFlow.ReadWrite.All"]
    );

    expect_error(
        poll(&h, PUBLIC, device_code).await,
        "authorization_pending",
        70016,
    )
    .await;
    approve(&h, user_code).await;
    let response = poll(&h, PUBLIC, device_code).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "IndustryData-OutboundFlow.ReadWrite.All");
    assert_eq!(body["expires_in"], 3599);
    assert!(body["refresh_token"].as_str().unwrap().len() > 32);
    let access_token = body["access_token"].as_str().unwrap();
    let claims = claims_of(access_token);
    assert_eq!(claims["idtyp"], "user");
    assert_eq!(claims["scp"], "IndustryData-OutboundFlow.ReadWrite.All");
    assert_eq!(claims["upn"], USER);
    assert_eq!(claims["name"], "Alex Wilber");
    assert_eq!(claims["appid"], PUBLIC);
    assert_eq!(claims["tid"], TENANT);
    assert!(claims.get("roles").is_none());
    // Redeemed once only.
    expect_error(poll(&h, PUBLIC, device_code).await, "invalid_grant", 70000).await;

    // The delegated token writes; the app-only one is refused by the switch.
    let set_id = h.seed_set().await;
    let denied = h
        .graph(
            Method::POST,
            &flows_path(&set_id),
            Some(sg_body(true, false)),
        )
        .await;
    assert_eq!(denied.status(), 403);
    let created = h
        .graph_with(
            access_token,
            Method::POST,
            &flows_path(&set_id),
            Some(sg_body(true, false)),
        )
        .await;
    assert_eq!(created.status(), 201);
}

#[tokio::test]
async fn polling_faster_than_the_interval_answers_slow_down() {
    let h = harness(Settings::default()).await;
    let started = start_device_flow(&h, PUBLIC).await;
    assert_eq!(started["interval"], 5);
    let device_code = started["device_code"].as_str().unwrap();
    expect_error(
        poll(&h, PUBLIC, device_code).await,
        "authorization_pending",
        70016,
    )
    .await;
    expect_error(poll(&h, PUBLIC, device_code).await, "slow_down", 70016).await;
}

#[tokio::test]
async fn declined_expired_and_foreign_device_codes() {
    let h = harness(fast()).await;
    let admin = h.emu.admin();
    let declined = start_device_flow(&h, PUBLIC).await;
    admin
        .deny_device_code(declined["user_code"].as_str().unwrap())
        .await
        .unwrap();
    let code = declined["device_code"].as_str().unwrap();
    expect_error(
        poll(&h, PUBLIC, code).await,
        "authorization_declined",
        70000,
    )
    .await;

    let expired = start_device_flow(&h, PUBLIC).await;
    admin
        .expire_device_code(expired["user_code"].as_str().unwrap())
        .await
        .unwrap();
    let code = expired["device_code"].as_str().unwrap();
    expect_error(poll(&h, PUBLIC, code).await, "expired_token", 70019).await;

    let other = start_device_flow(&h, PUBLIC).await;
    let code = other["device_code"].as_str().unwrap();
    expect_error(poll(&h, PUBLIC, "not-a-code").await, "invalid_grant", 70000).await;
    // A confidential client must prove itself even in the device flow.
    let confidential = poll(&h, WRITER, code).await;
    assert_eq!(confidential.status(), 400);
    let body: Value = confidential.json().await.unwrap();
    assert_eq!(body["error_codes"], serde_json::json!([7000218]));
    let wrong_client = h
        .token_request(
            TENANT,
            &[
                ("grant_type", DEVICE_GRANT),
                ("client_id", WRITER),
                ("client_secret", WRITER_SECRET),
                ("device_code", code),
            ],
        )
        .await;
    expect_error(wrong_client, "invalid_grant", 70000).await;
}

#[tokio::test]
async fn refresh_rotates_and_single_use_refuses_the_old_token() {
    let h = harness(fast()).await;
    let first = sign_in(&h).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = refresh(
        &h,
        &first,
        "https://graph.microsoft.com/.default offline_access",
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let second = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second, "every refresh rotates the refresh token");
    let claims = claims_of(body["access_token"].as_str().unwrap());
    assert_eq!(claims["scp"], "IndustryData-OutboundFlow.ReadWrite.All");
    assert_eq!(claims["idtyp"], "user");
    // Entra ID's default: the old token still works.
    assert_eq!(refresh(&h, &first, WRITE_SCOPE).await.status(), 200);

    h.emu
        .admin()
        .update_settings(&SettingsPatch {
            refresh_token_reuse_allowed: Some(false),
            ..SettingsPatch::default()
        })
        .await
        .unwrap();
    expect_error(
        refresh(&h, &first, WRITE_SCOPE).await,
        "invalid_grant",
        70000,
    )
    .await;
    let third = refresh(&h, &second, WRITE_SCOPE).await;
    assert_eq!(third.status(), 200);
    expect_error(
        refresh(&h, &second, WRITE_SCOPE).await,
        "invalid_grant",
        70000,
    )
    .await;

    let unconsented = "https://graph.microsoft.com/User.ReadWrite.All offline_access";
    let third: Value = third.json().await.unwrap();
    let latest = third["refresh_token"].as_str().unwrap();
    expect_error(
        refresh(&h, latest, unconsented).await,
        "invalid_grant",
        65001,
    )
    .await;
    expect_error(
        refresh(&h, "garbage", WRITE_SCOPE).await,
        "invalid_grant",
        9002313,
    )
    .await;
    let used: Vec<bool> = h
        .emu
        .admin()
        .refresh_tokens()
        .await
        .unwrap()
        .iter()
        .map(|token| token.used)
        .collect();
    assert_eq!(used.len(), 4);
}

#[tokio::test]
async fn revoked_and_expired_refresh_tokens_are_invalid_grants() {
    let h = harness(fast()).await;
    let token = sign_in(&h).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let revocation = RefreshTokenRevocation {
        user: Some(USER.to_owned()),
        ..RefreshTokenRevocation::default()
    };
    assert_eq!(
        h.emu
            .admin()
            .revoke_refresh_tokens(&revocation)
            .await
            .unwrap(),
        1
    );
    expect_error(
        refresh(&h, &token, WRITE_SCOPE).await,
        "invalid_grant",
        50173,
    )
    .await;

    h.emu
        .admin()
        .update_settings(&SettingsPatch {
            refresh_token_lifetime_secs: Some(0),
            ..SettingsPatch::default()
        })
        .await
        .unwrap();
    let token = sign_in(&h).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    expect_error(
        refresh(&h, &token, WRITE_SCOPE).await,
        "invalid_grant",
        700082,
    )
    .await;
}

#[tokio::test]
async fn journal_masks_refresh_tokens_and_device_codes() {
    let h = harness(fast()).await;
    let token = sign_in(&h).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    refresh(&h, &token, WRITE_SCOPE).await;
    let journal = h.emu.admin().journal(0).await.unwrap();
    let text = serde_json::to_string(&journal).unwrap();
    assert!(!text.contains(&token));
    assert!(!text.contains("emu-dc."));
    assert!(
        journal
            .iter()
            .any(|entry| entry.path.ends_with("/devicecode"))
    );
}
