//! The one error type of the harness: every failure names what it was doing.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("control-plane binaries are not available: {0}")]
    Binaries(String),
    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not generate certificates: {0}")]
    Certificates(#[from] rcgen::Error),
    #[error("{process} did not become ready within {seconds}s; its log ends with:\n{log_tail}")]
    NotReady {
        process: &'static str,
        seconds: u64,
        log_tail: String,
    },
    #[error("{process} exited during startup ({status}); its log ends with:\n{log_tail}")]
    Exited {
        process: &'static str,
        status: String,
        log_tail: String,
    },
    #[error("kubeconfig: {0}")]
    Kubeconfig(String),
    #[error("Kubernetes API call failed: {0}")]
    Kube(#[from] kube::Error),
    #[error("the API server returned no token for service account {0}")]
    NoToken(String),
}

impl Error {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}
