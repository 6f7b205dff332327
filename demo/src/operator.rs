//! The real sds-operator binary as a child of the demo, its output in a log file. It runs under
//! the harness's `ManagedProcess`, so it never outlives the demo however the demo ends; a clean
//! stop sends SIGTERM and waits for the operator's graceful shutdown.

use std::path::Path;
use std::time::Duration;

use sds_test_support::{ManagedProcess, ProcessSpec};

use crate::error::DemoError;

/// Time the operator gets to finish its graceful shutdown before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(15);

/// Where the operator finds Kubernetes, Graph and its credential.
#[derive(Debug)]
pub struct OperatorEnvironment<'a> {
    pub kubeconfig: &'a Path,
    /// Both the Graph endpoint and the authority host: the emulator serves both.
    pub emulator_url: &'a str,
    pub tenant_id: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

impl OperatorEnvironment<'_> {
    /// The operator's whole environment: nothing is inherited from the terminal (no proxy, no
    /// stray SDS_* setting), as in a Pod.
    fn variables(&self) -> Vec<(String, String)> {
        [
            ("KUBECONFIG", self.kubeconfig.display().to_string()),
            ("SDS_GRAPH_ENDPOINT", self.emulator_url.to_owned()),
            ("AZURE_AUTHORITY_HOST", self.emulator_url.to_owned()),
            ("AZURE_TENANT_ID", self.tenant_id.to_owned()),
            ("AZURE_CLIENT_ID", self.client_id.to_owned()),
            ("AZURE_CLIENT_SECRET", self.client_secret.to_owned()),
            // Re-read a notReady flow every second, so the demo shows readiness changes promptly.
            ("SDS_POLL_INTERVAL", "1s".to_owned()),
            // Whatever port is free: the demo does not probe the operator.
            ("SDS_ADMIN_ADDRESS", "127.0.0.1:0".to_owned()),
            ("POD_NAME", "sds-demo".to_owned()),
            // Its Lease, where a Pod's would be in its own namespace.
            ("POD_NAMESPACE", "default".to_owned()),
            ("RUST_LOG", "info".to_owned()),
            // A log file, not a terminal: no colour codes.
            ("NO_COLOR", "1".to_owned()),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
    }
}

/// A running operator.
#[derive(Debug)]
pub struct OperatorProcess {
    process: ManagedProcess,
}

impl OperatorProcess {
    pub fn spawn(
        binary: &Path,
        environment: &OperatorEnvironment<'_>,
        log: std::path::PathBuf,
    ) -> Result<Self, DemoError> {
        if !binary.is_file() {
            return Err(DemoError::OperatorMissing(binary.to_path_buf()));
        }
        let spec = ProcessSpec {
            env: environment.variables(),
            clear_env: true,
            ..ProcessSpec::new("sds-operator", binary, log)
        };
        Ok(Self {
            process: ManagedProcess::spawn(spec).map_err(DemoError::OperatorStart)?,
        })
    }

    pub fn log_path(&self) -> &Path {
        self.process.log_path()
    }

    /// The last `lines` lines of the operator's log.
    pub fn log_tail(&self, lines: usize) -> String {
        self.process.log_tail(lines)
    }

    /// Resolves when the operator exits; cancel-safe, so it can sit in a `select!`.
    pub async fn exited(&mut self) -> String {
        self.process.wait_exit().await
    }

    /// The error that reports an unexpected exit, with the log tail.
    pub fn exited_error(&self, status: String) -> DemoError {
        DemoError::OperatorExited {
            status,
            log: self.log_path().to_path_buf(),
            log_tail: self.log_tail(40),
        }
    }

    /// Asks the operator to stop (SIGTERM), waits for it, kills it if it hangs.
    pub async fn stop(mut self) -> Result<(), String> {
        if self.process.terminate(STOP_GRACE).await {
            Ok(())
        } else {
            Err(format!(
                "sds-operator ignored SIGTERM for {}s and was killed",
                STOP_GRACE.as_secs()
            ))
        }
    }
}
