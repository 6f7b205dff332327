//! The `CredentialGrant` kind: cluster-scoped, so only those who may write cluster-wide objects
//! (cluster admins) can say which namespaces may use the operator's own credential, for which
//! flow sets and for which operations. What a grant allows is decided in `access`.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::core::SelectorExt as _;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::GUID_PATTERN;

/// Lets the resources of some namespaces use the operator's own Graph credential, for some flow
/// sets and some operations. Resources that use their own namespace's Secret need no grant.
#[allow(
    clippy::duplicated_attributes,
    reason = "each printcolumn(...) repeats keys such as type_"
)]
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "industrydata.sds-operator.io",
    version = "v1alpha1",
    kind = "CredentialGrant",
    plural = "credentialgrants",
    derive = "PartialEq",
    shortname = "sdsgrant",
    category = "sds",
    category = "industrydata",
    doc = "Lets the sds-operator resources of some namespaces use the operator's own Graph \
           credential, for some flow sets and some operations. Cluster-scoped: written by \
           cluster admins. Without a grant, a resource that names no credentialsSecretRef makes \
           no Graph call.",
    printcolumn(
        name = "Namespaces",
        type_ = "string",
        json_path = ".spec.namespaces.names",
        description = "The namespaces granted by name"
    ),
    printcolumn(
        name = "Operations",
        type_ = "string",
        json_path = ".spec.operations",
        description = "What the granted namespaces may do"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    ),
    printcolumn(
        name = "Selector",
        type_ = "string",
        json_path = ".spec.namespaces.selector",
        description = "The namespaces granted by label",
        priority = 1
    ),
    printcolumn(
        name = "FlowSets",
        type_ = "string",
        json_path = ".spec.flowSets",
        description = "The flow sets the grant covers",
        priority = 1
    )
)]
#[serde(rename_all = "camelCase")]
pub struct CredentialGrantSpec {
    /// The namespaces whose resources this grant covers: those named, and those whose labels
    /// match the selector.
    pub namespaces: GrantedNamespaces,

    /// The flow sets those resources may work on: listed by id, or all of the tenant's.
    pub flow_sets: GrantedFlowSets,

    /// What those resources may do. Every operation includes Observe (reading the flow). Manage:
    /// create the flow and change its settings. Adopt: take over a flow that the resource did not
    /// create. Reset: send Graph's reset action. Delete: delete the flow when the resource is
    /// deleted with deletionPolicy Delete.
    #[schemars(length(min = 1, max = 5), extend("x-kubernetes-list-type" = "set"))]
    pub operations: Vec<GrantedOperation>,
}

/// Namespaces by name, by label, or both (a namespace matching either is granted).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("size(self.names) > 0 || has(self.selector)")
        .message("namespaces needs names or a selector")
)]
pub struct GrantedNamespaces {
    /// Namespaces granted by name.
    #[serde(default)]
    #[schemars(inner(length(min = 1, max = 63)))]
    pub names: Vec<String>,

    /// Namespaces granted by their labels. An empty selector matches every namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
}

/// Flow sets by id, or all of them.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("self.all ? size(self.ids) == 0 && !self.createdInNamespace : size(self.ids) > 0 || self.createdInNamespace")
        .message("flowSets needs ids, createdInNamespace: true, or both; or all: true alone")
)]
pub struct GrantedFlowSets {
    /// Ids (GUIDs) of the flow sets granted; compared without regard to case.
    #[serde(default)]
    #[schemars(inner(pattern(GUID_PATTERN)))]
    pub ids: Vec<String>,

    /// The flow sets that an OutboundProvisioningFlowSet resource of the granted namespace
    /// created through the operator (status.origin Created), and creating such flow sets
    /// (with Manage): a namespace may then work on its own flow sets, and on no one else's.
    #[serde(default)]
    pub created_in_namespace: bool,

    /// Every flow set of the tenant, present and future: the namespaces may then work on any
    /// flow the operator's credential can reach.
    #[serde(default)]
    pub all: bool,
}

/// One thing a grant may allow.
#[derive(
    Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash,
)]
pub enum GrantedOperation {
    /// Read the flow and mirror it into status.
    Observe,
    /// Create the flow and bring its settings to the spec.
    Manage,
    /// Take over a flow that the resource did not create.
    Adopt,
    /// Send Graph's reset action.
    Reset,
    /// Delete the flow when the resource is deleted with deletionPolicy Delete.
    Delete,
}

impl GrantedOperation {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Observe => "Observe",
            Self::Manage => "Manage",
            Self::Adopt => "Adopt",
            Self::Reset => "Reset",
            Self::Delete => "Delete",
        }
    }
}

impl std::fmt::Display for GrantedOperation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl CredentialGrant {
    /// Whether the grant covers the namespace of this name and labels.
    pub fn covers_namespace(&self, name: &str, labels: &BTreeMap<String, String>) -> bool {
        let namespaces = &self.spec.namespaces;
        namespaces.names.iter().any(|granted| granted == name)
            || namespaces.selector.as_ref().is_some_and(|selector| {
                kube::core::Selector::try_from(selector.clone())
                    .is_ok_and(|selector| selector.matches(labels))
            })
    }

    /// Whether the grant covers the flow set of this id; `own`: the namespace's own flow set
    /// resource created it (or is about to).
    pub fn covers_flow_set(&self, flow_set_id: &str, own: bool) -> bool {
        let flow_sets = &self.spec.flow_sets;
        flow_sets.all
            || (own && flow_sets.created_in_namespace)
            || flow_sets
                .ids
                .iter()
                .any(|granted| granted.eq_ignore_ascii_case(flow_set_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(spec: serde_json::Value) -> CredentialGrant {
        CredentialGrant::new("district-a", serde_json::from_value(spec).expect("a spec"))
    }

    #[test]
    fn a_grant_covers_namespaces_by_name_or_label_and_flow_sets_by_id_in_any_case() {
        let grant = grant(serde_json::json!({
            "namespaces": {"names": ["district-a"], "selector": {"matchLabels": {"sds": "district-b"}}},
            "flowSets": {"ids": ["9AB41255-5364-4C53-E15C-08DC4AB6EE03"]},
            "operations": ["Manage"],
        }));
        let none = BTreeMap::new();
        let labelled = BTreeMap::from([("sds".to_owned(), "district-b".to_owned())]);
        assert!(grant.covers_namespace("district-a", &none));
        assert!(grant.covers_namespace("elsewhere", &labelled));
        assert!(!grant.covers_namespace("district-c", &none));
        assert!(grant.covers_flow_set("9ab41255-5364-4c53-e15c-08dc4ab6ee03", false));
        assert!(!grant.covers_flow_set("0ab41255-5364-4c53-e15c-08dc4ab6ee03", false));
        assert!(
            !grant.covers_flow_set("0ab41255-5364-4c53-e15c-08dc4ab6ee03", true),
            "a namespace's own flow sets only with createdInNamespace"
        );
    }

    #[test]
    fn all_flow_sets_and_an_invalid_selector() {
        let grant = grant(serde_json::json!({
            "namespaces": {"selector": {"matchExpressions": [{"key": "sds", "operator": "Bogus"}]}},
            "flowSets": {"all": true},
            "operations": ["Observe"],
        }));
        assert!(grant.covers_flow_set("anything", false));
        assert!(
            !grant.covers_namespace("district-a", &BTreeMap::new()),
            "a selector that cannot be read grants nothing"
        );
    }
}
