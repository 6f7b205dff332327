//! Flow sets and the administrative-unit, class-group and user flows through the Graph client: what it sends passes
//! the emulator's rules from Graph's metadata, and what Graph answers (codes normalised, every
//! member present) reads back into the client's types, each flow into its own variant.

use graph::{
    AdditionalClassGroupOptions, AdditionalUserOptions, AdminUnitCreationOptions,
    AdministrativeUnitConfig, BasicFilter, ClassGroupAttribute, ClassGroupConfig,
    ClassGroupConfiguration, DefaultPassword, EnrollmentCode, EnrollmentMappings, FilterAttribute,
    FlowSetSettings, RoleGroupRef, StudentAgeGroup, UserAttribute, UserConfig, UserConfiguration,
    UserCreationOptions, UserManagementOptions,
};

use crate::fixture::*;

fn code(code: &str) -> EnrollmentCode {
    EnrollmentCode {
        code: code.to_owned(),
    }
}

#[tokio::test]
async fn administrative_unit_and_class_group_flows_are_created_read_updated_and_listed() {
    let emu = emulator().await;
    let client = writer(&emu);
    let units = AdministrativeUnitConfig {
        creation_options: AdminUnitCreationOptions {
            create_based_on_org: true,
            create_based_on_org_plus_role_group: false,
        },
    };
    let created = client
        .create_flow(FLOW_SET, &units, Uuid::new_v4())
        .await
        .unwrap()
        .value
        .into_flow::<AdministrativeUnitConfig>()
        .expect("an administrative-unit flow");
    assert_eq!(created.config, units);

    let classes = ClassGroupConfig {
        configuration: ClassGroupConfiguration {
            additional_attributes: vec![
                ClassGroupAttribute::CourseTitle,
                ClassGroupAttribute::AcademicSessionTitle,
            ],
            additional_options: AdditionalClassGroupOptions {
                create_team: true,
                write_display_name_on_create_only: false,
            },
            enrollment_mappings: EnrollmentMappings {
                owner_enrollment_mappings: vec![code("Teacher")],
                member_enrollment_mappings: vec![code("student"), code("aide")],
            },
        },
    };
    let class_flow = client
        .create_flow(FLOW_SET, &classes, Uuid::new_v4())
        .await
        .unwrap()
        .value
        .into_flow::<ClassGroupConfig>()
        .expect("a class-group flow");
    let mappings = &class_flow.config.configuration.enrollment_mappings;
    assert_eq!(
        mappings.owner_enrollment_mappings,
        [code("teacher")],
        "Graph answers the code in its normal spelling"
    );

    let mut changed = class_flow.config.clone();
    changed
        .configuration
        .additional_options
        .write_display_name_on_create_only = true;
    client
        .update_flow(FLOW_SET, &class_flow.id, &changed)
        .await
        .unwrap();
    let read = client
        .get_flow(FLOW_SET, &class_flow.id)
        .await
        .unwrap()
        .value
        .into_flow::<ClassGroupConfig>()
        .unwrap();
    assert_eq!(read.config, changed);

    let flows = client.list_flows(FLOW_SET).await.unwrap().value;
    assert_eq!(flows.len(), 2);
    assert!(flows[0].as_flow::<AdministrativeUnitConfig>().is_some());
    assert!(flows[1].as_flow::<ClassGroupConfig>().is_some());
    let writes: Vec<_> = journal(&emu)
        .await
        .into_iter()
        .filter(|entry| entry.method != "GET" && entry.path.starts_with("/beta/"))
        .map(|entry| entry.status)
        .collect();
    assert_eq!(writes, [201, 201, 204], "nothing refused");
}

