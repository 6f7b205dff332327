//! Bearer-token checks and permissions on Graph calls.

use graph_emulator::SettingsPatch;
use reqwest::Method;

use crate::support::*;

#[tokio::test]
async fn missing_token_is_401_with_a_challenge() {
    let h = Harness::start().await;
    let response = h.http.get(h.url(SETS)).send().await.unwrap();
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer ")
    );
    let body = odata_error(response, 401, "InvalidAuthenticationToken").await;
    assert_eq!(body["error"]["message"], "Access token is empty.");
}

#[tokio::test]
async fn foreign_or_garbage_tokens_are_401() {
    let h = Harness::start().await;
    let other = Harness::start().await;
    let foreign = other.writer_token().await;
    for token in [foreign.as_str(), "not.a.jwt", "abc"] {
        let response = h.graph_with(token, Method::GET, SETS, None).await;
        odata_error(response, 401, "InvalidAuthenticationToken").await;
    }
}

#[tokio::test]
async fn expired_tokens_are_401() {
    let h = Harness::start().await;
    let token = h.writer_token().await;
    assert_eq!(
        h.graph_with(&token, Method::GET, SETS, None).await.status(),
        200
    );
    h.emu.admin().expire_tokens().await.unwrap();
    let response = h.graph_with(&token, Method::GET, SETS, None).await;
    let body = odata_error(response, 401, "InvalidAuthenticationToken").await;
    assert_eq!(
        body["error"]["message"],
        "Access token has expired or is not yet valid."
    );
    // A fresh token works again.
    assert_eq!(h.graph(Method::GET, SETS, None).await.status(), 200);
}

#[tokio::test]
async fn zero_lifetime_tokens_are_already_expired() {
    let h = Harness::start().await;
    let patch = SettingsPatch {
        token_lifetime_secs: Some(0),
        ..SettingsPatch::default()
    };
    h.emu.admin().update_settings(&patch).await.unwrap();
    let response = h.graph(Method::GET, SETS, None).await;
    odata_error(response, 401, "InvalidAuthenticationToken").await;
}

#[tokio::test]
async fn read_permission_reads_but_cannot_write() {
    let h = Harness::start().await;
    let token = h.token_for(READER, READER_SECRET).await;
    assert_eq!(
        h.graph_with(&token, Method::GET, SETS, None).await.status(),
        200
    );
    let body = serde_json::json!({ "displayName": "x" });
    let response = h.graph_with(&token, Method::POST, SETS, Some(body)).await;
    let error = odata_error(response, 403, "Authorization_RequestDenied").await;
    assert_eq!(
        error["error"]["message"],
        "Insufficient privileges to complete the operation."
    );
}

#[tokio::test]
async fn no_permission_cannot_even_read() {
    let h = Harness::start().await;
    let token = h.token_for(NOBODY, NOBODY_SECRET).await;
    let response = h.graph_with(&token, Method::GET, SETS, None).await;
    odata_error(response, 403, "Authorization_RequestDenied").await;
}

#[tokio::test]
async fn app_only_writes_switch_refuses_writes_only() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    let patch = SettingsPatch {
        app_only_writes_allowed: Some(false),
        ..SettingsPatch::default()
    };
    h.emu.admin().update_settings(&patch).await.unwrap();
    let response = h
        .graph(Method::POST, &flows_path(&set), Some(sg_body(true, false)))
        .await;
    odata_error(response, 403, "Authorization_RequestDenied").await;
    assert_eq!(
        h.graph(Method::GET, &flows_path(&set), None).await.status(),
        200
    );
}
