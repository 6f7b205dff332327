//! How big the benchmark runs, from the environment, so that a developer can scale it down.

use std::fmt;
use std::time::Duration;

/// The counts and periods one run uses; printed with the figures.
#[derive(Debug, Clone)]
pub struct Scale {
    /// Resources at steady state, for the memory, resync and restart figures (`SDS_BENCH_CRS`).
    pub resources: usize,
    /// Resources applied at once under latency (`SDS_BENCH_BURST_CRS`), the first of `resources`.
    pub burst: usize,
    /// The operator's `SDS_RESYNC_PERIOD` (`SDS_BENCH_RESYNC_SECONDS`); the steady-state window
    /// is one such period and the restart window most of one.
    pub resync_period: Duration,
    /// The operator's `SDS_POLL_INTERVAL` (`SDS_BENCH_POLL_SECONDS`).
    pub poll_interval: Duration,
    /// The operator's `SDS_CONCURRENCY` (`SDS_BENCH_CONCURRENCY`; default the operator's own, 16).
    pub concurrency: u16,
}

impl Scale {
    pub fn from_environment() -> Self {
        let resources = number::<usize>("SDS_BENCH_CRS", 10_000).max(1);
        Self {
            resources,
            burst: number("SDS_BENCH_BURST_CRS", 1_000).clamp(1, resources),
            resync_period: Duration::from_secs(
                number::<u64>("SDS_BENCH_RESYNC_SECONDS", 120).max(1),
            ),
            poll_interval: Duration::from_secs(number::<u64>("SDS_BENCH_POLL_SECONDS", 5).max(1)),
            concurrency: number::<u16>("SDS_BENCH_CONCURRENCY", 16).max(1),
        }
    }

    /// A generous limit for `count` resources to become Ready: the benchmark measures, so it
    /// waits as long as a slow machine may need, but not forever.
    pub fn ready_deadline(&self, count: usize) -> Duration {
        Duration::from_secs(120) + Duration::from_millis(100) * count as u32
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "counts used: SDS_BENCH_CRS={} SDS_BENCH_BURST_CRS={} SDS_BENCH_RESYNC_SECONDS={} \
             SDS_BENCH_POLL_SECONDS={} SDS_BENCH_CONCURRENCY={}",
            self.resources,
            self.burst,
            self.resync_period.as_secs(),
            self.poll_interval.as_secs(),
            self.concurrency,
        )
    }
}

/// A whole number from the environment, `default` when unset; anything else stops the run.
fn number<T: std::str::FromStr + Copy>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text:?} is not a whole number")),
        Err(_) => default,
    }
}
