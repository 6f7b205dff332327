//! The real sds-operator binary as a child of the demo, its output in a log file.
//!
//! It must not outlive the demo however the demo ends. A clean stop sends SIGTERM and waits; for an
//! abrupt end (a panic, SIGKILL) a small `sh` guard holds a pipe from the demo and sends SIGTERM
//! when that pipe closes, which the kernel does when the demo dies.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::process::{Child, ChildStdin, Command};

use crate::error::DemoError;

/// Time the operator gets to finish its graceful shutdown before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(15);

/// Waits for EOF on stdin (the demo's end of the pipe closing), then stops the operator ($1).
const GUARD: &str = r#"read -r _ ; kill -TERM "$1" 2>/dev/null"#;

/// Where the operator finds Kubernetes, Graph and its credential.
#[derive(Debug)]
pub struct OperatorEnvironment<'a> {
    pub kubeconfig: &'a Path,
    /// Both the Graph endpoint and the authority host: the emulator serves both.
    pub emulator_url: &'a str,
    pub tenant_id: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    /// Namespaces allowed to use that credential.
    pub credential_namespaces: &'a str,
}

/// A running operator.
#[derive(Debug)]
pub struct OperatorProcess {
    child: Child,
    guard: Child,
    /// Never written to; closing it makes the guard stop the operator.
    guard_pipe: Option<ChildStdin>,
    log: PathBuf,
}

impl OperatorProcess {
    pub fn spawn(
        binary: &Path,
        environment: &OperatorEnvironment<'_>,
        log: PathBuf,
    ) -> Result<Self, DemoError> {
        if !binary.is_file() {
            return Err(DemoError::OperatorMissing(binary.to_path_buf()));
        }
        let stdout = File::create(&log).map_err(DemoError::io("create", &log))?;
        let stderr = stdout.try_clone().map_err(DemoError::io("open", &log))?;
        let child = Command::new(binary)
            .env("KUBECONFIG", environment.kubeconfig)
            .env("SDS_GRAPH_ENDPOINT", environment.emulator_url)
            .env("AZURE_AUTHORITY_HOST", environment.emulator_url)
            .env("AZURE_TENANT_ID", environment.tenant_id)
            .env("AZURE_CLIENT_ID", environment.client_id)
            .env("AZURE_CLIENT_SECRET", environment.client_secret)
            .env("SDS_DEFAULT_CREDENTIAL_NAMESPACES", environment.credential_namespaces)
            // Re-read a notReady flow every second, so the demo shows readiness changes promptly.
            .env("SDS_POLL_INTERVAL", "1s")
            // Whatever port is free: the demo does not probe the operator.
            .env("SDS_ADMIN_ADDRESS", "127.0.0.1:0")
            .env("POD_NAME", "sds-demo")
            // A log file, not a terminal: no colour codes.
            .env("NO_COLOR", "1")
            .env("NO_PROXY", no_proxy_with_loopback())
            .env_remove("SDS_WATCH_NAMESPACE")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            // Its own process group: a Ctrl-C in the terminal reaches only the demo, which then
            // stops the operator itself, so the operator never seems to die on its own.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(DemoError::io("start", binary))?;
        let pid = child.id().map(|id| id.to_string()).unwrap_or_default();
        let mut guard = Command::new("sh")
            .args(["-c", GUARD, "sds-demo-guard", &pid])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(DemoError::io("start a guard for", binary))?;
        let guard_pipe = guard.stdin.take();
        Ok(Self {
            child,
            guard,
            guard_pipe,
            log,
        })
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The last `lines` lines of the operator's log.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Resolves when the operator exits; cancel-safe, so it can sit in a `select!`.
    pub async fn exited(&mut self) -> ExitStatus {
        match self.child.wait().await {
            Ok(status) => status,
            // Waiting itself failed: nothing more can be learnt from this child.
            Err(_) => std::future::pending().await,
        }
    }

    /// The error that reports an unexpected exit, with the log tail.
    pub fn exited_error(&self, status: ExitStatus) -> DemoError {
        DemoError::OperatorExited {
            status: status.to_string(),
            log: self.log.clone(),
            log_tail: self.log_tail(40),
        }
    }

    /// Asks the operator to stop (SIGTERM, through the guard), waits for it, kills it if it hangs.
    pub async fn stop(mut self) -> Result<(), String> {
        drop(self.guard_pipe.take());
        let stopped = match tokio::time::timeout(STOP_GRACE, self.child.wait()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(format!("waiting for sds-operator: {error}")),
            Err(_) => {
                let killed = self.child.kill().await;
                Err(format!(
                    "sds-operator ignored SIGTERM for {}s and was killed ({killed:?})",
                    STOP_GRACE.as_secs()
                ))
            }
        };
        let _ = self.guard.wait().await;
        stopped
    }
}

/// Keeps the user's proxy exceptions and adds loopback, where the API server and emulator listen.
fn no_proxy_with_loopback() -> String {
    match std::env::var("NO_PROXY").or_else(|_| std::env::var("no_proxy")) {
        Ok(existing) if !existing.is_empty() => format!("{existing},127.0.0.1,localhost"),
        _ => "127.0.0.1,localhost".to_owned(),
    }
}
