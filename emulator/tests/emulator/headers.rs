//! Correlation headers on every response and in `innerError`.

use reqwest::Method;
use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn client_request_id_is_echoed_in_headers_and_inner_error() {
    let h = Harness::start().await;
    let token = h.writer_token().await;
    let sent = "225aed2b-cf4a-d456-b313-16ab196c2364";
    let response = h
        .http
        .get(h.url(&set_path("00000000-0000-0000-0000-000000000000")))
        .bearer_auth(token)
        .header("client-request-id", sent)
        .send()
        .await
        .unwrap();
    let headers = response.headers().clone();
    assert_eq!(headers["client-request-id"], sent);
    let request_id = headers["request-id"].to_str().unwrap().to_owned();
    uuid::Uuid::parse_str(&request_id).unwrap();
    assert!(headers.contains_key("date"));
    assert!(
        headers["x-ms-ags-diagnostic"]
            .to_str()
            .unwrap()
            .contains("ServerInfo")
    );
    let body: Value = response.json().await.unwrap();
    let inner = &body["error"]["innerError"];
    assert_eq!(inner["client-request-id"], sent);
    assert_eq!(inner["request-id"], request_id.as_str());
    let date = inner["date"].as_str().unwrap();
    assert_eq!(
        date.len(),
        "2021-07-02T01:40:19".len(),
        "no timezone suffix: {date}"
    );
}

#[tokio::test]
async fn ids_are_generated_when_absent_and_fresh_per_request() {
    let h = Harness::start().await;
    let first = h.graph(Method::GET, SETS, None).await;
    let second = h.graph(Method::GET, SETS, None).await;
    for response in [&first, &second] {
        uuid::Uuid::parse_str(response.headers()["client-request-id"].to_str().unwrap()).unwrap();
    }
    assert_ne!(
        first.headers()["request-id"],
        second.headers()["request-id"]
    );
}

#[tokio::test]
async fn token_responses_carry_the_headers_too() {
    let h = Harness::start().await;
    let response = h
        .token_request(TENANT, &[("grant_type", "client_credentials")])
        .await;
    assert!(response.headers().contains_key("request-id"));
    assert!(response.headers().contains_key("client-request-id"));
    assert!(response.headers().contains_key("x-ms-ags-diagnostic"));
}
