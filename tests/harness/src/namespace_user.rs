//! A namespace's user, as a cluster admin would make one: a ServiceAccount whose Role lets it do
//! anything with the flow resources of its own namespace and create Secrets there, and nothing
//! else; with a client acting as it through a token from the TokenRequest API.

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Client};

use crate::OperatorUnderTest;

impl OperatorUnderTest {
    /// A client acting as `name`, a user of `namespace` only.
    pub async fn namespace_user(&self, namespace: &str, name: &str) -> Client {
        let namespace = &namespace.to_owned();
        let admin = &self.test.client;
        let metadata = ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(namespace.clone()),
            ..ObjectMeta::default()
        };
        let create = PostParams::default();
        Api::<ServiceAccount>::namespaced(admin.clone(), namespace)
            .create(
                &create,
                &ServiceAccount {
                    metadata: metadata.clone(),
                    ..ServiceAccount::default()
                },
            )
            .await
            .expect("create the user's ServiceAccount");
        let rule = |groups: &[&str], resources: &[&str], verbs: &[&str]| PolicyRule {
            api_groups: Some(groups.iter().map(|&group| group.to_owned()).collect()),
            resources: Some(
                resources
                    .iter()
                    .map(|&resource| resource.to_owned())
                    .collect(),
            ),
            verbs: verbs.iter().map(|&verb| verb.to_owned()).collect(),
            ..PolicyRule::default()
        };
        Api::<Role>::namespaced(admin.clone(), namespace)
            .create(
                &create,
                &Role {
                    metadata: metadata.clone(),
                    rules: Some(vec![
                        rule(
                            &["industrydata.sds-operator.io"],
                            &["securitygroupprovisioningflows"],
                            &["*"],
                        ),
                        rule(&[""], &["secrets"], &["create"]),
                    ]),
                },
            )
            .await
            .expect("create the user's Role");
        Api::<RoleBinding>::namespaced(admin.clone(), namespace)
            .create(
                &create,
                &RoleBinding {
                    metadata,
                    role_ref: RoleRef {
                        api_group: "rbac.authorization.k8s.io".into(),
                        kind: "Role".into(),
                        name: name.to_owned(),
                    },
                    subjects: Some(vec![Subject {
                        kind: "ServiceAccount".into(),
                        name: name.to_owned(),
                        namespace: Some(namespace.clone()),
                        ..Subject::default()
                    }]),
                },
            )
            .await
            .expect("bind the user's Role");
        self.test
            .control_plane
            .service_account_client(admin, namespace, name)
            .await
            .expect("a client for the user")
    }
}
