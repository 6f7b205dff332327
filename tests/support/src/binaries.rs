//! Finds the control-plane binaries: `SDS_TESTBIN_DIR` when it is set, else whatever
//! `tools/testbin/build.sh` reports (it builds them on first use and honours `KUBEBUILDER_ASSETS`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::Error;

/// Paths of the binaries a test or the demo runs.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub kube_apiserver: PathBuf,
    pub etcd: PathBuf,
    pub kubectl: PathBuf,
    pub helm: PathBuf,
}

impl Binaries {
    /// Locates the binaries once per process; building them may take many minutes on a cold cache.
    pub fn locate() -> Result<Self, Error> {
        static LOCATED: OnceLock<Result<Binaries, String>> = OnceLock::new();
        LOCATED
            .get_or_init(|| {
                locate_dir()
                    .map(|dir| Self::in_dir(&dir))
                    .and_then(Self::checked)
            })
            .clone()
            .map_err(Error::Binaries)
    }

    fn in_dir(dir: &Path) -> Self {
        Self {
            kube_apiserver: dir.join("kube-apiserver"),
            etcd: dir.join("etcd"),
            kubectl: dir.join("kubectl"),
            helm: dir.join("helm"),
        }
    }

    fn checked(self) -> Result<Self, String> {
        for path in [&self.kube_apiserver, &self.etcd, &self.kubectl, &self.helm] {
            if !path.is_file() {
                return Err(format!("{} is missing", path.display()));
            }
        }
        Ok(self)
    }
}

fn locate_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("SDS_TESTBIN_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let script = workspace_root().join("tools/testbin/build.sh");
    let output = Command::new("bash")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run {}: {e}", script.display()))?;
    if !output.status.success() {
        return Err(format!("{} failed ({})", script.display(), output.status));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .map(|line| PathBuf::from(line.trim()))
        .ok_or_else(|| format!("{} printed no directory", script.display()))
}

/// The repository root: this crate lives in `tests/support`.
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
