//! The user flow's settings in Graph's wire form. Two members read differently from how they are
//! written: a configuration's role group is sent as `roleGroup@odata.bind` (its URL) and answered
//! expanded (compared by id), and the default password is write-only (answered masked, so it is
//! never read back: `DefaultPassword::Masked`).

use std::fmt;

use serde::ser::{Error as _, SerializeMap as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::endpoints::GraphEndpoints;
use crate::evolvable::evolvable;
use crate::flow_types::{flow_config, join, null_as_empty};
use crate::identity::secret::SecretString;
use crate::model::{Flow, FlowConfig, ProvisioningFlow};

/// `@odata.type` of a user provisioning flow.
pub const USER_FLOW_TYPE: &str = "#microsoft.graph.industryData.userProvisioningFlow";
const SIMPLE_PASSWORD_SETTINGS: &str = "#microsoft.graph.industryData.simplePasswordSettings";

/// A user flow's own settings.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserConfig {
    /// Whether SDS creates users it cannot match to existing ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_unmatched_users: Option<bool>,
    #[serde(default)]
    pub management_options: UserManagementOptions,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_options: Option<UserCreationOptions>,
}

flow_config!(UserConfig, User, USER_FLOW_TYPE);

impl fmt::Display for UserConfig {
    /// The settings for messages; a password shows only as "set".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let options = &self.management_options;
        write!(
            f,
            "createUnmatchedUsers={}, additionalAttributes=[{}], studentAgeGroup={}, allowStudentContactAssociation={}",
            shown(self.create_unmatched_users),
            join(&options.additional_attributes),
            shown(options.additional_options.student_age_group.as_ref()),
            shown(options.additional_options.allow_student_contact_association),
        )?;
        let configurations = self
            .creation_options
            .iter()
            .flat_map(|options| &options.configurations);
        for configuration in configurations {
            write!(
                f,
                ", roleGroup {}: licenseSkus=[{}], defaultPassword={}",
                configuration.role_group.id,
                configuration.license_skus.join(", "),
                if configuration.default_password.is_some() {
                    "set"
                } else {
                    "none"
                }
            )?;
        }
        Ok(())
    }
}

fn shown(value: Option<impl fmt::Display>) -> String {
    value.map_or_else(|| "null".to_owned(), |value| value.to_string())
}

/// Graph's `userManagementOptions`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserManagementOptions {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub additional_attributes: Vec<UserAttribute>,
    #[serde(default)]
    pub additional_options: AdditionalUserOptions,
}

/// Graph's `additionalUserOptions`. `markAllStudentsAsMinors` is deprecated (removed
/// 2025-10-15, in favour of `studentAgeGroup`): read, never sent unless set.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AdditionalUserOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_student_contact_association: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub student_age_group: Option<StudentAgeGroup>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark_all_students_as_minors: Option<bool>,
}

/// Graph's `userCreationOptions`: how SDS creates the users of each role group.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct UserCreationOptions {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub configurations: Vec<UserConfiguration>,
}

/// Graph's `userConfiguration`: the licences and default password of one role group's users.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserConfiguration {
    pub role_group: RoleGroupRef,
    pub default_password: Option<DefaultPassword>,
    pub license_skus: Vec<String>,
}

/// A role group a configuration applies to: its id, and (to send it) its URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleGroupRef {
    pub id: String,
    /// `{graph}/beta/external/industryData/roleGroups/{id}`: what `roleGroup@odata.bind` sends.
    /// Graph answers the role group expanded, without it.
    pub url: Option<String>,
}

impl RoleGroupRef {
    /// Role group `id` of the Graph that `endpoints` names.
    pub fn new(endpoints: &GraphEndpoints, id: &str) -> Self {
        Self {
            id: id.to_owned(),
            url: Some(
                endpoints
                    .beta_url(&["external", "industryData", "roleGroups", id])
                    .to_string(),
            ),
        }
    }
}

/// A configuration's default password: the value to send, or Graph's masked answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefaultPassword {
    Password(SecretString),
    /// Graph answers a set password masked: it cannot be compared with anything.
    Masked,
}

impl Serialize for UserConfiguration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let url = self.role_group.url.as_deref().ok_or_else(|| {
            S::Error::custom(format!(
                "role group {} has no URL to bind to (RoleGroupRef::new)",
                self.role_group.id
            ))
        })?;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("roleGroup@odata.bind", url)?;
        match &self.default_password {
            Some(DefaultPassword::Password(password)) => map.serialize_entry(
                "defaultPasswordSettings",
                &serde_json::json!({
                    "@odata.type": SIMPLE_PASSWORD_SETTINGS,
                    "password": password.expose_secret(),
                }),
            )?,
            Some(DefaultPassword::Masked) => {
                return Err(S::Error::custom(
                    "a masked password cannot be sent: give the password itself",
                ));
            }
            None => {}
        }
        map.serialize_entry("licenseSkus", &self.license_skus)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for UserConfiguration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Answered {
            #[serde(default)]
            role_group: Option<RoleGroupAnswer>,
            #[serde(default)]
            default_password_settings: Option<serde::de::IgnoredAny>,
            #[serde(default, deserialize_with = "null_as_empty")]
            license_skus: Vec<String>,
        }
        #[derive(Deserialize)]
        struct RoleGroupAnswer {
            id: String,
        }
        let answered = Answered::deserialize(deserializer)?;
        Ok(Self {
            role_group: RoleGroupRef {
                id: answered
                    .role_group
                    .map(|group| group.id)
                    .unwrap_or_default(),
                url: None,
            },
            default_password: answered
                .default_password_settings
                .map(|_| DefaultPassword::Masked),
            license_skus: answered.license_skus,
        })
    }
}

