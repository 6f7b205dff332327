//! Test support for sds-operator: a real etcd + kube-apiserver on loopback (built from the official
//! Kubernetes Go modules by `tools/testbin/build.sh`), with the clients, kubeconfigs and tools
//! (kubectl, helm) that tests and the demo need.
//!
//! [`ControlPlane`] is the reusable part (the demo starts one too); [`TestContext`] adds what
//! tests want on top: one control plane per test binary, a fresh namespace per test, and the
//! control-plane logs printed when a test fails.

mod apiserver_metrics;
mod audit;
mod binaries;
mod control_plane;
mod error;
mod pki;
mod process;
mod test_context;
mod wait;

pub use apiserver_metrics::RequestCount;
pub use audit::AuditedWrite;
pub use binaries::Binaries;
pub use control_plane::ControlPlane;
pub use error::Error;
pub use process::{ManagedProcess, ProcessSpec, free_port};
pub use test_context::{TestContext, shared_control_plane};
pub use wait::{DEFAULT_DEADLINE, eventually};
