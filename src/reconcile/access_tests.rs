//! Unit tests of what grants allow.

use super::*;
use crate::crd::SecurityGroupProvisioningFlow;

const SET: &str = "9ab41255-5364-4c53-e15c-08dc4ab6ee03";

fn grant(name: &str, namespace: &str, operations: &[&str]) -> CredentialGrant {
    CredentialGrant::new(
        name,
        serde_json::from_value(serde_json::json!({
            "namespaces": {"names": [namespace]},
            "flowSets": {"ids": [SET]},
            "operations": operations,
        }))
        .expect("a spec"),
    )
}

fn resource(secret: Option<&str>) -> SecurityGroupProvisioningFlow {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "industrydata.sds-operator.io/v1alpha1",
        "kind": "SecurityGroupProvisioningFlow",
        "metadata": {"name": "groups", "namespace": "district-a"},
        "spec": {
            "flowSetId": SET,
            "creationOptions": {"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": false},
            "credentialsSecretRef": secret.map(|name| serde_json::json!({"name": name})),
        },
    }))
    .expect("a resource")
}

#[test]
fn the_operations_of_every_covering_grant_add_up_and_observe_comes_with_any() {
    let grants = [
        grant("b-resets", "district-a", &["Reset"]),
        grant("a-manages", "district-a", &["Manage"]),
        grant("elsewhere", "district-b", &["Delete"]),
    ];
    let access = granted(&grants, "district-a", &BTreeMap::new(), SET, false);
    let flow = resource(None);
    for allowed in [
        GrantedOperation::Observe,
        GrantedOperation::Manage,
        GrantedOperation::Reset,
    ] {
        assert_eq!(access.require(&flow, allowed), Ok(()));
    }
    let refused = access
        .require(&flow, GrantedOperation::Delete)
        .expect_err("Delete is granted only to district-b");
    let message = refused.to_string();
    assert!(message.contains("a-manages, b-resets"), "{message}");
    assert!(!message.contains("elsewhere"), "{message}");
    assert!(message.contains("not for Delete"), "{message}");
}

#[test]
fn each_graph_write_of_a_plan_needs_its_operation() {
    use graph::{Flow, SecurityGroupConfig};
    let flow = resource(None);
    let status = FlowStatus::default();
    let found: Flow<SecurityGroupConfig> = serde_json::from_value(serde_json::json!({
        "id": "4598f62a-7bd9-40a1-d38a-08dc4ac68cf2",
        "readinessStatus": "ready",
        "creationOptions": {"createBasedOnRoleGroup": true, "createBasedOnOrgPlusRoleGroup": false},
    }))
    .expect("a flow");
    let send = ResetStep::Send {
        token: "t".into(),
        flow_id: found.id.clone(),
    };
    let only = |operations: &[GrantedOperation]| Access::Granted {
        operations: operations.iter().copied().collect(),
        grants: vec!["g".into()],
    };
    let observe = only(&[GrantedOperation::Observe]);
    let refused = |plan: &Plan<SecurityGroupConfig>| match &plan.flow {
        FlowStep::Refuse(Refusal::NotGranted { operation, .. }) => Some(*operation),
        _ => None,
    };
    let create = Plan {
        flow: FlowStep::Create { recreate: false },
        reset: ResetStep::Nothing,
    };
    let authorised = authorise(create.clone(), &flow, &status, &observe);
    assert_eq!(refused(&authorised), Some(GrantedOperation::Manage));
    let authorised = authorise(create, &flow, &status, &only(&[GrantedOperation::Manage]));
    assert_eq!(authorised.flow, FlowStep::Create { recreate: false });

    let adopt = Plan {
        flow: FlowStep::Adopt {
            found: found.clone(),
            update: true,
        },
        reset: send.clone(),
    };
    let manage = only(&[GrantedOperation::Manage]);
    let authorised = authorise(adopt.clone(), &flow, &status, &manage);
    assert_eq!(refused(&authorised), Some(GrantedOperation::Adopt));
    assert_eq!(authorised.reset, ResetStep::Nothing, "nothing is sent");
    let mut ours = status.clone();
    ours.create_intent = Some(crate::crd::CreateIntent {
        client_request_id: "c".into(),
        recorded_time: k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            jiff::Timestamp::UNIX_EPOCH,
        ),
    });
    let authorised = authorise(adopt, &flow, &ours, &manage);
    assert_eq!(
        refused(&authorised),
        None,
        "its own flow, found after a crash"
    );
    assert!(matches!(
        authorised.reset,
        ResetStep::Refuse(Refusal::NotGranted {
            operation: GrantedOperation::Reset,
            ..
        })
    ));

    let keep_and_reset = Plan {
        flow: FlowStep::Keep,
        reset: send.clone(),
    };
    let reset = only(&[GrantedOperation::Reset]);
    assert_eq!(
        authorise(keep_and_reset, &flow, &status, &reset).reset,
        send
    );
}

#[test]
fn no_grant_means_no_access_and_the_refusal_names_no_other_namespace() {
    let grants = [grant("district-b", "district-b", &["Manage"])];
    let access = granted(&grants, "district-a", &BTreeMap::new(), SET, false);
    assert_eq!(access, Access::NotGranted);
    let flow = resource(None);
    let message = access
        .require(&flow, GrantedOperation::Observe)
        .expect_err("refused")
        .to_string();
    assert!(message.contains("no CredentialGrant"), "{message}");
    assert!(!message.contains("district-b"), "{message}");
    assert!(
        !access.may_claim(&flow),
        "an ungranted resource holds no flow set"
    );
}

#[test]
fn its_own_credential_may_do_anything_but_claims_a_flow_set_only_once_it_read_it() {
    let mut flow = resource(Some("district-graph"));
    let access = Access::OwnCredential;
    assert_eq!(access.require(&flow, GrantedOperation::Delete), Ok(()));
    assert!(!access.may_claim(&flow), "not yet proven");
    flow.status = Some(Default::default());
    flow.status.as_mut().unwrap().last_sync_time = Some(
        k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(jiff::Timestamp::UNIX_EPOCH),
    );
    assert!(
        !access.may_claim(&flow),
        "a status written for a failure proves nothing"
    );
    flow.status.as_mut().unwrap().flow_id = Some("4598f62a-7bd9-40a1-d38a-08dc4ac68cf2".into());
    assert!(access.may_claim(&flow));
}
