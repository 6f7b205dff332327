//! Invalid manifests are refused by the API server at `kubectl apply`, with a message that names
//! the field. No operator is needed for these: the CRD's schema and CEL rules do the work.

use sds_test_harness::OperatorUnderTest;

fn manifest(flow_set_id: &str, options: &str) -> String {
    format!(
        "apiVersion: industrydata.sds-operator.io/v1alpha1\nkind: SecurityGroupProvisioningFlow\nmetadata:\n  name: groups\nspec:\n  flowSetId: {flow_set_id}\n{options}"
    )
}

const OPTIONS: &str = "  creationOptions:\n    createBasedOnRoleGroup: true\n    createBasedOnOrgPlusRoleGroup: false\n";

async fn kubectl_apply(operator: &OperatorUnderTest, name: &str, yaml: &str) -> (bool, String) {
    let path = operator
        .test
        .control_plane
        .scratch_dir()
        .join(format!("{}-{name}.yaml", operator.test.namespace));
    std::fs::write(&path, yaml).expect("write manifest");
    let output = operator
        .kubectl(&["apply", "-f", &path.display().to_string()])
        .await;
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn bad_manifests_are_refused_naming_the_field() {
    let operator = OperatorUnderTest::start("validation").await;

    let (ok, error) = kubectl_apply(&operator, "bad-guid", &manifest("not-a-guid", OPTIONS)).await;
    assert!(!ok && error.contains("spec.flowSetId"), "{error}");

    let (ok, error) = kubectl_apply(
        &operator,
        "no-options",
        &manifest("9ab41255-5364-4c53-e15c-08dc4ab6ee03", ""),
    )
    .await;
    assert!(
        !ok && error.contains("spec.creationOptions") && error.contains("Required"),
        "{error}"
    );

    let bad_enum = format!("{OPTIONS}  deletionPolicy: Sometimes\n");
    let (ok, error) = kubectl_apply(
        &operator,
        "bad-enum",
        &manifest("9ab41255-5364-4c53-e15c-08dc4ab6ee03", &bad_enum),
    )
    .await;
    assert!(!ok && error.contains("spec.deletionPolicy"), "{error}");

    let (ok, error) =
        kubectl_apply(&operator, "good", &manifest(&operator.flow_set_id, OPTIONS)).await;
    assert!(ok, "a valid manifest is accepted: {error}");
    let (ok, error) = kubectl_apply(
        &operator,
        "moved",
        &manifest("9ab41255-5364-4c53-e15c-08dc4ab6ee03", OPTIONS),
    )
    .await;
    assert!(
        !ok && error.contains("spec.flowSetId") && error.contains("immutable"),
        "{error}"
    );
}
