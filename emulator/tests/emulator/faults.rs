//! Fault injection: throttling, server errors, latency, token failures, eventual consistency.

use std::time::{Duration, Instant};

use graph_emulator::{FaultRule, FaultTarget, RetryAfterFormat, SettingsPatch};
use reqwest::Method;
use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn throttling_with_retry_after_seconds_for_n_calls() {
    let h = Harness::start().await;
    let token = h.writer_token().await;
    let rule = FaultRule {
        target: FaultTarget::Graph,
        method: Some("GET".to_owned()),
        status: Some(429),
        retry_after_seconds: Some(7),
        times: Some(2),
        ..FaultRule::default()
    };
    h.emu.admin().add_fault(&rule).await.unwrap();
    for _ in 0..2 {
        let response = h.graph_with(&token, Method::GET, SETS, None).await;
        assert_eq!(response.headers()["retry-after"], "7");
        odata_error(response, 429, "TooManyRequests").await;
    }
    assert_eq!(
        h.graph_with(&token, Method::GET, SETS, None).await.status(),
        200
    );
    let faults = h.emu.admin().faults().await.unwrap();
    assert_eq!(faults[0].fired, 2);
}

#[tokio::test]
async fn throttling_with_retry_after_http_date() {
    let h = Harness::start().await;
    let rule = FaultRule {
        target: FaultTarget::Graph,
        status: Some(429),
        retry_after_seconds: Some(30),
        retry_after_format: RetryAfterFormat::HttpDate,
        times: Some(1),
        ..FaultRule::default()
    };
    h.emu.admin().add_fault(&rule).await.unwrap();
    let response = h.graph(Method::GET, SETS, None).await;
    assert_eq!(response.status(), 429);
    let value = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(value.ends_with(" GMT"), "{value}");
    let parsed = jiff::fmt::rfc2822::parse(&value).unwrap().timestamp();
    assert!(
        parsed > jiff::Timestamp::now(),
        "{value} lies in the future"
    );
}

#[tokio::test]
async fn server_errors_carry_odata_bodies() {
    let h = Harness::start().await;
    let token = h.writer_token().await;
    for (status, code) in [
        (500, "InternalServerError"),
        (502, "BadGateway"),
        (503, "ServiceUnavailable"),
        (504, "GatewayTimeout"),
    ] {
        h.emu.admin().clear_faults().await.unwrap();
        let rule = FaultRule {
            target: FaultTarget::Graph,
            status: Some(status),
            times: Some(1),
            ..FaultRule::default()
        };
        h.emu.admin().add_fault(&rule).await.unwrap();
        let response = h.graph_with(&token, Method::GET, SETS, None).await;
        odata_error(response, status, code).await;
    }
}

#[tokio::test]
async fn every_kth_call_fails_deterministically() {
    let h = Harness::start().await;
    let token = h.writer_token().await;
    let rule = FaultRule {
        target: FaultTarget::Graph,
        status: Some(503),
        every: Some(2),
        ..FaultRule::default()
    };
    h.emu.admin().add_fault(&rule).await.unwrap();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            h.graph_with(&token, Method::GET, SETS, None)
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [200, 503, 200, 503]);
}

#[tokio::test]
async fn latency_delays_matching_calls() {
    let h = Harness::start().await;
    let token = h.writer_token().await;
    let rule = FaultRule {
        target: FaultTarget::Graph,
        latency_ms: Some(300),
        ..FaultRule::default()
    };
    h.emu.admin().add_fault(&rule).await.unwrap();
    let started = Instant::now();
    let response = h.graph_with(&token, Method::GET, SETS, None).await;
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn token_endpoint_failure_uses_the_oauth_shape() {
    let h = Harness::start().await;
    let rule = FaultRule {
        target: FaultTarget::Token,
        status: Some(503),
        retry_after_seconds: Some(5),
        times: Some(1),
        ..FaultRule::default()
    };
    h.emu.admin().add_fault(&rule).await.unwrap();
    let response = h
        .token_request(
            TENANT,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", WRITER),
                ("client_secret", WRITER_SECRET),
                ("scope", GRAPH_SCOPE),
            ],
        )
        .await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "5");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS")
    );
    // The next call succeeds.
    h.writer_token().await;
}

#[tokio::test]
async fn new_flows_are_invisible_for_the_configured_reads() {
    let h = Harness::start().await;
    let patch = SettingsPatch {
        eventual_consistency_reads: Some(2),
        ..SettingsPatch::default()
    };
    h.emu.admin().update_settings(&patch).await.unwrap();
    let set = h.seed_set().await;
    let id = h.create_sg_flow(&set).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..2 {
        let response = h.graph(Method::GET, &flow_path(&set, &id), None).await;
        odata_error(response, 404, "notFound").await;
    }
    assert_eq!(
        h.graph(Method::GET, &flow_path(&set, &id), None)
            .await
            .status(),
        200
    );
    let journal = h.emu.admin().journal(0).await.unwrap();
    let reads: Vec<_> = journal
        .iter()
        .filter(|e| e.method == "GET" && e.path.ends_with(&id))
        .collect();
    assert_eq!(
        reads.iter().map(|e| e.fault).collect::<Vec<_>>(),
        [true, true, false]
    );
}

#[tokio::test]
async fn redirects_carry_their_location_and_an_empty_body() {
    let h = Harness::start().await;
    let rule = FaultRule {
        target: FaultTarget::Token,
        redirect_to: Some("https://elsewhere.example/token".to_owned()),
        times: Some(1),
        ..FaultRule::default()
    };
    h.emu.admin().add_fault(&rule).await.unwrap();
    let following_none = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("{}/{TENANT}/oauth2/v2.0/token", h.emu.base_url());
    let response = following_none.post(&url).send().await.unwrap();
    assert_eq!(response.status(), 307);
    assert_eq!(
        response.headers()["location"],
        "https://elsewhere.example/token"
    );
    assert!(response.bytes().await.unwrap().is_empty());
    let journal = h.emu.admin().journal(0).await.unwrap();
    assert_eq!(journal[0].status, 307);
    assert_eq!(
        journal[0].fault_reason.as_deref(),
        Some("injected redirect")
    );
}

#[tokio::test]
async fn oversized_bodies_stream_without_a_content_length() {
    let h = Harness::start().await;
    let token = h.writer_token().await;
    let rule = FaultRule {
        target: FaultTarget::Graph,
        body_bytes: Some(200_000),
        times: Some(1),
        ..FaultRule::default()
    };
    h.emu.admin().add_fault(&rule).await.unwrap();
    let response = h.graph_with(&token, Method::GET, SETS, None).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("content-length").is_none());
    let body = response.bytes().await.unwrap();
    assert_eq!(body.len(), 200_000);
    let parsed: Value = serde_json::from_slice(&body).unwrap();
    assert!(parsed.as_object().is_some_and(|object| object.is_empty()));
}
