//! The `UserProvisioningFlow` kind: which users SDS creates and manages. Two settings read back
//! differently from how they are written: a configuration's role group is bound by URL and
//! answered expanded (compared by id), and its default password is write-only, taken from a
//! Secret key at each sync and compared through the fingerprint status keeps of what was sent.
//! A member the spec leaves out is left as Graph has it.

use std::collections::{BTreeMap, BTreeSet};

use graph::{StudentAgeGroup, UserAttribute};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::schema::{known, known_list};
use super::{
    FlowKind, FlowSpec, FlowStatus, GraphResource, Inputs, Policies, SecretKeyReference, SecretSlot,
};

/// A role group's id as Graph writes it in a URL.
const ROLE_GROUP_ID_PATTERN: &str = "^[A-Za-z0-9._-]+$";

/// Desired state of one School Data Sync user provisioning flow.
#[allow(
    clippy::duplicated_attributes,
    reason = "the two category(...) entries"
)]
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "industrydata.sds-operator.io",
    version = "v1alpha1",
    kind = "UserProvisioningFlow",
    plural = "userprovisioningflows",
    namespaced,
    status = "UserProvisioningFlowStatus",
    derive = "PartialEq",
    shortname = "upf",
    category = "sds",
    category = "industrydata",
    doc = "A Microsoft Graph School Data Sync userProvisioningFlow: tells SDS which users to create \
           and manage from the people of one outbound provisioning flow set."
)]
#[serde(rename_all = "camelCase")]
pub struct UserProvisioningFlowSpec {
    /// Which flow set, and how the operator treats the flow in it.
    #[serde(flatten)]
    pub flow: FlowSpec,

    /// Whether SDS creates the users it cannot match to existing ones. When absent, Graph's
    /// value is left as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_unmatched_users: Option<bool>,

    /// How SDS manages users; mirrors Graph's userManagementOptions.
    pub management_options: UserManagementOptions,

    /// How SDS creates the users of each role group (licences, default password). When absent,
    /// Graph's value is left as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_options: Option<UserCreationOptions>,
}

/// Graph's userManagementOptions.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserManagementOptions {
    /// Attributes SDS writes on each user: userGradeLevel, userNumber. Status shows any value
    /// Graph reports, including ones added after this operator was built.
    #[serde(default)]
    #[schemars(schema_with = "known_list::<UserAttribute>")]
    pub additional_attributes: Vec<UserAttribute>,

    /// Further options for students.
    #[serde(default)]
    pub additional_options: UserOptions,
}

/// Graph's additionalUserOptions (its deprecated markAllStudentsAsMinors is left out: use
/// studentAgeGroup). A member left out is left as Graph has it.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserOptions {
    /// Whether students may be associated with their contacts (guardians).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_student_contact_association: Option<bool>,

    /// The age group SDS records for students: minor, notAdult or adult.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "known::<StudentAgeGroup>")]
    pub student_age_group: Option<StudentAgeGroup>,
}

/// Graph's userCreationOptions.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserCreationOptions {
    /// One configuration per role group, at most one each.
    #[serde(default)]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["roleGroupId"]))]
    pub configurations: Vec<UserConfiguration>,
}

/// Graph's userConfiguration: the licences and default password of one role group's new users.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserConfiguration {
    /// Id of the role group (in Graph's roleGroups, for example staff or students).
    #[schemars(pattern(ROLE_GROUP_ID_PATTERN), length(min = 1, max = 128))]
    pub role_group_id: String,

    /// SKU ids of the licences SDS assigns to the role group's new users.
    #[serde(default)]
    pub license_skus: Vec<String>,

    /// The Secret key holding the default password of the role group's new users. The password
    /// is never in the spec, status, events or logs; when the key's value changes, it is sent
    /// again. The Secret must carry the label industrydata.sds-operator.io/credential: "true".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_password_secret_ref: Option<SecretKeyReference>,
}

