//! `make demo` end to end: the built sds-demo, with --exit-when-done, runs the real operator against
//! a real control plane and the Graph emulator, and must show every example (the flow set and a
//! flow of each kind) Ready and a reset Accepted. Every wait is the demo's own `kubectl wait`
//! with a deadline.

use std::path::{Path, PathBuf};
use std::process::Command;

#[test]
fn the_demo_shows_every_example_ready_and_a_reset_accepted() {
    let operator = operator_binary();
    let output = Command::new(env!("CARGO_BIN_EXE_sds-demo"))
        .arg("--exit-when-done")
        .arg("--operator")
        .arg(&operator)
        .output()
        .expect("run sds-demo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let transcript = format!("--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
    assert!(
        output.status.success(),
        "sds-demo failed ({}):\n{transcript}",
        output.status
    );

    // `kubectl get sgpf -o wide`: NAME READY REASON READINESS ...
    let ready_row = stdout.lines().any(|line| {
        let columns: Vec<&str> = line.split_whitespace().collect();
        columns.starts_with(&["district-security-groups", "True", "FlowReady", "ready"])
    });
    assert!(
        ready_row,
        "no Ready row with readiness ready:\n{transcript}"
    );
    // `kubectl get sgpf,aupf,cgpf,upf -o wide` names each row kind/name.
    for name in [
        "district-administrative-units",
        "district-class-groups",
        "district-users",
    ] {
        let ready = stdout.lines().any(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            columns
                .first()
                .is_some_and(|first| first.ends_with(&format!("/{name}")))
                && columns[1..].starts_with(&["True", "FlowReady", "ready"])
        });
        assert!(ready, "no Ready row for {name}:\n{transcript}");
    }
    // The flow set every flow names, created by the operator: `kind.group/district True FlowSetReady`.
    let set_ready = stdout.lines().any(|line| {
        let columns: Vec<&str> = line.split_whitespace().collect();
        columns.first().is_some_and(|first| {
            first.starts_with("outboundprovisioningflowset") && first.ends_with("/district")
        }) && columns[1..].starts_with(&["True", "FlowSetReady"])
    });
    assert!(set_ready, "no Ready row for the flow set:\n{transcript}");
    assert!(
        stdout.contains(r#""outcome": "Accepted""#),
        "the reset was not shown Accepted:\n{transcript}"
    );
    assert!(
        stdout.contains("export KUBECONFIG=") && stdout.contains("kubectl explain sgpf.spec"),
        "what to try next is missing:\n{transcript}"
    );
}

/// The operator built from this checkout. `SDS_OPERATOR_BIN` names one outright. Otherwise cargo
/// builds it into the directory where it put sds-demo (same target directory and profile); that
/// is a no-op when it is fresh, and it means the demo never runs a stale operator, even under
/// `cargo test -p sds-demo`, which on its own would not build the operator at all.
fn operator_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("SDS_OPERATOR_BIN") {
        return PathBuf::from(path);
    }
    // CARGO_BIN_EXE_* points at the final artifact, unlike this test's own path, which is under
    // the build directory when `build.build-dir` moves it elsewhere.
    let profile_dir = Path::new(env!("CARGO_BIN_EXE_sds-demo"))
        .parent()
        .expect("sds-demo sits in a profile directory");
    let target_dir = profile_dir
        .parent()
        .expect("the profile directory sits in a target directory");
    let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
        Some("debug") => "dev",
        Some(name) => name,
        None => panic!("unexpected profile directory {}", profile_dir.display()),
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let build = Command::new(cargo)
        .args([
            "build",
            "--locked",
            "--bin",
            "sds-operator",
            "--profile",
            profile,
        ])
        .arg("--manifest-path")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir)
        .output()
        .expect("run cargo build");
    assert!(
        build.status.success(),
        "cargo build --bin sds-operator failed:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let binary = profile_dir.join("sds-operator");
    assert!(binary.is_file(), "{} was not built", binary.display());
    binary
}
