//! Each flow type's own settings in Graph's wire form (the metadata's types, graph-surface.md
//! §3), separate from the CRDs' types so that those can evolve (descriptions, defaults) without
//! changing what is sent to Graph. Read tolerantly: unknown members are ignored, a collection
//! Graph answers as null reads as empty, enum values Graph adds later are kept (`evolvable!`).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::evolvable::evolvable;
use crate::model::{Flow, FlowConfig, ProvisioningFlow};

/// `@odata.type` of a security-group provisioning flow, as the client sends it.
pub const SECURITY_GROUP_FLOW_TYPE: &str =
    "#microsoft.graph.industryData.securityGroupProvisioningFlow";
/// `@odata.type` of an administrative-unit provisioning flow.
pub const ADMINISTRATIVE_UNIT_FLOW_TYPE: &str =
    "#microsoft.graph.industryData.administrativeUnitProvisioningFlow";
/// `@odata.type` of a class-group provisioning flow.
pub const CLASS_GROUP_FLOW_TYPE: &str = "#microsoft.graph.industryData.classGroupProvisioningFlow";

/// Implements [`FlowConfig`] for `$config`, the settings of the flows of `$variant`.
macro_rules! flow_config_impl {
    ($config:ty, $variant:ident, $odata_type:expr) => {
        impl FlowConfig for $config {
            const ODATA_TYPE: &'static str = $odata_type;

            fn borrow(flow: &ProvisioningFlow) -> Option<&Flow<Self>> {
                match flow {
                    ProvisioningFlow::$variant(flow) => Some(flow),
                    _ => None,
                }
            }

            fn take(flow: ProvisioningFlow) -> Option<Flow<Self>> {
                match flow {
                    ProvisioningFlow::$variant(flow) => Some(flow),
                    _ => None,
                }
            }

            fn wrap(flow: Flow<Self>) -> ProvisioningFlow {
                ProvisioningFlow::$variant(flow)
            }
        }
    };
}

/// A `securityGroupProvisioningFlow`.
pub type SecurityGroupFlow = Flow<SecurityGroupConfig>;

/// A security-group flow's own settings.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SecurityGroupConfig {
    #[serde(rename = "creationOptions")]
    pub creation_options: SecurityGroupCreationOptions,
}

impl fmt::Display for SecurityGroupConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.creation_options.fmt(f)
    }
}

flow_config_impl!(SecurityGroupConfig, SecurityGroup, SECURITY_GROUP_FLOW_TYPE);

/// Graph's `securityGroupCreationOptions`.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SecurityGroupCreationOptions {
    // Spelled out rather than derived: the docs carry a lower-case-r typo (graph-api.md §2.4),
    // and these two names must match the SDKs exactly.
    #[serde(rename = "createBasedOnRoleGroup", default)]
    pub create_based_on_role_group: bool,
    #[serde(rename = "createBasedOnOrgPlusRoleGroup", default)]
    pub create_based_on_org_plus_role_group: bool,
}

impl fmt::Display for SecurityGroupCreationOptions {
    /// The options as Graph names them, for messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "createBasedOnRoleGroup={}, createBasedOnOrgPlusRoleGroup={}",
            self.create_based_on_role_group, self.create_based_on_org_plus_role_group
        )
    }
}

/// An administrative-unit flow's own settings.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AdministrativeUnitConfig {
    #[serde(rename = "creationOptions")]
    pub creation_options: AdminUnitCreationOptions,
}

impl fmt::Display for AdministrativeUnitConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.creation_options.fmt(f)
    }
}

flow_config_impl!(
    AdministrativeUnitConfig,
    AdministrativeUnit,
    ADMINISTRATIVE_UNIT_FLOW_TYPE
);

/// Graph's `adminUnitCreationOptions`: which administrative units SDS creates.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AdminUnitCreationOptions {
    /// One administrative unit per organisation (school).
    #[serde(rename = "createBasedOnOrg", default)]
    pub create_based_on_org: bool,
    /// One per organisation and role group.
    #[serde(rename = "createBasedOnOrgPlusRoleGroup", default)]
    pub create_based_on_org_plus_role_group: bool,
}

impl fmt::Display for AdminUnitCreationOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "createBasedOnOrg={}, createBasedOnOrgPlusRoleGroup={}",
            self.create_based_on_org, self.create_based_on_org_plus_role_group
        )
    }
}

/// A class-group flow's own settings.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct ClassGroupConfig {
    pub configuration: ClassGroupConfiguration,
}

impl fmt::Display for ClassGroupConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.configuration.fmt(f)
    }
}

flow_config_impl!(ClassGroupConfig, ClassGroup, CLASS_GROUP_FLOW_TYPE);

/// Graph's `classGroupConfiguration`: what SDS writes on the class groups it creates.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ClassGroupConfiguration {
    /// Course and session attributes SDS adds to each class group.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub additional_attributes: Vec<ClassGroupAttribute>,
    #[serde(default)]
    pub additional_options: AdditionalClassGroupOptions,
    #[serde(default)]
    pub enrollment_mappings: EnrollmentMappings,
}

