//! The types of Graph's beta metadata, rule by rule, for every flow type: unknown members, wrong
//! JSON types, missing or null non-nullable members, abstract types without `@odata.type`, enum
//! values, role-group binds; PATCH needing each type's main member; and answers that carry
//! every member, codes in their normal spelling, role groups expanded, no request annotation.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

const CLASS_GROUP: &str = "#microsoft.graph.industryData.classGroupProvisioningFlow";
const USER: &str = "#microsoft.graph.industryData.userProvisioningFlow";
const ADMIN_UNIT: &str = "#microsoft.graph.industryData.administrativeUnitProvisioningFlow";

fn class_group() -> Value {
    json!({
        "@odata.type": CLASS_GROUP,
        "configuration": {
            "additionalAttributes": ["courseTitle", "classCode"],
            "additionalOptions": { "createTeam": true, "writeDisplayNameOnCreateOnly": false },
            "enrollmentMappings": {
                "ownerEnrollmentMappings": [{ "code": "Teacher" }],
                "memberEnrollmentMappings": [{ "code": "student" }, { "code": "houseCaptain" }]
            }
        }
    })
}

fn user(base_url: &str) -> Value {
    json!({
        "@odata.type": USER,
        "managementOptions": {
            "additionalAttributes": ["userGradeLevel"],
            "additionalOptions": { "studentAgeGroup": "minor" }
        },
        "creationOptions": { "configurations": [{
            "roleGroup@odata.bind": format!("{base_url}/beta/external/industryData/roleGroups/staff"),
            "defaultPasswordSettings": {
                "@odata.type": "#microsoft.graph.industryData.simplePasswordSettings",
                "password": "Sup3rS3cret!"
            },
            "licenseSkus": ["STANDARDWOFFPACK_FACULTY"]
        }] }
    })
}

fn admin_unit() -> Value {
    json!({
        "@odata.type": ADMIN_UNIT,
        "creationOptions": { "createBasedOnOrg": true, "createBasedOnOrgPlusRoleGroup": false }
    })
}

/// Sets `pointer` (a JSON pointer) in `body` to `value`, or removes it when `value` is None.
fn with(mut body: Value, pointer: &str, value: Option<Value>) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = body.pointer_mut(parent).unwrap();
    match (parent, value) {
        (Value::Object(map), Some(value)) => {
            map.insert(key.to_owned(), value);
        }
        (Value::Object(map), None) => {
            map.remove(key);
        }
        (Value::Array(items), Some(value)) => items[key.parse::<usize>().unwrap()] = value,
        (other, _) => panic!("{pointer}: {other}"),
    }
    body
}

async fn refused(h: &Harness, set: &str, body: Value, naming: &str) {
    let response = h
        .graph(Method::POST, &flows_path(set), Some(body.clone()))
        .await;
    let error = odata_error(response, 400, "BadRequest").await;
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains(naming), "{body}\n-> {message}");
}

