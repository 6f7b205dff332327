//! The real `sds-operator` binary as a child of the test, so that a test can kill it the way a
//! node failure or an OOM kill does (SIGKILL, mid-reconcile) and start it again. It is configured
//! only through its environment, as in a Pod, against the test's control plane and emulator.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use sds_test_support::{ManagedProcess, ProcessSpec, free_port};

use crate::{CLIENT_ID, CLIENT_SECRET, OperatorUnderTest, Options, TENANT};

const LOG_TAIL_LINES: usize = 80;

/// One `sds-operator` process at a time for one [`OperatorUnderTest`]; killed when dropped.
#[derive(Debug)]
pub struct OperatorProcess {
    spec: ProcessSpec,
    child: Option<ManagedProcess>,
    starts: u32,
    /// Where its admin endpoints listen (a loopback port chosen at start, kept across restarts).
    admin_address: String,
}

impl OperatorProcess {
    /// Starts `binary` (the test's `env!("CARGO_BIN_EXE_sds-operator")`) watching `operator`'s
    /// namespace and using its emulator.
    pub fn start(
        binary: impl AsRef<Path>,
        operator: &OperatorUnderTest,
        options: &Options,
    ) -> Self {
        Self::start_with(binary, operator, options, &[])
    }

    /// Like [`start`](Self::start), with `overrides` replacing or adding environment variables
    /// (for example `RUST_LOG=info`, as a deployment runs it, for the benchmark).
    pub fn start_with(
        binary: impl AsRef<Path>,
        operator: &OperatorUnderTest,
        options: &Options,
        overrides: &[(&str, &str)],
    ) -> Self {
        Self::start_under(&[], binary, operator, options, overrides)
    }

    /// Like [`start_with`](Self::start_with), with the binary started by `launcher`, a command
    /// that ends by exec-ing its last argument, so that the process is still the binary: e.g.
    /// `/usr/bin/env LD_PRELOAD=<a profiler>`, which the wrapping shell would otherwise consume.
    pub fn start_under(
        launcher: &[String],
        binary: impl AsRef<Path>,
        operator: &OperatorUnderTest,
        options: &Options,
        overrides: &[(&str, &str)],
    ) -> Self {
        let control_plane = operator.test.control_plane;
        let namespace = &operator.test.namespace;
        let seconds = |duration: std::time::Duration| format!("{}s", duration.as_secs().max(1));
        let mut environment: Vec<(&str, String)> = vec![
            (
                "KUBECONFIG",
                control_plane.admin_kubeconfig().display().to_string(),
            ),
            (
                "SDS_GRAPH_ENDPOINT",
                operator.emulator.base_url().to_owned(),
            ),
            (
                "AZURE_AUTHORITY_HOST",
                operator.emulator.base_url().to_owned(),
            ),
            ("AZURE_TENANT_ID", TENANT.to_owned()),
            ("AZURE_CLIENT_ID", CLIENT_ID.to_owned()),
            ("AZURE_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
            ("SDS_WATCH_NAMESPACE", namespace.clone()),
            // Its Lease lives in the test's namespace, as in the operator's own in a cluster.
            ("POD_NAMESPACE", namespace.clone()),
            // Several operators run at once in a test run: each takes a free admin port.
            (
                "SDS_ADMIN_ADDRESS",
                format!("127.0.0.1:{}", free_port().expect("a free port")),
            ),
            ("SDS_POLL_INTERVAL", seconds(options.poll_interval)),
            ("SDS_RESYNC_PERIOD", seconds(options.resync_period)),
            ("SDS_FRESHNESS_WINDOW", seconds(options.freshness_window)),
            (
                "SDS_MIN_RESET_INTERVAL",
                format!("{}s", options.min_reset_interval.as_secs()),
            ),
            ("SDS_CONCURRENCY", options.concurrency.to_string()),
            ("POD_NAME", format!("process-{namespace}")),
            ("RUST_LOG", "info,sds_operator=debug,graph=debug".to_owned()),
        ];
        for &(key, value) in overrides {
            environment.retain(|(existing, _)| *existing != key);
            environment.push((key, value.to_owned()));
        }
        let admin_address = environment
            .iter()
            .find(|(key, _)| *key == "SDS_ADMIN_ADDRESS")
            .map(|(_, value)| value.clone())
            .unwrap_or_default();
        let log = control_plane
            .scratch_dir()
            .join(format!("{namespace}-operator.log"));
        let mut process = Self {
            spec: ProcessSpec {
                env: environment
                    .into_iter()
                    .map(|(key, value)| (key.to_owned(), value))
                    .collect(),
                // Configured only through these variables, as in a Pod.
                clear_env: true,
                ..launched(
                    launcher,
                    pinned_binary(binary.as_ref(), control_plane.scratch_dir()),
                    log,
                )
            },
            child: None,
            starts: 0,
            admin_address,
        };
        process.spawn();
        process
    }

    fn spawn(&mut self) {
        self.starts += 1;
        let marker = format!("----- sds-operator start #{} -----\n", self.starts);
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.spec.log)
            .and_then(|mut log| std::io::Write::write_all(&mut log, marker.as_bytes()));
        self.child = Some(ManagedProcess::spawn(self.spec.clone()).expect("start sds-operator"));
    }

