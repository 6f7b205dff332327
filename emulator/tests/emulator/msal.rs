//! Microsoft's MSAL for Python accepts the emulator as an authority: OpenID configuration, token
//! endpoint and token all pass its checks (over HTTPS, which MSAL insists on). The interpreter with
//! MSAL comes from `make test` (SDS_MSAL_PYTHON); without it this test fails, it never skips.

use std::process::Command;

use crate::support::*;

#[tokio::test]
async fn msal_for_python_gets_a_token_that_lists_flow_sets() {
    let python = std::env::var("SDS_MSAL_PYTHON")
        .expect("SDS_MSAL_PYTHON names a Python with msal installed; `make test` sets it up");
    let (emu, set, ca_path) = https_emulator_with_flow_set("msal").await;

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/msal/list_flow_sets.py");
    let base = emu.base_url().to_owned();
    let ca = ca_path.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args([script, &base, TENANT, WRITER, WRITER_SECRET])
            .env("REQUESTS_CA_BUNDLE", &ca)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .output()
            .expect("run python")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines, ["200", set.as_str()]);

    let token_requests = emu.admin().journal(0).await.unwrap();
    assert!(
        token_requests
            .iter()
            .any(|entry| entry.path.ends_with("/oauth2/v2.0/token") && entry.status == 200)
    );
    emu.shutdown().await.unwrap();
    std::fs::remove_file(ca_path).unwrap();
}
