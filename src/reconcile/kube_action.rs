//! The Kubernetes API calls a reconcile makes, named for messages, with the RBAC rule that
//! allows each: a 403 on one of them says which permission to grant.

/// A read or write of the Kubernetes API the reconcile needed, named for the messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KubeAction {
    ReadSecret {
        namespace: String,
        name: String,
    },
    /// Another resource of the kind (`resources` is its plural.group, as RBAC names it).
    ReadResource {
        resources: &'static str,
        namespace: String,
        name: String,
    },
    WriteStatus {
        resources: &'static str,
        namespace: String,
    },
    UpdateFinalizer {
        resources: &'static str,
        namespace: String,
    },
    ReadCustomResourceDefinition {
        resources: &'static str,
    },
}

impl KubeAction {
    /// `plural.group` of kind `K`, as RBAC rules and CRD names spell it.
    pub fn resources_of<K: kube::CustomResourceExt>() -> &'static str {
        K::crd_name()
    }

    /// The RBAC rule that allows this action.
    pub fn permission(&self) -> String {
        match self {
            Self::ReadSecret { namespace, .. } => {
                format!("get on secrets in namespace {namespace}")
            }
            Self::ReadResource {
                resources,
                namespace,
                ..
            } => format!("get on {resources} in namespace {namespace}"),
            Self::WriteStatus {
                resources,
                namespace,
            } => format!("patch on {resources}/status in namespace {namespace}"),
            Self::UpdateFinalizer {
                resources,
                namespace,
            } => format!("patch on {resources} in namespace {namespace}"),
            Self::ReadCustomResourceDefinition { resources } => {
                format!("get on customresourcedefinitions named {resources}")
            }
        }
    }
}

impl std::fmt::Display for KubeAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ReadSecret { namespace, name } => write!(f, "read Secret {namespace}/{name}"),
            Self::ReadResource {
                resources,
                namespace,
                name,
            } => write!(f, "read {resources} {namespace}/{name}"),
            Self::WriteStatus { .. } => f.write_str("write this resource's status"),
            Self::UpdateFinalizer { .. } => f.write_str("update this resource's finalizers"),
            Self::ReadCustomResourceDefinition { resources } => {
                write!(f, "read the CustomResourceDefinition {resources}")
            }
        }
    }
}