/// The status of a user flow.
pub type UserProvisioningFlowStatus = FlowStatus<UserMirror>;

/// What a user flow's status mirrors of its settings.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UserMirror {
    /// createUnmatchedUsers as Graph last reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_unmatched_users: Option<bool>,

    /// The flow's managementOptions as Graph last reported them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub management_options: Option<UserManagementOptions>,

    /// The flow's creation configurations as Graph last reported them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_options: Option<MirroredCreationOptions>,
}

/// Graph's userCreationOptions as reported: passwords only as set or not.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MirroredCreationOptions {
    /// One entry per role group.
    #[serde(default)]
    pub configurations: Vec<MirroredConfiguration>,
}

/// One role group's configuration as Graph reports it.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MirroredConfiguration {
    /// Id of the role group.
    pub role_group_id: String,
    /// SKU ids of the licences assigned.
    #[serde(default)]
    pub license_skus: Vec<String>,
    /// Whether Graph holds a default password (it never shows the value).
    #[serde(default)]
    pub default_password_set: bool,
}

impl GraphResource for UserProvisioningFlow {
    fn policies(&self) -> &Policies {
        &self.spec.flow.policies
    }
}

impl FlowKind for UserProvisioningFlow {
    type Config = graph::UserConfig;
    type Mirror = UserMirror;
    const FLOW_NOUN: &'static str = "user flow";
    const SETTINGS: &'static str = "user settings";

    fn flow_spec(&self) -> &FlowSpec {
        &self.spec.flow
    }

    fn flow_spec_mut(&mut self) -> &mut FlowSpec {
        &mut self.spec.flow
    }

    fn flow_status(&self) -> Option<&UserProvisioningFlowStatus> {
        self.status.as_ref()
    }

    fn desired(&self, inputs: &Inputs<'_>) -> graph::UserConfig {
        let spec = &self.spec;
        let options = &spec.management_options;
        graph::UserConfig {
            create_unmatched_users: spec.create_unmatched_users,
            management_options: graph::UserManagementOptions {
                additional_attributes: options.additional_attributes.clone(),
                additional_options: graph::AdditionalUserOptions {
                    allow_student_contact_association: options
                        .additional_options
                        .allow_student_contact_association,
                    student_age_group: options.additional_options.student_age_group.clone(),
                    mark_all_students_as_minors: None,
                },
            },
            creation_options: spec.creation_options.as_ref().map(|creation| {
                graph::UserCreationOptions {
                    configurations: creation
                        .configurations
                        .iter()
                        .map(|configuration| graph::UserConfiguration {
                            role_group: graph::RoleGroupRef::new(
                                inputs.endpoints,
                                &configuration.role_group_id,
                            ),
                            default_password: inputs
                                .secrets
                                .get(&configuration.role_group_id)
                                .map(|password| graph::DefaultPassword::Password(password.clone())),
                            license_skus: configuration.license_skus.clone(),
                        })
                        .collect(),
                }
            }),
        }
    }

    fn matches(&self, found: &graph::UserConfig) -> bool {
        let spec = &self.spec;
        let wanted = &spec.management_options;
        let reported = &found.management_options;
        let attributes = |attributes: &[UserAttribute]| -> BTreeSet<String> {
            attributes
                .iter()
                .map(|attribute| attribute.as_str().to_owned())
                .collect()
        };
        left_or_equal(spec.create_unmatched_users, found.create_unmatched_users)
            && attributes(&wanted.additional_attributes)
                == attributes(&reported.additional_attributes)
            && left_or_equal(
                wanted.additional_options.allow_student_contact_association,
                reported
                    .additional_options
                    .allow_student_contact_association,
            )
            && left_or_equal(
                wanted.additional_options.student_age_group.as_ref(),
                reported.additional_options.student_age_group.as_ref(),
            )
            && spec.creation_options.as_ref().is_none_or(|creation| {
                let reported = mirror_creation(found);
                compared(creation.configurations.iter().map(|wanted| {
                    (
                        &wanted.role_group_id,
                        wanted.license_skus.as_slice(),
                        wanted.default_password_secret_ref.is_some(),
                    )
                })) == compared(reported.configurations.iter().map(|found| {
                    (
                        &found.role_group_id,
                        found.license_skus.as_slice(),
                        found.default_password_set,
                    )
                }))
            })
    }