impl fmt::Display for ClassGroupConfiguration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "additionalAttributes=[{}], createTeam={}, writeDisplayNameOnCreateOnly={}, owners=[{}], members=[{}]",
            join(&self.additional_attributes),
            self.additional_options.create_team,
            self.additional_options.write_display_name_on_create_only,
            join(&self.enrollment_mappings.owner_enrollment_mappings),
            join(&self.enrollment_mappings.member_enrollment_mappings),
        )
    }
}

/// Graph's `additionalClassGroupOptions`.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AdditionalClassGroupOptions {
    /// Create a Microsoft Teams team for each class group.
    #[serde(default)]
    pub create_team: bool,
    /// Write the group's display name only when SDS creates it, leaving later renames alone.
    #[serde(default)]
    pub write_display_name_on_create_only: bool,
}

/// Graph's `enrollmentMappings`: which section roles own a class group, which are members.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentMappings {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub owner_enrollment_mappings: Vec<EnrollmentCode>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub member_enrollment_mappings: Vec<EnrollmentCode>,
}

/// One `sectionRoleReferenceValue`: a section role by its code (`teacher`, `student`, ...).
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct EnrollmentCode {
    #[serde(default)]
    pub code: String,
}

impl fmt::Display for EnrollmentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

evolvable! {
    /// Graph's `additionalClassGroupAttributes`.
    ClassGroupAttribute {
        CourseTitle = "courseTitle",
        CourseCode = "courseCode",
        CourseSubject = "courseSubject",
        CourseGradeLevel = "courseGradeLevel",
        CourseExternalId = "courseExternalId",
        AcademicSessionTitle = "academicSessionTitle",
        AcademicSessionExternalId = "academicSessionExternalId",
        ClassCode = "classCode",
        UnknownFutureValue = "unknownFutureValue",
    }
}

pub(crate) use flow_config_impl as flow_config;

pub(crate) fn join(items: &[impl fmt::Display]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A collection Graph answers as `null` reads as empty.
pub(crate) fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FlowBody;
    use serde_json::json;

    #[test]
    fn every_modelled_flow_type_reads_into_its_own_variant() {
        let flows: Vec<ProvisioningFlow> = serde_json::from_value(json!([
            {"@odata.type": ADMINISTRATIVE_UNIT_FLOW_TYPE, "id": "a", "readinessStatus": "ready",
             "creationOptions": {"createBasedOnOrg": true, "createBasedOnOrgPlusRoleGroup": false}},
            {"@odata.type": "microsoft.graph.industryData.classGroupProvisioningFlow", "id": "c",
             "readinessStatus": "disabled",
             "configuration": {
                "additionalAttributes": ["courseTitle", "courseColour"],
                "additionalOptions": {"createTeam": true, "writeDisplayNameOnCreateOnly": false},
                "enrollmentMappings": {"ownerEnrollmentMappings": [{"code": "teacher"}],
                                       "memberEnrollmentMappings": null}}},
        ]))
        .unwrap();
        let unit = flows[0].as_flow::<AdministrativeUnitConfig>().unwrap();
        assert!(unit.config.creation_options.create_based_on_org);
        let class = flows[1].as_flow::<ClassGroupConfig>().unwrap();
        assert_eq!(
            class.config.configuration.additional_attributes,
            [
                ClassGroupAttribute::CourseTitle,
                ClassGroupAttribute::Other("courseColour".to_owned())
            ],
            "a value Graph adds later is kept"
        );
        assert!(
            class
                .config
                .configuration
                .enrollment_mappings
                .member_enrollment_mappings
                .is_empty()
        );
        assert!(flows[1].as_flow::<AdministrativeUnitConfig>().is_none());
        assert_eq!(
            class.config.to_string(),
            "additionalAttributes=[courseTitle, courseColour], createTeam=true, writeDisplayNameOnCreateOnly=false, owners=[teacher], members=[]"
        );
    }

    #[test]
    fn a_class_group_body_has_every_member_graph_requires() {
        let config = ClassGroupConfig {
            configuration: ClassGroupConfiguration {
                additional_attributes: vec![ClassGroupAttribute::ClassCode],
                additional_options: AdditionalClassGroupOptions {
                    create_team: false,
                    write_display_name_on_create_only: true,
                },
                enrollment_mappings: EnrollmentMappings {
                    owner_enrollment_mappings: vec![EnrollmentCode {
                        code: "teacher".to_owned(),
                    }],
                    member_enrollment_mappings: Vec::new(),
                },
            },
        };
        assert_eq!(
            serde_json::to_value(FlowBody::new(&config)).unwrap(),
            json!({
                "@odata.type": CLASS_GROUP_FLOW_TYPE,
                "configuration": {
                    "additionalAttributes": ["classCode"],
                    "additionalOptions": {"createTeam": false, "writeDisplayNameOnCreateOnly": true},
                    "enrollmentMappings": {
                        "ownerEnrollmentMappings": [{"code": "teacher"}],
                        "memberEnrollmentMappings": []
                    }
                }
            })
        );
    }
}