#[tokio::test]
async fn every_flow_type_refuses_what_its_metadata_does_not_allow() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    let base = h.emu.base_url().to_owned();
    let cases: Vec<(Value, &str)> = vec![
        // The two examples.
        (
            json!({"@odata.type": CLASS_GROUP, "configuration": true}),
            "'configuration' must be an object",
        ),
        (
            with(user(&base), "/managementOptions", None),
            "'managementOptions' is required",
        ),
        // Unknown members, at any depth.
        (
            with(
                class_group(),
                "/configuration/additionalOptions/colour",
                Some(json!("red")),
            ),
            "'colour' does not exist on type 'microsoft.graph.industryData.additionalClassGroupOptions'",
        ),
        (
            with(
                admin_unit(),
                "/creationOptions/createBasedOnRoleGroup",
                Some(json!(true)),
            ),
            "'createBasedOnRoleGroup' does not exist",
        ),
        // Wrong JSON types.
        (
            with(
                class_group(),
                "/configuration/additionalOptions/createTeam",
                Some(json!("yes")),
            ),
            "'configuration.additionalOptions.createTeam' must be a boolean",
        ),
        (
            with(user(&base), "/createUnmatchedUsers", Some(json!(1))),
            "'createUnmatchedUsers' must be a boolean",
        ),
        (
            with(
                user(&base),
                "/creationOptions/configurations/0/licenseSkus",
                Some(json!("one")),
            ),
            "must be an array",
        ),
        // Missing and null non-nullable members.
        (
            with(
                class_group(),
                "/configuration/additionalOptions/writeDisplayNameOnCreateOnly",
                None,
            ),
            "'configuration.additionalOptions.writeDisplayNameOnCreateOnly' is required",
        ),
        (
            with(
                class_group(),
                "/configuration/enrollmentMappings",
                Some(Value::Null),
            ),
            "'configuration.enrollmentMappings' cannot be null",
        ),
        (
            with(admin_unit(), "/creationOptions/createBasedOnOrg", None),
            "'creationOptions.createBasedOnOrg' is required",
        ),
        (
            with(
                sg_body(true, false),
                "/creationOptions/createBasedOnOrgPlusRoleGroup",
                None,
            ),
            "'creationOptions.createBasedOnOrgPlusRoleGroup' is required",
        ),
        (
            with(
                user(&base),
                "/creationOptions/configurations/0/defaultPasswordSettings/password",
                None,
            ),
            "defaultPasswordSettings.password' is required",
        ),
        (
            with(
                user(&base),
                "/creationOptions/configurations/0/roleGroup@odata.bind",
                None,
            ),
            "'creationOptions.configurations[0].roleGroup' is required",
        ),
        // An abstract type needs @odata.type naming a derived one.
        (
            with(
                user(&base),
                "/creationOptions/configurations/0/defaultPasswordSettings/@odata.type",
                None,
            ),
            "abstract",
        ),
        // Enum values.
        (
            with(
                class_group(),
                "/configuration/additionalAttributes",
                Some(json!(["courseColour"])),
            ),
            "'courseColour' of 'configuration.additionalAttributes[0]' is not valid for the enum 'microsoft.graph.industryData.additionalClassGroupAttributes'",
        ),
        (
            with(
                user(&base),
                "/managementOptions/additionalOptions/studentAgeGroup",
                Some(json!("teen")),
            ),
            "not valid for the enum 'microsoft.graph.industryData.studentAgeGroup'",
        ),
        // Role groups: bound by URL, to one that exists.
        (
            with(
                user(&base),
                "/creationOptions/configurations/0/roleGroup@odata.bind",
                Some(json!(format!(
                    "{base}/beta/external/industryData/roleGroups/parents"
                ))),
            ),
            "'parents', which does not exist",
        ),
        (
            with(
                with(
                    user(&base),
                    "/creationOptions/configurations/0/roleGroup@odata.bind",
                    None,
                ),
                "/creationOptions/configurations/0/roleGroup",
                Some(json!({"id": "staff"})),
            ),
            "roleGroup@odata.bind",
        ),
    ];
    for (body, naming) in cases {
        refused(&h, &set, body, naming).await;
    }
    assert!(
        h.emu
            .admin()
            .state()
            .await
            .unwrap()
            .flow_set(&set)
            .unwrap()
            .flows
            .is_empty(),
        "nothing refused was stored"
    );
}

