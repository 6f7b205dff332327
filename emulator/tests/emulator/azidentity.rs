//! Microsoft's azidentity for Go (MSAL for Go underneath) accepts the emulator as an authority
//! over HTTPS, with instance discovery off, and its token lists flow sets. MSAL for Go asks for
//! `openid offline_access profile` beside `.default` on every client-credentials request, as
//! the identity platform allows. The program comes from `make test` (SDS_AZIDENTITY_CHECK,
//! built from tools/azidentity-check); without it this test fails, it never skips.

use std::process::Command;

use crate::support::*;

#[tokio::test]
async fn azidentity_for_go_gets_a_token_that_lists_flow_sets() {
    let program = std::env::var("SDS_AZIDENTITY_CHECK").expect(
        "SDS_AZIDENTITY_CHECK names the azidentity-check program built from tools/azidentity-check; \
         `make test` builds it and sets it",
    );
    let (emu, set, ca_path) = https_emulator_with_flow_set("azidentity").await;

    let base = emu.base_url().to_owned();
    let ca = ca_path.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&program)
            .args([base.as_str(), TENANT, WRITER, WRITER_SECRET])
            .arg(&ca)
            .output()
            .unwrap_or_else(|error| panic!("run {program} (SDS_AZIDENTITY_CHECK): {error}"))
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "azidentity-check failed:\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines, ["200", set.as_str()]);

    let journal = emu.admin().journal(0).await.unwrap();
    let token_request = journal
        .iter()
        .find(|entry| entry.path.ends_with("/oauth2/v2.0/token") && entry.status == 200)
        .expect("the journal holds a successful token request");
    let scopes: Vec<&str> = token_request.body["scope"]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert!(
        scopes.contains(&GRAPH_SCOPE),
        "the token was asked for Graph's .default, not {scopes:?}"
    );
    emu.shutdown().await.unwrap();
    std::fs::remove_file(ca_path).unwrap();
}
