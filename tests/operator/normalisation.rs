//! What Graph normalises is not drift: a class-group flow's enrollment codes, sent in any casing
//! and order, are stored in Graph's spelling, and the operator, reading them back at every resync,
//! sees its spec fulfilled and writes nothing more.

use std::time::Duration;

use sds_operator::crd::ClassGroupProvisioningFlow;
use sds_test_harness::{
    OperatorUnderTest, Options, Variant, calls_after_settling, condition_is, is_ready,
};
use serde_json::json;

#[tokio::test]
async fn enrollment_codes_in_another_casing_settle_without_a_patch() {
    let options = Options {
        resync_period: Duration::from_secs(2),
        ..Options::default()
    };
    let operator = OperatorUnderTest::start_with("class-group-casing", options).await;
    let kind = operator.kind::<ClassGroupProvisioningFlow>();
    let manifest = kind
        .manifest("classes", Variant::First)
        .with(
            "configuration",
            json!({
                "additionalAttributes": ["courseTitle"],
                "additionalOptions": {"createTeam": true, "writeDisplayNameOnCreateOnly": false},
                "enrollmentMappings": {
                    "ownerEnrollmentMappings": [{"code": "TEACHER"}, {"code": "teacherassistant"}],
                    "memberEnrollmentMappings": [{"code": "Student"}],
                },
            }),
        )
        .build::<ClassGroupProvisioningFlow>();
    kind.apply(&manifest).await;
    kind.wait_for("classes", "Ready and Synced", |flow| {
        is_ready(flow) && condition_is(flow, "Synced", "True", "InSync")
    })
    .await;

    let flows = kind.graph_flows().await;
    let mappings = &flows[0].properties["configuration"]["enrollmentMappings"];
    let codes = |list: &str| -> Vec<String> {
        mappings[list]
            .as_array()
            .expect("a list of mappings")
            .iter()
            .map(|mapping| mapping["code"].as_str().expect("a code").to_owned())
            .collect()
    };
    assert_eq!(
        (
            codes("ownerEnrollmentMappings"),
            codes("memberEnrollmentMappings")
        ),
        (
            vec!["teacher".to_owned(), "teacherAssistant".to_owned()],
            vec!["student".to_owned()]
        ),
        "Graph holds its own spelling: {mappings:#}"
    );

    // Three resyncs' reads after the create: none of them leads to a PATCH.
    let calls = calls_after_settling(&operator, 0, 3).await;
    let writes: Vec<_> = calls.iter().filter(|call| call.method != "GET").collect();
    assert_eq!(writes.len(), 1, "the create and nothing else: {calls:#?}");
    assert_eq!(writes[0].method, "POST");
}