    /// SIGKILL, then reap: when this returns the process is gone and can make no further call.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill();
        }
    }

    /// SIGTERM, as Kubernetes stops a Pod, then waits up to `grace` for the process to exit;
    /// returns whether it exited by itself (it is killed after `grace`).
    pub async fn terminate(&mut self, grace: std::time::Duration) -> bool {
        match self.child.take() {
            Some(mut child) => child.terminate(grace).await,
            None => true,
        }
    }

    /// Starts the binary again (killing the running one first, if any).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// How many times the binary was started.
    pub fn starts(&self) -> u32 {
        self.starts
    }

    /// `http://<admin address><path>`, e.g. `/readyz`.
    pub fn admin_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.admin_address)
    }

    /// Reconciles the running process has finished since it started, from its `/metrics`.
    pub async fn reconciles(&self, http: &reqwest::Client) -> u64 {
        self.metric(http, "sds_operator_reconciles_total").await as u64
    }

    /// Seconds the running process's finished reconciles took in all, from its `/metrics`.
    pub async fn reconcile_seconds(&self, http: &reqwest::Client) -> f64 {
        self.metric(http, "sds_operator_reconcile_duration_seconds_sum")
            .await
    }

    /// Whether the running process says it leads (its `sds_operator_leader` gauge); `false`
    /// when it does not answer.
    pub async fn is_leading(&self, http: &reqwest::Client) -> bool {
        let url = self.admin_url("/metrics");
        match http
            .get(&url)
            .timeout(std::time::Duration::from_secs(2))
            .send()
            .await
        {
            Ok(response) => response
                .text()
                .await
                .is_ok_and(|text| sum_of(&text, "sds_operator_leader") == 1.0),
            Err(_) => false,
        }
    }

    /// The sum of the series of metric `name` the running process reports.
    async fn metric(&self, http: &reqwest::Client, name: &str) -> f64 {
        let url = self.admin_url("/metrics");
        let text = http
            .get(&url)
            .timeout(std::time::Duration::from_secs(10))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .unwrap_or_else(|e| panic!("operator metrics at {url}: {e}"))
            .text()
            .await
            .expect("operator metrics body");
        sum_of(&text, name)
    }

    /// The operator's whole log, all starts included.
    pub fn log(&self) -> String {
        self.child
            .as_ref()
            .map_or_else(String::new, |child| child.log_tail(usize::MAX))
    }

    /// The last lines of the operator's log, all starts included.
    pub fn log_tail(&self) -> String {
        self.child
            .as_ref()
            .map_or_else(String::new, |child| child.log_tail(LOG_TAIL_LINES))
    }
}

/// The sum of the series of metric `name` in a Prometheus text exposition.
fn sum_of(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with([' ', '{']))
        })
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

/// `built`, the binary cargo built for this test run, linked (or copied) once into `dir`: the
/// workspace is shared, and a build running meanwhile must not swap the binary between a kill and
/// a restart.
fn pinned_binary(built: &Path, dir: &Path) -> PathBuf {
    static PINNED: OnceLock<PathBuf> = OnceLock::new();
    PINNED
        .get_or_init(|| {
            let pinned = dir.join(format!("sds-operator-{}", std::process::id()));
            if std::fs::hard_link(built, &pinned).is_err() {
                std::fs::copy(built, &pinned).unwrap_or_else(|e| {
                    panic!("copy {} to {}: {e}", built.display(), pinned.display())
                });
            }
            pinned
        })
        .clone()
}

impl Drop for OperatorProcess {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!(
                "----- sds-operator log ({}) -----\n{}",
                self.spec.log.display(),
                self.log_tail()
            );
        }
    }
}

/// The spec that starts `binary`, through `launcher` when there is one.
fn launched(launcher: &[String], binary: PathBuf, log: PathBuf) -> ProcessSpec {
    match launcher.split_first() {
        None => ProcessSpec::new("sds-operator", binary, log),
        Some((program, args)) => ProcessSpec {
            args: args
                .iter()
                .cloned()
                .chain([binary.display().to_string()])
                .collect(),
            ..ProcessSpec::new("sds-operator", program, log)
        },
    }
}
