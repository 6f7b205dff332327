//! The resource's status: what Graph reports for the flow and the operator's own records (the
//! create intent, reset progress, conditions).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;

use super::condition::{Condition, deserialize_conditions};
use serde::{Deserialize, Serialize};

use super::ReadinessStatus;

/// Observed state: what Graph reports for the flow and what the operator last did.
// The schema default gives a new resource `status: {observedGeneration: 0}`, so that kstatus (Flux,
// kpt) reads "generation 1, observed 0" and calls it InProgress until the operator's first write.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("default" = { "observedGeneration": 0 }))]
pub struct FlowStatus<M> {
    /// metadata.generation of the spec this status was written for, on every write, errors
    /// included. 0 (the default of a new resource) until the operator first writes status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Id of the flow set that holds the flow: spec.flowSetId, or the id spec.flowSetRef
    /// resolved to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_set_id: Option<String>,

    /// Id of the flow in Graph, recorded as soon as it is created or adopted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_id: Option<String>,

    /// readinessStatus as Graph last reported it. Known values: notReady, ready, failed,
    /// disabled, expired, unknownFutureValue; a value Graph adds later is shown as Graph sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    // A plain string in the schema: Graph may add values to this enum at any time.
    #[schemars(with = "Option<String>")]
    pub readiness_status: Option<ReadinessStatus>,

    /// When Graph created the flow (RFC 3339, as Graph reported it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date_time: Option<String>,

    /// When Graph last changed the flow (RFC 3339, as Graph reported it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date_time: Option<String>,

    /// The kind's own settings as Graph last reported them.
    #[serde(flatten)]
    pub mirrored: M,

    /// Fingerprints of the write-only values last sent to Graph (a user flow's default passwords,
    /// by role group): an HMAC-SHA256 of each value keyed by its Secret's uid, from which the value
    /// cannot be recovered without reading the Secret. Graph never answers these values, so a
    /// value whose fingerprint differs from its Secret's is sent again.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secret_fingerprints: BTreeMap<String, String>,

    /// When the operator last changed this status: a reconcile that found something new to
    /// report (a sync, or a failure), not every read; a resync that finds nothing new writes nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync_time: Option<Time>,

    /// Present while this resource is creating a flow: recorded before the create request is sent
    /// and cleared once flowId is recorded. With adoption CreateOnly, a flow found in the flow set
    /// is adopted only while this is present, since it may be the result of that request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_intent: Option<CreateIntent>,

    /// Progress of reset requests made through the industrydata.sds-operator.io/reset annotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    // Boxed: every cached resource carries its status inline, and most never had a reset.
    #[schemars(with = "Option<ResetStatus>")]
    pub reset: Option<Box<ResetStatus>>,

    /// Ready, Synced, Reconciling and Stalled, as metav1.Condition entries keyed by type.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "deserialize_conditions"
    )]
    // metav1.Condition's schema; kube's x_kube(merge_strategy) would write the list keys, but its
    // derive takes no generic type.
    #[schemars(
        with = "Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>",
        extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"])
    )]
    pub conditions: Vec<Condition>,
}

impl<M> FlowStatus<M> {
    /// Whether the operator has written this status (observedGeneration >= 1). A new resource reads
    /// observedGeneration 0, the schema default, so no other field's presence may stand in for this.
    pub fn is_observed(&self) -> bool {
        self.observed_generation
            .is_some_and(|generation| generation >= 1)
    }
}

/// The record of a create request this resource is about to send, or sent without recording its result.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CreateIntent {
    /// The client-request-id header the create request carries, to find it in logs and Graph traces.
    pub client_request_id: String,

    /// When the intent was recorded, just before the create request.
    pub recorded_time: Time,
}

/// Reset tokens longer than this are refused: a token is an opaque label (an RFC 3339 timestamp
/// is recommended), and status keeps a history of them.
pub const MAX_RESET_TOKEN_LENGTH: usize = 128;
/// How many handled reset tokens status remembers; a token among them never fires again.
pub const RESET_HISTORY_LENGTH: usize = 16;

