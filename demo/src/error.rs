//! Why the demo stopped. Every message names the step and what to look at.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the local control plane did not start: {0}")]
    ControlPlane(#[from] sds_test_support::Error),
    #[error("the Graph emulator did not start: {0}")]
    Emulator(#[from] graph_emulator::EmulatorError),
    #[error("the Graph emulator refused the demo's flow set: {0}")]
    SeedFlowSet(#[from] graph_emulator::AdminError),
    #[error("the example {path} cannot be used: {reason}")]
    Example { path: PathBuf, reason: String },
    #[error(
        "the operator binary {0} does not exist; build it with `cargo build --bin sds-operator` \
         or pass --operator PATH"
    )]
    OperatorMissing(PathBuf),
    #[error("could not start sds-operator: {0}")]
    OperatorStart(sds_test_support::Error),
    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{command}` failed ({status}):\n{output}")]
    Kubectl {
        command: String,
        status: String,
        output: String,
    },
    #[error(transparent)]
    WaitFailed(Box<WaitFailure>),
    #[error("sds-operator exited ({status}); its log ({log}) ends with:\n{log_tail}")]
    OperatorExited {
        status: String,
        log: PathBuf,
        log_tail: String,
    },
    #[error("the reset was handled but not accepted (outcome {outcome}):\n{block}")]
    ResetNotAccepted { outcome: String, block: String },
    #[error("interrupted")]
    Interrupted,
}

/// A `kubectl wait` that ran out of time, with what the resource and the operator were doing.
#[derive(Debug, thiserror::Error)]
#[error(
    "timed out waiting for {what}.\n`{command}` said: {output}\nThe resource's status now:\n\
     {current}\nThe operator log ({log}) ends with:\n{log_tail}"
)]
pub struct WaitFailure {
    pub what: String,
    pub command: String,
    pub output: String,
    pub current: String,
    pub log: PathBuf,
    pub log_tail: String,
}

impl DemoError {
    pub fn io(
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