evolvable! {
    /// Graph's `additionalUserAttributes`.
    UserAttribute {
        UserGradeLevel = "userGradeLevel",
        UserNumber = "userNumber",
        UnknownFutureValue = "unknownFutureValue",
    }
}

evolvable! {
    /// Graph's `studentAgeGroup`.
    StudentAgeGroup {
        Minor = "minor",
        NotAdult = "notAdult",
        Adult = "adult",
        UnknownFutureValue = "unknownFutureValue",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FlowBody;
    use serde_json::json;

    fn endpoints() -> GraphEndpoints {
        GraphEndpoints::new(
            "https://graph.microsoft.com",
            "https://login.microsoftonline.com",
        )
        .unwrap()
    }

    fn config() -> UserConfig {
        UserConfig {
            create_unmatched_users: Some(true),
            management_options: UserManagementOptions {
                additional_attributes: vec![UserAttribute::UserGradeLevel],
                additional_options: AdditionalUserOptions {
                    student_age_group: Some(StudentAgeGroup::Minor),
                    ..AdditionalUserOptions::default()
                },
            },
            creation_options: Some(UserCreationOptions {
                configurations: vec![UserConfiguration {
                    role_group: RoleGroupRef::new(&endpoints(), "students"),
                    default_password: Some(DefaultPassword::Password(SecretString::new(
                        "Sup3rS3cret!",
                    ))),
                    license_skus: vec!["STANDARDWOFFPACK_STUDENT".to_owned()],
                }],
            }),
        }
    }

    #[test]
    fn a_user_flow_body_binds_its_role_group_and_sends_the_password_typed() {
        assert_eq!(
            serde_json::to_value(FlowBody::new(&config())).unwrap(),
            json!({
                "@odata.type": USER_FLOW_TYPE,
                "createUnmatchedUsers": true,
                "managementOptions": {
                    "additionalAttributes": ["userGradeLevel"],
                    "additionalOptions": {"studentAgeGroup": "minor"}
                },
                "creationOptions": {"configurations": [{
                    "roleGroup@odata.bind": "https://graph.microsoft.com/beta/external/industryData/roleGroups/students",
                    "defaultPasswordSettings": {
                        "@odata.type": SIMPLE_PASSWORD_SETTINGS,
                        "password": "Sup3rS3cret!"
                    },
                    "licenseSkus": ["STANDARDWOFFPACK_STUDENT"]
                }]}
            })
        );
    }

    #[test]
    fn graphs_answer_reads_the_role_group_by_id_and_the_password_as_masked() {
        let flow: ProvisioningFlow = serde_json::from_value(json!({
            "@odata.type": USER_FLOW_TYPE, "id": "u", "readinessStatus": "ready",
            "createUnmatchedUsers": null,
            "managementOptions": {
                "additionalAttributes": ["userNumber", "userHouse"],
                "additionalOptions": {"studentAgeGroup": "teen", "markAllStudentsAsMinors": null}
            },
            "creationOptions": {"configurations": [{
                "roleGroup@odata.context": "https://graph.microsoft.com/beta/$metadata#x/$entity",
                "roleGroup": {"id": "staff", "displayName": "Staff", "roles": [{"code": "teacher"}]},
                "defaultPasswordSettings": {"@odata.type": SIMPLE_PASSWORD_SETTINGS, "password": "***************"},
                "licenseSkus": null
            }]}
        }))
        .unwrap();
        let flow = flow.into_flow::<UserConfig>().expect("a user flow");
        let options = &flow.config.management_options;
        assert_eq!(
            options.additional_attributes,
            [
                UserAttribute::UserNumber,
                UserAttribute::Other("userHouse".to_owned())
            ]
        );
        assert_eq!(
            options.additional_options.student_age_group,
            Some(StudentAgeGroup::Other("teen".to_owned()))
        );
        let configuration = &flow
            .config
            .creation_options
            .as_ref()
            .unwrap()
            .configurations[0];
        assert_eq!(configuration.role_group.id, "staff");
        assert_eq!(
            configuration.default_password,
            Some(DefaultPassword::Masked)
        );
        assert!(configuration.license_skus.is_empty());
    }

    #[test]
    fn no_debug_or_display_shows_the_password() {
        let config = config();
        for shown in [format!("{config:?}"), config.to_string()] {
            assert!(!shown.contains("Sup3rS3cret"), "{shown}");
        }
        assert!(config.to_string().contains("defaultPassword=set"));
    }
}
