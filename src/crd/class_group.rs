//! The `ClassGroupProvisioningFlow` kind: its settings, `configuration` (what SDS writes on the
//! class groups it creates), their schema and their Graph shape. Graph normalises the casing of
//! enrollment codes and may list values in another order, so settings compare as sets, codes
//! without regard to case.

use std::collections::BTreeSet;

use graph::ClassGroupAttribute;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::schema::known_list;
use super::{FlowKind, FlowSpec, FlowStatus, GraphResource, Inputs, Policies};

/// Desired state of one School Data Sync class-group provisioning flow.
#[allow(
    clippy::duplicated_attributes,
    reason = "the two category(...) entries"
)]
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "industrydata.sds-operator.io",
    version = "v1alpha1",
    kind = "ClassGroupProvisioningFlow",
    plural = "classgroupprovisioningflows",
    namespaced,
    status = "ClassGroupProvisioningFlowStatus",
    derive = "PartialEq",
    shortname = "cgpf",
    category = "sds",
    category = "industrydata",
    doc = "A Microsoft Graph School Data Sync classGroupProvisioningFlow: tells SDS how to create \
           class groups (and Teams) from the classes of one outbound provisioning flow set."
)]
#[serde(rename_all = "camelCase")]
pub struct ClassGroupProvisioningFlowSpec {
    /// Which flow set, and how the operator treats the flow in it.
    #[serde(flatten)]
    pub flow: FlowSpec,

    /// What SDS writes on the class groups it creates; mirrors Graph's classGroupConfiguration.
    /// The operator changes the flow in Graph whenever it differs from this.
    pub configuration: ClassGroupConfiguration,
}

/// Graph's classGroupConfiguration, with Graph's own property names.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ClassGroupConfiguration {
    /// Course and session attributes SDS adds to each class group: courseTitle, courseCode,
    /// courseSubject, courseGradeLevel, courseExternalId, academicSessionTitle,
    /// academicSessionExternalId, classCode. Status shows any value Graph reports, including
    /// ones added after this operator was built.
    #[serde(default)]
    #[schemars(schema_with = "known_list::<ClassGroupAttribute>")]
    pub additional_attributes: Vec<ClassGroupAttribute>,

    /// Whether SDS creates a team for each class, and how it treats display names.
    pub additional_options: ClassGroupOptions,

    /// Which section roles own each class group and which are its members, by code.
    pub enrollment_mappings: EnrollmentMappings,
}

/// Graph's additionalClassGroupOptions.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ClassGroupOptions {
    /// Create a Microsoft Teams team for each class group.
    pub create_team: bool,

    /// Write a class group's display name only when SDS creates it, leaving later renames alone.
    pub write_display_name_on_create_only: bool,
}

/// Graph's enrollmentMappings: section roles by their code (teacher, student, staff, aide,
/// proctor, substitute, teacherAssistant, paraprofessional, ...). Graph normalises the casing of
/// codes, so they compare without regard to case.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentMappings {
    /// Section roles whose people own the class group (for example teacher).
    #[serde(default)]
    pub owner_enrollment_mappings: Vec<EnrollmentCode>,

    /// Section roles whose people are members of the class group (for example student).
    #[serde(default)]
    pub member_enrollment_mappings: Vec<EnrollmentCode>,
}

/// One section role, by its code.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq, Eq)]
pub struct EnrollmentCode {
    /// The section role's code, for example teacher or student.
    #[schemars(length(min = 1, max = 128))]
    pub code: String,
}

/// The status of a class-group flow.
pub type ClassGroupProvisioningFlowStatus = FlowStatus<ClassGroupMirror>;

/// What a class-group flow's status mirrors of its settings.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ClassGroupMirror {
    /// The flow's configuration as Graph last reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<ClassGroupConfiguration>,
}

impl GraphResource for ClassGroupProvisioningFlow {
    fn policies(&self) -> &Policies {
        &self.spec.flow.policies
    }
}

impl FlowKind for ClassGroupProvisioningFlow {
    type Config = graph::ClassGroupConfig;
    type Mirror = ClassGroupMirror;
    const FLOW_NOUN: &'static str = "class-group flow";
    const SETTINGS: &'static str = "configuration";

    fn flow_spec(&self) -> &FlowSpec {
        &self.spec.flow
    }

    fn flow_spec_mut(&mut self) -> &mut FlowSpec {
        &mut self.spec.flow
    }

    fn flow_status(&self) -> Option<&ClassGroupProvisioningFlowStatus> {
        self.status.as_ref()
    }

    fn desired(&self, _: &Inputs<'_>) -> graph::ClassGroupConfig {
        graph::ClassGroupConfig {
            configuration: self.spec.configuration.clone().into(),
        }
    }

    fn matches(&self, found: &graph::ClassGroupConfig) -> bool {
        Comparable::of(&self.spec.configuration)
            == Comparable::of(&found.configuration.clone().into())
    }

    fn mirror(config: &graph::ClassGroupConfig) -> ClassGroupMirror {
        ClassGroupMirror {
            configuration: Some(config.configuration.clone().into()),
        }
    }

