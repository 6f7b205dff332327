//! Prometheus metrics, all prefixed `sds_operator_`. Labels take only bounded values: reasons
//! (see `crd::Reason`) and outcomes, never names or ids.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::crd::Reason;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReconcileLabels {
    /// `success` or `error`.
    outcome: &'static str,
    /// The error's reason; empty on success.
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabels {
    reason: &'static str,
    /// `Normal` or `Warning`.
    kind: &'static str,
}

/// The operator's metrics and their registry.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    reconciles: Family<ReconcileLabels, Counter>,
    reconcile_seconds: Histogram,
    events: Family<EventLabels, Counter>,
    leader: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("sds_operator");
        let reconciles = Family::<ReconcileLabels, Counter>::default();
        registry.register(
            "reconciles",
            "Reconciles, by outcome and error reason",
            reconciles.clone(),
        );
        let reconcile_seconds = Histogram::new(exponential_buckets(0.005, 2.0, 14));
        registry.register(
            "reconcile_duration_seconds",
            "How long reconciles take, Graph calls included",
            reconcile_seconds.clone(),
        );
        let events = Family::<EventLabels, Counter>::default();
        registry.register(
            "events",
            "Events recorded on resources, by reason (Created, Updated, DriftCorrected, ResetAccepted, ...)",
            events.clone(),
        );
        let leader = Gauge::default();
        registry.register(
            "leader",
            "1 while this instance holds the Lease and reconciles, 0 while it stands by",
            leader.clone(),
        );
        Self {
            registry,
            reconciles,
            reconcile_seconds,
            events,
            leader,
        }
    }
}

impl Metrics {
    /// Counts one reconcile; `error` is the reason of a failed one.
    pub fn reconciled(&self, error: Option<Reason>, took: Duration) {
        let labels = ReconcileLabels {
            outcome: if error.is_some() { "error" } else { "success" },
            reason: error.map_or("", Reason::as_str),
        };
        self.reconciles.get_or_create(&labels).inc();
        self.reconcile_seconds.observe(took.as_secs_f64());
    }

    /// Counts one recorded event.
    pub fn event(&self, reason: Reason, warning: bool) {
        let labels = EventLabels {
            reason: reason.as_str(),
            kind: if warning { "Warning" } else { "Normal" },
        };
        self.events.get_or_create(&labels).inc();
    }

    /// Whether this instance leads (reconciles) now.
    pub fn set_leading(&self, leading: bool) {
        self.leader.set(i64::from(leading));
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconciles_and_events_are_counted_by_reason() {
        let metrics = Metrics::default();
        metrics.reconciled(None, Duration::from_millis(20));
        metrics.reconciled(Some(Reason::Throttled), Duration::from_millis(5));
        metrics.event(Reason::DriftCorrected, true);
        metrics.set_leading(true);
        let text = metrics.encode();
        assert!(
            text.contains(r#"sds_operator_reconciles_total{outcome="success",reason=""} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"sds_operator_reconciles_total{outcome="error",reason="Throttled"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"sds_operator_events_total{reason="DriftCorrected",kind="Warning"} 1"#),
            "{text}"
        );
        assert!(text.contains("sds_operator_leader 1"), "{text}");
        assert!(
            text.contains("sds_operator_reconcile_duration_seconds_count 2"),
            "{text}"
        );
    }
}
