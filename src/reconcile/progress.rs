//! Progress of one reconcile: the working status, persisted where crash safety needs it (create
//! intent, pending reset) and once at the end, and the notes that become events, kept also when
//! a later step fails.

use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt as _};
use serde_json::json;

use super::error::{Error, KubeAction};
use super::events::Note;
use crate::crd::{FIELD_MANAGER, FlowKind, FlowStatus, GraphResource};
use serde::Serialize;

/// The working status and the notes of one reconcile.
pub struct Progress<K: FlowKind> {
    /// Mirrored fields, intents and reset records as the reconcile has them so far.
    pub status: FlowStatus<K::Mirror>,
    pub notes: Vec<Note>,
    writer: StatusWriter<K, FlowStatus<K::Mirror>>,
}

impl<K: FlowKind> Progress<K> {
    pub fn new(api: Api<K>, flow: &K) -> Self {
        Self {
            status: flow.status_or_default(),
            notes: Vec::new(),
            writer: StatusWriter::new(api, flow, flow.status_or_default()),
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
pub struct StatusWriter<R: GraphResource, S> {
    api: Api<R>,
    name: String,
    namespace: String,
    written: S,
}

impl<R: GraphResource, S> std::fmt::Debug for StatusWriter<R, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusWriter")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<R: GraphResource, S: Serialize + Clone + PartialEq> StatusWriter<R, S> {
    /// A writer for `resource`, whose status the API server holds as `written`.
    pub fn new(api: Api<R>, resource: &R, written: S) -> Self {
        Self {
            api,
            name: resource.name_any(),
            namespace: resource.namespace().unwrap_or_default(),
            written,
        }
    }

    /// Applies `status` unless it is what the API server already holds.
    pub async fn write(&mut self, status: &S) -> Result<(), Error> {
        if *status == self.written {
            return Ok(());
        }
        let patch = json!({
            "apiVersion": R::api_version(&()),
            "kind": R::kind(&()),
            "status": status,
        });
        let params = PatchParams::apply(FIELD_MANAGER).force();
        self.api
            .patch_status(&self.name, &params, &Patch::Apply(&patch))
            .await
            .map_err(|source| {
                let action = KubeAction::WriteStatus {
                    resources: KubeAction::resources_of::<R>(),
                    namespace: self.namespace.clone(),
                };
                Error::kube(action, source)
            })?;
        self.written = status.clone();
        Ok(())
    }
}
