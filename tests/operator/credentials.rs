//! Whose credential a resource may use, what its token must grant, and what happens when a
//! Secret is rotated: refusals are Stalled with a reason naming the rule, before Graph is called.

use graph_emulator::{ClientRegistration, ROLE_READ_ALL, Settings};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Patch, PatchParams};
use sds_operator::crd::ManagementPolicy;
use serde_json::json;

use sds_test_harness::{
    CLIENT_ID, CLIENT_SECRET, OperatorUnderTest, Options, TENANT, calls_to, is_ready, stalled_with,
    writes,
};

#[tokio::test]
async fn a_token_without_the_write_permission_stalls_before_graph_is_called() {
    let operator = OperatorUnderTest::start_with(
        "preflight",
        Options {
            roles: vec![ROLE_READ_ALL],
            ..Options::default()
        },
    )
    .await;
    operator.apply(&operator.resource("groups").build()).await;
    let stalled = operator
        .wait_for(
            "groups",
            "Stalled for a missing permission",
            stalled_with(
                "MissingPermission",
                "IndustryData-OutboundFlow.ReadWrite.All",
            ),
        )
        .await;
    assert!(
        format!("{:?}", stalled.status).contains("enough only for managementPolicy ObserveOnly")
    );
    assert!(
        operator.graph_calls(0).await.is_empty(),
        "no Graph call was made to find out"
    );

    // Read.All is enough to observe.
    let flow_id = operator.seed_flow(true, false).await;
    let observer = operator
        .resource("observer")
        .management_policy(ManagementPolicy::ObserveOnly)
        .build();
    operator
        .api
        .delete("groups", &Default::default())
        .await
        .expect("delete the stalled resource");
    operator.wait_deleted("groups").await;
    operator.apply(&observer).await;
    let observed = operator
        .wait_for("observer", "Ready with Read.All", is_ready)
        .await;
    assert_eq!(
        observed.status.and_then(|status| status.flow_id),
        Some(flow_id)
    );
    assert!(writes(&operator.graph_calls(0).await).is_empty());
}

#[tokio::test]
async fn graph_refusing_app_only_writes_stalls_with_permission_denied() {
    let operator = OperatorUnderTest::start_with(
        "app-only-refused",
        Options {
            emulator: Settings {
                readiness_delay_ms: 0,
                app_only_writes_allowed: false,
                ..Settings::default()
            },
            ..Options::default()
        },
    )
    .await;
    operator.apply(&operator.resource("groups").build()).await;
    operator
        .wait_for(
            "groups",
            "Stalled on Graph's 403",
            stalled_with("PermissionDenied", "Insufficient privileges"),
        )
        .await;
    let calls = operator.graph_calls(0).await;
    assert_eq!(
        calls_to(&calls, "POST", "/provisioningFlows").len(),
        1,
        "{calls:#?}"
    );
}

#[tokio::test]
async fn a_secret_in_another_namespace_cannot_be_named() {
    let operator = OperatorUnderTest::start("secret-elsewhere").await;
    let manifest = format!(
        "apiVersion: industrydata.sds-operator.io/v1alpha1\nkind: SecurityGroupProvisioningFlow\nmetadata:\n  name: groups\nspec:\n  flowSetId: {}\n  creationOptions:\n    createBasedOnRoleGroup: true\n    createBasedOnOrgPlusRoleGroup: false\n  credentialsSecretRef:\n    name: district-graph\n    namespace: kube-system\n",
        operator.flow_set_id
    );
    let path = operator
        .test
        .control_plane
        .scratch_dir()
        .join(format!("{}-elsewhere.yaml", operator.test.namespace));
    std::fs::write(&path, manifest).expect("write manifest");
    let output = operator
        .kubectl(&["apply", "-f", &path.display().to_string()])
        .await;
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success()
            && error.contains("unknown field")
            && error.contains("credentialsSecretRef.namespace"),
        "{error}"
    );
}

