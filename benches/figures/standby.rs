//! A second replica, standing by while the leader works: it keeps warm caches of every resource
//! and must neither call Graph nor write to the API server. It runs as ServiceAccount `standby`
//! and signs in as an application of its own, so the audit log and the emulator's journal tell
//! its requests from the leader's.

use std::time::Duration;

use sds_test_harness::{OperatorProcess, OperatorUnderTest, Options};
use sds_test_support::eventually;

use crate::measure::{self, JournalCursor, Memory};

const NAME: &str = "standby";
const CLIENT: &str = "f1e2d3c4-b5a6-4789-8abc-def012345678";

pub struct Standby {
    process: OperatorProcess,
    pid: u32,
    journal: JournalCursor,
}

impl Standby {
    /// Starts the standby beside the leader (process `leader`) and waits until it is Ready (its
    /// caches listed every resource).
    pub async fn start(operator: &OperatorUnderTest, options: &Options, leader: u32) -> Standby {
        let mut journal = JournalCursor::new(operator.emulator.admin().clone());
        journal.skip().await;
        let process = operator
            .start_replica(env!("CARGO_BIN_EXE_sds-operator"), options, NAME, CLIENT)
            .await;
        let http = reqwest::Client::new();
        let ready = process.admin_url("/readyz");
        eventually("the standby Ready", Duration::from_secs(120), || async {
            match http.get(&ready).send().await {
                Ok(answer) if answer.status().is_success() => Ok(()),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
        let pid = measure::operator_pids()
            .into_iter()
            .find(|pid| *pid != leader)
            .expect("the standby's process");
        Standby {
            process,
            pid,
            journal,
        }
    }

    /// Prints what the standby did since it started, and its memory.
    pub async fn report(mut self, operator: &OperatorUnderTest, resources: usize) {
        let memory = Memory::of(self.pid);
        let calls = self.journal.read().await;
        let by_standby = calls
            .0
            .iter()
            .filter(|entry| {
                entry.caller.as_deref() == Some(CLIENT)
                    || entry.body.get("client_id").and_then(|id| id.as_str()) == Some(CLIENT)
            })
            .count();
        let writes = operator.writes_by_replica(NAME).len();
        let leading = self.process.is_leading(&reqwest::Client::new()).await;
        println!(
            "figure: standby replica beside the leader, {resources} CRs cached, through the single \
             CRs and the 429 storm: {by_standby} Graph and token calls, {writes} API-server \
             writes (target 0 / 0); {memory}; leading: {leading}",
        );
    }
}