    fn secret_keys(&self) -> Vec<SecretSlot<'_>> {
        self.spec
            .creation_options
            .iter()
            .flat_map(|creation| &creation.configurations)
            .filter_map(|configuration| {
                let reference = configuration.default_password_secret_ref.as_ref()?;
                Some(SecretSlot {
                    slot: &configuration.role_group_id,
                    field: format!(
                        "the defaultPasswordSecretRef of role group {}",
                        configuration.role_group_id
                    ),
                    reference,
                })
            })
            .collect()
    }

    fn mirror(config: &graph::UserConfig) -> UserMirror {
        let options = &config.management_options;
        UserMirror {
            create_unmatched_users: config.create_unmatched_users,
            management_options: Some(UserManagementOptions {
                additional_attributes: options.additional_attributes.clone(),
                additional_options: UserOptions {
                    allow_student_contact_association: options
                        .additional_options
                        .allow_student_contact_association,
                    student_age_group: options.additional_options.student_age_group.clone(),
                },
            }),
            creation_options: config
                .creation_options
                .as_ref()
                .map(|_| mirror_creation(config)),
        }
    }

    fn mirrored(mirror: &UserMirror) -> Option<graph::UserConfig> {
        let options = mirror.management_options.as_ref()?;
        Some(graph::UserConfig {
            create_unmatched_users: mirror.create_unmatched_users,
            management_options: graph::UserManagementOptions {
                additional_attributes: options.additional_attributes.clone(),
                additional_options: graph::AdditionalUserOptions {
                    allow_student_contact_association: options
                        .additional_options
                        .allow_student_contact_association,
                    student_age_group: options.additional_options.student_age_group.clone(),
                    mark_all_students_as_minors: None,
                },
            },
            creation_options: mirror.creation_options.as_ref().map(|creation| {
                graph::UserCreationOptions {
                    configurations: creation
                        .configurations
                        .iter()
                        .map(|configuration| graph::UserConfiguration {
                            role_group: graph::RoleGroupRef {
                                id: configuration.role_group_id.clone(),
                                url: None,
                            },
                            default_password: configuration
                                .default_password_set
                                .then_some(graph::DefaultPassword::Masked),
                            license_skus: configuration.license_skus.clone(),
                        })
                        .collect(),
                }
            }),
        })
    }
}

/// Whether a member the spec may leave out is left out, or as Graph reports it.
fn left_or_equal<T: PartialEq>(wanted: Option<T>, reported: Option<T>) -> bool {
    wanted.is_none() || wanted == reported
}

/// Graph's creation configurations as status shows them.
fn mirror_creation(config: &graph::UserConfig) -> MirroredCreationOptions {
    MirroredCreationOptions {
        configurations: config
            .creation_options
            .iter()
            .flat_map(|creation| &creation.configurations)
            .map(|configuration| MirroredConfiguration {
                role_group_id: configuration.role_group.id.clone(),
                license_skus: configuration.license_skus.clone(),
                default_password_set: configuration.default_password.is_some(),
            })
            .collect(),
    }
}

/// What a comparison sees of the role groups' configurations: each one's licences as a set, and
/// whether it has a password.
fn compared<'a>(
    configurations: impl Iterator<Item = (&'a String, &'a [String], bool)>,
) -> BTreeMap<&'a str, (BTreeSet<&'a str>, bool)> {
    configurations
        .map(|(id, skus, password)| {
            (
                id.as_str(),
                (skus.iter().map(String::as_str).collect(), password),
            )
        })
        .collect()
}
