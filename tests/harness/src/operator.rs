//! One operator under test: a namespace on the shared control plane, a Graph emulator of its own
//! with one flow set, and the controller running in-process, watching only that namespace. Each
//! test therefore sees only its own Graph calls in the emulator's journal.

use std::process::Output;
use std::sync::OnceLock;
use std::time::Duration;

use graph::{Credential, GraphEndpoints, SecretString};
use graph_emulator::{ClientRegistration, Emulator, EmulatorConfig, JournalEntry, SeedFlowSet};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ListParams, Patch, PatchParams};
use kube::runtime::wait::{await_condition, conditions};
use kube::{Api, ResourceExt};
use sds_operator::config::Config;
use sds_operator::crd::{
    CREDENTIAL_LABEL, CredentialGrant, CredentialGrantSpec, GraphResource,
    SecurityGroupProvisioningFlow,
};
use sds_test_support::{DEFAULT_DEADLINE, TestContext, shared_control_plane};
use serde_json::json;
use tokio::sync::oneshot;

use crate::{CLIENT_ID, CLIENT_SECRET, Options, ResourceBuilder, TENANT, options_json};

const CRD_NAMES: [&str; 6] = [
    "outboundprovisioningflowsets.industrydata.sds-operator.io",
    "securitygroupprovisioningflows.industrydata.sds-operator.io",
    "administrativeunitprovisioningflows.industrydata.sds-operator.io",
    "classgroupprovisioningflows.industrydata.sds-operator.io",
    "userprovisioningflows.industrydata.sds-operator.io",
    "credentialgrants.industrydata.sds-operator.io",
];

/// The operator and what it works against, for one test. Dropping it stops the in-process
/// controller.
#[allow(missing_debug_implementations)] // holds a TestContext, whose kube::Client has no Debug
pub struct OperatorUnderTest {
    /// The test's namespace and admin client on the shared control plane.
    pub test: TestContext,
    /// This test's own Graph emulator.
    pub emulator: Emulator,
    /// The flow set seeded in the emulator for this test.
    pub flow_set_id: String,
    /// The resources in the test's namespace.
    pub api: Api<SecurityGroupProvisioningFlow>,
    stop: Option<oneshot::Sender<()>>,
}

impl OperatorUnderTest {
    /// Starts the operator with the default [`Options`] in a new namespace named after the test.
    pub async fn start(test_name: &str) -> Self {
        Self::start_with(test_name, Options::default()).await
    }

    /// Starts the operator with `options` in a new namespace named after the test.
    pub async fn start_with(test_name: &str, options: Options) -> Self {
        let test = TestContext::new(test_name).await;
        let operator_client = test.client.clone();
        Self::start_in(test, options, operator_client).await
    }

    /// Starts the operator for an existing test namespace, acting as `operator_client` (for
    /// example a ServiceAccount limited to what RBAC grants it).
    pub async fn start_in(
        test: TestContext,
        options: Options,
        operator_client: kube::Client,
    ) -> Self {
        install_crd();
        let crds: Api<CustomResourceDefinition> = Api::all(test.client.clone());
        for name in CRD_NAMES {
            tokio::time::timeout(
                DEFAULT_DEADLINE,
                await_condition(crds.clone(), name, conditions::is_crd_established()),
            )
            .await
            .expect("the CRD to be established")
            .expect("watching the CRD");
        }
        if let Some(grant) = &options.grant {
            write_grant(&test.client, &test.namespace, &test.namespace, grant).await;
        }

        let emulator = Emulator::start(EmulatorConfig {
            clients: vec![
                ClientRegistration::new(TENANT, CLIENT_ID, CLIENT_SECRET)
                    .with_roles(&options.roles),
            ],
            settings: options.emulator.clone(),
            ..EmulatorConfig::default()
        })
        .await
        .expect("start the Graph emulator");
        let flow_set_id = emulator
            .admin()
            .seed_flow_set(&SeedFlowSet {
                display_name: Some(format!("{} schools", test.namespace)),
                ..SeedFlowSet::default()
            })
            .await
            .expect("seed a flow set");

        let config = Config {
            endpoints: GraphEndpoints::new(emulator.base_url(), emulator.base_url())
                .expect("loopback endpoints"),
            namespace: (!options.watch_all_namespaces).then(|| test.namespace.clone()),
            default_deletion_policy: options.default_deletion_policy,
            resync_period: options.resync_period,
            poll_interval: options.poll_interval,
            freshness_window: options.freshness_window,
            min_reset_interval: options.min_reset_interval,
            graph_timeout: options.graph_timeout,
            concurrency: options.concurrency,
            instance: Some(format!("test-{}", test.namespace)),
            default_credential: Some(options.default_credential.clone().unwrap_or_else(|| {
                Credential::client_secret(TENANT, CLIENT_ID, SecretString::new(CLIENT_SECRET))
                    .expect("credential")
            })),
            // Every test's operator leads its own Lease, in its own namespace.
            leader_election: Some(sds_operator::leader::LeaseSettings {
                namespace: test.namespace.clone(),
                identity: format!("test-{}", test.namespace),
                duration: Duration::from_secs(15),
                renew_deadline: Duration::from_secs(10),
                retry_period: Duration::from_secs(2),
            }),
        };
        let (stop, stopped) = oneshot::channel::<()>();
        if options.in_process {
            let state = sds_operator::admin::OperatorState::new(config.concurrency);
            tokio::spawn(sds_operator::controller::run(
                operator_client,
                config,
                std::sync::Arc::new(state),
                async {
                    let _ = stopped.await;
                },
            ));
        }
        let api = test.api::<SecurityGroupProvisioningFlow>();
        Self {
            test,
            emulator,
            flow_set_id,
            api,
            stop: Some(stop),
        }
    }

