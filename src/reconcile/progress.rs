//! Progress of one reconcile: the working status, persisted where crash safety needs it (create
//! intent, pending reset) and once at the end, and the notes that become events, kept also when
//! a later step fails.

use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt as _};
use serde_json::json;

use super::error::{Error, KubeAction};
use super::events::Note;
use crate::crd::{FIELD_MANAGER, FlowKind, FlowStatus};

/// The working status and the notes of one reconcile.
pub struct Progress<K: FlowKind> {
    /// Mirrored fields, intents and reset records as the reconcile has them so far.
    pub status: FlowStatus<K::Mirror>,
    pub notes: Vec<Note>,
    writer: StatusWriter<K>,
}

impl<K: FlowKind> Progress<K> {
    pub fn new(api: Api<K>, flow: &K) -> Self {
        Self {
            status: flow.status_or_default(),
            notes: Vec::new(),
            writer: StatusWriter::new(api, flow),
        }
    }

    pub fn note(&mut self, note: Note) {
        self.notes.push(note);
    }

    /// Writes the working status now, before a call whose outcome must survive a crash.
    pub async fn persist(&mut self) -> Result<(), Error> {
        self.writer.write(&self.status).await
    }

    /// Writes `finished`, the status the reconcile ends with, and hands back the notes.
    pub async fn finish(
        mut self,
        finished: &FlowStatus<K::Mirror>,
    ) -> (Result<(), Error>, Vec<Note>) {
        (self.writer.write(finished).await, self.notes)
    }
}

/// Writes status with server-side apply, remembering what it wrote so that an unchanged status is
/// never sent twice.
struct StatusWriter<K: FlowKind> {
    api: Api<K>,
    name: String,
    namespace: String,
    written: FlowStatus<K::Mirror>,
}

impl<K: FlowKind> std::fmt::Debug for StatusWriter<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusWriter")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<K: FlowKind> StatusWriter<K> {
    fn new(api: Api<K>, flow: &K) -> Self {
        Self {
            api,
            name: flow.name_any(),
            namespace: flow.namespace().unwrap_or_default(),
            written: flow.status_or_default(),
        }
    }

    /// Applies `status` unless it is what the API server already holds.
    async fn write(&mut self, status: &FlowStatus<K::Mirror>) -> Result<(), Error> {
        if *status == self.written {
            return Ok(());
        }
        let patch = json!({
            "apiVersion": K::api_version(&()),
            "kind": K::kind(&()),
            "status": status,
        });
        let params = PatchParams::apply(FIELD_MANAGER).force();
        self.api
            .patch_status(&self.name, &params, &Patch::Apply(&patch))
            .await
            .map_err(|source| {
                let action = KubeAction::WriteStatus {
                    resources: KubeAction::resources_of::<K>(),
                    namespace: self.namespace.clone(),
                };
                Error::kube(action, source)
            })?;
        self.written = status.clone();
        Ok(())
    }
}
