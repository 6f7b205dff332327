//! The `OutboundProvisioningFlowSet` kind: the container SDS keeps a district's flows in, with
//! the schools whose data they use. Flows name it by `flowSetRef`; its status gives them its id.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;

use super::condition::{Condition, deserialize_conditions};
use serde::{Deserialize, Serialize};

use super::{
    ConditionType, CreateIntent, FLOW_SET_ID_IMMUTABLE_MESSAGE, GUID_PATTERN, GraphResource,
    Policies,
};

/// Message the API server returns when an update removes `spec.flowSetId`.
pub const FLOW_SET_ID_KEPT_MESSAGE: &str =
    "flowSetId cannot be removed once set: create a new resource to make a new flow set";
/// Message the API server returns for an ObserveOnly flow set that names no set to observe.
pub const NOTHING_TO_OBSERVE_MESSAGE: &str = "managementPolicy ObserveOnly never creates a flow set: name the one to observe by spec.flowSetId, or by its displayName with adoption AdoptOrCreate";

/// Desired state of one School Data Sync outbound provisioning flow set.
#[allow(
    clippy::duplicated_attributes,
    reason = "each category(...) and printcolumn(...) repeats its keys"
)]
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "industrydata.sds-operator.io",
    version = "v1alpha1",
    kind = "OutboundProvisioningFlowSet",
    plural = "outboundprovisioningflowsets",
    namespaced,
    status = "OutboundProvisioningFlowSetStatus",
    derive = "PartialEq",
    shortname = "opfs",
    category = "sds",
    category = "industrydata",
    doc = "A Microsoft Graph School Data Sync outboundProvisioningFlowSet: the schools whose \
           data its provisioning flows use. Flows of this namespace name it by spec.flowSetRef.",
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = r#".status.conditions[?(@.type=="Ready")].status"#,
        description = "Whether the flow set is as the spec says"
    ),
    printcolumn(
        name = "Reason",
        type_ = "string",
        json_path = r#".status.conditions[?(@.type=="Ready")].reason"#,
        description = "Why it is or is not ready"
    ),
    printcolumn(
        name = "DisplayName",
        type_ = "string",
        json_path = ".spec.displayName",
        description = "The flow set's name in SDS"
    ),
    printcolumn(
        name = "FlowSetID",
        type_ = "string",
        json_path = ".status.flowSetId",
        description = "Id of the flow set in Graph"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    ),
    printcolumn(
        name = "Message",
        type_ = "string",
        json_path = r#".status.conditions[?(@.type=="Ready")].message"#,
        description = "What to do, when something needs doing",
        priority = 1
    )
)]
#[x_kube(
    validation = Rule::new("has(self.flowSetId) || !has(oldSelf.flowSetId)")
        .message(FLOW_SET_ID_KEPT_MESSAGE)
)]
#[x_kube(
    validation = Rule::new("self.managementPolicy != 'ObserveOnly' || has(self.flowSetId) || self.adoption == 'AdoptOrCreate'")
        .message(NOTHING_TO_OBSERVE_MESSAGE)
)]
#[serde(rename_all = "camelCase")]
pub struct OutboundProvisioningFlowSetSpec {
    /// The flow set's name, as SDS shows it. The operator changes it in Graph when it differs.
    #[schemars(length(min = 1, max = 256))]
    pub display_name: String,

    /// The schools (organisations) whose data the set's flows use. When absent, every
    /// organisation's data is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<FlowSetFilter>,

    /// Id (a GUID) of an existing flow set for this resource to manage, instead of creating one.
    /// Immutable, and cannot be removed once set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(GUID_PATTERN))]
    #[x_kube(validation = Rule::new("self == oldSelf").message(FLOW_SET_ID_IMMUTABLE_MESSAGE))]
    pub flow_set_id: Option<String>,

    /// How a resource without flowSetId finds its flow set. CreateOnly (default) creates it, and
    /// stalls (FlowSetNameTaken) rather than take over or duplicate a flow set of this
    /// displayName that it did not create. AdoptOrCreate takes over the one flow set of this
    /// displayName (so a cluster rebuilt from Git finds its flow sets again), creating one when
    /// there is none; several of the name stall the resource.
    #[serde(default)]
    pub adoption: FlowSetAdoption,

    /// Deletion, management and credentials.
    #[serde(flatten)]
    pub policies: Policies,
}

/// The organisations whose data a flow set's flows use.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FlowSetFilter {
    /// External ids of the organisations (schools), as in the district's inbound data.
    #[schemars(
        length(min = 1, max = 1000),
        inner(length(min = 1, max = 256)),
        extend("x-kubernetes-list-type" = "set")
    )]
    pub org_external_ids: Vec<String>,
}

/// How a flow set resource without `flowSetId` finds its flow set.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FlowSetAdoption {
    /// Take over the one flow set with this displayName, else create one.
    AdoptOrCreate,
    /// Create the flow set; never take over one of this displayName that this resource did not
    /// create, nor make a second.
    #[default]
    CreateOnly,
}

/// How this resource came to manage its flow set.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowSetOrigin {
    /// This resource created it, so it counts as its namespace's for CredentialGrants that
    /// grant flowSets.createdInNamespace.
    Created,
    /// It existed before (named by flowSetId, or found by displayName).
    Adopted,
}

/// Observed state: what Graph reports for the flow set and what the operator last did.
// The schema default gives a new resource `status: {observedGeneration: 0}` (kstatus: InProgress
// until the operator's first write), as for the flows.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("default" = { "observedGeneration": 0 }))]
pub struct OutboundProvisioningFlowSetStatus {
    /// metadata.generation of the spec this status was written for, on every write, errors
    /// included. 0 (the default of a new resource) until the operator first writes status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Id of the flow set in Graph, recorded as soon as it is created or adopted. Flows that
    /// name this resource by flowSetRef use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_set_id: Option<String>,

