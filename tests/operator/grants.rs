//! Tenant safety as a namespace's user would try it (a ServiceAccount bound by RBAC to its own
//! namespace, through a TokenRequest token): without a CredentialGrant the operator's credential
//! reaches nothing in Graph; a grant allows its flow sets and operations and nothing more, and a
//! change to it takes effect without touching the resources. Refusals name the missing grant and
//! nothing of other namespaces.

use std::collections::BTreeMap;

use graph_emulator::{JournalEntry, SeedFlowSet};
use kube::api::{ApiResource, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::{Api, ResourceExt};
use sds_operator::crd::{
    CredentialGrant, DeletionPolicy, RESET_ANNOTATION, SecurityGroupProvisioningFlow,
};
use serde_json::json;

use sds_test_harness::{
    OperatorUnderTest, Options, calls_to, is_ready, options_json, stalled_with, write_grant,
};

/// Calls that change something in Graph (the token endpoint left out).
fn graph_writes(calls: &[JournalEntry]) -> Vec<&JournalEntry> {
    calls
        .iter()
        .filter(|call| call.method != "GET" && !call.path.contains("/oauth2/"))
        .collect()
}

fn without_grant() -> Options {
    Options {
        grant: None,
        ..Options::default()
    }
}

#[tokio::test]
async fn without_a_grant_a_namespace_user_reaches_nothing_in_graph() {
    let operator = OperatorUnderTest::start_with("no-grant", without_grant()).await;
    let namespace = operator.test.namespace.clone();
    let someones_flow = operator.seed_flow(true, false).await;
    let user = operator.namespace_user(&namespace, "tenant-user").await;
    let flows: Api<SecurityGroupProvisioningFlow> = Api::namespaced(user.clone(), &namespace);

    // Adopt someone's flow, change it, and delete it with the resource.
    let squat = operator
        .resource("squat")
        .role_group(false)
        .org_plus_role_group(true)
        .deletion_policy(DeletionPolicy::Delete)
        .build();
    operator
        .apply_through(&flows, &squat)
        .await
        .expect("the user may create resources in its namespace");
    let stalled = operator
        .wait_for(
            "squat",
            "Stalled: not granted",
            stalled_with(
                "NotGranted",
                format!(
                    "no CredentialGrant lets namespace {namespace} use the operator's credential"
                ),
            ),
        )
        .await;
    assert!(stalled.status.and_then(|status| status.flow_id).is_none());

    // Nor can the user grant itself the operator's credential.
    let grant: CredentialGrant = serde_json::from_value(json!({
        "apiVersion": "industrydata.sds-operator.io/v1alpha1",
        "kind": "CredentialGrant",
        "metadata": {"name": format!("{namespace}-self-granted")},
        "spec": {
            "namespaces": {"names": [namespace]},
            "flowSets": {"all": true},
            "operations": ["Manage", "Adopt", "Reset", "Delete"],
        },
    }))
    .expect("a grant");
    let refused = Api::<CredentialGrant>::all(user)
        .create(&PostParams::default(), &grant)
        .await
        .expect_err("a namespace's user cannot write a CredentialGrant");
    assert!(
        matches!(&refused, kube::Error::Api(status) if status.code == 403),
        "{refused}"
    );

    flows
        .delete("squat", &DeleteParams::default())
        .await
        .expect("the user may delete its resource");
    operator.wait_deleted("squat").await;

    let journal = operator.graph_calls(0).await;
    assert!(
        journal.is_empty(),
        "not a token, not a read, not a write: {journal:#?}"
    );
    let left = operator.graph_flows().await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, someones_flow);
    assert_eq!(left[0].creation_options(), Some(&options_json(true, false)));
}

