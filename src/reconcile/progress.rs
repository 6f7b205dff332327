//! Progress of one reconcile: the working status, persisted where crash safety needs it (create
//! intent, pending reset) and once at the end, and the notes that become events, kept also when
//! a later step fails.

use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt as _};
use serde_json::json;

use super::error::{Error, KubeAction};
use super::events::Note;
use crate::crd::{
    FIELD_MANAGER, SecurityGroupProvisioningFlow, SecurityGroupProvisioningFlowStatus,
};

/// The working status and the notes of one reconcile.
#[derive(Debug)]
pub struct Progress {
    /// Mirrored fields, intents and reset records as the reconcile has them so far.
    pub status: SecurityGroupProvisioningFlowStatus,
    pub notes: Vec<Note>,
    writer: StatusWriter,
}

impl Progress {
    pub fn new(
        api: Api<SecurityGroupProvisioningFlow>,
        flow: &SecurityGroupProvisioningFlow,
    ) -> Self {
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
        finished: &SecurityGroupProvisioningFlowStatus,
    ) -> (Result<(), Error>, Vec<Note>) {
        (self.writer.write(finished).await, self.notes)
    }
}

/// Writes status with server-side apply, remembering what it wrote so that an unchanged status is
/// never sent twice.
struct StatusWriter {
    api: Api<SecurityGroupProvisioningFlow>,
    name: String,
    namespace: String,
    written: SecurityGroupProvisioningFlowStatus,
}

impl std::fmt::Debug for StatusWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusWriter")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl StatusWriter {
    fn new(api: Api<SecurityGroupProvisioningFlow>, flow: &SecurityGroupProvisioningFlow) -> Self {
        Self {
            api,
            name: flow.name_any(),
            namespace: flow.namespace().unwrap_or_default(),
            written: flow.status.clone().unwrap_or_default(),
        }
    }

    /// Applies `status` unless it is what the API server already holds.
    async fn write(&mut self, status: &SecurityGroupProvisioningFlowStatus) -> Result<(), Error> {
        if *status == self.written {
            return Ok(());
        }
        let patch = json!({
            "apiVersion": "industrydata.sds-operator.io/v1alpha1",
            "kind": "SecurityGroupProvisioningFlow",
            "status": status,
        });
        let params = PatchParams::apply(FIELD_MANAGER).force();
        self.api
            .patch_status(&self.name, &params, &Patch::Apply(&patch))
            .await
            .map_err(|source| {
                let namespace = self.namespace.clone();
                Error::kube(KubeAction::WriteStatus { namespace }, source)
            })?;
        self.written = status.clone();
        Ok(())
    }
}