    fn mirrored(mirror: &ClassGroupMirror) -> Option<graph::ClassGroupConfig> {
        mirror
            .configuration
            .clone()
            .map(|configuration| graph::ClassGroupConfig {
                configuration: configuration.into(),
            })
    }
}

/// A configuration as Graph means it: lists as sets, codes in lower case.
#[derive(PartialEq, Eq)]
struct Comparable {
    attributes: BTreeSet<String>,
    options: ClassGroupOptions,
    owners: BTreeSet<String>,
    members: BTreeSet<String>,
}

impl Comparable {
    fn of(configuration: &ClassGroupConfiguration) -> Self {
        let codes =
            |codes: &[EnrollmentCode]| codes.iter().map(|code| code.code.to_lowercase()).collect();
        let mappings = &configuration.enrollment_mappings;
        Self {
            attributes: configuration
                .additional_attributes
                .iter()
                .map(|attribute| attribute.as_str().to_owned())
                .collect(),
            options: configuration.additional_options,
            owners: codes(&mappings.owner_enrollment_mappings),
            members: codes(&mappings.member_enrollment_mappings),
        }
    }
}

impl From<ClassGroupConfiguration> for graph::ClassGroupConfiguration {
    fn from(configuration: ClassGroupConfiguration) -> Self {
        let codes = |codes: Vec<EnrollmentCode>| {
            codes
                .into_iter()
                .map(|code| graph::EnrollmentCode { code: code.code })
                .collect()
        };
        let mappings = configuration.enrollment_mappings;
        Self {
            additional_attributes: configuration.additional_attributes,
            additional_options: graph::AdditionalClassGroupOptions {
                create_team: configuration.additional_options.create_team,
                write_display_name_on_create_only: configuration
                    .additional_options
                    .write_display_name_on_create_only,
            },
            enrollment_mappings: graph::EnrollmentMappings {
                owner_enrollment_mappings: codes(mappings.owner_enrollment_mappings),
                member_enrollment_mappings: codes(mappings.member_enrollment_mappings),
            },
        }
    }
}

impl From<graph::ClassGroupConfiguration> for ClassGroupConfiguration {
    fn from(configuration: graph::ClassGroupConfiguration) -> Self {
        let codes = |codes: Vec<graph::EnrollmentCode>| {
            codes
                .into_iter()
                .map(|code| EnrollmentCode { code: code.code })
                .collect()
        };
        let mappings = configuration.enrollment_mappings;
        Self {
            additional_attributes: configuration.additional_attributes,
            additional_options: ClassGroupOptions {
                create_team: configuration.additional_options.create_team,
                write_display_name_on_create_only: configuration
                    .additional_options
                    .write_display_name_on_create_only,
            },
            enrollment_mappings: EnrollmentMappings {
                owner_enrollment_mappings: codes(mappings.owner_enrollment_mappings),
                member_enrollment_mappings: codes(mappings.member_enrollment_mappings),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(configuration: serde_json::Value) -> ClassGroupProvisioningFlow {
        ClassGroupProvisioningFlow::new(
            "classes",
            serde_json::from_value(serde_json::json!({
                "flowSetId": "9ab41255-5364-4c53-e15c-08dc4ab6ee03",
                "configuration": configuration,
            }))
            .unwrap(),
        )
    }

    #[test]
    fn graphs_normalised_codes_and_order_match_the_spec() {
        let flow = flow(serde_json::json!({
            "additionalAttributes": ["courseTitle", "classCode"],
            "additionalOptions": {"createTeam": true, "writeDisplayNameOnCreateOnly": false},
            "enrollmentMappings": {"ownerEnrollmentMappings": [{"code": "Teacher"}]},
        }));
        let answered: graph::ClassGroupConfig = serde_json::from_value(serde_json::json!({
            "configuration": {
                "additionalAttributes": ["classCode", "courseTitle"],
                "additionalOptions": {"createTeam": true, "writeDisplayNameOnCreateOnly": false},
                "enrollmentMappings": {"ownerEnrollmentMappings": [{"code": "teacher"}],
                                       "memberEnrollmentMappings": null},
            }
        }))
        .unwrap();
        assert!(flow.matches(&answered));
        let mut changed = answered.clone();
        changed.configuration.additional_options.create_team = false;
        assert!(!flow.matches(&changed));
        let mut member = answered;
        member
            .configuration
            .enrollment_mappings
            .member_enrollment_mappings
            .push(graph::EnrollmentCode {
                code: "student".into(),
            });
        assert!(!flow.matches(&member));
    }

    #[test]
    fn an_attribute_graph_added_later_is_mirrored_as_graph_sent_it() {
        let answered: graph::ClassGroupConfig = serde_json::from_value(serde_json::json!({
            "configuration": {
                "additionalAttributes": ["courseColour"],
                "additionalOptions": {"createTeam": false, "writeDisplayNameOnCreateOnly": false},
                "enrollmentMappings": {},
            }
        }))
        .unwrap();
        let mirror = ClassGroupProvisioningFlow::mirror(&answered);
        let status = serde_json::to_value(&mirror).unwrap();
        assert_eq!(
            status["configuration"]["additionalAttributes"],
            serde_json::json!(["courseColour"])
        );
        assert_eq!(
            ClassGroupProvisioningFlow::mirrored(&mirror),
            Some(answered)
        );
    }
}
