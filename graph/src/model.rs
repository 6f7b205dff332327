//! Graph's JSON shapes for flow sets and provisioning flows (graph-api.md §2), read tolerantly:
//! unknown properties are ignored and flow types this client does not model are kept by type and
//! id only. Each flow type's own settings are in `flow_types`.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::evolvable::evolvable;
use crate::flow_types::{AdministrativeUnitConfig, ClassGroupConfig, SecurityGroupConfig};
use crate::readiness::ReadinessStatus;
use crate::user_flow::UserConfig;

/// An outbound provisioning flow set: the container a flow lives in.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FlowSet {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub created_date_time: Option<String>,
    #[serde(default)]
    pub last_modified_date_time: Option<String>,
    /// The organisations whose data the set's flows use; none means all.
    #[serde(default)]
    pub filter: Option<BasicFilter>,
}

impl FlowSet {
    /// What a create or update of this set would send to leave it as it is.
    pub fn settings(&self) -> FlowSetSettings {
        FlowSetSettings {
            display_name: self.display_name.clone().unwrap_or_default(),
            filter: self.filter.clone(),
        }
    }
}

/// A flow set's writable settings: the body of its create and of its update.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FlowSetSettings {
    pub display_name: String,
    /// Sent as null when absent: an update then clears the filter.
    pub filter: Option<BasicFilter>,
}

/// Graph's `basicFilter`: the organisations (by external id) whose data a flow set uses. Graph
/// declares `filter` abstract, so the value always names this derived type.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
pub struct BasicFilter {
    #[serde(
        rename = "@odata.type",
        default = "basic_filter_type",
        skip_deserializing
    )]
    odata_type: &'static str,
    pub attribute: FilterAttribute,
    #[serde(rename = "in", default)]
    pub values: Vec<String>,
}

impl BasicFilter {
    /// The organisations with these external ids.
    pub fn organisations(external_ids: Vec<String>) -> Self {
        Self {
            odata_type: basic_filter_type(),
            attribute: FilterAttribute::OrgExternalId,
            values: external_ids,
        }
    }
}

fn basic_filter_type() -> &'static str {
    "#microsoft.graph.industryData.basicFilter"
}

evolvable! {
    /// Graph's `filterOptions`: what a basic filter's values are.
    FilterAttribute {
        OrgExternalId = "orgExternalId",
        UnknownFutureValue = "unknownFutureValue",
    }
}

/// One provisioning flow of any type. `provisioningFlow` is abstract in Graph, so every flow
/// names its concrete type in `@odata.type`; types this operator does not manage are kept as
/// `Other` so that reading a flow set never fails because it holds, say, a user flow.
#[derive(Clone, Debug, PartialEq)]
pub enum ProvisioningFlow {
    SecurityGroup(Flow<SecurityGroupConfig>),
    AdministrativeUnit(Flow<AdministrativeUnitConfig>),
    ClassGroup(Flow<ClassGroupConfig>),
    User(Flow<UserConfig>),
    Other { odata_type: String, id: String },
}

impl ProvisioningFlow {
    /// The flow's id, whatever its type.
    pub fn id(&self) -> &str {
        match self {
            Self::SecurityGroup(flow) => &flow.id,
            Self::AdministrativeUnit(flow) => &flow.id,
            Self::ClassGroup(flow) => &flow.id,
            Self::User(flow) => &flow.id,
            Self::Other { id, .. } => id,
        }
    }

    /// The flow, if it is of the type whose settings are `C`.
    pub fn as_flow<C: FlowConfig>(&self) -> Option<&Flow<C>> {
        C::borrow(self)
    }

    /// Takes the flow out, if it is of the type whose settings are `C`.
    pub fn into_flow<C: FlowConfig>(self) -> Option<Flow<C>> {
        C::take(self)
    }
}

/// A flow type's own settings in their wire shape: what a create or update sends besides
/// `@odata.type`, and what a read returns besides the members every flow has. One per type.
pub trait FlowConfig:
    Serialize + DeserializeOwned + Clone + PartialEq + fmt::Debug + fmt::Display + Send + Sync + 'static
{
    /// `@odata.type` of flows of this type, as the client sends it.
    const ODATA_TYPE: &'static str;

    /// The flow, if `flow` is of this type.
    fn borrow(flow: &ProvisioningFlow) -> Option<&Flow<Self>>;

    /// Takes the flow out, if `flow` is of this type.
    fn take(flow: ProvisioningFlow) -> Option<Flow<Self>>;

    /// The flow as one of any type.
    fn wrap(flow: Flow<Self>) -> ProvisioningFlow;
}

/// A provisioning flow as Graph returns it: the members every flow type has, and the type's own
/// settings (the `@odata.type` is implied by `C`).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Flow<C> {
    pub id: String,
    #[serde(default)]
    pub created_date_time: Option<String>,
    #[serde(default)]
    pub last_modified_date_time: Option<String>,
    pub readiness_status: ReadinessStatus,
    #[serde(flatten)]
    pub config: C,
}

impl<'de> Deserialize<'de> for ProvisioningFlow {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        // serde's internally tagged enums cannot fall back to a data-carrying variant for unknown
        // tags, so the tag is read by hand.
        let mut object = Map::<String, Value>::deserialize(deserializer)?;
        let odata_type = match object.remove("@odata.type") {
            Some(Value::String(odata_type)) => odata_type,
            _ => return Err(D::Error::missing_field("@odata.type")),
        };
        fn read<C: FlowConfig>(object: Map<String, Value>) -> serde_json::Result<ProvisioningFlow> {
            Flow::<C>::deserialize(Value::Object(object)).map(C::wrap)
        }
        let reader = [
            (
                SecurityGroupConfig::ODATA_TYPE,
                read::<SecurityGroupConfig> as fn(_) -> _,
            ),
            (
                AdministrativeUnitConfig::ODATA_TYPE,
                read::<AdministrativeUnitConfig>,
            ),
            (ClassGroupConfig::ODATA_TYPE, read::<ClassGroupConfig>),
            (UserConfig::ODATA_TYPE, read::<UserConfig>),
        ]
        .into_iter()
        .find(|(known, _)| same_type(known, &odata_type));
        if let Some((_, read)) = reader {
            return read(object).map_err(D::Error::custom);
        }
        let id = match object.remove("id") {
            Some(Value::String(id)) => id,
            _ => return Err(D::Error::missing_field("id")),
        };
        Ok(Self::Other { odata_type, id })
    }
}

