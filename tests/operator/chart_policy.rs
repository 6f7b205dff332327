//! The chart as policy scanners judge it: checkov and kube-score on its default rendering. Every
//! finding is justified in `charts/sds-operator/policy-exceptions.yaml`, and every justification
//! still matches a finding (a fixed gap must leave the file too).

use std::collections::{BTreeMap, BTreeSet};

use sds_test_harness::judge_tool;
use sds_test_support::TestContext;
use serde_json::Value;

use crate::chart::{CHART, run};

/// The exceptions file: per tool, check id → why the finding stays.
fn exceptions() -> BTreeMap<String, BTreeMap<String, String>> {
    let path = format!("{CHART}/policy-exceptions.yaml");
    serde_saphyr::from_str(&std::fs::read_to_string(&path).expect("policy-exceptions.yaml"))
        .expect("policy-exceptions.yaml parses")
}

/// Runs `tool` with `args` and parses the JSON it prints; both tools exit non-zero on findings.
async fn scan(tool: &str, args: &[&str]) -> Value {
    let output = tokio::process::Command::new(tool)
        .args(args)
        .output()
        .await
        .unwrap_or_else(|e| panic!("run {tool}: {e}"));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{tool} printed no JSON ({e}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn assert_justified(tool: &str, found: &BTreeSet<String>, justified: &BTreeMap<String, String>) {
    let unjustified: Vec<_> = found
        .iter()
        .filter(|id| !justified.contains_key(*id))
        .collect();
    let stale: Vec<_> = justified.keys().filter(|id| !found.contains(*id)).collect();
    assert!(
        unjustified.is_empty(),
        "{tool} findings without a reason in policy-exceptions.yaml: {unjustified:?}"
    );
    assert!(
        stale.is_empty(),
        "policy-exceptions.yaml justifies {tool} checks that no longer fail: {stale:?}"
    );
    for (id, why) in justified {
        assert!(why.trim().len() > 10, "{tool} {id}: say why");
    }
}

#[tokio::test]
async fn every_checkov_and_kube_score_finding_on_the_chart_is_justified() {
    let checkov = judge_tool("SDS_CHECKOV", "checkov 3.3.30 (a venv of the tool cache)");
    let kube_score = judge_tool(
        "SDS_KUBE_SCORE",
        "kube-score v1.20.0 (go install into the tool cache)",
    );
    let test = TestContext::new("chart-policy").await;
    let mut template = test.control_plane.helm();
    template.args(["template", "sds", CHART, "--namespace", "sds-system"]);
    let (ok, rendered) = run(template).await;
    assert!(ok, "{rendered}");
    let path = test
        .control_plane
        .scratch_dir()
        .join(format!("{}-rendered.yaml", test.namespace));
    std::fs::write(&path, &rendered).expect("write the rendering");
    let file = path.display().to_string();
    let exceptions = exceptions();

    let report = scan(
        &checkov,
        &[
            "-f",
            &file,
            "--framework",
            "kubernetes",
            "-o",
            "json",
            "--quiet",
        ],
    )
    .await;
    let found: BTreeSet<String> = report["results"]["failed_checks"]
        .as_array()
        .expect("checkov's failed checks")
        .iter()
        .filter_map(|check| check["check_id"].as_str().map(str::to_owned))
        .collect();
    assert_justified("checkov", &found, &exceptions["checkov"]);

    let report = scan(&kube_score, &["score", "-o", "json", &file]).await;
    let found: BTreeSet<String> = report
        .as_array()
        .expect("kube-score's objects")
        .iter()
        .flat_map(|object| object["checks"].as_array().cloned().unwrap_or_default())
        .filter(|check| check["skipped"] != Value::Bool(true) && check["grade"].as_i64() < Some(10))
        .filter_map(|check| check["check"]["id"].as_str().map(str::to_owned))
        .collect();
    assert_justified("kube-score", &found, &exceptions["kube-score"]);
}