    /// A resource named `name` for this test's flow set, from the defaults of
    /// [`ResourceBuilder`].
    pub fn resource(&self, name: &str) -> ResourceBuilder {
        ResourceBuilder::new(name, &self.test.namespace, &self.flow_set_id)
    }

    /// Applies `flow` the way a person or a GitOps tool would: server-side apply as another manager.
    pub async fn apply(
        &self,
        flow: &SecurityGroupProvisioningFlow,
    ) -> SecurityGroupProvisioningFlow {
        self.apply_through(&self.api, flow)
            .await
            .unwrap_or_else(|e| panic!("apply {}: {e}", flow.name_any()))
    }

    /// Applies `flow` through `api` (for example as a namespace's user, limited by RBAC), as
    /// [`apply`](Self::apply) does.
    pub async fn apply_through<K: GraphResource>(&self, api: &Api<K>, flow: &K) -> kube::Result<K> {
        let mut body = serde_json::to_value(flow).expect("serialize");
        body["apiVersion"] = json!(K::api_version(&()));
        body["kind"] = json!(K::kind(&()));
        if let Some(metadata) = body["metadata"].as_object_mut() {
            metadata.retain(|key, _| {
                ["name", "namespace", "annotations", "labels"].contains(&key.as_str())
            });
        }
        body.as_object_mut().map(|object| object.remove("status"));
        self.apply_manifest(api, &flow.name_any(), &body).await
    }

    /// Applies the manifest `body` as it stands (one this version's types could not even hold,
    /// such as a spec missing a required field) as `name` through `api`.
    pub async fn apply_manifest<K: GraphResource>(
        &self,
        api: &Api<K>,
        name: &str,
        body: &serde_json::Value,
    ) -> kube::Result<K> {
        api.patch(
            name,
            &PatchParams::apply("e2e-user").force(),
            &Patch::Apply(body),
        )
        .await
    }

    /// Creates Secret `name` of `type_` (default Opaque) in the test's namespace, labelled as a
    /// credential the operator may use.
    pub async fn create_secret(&self, name: &str, type_: Option<&str>, entries: &[(&str, &str)]) {
        let secret = Secret {
            metadata: kube::api::ObjectMeta {
                name: Some(name.to_owned()),
                labels: Some([(CREDENTIAL_LABEL.to_owned(), "true".to_owned())].into()),
                ..Default::default()
            },
            type_: type_.map(str::to_owned),
            string_data: Some(
                entries
                    .iter()
                    .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
                    .collect(),
            ),
            ..Secret::default()
        };
        self.test
            .api::<Secret>()
            .create(&kube::api::PostParams::default(), &secret)
            .await
            .unwrap_or_else(|e| panic!("create Secret {name}: {e}"));
    }

    /// Creates a client-secret credentials Secret for application `client_id` of the test tenant.
    pub async fn create_client_secret(&self, name: &str, client_id: &str, secret: &str) {
        let entries = [
            ("tenantId", TENANT),
            ("clientId", client_id),
            ("clientSecret", secret),
        ];
        self.create_secret(name, None, &entries).await;
    }