/// Whether two `@odata.type` values name the same type: Graph writes a leading `#`, the docs
/// sometimes leave it out.
pub(crate) fn same_type(a: &str, b: &str) -> bool {
    a.trim_start_matches('#') == b.trim_start_matches('#')
}

/// Body of a create (POST) or update (PATCH) of a flow. It carries only writable properties:
/// Graph's SDKs never send `id`, timestamps or `readinessStatus` (graph-api.md §8).
#[derive(Serialize, Debug)]
pub(crate) struct FlowBody<'a, C> {
    #[serde(rename = "@odata.type")]
    pub odata_type: &'static str,
    #[serde(flatten)]
    pub config: &'a C,
}

impl<'a, C: FlowConfig> FlowBody<'a, C> {
    pub fn new(config: &'a C) -> Self {
        Self {
            odata_type: C::ODATA_TYPE,
            config,
        }
    }
}

/// One page of an OData collection.
#[derive(Deserialize, Debug)]
pub(crate) struct Page<T> {
    pub value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow_types::SecurityGroupCreationOptions;
    use serde_json::json;

    #[test]
    fn reads_the_documented_security_group_flow() {
        let flow: ProvisioningFlow = serde_json::from_value(json!({
            "@odata.context": "https://graph.microsoft.com/beta/$metadata#x/$entity",
            "@odata.type": "#microsoft.graph.industryData.securityGroupProvisioningFlow",
            "id": "4598f62a-7bd9-40a1-d38a-08dc4ac68cf2",
            "createdDateTime": "2024-03-22T23:55:06.3141592Z",
            "lastModifiedDateTime": "2024-03-22T23:55:06.3141592Z",
            "readinessStatus": "disabled",
            "creationOptions": {
                "createBasedOnRoleGroup": true,
                "createBasedOnOrgPlusRoleGroup": false
            },
            "somethingNew": 1
        }))
        .unwrap();
        let flow = flow.into_flow::<SecurityGroupConfig>().unwrap();
        assert_eq!(flow.id, "4598f62a-7bd9-40a1-d38a-08dc4ac68cf2");
        assert_eq!(flow.readiness_status, ReadinessStatus::Disabled);
        assert!(flow.config.creation_options.create_based_on_role_group);
        assert!(
            !flow
                .config
                .creation_options
                .create_based_on_org_plus_role_group
        );
        assert_eq!(
            flow.created_date_time.as_deref(),
            Some("2024-03-22T23:55:06.3141592Z")
        );
    }

    #[test]
    fn keeps_other_flow_types_by_type_and_id() {
        let flows: Vec<ProvisioningFlow> = serde_json::from_value(json!([
            {"@odata.type": "#microsoft.graph.industryData.futureProvisioningFlow", "id": "u",
             "readinessStatus": "ready", "somethingNew": true},
            {"@odata.type": "microsoft.graph.industryData.securityGroupProvisioningFlow", "id": "s",
             "readinessStatus": "somethingNew", "creationOptions": {}}
        ]))
        .unwrap();
        assert_eq!(
            flows[0],
            ProvisioningFlow::Other {
                odata_type: "#microsoft.graph.industryData.futureProvisioningFlow".to_owned(),
                id: "u".to_owned()
            }
        );
        let security = flows[1].as_flow::<SecurityGroupConfig>().unwrap();
        assert_eq!(flows[1].id(), "s");
        assert_eq!(
            security.readiness_status,
            ReadinessStatus::Other("somethingNew".to_owned())
        );
        assert_eq!(security.config, SecurityGroupConfig::default());
    }

    #[test]
    fn a_flow_without_odata_type_is_an_error() {
        let result = serde_json::from_value::<ProvisioningFlow>(json!({"id": "x"}));
        assert!(result.unwrap_err().to_string().contains("@odata.type"));
    }

    #[test]
    fn request_body_has_type_and_canonical_names_only() {
        let options = SecurityGroupCreationOptions {
            create_based_on_role_group: true,
            create_based_on_org_plus_role_group: false,
        };
        let config = SecurityGroupConfig {
            creation_options: options,
        };
        let body = serde_json::to_value(FlowBody::new(&config)).unwrap();
        assert_eq!(
            body,
            json!({
                "@odata.type": "#microsoft.graph.industryData.securityGroupProvisioningFlow",
                "creationOptions": {
                    "createBasedOnRoleGroup": true,
                    "createBasedOnOrgPlusRoleGroup": false
                }
            })
        );
    }

    #[test]
    fn reads_a_page_with_and_without_next_link() {
        let page: Page<FlowSet> = serde_json::from_value(json!({
            "value": [{"id": "a", "displayName": "A", "filter": null}],
            "@odata.nextLink": "https://graph.microsoft.com/beta/x?$skiptoken=1"
        }))
        .unwrap();
        assert_eq!(page.value[0].display_name.as_deref(), Some("A"));
        assert!(page.next_link.is_some());
        let last: Page<FlowSet> = serde_json::from_value(json!({"value": []})).unwrap();
        assert!(last.next_link.is_none());
    }
}