/// What happened to the reset tokens taken from the reset annotation.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ResetStatus {
    /// The last annotation value handled (sent, refused or recorded without a reset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_token: Option<String>,

    /// The most recently handled tokens, oldest first (at most 16, lastHandledToken included). A
    /// token listed here never causes a reset again, so a GitOps tool that puts an older token
    /// back cannot reprovision the flow a second time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("items" = {"type": "string", "description": "A handled reset token."}))]
    pub handled_tokens: Vec<String>,

    /// An annotation value whose reset is being sent. Found present at startup, it means the
    /// outcome is unknown, and the reset is not sent again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_token: Option<String>,

    /// A new token that has not been sent yet, and why it waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<ResetWaiting>,

    /// Outcome for the last token (see `ResetOutcome`, whose doc is this field's CRD description).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<ResetOutcome>,

    /// Why the last token ended as it did, when there is more to say than its outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,

    /// When the last reset request of this flow was sent; the next one is sent no sooner than
    /// the operator's minimum reset interval after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_time: Option<Time>,

    /// Graph's request-id for the last reset request, for support cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl ResetStatus {
    /// Whether `token` was handled before (it is then never sent again).
    pub fn has_handled(&self, token: &str) -> bool {
        self.last_handled_token.as_deref() == Some(token)
            || self.handled_tokens.iter().any(|handled| handled == token)
    }

    /// Records `token` as handled with `outcome`, keeping the history bounded.
    pub fn record_handled(
        &mut self,
        token: String,
        outcome: ResetOutcome,
        message: Option<String>,
    ) {
        self.handled_tokens.retain(|handled| *handled != token);
        self.handled_tokens.push(token.clone());
        let excess = self
            .handled_tokens
            .len()
            .saturating_sub(RESET_HISTORY_LENGTH);
        self.handled_tokens.drain(..excess);
        self.last_handled_token = Some(token);
        self.pending_token = None;
        self.waiting = None;
        self.outcome = Some(outcome);
        self.message = message;
    }
}

/// A reset token that is due but not sent yet.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ResetWaiting {
    /// The annotation value waiting to be sent.
    pub token: String,

    /// Why it waits, as a bounded word: ResetWaiting (the minimum interval between two resets),
    /// Paused, Throttled, GraphUnavailable or another reason of the failed attempt.
    pub reason: String,

    /// What it waits for, in words.
    pub message: String,

    /// The earliest time it may be sent, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<Time>,
}

/// Outcome for the last token: Pending, Accepted, Rejected (message says why), OutcomeUnknown
/// (the operator stopped between sending and recording; never resent), or Skipped (the token was
/// already there when the operator first saw the resource, or may not be sent: no reset was sent).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetOutcome {
    /// Recorded as pending; the request is about to be sent.
    Pending,
    /// Graph accepted the reset.
    Accepted,
    /// Graph refused the reset; message says why.
    Rejected,
    /// The operator stopped between sending and recording; the reset is not sent again.
    OutcomeUnknown,
    /// No reset was sent: the token predates the operator's first sight of the resource, or
    /// managementPolicy is ObserveOnly; message says which.
    Skipped,
}

#[cfg(test)]
mod tests {
    use crate::crd::SecurityGroupProvisioningFlowStatus;

    #[test]
    fn only_an_observed_generation_of_one_or_more_counts_as_observed() {
        let fresh: SecurityGroupProvisioningFlowStatus =
            serde_json::from_value(serde_json::json!({"observedGeneration": 0})).unwrap();
        assert!(!fresh.is_observed());
        assert!(!SecurityGroupProvisioningFlowStatus::default().is_observed());
        let written = SecurityGroupProvisioningFlowStatus {
            observed_generation: Some(1),
            ..SecurityGroupProvisioningFlowStatus::default()
        };
        assert!(written.is_observed());
    }

    #[test]
    fn empty_status_serializes_to_an_empty_object() {
        let status = SecurityGroupProvisioningFlowStatus::default();
        assert_eq!(
            serde_json::to_value(&status).unwrap(),
            serde_json::json!({})
        );
    }
}
