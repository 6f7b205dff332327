//! Replicas of the operator binary for leader election: each runs as a ServiceAccount of its own
//! and signs in to Graph as an application of its own, so that the API server's audit log and
//! the emulator's journal tell which replica made each write and each call.

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleRef, Subject};
use kube::Api;
use kube::api::{ObjectMeta, PostParams};
use sds_operator::leader::LEASE_NAME;
use sds_test_support::AuditedWrite;

use crate::{CLIENT_ID, CLIENT_SECRET, OperatorProcess, OperatorUnderTest, Options, TENANT};

impl OperatorUnderTest {
    /// Starts replica `name` of the operator binary: ServiceAccount `name` of the test's
    /// namespace (bound to cluster-admin: what it may do is not the point here), Pod name
    /// `name`, and Graph application `client_id` (registered with the test's roles when it is not
    /// [`CLIENT_ID`]).
    pub async fn start_replica(
        &self,
        binary: &str,
        options: &Options,
        name: &str,
        client_id: &str,
    ) -> OperatorProcess {
        let admin = &self.test.client;
        let namespace = &self.test.namespace;
        let create = PostParams::default();
        let account = ServiceAccount {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                namespace: Some(namespace.clone()),
                ..ObjectMeta::default()
            },
            ..ServiceAccount::default()
        };
        Api::<ServiceAccount>::namespaced(admin.clone(), namespace)
            .create(&create, &account)
            .await
            .expect("create the replica's ServiceAccount");
        let binding = ClusterRoleBinding {
            metadata: ObjectMeta {
                name: Some(format!("{namespace}-{name}")),
                ..ObjectMeta::default()
            },
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "ClusterRole".into(),
                name: "cluster-admin".into(),
            },
            subjects: Some(vec![Subject {
                kind: "ServiceAccount".into(),
                name: name.to_owned(),
                namespace: Some(namespace.clone()),
                ..Subject::default()
            }]),
        };
        Api::<ClusterRoleBinding>::all(admin.clone())
            .create(&create, &binding)
            .await
            .expect("bind the replica's ServiceAccount");
        let (_, kubeconfig) = self
            .test
            .control_plane
            .service_account_kubeconfig(admin, namespace, name)
            .await
            .expect("a kubeconfig for the replica");
        if client_id != CLIENT_ID {
            self.emulator
                .admin()
                .register_client(
                    &graph_emulator::ClientRegistration::new(TENANT, client_id, CLIENT_SECRET)
                        .with_roles(&options.roles),
                )
                .await
                .expect("register the replica's application");
        }
        let kubeconfig = kubeconfig.display().to_string();
        OperatorProcess::start_with(
            binary,
            self,
            options,
            &[
                ("KUBECONFIG", &kubeconfig),
                ("POD_NAME", name),
                ("AZURE_CLIENT_ID", client_id),
            ],
        )
    }

    /// The writes replica `name` made, from the API server's audit log.
    pub fn writes_by_replica(&self, name: &str) -> Vec<AuditedWrite> {
        self.test
            .control_plane
            .audited_writes(&self.test.namespace, name)
            .expect("the API server's audit log")
    }

    /// Who holds the operator's Lease in the test's namespace now.
    pub async fn lease_holder(&self) -> Option<String> {
        self.test
            .api::<Lease>()
            .get_opt(LEASE_NAME)
            .await
            .expect("read the Lease")?
            .spec?
            .holder_identity
            .filter(|holder| !holder.is_empty())
    }
}
