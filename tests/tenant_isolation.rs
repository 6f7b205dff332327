//! Across namespaces, as an attacker with rights in its own namespace only: claiming another
//! namespace's flow set first, with the operator's credential (no grant) or with a Secret of its
//! own that cannot read the flow set, blocks nobody, makes no Graph write, and learns nothing of
//! who holds the flow set. In a binary of its own: the operator watches every namespace.

use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::Api;
use kube::api::{ObjectMeta, Patch, PatchParams, PostParams};
use sds_operator::crd::{CREDENTIAL_LABEL, SecurityGroupProvisioningFlow};
use sds_test_support::{DEFAULT_DEADLINE, eventually};

use sds_test_harness::{CLIENT_ID, OperatorUnderTest, Options, TENANT, condition, is_ready};

#[tokio::test]
async fn squatting_another_namespaces_flow_set_blocks_nobody_and_discloses_nothing() {
    let operator = OperatorUnderTest::start_with(
        "district",
        Options {
            watch_all_namespaces: true,
            ..Options::default()
        },
    )
    .await;
    let district = operator.test.namespace.clone();
    let attacker = district.replacen("district", "intruder", 1);
    let admin = operator.test.client.clone();
    Api::<Namespace>::all(admin.clone())
        .create(
            &PostParams::default(),
            &Namespace {
                metadata: ObjectMeta {
                    name: Some(attacker.clone()),
                    ..ObjectMeta::default()
                },
                ..Namespace::default()
            },
        )
        .await
        .expect("create the attacker's namespace");
    let user = operator.namespace_user(&attacker, "attacker").await;
    let theirs: Api<SecurityGroupProvisioningFlow> = Api::namespaced(user.clone(), &attacker);

    // The attacker claims the district's flow set first: once with the operator's credential,
    // once with a Secret of its own (a credential that cannot sign in to the district's tenant).
    Api::<Secret>::namespaced(user, &attacker)
        .create(
            &PostParams::default(),
            &Secret {
                metadata: ObjectMeta {
                    name: Some("own-graph".into()),
                    labels: Some([(CREDENTIAL_LABEL.to_owned(), "true".to_owned())].into()),
                    ..ObjectMeta::default()
                },
                string_data: Some(
                    [
                        ("tenantId".to_owned(), TENANT.to_owned()),
                        ("clientId".to_owned(), CLIENT_ID.to_owned()),
                        ("clientSecret".to_owned(), "guessed".to_owned()),
                    ]
                    .into(),
                ),
                ..Secret::default()
            },
        )
        .await
        .expect("the attacker may create Secrets in its namespace");
    for squat in [
        operator.resource("squat").build(),
        operator
            .resource("squat-own-secret")
            .credentials_secret("own-graph")
            .build(),
    ] {
        let mut squat = squat;
        squat.metadata.namespace = Some(attacker.clone());
        operator
            .apply_through(&theirs, &squat)
            .await
            .expect("the attacker may create resources in its namespace");
    }
    let stalled_as = |name: &'static str, reason: &'static str| {
        let theirs = theirs.clone();
        async move {
            eventually(
                &format!("{name} stalled with {reason}"),
                DEFAULT_DEADLINE,
                || {
                    let theirs = theirs.clone();
                    async move {
                        let flow = theirs.get(name).await.map_err(|error| error.to_string())?;
                        match condition(&flow, "Stalled") {
                            Some((status, actual, message))
                                if status == "True" && actual == reason =>
                            {
                                Ok(message)
                            }
                            other => Err(format!("{other:?}")),
                        }
                    }
                },
            )
            .await
        }
    };
    stalled_as("squat", "NotGranted").await;
    stalled_as("squat-own-secret", "CredentialsInvalid").await;

    // The district, which has the grant, comes later and is not blocked.
    operator.apply(&operator.resource("groups").build()).await;
    let ready = operator.wait_for("groups", "Ready", is_ready).await;
    assert!(ready.status.and_then(|status| status.flow_id).is_some());

    // The squatter with a Secret, applied again to probe, now meets the district's resource, and
    // learns nothing of it.
    let mut probe = operator
        .resource("squat-own-secret")
        .credentials_secret("own-graph")
        .org_plus_role_group(true)
        .build();
    probe.metadata.namespace = Some(attacker.clone());
    operator
        .apply_through(&theirs, &probe)
        .await
        .expect("apply");
    let message = stalled_as("squat-own-secret", "Conflict").await;
    for secret in [district.as_str(), "groups"] {
        assert!(!message.contains(secret), "{message}");
    }
    assert!(
        message.contains("a resource in another namespace"),
        "{message}"
    );
    let message = stalled_as("squat", "NotGranted").await;
    assert!(!message.contains(&district), "{message}");

    let calls = operator.graph_calls(0).await;
    let writes: Vec<_> = calls
        .iter()
        .filter(|call| call.method != "GET" && !call.path.contains("/oauth2/"))
        .collect();
    assert_eq!(writes.len(), 1, "the district's create only: {writes:#?}");
    assert_eq!(operator.graph_flows().await.len(), 1);

    // Events about the district's resource say nothing of the attacker either.
    for event in operator.events("groups").await {
        let note = event.note.unwrap_or_default();
        assert!(!note.contains(&attacker), "{note}");
    }
    // Nor may the attacker touch the district's resources.
    let denied = Api::<SecurityGroupProvisioningFlow>::namespaced(
        operator.namespace_user(&attacker, "attacker-2").await,
        &district,
    )
    .patch(
        "groups",
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({"spec": {"deletionPolicy": "Delete"}})),
    )
    .await
    .expect_err("RBAC keeps the attacker out of the district's namespace");
    assert!(
        matches!(&denied, kube::Error::Api(status) if status.code == 403),
        "{denied}"
    );
}
