//! Signing a user in through the device-code flow, for tests that need delegated tokens.

use graph_emulator::{ClientRegistration, DeviceCodeApproval};
use serde_json::Value;

use crate::support::{Harness, TENANT};

pub const PUBLIC: &str = "1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5";
pub const WRITE_SCOPE: &str =
    "https://graph.microsoft.com/IndustryData-OutboundFlow.ReadWrite.All offline_access";
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
pub const USER: &str = "alex@contoso.edu";

/// Registers the public client that signs users in.
pub async fn register_public_client(h: &Harness) {
    h.emu
        .admin()
        .register_client(&ClientRegistration::public(TENANT, PUBLIC))
        .await
        .unwrap();
}

/// A delegated Graph token of a signed-in user ([`register_public_client`] first).
pub async fn delegated_token(h: &Harness) -> String {
    sign_in(h).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn start_device_flow(h: &Harness, client: &str) -> Value {
    let response = h
        .http
        .post(format!(
            "{}/{TENANT}/oauth2/v2.0/devicecode",
            h.emu.base_url()
        ))
        .form(&[("client_id", client), ("scope", WRITE_SCOPE)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

pub async fn poll(h: &Harness, client: &str, device_code: &str) -> reqwest::Response {
    h.token_request(
        TENANT,
        &[
            ("grant_type", DEVICE_GRANT),
            ("client_id", client),
            ("device_code", device_code),
        ],
    )
    .await
}

pub async fn approve(h: &Harness, user_code: &str) {
    let approval = DeviceCodeApproval {
        user: USER.to_owned(),
        name: Some("Alex Wilber".to_owned()),
        scopes: None,
    };
    h.emu
        .admin()
        .approve_device_code(user_code, &approval)
        .await
        .unwrap();
}

/// Signs the user in through the device flow and returns the token answer.
pub async fn sign_in(h: &Harness) -> Value {
    let started = start_device_flow(h, PUBLIC).await;
    approve(h, started["user_code"].as_str().unwrap()).await;
    let response = poll(h, PUBLIC, started["device_code"].as_str().unwrap()).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}
