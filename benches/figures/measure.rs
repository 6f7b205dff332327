//! What the benchmark reads, each from the place that knows it first-hand: the operator's memory
//! from `/proc`, its reconcile count from its own `/metrics`, API-server writes from
//! kube-apiserver's `apiserver_request_total`, and Graph calls from the emulator's journal.

use std::collections::BTreeMap;
use std::time::Duration;

use graph_emulator::{AdminClient, FaultTarget, JournalEntry};
use jiff::Timestamp;
use sds_test_support::ControlPlane;

/// The resident set of a process, from `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    /// `VmRSS`: resident now.
    pub rss_kib: u64,
    /// `VmHWM`: the most that was ever resident (high-water mark) since the process started.
    pub peak_kib: u64,
    /// `RssAnon`: the resident heap, stacks and other anonymous memory.
    pub anon_kib: u64,
    /// `RssFile`: the resident pages of the executable and other mapped files.
    pub file_kib: u64,
}

impl Memory {
    pub fn of(pid: u32) -> Memory {
        let path = format!("/proc/{pid}/status");
        let status = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or_else(|| panic!("{name} in {path}"))
        };
        Memory {
            rss_kib: field("VmRSS:"),
            peak_kib: field("VmHWM:"),
            anon_kib: field("RssAnon:"),
            file_kib: field("RssFile:"),
        }
    }
}

impl std::fmt::Display for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "VmRSS {} ({} anonymous, {} of mapped files), peak {}",
            mib(self.rss_kib),
            mib(self.anon_kib),
            mib(self.file_kib),
            mib(self.peak_kib)
        )
    }
}

/// KiB as MiB with one decimal.
pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The id of the process running this benchmark's pinned `sds-operator-<our pid>` binary
/// (sds_test_harness::OperatorProcess links it under that name; a shell wrapper is its parent).
pub fn operator_pid() -> Option<u32> {
    operator_pids().into_iter().next()
}

/// The ids of every process running that binary (the leader and a standby).
pub fn operator_pids() -> Vec<u32> {
    pids_running(&format!("sds-operator-{}", std::process::id()))
}

/// The ids of the processes whose executable is named `binary`.
pub fn pids_running(binary: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/exe"))
                .ok()
                .is_some_and(|exe| exe.file_name() == Some(binary.as_ref()))
        })
        .collect()
}

/// CPU time (user and system) the processes of the operator, kube-apiserver, etcd and the
/// benchmark itself have used so far, in seconds, from `/proc/<pid>/stat`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuTimes {
    pub operator: f64,
    pub apiserver: f64,
    pub etcd: f64,
    pub bench: f64,
}

impl CpuTimes {
    pub fn now() -> CpuTimes {
        let of = |pids: Vec<u32>| pids.into_iter().map(cpu_seconds).sum::<f64>();
        CpuTimes {
            operator: of(operator_pids()),
            apiserver: of(pids_running("kube-apiserver")),
            etcd: of(pids_running("etcd")),
            bench: cpu_seconds(std::process::id()),
        }
    }

    pub fn since(self, earlier: CpuTimes) -> CpuTimes {
        CpuTimes {
            operator: self.operator - earlier.operator,
            apiserver: self.apiserver - earlier.apiserver,
            etcd: self.etcd - earlier.etcd,
            bench: self.bench - earlier.bench,
        }
    }
}

/// utime + stime of process `pid` in seconds (0 when it is gone).
fn cpu_seconds(pid: u32) -> f64 {
    // The kernel's USER_HZ, 100 on every Linux this runs on.
    const TICKS_PER_SECOND: f64 = 100.0;
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks = |index: usize| fields.get(index).and_then(|v| v.parse::<f64>().ok());
    (ticks(11).unwrap_or(0.0) + ticks(12).unwrap_or(0.0)) / TICKS_PER_SECOND
}

/// Writes kube-apiserver has answered for the kinds the operator writes, counted by verb, target
/// (`flow` for a flow resource of any kind, `flow/status` for its status subresource, `event`)
/// and answer code. In the benchmark's own control plane nothing else writes these kinds, and
/// the benchmark itself writes only outside the windows it measures, or says how many it made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiWrites(BTreeMap<(String, String, String), u64>);

impl ApiWrites {
    pub async fn now(control_plane: &ControlPlane) -> ApiWrites {
        let counts = control_plane
            .request_counts()
            .await
            .expect("kube-apiserver's request counts");
        let mut writes = ApiWrites::default();
        for count in counts.iter().filter(|count| count.is_write()) {
            let target = if count.resource == "events" {
                "event".to_owned()
            } else if crate::kinds::ALL
                .iter()
                .any(|kind| kind.plural() == count.resource)
            {
                match count.subresource.as_str() {
                    "" => "flow".to_owned(),
                    subresource => format!("flow/{subresource}"),
                }
            } else {
                continue;
            };
            *writes
                .0
                .entry((count.verb.clone(), target, count.code.clone()))
                .or_default() += count.count;
        }
        writes
    }

    pub fn since(mut self, earlier: &ApiWrites) -> ApiWrites {
        for (key, count) in &earlier.0 {
            if let Some(now) = self.0.get_mut(key) {
                *now -= count;
            }
        }
        self.0.retain(|_, count| *count > 0);
        self
    }

    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// Writes to the flow resources (metadata, spec and status).
    pub fn resources(&self) -> u64 {
        self.total() - self.events()
    }