    /// Whether this resource created its flow set (Created) or took over one that existed
    /// (Adopted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<FlowSetOrigin>,

    /// The flow set's displayName as Graph last reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,

    /// The flow set's filter as Graph last reported it (absent: every organisation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<FlowSetFilter>,

    /// When Graph created the flow set (RFC 3339, as Graph reported it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date_time: Option<String>,

    /// When Graph last changed the flow set (RFC 3339, as Graph reported it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date_time: Option<String>,

    /// When the operator last changed this status (a resync that finds nothing new writes
    /// nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync_time: Option<Time>,

    /// Present while this resource is creating a flow set: recorded before the create request is
    /// sent and cleared once flowSetId is recorded. After a crash between the two, the flow set
    /// with this displayName created since then is taken as this resource's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_intent: Option<CreateIntent>,

    /// Ready, Synced, Reconciling and Stalled, as metav1.Condition entries keyed by type.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "deserialize_conditions"
    )]
    // metav1.Condition's schema; kube's x_kube(merge_strategy) would write the list keys, but its
    // derive takes no generic type.
    #[schemars(
        with = "Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>",
        extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"])
    )]
    pub conditions: Vec<Condition>,
}

impl OutboundProvisioningFlowSetStatus {
    /// Whether the operator has written this status (observedGeneration >= 1).
    pub fn is_observed(&self) -> bool {
        self.observed_generation
            .is_some_and(|generation| generation >= 1)
    }

    /// The condition of this type, if present.
    pub fn condition(&self, kind: ConditionType) -> Option<&Condition> {
        self.conditions
            .iter()
            .find(|condition| condition.type_ == kind.as_str())
    }
}

impl GraphResource for OutboundProvisioningFlowSet {
    fn policies(&self) -> &Policies {
        &self.spec.policies
    }
}

impl OutboundProvisioningFlowSet {
    /// The status as last written, or the empty status of a new resource.
    pub fn status_or_default(&self) -> OutboundProvisioningFlowSetStatus {
        self.status.clone().unwrap_or_default()
    }

    /// The id of the flow set this resource manages: the spec's, else the one it recorded.
    pub fn flow_set_id(&self) -> Option<&str> {
        self.spec
            .flow_set_id
            .as_deref()
            .or_else(|| self.status.as_ref()?.flow_set_id.as_deref())
    }

    /// The settings the spec asks for, as Graph takes them.
    pub fn desired(&self) -> graph::FlowSetSettings {
        graph::FlowSetSettings {
            display_name: self.spec.display_name.clone(),
            filter: self
                .spec
                .filter
                .as_ref()
                .map(|filter| graph::BasicFilter::organisations(filter.org_external_ids.clone())),
        }
    }

    /// Whether Graph's flow set is as the spec asks: the same name, and the same organisations
    /// in any order.
    pub fn matches(&self, found: &graph::FlowSet) -> bool {
        let organisations = |filter: Option<&FlowSetFilter>| {
            let mut ids: Vec<String> = filter
                .map(|filter| filter.org_external_ids.clone())
                .unwrap_or_default();
            ids.sort();
            ids.dedup();
            ids
        };
        found.display_name.as_deref() == Some(self.spec.display_name.as_str())
            && organisations(mirror_filter(found).as_ref())
                == organisations(self.spec.filter.as_ref())
            && found.filter.is_some() == self.spec.filter.is_some()
    }
}

/// What status shows of a flow set's filter.
pub fn mirror_filter(found: &graph::FlowSet) -> Option<FlowSetFilter> {
    found.filter.as_ref().map(|filter| FlowSetFilter {
        org_external_ids: filter.values.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow_set(spec: serde_json::Value) -> OutboundProvisioningFlowSet {
        OutboundProvisioningFlowSet::new("district", serde_json::from_value(spec).unwrap())
    }

    fn found(value: serde_json::Value) -> graph::FlowSet {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_filter_matches_in_any_order_and_no_filter_only_matches_none() {
        let filtered = flow_set(serde_json::json!({
            "displayName": "District", "filter": {"orgExternalIds": ["a", "b"]},
        }));
        let graph_filter = |ids: serde_json::Value| {
            found(serde_json::json!({
                "id": "s", "displayName": "District",
                "filter": {"@odata.type": "#microsoft.graph.industryData.basicFilter", "attribute": "orgExternalId", "in": ids},
            }))
        };
        assert!(filtered.matches(&graph_filter(serde_json::json!(["b", "a"]))));
        assert!(!filtered.matches(&graph_filter(serde_json::json!(["a"]))));
        let unfiltered = flow_set(serde_json::json!({"displayName": "District"}));
        assert!(unfiltered.matches(&found(
            serde_json::json!({"id": "s", "displayName": "District"})
        )));
        assert!(!unfiltered.matches(&graph_filter(serde_json::json!([]))));
        assert!(!unfiltered.matches(&found(
            serde_json::json!({"id": "s", "displayName": "Other"})
        )));
    }

    #[test]
    fn the_id_is_the_specs_else_the_recorded_one() {
        let mut set = flow_set(serde_json::json!({"displayName": "District"}));
        assert_eq!(set.flow_set_id(), None);
        set.status = Some(OutboundProvisioningFlowSetStatus {
            flow_set_id: Some("recorded".into()),
            ..Default::default()
        });
        assert_eq!(set.flow_set_id(), Some("recorded"));
        set.spec.flow_set_id = Some("named".into());
        assert_eq!(set.flow_set_id(), Some("named"));
    }
}
