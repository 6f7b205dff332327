//! Child processes tied to the life of the test process, so nothing outlives a test binary even
//! when it panics or is killed: each child runs under a small `sh` wrapper that holds the read end
//! of a pipe from us and stops the child when that pipe closes.

use std::fs::OpenOptions;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use crate::Error;

/// Runs "$@" with its output appended to $SDS_LOG; kills it once stdin reaches EOF. SIGKILL, not
/// SIGTERM: everything here is disposable, and kube-apiserver's graceful shutdown waits half a
/// minute for an etcd that is already gone. Background jobs of a non-interactive shell read
/// /dev/null, hence the explicit fd 3.
const WRAPPER: &str = r#"exec 3<&0 >>"$SDS_LOG" 2>&1
"$@" </dev/null 3<&- &
child=$!
( read -r _ <&3; kill -KILL "$child" 2>/dev/null ) &
wait "$child""#;

/// Removes a directory once stdin reaches EOF, i.e. when the test process has exited.
const JANITOR: &str = r#"read -r _; rm -rf "$1""#;

/// A child process whose output goes to a log file.
#[derive(Debug)]
pub(crate) struct ManagedProcess {
    name: &'static str,
    program: PathBuf,
    args: Vec<String>,
    log: PathBuf,
    wrapper: Child,
    /// Held, never written: the child is stopped when this closes.
    lifeline: Option<ChildStdin>,
}

impl ManagedProcess {
    pub fn spawn(
        name: &'static str,
        program: &Path,
        args: Vec<String>,
        log: PathBuf,
    ) -> Result<Self, Error> {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(Error::io("create", &log))?;
        let mut wrapper = Command::new("sh")
            .arg("-c")
            .arg(WRAPPER)
            .arg(name)
            .arg(program)
            .args(&args)
            .env("SDS_LOG", &log)
            .stdin(Stdio::piped())
            .spawn()
            .map_err(Error::io("start", program))?;
        let lifeline = wrapper.stdin.take();
        Ok(Self {
            name,
            program: program.to_owned(),
            args,
            log,
            wrapper,
            lifeline,
        })
    }

    /// Kills the child the way the end of the test process would (SIGKILL: a crash, not a
    /// graceful shutdown). It is gone once [`exited`](Self::exited) says so.
    pub fn kill(&mut self) {
        // Closing the pipe is what the wrapper waits for.
        drop(self.lifeline.take());
    }

    /// Starts the same program again with the same arguments, appending to the same log.
    pub fn respawn(&self) -> Result<Self, Error> {
        Self::spawn(
            self.name,
            &self.program,
            self.args.clone(),
            self.log.clone(),
        )
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The exit status if the process has already ended.
    pub fn exited(&mut self) -> Option<String> {
        match self.wrapper.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(error) => Some(format!("unknown: {error}")),
        }
    }

    /// The last `lines` lines of the log.
    pub fn log_tail(&self, lines: usize) -> String {
        log_tail(&self.log, lines)
    }
}

pub(crate) fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Deletes `dir` when this process exits, however it exits.
pub(crate) fn remove_on_exit(dir: &Path) -> Result<(), Error> {
    let mut janitor = Command::new("sh")
        .arg("-c")
        .arg(JANITOR)
        .arg("sds-janitor")
        .arg(dir)
        .stdin(Stdio::piped())
        .spawn()
        .map_err(Error::io("start a janitor for", dir))?;
    // Leaked on purpose: the pipe must stay open for exactly as long as this process lives.
    std::mem::forget(janitor.stdin.take());
    Ok(())
}

/// A loopback port that was free a moment ago.
pub(crate) fn free_port() -> Result<u16, Error> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(Error::io("bind", "127.0.0.1:0"))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(Error::io("read the address of", "127.0.0.1:0"))
}