#[tokio::test]
async fn a_user_flow_binds_its_role_group_sends_its_password_and_reads_both_back_safely() {
    let emu = emulator().await;
    let client = writer(&emu);
    let endpoints = GraphEndpoints::new(emu.base_url(), emu.base_url()).unwrap();
    let users = UserConfig {
        create_unmatched_users: Some(false),
        management_options: UserManagementOptions {
            additional_attributes: vec![UserAttribute::UserNumber],
            additional_options: AdditionalUserOptions {
                student_age_group: Some(StudentAgeGroup::NotAdult),
                ..AdditionalUserOptions::default()
            },
        },
        creation_options: Some(UserCreationOptions {
            configurations: vec![UserConfiguration {
                role_group: RoleGroupRef::new(&endpoints, "staff"),
                default_password: Some(DefaultPassword::Password(SecretString::new(
                    "Welcome-2026!",
                ))),
                license_skus: vec!["STANDARDWOFFPACK_FACULTY".to_owned()],
            }],
        }),
    };
    let created = client
        .create_flow(FLOW_SET, &users, Uuid::new_v4())
        .await
        .unwrap()
        .value
        .into_flow::<UserConfig>()
        .expect("a user flow");
    let configuration = &created
        .config
        .creation_options
        .as_ref()
        .unwrap()
        .configurations[0];
    assert_eq!(
        configuration.role_group.id, "staff",
        "the bound role group, expanded"
    );
    assert_eq!(
        configuration.default_password,
        Some(DefaultPassword::Masked)
    );
    assert_eq!(created.config.management_options, users.management_options);
    let post = journal(&emu)
        .await
        .into_iter()
        .find(|entry| entry.method == "POST" && entry.path.ends_with("/provisioningFlows"))
        .expect("the create");
    let bind = &post.body["creationOptions"]["configurations"][0]["roleGroup@odata.bind"];
    assert_eq!(
        bind.as_str(),
        Some(
            format!(
                "{}/beta/external/industryData/roleGroups/staff",
                emu.base_url()
            )
            .as_str()
        )
    );
    assert!(
        !post.body.to_string().contains("Welcome-2026!"),
        "the journal keeps no password: {}",
        post.body
    );
}

#[tokio::test]
async fn flow_sets_are_created_listed_updated_and_deleted() {
    let emu = emulator().await;
    let client = writer(&emu);
    let settings = FlowSetSettings {
        display_name: "Contoso high schools".to_owned(),
        filter: Some(BasicFilter::organisations(vec![
            "hs-1".to_owned(),
            "hs-2".to_owned(),
        ])),
    };
    let create_id = Uuid::new_v4();
    let created = client.create_flow_set(&settings, create_id).await.unwrap();
    assert_eq!(created.client_request_id, create_id.to_string());
    let set = created.value;
    assert_eq!(set.settings(), settings, "read back as sent");
    assert_eq!(
        set.filter.as_ref().unwrap().attribute,
        FilterAttribute::OrgExternalId
    );

    let sets = client.list_flow_sets().await.unwrap().value;
    let ids: Vec<&str> = sets.iter().map(|set| set.id.as_str()).collect();
    assert_eq!(ids, [FLOW_SET, set.id.as_str()]);

    // The docs list no application permission for an update: the emulator refuses app-only.
    let unfiltered = FlowSetSettings {
        display_name: "Contoso schools".to_owned(),
        filter: None,
    };
    let refused = client
        .update_flow_set(&set.id, &unfiltered)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(403));
    assert!(
        refused
            .to_string()
            .contains("updating the outbound provisioning flow set"),
        "{refused}"
    );

    client.delete_flow_set(&set.id).await.unwrap();
    let sets = client.list_flow_sets().await.unwrap().value;
    assert_eq!(sets.len(), 1);
    let body = journal(&emu)
        .await
        .into_iter()
        .find(|entry| {
            entry.method == "POST" && entry.path.ends_with("outboundProvisioningFlowSets")
        })
        .unwrap()
        .body;
    assert_eq!(
        body,
        json!({
            "displayName": "Contoso high schools",
            "filter": {
                "@odata.type": "#microsoft.graph.industryData.basicFilter",
                "attribute": "orgExternalId",
                "in": ["hs-1", "hs-2"]
            }
        })
    );
}
