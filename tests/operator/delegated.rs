//! Delegated credentials end to end: the built `sds-operator login` binary signs a simulated user
//! in through the emulator's device-code flow (approved while it polls) and writes the Secret;
//! a resource using that Secret gets Ready while the emulator refuses app-only writes; the
//! operator writes the rotated refresh token back and the redeemed one is refused; a revoked
//! refresh token stalls with CredentialsInvalid naming `sds-operator login`. No refresh token
//! or access token reaches status, events or logs.

use std::process::Stdio;
use std::time::Duration;

use graph_emulator::{ClientRegistration, DeviceCodeApproval, RefreshTokenRevocation, Settings};
use k8s_openapi::api::core::v1::Secret;
use sds_operator::crd::SecurityGroupProvisioningFlow;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

use crate::credential_kinds::{CapturedLogs, assert_never_shown};
use sds_test_harness::{OperatorUnderTest, Options, TENANT, is_ready, stalled_with};

/// A public client ("allow public client flows"), as `sds-operator login` needs.
const PUBLIC_CLIENT_ID: &str = "3e1f2a6b-8c4d-4e5f-9a0b-1c2d3e4f5a6b";
pub(crate) const SECRET_NAME: &str = "district-delegated";
const DEADLINE: Duration = Duration::from_secs(60);

/// Runs `sds-operator login` against the emulator, approving its device code as soon as the
/// binary prints it; returns everything it printed.
async fn login(operator: &OperatorUnderTest) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sds-operator"))
        .args([
            "login",
            "--tenant-id",
            TENANT,
            "--client-id",
            PUBLIC_CLIENT_ID,
            "--namespace",
            &operator.test.namespace,
            "--secret",
            SECRET_NAME,
            "--authority-host",
            operator.emulator.base_url(),
        ])
        .env("KUBECONFIG", operator.test.control_plane.admin_kubeconfig())
        .env_remove("AZURE_AUTHORITY_HOST")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start sds-operator login");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut printed = String::new();
    let user_code = loop {
        let mut line = String::new();
        let read = tokio::time::timeout(DEADLINE, stdout.read_line(&mut line))
            .await
            .expect("login to print its sign-in message")
            .expect("read stdout");
        assert!(read > 0, "login ended before printing a code: {printed}");
        printed.push_str(&line);
        if let Some((_, rest)) = line.split_once("enter the code ") {
            break rest.split_whitespace().next().expect("a code").to_owned();
        }
    };
    let approval = DeviceCodeApproval {
        user: "it-admin@contoso.edu".to_owned(),
        name: Some("District IT".to_owned()),
        scopes: None,
    };
    operator
        .emulator
        .admin()
        .approve_device_code(&user_code, &approval)
        .await
        .expect("approve the device code");
    let status = tokio::time::timeout(DEADLINE, child.wait())
        .await
        .expect("login to finish after approval")
        .expect("wait for login");
    stdout
        .read_to_string(&mut printed)
        .await
        .expect("read stdout");
    let mut errors = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        stderr.read_to_string(&mut errors).await.expect("stderr");
    }
    assert!(status.success(), "login failed: {printed}{errors}");
    printed + &errors
}

async fn refresh_token(operator: &OperatorUnderTest) -> String {
    let secret = operator
        .test
        .api::<Secret>()
        .get(SECRET_NAME)
        .await
        .expect("the Secret login wrote");
    let data = secret.data.expect("data");
    for key in ["tenantId", "clientId"] {
        assert!(data.contains_key(key), "{key} missing");
    }
    String::from_utf8(data["refreshToken"].0.clone()).expect("text")
}

/// Whether the emulator still redeems `token`.
async fn redeemable(operator: &OperatorUnderTest, token: &str) -> bool {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("http")
        .post(operator.emulator.token_url(TENANT))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", PUBLIC_CLIENT_ID),
            ("refresh_token", token),
            (
                "scope",
                "https://graph.microsoft.com/.default offline_access",
            ),
        ])
        .send()
        .await
        .expect("token request")
        .status()
        .is_success()
}

/// The test's resource, using the Secret that login wrote.
fn delegated_resource(
    operator: &OperatorUnderTest,
    org_plus_role_group: bool,
) -> SecurityGroupProvisioningFlow {
    operator
        .resource("groups")
        .org_plus_role_group(org_plus_role_group)
        .credentials_secret(SECRET_NAME)
        .build()
}

/// The operator under test with `options`, its emulator refusing app-only writes, and Secret
/// [`SECRET_NAME`] written by `sds-operator login` for a signed-in user; with what login printed.
pub(crate) async fn signed_in(test_name: &str, options: Options) -> (OperatorUnderTest, String) {
    let options = Options {
        emulator: Settings {
            app_only_writes_allowed: false,
            device_code_interval_secs: 1,
            refresh_token_reuse_allowed: false,
            ..options.emulator
        },
        ..options
    };
    let operator = OperatorUnderTest::start_with(test_name, options).await;
    operator
        .emulator
        .admin()
        .register_client(&ClientRegistration::public(TENANT, PUBLIC_CLIENT_ID))
        .await
        .expect("register the public client");
    let printed = login(&operator).await;
    (operator, printed)
}

#[tokio::test]
async fn login_then_ready_without_app_only_writes_rotation_written_back_and_revocation_stalls() {
    let logs = CapturedLogs::start();
    let (operator, printed) = signed_in("delegated", Options::default()).await;
    let signed_in = refresh_token(&operator).await;
    assert!(
        !printed.contains(&signed_in),
        "login printed the refresh token"
    );
    assert!(printed.contains(&format!("Secret {}/{SECRET_NAME}", operator.test.namespace)));

    operator.apply(&delegated_resource(&operator, false)).await;
    operator
        .wait_for("groups", "Ready with a delegated token", is_ready)
        .await;
    assert_eq!(
        operator.graph_flows().await.len(),
        1,
        "the flow was created"
    );

    // The rotated token was written back before it was used; the redeemed one is refused.
    let rotated = refresh_token(&operator).await;
    assert_ne!(
        rotated, signed_in,
        "the Secret holds the rotated refresh token"
    );
    assert!(!redeemable(&operator, &signed_in).await);

    // Revoke the user's sessions and make the cached access token fail: the next refresh is
    // refused and a person is told what to run.
    let admin = operator.emulator.admin();
    admin
        .revoke_refresh_tokens(&RefreshTokenRevocation::default())
        .await
        .expect("revoke");
    admin.expire_tokens().await.expect("expire access tokens");
    operator.apply(&delegated_resource(&operator, true)).await;
    operator
        .wait_for(
            "groups",
            "Stalled: the refresh token was revoked",
            stalled_with("CredentialsInvalid", "sds-operator login"),
        )
        .await;
    assert_never_shown(&operator, "groups", &logs, &[&signed_in, &rotated]).await;
}