#[tokio::test]
async fn a_grant_allows_its_flow_sets_and_operations_and_a_change_to_it_takes_effect_at_once() {
    let operator = OperatorUnderTest::start_with("grant-limits", without_grant()).await;
    let namespace = operator.test.namespace.clone();
    let admin = operator.test.client.clone();
    let flow_id = operator.seed_flow(true, false).await;
    let other_set = operator
        .emulator
        .admin()
        .seed_flow_set(&SeedFlowSet {
            display_name: Some("another district's schools".into()),
            ..SeedFlowSet::default()
        })
        .await
        .expect("seed a flow set");
    let user = operator.namespace_user(&namespace, "tenant-user").await;
    let flows: Api<SecurityGroupProvisioningFlow> = Api::namespaced(user, &namespace);
    let grant = |operations: &[&str]| {
        Options::grant(
            json!({"ids": [operator.flow_set_id.to_uppercase()]}),
            operations,
        )
    };
    write_grant(&admin, &namespace, &namespace, &grant(&["Observe"])).await;

    // A flow set the grant does not name.
    let elsewhere = operator
        .resource("elsewhere")
        .flow_set(other_set.clone())
        .build();
    operator
        .apply_through(&flows, &elsewhere)
        .await
        .expect("apply");
    operator
        .wait_for(
            "elsewhere",
            "Stalled: flow set not granted",
            stalled_with("NotGranted", format!("for flow set {other_set}")),
        )
        .await;

    // The granted flow set, but taking over its flow needs Adopt; reading it is allowed.
    let groups = operator
        .resource("groups")
        .role_group(false)
        .org_plus_role_group(true)
        .deletion_policy(DeletionPolicy::Delete)
        .build();
    operator
        .apply_through(&flows, &groups)
        .await
        .expect("apply");
    operator
        .wait_for(
            "groups",
            "Stalled: adopting not granted",
            stalled_with(
                "NotGranted",
                format!("CredentialGrant {namespace} lets namespace"),
            ),
        )
        .await;
    let refused = operator
        .wait_for(
            "groups",
            "says Adopt",
            stalled_with("NotGranted", "not for Adopt"),
        )
        .await;
    assert!(refused.status.and_then(|status| status.flow_id).is_none());
    let calls = operator.graph_calls(0).await;
    assert!(graph_writes(&calls).is_empty(), "reads only: {calls:#?}");
    assert!(
        calls.iter().all(|call| !call.path.contains(&other_set)),
        "the ungranted flow set was never read: {calls:#?}"
    );

    // Granting Manage and Adopt wakes the resource: nothing else touches it.
    write_grant(&admin, &namespace, &namespace, &grant(&["Manage", "Adopt"])).await;
    let adopted = operator
        .wait_for("groups", "Ready once granted", is_ready)
        .await;
    assert_eq!(
        adopted.status.and_then(|status| status.flow_id),
        Some(flow_id.clone())
    );
    assert_eq!(
        operator.graph_flows().await[0].creation_options(),
        Some(&options_json(false, true))
    );

    // A reset needs Reset; the token waits, then goes out once when granted.
    let before = operator.journal_position().await;
    let mut with_token = groups.clone();
    with_token.metadata.annotations = Some(BTreeMap::from([(
        RESET_ANNOTATION.to_owned(),
        "2026-12-02T10:00:00Z".to_owned(),
    )]));
    operator
        .apply_through(&flows, &with_token)
        .await
        .expect("apply");
    operator
        .wait_for(
            "groups",
            "Stalled: reset not granted",
            stalled_with("NotGranted", "not for Reset"),
        )
        .await;
    assert!(calls_to(&operator.graph_calls(before).await, "POST", "/reset").is_empty());
    write_grant(
        &admin,
        &namespace,
        &namespace,
        &grant(&["Manage", "Adopt", "Reset"]),
    )
    .await;
    operator
        .wait_for("groups", "Ready after the reset", is_ready)
        .await;
    operator
        .wait_for("groups", "reset handled", |flow| {
            flow.status
                .as_ref()
                .and_then(|status| status.reset.as_ref())
                .and_then(|reset| reset.last_handled_token.as_deref())
                == Some("2026-12-02T10:00:00Z")
        })
        .await;
    assert_eq!(
        calls_to(&operator.graph_calls(before).await, "POST", "/reset").len(),
        1
    );

    // Deleting with deletionPolicy Delete needs Delete: the deletion waits and says how to let
    // go; Orphan lets the resource go and leaves the flow.
    let before = operator.journal_position().await;
    flows
        .delete("groups", &DeleteParams::default())
        .await
        .expect("delete");
    operator
        .wait_for(
            "groups",
            "deletion waits for a Delete grant",
            stalled_with("NotGranted", "not for Delete"),
        )
        .await;
    let waiting = operator
        .wait_for(
            "groups",
            "says how to let go",
            stalled_with("NotGranted", "spec.deletionPolicy to Orphan"),
        )
        .await;
    assert!(waiting.metadata.deletion_timestamp.is_some());
    flows
        .patch(
            "groups",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"deletionPolicy": "Orphan"}})),
        )
        .await
        .expect("set Orphan on the terminating resource");
    operator.wait_deleted("groups").await;
    let calls = operator.graph_calls(before).await;
    assert!(graph_writes(&calls).is_empty(), "{calls:#?}");
    assert_eq!(
        operator.graph_flows().await.len(),
        1,
        "the flow stays in Graph"
    );
    let elsewhere = operator
        .api
        .get("elsewhere")
        .await
        .expect("the other resource");
    assert!(
        elsewhere
            .status
            .as_ref()
            .is_none_or(|status| status.flow_id.is_none()),
        "{} never got a flow",
        elsewhere.name_any()
    );
}

