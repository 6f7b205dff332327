//! `readinessStatus`: automatic transition, forced values, unknown enum members.

use graph_emulator::{SeedFlow, Settings};
use reqwest::Method;
use serde_json::Value;

use crate::support::*;

async fn readiness(h: &Harness, set: &str, id: &str) -> Value {
    let body: Value = h
        .graph(Method::GET, &flow_path(set, id), None)
        .await
        .json()
        .await
        .unwrap();
    body["readinessStatus"].clone()
}

#[tokio::test]
async fn zero_delay_makes_flows_ready_at_once() {
    let h = Harness::start_with(Settings {
        readiness_delay_ms: 0,
        ..Settings::default()
    })
    .await;
    let set = h.seed_set().await;
    let id = h.create_sg_flow(&set).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(readiness(&h, &set, &id).await, "ready");
}

#[tokio::test]
async fn long_delay_keeps_flows_not_ready() {
    let h = Harness::start_with(Settings {
        readiness_delay_ms: 3_600_000,
        ..Settings::default()
    })
    .await;
    let set = h.seed_set().await;
    let id = h.create_sg_flow(&set).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(readiness(&h, &set, &id).await, "notReady");
}

#[tokio::test]
async fn forced_values_stick_until_released() {
    let h = Harness::start_with(Settings {
        readiness_delay_ms: 3_600_000,
        ..Settings::default()
    })
    .await;
    let set = h.seed_set().await;
    let id = h.create_sg_flow(&set).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for value in ["ready", "failed", "disabled", "expired", "notReady"] {
        h.emu
            .admin()
            .force_readiness(&id, Some(value))
            .await
            .unwrap();
        assert_eq!(readiness(&h, &set, &id).await, value);
    }
    let state = h.emu.admin().state().await.unwrap();
    assert!(state.flow(&id).unwrap().readiness_forced);
    h.emu.admin().force_readiness(&id, None).await.unwrap();
    assert_eq!(readiness(&h, &set, &id).await, "notReady");
    assert!(
        !h.emu
            .admin()
            .state()
            .await
            .unwrap()
            .flow(&id)
            .unwrap()
            .readiness_forced
    );
}

#[tokio::test]
async fn unknown_future_value_needs_the_prefer_header() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    let seed = SeedFlow {
        readiness_status: Some("quarantined".to_owned()),
        ..SeedFlow::default()
    };
    let id = h.emu.admin().seed_flow(&set, &seed).await.unwrap();
    assert_eq!(readiness(&h, &set, &id).await, "unknownFutureValue");
    let token = h.writer_token().await;
    let body: Value = h
        .http
        .get(h.url(&flow_path(&set, &id)))
        .bearer_auth(token)
        .header("Prefer", "include-unknown-enum-members")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["readinessStatus"], "quarantined");
    let state = h.emu.admin().state().await.unwrap();
    let flow = state.flow(&id).unwrap();
    assert_eq!(flow.readiness_status, "quarantined");
    assert_eq!(
        flow.creation_options().unwrap()["createBasedOnRoleGroup"],
        false
    );
}
