//! tools/testbin/build.sh takes kube-apiserver, etcd and kubectl from KUBEBUILDER_ASSETS when it is
//! set, as envtest users expect, and builds nothing it already has.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

use sds_test_support::Binaries;

#[test]
fn kubebuilder_assets_supply_the_control_plane_binaries() {
    let root = std::env::temp_dir().join(format!("sds-testbin-{}", uuid::Uuid::new_v4().simple()));
    let assets = root.join("assets");
    let out = root.join("out");
    std::fs::create_dir_all(&assets).expect("assets dir");
    std::fs::create_dir_all(&out).expect("out dir");
    for tool in ["kube-apiserver", "etcd", "kubectl"] {
        let path = assets.join(tool);
        std::fs::write(&path, "#!/bin/sh\necho from-assets\n").expect("fake tool");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    // helm is not an envtest asset: the cached one (already the pinned version) is reused.
    let helm = Binaries::locate().expect("the built binaries").helm;
    symlink(&helm, out.join("helm")).expect("link helm");

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/testbin/build.sh");
    let output = Command::new("bash")
        .arg(&script)
        .env("KUBEBUILDER_ASSETS", &assets)
        .env("SDS_TESTBIN_DIR", &out)
        .output()
        .expect("run build.sh");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).lines().last(),
        Some(out.to_str().expect("utf-8"))
    );
    assert!(
        stderr.contains("helm v4.3.2 already built"),
        "nothing was built: {stderr}"
    );
    for tool in ["kube-apiserver", "etcd", "kubectl"] {
        let ran = Command::new(out.join(tool))
            .output()
            .expect("run the linked tool");
        assert_eq!(
            String::from_utf8_lossy(&ran.stdout).trim(),
            "from-assets",
            "{tool}"
        );
    }
    std::fs::remove_dir_all(&root).expect("clean up");
}
