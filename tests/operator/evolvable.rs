//! Graph's enumerations evolve: a value added after this operator was built (an attribute, an
//! age group) is kept and shown in status as Graph sends it, and the read does not fail.

use sds_operator::crd::{ClassGroupProvisioningFlow, UserProvisioningFlow};
use sds_test_harness::{OperatorUnderTest, Sample, Variant, is_ready, writes};
use serde_json::{Map, Value, json};

const NAME: &str = "observed";

/// Seeds a flow of kind `K`, gives it `members` as if Graph had grown new values, observes it,
/// and returns its status as JSON once Ready.
async fn observed_status<K: Sample>(tag: &str, members: Value) -> Value {
    let operator = OperatorUnderTest::start(tag).await;
    let kind = operator.kind::<K>();
    let seeded = kind.seed(Variant::First).await;
    let Value::Object(members) = members else {
        panic!("members are an object")
    };
    operator
        .emulator
        .admin()
        .set_properties(&seeded, &Map::from_iter(members))
        .await
        .expect("give the flow values of the future");
    let observing = kind
        .manifest(NAME, Variant::First)
        .with("managementPolicy", "ObserveOnly")
        .build::<K>();
    kind.apply(&observing).await;
    let ready = kind
        .wait_for(NAME, "Ready, mirroring Graph", |flow| {
            is_ready(flow)
                && flow
                    .flow_status()
                    .is_some_and(|status| status.flow_id.as_deref() == Some(seeded.as_str()))
        })
        .await;
    let calls = operator.graph_calls(0).await;
    assert!(writes(&calls).is_empty(), "nothing written: {calls:#?}");
    serde_json::to_value(ready.flow_status()).expect("status json")
}

#[tokio::test]
async fn a_user_flow_shows_an_age_group_and_an_attribute_this_version_does_not_know() {
    let status = observed_status::<UserProvisioningFlow>(
        "evolvable-user",
        json!({"managementOptions": {
            "additionalAttributes": ["userGradeLevel", "userPronouns"],
            "additionalOptions": {
                "allowStudentContactAssociation": true,
                "studentAgeGroup": "youngAdult",
            },
        }}),
    )
    .await;
    let options = &status["managementOptions"];
    assert_eq!(
        options["additionalAttributes"],
        json!(["userGradeLevel", "userPronouns"]),
        "{status:#}"
    );
    assert_eq!(
        options["additionalOptions"]["studentAgeGroup"], "youngAdult",
        "{status:#}"
    );
}

#[tokio::test]
async fn a_class_group_flow_shows_an_attribute_this_version_does_not_know() {
    let status = observed_status::<ClassGroupProvisioningFlow>(
        "evolvable-class",
        json!({"configuration": {
            "additionalAttributes": ["courseTitle", "courseRoom"],
            "additionalOptions": {"createTeam": true, "writeDisplayNameOnCreateOnly": false},
            "enrollmentMappings": {
                "ownerEnrollmentMappings": [{"code": "teacher"}],
                "memberEnrollmentMappings": [{"code": "student"}],
            },
        }}),
    )
    .await;
    assert_eq!(
        status["configuration"]["additionalAttributes"],
        json!(["courseTitle", "courseRoom"]),
        "{status:#}"
    );
}