#[tokio::test]
async fn a_secret_not_labelled_as_a_credential_is_never_used_nor_described() {
    let operator = OperatorUnderTest::start("unlabelled-secret").await;
    let namespace = operator.test.namespace.clone();
    // Another application's Secret in the namespace, with the very keys a credential has.
    let secrets = operator.test.api::<Secret>();
    let unlabelled: Secret = serde_json::from_value(json!({
        "metadata": {"name": "other-app"},
        "stringData": {"tenantId": TENANT, "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET},
    }))
    .expect("a Secret");
    secrets
        .create(&Default::default(), &unlabelled)
        .await
        .expect("create the Secret");
    for name in ["other-app", "no-such-secret"] {
        operator
            .apply(&operator.resource(name).credentials_secret(name).build())
            .await;
    }
    let message = |name: &'static str| {
        let operator = &operator;
        async move {
            let stalled = operator
                .wait_for(
                    name,
                    "Stalled: no credential Secret",
                    stalled_with("CredentialsNotFound", ""),
                )
                .await;
            sds_test_harness::condition(&stalled, "Stalled")
                .map(|(_, _, message)| message.replace(name, "NAME"))
                .expect("a Stalled condition")
        }
    };
    let (unlabelled_said, missing_said) =
        (message("other-app").await, message("no-such-secret").await);
    assert_eq!(
        unlabelled_said, missing_said,
        "an existing Secret that is not a credential reads as a missing one"
    );
    assert!(unlabelled_said.contains(&format!("{namespace}/NAME not found, or not labelled")));
    assert!(
        operator.graph_calls(0).await.is_empty(),
        "the other application's credential was never used"
    );

    // Its owner marks it as a credential: then it is one.
    secrets
        .patch(
            "other-app",
            &PatchParams::default(),
            &Patch::Merge(
                json!({"metadata": {"labels": {sds_operator::crd::CREDENTIAL_LABEL: "true"}}}),
            ),
        )
        .await
        .expect("label the Secret");
    operator
        .apply(
            &operator
                .resource("other-app")
                .credentials_secret("other-app")
                .org_plus_role_group(true)
                .build(),
        )
        .await;
    operator
        .wait_for("other-app", "Ready once labelled", is_ready)
        .await;
}

#[tokio::test]
async fn a_rotated_secret_takes_effect_without_a_restart() {
    let operator = OperatorUnderTest::start("rotation").await;
    let secrets = operator.test.api::<Secret>();
    operator
        .create_client_secret("district-graph", CLIENT_ID, CLIENT_SECRET)
        .await;
    let mut flow = operator
        .resource("groups")
        .credentials_secret("district-graph")
        .build();
    operator.apply(&flow).await;
    operator.wait_for("groups", "Ready", is_ready).await;

    // The application gets a new secret; the old one stops working and its tokens expire.
    let rotated = "r0tated~secret-value";
    operator
        .emulator
        .admin()
        .register_client(&ClientRegistration::new(TENANT, CLIENT_ID, rotated))
        .await
        .expect("rotate in the emulator");
    operator
        .emulator
        .admin()
        .expire_tokens()
        .await
        .expect("expire tokens");
    secrets
        .patch(
            "district-graph",
            &PatchParams::apply("e2e-user").force(),
            &Patch::Apply(json!({"apiVersion": "v1", "kind": "Secret", "stringData": {"clientSecret": rotated}})),
        )
        .await
        .expect("rotate the Secret");
    let before = operator.journal_position().await;

    flow.spec
        .creation_options
        .create_based_on_org_plus_role_group = true;
    operator.apply(&flow).await;
    operator
        .wait_for("groups", "synced with the rotated secret", |flow| {
            is_ready(flow)
                && flow
                    .status
                    .as_ref()
                    .and_then(|s| s.mirrored.creation_options)
                    .is_some_and(|o| o.create_based_on_org_plus_role_group)
        })
        .await;
    let journal = operator
        .emulator
        .admin()
        .journal(before)
        .await
        .expect("journal");
    let token_requests: Vec<_> = journal
        .iter()
        .filter(|entry| entry.path.ends_with("/oauth2/v2.0/token"))
        .collect();
    assert!(
        !token_requests.is_empty() && token_requests.iter().all(|entry| entry.status == 200),
        "only the rotated secret was used: {token_requests:#?}"
    );
}
