//! The committed CRD, the chart's copy and the generator agree.

use crate::fixture::*;

#[test]
fn committed_crd_matches_the_crd_subcommand() {
    let output = Command::new(env!("CARGO_BIN_EXE_sds-operator"))
        .arg("crd")
        .output()
        .expect("sds-operator runs");
    assert!(
        output.status.success(),
        "`sds-operator crd` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let generated = String::from_utf8(output.stdout).expect("the CRD is UTF-8");
    assert!(
        generated == committed_yaml(),
        "{CRD_FILE} differs from what `sds-operator crd` generates; run `cargo run -- crd > {CRD_FILE}` \
         and commit the result"
    );
}

#[test]
fn the_helm_chart_ships_the_same_crd() {
    let chart_copy = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("charts/sds-operator")
        .join(CRD_FILE);
    let shipped = std::fs::read_to_string(&chart_copy).expect("the chart's CRD");
    assert!(
        shipped == committed_yaml(),
        "{} differs from {CRD_FILE}; copy it over (Helm installs CRDs only from the chart's crds/)",
        chart_copy.display()
    );
}

#[test]
fn committed_yaml_reads_back_as_the_generated_crd() {
    let parsed: Value =
        serde_saphyr::from_str(&committed_yaml()).expect("the committed CRD is valid YAML");
    assert!(
        parsed == crd(),
        "{CRD_FILE} does not read back as the generated CRD; run `cargo run -- crd > {CRD_FILE}`"
    );
}