    pub fn events(&self) -> u64 {
        self.0
            .iter()
            .filter(|((_, target, _), _)| target == "event")
            .map(|(_, count)| count)
            .sum()
    }

    /// Each verb, target and answer code with its count divided by `per`, most frequent first:
    /// `PATCH flow/status 200: 2.01, POST event 201: 1.00`.
    pub fn breakdown(&self, per: u64) -> String {
        let mut rows: Vec<_> = self.0.iter().collect();
        rows.sort_by_key(|row| std::cmp::Reverse(*row.1));
        rows.iter()
            .map(|((verb, target, code), count)| {
                format!(
                    "{verb} {target} {code}: {:.2}",
                    **count as f64 / per.max(1) as f64
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Every request kube-apiserver has answered, by verb and resource (reads, watches and writes;
/// from any client).
#[derive(Debug, Clone, Default)]
pub struct ApiRequests(BTreeMap<(String, String), u64>);

impl ApiRequests {
    pub async fn now(control_plane: &ControlPlane) -> ApiRequests {
        let counts = control_plane
            .request_counts()
            .await
            .expect("kube-apiserver's request counts");
        let mut requests = ApiRequests::default();
        for count in counts {
            let resource = match count.subresource.as_str() {
                "" => count.resource,
                subresource => format!("{}/{subresource}", count.resource),
            };
            *requests.0.entry((count.verb, resource)).or_default() += count.count;
        }
        requests
    }

    /// The requests since `earlier`, most frequent first: `APPLY flows/status 2000, ...`.
    pub fn since(&self, earlier: &ApiRequests) -> String {
        let mut rows: Vec<_> = self
            .0
            .iter()
            .map(|(key, count)| (key, count - earlier.0.get(key).copied().unwrap_or(0)))
            .filter(|(_, count)| *count > 0)
            .collect();
        rows.sort_by_key(|row| std::cmp::Reverse(row.1));
        rows.iter()
            .map(|((verb, resource), count)| format!("{verb} {resource} {count}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Reads the emulator's journal in order, each entry once.
#[derive(Debug)]
pub struct JournalCursor {
    admin: AdminClient,
    position: u64,
}

impl JournalCursor {
    pub fn new(admin: AdminClient) -> Self {
        Self { admin, position: 0 }
    }

    /// Every call journaled since the previous read.
    pub async fn read(&mut self) -> Calls {
        let entries = self.admin.journal(self.position).await.expect("journal");
        if let Some(last) = entries.last() {
            self.position = last.sequence;
        }
        Calls(entries)
    }

    /// Skips what the journal holds now.
    pub async fn skip(&mut self) {
        self.read().await;
    }
}

/// Calls taken from the journal.
#[derive(Debug, Default)]
pub struct Calls(pub Vec<JournalEntry>);

impl Calls {
    pub fn graph(&self) -> impl Iterator<Item = &JournalEntry> {
        self.0
            .iter()
            .filter(|entry| entry.target == FaultTarget::Graph)
    }

    pub fn graph_count(&self) -> usize {
        self.graph().count()
    }

    pub fn graph_writes(&self) -> usize {
        self.graph().filter(|entry| entry.method != "GET").count()
    }

    pub fn token_requests(&self) -> usize {
        self.0
            .iter()
            .filter(|entry| entry.target == FaultTarget::Token)
            .count()
    }

    /// Distinct flow sets that Graph calls named.
    pub fn flow_sets(&self) -> usize {
        self.graph()
            .filter_map(|entry| {
                let rest = entry.path.split("outboundProvisioningFlowSets/").nth(1)?;
                rest.split('/').next()
            })
            .collect::<std::collections::HashSet<_>>()
            .len()
    }

    /// Arrival times of the Graph calls, in journal order.
    pub fn graph_arrivals(&self) -> Vec<Timestamp> {
        self.graph()
            .map(|entry| {
                entry
                    .time
                    .parse()
                    .unwrap_or_else(|e| panic!("journal time {:?}: {e}", entry.time))
            })
            .collect()
    }
}

/// Lists every flow set through Graph, page by page, as a client would: the number of pages, the
/// ids listed and how long it took.
pub async fn list_flow_sets(
    emulator: &graph_emulator::Emulator,
) -> (usize, std::collections::HashSet<String>, Duration) {
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(emulator.token_url(sds_test_harness::TENANT))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", sds_test_harness::CLIENT_ID),
            ("client_secret", sds_test_harness::CLIENT_SECRET),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("a token from the emulator")
        .json()
        .await
        .expect("a token response");
    let token = token["access_token"].as_str().expect("access_token");
    let started = std::time::Instant::now();
    let mut next = Some(format!(
        "{}/external/industryData/outboundProvisioningFlowSets",
        emulator.graph_url()
    ));
    let (mut pages, mut ids) = (0, std::collections::HashSet::new());
    while let Some(url) = next {
        let page: serde_json::Value = http
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .unwrap_or_else(|e| panic!("GET {url}: {e}"))
            .json()
            .await
            .expect("a page of flow sets");
        pages += 1;
        for set in page["value"].as_array().expect("value") {
            let id = set["id"].as_str().expect("id").to_owned();
            assert!(ids.insert(id.clone()), "flow set {id} listed twice");
        }
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
    }
    (pages, ids, started.elapsed())
}
