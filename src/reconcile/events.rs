//! Events: what a reconcile did or why it failed, published best effort as Kubernetes events.

use kube::runtime::events::{Event, EventType, Recorder};

use super::Context;
use super::error::Error;
use crate::admin::OperatorState;
use crate::crd::{ConditionType, FlowKind, GraphResource, Reason};

/// Something worth an event.
#[derive(Clone, Debug, PartialEq)]
pub struct Note {
    pub reason: Reason,
    pub message: String,
    pub warning: bool,
}

impl Note {
    pub fn normal(reason: Reason, message: String) -> Self {
        Self {
            reason,
            message,
            warning: false,
        }
    }

    pub fn warning(reason: Reason, message: String) -> Self {
        Self {
            reason,
            message,
            warning: true,
        }
    }

    /// A warning for a failure, once: not again while the Synced condition already shows it.
    pub fn failure<K: FlowKind>(flow: &K, error: &Error, message: String) -> Option<Self> {
        let shown = flow
            .condition(ConditionType::Synced)
            .is_some_and(|synced| synced.reason == error.reason().as_str());
        (!shown).then(|| Self::warning(error.reason(), message))
    }
}

/// The API server refuses an event whose note is longer than this many bytes.
const EVENT_NOTE_LIMIT: usize = 1024;

/// `message` cut to fit an event's note, on a character boundary, marked as cut.
fn truncate_note(mut message: String) -> String {
    const MARK: &str = " …";
    if message.len() <= EVENT_NOTE_LIMIT {
        return message;
    }
    let mut end = EVENT_NOTE_LIMIT - MARK.len();
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    message.truncate(end);
    message.push_str(MARK);
    message
}

/// Events are best effort: a failure to record one is logged, never retried.
pub async fn publish<K: FlowKind>(
    context: &Context<K>,
    flow: &K,
    notes: impl IntoIterator<Item = Note>,
) {
    record(&context.recorder, &context.state, flow, notes).await;
}

/// Records `notes` as events of `resource`, and counts them.
pub async fn record<R: GraphResource>(
    recorder: &Recorder,
    state: &OperatorState,
    resource: &R,
    notes: impl IntoIterator<Item = Note>,
) {
    let reference = resource.object_ref(&());
    for note in notes {
        state.metrics.event(note.reason, note.warning);
        let event = Event {
            type_: if note.warning {
                EventType::Warning
            } else {
                EventType::Normal
            },
            reason: note.reason.as_str().to_owned(),
            note: Some(truncate_note(note.message)),
            action: "Reconcile".into(),
            secondary: None,
        };
        if let Err(error) = recorder.publish(&event, &reference).await {
            tracing::warn!(%error, "could not record an event");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_event_notes_are_cut_to_the_api_limit_on_a_character_boundary() {
        assert_eq!(truncate_note("short".into()), "short");
        let exact = "a".repeat(EVENT_NOTE_LIMIT);
        assert_eq!(truncate_note(exact.clone()), exact);
        let long = "é".repeat(EVENT_NOTE_LIMIT);
        let cut = truncate_note(long);
        assert!(cut.len() <= EVENT_NOTE_LIMIT, "{}", cut.len());
        assert!(cut.ends_with(" …") && cut.starts_with("éé"), "{cut}");
    }
}