    /// Graph calls (not token requests) the emulator received after `since`.
    pub async fn graph_calls(&self, since: u64) -> Vec<JournalEntry> {
        let journal = self.emulator.admin().journal(since).await.expect("journal");
        journal
            .into_iter()
            .filter(|entry| entry.path.starts_with("/beta/"))
            .collect()
    }

    /// The latest journal sequence number (0 when empty).
    pub async fn journal_position(&self) -> u64 {
        let journal = self.emulator.admin().journal(0).await.expect("journal");
        journal.last().map_or(0, |entry| entry.sequence)
    }

    /// Puts a security-group flow with these options into the test's flow set, as if made in the
    /// SDS portal, and returns its id.
    pub async fn seed_flow(&self, role_group: bool, org_plus_role_group: bool) -> String {
        let properties = serde_json::Map::from_iter([(
            "creationOptions".to_owned(),
            options_json(role_group, org_plus_role_group),
        )]);
        self.emulator
            .admin()
            .seed_flow(
                &self.flow_set_id,
                &graph_emulator::SeedFlow {
                    properties,
                    ..graph_emulator::SeedFlow::default()
                },
            )
            .await
            .expect("seed a flow")
    }

    /// The security-group flows the emulator holds in this test's flow set.
    pub async fn graph_flows(&self) -> Vec<graph_emulator::FlowSnapshot> {
        self.graph_flows_in(&self.flow_set_id).await
    }

    /// The security-group flows the emulator holds in flow set `flow_set_id`.
    pub async fn graph_flows_in(&self, flow_set_id: &str) -> Vec<graph_emulator::FlowSnapshot> {
        let state = self.emulator.admin().state().await.expect("emulator state");
        state
            .flow_set(flow_set_id)
            .map(|set| {
                set.flows
                    .iter()
                    .filter(|flow| flow.odata_type.ends_with("securityGroupProvisioningFlow"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Events recorded in this test's namespace about the resource `name`, oldest first.
    pub async fn events(&self, name: &str) -> Vec<Event> {
        let mut events: Vec<Event> = self
            .test
            .api::<Event>()
            .list(&ListParams::default())
            .await
            .expect("list events")
            .items
            .into_iter()
            .filter(|event| {
                event
                    .regarding
                    .as_ref()
                    .is_some_and(|regarding| regarding.name.as_deref() == Some(name))
            })
            .collect();
        events.sort_by(|a, b| a.event_time.cmp(&b.event_time));
        events
    }

    /// Asserts that no more than `extra` Graph calls arrive after `since` during `window`: absence
    /// can only be observed over time, so this is a measurement window, not a synchronisation.
    pub async fn assert_quiet(&self, since: u64, window: Duration, extra: usize) {
        tokio::time::sleep(window).await;
        let calls = self.graph_calls(since).await;
        assert!(
            calls.len() <= extra,
            "expected at most {extra} Graph calls in {window:?}, got {}: {calls:#?}",
            calls.len()
        );
    }

    /// `kubectl` with this test's namespace, run without blocking the in-process controller.
    pub async fn kubectl(&self, args: &[&str]) -> Output {
        let mut command = self.test.control_plane.kubectl();
        command
            .arg("--namespace")
            .arg(&self.test.namespace)
            .args(args);
        tokio::process::Command::from(command)
            .output()
            .await
            .expect("run kubectl")
    }
}

impl Drop for OperatorUnderTest {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Writes (server-side applies, as a cluster admin) the CredentialGrant `name`: `spec` with
/// `namespace` added to the namespaces it names.
pub async fn write_grant(
    admin: &kube::Client,
    name: &str,
    namespace: &str,
    spec: &CredentialGrantSpec,
) -> CredentialGrant {
    let mut spec = spec.clone();
    spec.namespaces.names.push(namespace.to_owned());
    let grant = CredentialGrant::new(name, spec);
    Api::<CredentialGrant>::all(admin.clone())
        .patch(
            name,
            &PatchParams::apply("sds-test-admin").force(),
            &Patch::Apply(&grant),
        )
        .await
        .unwrap_or_else(|error| panic!("writing CredentialGrant {name}: {error}"))
}

/// Installs the committed CRDs with the real kubectl, once per test binary.
fn install_crd() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../crds/");
        let output = shared_control_plane()
            .kubectl()
            .args(["apply", "--server-side", "-f", path])
            .output()
            .expect("run kubectl apply");
        assert!(
            output.status.success(),
            "kubectl apply of the CRD failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    });
}

/// The reasons of `events`, in order.
pub fn event_reasons(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|event| event.reason.clone())
        .collect()
}
