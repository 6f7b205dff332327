//! What each test gets: the control plane shared by its test binary, an admin client, and a
//! namespace of its own. When the test fails, the control-plane logs are printed.

use std::sync::OnceLock;

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Client};

use crate::ControlPlane;

/// The control plane of this test binary, started on first use. It fails the calling test (never
/// skips it) when the binaries are missing or the control plane cannot start.
pub fn shared_control_plane() -> &'static ControlPlane {
    static SHARED: OnceLock<ControlPlane> = OnceLock::new();
    SHARED.get_or_init(|| {
        // Started on a runtime of its own: each #[tokio::test] runtime ends with its test, and the
        // control plane must outlive them all.
        let started = std::thread::spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?
                .block_on(ControlPlane::start())
                .map_err(|e| e.to_string())
        })
        .join();
        match started {
            Ok(Ok(control_plane)) => control_plane,
            Ok(Err(error)) => panic!("the test control plane could not start: {error}"),
            Err(_) => panic!("the test control plane panicked while starting"),
        }
    })
}

/// One test's view of the cluster.
#[allow(missing_debug_implementations)] // kube::Client has no Debug
pub struct TestContext {
    pub control_plane: &'static ControlPlane,
    /// An admin client bound to this test's runtime.
    pub client: Client,
    /// A namespace created for this test alone.
    pub namespace: String,
}

impl TestContext {
    /// Creates a namespace named after the test (plus a random suffix) and an admin client.
    pub async fn new(test_name: &str) -> Self {
        let control_plane = shared_control_plane();
        let client = control_plane
            .admin_client()
            .await
            .unwrap_or_else(|e| panic!("admin client: {e}"));
        let namespace = namespace_name(test_name);
        let object = Namespace {
            metadata: ObjectMeta {
                name: Some(namespace.clone()),
                ..Default::default()
            },
            ..Default::default()
        };
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &object)
            .await
            .unwrap_or_else(|e| panic!("creating namespace {namespace}: {e}"));
        Self {
            control_plane,
            client,
            namespace,
        }
    }

    /// An API for namespaced objects of kind `K` in this test's namespace.
    pub fn api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        K::DynamicType: Default,
    {
        Api::namespaced(self.client.clone(), &self.namespace)
    }
}

impl Drop for TestContext {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "test in namespace {} failed; control-plane logs:\n{}",
                self.namespace,
                self.control_plane.logs_tail()
            );
        }
    }
}

/// A DNS-1123 label: the test name, lower-cased and shortened, plus a random suffix.
fn namespace_name(test_name: &str) -> String {
    let mut base: String = test_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    base.truncate(50);
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
    format!("{}-{suffix}", base.trim_matches('-'))
}

#[cfg(test)]
mod tests {
    use super::namespace_name;

    #[test]
    fn namespace_names_are_dns_labels_and_unique() {
        let first =
            namespace_name("Creates_a_Flow::with spaces and a very long name that goes on and on");
        let second =
            namespace_name("Creates_a_Flow::with spaces and a very long name that goes on and on");
        assert_ne!(first, second);
        assert!(first.len() <= 63, "{first}");
        assert!(
            first
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{first}"
        );
        assert!(first.starts_with("creates-a-flow--with-spaces"), "{first}");
    }
}