#[tokio::test]
async fn answers_carry_every_member_normal_codes_and_expanded_role_groups() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    let base = h.emu.base_url().to_owned();

    let response = h
        .graph(Method::POST, &flows_path(&set), Some(class_group()))
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let mappings = &created["configuration"]["enrollmentMappings"];
    assert_eq!(
        mappings["ownerEnrollmentMappings"],
        json!([{ "code": "teacher" }]),
        "{created}"
    );
    assert_eq!(
        mappings["memberEnrollmentMappings"],
        json!([{ "code": "student" }, { "code": "houseCaptain" }]),
        "a code Graph does not know is kept as sent"
    );

    let response = h
        .graph(Method::POST, &flows_path(&set), Some(user(&base)))
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(
        created["createUnmatchedUsers"],
        Value::Null,
        "a nullable member left out is null"
    );
    let options = &created["managementOptions"]["additionalOptions"];
    assert_eq!(options["studentAgeGroup"], "minor");
    assert_eq!(options["allowStudentContactAssociation"], Value::Null);
    let configuration = &created["creationOptions"]["configurations"][0];
    assert_eq!(configuration["roleGroup"]["id"], "staff", "{created}");
    assert_eq!(configuration["roleGroup"]["displayName"], "Staff");
    assert!(
        configuration["roleGroup"]["roles"]
            .as_array()
            .is_some_and(|roles| !roles.is_empty())
    );
    assert!(configuration["roleGroup@odata.context"].is_string());
    assert!(
        configuration.get("roleGroup@odata.bind").is_none(),
        "no request annotation: {configuration}"
    );
    assert_eq!(
        configuration["defaultPasswordSettings"]["password"],
        "***************"
    );
    assert_eq!(
        configuration["defaultPasswordSettings"]["@odata.type"],
        "#microsoft.graph.industryData.simplePasswordSettings"
    );
    let id = created["id"].as_str().unwrap();
    let got: Value = h
        .graph(Method::GET, &flow_path(&set, id), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["creationOptions"], created["creationOptions"]);

    let response = h
        .graph(Method::POST, &flows_path(&set), Some(admin_unit()))
        .await;
    assert_eq!(response.status(), 201);
    let sets = h
        .graph(
            Method::POST,
            SETS,
            Some(json!({"displayName": "no filter"})),
        )
        .await;
    let created: Value = sets.json().await.unwrap();
    assert_eq!(created["filter"], Value::Null, "{created}");
}

#[tokio::test]
async fn a_patch_needs_each_types_main_member_and_keeps_what_a_complex_value_leaves_out() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    let base = h.emu.base_url().to_owned();
    for (body, main, other) in [
        (class_group(), "configuration", json!({})),
        (
            user(&base),
            "managementOptions",
            json!({"createUnmatchedUsers": true}),
        ),
        (admin_unit(), "creationOptions", json!({})),
    ] {
        let created: Value = h
            .graph(Method::POST, &flows_path(&set), Some(body))
            .await
            .json()
            .await
            .unwrap();
        let path = flow_path(&set, created["id"].as_str().unwrap());
        let response = h.graph(Method::PATCH, &path, Some(other)).await;
        let error = odata_error(response, 400, "BadRequest").await;
        assert!(
            error["error"]["message"].as_str().unwrap().contains(main),
            "{error}"
        );
    }
    let created: Value = h
        .graph(Method::GET, &flows_path(&set), None)
        .await
        .json()
        .await
        .unwrap();
    let class_group = created["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|flow| flow["@odata.type"] == CLASS_GROUP)
        .unwrap();
    let path = flow_path(&set, class_group["id"].as_str().unwrap());
    let change = json!({"configuration": {"additionalOptions": {"createTeam": false}}});
    let response = h.graph(Method::PATCH, &path, Some(change)).await;
    assert_eq!(response.status(), 204);
    let got: Value = h
        .graph(Method::GET, &path, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        got["configuration"]["additionalOptions"],
        json!({"createTeam": false, "writeDisplayNameOnCreateOnly": false})
    );
    assert_eq!(
        got["configuration"]["additionalAttributes"],
        json!(["courseTitle", "classCode"])
    );
    let change = json!({"configuration": {"additionalOptions": {"createTeam": null}}});
    let response = h.graph(Method::PATCH, &path, Some(change)).await;
    odata_error(response, 400, "BadRequest").await;
}

#[tokio::test]
async fn role_groups_are_listed_and_read() {
    let h = Harness::start().await;
    let list: Value = h
        .graph(Method::GET, "/external/industryData/roleGroups", None)
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|group| group["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["staff", "students"]);
    let got: Value = h
        .graph(
            Method::GET,
            "/external/industryData/roleGroups/students",
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["roles"], json!([{"code": "student"}]));
    let response = h
        .graph(
            Method::GET,
            "/external/industryData/roleGroups/parents",
            None,
        )
        .await;
    odata_error(response, 404, "notFound").await;
    let response = h
        .graph(
            Method::POST,
            "/external/industryData/roleGroups",
            Some(json!({})),
        )
        .await;
    assert_eq!(response.status(), 405);
}
