//! `readinessStatus`: automatic transition, forced values, unknown enum members.

use graph_emulator::{ReadinessStep, SeedFlow, Settings, SettingsPatch};
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

#[tokio::test]
async fn a_readiness_script_can_settle_at_disabled_and_a_reset_runs_it_again() {
    let h = Harness::start_with(Settings {
        readiness_script: vec![
            ReadinessStep::lasting("notReady", 3_600_000),
            ReadinessStep::steady("disabled"),
        ],
        ..Settings::default()
    })
    .await;
    let set = h.seed_set().await;
    let created = h.create_sg_flow(&set).await;
    assert_eq!(created["readinessStatus"], "notReady");
    let id = created["id"].as_str().unwrap().to_owned();

    // The settings' script with its first step done at once: disabled is where it stays.
    h.emu
        .admin()
        .update_settings(&SettingsPatch {
            readiness_script: Some(vec![
                ReadinessStep::lasting("notReady", 0),
                ReadinessStep::steady("disabled"),
            ]),
            ..SettingsPatch::default()
        })
        .await
        .unwrap();
    let reset = format!("{}/reset", flow_path(&set, &id));
    assert_eq!(h.graph(Method::POST, &reset, None).await.status(), 202);
    assert_eq!(readiness(&h, &set, &id).await, "disabled");

    // A script of this flow's own: failed, then expired; a reset starts it again.
    let admin = h.emu.admin();
    admin
        .set_readiness_script(&id, &[ReadinessStep::steady("failed")])
        .await
        .unwrap();
    assert_eq!(readiness(&h, &set, &id).await, "failed");
    assert_eq!(h.graph(Method::POST, &reset, None).await.status(), 202);
    assert_eq!(
        readiness(&h, &set, &id).await,
        "failed",
        "its own script, not the settings'"
    );
    admin
        .set_readiness_script(
            &id,
            &[
                ReadinessStep::lasting("ready", 0),
                ReadinessStep::steady("expired"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(readiness(&h, &set, &id).await, "expired");
    // No steps: the settings' script again.
    admin.set_readiness_script(&id, &[]).await.unwrap();
    assert_eq!(readiness(&h, &set, &id).await, "disabled");
    let state = admin.state().await.unwrap();
    let snapshot = state.flow_set(&set).unwrap().flows[0].clone();
    assert_eq!(snapshot.readiness_status, "disabled");
}
