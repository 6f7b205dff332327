//! The committed CRDs, the chart's copies and the generator agree.

use crate::fixture::*;

use sds_operator::crd::{crd_yaml, custom_resource_definitions};

/// Each generated CRD with the path it is committed at, relative to the checkout.
fn generated() -> Vec<(String, String)> {
    custom_resource_definitions()
        .iter()
        .map(|crd| {
            let name = crd.metadata.name.clone().expect("a CRD name");
            (format!("crds/{name}.yaml"), crd_yaml(crd).expect("YAML"))
        })
        .collect()
}

fn read(relative: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "cannot read {}: {error}; run `cargo run -- crd --dir crds/` and copy crds/ into charts/sds-operator/files/crds/",
            path.display()
        )
    })
}

#[test]
fn the_crd_subcommand_prints_every_crd_and_writes_the_committed_files() {
    let binary = env!("CARGO_BIN_EXE_sds-operator");
    let output = Command::new(binary)
        .arg("crd")
        .output()
        .expect("sds-operator runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8(output.stdout).expect("UTF-8");
    let documents: Vec<String> = generated().into_iter().map(|(_, yaml)| yaml).collect();
    assert_eq!(printed, documents.join("---\n"));

    let dir = std::env::temp_dir().join(format!("sds-crds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let status = Command::new(binary)
        .args(["crd", "--dir"])
        .arg(&dir)
        .status()
        .expect("sds-operator runs");
    assert!(status.success());
    let mut written: Vec<String> = std::fs::read_dir(&dir)
        .expect("the directory")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    written.sort();
    let mut committed: Vec<String> =
        std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crds"))
            .expect("crds/")
            .map(|entry| {
                entry
                    .expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
    committed.sort();
    assert_eq!(written, committed, "crds/ holds exactly the generated CRDs");
    for (path, yaml) in generated() {
        assert!(
            read(&path) == yaml,
            "{path} differs from what `sds-operator crd --dir crds/` generates; regenerate and commit it"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_helm_chart_ships_the_same_crds() {
    for (path, yaml) in generated() {
        let chart_copy = format!("charts/sds-operator/files/{path}");
        assert!(
            read(&chart_copy) == yaml,
            "{chart_copy} differs from {path}; copy it over (the chart's CRD templates render these files)"
        );
    }
}

#[test]
fn committed_yaml_reads_back_as_the_generated_crd() {
    let parsed: Value =
        serde_saphyr::from_str(&committed_yaml()).expect("the committed CRD is valid YAML");
    assert!(
        parsed == crd(),
        "{CRD_FILE} does not read back as the generated CRD; run `cargo run -- crd --dir crds/`"
    );
}
