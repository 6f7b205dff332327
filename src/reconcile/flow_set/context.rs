//! What the flow set reconciles share: clients, configuration, the grants, and the caches of the
//! flow resources, whose flow sets are deleted only once none of them names it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kube::Client;
use kube::runtime::reflector::{ObjectRef, Store};

use crate::admin::OperatorState;
use crate::config::Config;
use crate::crd::{
    AdministrativeUnitProvisioningFlow, ClassGroupProvisioningFlow, OutboundProvisioningFlowSet,
    SecurityGroupProvisioningFlow, UserProvisioningFlow,
};
use crate::reconcile::FlowSets;
use crate::reconcile::context::recorder;
use crate::reconcile::credentials::Credentials;
use crate::reconcile::events::Recorder;
use crate::reconcile::grants::Grants;

/// The cached flow resources of every kind.
#[derive(Clone, Debug)]
pub struct FlowStores {
    pub security_groups: Store<SecurityGroupProvisioningFlow>,
    pub administrative_units: Store<AdministrativeUnitProvisioningFlow>,
    pub class_groups: Store<ClassGroupProvisioningFlow>,
    pub users: Store<UserProvisioningFlow>,
}

impl FlowStores {
    /// The flow resources that name `set`, as `kind/name`.
    pub fn naming(&self, set: &OutboundProvisioningFlowSet) -> Vec<String> {
        let mut named = FlowSets::naming(set, &self.security_groups.state());
        named.extend(FlowSets::naming(set, &self.administrative_units.state()));
        named.extend(FlowSets::naming(set, &self.class_groups.state()));
        named.extend(FlowSets::naming(set, &self.users.state()));
        named
    }
}

/// What the reconciles of the flow set resources share.
pub struct FlowSetContext {
    pub client: Client,
    pub config: Config,
    pub recorder: Recorder,
    pub state: Arc<OperatorState>,
    pub flows: FlowStores,
    pub(in crate::reconcile) credentials: Arc<Credentials>,
    pub(in crate::reconcile) grants: Arc<Grants>,
    failures: Mutex<HashMap<ObjectRef<OutboundProvisioningFlowSet>, u32>>,
}

impl FlowSetContext {
    pub fn new(
        client: Client,
        config: Config,
        grants: Arc<Grants>,
        credentials: Arc<Credentials>,
        state: Arc<OperatorState>,
        flows: FlowStores,
    ) -> Self {
        Self {
            recorder: recorder(&client, &config),
            credentials,
            client,
            config,
            state,
            flows,
            grants,
            failures: Mutex::default(),
        }
    }

    /// Counts one more failed reconcile of `set` in a row, and returns the count.
    pub fn count_failure(&self, set: &OutboundProvisioningFlowSet) -> u32 {
        let mut failures = self.lock();
        let count = failures.entry(ObjectRef::from_obj(set)).or_default();
        *count = count.saturating_add(1);
        *count
    }

    pub(super) fn succeeded(&self, set: &OutboundProvisioningFlowSet) {
        self.lock().remove(&ObjectRef::from_obj(set));
    }

    /// Drops what is kept for a resource that is gone, its credential included.
    pub(super) fn forget(&self, set: &OutboundProvisioningFlowSet) {
        self.succeeded(set);
        self.credentials.release(set);
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<ObjectRef<OutboundProvisioningFlowSet>, u32>> {
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for FlowSetContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowSetContext").finish_non_exhaustive()
    }
}
