//! Child processes tied to the life of the process that started them (a test binary, the demo):
//! nothing outlives it, even when it panics or is killed. Each child runs under a small `sh`
//! wrapper that holds the read end of a pipe from us and kills the child when that pipe closes.
//! The same wrapper turns a SIGTERM into a graceful stop of the child.

use std::fs::OpenOptions;
use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Error;

/// Runs "$@" with its output appended to $SDS_LOG. EOF on stdin (our end of the pipe closing)
/// kills it: SIGKILL, a crash rather than a shutdown, since nobody is left to wait for it. A
/// SIGTERM to the wrapper is passed on. The wrapper exits with the child's status. Background jobs
/// of a non-interactive shell read /dev/null, hence the explicit fd 3.
// The TERM trap is set before the child starts: a SIGTERM that came between the two killed the
// wrapper alone, and the child never heard it. One that comes before `child` is set is
// forwarded right after.
const WRAPPER: &str = r#"exec 3<&0 >>"$SDS_LOG" 2>&1
child=
trap 'term=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM
"$@" </dev/null 3<&- &
child=$!
[ -n "$term" ] && kill -TERM "$child" 2>/dev/null
( read -r _ <&3; kill -KILL "$child" 2>/dev/null ) &
wait "$child"; status=$?
while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done
exit "$status""#;

/// Removes a directory once stdin reaches EOF, i.e. when the test process has exited.
const JANITOR: &str = r#"read -r _; rm -rf "$1""#;

const EXIT_POLL: Duration = Duration::from_millis(50);

/// What to run and where its output goes.
#[derive(Debug, Clone)]
pub struct ProcessSpec {
    /// A short name for messages.
    pub name: &'static str,
    pub program: PathBuf,
    pub args: Vec<String>,
    /// Environment variables added to (or, with `clear_env`, replacing) ours.
    pub env: Vec<(String, String)>,
    /// Start from an empty environment, as a container would.
    pub clear_env: bool,
    /// Appended to, so that restarts keep their history.
    pub log: PathBuf,
}

impl ProcessSpec {
    pub fn new(name: &'static str, program: impl Into<PathBuf>, log: PathBuf) -> Self {
        Self {
            name,
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            clear_env: false,
            log,
        }
    }

    /// The last `lines` lines of the log, of every run so far.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

/// A running child process whose output goes to a log file.
#[derive(Debug)]
pub struct ManagedProcess {
    spec: ProcessSpec,
    wrapper: Child,
    /// Held, never written: the child is killed when this closes.
    lifeline: Option<ChildStdin>,
}

impl ManagedProcess {
    pub fn spawn(spec: ProcessSpec) -> Result<Self, Error> {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&spec.log)
            .map_err(Error::io("create", &spec.log))?;
        let mut command = Command::new("/bin/sh");
        if spec.clear_env {
            command.env_clear();
        }
        command
            .args(["-c", WRAPPER, spec.name])
            .arg(&spec.program)
            .args(&spec.args)
            .envs(spec.env.iter().map(|(key, value)| (key, value)))
            .env("SDS_LOG", &spec.log)
            .stdin(Stdio::piped())
            // Its own process group: a Ctrl-C in a terminal reaches only the process that started
            // it, which then stops it in order.
            .process_group(0);
        let mut wrapper = command.spawn().map_err(Error::io("start", &spec.program))?;
        let lifeline = wrapper.stdin.take();
        Ok(Self {
            spec,
            wrapper,
            lifeline,
        })
    }

    /// Starts the same program again, with the same arguments and environment, appending to the
    /// same log.
    pub fn respawn(&self) -> Result<Self, Error> {
        Self::spawn(self.spec.clone())
    }

    pub fn name(&self) -> &'static str {
        self.spec.name
    }

    pub fn log_path(&self) -> &Path {
        &self.spec.log
    }

    /// Kills the child with SIGKILL (a crash, not a shutdown) and waits until it is gone.
    pub fn kill(&mut self) {
        drop(self.lifeline.take());
        let _ = self.wrapper.wait();
    }

    /// Asks the child to stop (SIGTERM) and waits up to `grace` for it; kills it after that.
    /// Returns whether it stopped by itself.
    pub async fn terminate(&mut self, grace: Duration) -> bool {
        let pid = self.wrapper.id().to_string();
        // `kill` the command, not the syscall: this crate has no unsafe code.
        let _ = tokio::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await;
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if self.exited().is_some() {
                return true;
            }
            tokio::time::sleep(EXIT_POLL).await;
        }
        self.kill();
        false
    }

    /// The exit status if the process has already ended.
    pub fn exited(&mut self) -> Option<String> {
        match self.wrapper.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(error) => Some(format!("unknown: {error}")),
        }
    }

    /// Resolves with the exit status when the process ends by itself; cancel-safe.
    pub async fn wait_exit(&mut self) -> String {
        loop {
            if let Some(status) = self.exited() {
                return status;
            }
            tokio::time::sleep(EXIT_POLL).await;
        }
    }

    /// The last `lines` lines of the log.
    pub fn log_tail(&self, lines: usize) -> String {
        self.spec.log_tail(lines)
    }
}

impl Drop for ManagedProcess {
    fn drop(&mut self) {
        // Closing the pipe kills the child; the wrapper is reaped by whoever waits last.
        drop(self.lifeline.take());
    }
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
pub fn free_port() -> Result<u16, Error> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(Error::io("bind", "127.0.0.1:0"))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(Error::io("read the address of", "127.0.0.1:0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, log: PathBuf) -> ManagedProcess {
        let mut spec = ProcessSpec::new("probe", "/bin/sh", log);
        spec.args = vec!["-c".into(), script.into()];
        ManagedProcess::spawn(spec).expect("spawn")
    }

    async fn started(process: &ManagedProcess) {
        crate::eventually("the child to start", crate::DEFAULT_DEADLINE, || {
            let started = process.log_tail(5).contains("started");
            async move {
                if started {
                    Ok(())
                } else {
                    Err("not yet".into())
                }
            }
        })
        .await;
    }

    #[tokio::test]
    async fn terminate_lets_the_child_stop_gracefully_and_kill_does_not() {
        let dir =
            std::env::temp_dir().join(format!("sds-process-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let graceful =
            "trap 'echo stopping; exit 0' TERM; echo started; while :; do sleep 0.05; done";

        let mut polite = sh(graceful, dir.join("polite.log"));
        started(&polite).await;
        assert!(
            polite.terminate(Duration::from_secs(10)).await,
            "stopped by itself"
        );
        assert!(
            polite.log_tail(5).contains("stopping"),
            "{}",
            polite.log_tail(5)
        );

        let mut crashed = sh(graceful, dir.join("crashed.log"));
        started(&crashed).await;
        crashed.kill();
        assert!(crashed.exited().is_some());
        assert!(
            !crashed.log_tail(5).contains("stopping"),
            "SIGKILL runs no handler"
        );
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
