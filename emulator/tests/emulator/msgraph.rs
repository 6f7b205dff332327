//! Microsoft's Graph SDK for Python (msgraph-beta-sdk 1.66.0, Kiota) drives the whole outbound
//! surface against the emulator: a flow set with a filter and a flow of each type built from the
//! SDK's own models, read back into them, role groups, a reset. What Microsoft's serializer sends
//! must pass the emulator's rules, and what the emulator answers must parse. The interpreter comes
//! from `make test` (SDS_MSGRAPH_PYTHON); without it this test fails, it never skips.

use std::process::Command;

use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn microsofts_graph_sdk_creates_and_reads_every_flow_type() {
    let python = std::env::var("SDS_MSGRAPH_PYTHON").expect(
        "SDS_MSGRAPH_PYTHON names a Python with msgraph-beta-sdk installed; `make test` sets it up",
    );
    let (emu, _, ca_path) = https_emulator_with_flow_set("msgraph").await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/msgraph/outbound_surface.py"
    );
    let base = emu.base_url().to_owned();
    let ca = ca_path.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args([script, &base, TENANT, WRITER, WRITER_SECRET])
            .env("SSL_CERT_FILE", &ca)
            .env("REQUESTS_CA_BUNDLE", &ca)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .output()
            .expect("run python")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let journal = emu.admin().journal(0).await.unwrap();
    let refused: Vec<_> = journal
        .iter()
        .filter(|entry| entry.status >= 400)
        .map(|entry| {
            (
                entry.method.clone(),
                entry.path.clone(),
                entry.status,
                entry.body.clone(),
            )
        })
        .collect();
    assert!(
        output.status.success(),
        "{stdout}{}\nrefused calls: {refused:#?}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_str(stdout.trim()).expect("the script's JSON");
    assert_eq!(
        summary["types"],
        serde_json::json!([
            "AdministrativeUnitProvisioningFlow",
            "ClassGroupProvisioningFlow",
            "SecurityGroupProvisioningFlow",
            "UserProvisioningFlow"
        ]),
        "{summary}"
    );
    assert_eq!(
        summary["filter"],
        serde_json::json!(["school-1", "school-2"])
    );
    assert_eq!(
        summary["ownerCode"], "teacher",
        "the code in its normal spelling"
    );
    assert_eq!(
        summary["roleGroup"], "students",
        "the bound role group, expanded"
    );
    assert_eq!(summary["password"], "***************");
    assert_eq!(
        summary["roleGroups"],
        serde_json::json!(["staff", "students"])
    );
    assert!(refused.is_empty(), "{refused:#?}");
    let reset = journal.iter().any(|entry| {
        entry.path.ends_with("/microsoft.graph.industryData.reset") && entry.status == 202
    });
    assert!(reset, "the SDK's reset was accepted");
    emu.shutdown().await.unwrap();
    std::fs::remove_file(ca_path).unwrap();
}
