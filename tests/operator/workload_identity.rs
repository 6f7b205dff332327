//! The operator's own credential as Azure Workload Identity, with service-account tokens minted
//! by the test API server and the token file replaced while the operator runs; a federation
//! mismatch stalls with advice, and no token reaches status, events or logs.

use std::path::Path;

use graph::Credential;
use graph_emulator::{ClientRegistration, FederatedCredential};
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::Api;
use kube::api::{ObjectMeta, PostParams};

use sds_test_harness::{
    CLIENT_ID, CLIENT_SECRET, OperatorUnderTest, Options, TENANT, is_ready, options_json,
    stalled_with,
};

/// An application that signs in with a certificate only.
use crate::credential_kinds::{CapturedLogs, FEDERATED_AUDIENCE, assert_never_shown, token_calls};

/// Mints a token for `service_account` with the audience Azure Workload Identity uses.
async fn federated_token(operator: &OperatorUnderTest, service_account: &str) -> String {
    let accounts: Api<ServiceAccount> = operator.test.api();
    if accounts
        .get_opt(service_account)
        .await
        .expect("get ServiceAccount")
        .is_none()
    {
        let account = ServiceAccount {
            metadata: ObjectMeta {
                name: Some(service_account.to_owned()),
                ..ObjectMeta::default()
            },
            ..ServiceAccount::default()
        };
        accounts
            .create(&PostParams::default(), &account)
            .await
            .expect("create ServiceAccount");
    }
    let request = TokenRequest {
        spec: TokenRequestSpec {
            audiences: vec![FEDERATED_AUDIENCE.to_owned()],
            expiration_seconds: Some(3600),
            ..TokenRequestSpec::default()
        },
        ..TokenRequest::default()
    };
    accounts
        .create_token_request(service_account, &PostParams::default(), &request)
        .await
        .expect("TokenRequest")
        .status
        .map(|status| status.token)
        .filter(|token| !token.is_empty())
        .expect("a minted token")
}

/// Replaces `path` atomically, as the kubelet swaps a projected volume's contents.
fn replace_file(path: &Path, contents: &str) {
    let staged = path.with_extension("new");
    std::fs::write(&staged, contents).expect("write token");
    std::fs::rename(&staged, path).expect("replace token file");
}

/// The federated identity credential Entra ID would hold for `service_account` of this test.
fn trust(operator: &OperatorUnderTest, service_account: &str) -> ClientRegistration {
    let control_plane = operator.test.control_plane;
    let public_key = std::fs::read_to_string(control_plane.service_account_public_key_path())
        .expect("read the service-account public key");
    let subject = format!(
        "system:serviceaccount:{}:{service_account}",
        operator.test.namespace
    );
    ClientRegistration::new(TENANT, CLIENT_ID, CLIENT_SECRET).with_federated_credential(
        FederatedCredential::new(
            control_plane.service_account_issuer(),
            &subject,
            &public_key,
        ),
    )
}

async fn start_with_workload_identity(test_name: &str) -> (OperatorUnderTest, std::path::PathBuf) {
    let control_plane = sds_test_support::shared_control_plane();
    let token_file = control_plane.scratch_dir().join(format!(
        "{test_name}-{}-azure-identity-token",
        uuid::Uuid::new_v4()
    ));
    let credential =
        Credential::workload_identity(TENANT, CLIENT_ID, &token_file).expect("credential");
    let operator = OperatorUnderTest::start_with(
        test_name,
        Options {
            default_credential: Some(credential),
            ..Options::default()
        },
    )
    .await;
    (operator, token_file)
}

#[tokio::test]
async fn workload_identity_rereads_the_replaced_token_file() {
    let logs = CapturedLogs::start();
    let (operator, token_file) = start_with_workload_identity("wi-rotation").await;
    let first = federated_token(&operator, "sds-operator").await;
    replace_file(&token_file, &first);
    operator
        .emulator
        .admin()
        .register_client(&trust(&operator, "sds-operator"))
        .await
        .expect("register the federated credential");
    operator.apply(&operator.resource("groups").build()).await;
    operator
        .wait_for("groups", "Ready with workload identity", is_ready)
        .await;

    // The kubelet writes a fresh token. So that only a re-read can pass, the fresh token is for
    // another service account and the application now trusts only that one; every access token
    // issued so far is revoked, so the next Graph call needs a new one.
    let second = federated_token(&operator, "sds-operator-rotated").await;
    replace_file(&token_file, &second);
    operator
        .emulator
        .admin()
        .register_client(&trust(&operator, "sds-operator-rotated"))
        .await
        .expect("trust the new subject only");
    operator
        .emulator
        .admin()
        .expire_tokens()
        .await
        .expect("expire tokens");
    let since = operator.journal_position().await;
    let changed = operator
        .apply(
            &operator
                .resource("groups")
                .role_group(false)
                .org_plus_role_group(true)
                .build(),
        )
        .await;
    let generation = changed.metadata.generation;
    operator
        .wait_for("groups", "Ready with the spec change applied", |flow| {
            let status = flow.status.as_ref();
            status.and_then(|status| status.observed_generation) == generation
                && status
                    .and_then(|status| status.mirrored.creation_options)
                    .is_some_and(|options| options.create_based_on_org_plus_role_group)
                && is_ready(flow)
        })
        .await;
    let flows = operator.graph_flows().await;
    assert_eq!(
        flows.first().and_then(|flow| flow.creation_options()),
        Some(&options_json(false, true)),
        "the change reached Graph with a token obtained from the new file"
    );
    let calls = token_calls(&operator, since).await;
    assert!(
        calls.iter().any(|call| call.status == 200),
        "a new token was issued after the file was replaced: {calls:#?}"
    );
    assert_never_shown(&operator, "groups", &logs, &[&first, &second]).await;
}

#[tokio::test]
async fn a_federation_mismatch_stalls_with_advice() {
    let logs = CapturedLogs::start();
    let (operator, token_file) = start_with_workload_identity("wi-mismatch").await;
    let token = federated_token(&operator, "sds-operator").await;
    replace_file(&token_file, &token);
    // The application trusts another service account of this namespace.
    operator
        .emulator
        .admin()
        .register_client(&trust(&operator, "someone-else"))
        .await
        .expect("register the federated credential");
    operator.apply(&operator.resource("groups").build()).await;
    let stalled = operator
        .wait_for(
            "groups",
            "Stalled: no matching federated identity",
            stalled_with("CredentialsInvalid", "AADSTS70021"),
        )
        .await;
    let message = serde_json::to_string(&stalled.status).expect("json");
    assert!(
        message.contains("no federated identity credential of the application matches"),
        "{message}"
    );
    assert_never_shown(&operator, "groups", &logs, &[&token]).await;
}
