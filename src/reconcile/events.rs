//! Events: what a reconcile did or why it failed, published best effort as Kubernetes events.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::PostParams;
use kube::{Api, Client};

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
pub fn publish<K: FlowKind>(
    context: &Context<K>,
    flow: &K,
    notes: impl IntoIterator<Item = Note>,
) -> Delivery {
    record(&context.recorder, &context.state, flow, notes)
}

/// Records `notes` as events of `resource`, and counts them. The events are created in the
/// background, in order, so that the reconcile does not wait for the API server to take them (in
/// a burst of creates, the event was a quarter of each create's API-server requests); one that
/// ends the resource's life waits on the returned [`Delivery`], so that its last events land
/// before the resource is gone.
pub fn record<R: GraphResource>(
    recorder: &Recorder,
    state: &OperatorState,
    resource: &R,
    notes: impl IntoIterator<Item = Note>,
) -> Delivery {
    let regarding = resource.object_ref(&());
    let events: Vec<Event> = notes
        .into_iter()
        .map(|note| {
            state.metrics.event(note.reason, note.warning);
            recorder.event(&regarding, note, Timestamp::now())
        })
        .collect();
    if events.is_empty() {
        return Delivery(None);
    }
    let recorder = recorder.clone();
    Delivery(Some(tokio::spawn(async move {
        for event in events {
            if let Err(error) = recorder.create(&event).await {
                tracing::warn!(%error, "could not record an event");
            }
        }
    })))
}

/// Events on their way to the API server.
#[derive(Debug)]
#[must_use = "dropping a Delivery lets the events land in the background; wait() waits for them"]
pub struct Delivery(Option<tokio::task::JoinHandle<()>>);

impl Delivery {
    /// Waits until the events are created (or failed to be).
    pub async fn wait(self) {
        if let Some(task) = self.0 {
            let _ = task.await;
        }
    }

    /// Lets the events land in the background.
    pub fn detach(self) {}
}

/// Creates events.k8s.io/v1 events in the namespace of the resource they are about.
///
/// Each event is created on its own, and nothing is kept once it is. kube's own recorder keeps
/// every event of the last six minutes to count repeats into a series: at 10,000 resources that
/// was the largest growth of the operator's memory after a burst of creates, and every event
/// scanned all of them under one lock. The operator repeats nothing that would need a series: a
/// failure is reported once while its condition shows it.
#[derive(Clone)]
pub struct Recorder {
    client: Client,
    controller: String,
    instance: String,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("controller", &self.controller)
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// `instance` names this operator (its Pod); `controller` by default.
    pub fn new(client: Client, controller: &str, instance: Option<&str>) -> Self {
        Self {
            client,
            controller: controller.to_owned(),
            instance: instance.unwrap_or(controller).to_owned(),
        }
    }

    async fn create(&self, event: &Event) -> Result<(), kube::Error> {
        let namespace = event.metadata.namespace.as_deref().unwrap_or("default");
        Api::<Event>::namespaced(self.client.clone(), namespace)
            .create(&PostParams::default(), event)
            .await
            .map(drop)
    }

    fn event(&self, regarding: &ObjectReference, note: Note, now: Timestamp) -> Event {
        let name = regarding.name.as_deref().unwrap_or(&self.controller);
        Event {
            metadata: ObjectMeta {
                // Unique per resource and moment, as kubectl's and client-go's recorders name theirs.
                name: Some(format!("{name}.{:x}", now.as_nanosecond())),
                namespace: regarding.namespace.clone(),
                ..ObjectMeta::default()
            },
            event_time: Some(MicroTime(now)),
            type_: Some(if note.warning { "Warning" } else { "Normal" }.to_owned()),
            reason: Some(note.reason.as_str().to_owned()),
            note: Some(truncate_note(note.message)),
            action: Some("Reconcile".to_owned()),
            regarding: Some(regarding.clone()),
            reporting_controller: Some(self.controller.clone()),
            reporting_instance: Some(self.instance.clone()),
            ..Event::default()
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

    // A client needs a runtime, though this one never connects.
    #[tokio::test]
    async fn an_event_says_who_reported_what_about_which_resource() {
        let regarding = ObjectReference {
            kind: Some("SecurityGroupProvisioningFlow".into()),
            name: Some("groups".into()),
            namespace: Some("sds".into()),
            ..ObjectReference::default()
        };
        let client = Client::try_from(kube::Config::new("http://127.0.0.1:1".parse().unwrap()))
            .expect("a client");
        let recorder = Recorder::new(client, "sds-operator", Some("sds-operator-0"));
        let now: Timestamp = "2026-12-04T10:00:00Z".parse().unwrap();
        let event = recorder.event(
            &regarding,
            Note::warning(Reason::Throttled, "Graph said 429".into()),
            now,
        );
        assert_eq!(
            event.metadata.name.as_deref(),
            Some(format!("groups.{:x}", now.as_nanosecond()).as_str())
        );
        assert_eq!(event.metadata.namespace.as_deref(), Some("sds"));
        assert_eq!(event.type_.as_deref(), Some("Warning"));
        assert_eq!(event.reason.as_deref(), Some("Throttled"));
        assert_eq!(event.note.as_deref(), Some("Graph said 429"));
        assert_eq!(event.regarding, Some(regarding));
        assert_eq!(event.reporting_controller.as_deref(), Some("sds-operator"));
        assert_eq!(event.reporting_instance.as_deref(), Some("sds-operator-0"));
        assert_eq!(event.event_time, Some(MicroTime(now)));
    }
}