#[tokio::test]
async fn a_grant_by_namespace_label_follows_the_namespace_labels() {
    let operator = OperatorUnderTest::start_with("grant-label", without_grant()).await;
    let namespace = operator.test.namespace.clone();
    let admin = operator.test.client.clone();
    let by_label: sds_operator::crd::CredentialGrantSpec = serde_json::from_value(json!({
        "namespaces": {"selector": {"matchLabels": {"sds.example/district": namespace}}},
        "flowSets": {"all": true},
        "operations": ["Manage"],
    }))
    .expect("a grant");
    let grant = CredentialGrant::new(&namespace, by_label);
    Api::<CredentialGrant>::all(admin.clone())
        .create(&PostParams::default(), &grant)
        .await
        .expect("create the grant");
    operator.apply(&operator.resource("groups").build()).await;
    operator
        .wait_for(
            "groups",
            "Stalled: the namespace lacks the label",
            stalled_with("NotGranted", "no CredentialGrant"),
        )
        .await;

    let label =
        |value: Option<&str>| json!({"metadata": {"labels": {"sds.example/district": value}}});
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(admin);
    namespaces
        .patch(
            &namespace,
            &PatchParams::default(),
            &Patch::Merge(label(Some(&namespace))),
        )
        .await
        .expect("label the namespace");
    operator
        .wait_for("groups", "Ready once labelled", is_ready)
        .await;

    // Taking the label away takes the grant away: the next write is refused.
    namespaces
        .patch(
            &namespace,
            &PatchParams::default(),
            &Patch::Merge(label(None)),
        )
        .await
        .expect("unlabel the namespace");
    operator
        .wait_for(
            "groups",
            "Stalled once the label is gone",
            stalled_with("NotGranted", "no CredentialGrant"),
        )
        .await;
}

#[tokio::test]
async fn the_api_server_refuses_a_grant_that_says_nothing_clearly() {
    let operator = OperatorUnderTest::start_with("grant-validation", without_grant()).await;
    let grants = Api::<DynamicObject>::all_with(
        operator.test.client.clone(),
        &ApiResource::erase::<CredentialGrant>(&()),
    );
    let name = format!("{}-invalid", operator.test.namespace);
    for (spec, message) in [
        (
            json!({"namespaces": {}, "flowSets": {"all": true}, "operations": ["Observe"]}),
            "namespaces needs names or a selector",
        ),
        (
            json!({"namespaces": {"names": ["a"]}, "flowSets": {}, "operations": ["Observe"]}),
            "flowSets needs ids, createdInNamespace: true, or both; or all: true alone",
        ),
        (
            json!({"namespaces": {"names": ["a"]}, "flowSets": {"all": true, "ids": ["9ab41255-5364-4c53-e15c-08dc4ab6ee03"]}, "operations": ["Observe"]}),
            "flowSets needs ids, createdInNamespace: true, or both; or all: true alone",
        ),
        (
            json!({"namespaces": {"names": ["a"]}, "flowSets": {"all": true, "createdInNamespace": true}, "operations": ["Observe"]}),
            "flowSets needs ids, createdInNamespace: true, or both; or all: true alone",
        ),
        (
            json!({"namespaces": {"names": ["a"]}, "flowSets": {"ids": ["not-a-guid"]}, "operations": ["Observe"]}),
            "spec.flowSets.ids[0]",
        ),
        (
            json!({"namespaces": {"names": ["a"]}, "flowSets": {"all": true}, "operations": ["Observe", "Observe"]}),
            "Duplicate value",
        ),
        (
            json!({"namespaces": {"names": ["a"]}, "flowSets": {"all": true}, "operations": ["Everything"]}),
            "Unsupported value: \"Everything\"",
        ),
    ] {
        let grant: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "industrydata.sds-operator.io/v1alpha1",
            "kind": "CredentialGrant",
            "metadata": {"name": name},
            "spec": spec,
        }))
        .expect("a grant");
        let error = grants
            .create(&PostParams::default(), &grant)
            .await
            .expect_err("refused");
        assert!(error.to_string().contains(message), "{spec}: {error}");
    }
}
